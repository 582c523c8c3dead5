// Builds a Dockerfile stage by stage and measures each stage: one build per stage (`target`);
// a stage starts once the stages it needs are built (independent stages two at a time with
// BuildKit), so every build reuses the engine's cache and all stages cost little more than one
// build of the last stage. With the previous report, stages whose input did not change (reuse.ts)
// are not built again: their measurements are kept and marked `reused`. Each stage image gets a deterministic tag and
// Stage Lens labels; its size, base size and history (mapped to Dockerfile lines) make the
// StageReport. The parts: plan.ts (input, stages, names), build-stage.ts (one build),
// measure.ts (sizes and layers), errors.ts (what engine errors mean). This file only
// sequences them and decides what a stage's outcome means for the stages after it.
//
// Cancellation: when `signal` aborts, the running build's HTTP request is closed (the engine
// cancels the build), any tag that build may have applied is removed, and analyzeStages
// RESOLVES with a report whose `cancelled` is true: stages finished before the abort keep
// their measurements, the others carry the error "not built: analysis cancelled".
import { cacheOrder, parseDockerfile, stageClosure } from '../core/dockerfile/parse';
import { lineFromEngineError } from '../core/layermap';
import { SCHEMA_VERSION, type AnalysisReport, type StageReport } from '../core/report';
import { maskSecretsDeep } from '../core/secrets';
import { engineMessage } from './build';
import { buildStage, type ProgressEvent } from './build-stage';
import type { EngineConnection } from './connection';
import { openContextTransport, type ContextTransport } from './context';
import { explainBuildError, measureFailedMessage } from './errors';
import { inspectImage, removeHalfTag, StageMeasurer } from './measure';
import { chooseBuilder, planAnalysis, stageTagName } from './plan';
import { contextFingerprint, instructionLineMap, readsContext, relocateStage, reusableStages, stageInputKeys } from './reuse';

export type { ProgressEvent } from './build-stage';
export { AnalysisInputError, LABELS, stageImageRepo, stageTagName } from './plan';

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
  /**
   * The previous analysis of this Dockerfile (same context and engine): stages whose input is
   * unchanged and whose image still exists are not built again (`reused` in the report).
   * `text` (the Dockerfile text it analysed) lets kept line numbers follow moved instructions.
   */
  previous?: { report: AnalysisReport; text?: string };
  /** How many independent stages build at once with BuildKit (default 2). */
  concurrency?: number;
}

/** The input key of every stage (reuse.ts); a context that cannot be read gets a key that never matches. */
function stageKeysOf(plan: ReturnType<typeof planAnalysis>): string[] {
  const dfIn = plan.dockerfileName.startsWith('.stagelens-') ? null : plan.dockerfileName;
  let contextKey: string | null = null;
  if (readsContext(plan.df)) {
    try { contextKey = contextFingerprint(plan.contextDir, dfIn); } catch { contextKey = `unreadable-${Date.now()}-${Math.random()}`; }
  }
  return stageInputKeys(plan.df, { buildArgs: plan.buildArgs, contextKey, dockerfileInContext: dfIn });
}

/**
 * Runs `run(i)` for every item once the items `deps[i]` name are done, at most `limit()` at a
 * time, items started in index order among those ready.
 */
export async function runScheduled(deps: readonly number[][], limit: () => number, run: (i: number) => Promise<void>): Promise<void> {
  const done = new Set<number>();
  const started = new Set<number>();
  let running = 0;
  await new Promise<void>((resolveAll, rejectAll) => {
    const pump = (): void => {
      if (done.size === deps.length) { resolveAll(); return; }
      for (let i = 0; i < deps.length && running < limit(); i++) {
        if (started.has(i) || !deps[i]!.every((d) => done.has(d))) continue;
        started.add(i);
        running++;
        run(i).then(() => { running--; done.add(i); pump(); }, rejectAll);
      }
    };
    pump();
  });
}

/**
 * Builds every stage (or those `target`/`stages` need) and reports sizes and layers.
 * Throws AnalysisInputError for bad input; engine failures of a stage end up in its `error`.
 */
