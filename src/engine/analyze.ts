// Builds a Dockerfile stage by stage and measures each stage: one build per stage (`target`),
// in stage order, so every build after the first reuses the engine's cache and all stages cost
// little more than one build of the last stage. Each stage image gets a deterministic tag and
// Stage Lens labels; its size, base size and history (mapped to Dockerfile lines) make the
// StageReport.
//
// Cancellation: when `signal` aborts, the running build's HTTP request is closed (the engine
// cancels the build), any tag that build may have applied is removed, and analyzeStages
// RESOLVES with a report whose `cancelled` is true: stages finished before the abort keep
// their measurements, the others carry the error "not built: analysis cancelled".
import type Dockerode from 'dockerode';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { parseDockerfile, stageClosure, type ParsedDockerfile, type ParsedStage } from '../core/dockerfile/parse';
import { dockerfileHash } from '../core/hash';
import { maskSecretsDeep, secretValuesInDockerfile } from '../core/secrets';
import {
  buildStageNames, classicBuildText, classicStepInstruction, LABEL_PREFIX, lineFromEngineError, mapHistoryToLayers, parseClassicStep,
  vertexInstruction, withStageNames, type HistoryEntry, type StepTiming,
} from '../core/layermap';
import { SCHEMA_VERSION, type AnalysisReport, type BuilderKind, type StageError, type StageReport } from '../core/report';
import { engineMessage, runBuild, type BuildResult } from './build';
import type { BuildkitVertex } from './buildkit-status';
import type { EngineConnection } from './connection';
import { makeContextFilter, openContextTransport, readDockerignore, type ContextTransport, type PreparedContext } from './context';

export type ProgressEvent =
  | { type: 'context'; stage: number; bytes: number; done: boolean }
  | { type: 'stage-start'; stage: number; name: string | null; builder: BuilderKind; position: number; count: number }
  | { type: 'stage-finish'; stage: number; name: string | null; imageId: string | null; error: StageError | null; buildMs: number; sizeBytes: number | null }
  | { type: 'vertex'; stage: number; id: string; name: string; cached: boolean; started: number | null; completed: number | null; error: string | null; line: number | null }
  | { type: 'log'; stage: number; vertex: string | null; line: number | null; stream: number; text: string }
  | { type: 'classic'; stage: number; text: string; line: number | null; cached: boolean };

export interface AnalyzeOptions {
  dockerfilePath: string;
  contextDir: string;
  /** Dockerfile content to build (e.g. unsaved editor text); defaults to the file on disk. */
  text?: string;
  /** Stage name or index whose image is the final one; builds only what it needs. */
  target?: string;
  buildArgs?: Record<string, string>;
  builder?: 'auto' | 'buildkit' | 'classic';
  network?: string;
  connection: EngineConnection;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  /** Only these stages (and the stages they need, which are built and reported too). */
  stages?: number[];
}

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

function resolveTarget(df: ParsedDockerfile, target: string | undefined): number {
  if (target === undefined || target === '') return df.stages.length - 1;
  const t = target.toLowerCase();
  const byName = df.stages.find((s) => s.name === t);
  if (byName) return byName.index;
  if (/^\d+$/.test(t) && Number(t) < df.stages.length) return Number(t);
  const names = df.stages.map((s) => s.name ?? String(s.index)).join(', ');
  throw new AnalysisInputError(`No stage "${target}" in the Dockerfile. Stages: ${names}.`);
}

interface ImageFacts { size: number; historyLength: number }

async function inspectImage(docker: Dockerode, ref: string): Promise<{ Id: string; Size: number } | null> {
  try { return await docker.getImage(ref).inspect() as unknown as { Id: string; Size: number }; } catch { return null; }
}

async function imageHistory(docker: Dockerode, id: string): Promise<HistoryEntry[]> {
  const h = await docker.getImage(id).history() as { Id?: string; CreatedBy?: string; Size?: number; Comment?: string }[];
  return h.map((e) => ({ createdBy: e.CreatedBy ?? '', sizeBytes: e.Size ?? 0, id: e.Id ?? null, comment: e.Comment ?? null })).reverse();
}

function syntaxLine(text: string): number | null {
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (/^#\s*syntax\s*=/i.test(l)) return i + 1;
    if (l && !l.startsWith('#')) break;
  }
  return null;
}

/** Rewrites engine errors that have a known, plain cause. */
function explainError(df: ParsedDockerfile, message: string): { message: string; line: number | null; global: boolean } | null {
  if (df.syntax && (message.includes(df.syntax) || /frontend|gateway/i.test(message)) && !/dockerfile\.v0: failed to create LLB/.test(message)) {
    return {
      message: `the \`# syntax=\` directive makes BuildKit pull ${df.syntax}, which failed: remove the line (cache mounts work without it on Docker ≥ 20.10) or make the image available locally. Engine: ${message}`,
      line: syntaxLine(df.text), global: true,
    };
  }
  return null;
}

