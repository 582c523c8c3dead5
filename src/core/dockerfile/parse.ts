// A thin, stable model of a Dockerfile on top of dockerfile-ast. Every other module
// (engine, suggestions, refactor, editor surfaces) reads this model rather than the AST,
// so line numbering and stage resolution are decided in exactly one place.
import { DockerfileParser, type Instruction, type From } from 'dockerfile-ast';

/** 0-based position, the same convention as LSP / VS Code. */
export interface Pos { line: number; character: number }
export interface Span { start: Pos; end: Pos }

export interface ParsedFlag { name: string; value: string | null }

export interface ParsedInstruction {
  /** Upper-cased keyword, e.g. `RUN`. Unknown keywords are kept as written (upper-cased). */
  keyword: string;
  /** 1-based first line of the instruction. */
  line: number;
  /** 1-based last line, including continuation lines and heredoc bodies. */
  endLine: number;
  /** 0-based range over the whole instruction (for editor edits). */
  range: Span;
  /** The instruction's source text exactly as written (continuations and heredocs included). */
  text: string;
  /** Arguments as written, after the keyword (flags included), `''` when there are none. */
  rawArgs: string;
  /** Arguments with continuations joined and flags removed — the command as the builder runs it. */
  args: string;
  /** `--flag[=value]` options (e.g. `--from=builder`, `--mount=type=cache,target=/x`). */
  flags: ParsedFlag[];
  /** Heredoc names used by this instruction (RUN/COPY `<<EOF`). */
  heredocs: string[];
  /** Index of the stage this instruction belongs to; -1 for ARGs before the first FROM. */
  stage: number;
}

export interface ParsedStage {
  index: number;
  /** `AS name`, lower-cased as BuildKit treats it, or null. */
  name: string | null;
  /** The FROM instruction. */
  from: ParsedInstruction;
  /** 1-based FROM line. */
  line: number;
  /** 1-based last line of the stage's last instruction (or of FROM). */
  endLine: number;
  /** The FROM argument as written (may contain `${VARS}`). */
  baseImage: string;
  /** The FROM argument with ARGs declared before the first FROM substituted (defaults or given build args). */
  resolvedBaseImage: string;
  /** Index of the earlier stage this stage is built FROM, or null when the base is an image. */
  baseStage: number | null;
  /** Instructions after FROM, in order. */
  instructions: ParsedInstruction[];
  /** Stages this one needs: its base stage, `COPY --from=<stage>` and `RUN --mount=from=<stage>`. */
  dependsOn: number[];
}

export interface ParseProblem { message: string; line: number | null }

export interface ParsedDockerfile {
  text: string;
  escapeChar: string;
  /** Value of a `# syntax=` directive, if any. */
  syntax: string | null;
  /** ARG instructions before the first FROM. */
  globalArgs: ParsedInstruction[];
  stages: ParsedStage[];
  /** All instructions in source order. */
  instructions: ParsedInstruction[];
  /** Structural problems (no FROM, unknown stage reference, …). Never thrown. */
  problems: ParseProblem[];
}

export const KNOWN_KEYWORDS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

function spanOf(r: { start: Pos; end: Pos }): Span {
  return { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
}

function sliceText(lines: string[], span: Span): string {
  if (span.start.line === span.end.line) return (lines[span.start.line] ?? '').slice(span.start.character, span.end.character);
  const out = [(lines[span.start.line] ?? '').slice(span.start.character)];
  for (let l = span.start.line + 1; l < span.end.line; l++) out.push(lines[l] ?? '');
  out.push((lines[span.end.line] ?? '').slice(0, span.end.character));
  return out.join('\n');
}

/** Joins continuation lines the way the builder does: drop `escape\n` and comment lines inside. */
export function joinContinuations(raw: string, escapeChar: string): string {
  const lines = raw.split(/\r?\n/);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i]!;
    if (i > 0 && /^\s*#/.test(l)) continue;
    const trimmed = l.replace(/\s+$/, '');
    if (trimmed.endsWith(escapeChar) && i < lines.length - 1) {
      l = trimmed.slice(0, -1);
      out.push(l);
    } else {
      out.push(l);
      if (i < lines.length - 1) out.push('\n');
    }
  }
  return out.join('').replace(/[ \t]+/g, ' ').trim();
}

