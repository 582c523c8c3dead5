// A stage the analysis kept from the previous one says so in the FROM lens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stageSummaryText } from '../../../src/view/stages';
import { layer, report, stage } from '../viewmodel/fixtures';

test('FROM lens: a reused stage ends with "reused", a built one does not', () => {
  const s = stage({ index: 0, line: 1, name: 'base', sizeBytes: 2_000_000, baseSizeBytes: 1_000_000, addedBytes: 1_000_000, buildMs: 3_000, layers: [layer({ index: 0, fromBase: true, sizeBytes: 1_000_000 }), layer({ index: 1, line: 2, sizeBytes: 1_000_000 })] });
  const r = report([{ ...s, reused: true }]);
  assert.equal(stageSummaryText(r, r.stages[0]!), 'base · 2 MB (+1 MB over python:3.12) · 2 layers · 3 s · reused');
  assert.ok(!stageSummaryText(report([s]), s).includes('reused'));
});
