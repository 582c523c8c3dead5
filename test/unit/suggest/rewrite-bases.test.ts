// Which base images the editor asks the engine the size of after an analysis: the runtime bases
// of the fixes that move the final image (split, base swap), under the very reference the saving
// looks them up by.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { dockerfileHash } from '../../../src/core/hash';
import { wholeDocument } from '../../../src/core/refactor/edits';
import { analyzeDockerfile, rewriteBasesOf, type RewriteFinding } from '../../../src/core/suggest';
import { SEED } from './seed';


const asRewrite = (fs: ReturnType<typeof analyzeDockerfile>): RewriteFinding[] => fs.map((f) => ({ rule: f.id, fix: f.fix }));

test('the split of the seed runs on python:3.12-slim, asked for once although three findings share the fix', () => {
  const fs = analyzeDockerfile(SEED);
  assert.ok(fs.filter((f) => f.fix?.split).length >= 2, 'several findings carry the split');
  assert.deepEqual(rewriteBasesOf(SEED, asRewrite(fs)), ['python:3.12-slim']);
});

test('the base swap without a split names its slim base', () => {
  const text = 'FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["node", "index.js"]\n';
  const fs = analyzeDockerfile(text);
  assert.ok(fs.some((f) => f.id === 'fat-base' && f.fix && !f.fix.split), 'a fat-base swap fix');
  assert.deepEqual(rewriteBasesOf(text, asRewrite(fs)), ['node:20-slim']);
});

test('a base given by an ARG default is asked for resolved', () => {
  const text = SEED.replace('FROM python:3.12', 'ARG PY=3.12\nFROM python:${PY}');
  assert.deepEqual(rewriteBasesOf(text, asRewrite(analyzeDockerfile(text))), ['python:3.12-slim']);
});

test('fixes that keep the base (cache cleanup, USER) ask for nothing', () => {
  const fs = analyzeDockerfile(SEED).filter((f) => f.fix && !f.fix.split && f.id !== 'fat-base');
  assert.ok(fs.length > 0);
  assert.deepEqual(rewriteBasesOf(SEED, asRewrite(fs)), []);
  assert.deepEqual(rewriteBasesOf(SEED, [{ rule: 'fat-base' }]), [], 'a finding without a fix');
});

test('scratch and unresolved references are not asked for', () => {
  const to = (body: string): RewriteFinding => ({ rule: 'fat-base', fix: { edits: [{ range: wholeDocument(SEED), newText: body }] } });
  assert.deepEqual(rewriteBasesOf(SEED, [to('FROM scratch\nCOPY app /app\n'), to('ARG BASE\nFROM ${BASE}\nCOPY app /app\n')]), []);
});

test('the reference asked for is the one the saving looks up: an engine size under it is used', () => {
  const [base] = rewriteBasesOf(SEED, asRewrite(analyzeDockerfile(SEED)));
  const report = {
    schemaVersion: 2, dockerfile: '/x/Dockerfile', context: '/x', dockerfileHash: dockerfileHash(SEED),
    engine: { endpoint: 'unix:///tmp/x.sock', version: '20.10', apiVersion: '1.41', builder: 'buildkit' as const },
    startedAt: new Date(0).toISOString(), durationMs: 1,
    stages: [{
      index: 0, name: null, line: 1, baseImage: 'python:3.12', baseStage: null, imageId: 'sha256:1', sizeBytes: 670_000_000,
      baseSizeBytes: 650_000_000, addedBytes: 20_000_000, buildMs: 1, error: null,
      layers: [{ index: 0, createdBy: 'base', sizeBytes: 650_000_000, empty: false, fromBase: true, line: null, endLine: null, instruction: null, cached: null, durationMs: null }],
    }],
  };
  const split = analyzeDockerfile(SEED, { report, imageSizes: { [base!]: 148_000_000 } }).find((f) => f.fix?.split)!;
  assert.equal(split.savings?.basis, 'estimate');
  assert.match(split.savings!.how, /148 MB per the engine/);
  assert.equal(split.savings?.bytes, 670_000_000 - 148_000_000 - 20_000_000 /* venv */);
});
