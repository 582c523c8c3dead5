// dive CI rules (.dive-ci) and the paged tree queries the panel uses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateCi, parseBytes, parseDiveCi } from '../../../src/core/layers/ci';
import { analyzeExport } from '../../../src/core/layers/analyze';
import { chunked, dockerSave, type SynthEntry } from './synth';

describe('.dive-ci rules', () => {
  it('reads camelCase and kebab-case keys under rules:, with comments and quotes', () => {
    const { rules, errors } = parseDiveCi('# ci\nrules:\n  lowestEfficiency: 0.95 # strict\n  highest-wasted-bytes: "20MB"\n  highest-user-wasted-percent: disabled\nother:\n  lowestEfficiency: 0.1\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(rules, { lowestEfficiency: '0.95', highestWastedBytes: '20MB', highestUserWastedPercent: 'disabled' });
  });

  it('parses byte sizes like humanize.ParseBytes (decimal and binary units)', () => {
    assert.equal(parseBytes('1000'), 1000);
    assert.equal(parseBytes('20MB'), 20_000_000);
    assert.equal(parseBytes('20 MiB'), 20 * 1024 * 1024);
    assert.equal(parseBytes('1.5kB'), 1500);
    assert.equal(parseBytes('lots'), null);
  });

  const report = { efficiency: 0.8, wastedBytes: 30_000_000, userSizeBytes: 100_000_000, userWastedPercent: 0.3 };

  it("applies dive's defaults (0.9, disabled, 0.1) and fails naming the rules", () => {
    const r = evaluateCi(report, {});
    assert.equal(r.pass, false);
    assert.deepEqual(r.results.map((x) => [x.rule, x.status]), [['lowestEfficiency', 'fail'], ['highestWastedBytes', 'skip'], ['highestUserWastedPercent', 'fail']]);
    assert.match(r.results[0]!.message, /efficiency=0.8 < threshold=0.9/);
  });

  it('passes when thresholds allow, and compares wasted bytes strictly greater', () => {
    const r = evaluateCi(report, { lowestEfficiency: '0.8', highestWastedBytes: '30MB', highestUserWastedPercent: '0.3' });
    assert.equal(r.pass, true);
    assert.equal(evaluateCi(report, { lowestEfficiency: 'disabled', highestWastedBytes: '29999999', highestUserWastedPercent: 'disabled' }).pass, false);
  });

  it('an invalid or out-of-range value is a misconfiguration and fails without evaluating', () => {
    const r = evaluateCi(report, { lowestEfficiency: '1.5' });
    assert.equal(r.pass, false);
    assert.equal(r.misconfigured, true);
    assert.equal(evaluateCi(report, { highestWastedBytes: 'much' }).misconfigured, true);
  });

  it("follows dive's unguarded ratio: no user bytes and no waste passes, waste with no user bytes fails", () => {
    assert.equal(evaluateCi({ efficiency: 1, wastedBytes: 0, userSizeBytes: 0, userWastedPercent: null }, {}).pass, true);
    assert.equal(evaluateCi({ efficiency: 1, wastedBytes: 5, userSizeBytes: 0, userWastedPercent: null }, {}).pass, false);
  });
});

describe('tree queries', () => {
  it('pages, filters and sorts one directory at a time over many files', async () => {
    const n = 2500;
    const l0: SynthEntry[] = [{ name: 'data/', type: 'directory' }];
    for (let i = 0; i < n; i++) l0.push({ name: `data/f${String(i).padStart(4, '0')}`, size: i % 50 });
    const l1: SynthEntry[] = [{ name: 'data/', type: 'directory' }, { name: 'data/.wh.f0000' }, { name: 'data/f0001', size: 999 }, { name: 'data/new', size: 5 }];
    const { index } = await analyzeExport(chunked(await dockerSave({ layers: [l0, l1] })), { image: 'x' });
    assert.equal(index.layerCount, 2);

    const p1 = index.list({ layer: 1, view: 'merged', dir: '/data', sort: 'name', offset: 0, limit: 100 });
    assert.equal(p1.total, n + 1);
    assert.equal(p1.entries.length, 100);
    assert.equal(p1.entries[0]!.name, 'f0000');
    assert.equal(p1.entries[0]!.change, 'removed');
    const last = index.list({ layer: 1, view: 'merged', dir: '/data', sort: 'name', offset: n, limit: 100 });
    assert.deepEqual(last.entries.map((e) => e.name), ['new']);

    const changed = index.list({ layer: 1, view: 'merged', dir: '/data', changes: ['added', 'modified', 'removed'], sort: 'size', descending: true });
    assert.deepEqual(changed.entries.map((e) => [e.name, e.change, e.sizeBytes]), [['f0001', 'modified', 999], ['new', 'added', 5], ['f0000', 'removed', 0]]);

    const layerView = index.list({ layer: 1, view: 'layer', dir: '/data' });
    assert.equal(layerView.total, 3);
    const root = index.list({ layer: 1, view: 'merged', dir: '/' });
    const expected = Array.from({ length: n }, (_v, i) => (i === 0 ? 0 : i === 1 ? 999 : i % 50)).reduce((a, b) => a + b, 0) + 5;
    assert.equal(root.entries[0]!.sizeBytes, expected);
    assert.equal(root.entries[0]!.change, 'modified');
    assert.equal(index.list({ layer: 0, view: 'merged', dir: '/data', nameContains: 'F249' }).total, 10);
    assert.equal(index.list({ layer: 0, view: 'merged', dir: '/nope' }).total, 0);
    const ch = index.changes(1, 2);
    assert.equal(ch.changes.length, 2);
    assert.equal(ch.omitted, 1);
  });
});
