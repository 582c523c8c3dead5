// One notion of "the same Dockerfile" (issue 14, bug 2): the engine's report hash, the
// suggester's measured savings and the editor's staleness all go through core/hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerfileHash, normalizeDockerfileText, sameDockerfileText } from '../../../src/core/hash';
import { analyzeDockerfile } from '../../../src/core/suggest';
import { SCHEMA_VERSION, type AnalysisReport } from '../../../src/core/report';

const TEXT = 'FROM python:3.12\nRUN apt-get update && apt-get install -y build-essential\nCOPY . .\nCMD ["python", "app.py"]\n';
const BOM = '\uFEFF';

test('a byte-order mark and CRLF line endings do not change the hash', () => {
  const h = dockerfileHash(TEXT);
  assert.equal(dockerfileHash(BOM + TEXT), h);
  assert.equal(dockerfileHash(TEXT.replace(/\n/g, '\r\n')), h);
  assert.equal(dockerfileHash(BOM + TEXT.replace(/\n/g, '\r\n')), h);
  assert.notEqual(dockerfileHash(TEXT + 'USER app\n'), h, 'a real change changes the hash');
});

test('normalisation drops only a leading BOM', () => {
  assert.equal(normalizeDockerfileText(`${BOM}FROM a\r\n`), 'FROM a\n');
  assert.equal(normalizeDockerfileText(`FROM a\n#${BOM}\n`), `FROM a\n#${BOM}\n`);
});

test('staleness: a report made from the BOM text still describes the text without it', () => {
  assert.ok(sameDockerfileText(BOM + TEXT, TEXT));
  assert.ok(!sameDockerfileText(TEXT, TEXT.replace('COPY . .', 'COPY app.py .')));
});

test('a Dockerfile with a BOM gets measured savings from a report of its own text', () => {
  const text = BOM + TEXT;
  // The report as the engine writes it: hash of the file's text, base size measured.
  const report: AnalysisReport = {
    schemaVersion: SCHEMA_VERSION, dockerfile: '/x/Dockerfile', context: '/x', dockerfileHash: dockerfileHash(text),
    engine: { endpoint: 'unix:///x', version: '20.10', apiVersion: '1.41', builder: 'buildkit' },
    startedAt: new Date(0).toISOString(), durationMs: 1,
    stages: [{
      index: 0, name: null, line: 1, endLine: 4, baseImage: 'python:3.12', baseStage: null, imageId: 'sha256:1', sizeBytes: 700_000_000,
      baseSizeBytes: 650_000_000, addedBytes: 50_000_000, buildMs: 1, error: null, final: true,
      layers: [{ index: 0, createdBy: 'RUN apt-get', sizeBytes: 50_000_000, empty: false, fromBase: false, line: 2, endLine: 2, instruction: 'RUN apt-get update && apt-get install -y build-essential', cached: false, durationMs: 1 }],
    }],
  };
  const findings = analyzeDockerfile(text, { report });
  assert.ok(findings.length > 0, 'the single-stage text has findings');
  assert.ok(findings.some((f) => f.measuredBytes !== null), `some finding carries a measured number: ${JSON.stringify(findings.map((f) => [f.id, f.measuredBytes]))}`);
});
