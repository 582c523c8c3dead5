import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { dockerfileHash } from '../../../src/core/hash';
import type { AnalysisReport, LayerReport } from '../../../src/core/report';
import { analyzeDockerfile } from '../../../src/core/suggest';

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
