// `.stagelens.yml` parsing (errors name the key and the line) and budget evaluation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateBudgets, parseBudgets, type DiffReport } from '../../../src/core/diff';
import type { AnalysisReport } from '../../../src/core/report';

const CONFIG = `# budgets
version: 1
final:
  maxSize: 50MB
  maxGrowth: 10%
stages:
  builder:
    maxSize: 1.2GB
    maxGrowth: 5MB
layers:
  highest-wasted-bytes: 20MB
`;

test('parses sizes, percentages and dive rules, remembering the line of each', () => {
  const c = parseBudgets(CONFIG);
  assert.deepEqual(c.final.maxSize, { value: 50_000_000, line: 4, key: 'final.maxSize' });
  assert.deepEqual(c.final.maxGrowth, { value: { percent: 10 }, line: 5, key: 'final.maxGrowth' });
  assert.equal(c.stages[0]!.stage, 'builder');
  assert.equal(c.stages[0]!.maxSize!.value, 1_200_000_000);
  assert.deepEqual(c.stages[0]!.maxGrowth!.value, { bytes: 5_000_000 });
  assert.deepEqual(c.layers, { highestWastedBytes: { value: '20MB', line: 11, key: 'layers.highest-wasted-bytes' } });
  assert.deepEqual(parseBudgets(''), { final: {}, stages: [], layers: null });
});

test('validation errors name the file, the line and the key', () => {
  const bad = (text: string): string => { try { parseBudgets(text); return 'no error'; } catch (e) { return (e as Error).message; } };
  assert.equal(bad('final:\n  maxSize: 20 XB\n'), '.stagelens.yml:2: final.maxSize: "20 XB" is not a size; use bytes or a size with a unit, e.g. 150MB, 1.5GB, 512MiB');
  assert.match(bad('stages:\n  app:\n    maxSise: 1MB\n'), /^\.stagelens\.yml:3: stages\.app\.maxSise: unknown key; stages\.app takes maxSize and maxGrowth$/);
  assert.match(bad('finale:\n  maxSize: 1MB\n'), /^\.stagelens\.yml:1: finale: unknown key/);
  assert.match(bad('layers:\n  lowestEfficiency: 1.5\n'), /^\.stagelens\.yml:2: layers\.lowestEfficiency: .*outside allowed range/);
  assert.match(bad('final: 12\n'), /^\.stagelens\.yml:1: final: expected a mapping/);
  assert.match(bad('final:\n  maxSize: [1]\n'), /^\.stagelens\.yml:2: final\.maxSize: expected a value/);
  assert.match(bad('version: 2\n'), /version 2 is not supported/);
  assert.match(bad('final:\n  maxSize: 1MB\n  maxSize: 2MB\n'), /^\.stagelens\.yml:3: not valid YAML/);
});

function report(sizes: Record<string, number>): AnalysisReport {
  const names = Object.keys(sizes);
  return {
    schemaVersion: 1, dockerfile: '/D', context: '/', engine: { endpoint: 'e', version: 'v', apiVersion: 'a', builder: 'buildkit' }, startedAt: '', durationMs: 0,
    stages: names.map((n, i) => ({ index: i, name: n, line: i + 1, baseImage: 'b', baseStage: null, imageId: 'x', sizeBytes: sizes[n]!, baseSizeBytes: 0, addedBytes: sizes[n]!, buildMs: 0, layers: [], error: null, final: i === names.length - 1 })),
  };
}

function diffFrom(before: Record<string, number>, after: Record<string, number>): DiffReport {
  const side = (sizes: Record<string, number>, n: string) => ({ index: Object.keys(sizes).indexOf(n), name: n, line: 1, baseImage: 'b', sizeBytes: sizes[n]!, error: null });
  const names = Object.keys(after);
  const last = names[names.length - 1]!;
  return {
    schemaVersion: 1, kind: 'stagelens-diff', dockerfile: '/D', base: { kind: 'git', ref: 'HEAD' }, engine: { endpoint: 'e', version: 'v' },
    final: { before: side(before, last), after: side(after, last), deltaBytes: after[last]! - before[last]!, files: null },
    stages: names.map((n) => ({ status: 'same', matchedBy: 'name', before: side(before, n), after: side(after, n), deltaBytes: after[n]! - before[n]!, final: n === last, lines: [] })),
  };
}

test('one line per broken budget; growth against the base; no base: growth skipped, not failed', () => {
  const cfg = parseBudgets('final:\n  maxSize: 50MB\n  maxGrowth: 10%\nstages:\n  builder:\n    maxGrowth: 5MB\n');
  const after = { builder: 900_000_000, app: 60_000_000 };
  const r = evaluateBudgets(cfg, { report: report(after), diff: diffFrom({ builder: 890_000_000, app: 50_000_000 }, after), layers: null, baseLabel: 'HEAD', file: '.stagelens.yml' });
  assert.deepEqual(r.broken, [
    'final image is 60 MB, over final.maxSize 50 MB (.stagelens.yml:2)',
    'final image grew +10 MB (+20%) vs HEAD, over final.maxGrowth 10% (.stagelens.yml:3)',
    'stage builder grew +10 MB (+1.1%) vs HEAD, over stages.builder.maxGrowth 5 MB (.stagelens.yml:6)',
  ]);
  const ok = evaluateBudgets(cfg, { report: report({ builder: 1, app: 40_000_000 }), diff: diffFrom({ builder: 1, app: 40_000_000 }, { builder: 1, app: 40_000_000 }), layers: null, baseLabel: 'HEAD', file: '.stagelens.yml' });
  assert.deepEqual(ok.broken, []);
  assert.equal(ok.passed, 3);
  const noBase = evaluateBudgets(cfg, { report: report({ builder: 1, app: 40_000_000 }), diff: null, layers: null, baseLabel: 'HEAD', file: '.stagelens.yml' });
  assert.deepEqual(noBase.broken, []);
  assert.equal(noBase.skipped.length, 2);
});

test('layer rules use dive semantics on the final image contents', () => {
  const cfg = parseBudgets('layers:\n  highestWastedBytes: 1MB\n  lowestEfficiency: disabled\n  highestUserWastedPercent: disabled\n');
  const layers = { efficiency: 0.5, wastedBytes: 3_000_000, userWastedPercent: 0.3, userSizeBytes: 10_000_000 };
  const r = evaluateBudgets(cfg, { report: report({ app: 1 }), diff: null, layers: layers as never, baseLabel: 'HEAD', file: 'b.yml' });
  assert.deepEqual(r.broken, ['final image layers: too many bytes wasted (wasted-bytes=3000000 > threshold=1000000) (b.yml:2)']);
});
