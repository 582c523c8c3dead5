import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { dockerfileHash } from '../../../src/core/hash';
import type { AnalysisReport, LayerReport } from '../../../src/core/report';
import { applyEdits } from '../../../src/core/refactor/edits';
import { analyzeDockerfile } from '../../../src/core/suggest';
import { SEED } from './seed';

const text = `FROM python:3.12
WORKDIR /app
RUN apt-get update && apt-get install -y build-essential
COPY big.bin /tmp/big.bin
RUN rm /tmp/big.bin
CMD ["python"]
`;

function layer(index: number, line: number | null, sizeBytes: number, fromBase = false): LayerReport {
  return { index, createdBy: `layer ${index}`, sizeBytes, empty: sizeBytes === 0, fromBase, line, endLine: line, instruction: null, cached: null, durationMs: null };
}

function report(hash: string): AnalysisReport {
  return {
    schemaVersion: 1, dockerfile: '/x/Dockerfile', context: '/x', dockerfileHash: hash,
    engine: { endpoint: 'unix:///tmp/x.sock', version: '20.10', apiVersion: '1.41', builder: 'buildkit' },
    startedAt: new Date(0).toISOString(), durationMs: 1,
    stages: [{
      index: 0, name: null, line: 1, baseImage: 'python:3.12', baseStage: null, imageId: 'sha256:1', sizeBytes: 1_500_000_000,
      baseSizeBytes: 1_000_000_000, addedBytes: 500_000_000, buildMs: 1,
      layers: [layer(0, null, 1_000_000_000, true), layer(1, 2, 0), layer(2, 3, 300_000_000), layer(3, 4, 150_000_000), layer(4, 5, 0)],
      error: null,
    }],
  };
}

test('measuredBytes sums the layers a finding concerns when the report matches the text', () => {
  const fs = analyzeDockerfile(text, { report: report(dockerfileHash(text)) });
  const by = (id: string): number | null | undefined => fs.find((f) => f.id === id)?.measuredBytes;
  assert.equal(by('build-tools-in-final'), 300_000_000);
  assert.equal(by('deleted-later'), 150_000_000); // the COPY layer whose bytes stay
  assert.equal(by('fat-base'), 1_000_000_000);
  assert.equal(by('root-user'), null);
});

test('a report for different text is ignored', () => {
  const fs = analyzeDockerfile(text, { report: report(dockerfileHash(text + '# changed\n')) });
  assert.ok(fs.length > 0);
  assert.ok(fs.every((f) => f.measuredBytes === null));
});

// The seed's case: the split lens said "−650 MB measured" (the fat base), while building the
// rewrite gave 670 MB → 169 MB. A saving is "measured" only once the rewrite has been built.
function seedReport(text: string, finalBytes: number, baseBytes: number, layers: LayerReport[]): AnalysisReport {
  const r = report(dockerfileHash(text));
  r.stages = [{ ...r.stages[0]!, sizeBytes: finalBytes, baseSizeBytes: baseBytes, addedBytes: finalBytes - baseBytes, layers }];
  return r;
}

const seedBefore = seedReport(SEED, 670_000_000, 650_000_000, [layer(0, null, 650_000_000, true), layer(1, 3, 15_000_000), layer(2, 5, 4_000_000), layer(3, 6, 1_000_000)]);
const splitOf = (fs: ReturnType<typeof analyzeDockerfile>) => fs.filter((f) => f.fix?.split);

test('without a build of the rewrite, the split saving is an estimate that subtracts the slim base and the kept layers', () => {
  const fs = splitOf(analyzeDockerfile(SEED, { report: seedBefore }));
  assert.ok(fs.length > 0);
  for (const f of fs) {
    assert.equal(f.savings?.basis, 'estimate');
    // 670 MB − (python:3.12-slim ≈ 125 MB + 5 MB of kept layers + the venv's ~20 MB): never the 650 MB base size.
    assert.equal(f.savings?.bytes, 670_000_000 - (125_000_000 + 5_000_000 + 20_000_000));
  }
});

test('the slim base size the engine reports replaces the typical one', () => {
  const fs = splitOf(analyzeDockerfile(SEED, { report: seedBefore, imageSizes: { 'python:3.12-slim': 150_000_000 } }));
  assert.equal(fs[0]!.savings?.bytes, 670_000_000 - (150_000_000 + 5_000_000 + 20_000_000));
  assert.match(fs[0]!.savings!.how, /per the engine/);
});

test('once the rewrite has been built, the saving is measured: the difference of the two final images', () => {
  const split = splitOf(analyzeDockerfile(SEED))[0]!;
  const rewrite = applyEdits(SEED, split.fix!.edits);
  const after = seedReport(rewrite, 169_000_000, 150_000_000, []);
  const fs = splitOf(analyzeDockerfile(SEED, { report: seedBefore, fixReports: [after] }));
  for (const f of fs) assert.deepEqual([f.savings?.basis, f.savings?.bytes], ['measured', 501_000_000]);
  // A report of some other text measures nothing.
  const other = seedReport(rewrite + '# edited\n', 100_000_000, 90_000_000, []);
  assert.equal(splitOf(analyzeDockerfile(SEED, { report: seedBefore, fixReports: [other] }))[0]!.savings?.basis, 'estimate');
});

test('without any report the saving is the static estimate, labelled so', () => {
  const f = analyzeDockerfile(SEED).find((x) => x.id === 'fat-base')!;
  assert.deepEqual([f.savings?.basis, f.savings?.bytes], ['estimate', f.estimateBytes]);
});
