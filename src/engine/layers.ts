// Glue for the layer-content analysis: inspect the image, stream its export into the pure
// analysis (src/core/layers), and link layers to Dockerfile lines when we can tell which stage
// of which Dockerfile made the image — from an AnalysisReport, or from the labels Stage Lens
// puts on the stage images it builds.
import type Dockerode from 'dockerode';
import { readFile } from 'node:fs/promises';
import { analyzeExport } from '../core/layers/analyze';
import type { LayerIndex } from '../core/layers/query';
import type { LayerContentsReport } from '../core/layers/types';
import { parseDockerfile } from '../core/dockerfile/parse';
import { dockerfileHash } from '../core/hash';
import { LABEL_PREFIX, mapHistoryToLayers } from '../core/layermap';
import type { AnalysisReport, BuilderKind, StageReport } from '../core/report';
import { inspectImageSummary, openImageExport, type ImageSummary } from './export';

export interface LayerAnalysisOptions {
  /** An analysis whose stages may include this image (matched by image id). */
  analysis?: AnalysisReport | null;
  /** The stage directly, when the caller knows it. */
  stage?: Pick<StageReport, 'layers'> | null;
  /** Per-layer change lists in the report (default 0: none; the LayerIndex has them all). */
  changesPerLayer?: number;
  topWasted?: number;
  signal?: AbortSignal;
}

export interface LayerAnalysis {
  report: LayerContentsReport;
  index: LayerIndex;
  image: ImageSummary;
  /** Where the Dockerfile lines came from, or null when layers are not linked to lines. */
  linkedBy: 'analysis' | 'labels' | null;
}

/** Analyses one image's layer contents. Throws ImageNotFoundError for unknown images. */
export async function analyzeImageLayers(docker: Dockerode, ref: string, opts: LayerAnalysisOptions = {}): Promise<LayerAnalysis> {
  const image = await inspectImageSummary(docker, ref, opts.signal);
  let stage = opts.stage ?? null;
  let linkedBy: LayerAnalysis['linkedBy'] = stage ? 'analysis' : null;
  if (!stage && opts.analysis) {
    stage = opts.analysis.stages.find((s) => s.imageId === image.id) ?? null;
    if (stage) linkedBy = 'analysis';
  }
  if (!stage) {
    stage = await stageFromLabels(docker, image, opts.signal).catch(() => null);
    if (stage) linkedBy = 'labels';
  }
  const stream = await openImageExport(docker, image.id, opts.signal);
  const { report, index } = await analyzeExport(stream, {
    image: ref, stage, signal: opts.signal, changesPerLayer: opts.changesPerLayer, topWasted: opts.topWasted,
  });
  if (!report.imageId) report.imageId = image.id;
  if (!linkedBy || report.layers.every((l) => l.line === null)) linkedBy = null;
  return { report, index, image, linkedBy };
}

/**
 * Images Stage Lens built carry the Dockerfile path, stage and Dockerfile hash as labels. When
 * the file on disk still hashes the same, its history maps to lines exactly as the analysis did.
 */
async function stageFromLabels(docker: Dockerode, image: ImageSummary, signal?: AbortSignal): Promise<Pick<StageReport, 'layers'> | null> {
  const path = image.labels[`${LABEL_PREFIX}dockerfile`];
  const labelledStage = image.labels[`${LABEL_PREFIX}stage`];
  const hash = image.labels[`${LABEL_PREFIX}hash`];
  if (!path || labelledStage === undefined || !hash) return null;
  const text = await readFile(path, 'utf8');
  if (dockerfileHash(text) !== hash) return null;
  const df = parseDockerfile(text);
  const st = df.stages.find((s) => s.name === labelledStage) ?? df.stages[Number(labelledStage)];
  if (!st) return null;
  // dockerode's history() takes only a callback: an options argument would be taken for one.
  if (signal?.aborted) return null;
  const rows = (await docker.getImage(image.id).history()) as Array<{ CreatedBy: string; Size: number; Id: string; Comment: string }>;
  const history = rows.slice().reverse().map((h) => ({ createdBy: h.CreatedBy ?? '', sizeBytes: h.Size ?? 0, id: h.Id, comment: h.Comment }));
  const builder: BuilderKind = history.some((h) => /# buildkit$/.test(h.createdBy)) ? 'buildkit' : 'classic';
  return { layers: mapHistoryToLayers({ df, stage: st.index, builder, history, rootBaseLayers: null }) };
}
