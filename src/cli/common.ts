// Shared CLI plumbing: argument parsing, exit codes and one-line errors (DESIGN.md contract).

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
 * Parses `--name value`, `--name=value` and boolean `--name`. `booleans` lists flags that
 * take no value; any other flag without a value is a usage error.
 */
export function parseArgs(argv: string[], booleans: string[], valued: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (k: string, v: string): void => { flags.set(k, [...(flags.get(k) ?? []), v]); };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (!a.startsWith('--') || a === '-') { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (booleans.includes(name)) {
      if (eq >= 0) throw new UserError(`--${name} takes no value.`);
      add(name, 'true');
    } else if (valued.includes(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UserError(`--${name} needs a value.`);
      add(name, v);
    } else {
      throw new UserError(`Unknown option --${name}. Run \`stagelens help\` for usage.`);
    }
  }
  return { positional, flags };
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
}

export const processIO: CliIO = {
  out: (s) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); },
  err: (s) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); },
};

export type CommandRunner = (argv: string[], io: CliIO, signal: AbortSignal) => Promise<number>;
