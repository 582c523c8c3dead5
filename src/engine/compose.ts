// Compose projects on the engine: reads the compose files and `.env` from disk (core parses
// them), checks every selected service's Dockerfile and target before anything is built, then
// analyses each distinct build once through analyzeStages (same engine, so later services reuse
// the cache of earlier ones).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseDockerfile } from '../core/dockerfile/parse';
import {
  analyzeServices, ComposeError, DEFAULT_COMPOSE_FILES, DotenvError, overrideFileFor, parseComposeFile, projectVariables, resolveProject,
  type ComposeProject, type ComposeReport, type ServiceBuild,
} from '../core/compose';
import type { AnalysisJob } from '../core/compose/project';
import { analyzeStages, type ProgressEvent } from './analyze';
import type { EngineConnection } from './connection';

export interface LoadComposeOptions {
  /** Compose files in `-f` order; empty: the default names in `cwd` (plus their override file). */
  files: string[];
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Text to use instead of the file on disk (an editor's unsaved buffer), by absolute path. */
  texts?: ReadonlyMap<string, string>;
}

/** Which compose files a plain `docker compose` would read in `dir`, or [] when there are none. */
export function defaultComposeFiles(dir: string): string[] {
  const found = DEFAULT_COMPOSE_FILES.find((n) => existsSync(join(dir, n)));
  if (!found) return [];
  const override = overrideFileFor(found);
  return [join(dir, found), ...(existsSync(join(dir, override)) ? [join(dir, override)] : [])];
}

export function loadComposeProject(opts: LoadComposeOptions): ComposeProject {
  const files = opts.files.length ? opts.files.map((f) => resolve(opts.cwd, f)) : defaultComposeFiles(opts.cwd);
  if (!files.length) {
    throw new ComposeError(`no ${DEFAULT_COMPOSE_FILES.join(', ')} here; pass the file: stagelens analyze --compose path/to/compose.yaml`, opts.cwd, null, null);
  }
  const projectDir = dirname(files[0]!);
  const texts = files.map((f) => {
    const own = opts.texts?.get(f);
    if (own !== undefined) return own;
    if (!existsSync(f)) throw new ComposeError('no such file.', f, null, null);
    if (statSync(f).isDirectory()) throw new ComposeError('is a folder; pass the compose file inside it.', f, null, null);
    return readFileSync(f, 'utf8');
  });
  const envFile = join(projectDir, '.env');
  let vars: Record<string, string>;
  try {
    vars = projectVariables(existsSync(envFile) && statSync(envFile).isFile() ? readFileSync(envFile, 'utf8') : null, opts.env);
  } catch (e) {
    if (e instanceof DotenvError) throw new ComposeError(e.detail, envFile, e.line, null);
    throw e;
  }
  const parsed = files.map((f, i) => parseComposeFile(texts[i]!, f, vars));
  return resolveProject(parsed, { projectDir, vars, home: homedir() });
}

/**
 * Bad input in a service's build, found before the engine is contacted: missing context or
 * Dockerfile, no FROM, unknown target. Each message names the compose file and line.
 */
export function checkServiceBuild(b: ServiceBuild): ComposeError | null {
  const where = (detail: string): ComposeError => new ComposeError(detail, b.file, b.line, `services.${b.service}.build`);
  if (!existsSync(b.context) || !statSync(b.context).isDirectory()) return where(`the context ${b.context} is not a folder.`);
  let text = b.dockerfileInline;
  if (text === null) {
    if (!existsSync(b.dockerfile) || statSync(b.dockerfile).isDirectory()) return where(`no Dockerfile at ${b.dockerfile}; set dockerfile: to its path relative to the context.`);
    text = readFileSync(b.dockerfile, 'utf8');
  }
  const df = parseDockerfile(text, b.args);
  if (!df.stages.length) return where(`${b.dockerfileInline !== null ? 'dockerfile_inline' : basename(b.dockerfile)} has no FROM instruction.`);
  if (b.target && !df.stages.some((s) => s.name === b.target!.toLowerCase())) {
    return where(`target ${b.target} is not a stage of ${b.dockerfileInline !== null ? 'dockerfile_inline' : basename(b.dockerfile)} (stages: ${df.stages.map((s) => s.name ?? `#${s.index}`).join(', ')}).`);
  }
  return null;
}

export interface ComposeAnalyzeOptions {
  project: ComposeProject;
  builds: ServiceBuild[];
  connection: EngineConnection;
  builder?: 'auto' | 'buildkit' | 'classic';
  /** Used for a service without build.network (a CLI --network, an editor setting). */
  defaultNetwork?: string;
  signal?: AbortSignal;
  onJob?: (job: AnalysisJob, position: number, count: number) => void;
  onProgress?: (job: AnalysisJob, e: ProgressEvent) => void;
}

/** The network a compose build asks for, as the engine's /build `networkmode` takes it. */
export function buildNetwork(network: string | null, fallback: string | undefined): string | undefined {
  if (!network || network === 'default') return fallback;
  return network;
}

export function analyzeComposeServices(opts: ComposeAnalyzeOptions): Promise<ComposeReport> {
  return analyzeServices(opts.project, opts.builds, async (job, position, count) => {
    opts.onJob?.(job, position, count);
    const b = job.build;
    return analyzeStages({
      dockerfilePath: b.dockerfile, contextDir: b.context, text: b.dockerfileInline ?? undefined,
      target: b.target ?? undefined, buildArgs: b.args, builder: opts.builder,
      network: buildNetwork(b.network, opts.defaultNetwork), connection: opts.connection, signal: opts.signal,
      onProgress: (e) => opts.onProgress?.(job, e),
    });
  }, () => !!opts.signal?.aborted);
}
