// Layer-content analysis: export stream in, LayerContentsReport + a queryable LayerIndex out.
import type { Readable } from 'node:stream';
import type { LayerReport, StageReport } from '../report';
import { readImageExport, type ExportContents, type HistoryEntry } from './read';
import { layerChanges, type PathNode, type PathTrie } from './tree';
import { LayerIndex } from './query';
import { surfaceFacts } from './surface';
import type { LayerContents, LayerContentsReport, LayerSource, WastedPath } from './types';

export interface AnalyzeOptions {
  /** The name the user gave (shown in the report). */
  image: string;
  /** The stage the image was built for; links layers to Dockerfile lines. */
  stage?: Pick<StageReport, 'layers'> | null;
  /** How many wasted paths to report (default 20). */
  topWasted?: number;
  /** Per-layer change lists in the report: how many per layer (default 0 = none). */
  changesPerLayer?: number;
  signal?: AbortSignal;
}

/**
 * Which history entry made each layer tarball. The config's history lists every instruction
 * oldest first; entries with `empty_layer: true` (ENV, CMD, …) have no tarball, and the others
 * correspond IN ORDER to rootfs.diff_ids and to the manifest's Layers. When the counts disagree
 * (history is optional metadata) nothing is linked rather than something wrong.
 */
export function historyForLayers(history: readonly HistoryEntry[] | undefined, layerCount: number): Array<number | null> {
  const out: Array<number | null> = new Array(layerCount).fill(null);
  if (!history) return out;
  const nonEmpty: number[] = [];
  history.forEach((h, i) => { if (!h.empty_layer) nonEmpty.push(i); });
  if (nonEmpty.length !== layerCount) return out;
  return nonEmpty;
}

/**
 * Links history positions to the stage's LayerReports. The AnalysisReport's layers come from
 * `GET /images/{id}/history`, which the engine builds from the same config history: one row per
 * history entry. So when the counts match, history index i is `stage.layers[i]` in oldest-first
 * order (the report's `index`); otherwise non-empty layers are matched in order by `createdBy`.
 */
export function sourcesForLayers(history: readonly HistoryEntry[] | undefined, historyIdx: ReadonlyArray<number | null>, stage: Pick<StageReport, 'layers'> | null | undefined): Array<LayerSource | null> {
  const none = historyIdx.map(() => null);
  if (!stage || stage.layers.length === 0) return none;
  const ordered = [...stage.layers].sort((a, b) => a.index - b.index);
  const src = (l: LayerReport | undefined): LayerSource | null => l && l.line !== null ? { line: l.line, endLine: l.endLine, instruction: l.instruction } : null;
  if (history && ordered.length === history.length) return historyIdx.map((h) => (h === null ? null : src(ordered[h])));
  // Fallback: the report's layers that carry files, in order.
  const withFiles = ordered.filter((l) => !l.empty);
  if (withFiles.length === historyIdx.length) return withFiles.map(src);
  return none;
}

function buildReport(image: string, ex: ExportContents, opts: AnalyzeOptions, index: LayerIndex, totals: ReturnType<PathTrie['finalize']>): LayerContentsReport {
  const { trie } = ex;
  const history = ex.config?.history;
  const diffIds = ex.config?.rootfs?.diff_ids ?? [];
  const hIdx = historyForLayers(history, ex.layerBlobs.length);
  const sources = sourcesForLayers(history, hIdx, opts.stage);
  index.sources = sources;
  const changesPer = opts.changesPerLayer ?? 0;

  const layers: LayerContents[] = ex.layerBlobs.map((_b, k) => {
    const t = trie.layerTotals[k]!;
    const h = hIdx[k];
    const s = sources[k];
    const layer: LayerContents = {
      index: k,
      digest: diffIds[k] ?? (ex.layerPaths[k]!.startsWith('blobs/') ? ex.layerPaths[k]!.slice(6).replace('/', ':') : ex.layerPaths[k]!),
      archivePath: ex.layerPaths[k]!,
      sizeBytes: t.sizeBytes,
      entries: t.entries,
      files: t.stats,
      createdBy: h !== null && h !== undefined ? history?.[h]?.created_by || history?.[h]?.comment || null : null,
      historyIndex: h ?? null,
      line: s?.line ?? null,
      endLine: s?.endLine ?? null,
      instruction: s?.instruction ?? null,
    };
    if (changesPer > 0) {
      const { changes, omitted } = layerChanges(trie, k, changesPer);
      layer.changes = changes;
      layer.changesOmitted = omitted;
    }
    return layer;
  });

  const sizeBytes = layers.reduce((a, l) => a + l.sizeBytes, 0);
  const userSizeBytes = sizeBytes - (layers[0]?.sizeBytes ?? 0);
  // dive divides without a guard: 0/0 is NaN (passes every rule), x/0 is +Inf (fails).
  const ratio = totals.wastedBytes / userSizeBytes;
  return {
    schemaVersion: 1,
    image,
    layout: ex.layout,
    imageId: ex.imageId,
    layers,
    sizeBytes,
    userSizeBytes,
    efficiency: totals.efficiency,
    wastedBytes: totals.wastedBytes,
    userWastedPercent: Number.isFinite(ratio) ? ratio : null,
    reclaimableBytes: totals.reclaimableBytes,
    finalBytes: totals.finalBytes,
    fileCount: totals.fileCount,
    topWasted: topWasted(trie, sources, opts.topWasted ?? 20),
    surface: surfaceFacts(trie, ex.config, sources),
  };
}

function topWasted(trie: PathTrie, sources: ReadonlyArray<LayerSource | null>, limit: number): WastedPath[] {
  const cands: Array<{ node: PathNode; reclaim: number; keep: number }> = [];
  for (const node of trie.nodes) {
    if (node.cumulative === 0) continue;
    const live = node.live();
    const keep = live && live.type !== 'dir' ? live.size : 0;
    if (node.cumulative > keep) cands.push({ node, reclaim: node.cumulative - keep, keep });
  }
  cands.sort((a, b) => b.reclaim - a.reclaim || (a.node.path() < b.node.path() ? -1 : 1));
  return cands.slice(0, limit).map(({ node, reclaim, keep }) => {
    const writes = node.spans.filter((s) => !s.implicit && s.type !== 'dir').map((s) => ({
      layer: s.from, sizeBytes: s.size, line: sources[s.from]?.line ?? null, instruction: sources[s.from]?.instruction ?? null,
    }));
    let removedBy: WastedPath['removedBy'] = null;
    const last = node.spans[node.spans.length - 1];
    if (last && last.to !== -1) {
      removedBy = { layer: last.to, how: 'removed', line: sources[last.to]?.line ?? null, instruction: sources[last.to]?.instruction ?? null };
    } else if (node.spans.length >= 2) {
      const prev = node.spans[node.spans.length - 2]!;
      removedBy = { layer: prev.to, how: 'overwritten', line: sources[prev.to]?.line ?? null, instruction: sources[prev.to]?.instruction ?? null };
    }
    return { path: node.path(), cumulativeBytes: node.cumulative, finalBytes: keep, reclaimableBytes: reclaim, writes, removedBy };
  });
}

/** Reads an export stream and analyses it. Memory follows the number of paths, not bytes. */
export async function analyzeExport(source: Readable, opts: AnalyzeOptions): Promise<{ report: LayerContentsReport; index: LayerIndex }> {
  const ex = await readImageExport(source, { signal: opts.signal });
  const totals = ex.trie.finalize(ex.layerBlobs);
  const index = new LayerIndex(ex.trie);
  const report = buildReport(opts.image, ex, opts, index, totals);
  return { report, index };
}
