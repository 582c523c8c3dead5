// Builds a Dockerfile stage by stage and measures each stage: one build per stage (`target`).
// With BuildKit the last stage builds first — its build runs every stage it needs — and the
// others then build from that cache (buildSchedule), so all stages cost little more than one
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
import { cacheOrder, parseDockerfile, stageClosure, type ParsedDockerfile } from '../core/dockerfile/parse';
import { LLB_STEP_KEYWORDS, lineFromEngineError, type StepTiming } from '../core/layermap';
import { SCHEMA_VERSION, type AnalysisReport, type StageError, type StageReport } from '../core/report';
import { maskSecretsDeep } from '../core/secrets';
import { engineMessage } from './build';
import { buildStage, type ProgressEvent } from './build-stage';
import type { EngineConnection } from './connection';
import { openContextTransport, type ContextTransport } from './context';
import { explainBuildError, measureFailedMessage } from './errors';
import { inspectImage, removeHalfTag, StageMeasurer } from './measure';
import { chooseBuilder, planAnalysis, stageTagName } from './plan';
import { closureContextSources, contextFingerprint, instructionLineMap, readsContext, relocateStage, reusableStages, stageInputKeys } from './reuse';

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

/** Milliseconds the steps of stage `idx` took where they ran (not cached) in this analysis. */
function ownStepsMs(df: ParsedDockerfile, idx: number, timings: ReadonlyMap<number, StepTiming>): number {
  const st = df.stages[idx]!;
  let ms = 0;
  for (const [line, t] of timings) if (line >= st.line && line <= st.endLine && t.cached === false && t.durationMs !== null) ms += t.durationMs;
  return ms;
}

/** Lets items start before their deps are done: `ready(i)` says whether item i may, `watch` hands over a callback to call when that may have changed. */
export interface EarlyStart { ready: (i: number) => boolean; watch: (changed: () => void) => void }

/**
 * Runs `run(i)` for every item once the items `deps[i]` name are done (or `early` lets it),
 * at most `limit()` at a time, items started in index order among those ready.
 */
export async function runScheduled(deps: readonly number[][], limit: () => number, run: (i: number) => Promise<void>, early?: EarlyStart): Promise<void> {
  const done = new Set<number>();
  const started = new Set<number>();
  let running = 0;
  await new Promise<void>((resolveAll, rejectAll) => {
    const pump = (): void => {
      if (done.size === deps.length) { resolveAll(); return; }
      for (let i = 0; i < deps.length && running < limit(); i++) {
        if (started.has(i) || !(deps[i]!.every((d) => done.has(d)) || early?.ready(i))) continue;
        started.add(i);
        running++;
        run(i).then(() => { running--; done.add(i); pump(); }, rejectAll);
      }
    };
    early?.watch(pump);
    pump();
  });
}

export interface BuildSchedule {
  /** Per position, the positions whose builds it waits for. */
  deps: number[][];
  /** Positions that build from the cache of a sink's build (and may start early). */
  fromCache: Set<number>;
  sinks: number[];
  /** Whether two positions' builds read the same context files (or one reads none). */
  sameContextRead: (a: number, b: number) => boolean;
}

/**
 * Which builds wait for which (positions in `selected`; `reused` positions need no build). With
 * BuildKit the stages nothing else needs (the "sinks", usually just the last stage) build
 * first: one build of a sink runs its whole closure at once, independent branches side by
 * side, so the analysis costs about what `docker build` of the last stage costs; the other
 * stages then build from that cache (an export and a tag each: `fromCache`), after every sink,
 * or as soon as a running build has completed their last step (the caller's EarlyStart). Two sinks
 * that read different parts of the context build one after the other, so no file is sent
 * twice (BuildKit syncs the context per running build). Stages sharing a cache mount keep the
 * older order — each after the stages it needs and after earlier stages sharing its cache —
 * because in one build both would run side by side and the later stage could find the cache
 * empty; that order is also what the classic builder and Buildah (one build at a time) get.
 */