/**
 * Builds every stage (or those `target`/`stages` need) and reports sizes and layers.
 * Throws AnalysisInputError for bad input; engine failures of a stage end up in its `error`.
 */
export async function analyzeStages(opts: AnalyzeOptions): Promise<AnalysisReport> {
  const started = Date.now();
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

  const conn = opts.connection;
  const docker = conn.docker;
  const want = opts.builder ?? 'auto';
  if (want === 'buildkit' && !conn.buildkit) throw new AnalysisInputError(`The engine at ${conn.endpoint} (API ${conn.apiVersion}) cannot build with BuildKit; use --builder classic.`);
  let builder: BuilderKind = want === 'classic' ? 'classic' : want === 'buildkit' ? 'buildkit' : conn.buildkit ? 'buildkit' : 'classic';

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
  const repo = stageImageRepo(hash);
  const buildText = withStageNames(df);
  const buildNames = buildStageNames(df);
  const dockerfileName = dockerfileNameInContext(dockerfilePath, contextDir) ?? `.stagelens-${hash.slice(0, 12)}.Dockerfile`;
  // Build args and ENV values with secret-looking names never leave in clear (issue 6): logs,
  // history and errors can all echo them.
  const secrets = { ...secretValuesInDockerfile(df.instructions), ...buildArgs };
  const emit = (e: ProgressEvent): void => { try { opts.onProgress?.(maskSecretsDeep(e, secrets)); } catch { /* a broken listener must not break the analysis */ } };

  const report: AnalysisReport = {
    schemaVersion: SCHEMA_VERSION,
    dockerfile: dockerfilePath,
    context: contextDir,
    dockerfileHash: hash,
    engine: { endpoint: conn.endpoint, endpointSource: conn.source, version: conn.version, apiVersion: conn.apiVersion, builder },
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    stages: [],
  };

  const baseFacts = new Map<string, ImageFacts | null>();
  const rootFacts = async (image: string): Promise<ImageFacts | null> => {
    if (image.toLowerCase() === 'scratch') return { size: 0, historyLength: 0 };
    if (!baseFacts.has(image)) {
      const info = await inspectImage(docker, image);
      baseFacts.set(image, info ? { size: info.Size, historyLength: (await imageHistory(docker, info.Id)).length } : null);
    }
    return baseFacts.get(image)!;
  };

  const failed = new Map<number, string>();
  let globalFailure: string | null = null;
  // One context transport for the whole analysis: with BuildKit a session that every stage build
  // reuses (the context is synced once), else a tar body per build. Closed in `finally`.
  const openTransport = (b: BuilderKind): Promise<ContextTransport> => openContextTransport({
    docker, builder: b, contextDir, dockerfilePath, userText: opts.text, tarDockerfileName: dockerfileName, signal: opts.signal,
  });
  let transport = await openTransport(builder);
  report.engine.contextTransport = transport.kind;
  try {
  for (let pos = 0; pos < selected.length; pos++) {
    const idx = selected[pos]!;
    const stage = df.stages[idx]!;
    const tagName = stageTagName(stage);
    const tag = `${repo}:${tagName}`;
    const sr: StageReport = {
      index: idx, name: stage.name, line: stage.line, endLine: stage.endLine, baseImage: stage.resolvedBaseImage, baseStage: stage.baseStage,
      imageId: null, tag: null, sizeBytes: null, baseSizeBytes: null, addedBytes: null, buildMs: 0, layers: [], error: null,
      final: idx === targetIdx,
    };
    report.stages.push(sr);

    if (opts.signal?.aborted) { sr.error = { message: 'not built: analysis cancelled', line: null }; continue; }
    if (globalFailure) { sr.error = { message: `not built: ${globalFailure}`, line: null }; continue; }
    const failedDep = stageClosure(df, idx).find((d) => d !== idx && failed.has(d));
    if (failedDep !== undefined) {
      sr.error = { message: `not built: depends on failed stage ${failed.get(failedDep)}`, line: null };
      failed.set(idx, stage.name ?? String(idx));
      continue;
    }

    emit({ type: 'stage-start', stage: idx, name: stage.name, builder, position: pos + 1, count: selected.length });
    const before = await inspectImage(docker, tag);
    const t0 = Date.now();
    let result: BuildResult;
    let timings: Map<number, StepTiming>;
    let failLine: number | null = null;
    let missingBase: { image: string; line: number | null } | null = null;
    let ctx: PreparedContext;
    for (;;) {
      // The classic builder gets a text without the stages this target does not need; its
      // "Step k/M" numbers then refer to that text (same lines, fewer instructions).
      const classicDf = builder === 'classic' ? parseDockerfile(classicBuildText(df, new Set(stageClosure(df, idx))), buildArgs) : null;
      let lastReported = 0;
      ctx = await transport.prepare(classicDf ? classicDf.text : buildText, (n, done) => {
        if (done || n - lastReported >= 1 << 20) { lastReported = n; emit({ type: 'context', stage: idx, bytes: n, done }); }
      });
      timings = new Map();
      const classic = { current: null as { line: number; start: number } | null };
      const vertexLine = new Map<string, number | null>();
      const seen = new Map<string, BuildkitVertex>();
      const lineOfVertex = (v: BuildkitVertex): number | null => {
        if (!vertexLine.has(v.digest)) vertexLine.set(v.digest, vertexInstruction(df, buildNames, v.name)?.ins.line ?? null);
        return vertexLine.get(v.digest)!;
      };
      try {
      result = await runBuild({
        docker, context: ctx.context, dockerfileName: ctx.dockerfileName, builder, target: buildNames[idx]!, tag,
        labels: { [LABELS.managed]: 'true', [LABELS.dockerfile]: dockerfilePath, [LABELS.stage]: stage.name ?? String(idx), [LABELS.hash]: hash },
        buildArgs, network: opts.network, signal: opts.signal,
        onVertex: (v) => {
          seen.set(v.digest, v);
          const line = lineOfVertex(v);
          emit({ type: 'vertex', stage: idx, id: v.digest, name: v.name, cached: v.cached, started: v.started, completed: v.completed, error: v.error, line });
        },
        onLog: (l) => {
          const v = seen.get(l.vertex);
          emit({ type: 'log', stage: idx, vertex: l.vertex || null, line: v ? lineOfVertex(v) : null, stream: l.stream, text: l.text });
        },
        onStream: (s) => {
          const step = parseClassicStep(s);
          const now = Date.now();
          if (step) {
            if (classic.current) { const t = timings.get(classic.current.line); if (t) t.durationMs = now - classic.current.start; }
            const ins = classicStepInstruction(classicDf ?? df, step);
            classic.current = ins ? { line: ins.line, start: now } : null;
            if (ins) timings.set(ins.line, { cached: false, durationMs: null });
          } else if (/^\s*---> Using cache/.test(s) && classic.current) {
            timings.get(classic.current.line)!.cached = true;
          } else if (/^Successfully built/.test(s) && classic.current) {
            const t = timings.get(classic.current.line); if (t) t.durationMs = now - classic.current.start;
            classic.current = null;
          }
          emit({ type: 'classic', stage: idx, text: s, line: classic.current?.line ?? null, cached: classic.current ? !!timings.get(classic.current.line)?.cached : false });
        },
      });
      } finally { ctx.end(); }
      // The engine may claim BuildKit through its API version yet have it switched off.
      if (want === 'auto' && builder === 'buildkit' && result.error && /buildkit.*not supported|not supported.*buildkit/i.test(result.error) && !result.aborted) {
        builder = 'classic';
        report.engine.builder = builder;
        transport.close();
        transport = await openTransport(builder);
        report.engine.contextTransport = transport.kind;
        continue;
      }
      if (builder === 'buildkit') {
        for (const v of result.vertexes.values()) {
          const missing = v.error ? /^\[internal\] load metadata for (\S+)/.exec(v.name) : null;
          if (missing && !missingBase) missingBase = { image: missing[1]!, line: fromLineOf(df, stageClosure(df, idx), missing[1]!) };
          const line = lineOfVertex(v);
          if (line === null) continue;
          const dur = v.started && v.completed ? v.completed - v.started : null;
          timings.set(line, { cached: v.cached, durationMs: dur });
          if (v.error && failLine === null) failLine = line;
        }
      } else if (result.error && classic.current) {
        failLine = classic.current.line;
        const from = df.stages.find((x) => x.line === failLine);
        if (from && from.baseStage === null) missingBase = { image: from.resolvedBaseImage, line: from.line };
      }
      break;
    }
    sr.buildMs = Date.now() - t0;

    if (result.aborted) {
      await removeHalfTag(docker, tag, before?.Id ?? null);
      sr.error = { message: 'not built: analysis cancelled', line: null };
      report.cancelled = true;
      emit({ type: 'stage-finish', stage: idx, name: stage.name, imageId: null, error: sr.error, buildMs: sr.buildMs, sizeBytes: null });
      continue;
    }
    if (result.error || !result.imageId) {
      const message = result.error ?? 'build failed';
      const explained = explainError(df, message) ?? (missingBase ? {
        message: `the base image ${missingBase.image} is not in the engine and could not be pulled: load or build it there first, or check the name. Engine: ${message}`,
        line: missingBase.line, global: false,
      } : null);
      const line = explained?.line ?? failLine ?? lineFromEngineError(message);
      sr.error = { message: explained?.message ?? message, line };
      failed.set(idx, stage.name ?? String(idx));
      // A failure outside any instruction of this stage (frontend, parse, context) fails every stage alike.
      const inStage = line !== null && stageClosure(df, idx).some((d) => { const s = df.stages[d]!; return line >= s.line && line <= s.endLine; });
      if (explained?.global || !inStage) globalFailure = `the build failed before reaching this stage (see stage ${stage.name ?? idx})`;
      emit({ type: 'stage-finish', stage: idx, name: stage.name, imageId: null, error: sr.error, buildMs: sr.buildMs, sizeBytes: null });
      continue;
    }

    try {
      const info = await inspectImage(docker, result.imageId);
      if (!info) throw new Error(`the engine reported image ${result.imageId} but cannot inspect it`);
      sr.imageId = info.Id;
      sr.tag = tag;
      sr.sizeBytes = info.Size;
      const history = await imageHistory(docker, info.Id);
      const rootStage = df.stages[baseChainRoot(df, idx)]!;
      const root = await rootFacts(rootStage.resolvedBaseImage);
      sr.layers = mapHistoryToLayers({ df, stage: idx, builder, history, rootBaseLayers: root?.historyLength ?? null, timings });
      if (stage.baseStage !== null) {
        sr.baseSizeBytes = report.stages.find((s) => s.index === stage.baseStage)?.sizeBytes ?? null;
      } else {
        sr.baseSizeBytes = root?.size ?? null;
      }
      // Base images BuildKit resolved outside the image store: their layers still tell the size.
      sr.baseSizeBytes ??= sr.layers.filter((l) => l.fromBase).reduce((n, l) => n + l.sizeBytes, 0);
      sr.addedBytes = sr.sizeBytes - sr.baseSizeBytes;
    } catch (e) {
      sr.error = { message: `built, but measuring the image failed: ${engineMessage(e)}`, line: null };
    }
    emit({ type: 'stage-finish', stage: idx, name: stage.name, imageId: sr.imageId, error: sr.error, buildMs: sr.buildMs, sizeBytes: sr.sizeBytes });
  }

  } finally {
    transport.close();
  }

  if (opts.signal?.aborted) report.cancelled = true;
  const contextBytes = transport.contextBytes();
  if (contextBytes !== undefined) report.contextBytes = contextBytes;
  report.durationMs = Date.now() - started;
  return maskSecretsDeep(report, secrets);
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

/** Normalises an image reference the way BuildKit prints it (`docker.io/library/x:latest`). */
function normalizeImageRef(ref: string): string {
  let r = ref.trim().toLowerCase();
  const lastSlash = r.lastIndexOf('/');
  if (!r.includes('@') && !r.slice(lastSlash + 1).includes(':')) r += ':latest';
  const first = r.split('/')[0]!;
  if (!r.includes('/')) r = `docker.io/library/${r}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') r = `docker.io/${r}`;
  return r;
}

/** The FROM line (among `stages`) whose base image is `image`, as BuildKit names it. */
function fromLineOf(df: ParsedDockerfile, stages: number[], image: string): number | null {
  const want = normalizeImageRef(image);
  for (const i of stages) {
    const s = df.stages[i]!;
    if (s.baseStage === null && normalizeImageRef(s.resolvedBaseImage) === want) return s.line;
  }
  return null;
}

function baseChainRoot(df: ParsedDockerfile, idx: number): number {
  let cur = idx;
  const seen = new Set<number>();
  while (df.stages[cur]!.baseStage !== null && !seen.has(cur)) { seen.add(cur); cur = df.stages[cur]!.baseStage!; }
  return cur;
}

/**
 * After a cancelled build: the engine applies the tag only once an image is complete, but a
 * build that finished just as we hung up may still have tagged. Remove such a tag unless it
 * is the one a previous, complete analysis left.
 */
async function removeHalfTag(docker: Dockerode, tag: string, previousId: string | null): Promise<void> {
  for (const delay of [0, 750]) {
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const now = await inspectImage(docker, tag);
    if (now && now.Id !== previousId) {
      try { await docker.getImage(tag).remove({ noprune: false }); } catch { /* already gone */ }
    }
  }
}

