// Plan of one analysis: read and parse the Dockerfile, check the input, pick the stages to build,
// the builder, and the names every stage is built and tagged under. No engine traffic here
// beyond what the connection already knows.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { parseDockerfile, stageClosure, stageRef, type ParsedDockerfile, type ParsedStage } from '../core/dockerfile/parse';
import { dockerfileHash } from '../core/hash';
import { buildStageNames, LABEL_PREFIX, withStageNames } from '../core/layermap';
import type { BuilderKind } from '../core/report';
import { secretValuesInDockerfile } from '../core/secrets';
import type { EngineConnection } from './connection';
import { makeContextFilter, readDockerignore } from './context';

/** Bad input: unreadable Dockerfile, not a Dockerfile, unknown target, missing context. */
export class AnalysisInputError extends Error {
  constructor(message: string) { super(message); this.name = 'AnalysisInputError'; }
}

/** `stagelens/<first 12 of the Dockerfile hash>` — the repository every stage image of one Dockerfile text is tagged in. */
export function stageImageRepo(hash: string): string { return `stagelens/${hash.slice(0, 12)}`; }

/** The tag part for a stage: its name when that is a valid tag, else its index. */
export function stageTagName(s: Pick<ParsedStage, 'name' | 'index'>): string {
  return s.name && /^[a-z0-9_][a-z0-9_.-]{0,127}$/.test(s.name) ? s.name : String(s.index);
}

export const LABELS = {
  managed: `${LABEL_PREFIX}managed`,
  dockerfile: `${LABEL_PREFIX}dockerfile`,
  stage: `${LABEL_PREFIX}stage`,
  hash: `${LABEL_PREFIX}hash`,
} as const;

export interface PlanInput {
  dockerfilePath: string;
  contextDir: string;
  text?: string;
  target?: string;
  buildArgs?: Record<string, string>;
  stages?: number[];
}

export interface AnalysisPlan {
  dockerfilePath: string;
  contextDir: string;
  text: string;
  buildArgs: Record<string, string>;
  df: ParsedDockerfile;
  /** The stage a plain build produces (last, or `target`). */
  targetIdx: number;
  /** Stages to build, in order. */
  selected: number[];
  hash: string;
  /** Repository the stage images are tagged in. */
  repo: string;
  /** The Dockerfile text sent to BuildKit (unnamed stages get names, lines unchanged). */
  buildText: string;
  /** The name each stage is built under (`target`). */
  buildNames: string[];
  /** Where the Dockerfile goes in the context. */
  dockerfileName: string;
  /** Values never to show in clear (secret-looking build args and ENV values). */
  secrets: Record<string, string>;
}

function resolveTarget(df: ParsedDockerfile, target: string | undefined): number {
  if (target === undefined || target === '') return df.stages.length - 1;
  const t = target.toLowerCase();
  const byName = df.stages.find((s) => s.name === t);
  if (byName) return byName.index;
  if (/^\d+$/.test(t) && Number(t) < df.stages.length) return Number(t);
  const names = df.stages.map(stageRef).join(', ');
  throw new AnalysisInputError(`No stage "${target}" in the Dockerfile. Stages: ${names}.`);
}

/** Reads and checks the input; throws AnalysisInputError naming what is wrong. */
export function planAnalysis(opts: PlanInput): AnalysisPlan {
  const dockerfilePath = resolve(opts.dockerfilePath);
  const contextDir = resolve(opts.contextDir);
  let text = opts.text;
  if (text === undefined) {
    try { text = readFileSync(dockerfilePath, 'utf8'); } catch (e) {
      throw new AnalysisInputError(`Cannot read ${dockerfilePath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}.`);
    }
  }
  if (!existsSync(contextDir) || !statSync(contextDir).isDirectory()) throw new AnalysisInputError(`The build context ${contextDir} is not a directory.`);
  const buildArgs = opts.buildArgs ?? {};
  const df = parseDockerfile(text, buildArgs);
  if (df.stages.length === 0) throw new AnalysisInputError(`${dockerfilePath} is not a Dockerfile: it has no FROM instruction.`);

  const targetIdx = resolveTarget(df, opts.target);
  let selected: number[];
  if (opts.stages?.length) {
    const set = new Set<number>();
    for (const s of opts.stages) { if (!df.stages[s]) throw new AnalysisInputError(`No stage ${s} in the Dockerfile.`); for (const d of stageClosure(df, s)) set.add(d); }
    selected = [...set].sort((a, b) => a - b);
  } else if (opts.target) {
    selected = stageClosure(df, targetIdx);
  } else {
    selected = df.stages.map((s) => s.index);
  }

  const hash = dockerfileHash(text);
  return {
    dockerfilePath, contextDir, text, buildArgs, df, targetIdx, selected, hash,
    repo: stageImageRepo(hash),
    buildText: withStageNames(df),
    buildNames: buildStageNames(df),
    dockerfileName: dockerfileNameInContext(dockerfilePath, contextDir) ?? `.stagelens-${hash.slice(0, 12)}.Dockerfile`,
    // Build args and ENV values with secret-looking names never leave in clear (issue 6): logs,
    // history and errors can all echo them.
    secrets: { ...secretValuesInDockerfile(df.instructions), ...buildArgs },
  };
}

/**
 * The builder for this engine. Podman's /build is Buildah whatever `version` says, so it is
 * reported as such; asking it for BuildKit is bad input.
 */
export function chooseBuilder(conn: Pick<EngineConnection, 'buildkit' | 'product' | 'endpoint' | 'apiVersion' | 'version'>, want: 'auto' | 'buildkit' | 'classic'): BuilderKind {
  if (conn.product === 'podman') {
    if (want === 'buildkit') throw new AnalysisInputError(`The engine at ${conn.endpoint} is Podman ${conn.version}, which builds with Buildah, not BuildKit; use --builder auto.`);
    return 'buildah';
  }
  if (want === 'buildkit' && !conn.buildkit) throw new AnalysisInputError(`The engine at ${conn.endpoint} (API ${conn.apiVersion}) cannot build with BuildKit; use --builder classic.`);
  return want === 'classic' ? 'classic' : want === 'buildkit' ? 'buildkit' : conn.buildkit ? 'buildkit' : 'classic';
}

/**
 * Where the Dockerfile text goes in the context tar. A Dockerfile inside the context, not
 * excluded by .dockerignore, goes at its own path (replacing the file on disk): `COPY . .` then
 * copies what `docker build` would (plus ` AS stagelens-stage-N` on unnamed FROM lines).
 * Otherwise a name of our own (null here), which a `COPY . .` would also copy — a few hundred
 * bytes the real build does not have.
 */
function dockerfileNameInContext(dockerfilePath: string, contextDir: string): string | null {
  const rel = relative(contextDir, dockerfilePath);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return null;
  const posix = rel.split(sep).join('/');
  return makeContextFilter(readDockerignore(contextDir))(posix, () => false) ? null : posix;
}

/** The stage whose FROM chain `idx` starts at (the one FROM names an image, not a stage). */
export function baseChainRoot(df: ParsedDockerfile, idx: number): number {
  let cur = idx;
  const seen = new Set<number>();
  while (df.stages[cur]!.baseStage !== null && !seen.has(cur)) { seen.add(cur); cur = df.stages[cur]!.baseStage!; }
  return cur;
}

