import type { AnalysisReport, LayerReport, StageReport } from '../../../src/core/report';

export function layer(p: Partial<LayerReport> & { index: number }): LayerReport {
  return { createdBy: '', sizeBytes: 0, empty: false, fromBase: false, line: null, endLine: null, instruction: null, cached: null, durationMs: null, ...p };
}

export function stage(p: Partial<StageReport> & { index: number; line: number }): StageReport {
  return {
    name: null, baseImage: 'python:3.12', baseStage: null, imageId: 'sha256:x', sizeBytes: null, baseSizeBytes: null,
    addedBytes: null, buildMs: 0, layers: [], error: null, ...p,
  };
}

export function report(stages: StageReport[], durationMs = 1000): AnalysisReport {
  return {
    schemaVersion: 1, dockerfile: '/w/Dockerfile', context: '/w',
    engine: { endpoint: 'unix:///tmp/x.sock', version: '20.10.24', apiVersion: '1.41', builder: 'buildkit' },
    startedAt: '2026-01-01T00:00:00.000Z', durationMs, stages,
  };
}
