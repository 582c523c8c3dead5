// Builds a Dockerfile twice — as it was (a git revision or another file) and as it is — on the
// same engine, so the second build reuses every cached step the two texts share, then compares
// the two analyses (src/core/diff) and, when asked, the files of the two final images.
// Both texts build against the CURRENT build context: the base side measures the old
// Dockerfile, not the old checkout.
import type { LayerContentsReport } from '../core/layers/types';
import { diffAnalyses, diffFiles, finalFiles, type DiffReport, type FilesDiff } from '../core/diff';
import { finalStage, type AnalysisReport } from '../core/report';
import { analyzeStages, type ProgressEvent } from './analyze';
import type { EngineConnection } from './connection';
import { analyzeImageLayers } from './layers';

export interface CompareOptions {
  dockerfilePath: string;
  contextDir: string;
  /** The Dockerfile as it is (defaults to the file on disk). */
  text: string;
  baseText: string;
  base: DiffReport['base'];
  connection: EngineConnection;
  buildArgs?: Record<string, string>;
  builder?: 'auto' | 'buildkit' | 'classic';
  network?: string;
  target?: string;
  signal?: AbortSignal;
  onProgress?: (side: 'base' | 'current', e: ProgressEvent) => void;
  /** Biggest files added/removed to list; 0 skips reading the final images' contents. */
  topFiles?: number;
  /** Also return the layer analysis of the current final image (for the layer-waste budgets). */
  wantLayers?: boolean;
}

export interface CompareResult {
  diff: DiffReport;
  before: AnalysisReport;
  after: AnalysisReport;
  /** The current final image's layer analysis, when asked for and built. */
  layers: LayerContentsReport | null;
}

export async function compareDockerfile(o: CompareOptions): Promise<CompareResult> {
  const common = {
    dockerfilePath: o.dockerfilePath, contextDir: o.contextDir, buildArgs: o.buildArgs, builder: o.builder,
    network: o.network, target: o.target, connection: o.connection, signal: o.signal,
  };
  const before = await analyzeStages({ ...common, text: o.baseText, onProgress: (e) => o.onProgress?.('base', e) });
  if (before.cancelled) throw o.signal?.reason instanceof Error ? o.signal.reason : new Error('Cancelled.');
  const after = await analyzeStages({ ...common, text: o.text, onProgress: (e) => o.onProgress?.('current', e) });
  if (after.cancelled) throw o.signal?.reason instanceof Error ? o.signal.reason : new Error('Cancelled.');

  const finB = finalStage(before);
  const finA = finalStage(after);
  let files: FilesDiff | null = null;
  let layers: LayerContentsReport | null = null;
  const top = o.topFiles ?? 10;
  if ((top > 0 || o.wantLayers) && finA?.imageId) {
    const a = await analyzeImageLayers(o.connection.docker, finA.imageId, { stage: finA, signal: o.signal, topWasted: 10 });
    layers = o.wantLayers ? a.report : null;
    if (top > 0 && finB?.imageId) {
      const b = finB.imageId === finA.imageId ? a : await analyzeImageLayers(o.connection.docker, finB.imageId, { stage: finB, signal: o.signal, topWasted: 0 });
      files = diffFiles(finalFiles(b.index), finalFiles(a.index), top);
    }
  }
  const diff = diffAnalyses({ text: o.baseText, report: before }, { text: o.text, report: after }, { dockerfile: o.dockerfilePath, base: o.base, files });
  return { diff, before, after, layers };
}
