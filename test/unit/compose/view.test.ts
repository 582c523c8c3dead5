// The editor's compose surfaces as data: lenses on each service's build: and the panel's
// compose view; and the host's validation of compose messages from the webview.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseComposeFile, resolveProject, analyzeServices } from '../../../src/core/compose';
import type { AnalysisReport } from '../../../src/core/report';
import { parseWebviewMessage } from '../../../src/view/protocol';
import { composeLenses, composeView } from '../../../src/vscode/composeModel';

const TEXT = `# demo
services:
  web:
    build:
      context: .
      target: runtime
  db:
    image: postgres
  tool:
    build: ./tool
`;

function fakeReport(size: number, pull?: number): AnalysisReport {
  const stage = { index: 0, name: 'runtime', line: 1, baseImage: 'b', baseStage: null, imageId: 'i', sizeBytes: size, baseSizeBytes: 0, addedBytes: size, buildMs: 1500, layers: [], error: null, final: true };
  return { schemaVersion: 1, dockerfile: '/p/Dockerfile', context: '/p', engine: { endpoint: 'x', version: '1', apiVersion: '1', builder: 'buildkit' }, startedAt: '2026-12-06T22:00:00Z', durationMs: 1,
    stages: [pull === undefined ? stage : { ...stage, pullSizeBytes: pull } as typeof stage] };
}

test('lenses: project lens on services:, and Analyze service / Open Dockerfile on each build:, none on image-only services', () => {
  const specs = composeLenses(TEXT, '/p/compose.yaml', {}, null, false);
  assert.deepEqual(specs.map((s) => [s.line, s.title]), [
    [1, '$(play) Analyze compose project'],
    [3, '$(play) Analyze service'], [3, '$(go-to-file) Open Dockerfile (target runtime)'],
    [9, '$(play) Analyze service'], [9, '$(go-to-file) Open Dockerfile'],
  ]);
  assert.deepEqual(specs[1]!.action, { kind: 'analyzeService', service: 'web' });
});

test('lenses after an analysis show the final size (and pull size when known) with the target', async () => {
  const project = resolveProject([parseComposeFile(TEXT, '/p/compose.yaml', {})], { projectDir: '/p', vars: {} });
  const report = await analyzeServices(project, project.builds, async (job) => fakeReport(job.build.target ? 148_000_000 : 670_000_000, job.build.target ? 52_000_000 : undefined));
  const titles = composeLenses(TEXT, '/p/compose.yaml', {}, report, false).map((s) => s.title);
  assert.ok(titles.includes('$(package) web · 148 MB · pull 52 MB · 1 stage (target runtime)'), JSON.stringify(titles));
  assert.ok(titles.includes('$(package) tool · 670 MB · 1 stage'));
  assert.ok(titles.includes('$(graph) Compare services'));
  const running = composeLenses(TEXT, '/p/compose.yaml', {}, report, true).map((s) => s.title);
  assert.ok(running.includes('$(sync~spin) Analyzing compose services…'));
  assert.ok(!running.some((t) => t.includes('Analyze service')), 'no second run offered while one runs');

  const v = composeView(report, 'compose.yaml', ['compose.yaml'], false, null);
  assert.deepEqual(v.services.map((s) => [s.service, s.dockerfile, s.target, s.finalBytes, s.pullBytes, s.finalLabel]), [
    ['web', 'Dockerfile', 'runtime', 148_000_000, 52_000_000, 'runtime'], ['tool', 'Dockerfile', null, 670_000_000, null, 'runtime'],
  ]);
  assert.ok(!JSON.stringify(v).includes('"args"'), 'arg values are not sent to the webview');
});

test('lenses: an invalid compose file gets one error lens on the offending line; a YAML without services gets none', () => {
  const specs = composeLenses('services:\n  web:\n    build:\n      args: 3\n', '/p/compose.yaml', {}, null, false);
  assert.equal(specs.length, 1);
  assert.equal(specs[0]!.line, 3);
  assert.match(specs[0]!.title, /services\.web\.build\.args: must be a mapping/);
  assert.deepEqual(composeLenses('name: x\nfoo: 1\n', '/p/compose.yaml', {}, null, false), []);
});

test('protocol: compose messages are validated by the host', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'compose/analyze', service: null }), { type: 'compose/analyze', service: null });
  assert.deepEqual(parseWebviewMessage({ type: 'compose/analyze', service: 'advanced-app' }), { type: 'compose/analyze', service: 'advanced-app' });
  assert.deepEqual(parseWebviewMessage({ type: 'compose/openService', service: 'web.1' }), { type: 'compose/openService', service: 'web.1' });
  assert.deepEqual(parseWebviewMessage({ type: 'compose/close' }), { type: 'compose/close' });
  for (const bad of [
    { type: 'compose/analyze', service: '../../etc' }, { type: 'compose/analyze', service: 3 }, { type: 'compose/openService' },
    { type: 'compose/openService', service: 'x'.repeat(300) }, { type: 'compose/close', extra: 1 }, { type: 'compose/analyze', service: 'a', x: 1 },
  ]) assert.equal(parseWebviewMessage(bad), null, JSON.stringify(bad));
});