const FLAG_RE = /^--([A-Za-z][\w-]*)(?:=(\S*))?\s*/;

function splitFlags(joined: string): { flags: ParsedFlag[]; rest: string } {
  const flags: ParsedFlag[] = [];
  let rest = joined;
  for (;;) {
    const m = FLAG_RE.exec(rest);
    if (!m) break;
    flags.push({ name: m[1]!.toLowerCase(), value: m[2] ?? null });
    rest = rest.slice(m[0].length);
  }
  return { flags, rest: rest.trim() };
}

/** Substitutes `$VAR`, `${VAR}`, `${VAR:-word}` and `${VAR:+word}` as the builder does for FROM. */
export function substituteArgs(value: string, args: Map<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_whole, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare!;
      const v = args.get(name);
      const set = op?.startsWith(':') ? v !== undefined && v !== '' : v !== undefined;
      if (op?.endsWith('-')) return set ? v! : (word ?? '');
      if (op?.endsWith('+')) return set ? (word ?? '') : '';
      return v ?? '';
    });
}

function flagValue(flags: ParsedFlag[], name: string): string | null {
  const f = flags.find((x) => x.name === name);
  return f ? f.value : null;
}

/** Parses `type=cache,target=/x,from=builder` style mount options. */
export function parseMountOptions(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) out[part.trim().toLowerCase()] = 'true';
    else out[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** The options of each `--mount` of a RUN (none for other instructions). */
export function mountOptionsOf(ins: Pick<ParsedInstruction, 'keyword' | 'flags'>): Record<string, string>[] {
  if (ins.keyword !== 'RUN') return [];
  return ins.flags.filter((f) => f.name === 'mount' && f.value).map((f) => parseMountOptions(f.value!));
}

/**
 * The cache mounts a stage's RUNs use, by BuildKit's cache key: the `id`, or the target path
 * when there is none (BuildKit's default id).
 */
export function cacheMountKeys(stage: ParsedStage): Set<string> {
  const keys = new Set<string>();
  for (const ins of stage.instructions) {
    for (const m of mountOptionsOf(ins)) {
      if (m.type !== 'cache') continue;
      const key = m.id ?? m.target ?? m.dst ?? m.destination;
      if (key) keys.add(key);
    }
  }
  return keys;
}

/**
 * For each of `order`'s stages, the earlier positions in `order` whose stages share a cache
 * mount with it. Building them one after the other, in Dockerfile order, is what a user reads
 * in the file: the later stage sees what the earlier one left in the cache.
 */
export function cacheOrder(df: ParsedDockerfile, order: readonly number[]): number[][] {
  const keys = order.map((i) => cacheMountKeys(df.stages[i]!));
  return keys.map((mine, pos) => {
    const before: number[] = [];
    if (mine.size === 0) return before;
    for (let p = 0; p < pos; p++) if ([...keys[p]!].some((k) => mine.has(k))) before.push(p);
    return before;
  });
}

export const MAX_DOCKERFILE_CHARS = 1024 * 1024;
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * dockerfile-ast's parse time grows faster than linearly with line length (a 1 MB line takes
 * many seconds) and editors re-parse on every change, so inputs no real Dockerfile has are
 * refused with a problem instead of freezing the extension host (reliability suite finding).
 */
function oversize(text: string): ParseProblem | null {
  if (text.length > MAX_DOCKERFILE_CHARS) {
    return { message: `The Dockerfile is ${(text.length / 1048576).toFixed(1)} MB: Stage Lens analyses Dockerfiles up to 1 MB.`, line: null };
  }
  const lines = text.split(/\r\n|\r|\n/);
  const long = lines.findIndex((l) => l.length > MAX_LINE_CHARS);
  return long < 0 ? null : { message: `Line ${long + 1} is ${Math.round(lines[long]!.length / 1024)} KB long: Stage Lens analyses lines up to 64 KB.`, line: long + 1 };
}

