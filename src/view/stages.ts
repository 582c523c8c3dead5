// Stage and layer figures every view shows (lenses, tree, status bar, panel), computed in one
// place so they agree. No `vscode` and no Node APIs: the webview bundle imports this too.
import { finalStage, formatBytes, formatDuration, type AnalysisReport, type LayerReport, type StageReport } from '../core/report';
import type { ReportSummary } from './protocol';
import { firstLineOf } from '../core/firstLine';

export function stageLabel(s: Pick<StageReport, 'name' | 'index'>): string {
  return s.name ?? `stage ${s.index}`;
}

/** What a stage was built on: its base stage's label, or the base image reference. */
export function baseLabel(report: AnalysisReport, s: StageReport): string {
  if (s.baseStage !== null) {
    const b = report.stages.find((x) => x.index === s.baseStage);
    if (b) return stageLabel(b);
  }
  return s.baseImage;
}

/** Filesystem layers (the ones `RootFS.Layers` lists); metadata-only history entries do not count. */
export function filesystemLayers(s: Pick<StageReport, 'layers'>): LayerReport[] {
  return s.layers.filter((l) => !l.empty);
}

export function isFinal(report: AnalysisReport, s: StageReport): boolean {
  return finalStage(report)?.index === s.index;
}

/** Bytes that came with FROM vs bytes the stage's own instructions added. */
export function splitBytes(s: StageReport): { base: number; added: number } {
  if (s.sizeBytes === null) return { base: 0, added: 0 };
  const base = s.baseSizeBytes ?? s.layers.filter((l) => l.fromBase).reduce((a, l) => a + l.sizeBytes, 0);
  const added = s.addedBytes ?? Math.max(0, s.sizeBytes - base);
  return { base: Math.max(0, s.sizeBytes - added), added };
}

/**
 * `builder · 812 MB (+690 MB over python:3.12) · 6 layers · 14 s` (the contract's FROM lens),
 * `… · 14 s · reused` for a stage the analysis kept from the previous one (its build time then);
 * where the engine knows the compressed size: `… (+690 MB over python:3.12) · pull 260 MB · …`.
 */
export function stageSummaryText(report: AnalysisReport, s: StageReport): string {
  const label = stageLabel(s);
  if (s.error) return `${label} · failed${s.error.line ? ` at line ${s.error.line}` : ''}: ${firstLineOf(s.error.message, 120)}`;
  if (s.sizeBytes === null) return `${label} · not built`;
  const { added } = splitBytes(s);
  const n = filesystemLayers(s).length;
  const pull = typeof s.pullSizeBytes === 'number' ? ` · pull ${formatBytes(s.pullSizeBytes)}` : '';
  return `${label} · ${formatBytes(s.sizeBytes)} (+${formatBytes(added)} over ${baseLabel(report, s)})${pull} · ${n} ${n === 1 ? 'layer' : 'layers'} · ${formatDuration(s.buildMs)}${s.reused ? ' · reused' : ''}`;
}

export function summarize(report: AnalysisReport): ReportSummary {
  const fin = finalStage(report);
  return {
    finalBytes: fin?.sizeBytes ?? null,
    finalLayers: fin ? filesystemLayers(fin).length : 0,
    buildMs: report.durationMs,
    stages: report.stages.map((s) => ({ label: stageLabel(s), sizeBytes: s.sizeBytes, final: fin?.index === s.index })),
  };
}
