// The project's `.env` file as Compose reads it: `KEY=value` lines, `#` comments, optional
// `export `, single quotes literal, double quotes with \n \t \" \\ escapes (may span lines),
// and interpolation of unquoted and double-quoted values from what is already defined.
import { interpolate, InterpolationError, type Variables } from './interpolate';

export class DotenvError extends Error {
  /** The message without its "line N" prefix, for callers that name the file and line themselves. */
  readonly detail: string;
  constructor(message: string, readonly line: number) {
    super(message);
    this.name = 'DotenvError';
    this.detail = message.replace(/^line \d+(?::\s*| )/, '');
  }
}

/**
 * Parses `.env` text. `env` (the process environment) is visible to interpolation inside it and
 * wins over it in the end result only where the caller merges it so (see projectVariables).
 */
export function parseDotenv(text: string, env: Variables = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const scope = (): Variables => ({ ...out, ...env });
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    if (/^export\s+/.test(line)) line = line.replace(/^export\s+/, '');
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*)\s*(=|$)/.exec(line);
    if (!m) throw new DotenvError(`line ${lineNo} is not KEY=value: "${line.slice(0, 60)}"`, lineNo);
    const key = m[1]!;
    if (m[2] === '') { if (env[key] !== undefined) out[key] = env[key]!; continue; }
    let raw = line.slice(m[0].length).replace(/^\s+/, '');
    let value: string;
    if (raw.startsWith("'")) {
      let end = raw.indexOf("'", 1);
      while (end < 0 && i + 1 < lines.length) { raw += `\n${lines[++i]}`; end = raw.indexOf("'", 1); }
      if (end < 0) throw new DotenvError(`line ${lineNo}: the single quote of ${key} is never closed`, lineNo);
      value = raw.slice(1, end);
    } else if (raw.startsWith('"')) {
      let end = closingDoubleQuote(raw);
      while (end < 0 && i + 1 < lines.length) { raw += `\n${lines[++i]}`; end = closingDoubleQuote(raw); }
      if (end < 0) throw new DotenvError(`line ${lineNo}: the double quote of ${key} is never closed`, lineNo);
      value = expandValue(raw.slice(1, end).replace(/\\([nrt"\\$])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[c] ?? c), scope(), lineNo, key);
    } else {
      // An unquoted value ends at " #" (an inline comment) and loses trailing blanks.
      const hash = raw.search(/\s#/);
      value = expandValue((hash >= 0 ? raw.slice(0, hash) : raw).trimEnd(), scope(), lineNo, key);
    }
    out[key] = value;
  }
  return out;
}

function closingDoubleQuote(s: string): number {
  for (let j = 1; j < s.length; j++) {
    if (s[j] === '\\') { j++; continue; }
    if (s[j] === '"') return j;
  }
  return -1;
}

function expandValue(v: string, vars: Variables, line: number, key: string): string {
  try {
    return interpolate(v, vars).value;
  } catch (e) {
    if (e instanceof InterpolationError) throw new DotenvError(`line ${line}: ${key}: ${e.message}`, line);
    throw e;
  }
}

/** Interpolation variables of a project: the environment wins over `.env` (Compose's precedence). */
export function projectVariables(dotenvText: string | null, env: Variables): Record<string, string> {
  const fromFile = dotenvText === null ? {} : parseDotenv(dotenvText, env);
  const out: Record<string, string> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
