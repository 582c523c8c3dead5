// Compose projects on the real engine: the seed's three services (single, multi, advanced with
// target runtime) analysed through the compose file give the sizes separate single-file analyses
// of the same Dockerfile + target give; the CLI prints them; a shared build is analysed once and
// build args reach the build. Host networking: the examples' apt-get needs Debian's archive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyzeStages } from '../../src/engine/analyze';
import { cleanUpImages } from '../../src/engine/cleanup';
import { analyzeComposeServices, loadComposeProject } from '../../src/engine/compose';
import { summarizeService, type ComposeReport } from '../../src/core/compose';
import { finalStage, SCHEMA_VERSION } from '../../src/core/report';
import { BUSYBOX, contextWith, engine, nonce } from './util';

const root = join(__dirname, '..', '..');
const examples = join(root, 'examples');
const COMPOSE = join(examples, 'docker-compose.multistage.yml');
const TSX = pathToFileURL(require.resolve('tsx')).href;

function cli(args: string[], cwd = root): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // tsx by path: the CLI also runs from throw-away folders where `tsx` does not resolve.
    const p = spawn(process.execPath, ['--import', TSX, join(root, 'src', 'cli', 'main.ts'), 'analyze', ...args], { cwd, env: { ...process.env, DOCKER_HOST: '' } });
    let stdout = ''; let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('the seed compose file: each service measures what a separate analysis of its Dockerfile and target measures', { timeout: 1_800_000 }, async () => {
  const { connection } = await engine();
  const project = loadComposeProject({ files: [COMPOSE], cwd: root, env: {} });
  assert.deepEqual(project.builds.map((b) => [b.service, b.target, b.network]), [
    ['single-stage-app', null, 'host'], ['multi-stage-app', null, 'host'], ['advanced-app', 'runtime', 'host'],
  ]);
  const report = await analyzeComposeServices({ project, builds: project.builds, connection });
  assert.equal(report.analyses.length, 3);
  for (const svc of report.services) {
    assert.equal(svc.error, null, `${svc.service}: ${svc.error}`);
    const b = project.builds.find((x) => x.service === svc.service)!;
    const single = await analyzeStages({ dockerfilePath: b.dockerfile, contextDir: b.context, target: b.target ?? undefined, network: 'host', connection });
    const composed = report.analyses[svc.analysis!]!;
    assert.deepEqual(composed.stages.map((s) => [s.name, s.sizeBytes, s.final]), single.stages.map((s) => [s.name, s.sizeBytes, s.final]), svc.service);
    assert.ok(composed.stages.every((s) => s.error === null && s.sizeBytes! > 0), svc.service);
    assert.equal(summarizeService(report, svc).sizeBytes, finalStage(single)!.sizeBytes);
  }
  const size = (n: string): number => summarizeService(report, report.services.find((s) => s.service === n)!).sizeBytes!;
  assert.ok(size('multi-stage-app') < size('single-stage-app'), 'the seed: multi-stage is smaller than single-stage');
  // target runtime: the advanced build stops at runtime, so its test stage is never built.
  const adv = report.analyses[report.services.find((s) => s.service === 'advanced-app')!.analysis!]!;
  assert.ok(!adv.stages.some((s) => s.name === 'test'), 'stages outside the target are not built');
  assert.equal(finalStage(adv)!.name, 'runtime');
});

