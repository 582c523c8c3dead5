// `stagelens suggest [DOCKERFILE] [--json] [--disable RULE]...` — static findings, no engine.
import { readdirSync, readFileSync, statSync, lstatSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseDockerfile } from '../core/dockerfile/parse';
import { formatBytes } from '../core/report';
import { analyzeDockerfile, RULES, type ContextInfo } from '../core/suggest';
import { sarifFor } from './sarif';
import { EXIT, UserError, flag, hasFlag, parseArgs, type CliIO } from './common';

// The findings JSON has its own shape; it did not change when the AnalysisReport went to 2.
const FINDINGS_SCHEMA_VERSION = 1;

/** Reads a Dockerfile or fails with one line (exit 2): missing, directory, binary, no FROM, parse problems. */
export function readDockerfile(arg: string | undefined): { path: string; text: string } {
  const path = resolve(arg ?? 'Dockerfile');
  let st;
  try { st = statSync(path); } catch { throw new UserError(`${path}: no such file. Pass the Dockerfile path (default ./Dockerfile).`); }
  if (st.isDirectory()) throw new UserError(`${path} is a directory; pass the Dockerfile inside it (e.g. ${join(path, 'Dockerfile')}).`);
  let buf: Buffer;
  try { buf = readFileSync(path); } catch (e) { throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`); }
  if (buf.includes(0)) throw new UserError(`${path} is a binary file, not a Dockerfile.`);
  const text = buf.toString('utf8');
  const df = parseDockerfile(text);
  if (df.stages.length === 0) throw new UserError(`${path} is not a Dockerfile: it has no FROM instruction.`);
  if (df.problems.length) {
    const p = df.problems[0]!;
    throw new UserError(`${path}${p.line ? `:${p.line}` : ''}: ${p.message}`);
  }
  return { path, text };
}

/** Bytes under a path, bounded so a huge node_modules cannot stall the command. */
function sizeOf(path: string, budget: { left: number }): number {
  let st;
  try { st = lstatSync(path); } catch { return 0; }
  if (!st.isDirectory()) return st.size;
  let sum = 0;
  let names: string[] = [];
  try { names = readdirSync(path); } catch { return 0; }
  for (const n of names) {
    if (budget.left-- <= 0) break;
    sum += sizeOf(join(path, n), budget);
  }
  return sum;
}

/** Top-level entries of the build context and whether it has a .dockerignore. */
function contextInfo(dir: string): ContextInfo {
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { return { hasDockerignore: true, entries: [] }; }
  const budget = { left: 50_000 };
  return {
    hasDockerignore: names.includes('.dockerignore'),
    entries: names.map((name) => {
      const p = join(dir, name);
      let directory = false;
      try { directory = lstatSync(p).isDirectory(); } catch { /* vanished */ }
      return { name, bytes: sizeOf(p, budget), directory };
    }),
  };
}

export async function run(argv: string[], io: CliIO, _signal: AbortSignal): Promise<number> {
  const args = parseArgs(argv, ['json'], ['disable', 'context', 'format']);
  const format = flag(args, 'format') ?? (hasFlag(args, 'json') ? 'json' : 'text');
  if (!['text', 'json', 'sarif'].includes(format)) throw new UserError(`--format must be text, json or sarif, not "${format}".`);
  if (args.positional.length > 1) throw new UserError('suggest takes one Dockerfile path.');
  const disabled = (args.flags.get('disable') ?? []).flatMap((d) => d.split(',')).map((d) => d.trim()).filter(Boolean);
  const known = new Set(RULES.flatMap((r) => [r.id, ...r.hadolint.map((h) => h.toLowerCase())]));
  const unknown = disabled.filter((d) => !known.has(d.toLowerCase()));
  if (unknown.length) throw new UserError(`Unknown rule ${unknown.join(', ')}. Rules: ${RULES.map((r) => r.id).join(', ')}.`);
  const { path, text } = readDockerfile(args.positional[0]);
  const contextDir = resolve(flag(args, 'context') ?? dirname(path));
  const findings = analyzeDockerfile(text, { disabledRules: disabled, contextFiles: contextInfo(contextDir) });
  if (format === 'sarif') { io.out(JSON.stringify(sarifFor(findings, path), null, 2)); return EXIT.ok; }
  if (format === 'json') {
    io.out(JSON.stringify({ schemaVersion: FINDINGS_SCHEMA_VERSION, dockerfile: path, findings }, null, 2));
    return EXIT.ok;
  }
  if (findings.length === 0) { io.out(`${path}: no findings.`); return EXIT.ok; }
  for (const f of findings) {
    const code = f.hadolint ? ` (${f.hadolint})` : '';
    const est = f.estimateBytes !== null ? ` ~${formatBytes(f.estimateBytes)} (estimate)` : '';
    io.out(`${f.line}:${f.range.start.character + 1} ${f.id} ${f.message}${code}${est}`);
  }
  const fixable = findings.filter((f) => f.fix).length;
  // `stagelens refactor` writes the split only; naming it for other fixes sends users to a no-op.
  const split = findings.some((f) => f.fix?.split);
  const where = split ? 'editor quick fix; `stagelens refactor` writes the multi-stage split' : 'editor quick fix';
  io.out(`${findings.length} finding${findings.length > 1 ? 's' : ''}${fixable ? `, ${fixable} with a fix (${where})` : ''}.`);
  return EXIT.ok;
}