/**
 * Parses a Dockerfile. Never throws for any input text; structural problems are
 * returned in `problems`.
 * @param buildArgs values for ARGs declared before the first FROM (like `--build-arg`).
 */
export function parseDockerfile(text: string, buildArgs: Record<string, string> = {}): ParsedDockerfile {
  // dockerfile-ast treats a leading BOM as content; the builder ignores it.
  const clean = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const tooLarge = oversize(clean);
  if (tooLarge) return { text: clean, escapeChar: '\\', syntax: null, globalArgs: [], stages: [], instructions: [], problems: [tooLarge] };
  const doc = DockerfileParser.parse(clean);
  const lines = clean.split(/\r\n|\r|\n/);
  const escapeChar = doc.getEscapeCharacter() || '\\';
  let syntax: string | null = null;
  for (const d of doc.getDirectives()) {
    if (d.getName()?.toLowerCase() === 'syntax') syntax = d.getValue();
  }

  const problems: ParseProblem[] = [];
  const instructions: ParsedInstruction[] = [];
  const stages: ParsedStage[] = [];
  const globalArgs: ParsedInstruction[] = [];
  const globalArgValues = new Map<string, string>();

  const toParsed = (ins: Instruction, stage: number): ParsedInstruction => {
    const range = spanOf(ins.getRange());
    const textOf = sliceText(lines, range);
    const kw = (ins.getKeyword() || '').toUpperCase();
    // dockerfile-ast's argument range leaves flags out; take everything after the keyword.
    const kwEnd = ins.getInstructionRange().end;
    const rawArgs = sliceText(lines, { start: kwEnd, end: range.end }).replace(/^[ \t]+/, '');
    const heredocs: string[] = [];
    const maybe = ins as unknown as { getHeredocs?: () => { getName(): string | undefined }[] };
    if (typeof maybe.getHeredocs === 'function') {
      try { for (const h of maybe.getHeredocs()) { const n = h.getName(); if (n) heredocs.push(n); } } catch { /* AST variant without heredocs */ }
    }
    // For heredoc instructions the "command" is the first line; the body follows.
    const head = heredocs.length ? rawArgs.split(/\r?\n/)[0]! : rawArgs;
    const { flags, rest } = splitFlags(joinContinuations(head, escapeChar));
    return {
      keyword: kw, line: range.start.line + 1, endLine: range.end.line + 1, range, text: textOf,
      rawArgs, args: rest,
      flags, heredocs, stage,
    };
  };

  const nameToIndex = new Map<string, number>();
  let current: ParsedStage | null = null;
  for (const ins of doc.getInstructions()) {
    const kw = (ins.getKeyword() || '').toUpperCase();
    if (kw === 'FROM') {
      const from = ins as From;
      const p = toParsed(ins, stages.length);
      const name = from.getBuildStage()?.toLowerCase() ?? null;
      const { rest } = splitFlags(p.args);
      const baseImage = (from.getImage() ?? rest.split(/\s+/)[0] ?? '').trim();
      const resolved = substituteArgs(baseImage, globalArgValues);
      const baseIdx = nameToIndex.get(resolved.toLowerCase());
      current = {
        index: stages.length, name, from: p, line: p.line, endLine: p.endLine, baseImage,
        resolvedBaseImage: resolved, baseStage: baseIdx ?? null, instructions: [], dependsOn: [],
      };
      if (!baseImage) problems.push({ message: 'FROM needs a base image (e.g. `FROM debian:bookworm-slim`).', line: p.line });
      if (name) {
        if (nameToIndex.has(name)) problems.push({ message: `Stage name "${name}" is used twice.`, line: p.line });
        else nameToIndex.set(name, stages.length);
      }
      stages.push(current);
      instructions.push(p);
      continue;
    }
    if (!current) {
      const p = toParsed(ins, -1);
      instructions.push(p);
      if (kw === 'ARG') {
        globalArgs.push(p);
        for (const a of (ins as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties?.() ?? []) {
          const n = a.getName();
          globalArgValues.set(n, buildArgs[n] ?? a.getValue() ?? '');
        }
      } else {
        problems.push({ message: `${kw} before the first FROM: only ARG may come before FROM.`, line: p.line });
      }
      continue;
    }
    const p = toParsed(ins, current.index);
    current.instructions.push(p);
    current.endLine = p.endLine;
    instructions.push(p);
    if (!KNOWN_KEYWORDS.has(kw)) problems.push({ message: `Unknown instruction "${kw}".`, line: p.line });
  }

  // Stage dependencies: base stage, COPY --from, RUN --mount=from=. Numeric references are indices.
  const resolveRef = (ref: string, at: ParsedStage, line: number): number | null => {
    const r = substituteArgs(ref, globalArgValues).toLowerCase();
    if (/^\d+$/.test(r)) {
      const n = Number(r);
      if (n >= at.index) { problems.push({ message: `Stage ${n} is not defined before stage ${at.index}.`, line }); return null; }
      return n;
    }
    const idx = nameToIndex.get(r);
    if (idx === undefined) return null; // an image reference, not a stage
    if (idx >= at.index) { problems.push({ message: `Stage "${r}" is referenced before it is defined.`, line }); return null; }
    return idx;
  };
  for (const s of stages) {
    const deps = new Set<number>();
    if (s.baseStage !== null) {
      if (s.baseStage >= s.index) { problems.push({ message: `Stage "${s.resolvedBaseImage}" is used as a base before it is defined.`, line: s.line }); s.baseStage = null; }
      else deps.add(s.baseStage);
    }
    for (const ins of s.instructions) {
      const from = (ins.keyword === 'COPY' || ins.keyword === 'ADD') ? flagValue(ins.flags, 'from') : null;
      if (from) { const d = resolveRef(from, s, ins.line); if (d !== null) deps.add(d); }
      for (const m of mountOptionsOf(ins)) {
        if (m.from) { const d = resolveRef(m.from, s, ins.line); if (d !== null) deps.add(d); }
      }
    }
    s.dependsOn = [...deps].sort((a, b) => a - b);
  }
  if (stages.length === 0) problems.push({ message: 'No FROM instruction: a Dockerfile must start a stage with FROM.', line: null });

  return { text: clean, escapeChar, syntax, globalArgs, stages, instructions, problems };
}

/** The stages needed to build `target` (itself included), in build order. */
export function stageClosure(df: ParsedDockerfile, target: number): number[] {
  // Iterative: a recursive walk overflowed the stack on 10,000 chained stages (reliability suite).
  const seen = new Set<number>();
  const todo = [target];
  while (todo.length) {
    const i = todo.pop()!;
    if (seen.has(i) || !df.stages[i]) continue;
    seen.add(i);
    todo.push(...df.stages[i]!.dependsOn);
  }
  return [...seen].sort((a, b) => a - b);
}

/** Chain of stages from the root image to `index` via FROM <stage> (root first). */
export function baseChain(df: ParsedDockerfile, index: number): number[] {
  const chain: number[] = [];
  let cur: number | null = index;
  const guard = new Set<number>();
  while (cur !== null && !guard.has(cur) && df.stages[cur]) {
    guard.add(cur);
    chain.unshift(cur);
    cur = df.stages[cur]!.baseStage;
  }
  return chain;
}

/**
 * How the engine side names a stage in image labels and messages: its name, or its index
 * (the editor's display label is view/stages.ts `stageLabel`: name or `stage N`).
 */
export function stageRef(s: Pick<ParsedStage, 'name' | 'index'>): string {
  return s.name ?? String(s.index);
}