export async function analyzeStages(opts: AnalyzeOptions): Promise<AnalysisReport> {
  const started = Date.now();
  const plan = planAnalysis(opts);
  const { df, secrets } = plan;
  const conn = opts.connection;
  const want = opts.builder ?? 'auto';
  let builder = chooseBuilder(conn, want);
  const emit = (e: ProgressEvent): void => { try { opts.onProgress?.(maskSecretsDeep(e, secrets)); } catch { /* a broken listener must not break the analysis */ } };

  const report: AnalysisReport = {
    schemaVersion: SCHEMA_VERSION,
    dockerfile: plan.dockerfilePath,
    context: plan.contextDir,
    dockerfileHash: plan.hash,
    engine: {
      endpoint: conn.endpoint, endpointSource: conn.source, version: conn.version, apiVersion: conn.apiVersion, builder,
      product: conn.product, store: conn.store,
    },
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    stages: [],
  };

  const measurer = new StageMeasurer(conn, df);
  const failed = new Map<number, string>();
  let globalFailure: string | null = null;
  // One context transport for the whole analysis: with BuildKit a session every stage build
  // reuses (the context is synced once), else a tar body per build. Closed in `finally`.
  // The classic fallback is opened once even when two concurrent builds both find BuildKit off.
  let classicTransport: Promise<ContextTransport> | null = null;
  const openTransport = (b: typeof builder): Promise<ContextTransport> => {
    const open = (): Promise<ContextTransport> => openContextTransport({
      docker: conn.docker, builder: b, contextDir: plan.contextDir, dockerfilePath: plan.dockerfilePath, userText: opts.text,
      tarDockerfileName: plan.dockerfileName, signal: opts.signal,
    });
    if (b !== 'classic') return open();
    return (classicTransport ??= open());
  };
  const transport = { current: await openTransport(builder) };
  report.engine.contextTransport = transport.current.kind;

  // Input keys of every stage (kept in the report for the next analysis) and what the
  // previous analysis measured that still holds.
  const keys = stageKeysOf(plan);
  const prev = opts.previous?.report;
  const reuse = prev && prev.context === plan.contextDir && prev.dockerfile === plan.dockerfilePath
    && prev.engine.endpoint === conn.endpoint && prev.engine.builder === builder
    ? reusableStages(keys, prev) : new Map<number, StageReport>();
  const indexMap = new Map<number, number>([...reuse].map(([ni, p]) => [p.index, ni]));
  let lines = new Map<number, number>();
  if (opts.previous?.text !== undefined && reuse.size) {
    try { lines = instructionLineMap(parseDockerfile(opts.previous.text, plan.buildArgs), df, indexMap); } catch { /* lines move with their FROM */ }
  }

  // Every selected stage has its report from the start, in stage order, whatever order the
  // concurrent builds finish in.
  for (const idx of plan.selected) {
    const stage = df.stages[idx]!;
    report.stages.push({
      index: idx, name: stage.name, line: stage.line, endLine: stage.endLine, baseImage: stage.resolvedBaseImage, baseStage: stage.baseStage,
      imageId: null, tag: null, sizeBytes: null, baseSizeBytes: null, addedBytes: null, pullSizeBytes: null, buildMs: 0, layers: [], error: null,
      final: idx === plan.targetIdx, inputKey: keys[idx],
    });
  }

  // Settled when a stage's outcome is known (built, reused, failed, skipped): what the stages
  // after it wait for before they judge their own result.
  const outcome = plan.selected.map(() => { let resolve!: () => void; const p = new Promise<void>((r) => { resolve = r; }); return { p, resolve }; });
  const depsSettled = (idx: number): Promise<unknown> => Promise.all(stageClosure(df, idx).filter((d) => d !== idx).map((d) => outcome[plan.selected.indexOf(d)]?.p));

  const runStage = async (pos: number): Promise<void> => {
    try { await judgeStage(pos); } finally { outcome[pos]!.resolve(); }
  };
  const judgeStage = async (pos: number): Promise<void> => {
    const idx = plan.selected[pos]!;
    const stage = df.stages[idx]!;
    const tag = `${plan.repo}:${stageTagName(stage)}`;
    const sr = report.stages[pos]!;
    const finish = (): void => emit({ type: 'stage-finish', stage: idx, name: stage.name, imageId: sr.imageId, error: sr.error, buildMs: sr.buildMs, sizeBytes: sr.sizeBytes, ...(sr.reused ? { reused: true } : {}) });

    if (opts.signal?.aborted) { sr.error = { message: 'not built: analysis cancelled', line: null }; return; }
    if (globalFailure) { sr.error = { message: `not built: ${globalFailure}`, line: null }; return; }
    const failedDep = stageClosure(df, idx).find((d) => d !== idx && failed.has(d));
    if (failedDep !== undefined) {
      sr.error = { message: `not built: depends on failed stage ${failed.get(failedDep)}`, line: null };
      failed.set(idx, stage.name ?? String(idx));
      return;
    }

    emit({ type: 'stage-start', stage: idx, name: stage.name, builder, position: pos + 1, count: plan.selected.length });
    const previous = reuse.get(idx);
    if (previous?.imageId) {
      // Reused only while the engine still has the image; it gets this text's tag too.
      const info = await inspectImage(conn.docker, previous.imageId);
      if (info?.Id === previous.imageId) {
        try {
          await conn.docker.getImage(info.Id).tag({ repo: plan.repo, tag: stageTagName(stage) });
          Object.assign(sr, relocateStage(previous, stage, indexMap, lines), { tag, final: sr.final, inputKey: sr.inputKey });
          finish();
          return;
        } catch { /* cannot tag: build it */ }
      }
    }
    const before = await inspectImage(conn.docker, tag);
    const out = await buildStage({ plan, conn, stage: idx, tag, builder, builderChosen: want !== 'auto', network: opts.network, signal: opts.signal, emit, transport, openTransport });
    report.engine.contextTransport = transport.current.kind;
    builder = out.builder;
    report.engine.builder = builder;
    sr.buildMs = out.buildMs;
    const { result } = out;
    // The stages this one needs were built alongside (BuildKit solved their shared steps once);
    // their outcome decides what a failure here means, and a FROM <stage> takes its base size from them.
    await depsSettled(idx);

    if (result.aborted) {
      await removeHalfTag(conn.docker, tag, before?.Id ?? null);
      sr.error = { message: 'not built: analysis cancelled', line: null };
      report.cancelled = true;
      finish();
      return;
    }
    if (result.error || !result.imageId) {
      const dep = stageClosure(df, idx).find((d) => d !== idx && failed.has(d));
      if (dep !== undefined || globalFailure) {
        sr.error = { message: dep !== undefined ? `not built: depends on failed stage ${failed.get(dep)}` : `not built: ${globalFailure}`, line: null };
        failed.set(idx, stage.name ?? String(idx));
        finish();
        return;
      }
      const message = result.error ?? 'build failed';
      const explained = explainBuildError(df, message, out.missingBase);
      const line = explained?.line ?? out.failLine ?? lineFromEngineError(message);
      sr.error = { message: explained?.message ?? message, line };
      failed.set(idx, stage.name ?? String(idx));
      // A failure outside any instruction of this stage (frontend, parse, context) fails every stage alike.
      const inStage = line !== null && stageClosure(df, idx).some((d) => { const s = df.stages[d]!; return line >= s.line && line <= s.endLine; });
      if (explained?.global || !inStage) globalFailure = `the build failed before reaching this stage (see stage ${stage.name ?? idx})`;
      finish();
      return;
    }

    try {
      const m = await measurer.measure({ stage: idx, builtId: result.imageId, builder, timings: out.timings, earlier: report.stages });
      Object.assign(sr, { imageId: m.imageId, tag, sizeBytes: m.sizeBytes, baseSizeBytes: m.baseSizeBytes, addedBytes: m.addedBytes, pullSizeBytes: m.pullSizeBytes, layers: m.layers });
    } catch (e) {
      sr.error = { message: measureFailedMessage(engineMessage(e)), line: null };
    }
    finish();
  };

  try {
    // Stages whose closures do not depend on each other build at the same time with BuildKit,
    // two at a time; a stage starts once the stages it needs are done. Starting dependent stages
    // at once too was measured: BuildKit then syncs the context once PER running build (a 3 MB
    // file went twice, session.test.ts), so they wait. Classic and Buildah: one at a time.
    // Stages sharing a cache mount also wait for each other (ci: a reader stage ran before the
    // writer and found the cache empty), so the result does not depend on who started first.
    const limit = (): number => (builder === 'buildkit' ? Math.max(1, opts.concurrency ?? 2) : 1);
    const caches = cacheOrder(df, plan.selected);
    const deps = plan.selected.map((idx, pos) => [...new Set([...df.stages[idx]!.dependsOn.map((d) => plan.selected.indexOf(d)).filter((p) => p >= 0 && p < pos), ...caches[pos]!])]);
    await runScheduled(deps, limit, runStage);
  } finally {
    transport.current.close();
  }

  if (opts.signal?.aborted) report.cancelled = true;
  const contextBytes = transport.current.contextBytes();
  if (contextBytes !== undefined) report.contextBytes = contextBytes;
  report.durationMs = Date.now() - started;
  return maskSecretsDeep(report, secrets);
}
