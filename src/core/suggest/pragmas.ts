// Inline suppressions: hadolint's `# hadolint ignore=DL3015,DL3008` (on the comment lines
// directly above an instruction) and `# hadolint global ignore=…`, plus Stage Lens's own
// `# stagelens ignore=<id>` and `# stagelens global ignore=<id>`.
import type { ParsedDockerfile } from '../dockerfile/parse';

export interface Pragmas {
  global: Set<string>;
  /** 1-based instruction line → ignored codes/ids. */
  byLine: Map<number, Set<string>>;
}

const PRAGMA = /^\s*#\s*(hadolint|stagelens)\s+(global\s+)?ignore\s*=\s*([\w\-, ]+)/i;

export function readPragmas(df: ParsedDockerfile): Pragmas {
  const lines = df.text.split(/\r\n|\r|\n/);
  const global = new Set<string>();
  const byLine = new Map<number, Set<string>>();
  const starts = new Set(df.instructions.map((i) => i.range.start.line));
  for (let l = 0; l < lines.length; l++) {
    const m = PRAGMA.exec(lines[l]!);
    if (!m) continue;
    const codes = m[3]!.split(/[,\s]+/).filter(Boolean).map((c) => c.toLowerCase());
    if (m[2]) { for (const c of codes) global.add(c); continue; }
    // The pragma applies to the next instruction, across further comment lines.
    let k = l + 1;
    while (k < lines.length && /^\s*(#.*)?$/.test(lines[k]!) && !starts.has(k)) k++;
    if (!starts.has(k)) continue;
    const set = byLine.get(k + 1) ?? new Set<string>();
    for (const c of codes) set.add(c);
    byLine.set(k + 1, set);
  }
  return { global, byLine };
}

/** Whether a finding (by id and hadolint code) is suppressed at a 1-based instruction line. */
export function suppressed(p: Pragmas, id: string, hadolint: string | null, line: number): boolean {
  const keys = [id.toLowerCase(), ...(hadolint ? [hadolint.toLowerCase()] : [])];
  const at = p.byLine.get(line);
  return keys.some((k) => p.global.has(k) || (at?.has(k) ?? false));
}
