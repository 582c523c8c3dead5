// Shared by `stagelens diff` and `stagelens check`: which Dockerfile, what to compare it with
// (a git revision via `git show`, or another file), and the two builds on one engine.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseDockerfile } from '../core/dockerfile/parse';
import { AnalysisInputError, type ProgressEvent } from '../engine/analyze';
import { compareDockerfile, type CompareResult } from '../engine/compare';
import { connectEngine, EndpointConfigError, EngineUnreachableError } from '../engine/connection';
import { GitBaseError, readAtRevision } from '../engine/git';
import { ImageNotFoundError } from '../engine/export';
import { stageFinishLine } from './analyze';
import { EXIT, UserError, flag, type CliIO, type ParsedArgs } from './common';

export const COMPARE_VALUED = ['base', 'base-file', 'context', 'target', 'build-arg', 'builder', 'network', 'host', 'timeout'];

const show = (p: string): string => relative(process.cwd(), p) || p;

export function readDockerfileArg(arg: string | undefined, cmd: string): { path: string; text: string } {
  const path = resolve(arg ?? 'Dockerfile');
  if (!existsSync(path)) throw new UserError(`${show(path)}: no such file. Pass the Dockerfile path: stagelens ${cmd} path/to/Dockerfile`);
  if (statSync(path).isDirectory()) throw new UserError(`${path} is a folder; pass the Dockerfile inside it.`);
  const buf = readFileSync(path);
  if (buf.includes(0)) throw new UserError(`${show(path)} is a binary file, not a Dockerfile.`);
  const text = buf.toString('utf8');
  if (parseDockerfile(text).stages.length === 0) throw new UserError(`${show(path)} is not a Dockerfile: it has no FROM instruction.`);
  return { path, text };
}

export interface BaseText { text: string; base: { kind: 'git' | 'file'; ref: string } }

/** The text to compare with: --base-file, else the git revision (default HEAD). */
export async function readBase(p: ParsedArgs, dockerfile: string, signal: AbortSignal): Promise<BaseText> {
  const file = flag(p, 'base-file');
  const rev = flag(p, 'base');
  if (file && rev) throw new UserError('Give either --base REV or --base-file FILE, not both.');
  if (file) {
    const path = resolve(file);
    if (!existsSync(path) || statSync(path).isDirectory()) throw new UserError(`--base-file ${file}: no such file.`);
    const text = readFileSync(path, 'utf8');
    if (parseDockerfile(text).stages.length === 0) throw new UserError(`--base-file ${file} is not a Dockerfile: it has no FROM instruction.`);
    return { text, base: { kind: 'file', ref: show(path) } };
  }
  try {
    const r = await readAtRevision(dockerfile, rev ?? 'HEAD', signal);
    if (parseDockerfile(r.text).stages.length === 0) throw new UserError(`${r.path} at ${rev ?? 'HEAD'} has no FROM instruction, so there is nothing to compare with.`);
    // A full commit id (what `git merge-base` prints) reads better shortened in tables.
    const ref = rev ?? 'HEAD';
    return { text: r.text, base: { kind: 'git', ref: /^[0-9a-f]{40}$/.test(ref) ? ref.slice(0, 12) : ref } };
  } catch (e) {
    if (e instanceof GitBaseError) throw new UserError(e.message);
    throw e;
  }
}

function parseBuildArgs(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const k = eq < 0 ? v : v.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new UserError(`--build-arg "${k}" is not NAME=value.`);
    if (eq < 0) { if (process.env[k] !== undefined) out[k] = process.env[k]!; } else out[k] = v.slice(eq + 1);
  }
  return out;
}

function progress(io: CliIO): (side: 'base' | 'current', e: ProgressEvent) => void {
  return (side, e) => {
    if (e.type === 'stage-start') io.err(`▸ ${side === 'base' ? 'before' : 'after'}: stage ${e.name ?? e.stage} (${e.position}/${e.count})`);
    else if (e.type === 'stage-finish') io.err(`  ${stageFinishLine(e)}`);
  };
}

export async function runCompare(p: ParsedArgs, current: { path: string; text: string }, base: BaseText, io: CliIO, signal: AbortSignal,
  opts: { topFiles: number; wantLayers: boolean }): Promise<CompareResult> {
  const context = resolve(flag(p, 'context') ?? dirname(current.path));
  const builder = flag(p, 'builder') ?? 'auto';
  if (builder !== 'auto' && builder !== 'buildkit' && builder !== 'classic') throw new UserError(`--builder must be auto, buildkit or classic, not "${builder}".`);
  const timeoutMs = flag(p, 'timeout') ? Number(flag(p, 'timeout')) * 1000 : undefined;
  if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new UserError('--timeout takes seconds, e.g. --timeout 5.');
  const buildArgs = parseBuildArgs(p.flags.get('build-arg') ?? []);
  let connection;
  try {
    connection = await connectEngine({ explicit: flag(p, 'host'), timeoutMs, signal });
  } catch (e) {
    if (e instanceof EngineUnreachableError || e instanceof EndpointConfigError) throw new UserError(e.message, EXIT.engine);
    throw e;
  }
  io.err(`Comparing ${show(current.path)} with ${base.base.ref} on ${connection.endpoint}`);
  try {
    return await compareDockerfile({
      dockerfilePath: current.path, contextDir: context, text: current.text, baseText: base.text, base: base.base,
      connection, buildArgs, builder, network: flag(p, 'network'), target: flag(p, 'target'), signal,
      onProgress: progress(io), topFiles: opts.topFiles, wantLayers: opts.wantLayers,
    });
  } catch (e) {
    if (e instanceof AnalysisInputError) throw new UserError(e.message, EXIT.usage);
    if (e instanceof ImageNotFoundError) throw new UserError(e.message, EXIT.failed);
    const code = (e as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET') throw new UserError(`Lost the Docker engine at ${connection.endpoint}: ${(e as Error).message}.`, EXIT.engine);
    throw e;
  }
}
