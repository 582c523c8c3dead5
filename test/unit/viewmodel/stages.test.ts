import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatDuration } from '../../../src/core/report';
import { splitBytes, stageSummaryText, summarize } from '../../../src/view/stages';
import { layer, report, stage } from './fixtures';

const builder = stage({
  index: 0, line: 1, name: 'builder', sizeBytes: 812_000_000, baseSizeBytes: 122_000_000, addedBytes: 690_000_000, buildMs: 14_000,
  layers: [
    layer({ index: 0, fromBase: true, sizeBytes: 122_000_000 }),
    layer({ index: 1, line: 2, sizeBytes: 400_000_000 }),
    layer({ index: 2, line: 3, sizeBytes: 290_000_000 }),
    layer({ index: 3, line: 4, empty: true }),
  ],
});
const runtime = stage({
  index: 1, line: 6, name: 'runtime', baseImage: 'python:3.12-slim', sizeBytes: 150_000_000, baseSizeBytes: 120_000_000, addedBytes: 30_000_000, buildMs: 2_000,
  layers: [layer({ index: 0, fromBase: true, sizeBytes: 120_000_000 }), layer({ index: 1, line: 7, sizeBytes: 30_000_000 })],
});

test('FROM lens text follows the contract: name · size (+added over base) · n layers · time', () => {
  const r = report([builder, runtime]);
  assert.equal(stageSummaryText(r, builder), `builder · ${formatBytes(812_000_000)} (+${formatBytes(690_000_000)} over python:3.12) · 3 layers · ${formatDuration(14_000)}`);
  assert.equal(stageSummaryText(r, builder), 'builder · 812 MB (+690 MB over python:3.12) · 3 layers · 14 s');
});

test('FROM lens: the pull size follows the added part where the engine knows it, and is absent otherwise', () => {
  const r = report([{ ...builder, pullSizeBytes: 61_000_000 }, runtime]);
  assert.equal(stageSummaryText(r, r.stages[0]!), 'builder · 812 MB (+690 MB over python:3.12) · pull 61 MB · 3 layers · 14 s');
  assert.equal(stageSummaryText(r, { ...builder, pullSizeBytes: null }), 'builder · 812 MB (+690 MB over python:3.12) · 3 layers · 14 s');
});

test('an unnamed stage is "stage N" and a stage built on a stage names that stage as its base', () => {
  const child = stage({ index: 1, line: 5, baseImage: 'builder', baseStage: 0, sizeBytes: 900_000_000, baseSizeBytes: 812_000_000, addedBytes: 88_000_000, layers: [layer({ index: 0, line: 6, sizeBytes: 88_000_000 })] });
  const r = report([builder, child]);
  assert.match(stageSummaryText(r, child), /^stage 1 · 900 MB \(\+88 MB over builder\) · 1 layer · /);
});

test('failed and unbuilt stages say so instead of showing sizes', () => {
  const failed = stage({ index: 0, line: 1, error: { message: 'exit code 127\nmore', line: 3 } });
  const r = report([failed]);
  assert.equal(stageSummaryText(r, failed), 'stage 0 · failed at line 3: exit code 127');
  const unbuilt = stage({ index: 0, line: 1 });
  assert.equal(stageSummaryText(report([unbuilt]), unbuilt), 'stage 0 · not built');
});

test('base/added split falls back to the base layers when the report has no base size', () => {
  const s = stage({ index: 0, line: 1, sizeBytes: 100, layers: [layer({ index: 0, fromBase: true, sizeBytes: 60 }), layer({ index: 1, sizeBytes: 40, line: 2 })] });
  assert.deepEqual(splitBytes(s), { base: 60, added: 40 });
  assert.deepEqual(splitBytes(stage({ index: 0, line: 1 })), { base: 0, added: 0 });
});

test('summary reports the final stage (the last, or the one marked final)', () => {
  const r = report([builder, runtime], 16_000);
  assert.deepEqual(summarize(r), {
    finalBytes: 150_000_000, finalLayers: 2, buildMs: 16_000,
    stages: [{ label: 'builder', sizeBytes: 812_000_000, final: false }, { label: 'runtime', sizeBytes: 150_000_000, final: true }],
  });
  const marked = report([{ ...builder, final: true }, runtime]);
  assert.equal(summarize(marked).finalBytes, 812_000_000);
});
