// Builds a Dockerfile stage by stage and measures each stage: one build per stage (`target`),
// in stage order, so every build after the first reuses the engine's cache and all stages cost
// little more than one build of the last stage. Each stage image gets a deterministic tag and
// Stage Lens labels; its size, base size and history (mapped to Dockerfile lines) make the
// StageReport. The parts: plan.ts (input, stages, names), build-stage.ts (one build),
// measure.ts (sizes and layers), errors.ts (what engine errors mean). This file only
// sequences them and decides what a stage's outcome means for the stages after it.
//
// Cancellation: when `signal` aborts, the running build's HTTP request is closed (the engine
// cancels the build), any tag that build may have applied is removed, and analyzeStages
// RESOLVES with a report whose `cancelled` is true: stages finished before the abort keep
// their measurements, the others carry the error "not built: analysis cancelled".
import { stageClosure } from '../core/dockerfile/parse';
import { lineFromEngineError } from '../core/layermap';
import { SCHEMA_VERSION, type AnalysisReport, type StageReport } from '../core/report';
import { maskSecretsDeep } from '../core/secrets';
import { engineMessage } from './build';
import { buildStage, type ProgressEvent } from './build-stage';
import type { EngineConnection } from './connection';
import { explainBuildError, measureFailedMessage } from './errors';
import { inspectImage, removeHalfTag, StageMeasurer } from './measure';
import { chooseBuilder, planAnalysis, stageTagName } from './plan';

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
  let contextBytes: number | undefined;

  for (let pos = 0; pos < plan.selected.length; pos++) {
    const idx = plan.selected[pos]!;
    const stage = df.stages[idx]!;
    const tag = `${plan.repo}:${stageTagName(stage)}`;
    const sr: StageReport = {
      index: idx, name: stage.name, line: stage.line, endLine: stage.endLine, baseImage: stage.resolvedBaseImage, baseStage: stage.baseStage,
      imageId: null, tag: null, sizeBytes: null, baseSizeBytes: null, addedBytes: null, pullSizeBytes: null, buildMs: 0, layers: [], error: null,
      final: idx === plan.targetIdx,
    };
    report.stages.push(sr);
    const finish = (): void => emit({ type: 'stage-finish', stage: idx, name: stage.name, imageId: sr.imageId, error: sr.error, buildMs: sr.buildMs, sizeBytes: sr.sizeBytes });

    if (opts.signal?.aborted) { sr.error = { message: 'not built: analysis cancelled', line: null }; continue; }
    if (globalFailure) { sr.error = { message: `not built: ${globalFailure}`, line: null }; continue; }
    const failedDep = stageClosure(df, idx).find((d) => d !== idx && failed.has(d));
    if (failedDep !== undefined) {
      sr.error = { message: `not built: depends on failed stage ${failed.get(failedDep)}`, line: null };
      failed.set(idx, stage.name ?? String(idx));
      continue;
    }

    emit({ type: 'stage-start', stage: idx, name: stage.name, builder, position: pos + 1, count: plan.selected.length });
    const before = await inspectImage(conn.docker, tag);
    let out = await buildStage({ plan, conn, stage: idx, tag, builder, network: opts.network, signal: opts.signal, emit });
    // The engine may claim BuildKit through its API version yet have it switched off.
    if (want === 'auto' && out.buildkitUnavailable) {
      builder = 'classic';
      report.engine.builder = builder;
      const firstMs = out.buildMs;
      out = await buildStage({ plan, conn, stage: idx, tag, builder, network: opts.network, signal: opts.signal, emit });
      out.buildMs += firstMs;
    }
    sr.buildMs = out.buildMs;
    contextBytes ??= out.contextBytes;
    const { result } = out;

    if (result.aborted) {
      await removeHalfTag(conn.docker, tag, before?.Id ?? null);
      sr.error = { message: 'not built: analysis cancelled', line: null };
      report.cancelled = true;
      finish();
      continue;
    }
    if (result.error || !result.imageId) {
      const message = result.error ?? 'build failed';
      const explained = explainBuildError(df, message, out.missingBase);
      const line = explained?.line ?? out.failLine ?? lineFromEngineError(message);
      sr.error = { message: explained?.message ?? message, line };
      failed.set(idx, stage.name ?? String(idx));
      // A failure outside any instruction of this stage (frontend, parse, context) fails every stage alike.
      const inStage = line !== null && stageClosure(df, idx).some((d) => { const s = df.stages[d]!; return line >= s.line && line <= s.endLine; });
      if (explained?.global || !inStage) globalFailure = `the build failed before reaching this stage (see stage ${stage.name ?? idx})`;
      finish();
      continue;
    }

    try {
      const m = await measurer.measure({ stage: idx, builtId: result.imageId, builder, timings: out.timings, earlier: report.stages });
      Object.assign(sr, { imageId: m.imageId, tag, sizeBytes: m.sizeBytes, baseSizeBytes: m.baseSizeBytes, addedBytes: m.addedBytes, pullSizeBytes: m.pullSizeBytes, layers: m.layers });
    } catch (e) {
      sr.error = { message: measureFailedMessage(engineMessage(e)), line: null };
    }
    finish();
  }

  if (opts.signal?.aborted) report.cancelled = true;
  if (contextBytes !== undefined) report.contextBytes = contextBytes;
  report.durationMs = Date.now() - started;
  return maskSecretsDeep(report, secrets);
}