test('CLI: --compose prints one table per service and the summary; --json is the versioned compose report', { timeout: 1_800_000 }, async () => {
  const { host } = await engine();
  const r = await cli(['--compose', COMPOSE, '--host', host]);
  assert.equal(r.code, 0, r.stderr);
  for (const s of ['single-stage-app', 'multi-stage-app', 'advanced-app']) assert.match(r.stdout, new RegExp(`^== Service ${s} `, 'm'));
  assert.match(r.stdout, /^SERVICE\s+DOCKERFILE\s+TARGET\s+FINAL STAGE\s+SIZE\s+STAGES\s+TIME/m);
  assert.match(r.stdout, /^advanced-app\s+Dockerfile\.advanced\s+runtime\s+runtime\s+\d/m);
  const j = await cli(['--compose', COMPOSE, '--host', host, '--json', '--service', 'multi-stage-app']);
  assert.equal(j.code, 0, j.stderr);
  const report = JSON.parse(j.stdout) as ComposeReport;
  assert.equal(report.kind, 'stagelens.compose');
  assert.equal(report.composeSchemaVersion, 1);
  assert.deepEqual(report.services.map((s) => s.service), ['multi-stage-app']);
  assert.equal(report.analyses[0]!.schemaVersion, SCHEMA_VERSION);
  // The summary row's size is the final stage of that service's analysis.
  const fin = finalStage(report.analyses[0]!)!;
  assert.equal(fin.name, 'runtime');
});

test('args reach the build, identical builds are analysed once, bad input is exit 2 with file:line', { timeout: 300_000 }, async () => {
  const { host, connection } = await engine();
  const tag = nonce();
  const dir = contextWith({
    Dockerfile: `FROM ${BUSYBOX} AS base\nARG PAD=1\nRUN dd if=/dev/zero of=/pad bs=1024 count=$PAD && echo ${tag} > /t\nFROM base AS app\nCMD ["sh"]\n`,
    '.env': 'PAD_KB=300\n',
  });
  writeFileSync(join(dir, 'compose.yaml'), [
    'services:',
    '  small:', '    build:', '      context: .', '      target: app', '      network: none', '      args: [PAD=10]',
    '  big:', '    build:', '      context: .', '      target: app', '      network: none', '      args:', '        PAD: ${PAD_KB:-1}',
    '  big-too:', '    build:', '      context: .', '      target: app', '      network: none', '      args: { PAD: "5" }',
    '  inline:', '    build:', '      context: .', '      network: none', '      dockerfile_inline: |', `        FROM ${BUSYBOX}`, `        RUN echo ${tag} inline > /i`,
    '',
  ].join('\n'));
  // The default override file merges over compose.yaml, as `docker compose` does without -f.
  writeFileSync(join(dir, 'compose.override.yaml'), 'services:\n  big-too:\n    build:\n      args:\n        - PAD=300\n');
  const project = loadComposeProject({ files: [], cwd: dir, env: {} });
  assert.deepEqual(project.files, [join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')]);
  const report = await analyzeComposeServices({ project, builds: project.builds, connection });
  assert.equal(report.analyses.length, 3, 'big and big-too (PAD=300 from the override) share one analysis');
  assert.deepEqual(report.services.find((s) => s.service === 'big')!.sharedWith, ['big-too']);
  const sz = (n: string): number => summarizeService(report, report.services.find((s) => s.service === n)!).sizeBytes!;
  assert.ok(sz('big') - sz('small') >= 280 * 1024, `PAD from .env reached the build: ${sz('big')} vs ${sz('small')}`);
  assert.ok(sz('inline') > 0);

  writeFileSync(join(dir, 'bad.yaml'), 'services:\n  x:\n    build:\n      context: .\n      target: nope\n');
  const bad = await cli(['--compose', 'bad.yaml', '--host', host], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^stagelens: bad\.yaml:3: services\.x\.build: target nope is not a stage of Dockerfile \(stages: base, app\)\./m);
  assert.ok(!bad.stderr.includes('    at '), 'no stack trace');
  writeFileSync(join(dir, 'worse.yaml'), 'services:\n  x:\n    build:\n      args: 12\n');
  const worse = await cli(['--compose=worse.yaml'], dir);
  assert.equal(worse.code, 2);
  assert.match(worse.stderr, /worse\.yaml:4: services\.x\.build\.args: must be a mapping/);
  for (const b of project.builds) await cleanUpImages(connection.docker, { dockerfile: b.dockerfile });
});
