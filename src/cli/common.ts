// Shared CLI plumbing: argument parsing, exit codes and one-line errors (DESIGN.md contract).

export const EXIT = { ok: 0, failed: 1, usage: 2, engine: 3 } as const;

/** An error whose message is meant for the user as-is (one or two lines, cause and fix). */
export class UserError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.usage) { super(message); }
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
  /** Writes exactly `s` to stdout (no newline added): output that must equal a file byte for byte. */
  raw?: (s: string) => void;
}

export const processIO: CliIO = {
  out: (s) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); },
  raw: (s) => { process.stdout.write(s); },
  err: (s) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); },
};

export type CommandRunner = (argv: string[], io: CliIO, signal: AbortSignal) => Promise<number>;
