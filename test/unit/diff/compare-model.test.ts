// The editor side of Compare with HEAD as data: `+N vs HEAD` lenses only on lines that grew and
// only while the document holds the compared text; diff lines carry their instruction's delta.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../../src/core/dockerfile/parse';
import { diffAnalyses } from '../../../src/core/diff';
import type { AnalysisReport, LayerReport, StageReport } from '../../../src/core/report';
import { compareLenses, comparisonView } from '../../../src/vscode/compareModel';

function fakeReport(text: string, sizes: Record<number, number>): AnalysisReport {
  const stages: StageReport[] = parseDockerfile(text).stages.map((s) => {
    const layers: LayerReport[] = [{ index: 0, createdBy: 'base', sizeBytes: 100, empty: false, fromBase: true, line: null, endLine: null, instruction: null, cached: null, durationMs: null }];
    for (const ins of s.instructions) layers.push({ index: layers.length, createdBy: ins.text, sizeBytes: sizes[ins.line] ?? 0, empty: !sizes[ins.line], fromBase: false, line: ins.line, endLine: ins.endLine, instruction: ins.text, cached: null, durationMs: null });
    const total = layers.reduce((a, l) => a + l.sizeBytes, 0);
    return { index: s.index, name: s.name, line: s.line, baseImage: s.baseImage, baseStage: null, imageId: 'x', sizeBytes: total, baseSizeBytes: 100, addedBytes: total - 100, buildMs: 0, layers, error: null, final: true };
  });
  return { schemaVersion: 1, dockerfile: '/D', context: '/', engine: { endpoint: 'e', version: 'v', apiVersion: 'a', builder: 'buildkit' }, startedAt: '', durationMs: 0, stages };
}

const before = 'FROM b AS app\nRUN keep\nRUN grow\nCOPY drop /d\n';
const after = 'FROM b AS app\n# note\nRUN keep\nRUN grow\nRUN new\n';
const rb = fakeReport(before, { 2: 10, 3: 1_000_000, 4: 500 });
const ra = fakeReport(after, { 3: 10, 4: 49_000_000, 5: 2_000_000 });
const diff = diffAnalyses({ text: before, report: rb }, { text: after, report: ra }, { dockerfile: '/D', base: { kind: 'git', ref: 'HEAD' } });

test('lenses on the lines that grew, at their 0-based editor line, with the base named', () => {
  const lenses = compareLenses(diff, after, after);
  assert.deepEqual(lenses.map((l) => [l.line, l.title]), [[3, '+48 MB vs HEAD'], [4, '+2 MB vs HEAD']]);
  assert.match(lenses[0]!.tooltip, /was 1 MB on line 3/);
});

test('no lens once the document differs from the compared text', () => {
  assert.deepEqual(compareLenses(diff, after, `${after}RUN more\n`), []);
  assert.equal(compareLenses(diff, after, after.replace(/\n/g, '\r\n')).length, 2, 'line endings do not count');
});

test('the comparison view: stage rows and per-line deltas on the diff lines', () => {
  const v = comparisonView(diff, { text: before, report: rb }, { text: after, report: ra });
  assert.equal(v.title, 'Compared with HEAD');
  assert.deepEqual(v.stageDeltas!.map((s) => [s.label, s.deltaBytes, s.final]), [['app', (100 + 10 + 49_000_000 + 2_000_000) - (100 + 10 + 1_000_000 + 500), true]]);
  const delta = (text: string) => v.diff.find((d) => d.text === text)!.deltaBytes;
  assert.equal(delta('RUN grow'), 48_000_000);
  assert.equal(delta('RUN new'), 2_000_000);
  assert.equal(delta('COPY drop /d'), -500);
  assert.equal(delta('RUN keep'), undefined);
});
