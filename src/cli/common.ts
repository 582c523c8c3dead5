// Shared CLI plumbing: argument parsing, exit codes and one-line errors (DESIGN.md contract).
import { parseArgs as nodeParseArgs } from 'node:util';

export const EXIT = { ok: 0, failed: 1, usage: 2, engine: 3 } as const;

/** An error whose message is meant for the user as-is (one or two lines, cause and fix). */
export class UserError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.usage) { super(message); }
}

/**
 * The one map from error kinds to exit codes (DESIGN.md contract). Matched by `name` so this file
 * stays free of the engine modules that `suggest` and `refactor` never load.
 */
const EXIT_BY_ERROR_NAME: Record<string, number> = {
  EngineUnreachableError: EXIT.engine,
  EngineTooOldError: EXIT.engine,
  // A malformed --host, DOCKER_HOST or context is bad input, whichever command reads it.
  EndpointConfigError: EXIT.usage,
  AnalysisInputError: EXIT.usage,
  ImageNotFoundError: EXIT.usage,
  ExportFormatError: EXIT.failed,
};

/** Socket errors that mean the engine went away mid-command. */
const ENGINE_LOST_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE']);

export function exitCodeFor(e: unknown): number {
  if (e instanceof UserError) return e.exitCode;
  const name = (e as { name?: unknown })?.name;
  if (typeof name === 'string' && name in EXIT_BY_ERROR_NAME) return EXIT_BY_ERROR_NAME[name]!;
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && ENGINE_LOST_CODES.has(code) && (e as { syscall?: unknown }).syscall === 'connect') return EXIT.engine;
  return EXIT.failed;
}

export interface ParsedArgs {
  positional: string[];
  /** Repeated flags collect every value in order. Boolean flags hold `'true'`. */
  flags: Map<string, string[]>;
}

/**
 * Parses `--name value`, `--name=value` and boolean `--name` with Node's `util.parseArgs` (strict).
 * `booleans` lists flags that take no value; every flag may repeat (values kept in order). Its
 * errors become usage errors worded for the user.
 */
export function parseArgs(argv: string[], booleans: string[], valued: string[]): ParsedArgs {
  const options: Record<string, { type: 'boolean' | 'string'; multiple: true }> = {};
  for (const b of booleans) options[b] = { type: 'boolean', multiple: true };
  for (const v of valued) options[v] = { type: 'string', multiple: true };
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UserError(parseArgsMessage(e as Error & { code?: string }, booleans, valued));
  }
  const flags = new Map<string, string[]>();
  for (const [k, v] of Object.entries(parsed.values)) {
    if (v === undefined) continue;
    flags.set(k, (Array.isArray(v) ? v : [v]).map((x) => (x === true ? 'true' : String(x))));
  }
  return { positional: parsed.positionals, flags };
}

function parseArgsMessage(e: Error & { code?: string }, booleans: string[], valued: string[]): string {
  const name = /'(-{1,2}[^' ]+)/.exec(e.message)?.[1]?.replace(/^-+/, '') ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `Unknown option ${name.length > 1 ? '--' : '-'}${name}. Run \`stagelens help\` for usage.`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (booleans.includes(name)) return `--${name} takes no value.`;
    if (valued.includes(name)) return `--${name} needs a value.`;
  }
  return `${e.message}. Run \`stagelens help\` for usage.`;
}

export function flag(p: ParsedArgs, name: string): string | undefined {
  const v = p.flags.get(name);
  return v ? v[v.length - 1] : undefined;
}

export function hasFlag(p: ParsedArgs, name: string): boolean {
  return p.flags.has(name);
}

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Writes exactly `s` to stdout (no newline added): output that must equal a file byte for byte. */
  raw?: (s: string) => void;
}

export const processIO: CliIO = {
  out: (s) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); },
  raw: (s) => { process.stdout.write(s); },
  err: (s) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); },
};

export type CommandRunner = (argv: string[], io: CliIO, signal: AbortSignal) => Promise<number>;