export function buildSchedule(df: ParsedDockerfile, selected: readonly number[], reused: ReadonlySet<number>, sinksFirst: boolean): BuildSchedule {
  const posOf = new Map(selected.map((idx, pos) => [idx, pos]));
  const caches = cacheOrder(df, selected);
  // Whether builds of two positions can run side by side without sending a file twice: they
  // read the same context files, or one of them reads none (closureContextSources, memoized).
  const reads = new Map<number, string>();
  const readOf = (pos: number): string => {
    let k = reads.get(pos);
    if (k === undefined) { k = JSON.stringify(closureContextSources(df, selected[pos]!)); reads.set(pos, k); }
    return k;
  };
  const sameContextRead = (a: number, b: number): boolean => readOf(a) === 'null' || readOf(b) === 'null' || readOf(a) === readOf(b);
  if (!sinksFirst || caches.some((c) => c.length > 0)) {
    const deps = selected.map((idx, pos) => (reused.has(pos) ? [] : [...new Set([
      ...df.stages[idx]!.dependsOn.map((d) => posOf.get(d) ?? -1).filter((p) => p >= 0 && p < pos && !reused.has(p)),
      ...caches[pos]!.filter((p) => !reused.has(p)),
    ])]));
    return { deps, fromCache: new Set(), sinks: [], sameContextRead };
  }
  // Everything some stage to be built needs, directly or through others (one walk for all).
  const needed = new Set<number>();
  const todo = selected.filter((_, pos) => !reused.has(pos)).flatMap((idx) => df.stages[idx]!.dependsOn);
  while (todo.length) {
    const i = todo.pop()!;
    if (needed.has(i)) continue;
    needed.add(i);
    todo.push(...df.stages[i]!.dependsOn);
  }
  const sinks = selected.map((_, pos) => pos).filter((pos) => !reused.has(pos) && !needed.has(selected[pos]!));
  const isSink = new Set(sinks);
  const deps = selected.map((_, pos) => {
    if (reused.has(pos)) return [];
    if (!isSink.has(pos)) return sinks;
    return sinks.filter((q) => q < pos && !sameContextRead(q, pos));
  });
  return { deps, sinks, sameContextRead, fromCache: new Set(selected.map((_, pos) => pos).filter((pos) => !reused.has(pos) && !isSink.has(pos))) };
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
  // Lines whose step a build of this analysis completed without error. A stage whose last step
  // is among them is in BuildKit's cache already: its own build (an export and a tag) starts
  // then, beside the build that ran it, instead of after it.
  const stepsDone = new Set<number>();
  let stepDone: (() => void) | null = null;
  const emit = (e: ProgressEvent): void => {
    if (e.type === 'vertex' && e.completed !== null && !e.error && e.line !== null && !stepsDone.has(e.line)) { stepsDone.add(e.line); stepDone?.(); }
    try { opts.onProgress?.(maskSecretsDeep(e, secrets)); } catch { /* a broken listener must not break the analysis */ }
  };

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
  const label = (d: number): string => df.stages[d]!.name ?? String(d);
  // Stages known to have failed: judged (`failed`), whose own build failed and is not judged
  // yet (`brokenBuilds`), or that failed inside a later stage's build and are not built yet
  // (`preFailed`: BuildKit caches no failure, building them again would only repeat it).
  const failed = new Set<number>();
  const brokenBuilds = new Set<number>();
  const preFailed = new Map<number, StageError>();
  const settled = new Set<number>();
  let globalFailure: string | null = null;
  let globalBy: number | null = null;
  // What BuildKit reported per instruction line in this analysis, from whichever stage's build
  // ran the step: with the last stage built first, its build runs the steps of the stages it needs.
  const timings = new Map<number, StepTiming>();
  const mergeTimings = (from: ReadonlyMap<number, StepTiming>): void => {
    for (const [line, t] of from) {
      const had = timings.get(line);
      if (!had || (had.cached !== false && t.cached === false)) timings.set(line, t);
    }
  };
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

  let position = 0;
  const startEvent = (idx: number): void => emit({ type: 'stage-start', stage: idx, name: df.stages[idx]!.name, builder, position: ++position, count: plan.selected.length });
  const finishEvent = (sr: StageReport): void => emit({ type: 'stage-finish', stage: sr.index, name: sr.name, imageId: sr.imageId, error: sr.error, buildMs: sr.buildMs, sizeBytes: sr.sizeBytes, ...(sr.reused ? { reused: true } : {}) });

  // Settled when a stage's outcome is known (built, reused, failed, skipped): what the stages
  // after it wait for before they judge their own result.
  const outcome = plan.selected.map(() => { let resolve!: () => void; const p = new Promise<void>((r) => { resolve = r; }); return { p, resolve }; });

  // Started now, all at once, beside the first builds: whether each reusable stage's image is
  // still in the engine (then it is reused and gets this text's tag; else it is built after the
  // stages that need it, from their cache), and what each stage's tag names before its build (a
  // cancelled build must not leave a tag over the complete image an earlier analysis left). The
  // builds do not wait for those lookups: they were asked first, and a build names its image
  // only at its very end, long after an inspect is answered.
  const reuseCheck = new Map<number, Promise<boolean>>();
  const tagBefore = new Map<number, Promise<string | null>>();
  if (!opts.signal?.aborted) {
    plan.selected.forEach((idx, pos) => {
      const stage = df.stages[idx]!;
      const tag = `${plan.repo}:${stageTagName(stage)}`;
      tagBefore.set(pos, inspectImage(conn.docker, tag).then((i) => i?.Id ?? null));
      const previous = reuse.get(idx);
      if (!previous?.imageId) return;
      reuseCheck.set(pos, (async () => {
        const info = await inspectImage(conn.docker, previous.imageId!);
        if (info?.Id !== previous.imageId) return false;
        try {
          await conn.docker.getImage(info.Id).tag({ repo: plan.repo, tag: stageTagName(stage) });
        } catch { return false; /* cannot tag: build it */ }
        const sr = report.stages[pos]!;
        Object.assign(sr, relocateStage(previous, stage, indexMap, lines), { tag, final: sr.final, inputKey: sr.inputKey });
        startEvent(idx);
        finishEvent(sr);
        settled.add(idx);
        outcome[pos]!.resolve();
        return true;
      })().catch(() => false));
    });
  }
  const depsSettled = (idx: number): Promise<unknown> => Promise.all(stageClosure(df, idx).filter((d) => d !== idx).map((d) => outcome[plan.selected.indexOf(d)]?.p));

  // Builds running now. A build that starts early (its steps already ran in one of them) must
  // read the same context files as each of them: BuildKit holds a context transfer for the build
  // that made it until that build ends, so a build asking for other files gets a transfer of its
  // own and every file is sent again (measured on 20.10 and 28.5: a 3 MB file went twice).
  const building = new Set<number>();

  // The scheduler waits for a stage's BUILD (`built`); its judgement waits for the stages it
  // needs to be judged, which may build after it (the last stage builds first).
  const judged: Promise<void>[] = [];
  let workError: unknown = null;
  const runStage = (pos: number): Promise<void> => new Promise<void>((built) => {
    judged.push(stageWork(pos, built)
      .catch((e: unknown) => { workError ??= e; })
      .finally(() => { built(); settled.add(plan.selected[pos]!); outcome[pos]!.resolve(); }));
  });
  const stageWork = async (pos: number, built: () => void): Promise<void> => {
    const idx = plan.selected[pos]!;
    const stage = df.stages[idx]!;
    const tag = `${plan.repo}:${stageTagName(stage)}`;
    const sr = report.stages[pos]!;
    if (await reuseCheck.get(pos)) return;
    if (opts.signal?.aborted) { sr.error = { message: 'not built: analysis cancelled', line: null }; return; }
    if (globalFailure) { sr.error = { message: `not built: ${globalFailure}`, line: null }; return; }
    const early = preFailed.get(idx);
    if (early) {
      startEvent(idx);
      sr.error = early;
      failed.add(idx);
      finishEvent(sr);
      return;
    }
    const failedDep = stageClosure(df, idx).find((d) => d !== idx && (failed.has(d) || brokenBuilds.has(d) || preFailed.has(d)));
    if (failedDep !== undefined) {
      sr.error = { message: `not built: depends on failed stage ${label(failedDep)}`, line: null };
      failed.add(idx);
      return;
    }

    startEvent(idx);
    measurer.prefetch(idx);
    building.add(pos);
    const out = await buildStage({ plan, conn, stage: idx, tag, builder, builderChosen: want !== 'auto', network: opts.network, signal: opts.signal, emit, transport, openTransport });
    report.engine.contextTransport = transport.current.kind;
    builder = out.builder;
    report.engine.builder = builder;
    building.delete(pos);
    sr.buildMs = out.buildMs;
    mergeTimings(out.timings);
    const { result } = out;
    // A failure is placed before the next builds start: in the stage whose instruction failed
    // (maybe one this build needed and that is not built yet), or everywhere when it is outside
    // every instruction (frontend, parse, context).
    let failure: StageError | null = null;
    if (!result.aborted && (result.error || !result.imageId)) {
      const message = result.error ?? 'build failed';
      const explained = explainBuildError(df, message, out.missingBase);
      const line = explained?.line ?? out.failLine ?? lineFromEngineError(message);
      failure = { message: explained?.message ?? message, line };
      brokenBuilds.add(idx);
      const owner = line === null ? undefined : stageClosure(df, idx).find((d) => { const st = df.stages[d]!; return line >= st.line && line <= st.endLine; });
      if (explained?.global || owner === undefined) {
        if (!globalFailure) { globalFailure = `the build failed before reaching this stage (see stage ${label(idx)})`; globalBy = idx; }
      } else if (owner !== idx && !settled.has(owner) && !preFailed.has(owner)) {
        preFailed.set(owner, failure);
      }
    }
    built();
    // The stages this one needs were built with it or are built after it; their outcome decides
    // what a failure here means, and a FROM <stage> takes its base size from them.
    await depsSettled(idx);

    if (result.aborted) {
      await removeHalfTag(conn.docker, tag, await tagBefore.get(pos) ?? null);
      sr.error = { message: 'not built: analysis cancelled', line: null };
      report.cancelled = true;
      finishEvent(sr);
      return;
    }
    if (failure) {
      failed.add(idx);
      const dep = stageClosure(df, idx).find((d) => d !== idx && failed.has(d));
      if (dep !== undefined) sr.error = { message: `not built: depends on failed stage ${label(dep)}`, line: null };
      else if (globalFailure && globalBy !== idx) sr.error = { message: `not built: ${globalFailure}`, line: null };
      else sr.error = failure;
      finishEvent(sr);
      return;
    }

    try {
      const m = await measurer.measure({ stage: idx, builtId: result.imageId!, builder, timings, earlier: report.stages });
      Object.assign(sr, { imageId: m.imageId, tag, sizeBytes: m.sizeBytes, baseSizeBytes: m.baseSizeBytes, addedBytes: m.addedBytes, pullSizeBytes: m.pullSizeBytes, layers: m.layers });
    } catch (e) {
      sr.error = { message: measureFailedMessage(engineMessage(e)), line: null };
    }
    // With BuildKit: the time its own steps took in this analysis (whichever build ran them)
    // plus its image export, not the wall time of its request (the last stage's request runs
    // the steps of every stage it needs).
    if (out.exportMs !== null) sr.buildMs = ownStepsMs(df, idx, timings) + out.exportMs;
    finishEvent(sr);
  };

  try {
    // BuildKit runs two builds at a time (the schedule: buildSchedule); classic and Buildah one.
    const limit = (): number => (builder === 'buildkit' ? Math.max(1, opts.concurrency ?? 2) : 1);
    // The schedule counts on every reusable stage being reused; one that is not (its image is
    // gone) builds after the stages that need it, from their cache.
    const sinksFirst = builder === 'buildkit';
    const candidates = new Set(reuseCheck.keys());
    const schedule = buildSchedule(df, plan.selected, sinksFirst ? candidates : new Set(), sinksFirst);
    const deps = schedule.deps.map((d, pos) => (sinksFirst && candidates.has(pos) ? schedule.sinks : d));
    const lastStep = plan.selected.map((idx) => df.stages[idx]!.instructions.filter((i) => LLB_STEP_KEYWORDS.has(i.keyword)).at(-1)?.line ?? null);
    await runScheduled(deps, limit, runStage, {
      ready: (pos) => (schedule.fromCache.has(pos) || (sinksFirst && candidates.has(pos))) && lastStep[pos] !== null && stepsDone.has(lastStep[pos]!)
        && [...building].every((other) => schedule.sameContextRead(other, pos)),
      watch: (changed) => { stepDone = changed; },
    });
    await Promise.all(judged);
  } finally {
    transport.current.close();
  }
  if (workError) throw workError;

  if (opts.signal?.aborted) report.cancelled = true;
  const contextBytes = transport.current.contextBytes();
  if (contextBytes !== undefined) report.contextBytes = contextBytes;
  report.durationMs = Date.now() - started;
  return maskSecretsDeep(report, secrets);
}
