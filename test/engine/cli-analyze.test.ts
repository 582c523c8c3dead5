// `stagelens analyze` as a user runs it: exit codes 0/1/2/3, the table, --json, masked secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cleanUpImages } from '../../src/engine/cleanup';
import { engineFacts } from '../harness/matrix';
import { BUSYBOX, contextWith, engine, nonce } from './util';

const root = join(__dirname, '..', '..');
/**
 * These cases test the exit codes and output, not how fast the engine answers: on this loaded
 * machine a matrix engine (Podman's API service above all) can take longer than the CLI's default
 * 5 s to answer its first ping while the other suites build on it.
 */
const SLOW_OK = ['--timeout', '60'];

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), 'analyze', ...args], { cwd: root, env: { ...process.env, DOCKER_HOST: '' } });
    let stdout = ''; let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - t0 }));
  });
}

test('exit 0: a table with every stage, the final image and the endpoint used', { timeout: 180_000 }, async () => {
  const { host, connection } = await engine();
  const dir = contextWith({ Dockerfile: `FROM ${BUSYBOX} AS deps\nRUN echo ${nonce()} > /d\nFROM deps AS app\nCMD ["sh"]\n` });
  const facts = await engineFacts(connection.docker);
  const r = await cli([join(dir, 'Dockerfile'), '--host', host, ...SLOW_OK, '--network', 'none']);
  assert.equal(r.code, 0, r.stderr);
  // The PULL column appears only where the engine tells the compressed size: the containerd image
  // store on API >= 1.48 (GET /images/{id}/json?manifests=1; Docker 28), not Docker 26 (API 1.45).
  const pull = facts.containerdStore && facts.product === 'Docker' && Number(facts.api.split('.')[1]) >= 48;
  assert.match(r.stdout, pull ? /^STAGE\s+BASE\s+SIZE\s+ADDED\s+PULL\s+LAYERS\s+TIME/m : /^STAGE\s+BASE\s+SIZE\s+ADDED\s+LAYERS\s+TIME/m);
  assert.match(r.stdout, /^deps \(#0\)\s+stagelens-fixture\/busybox:latest\s+\S+ \S*B/m);
  assert.match(r.stdout, /^app \(#1\) \*\s+stage deps/m);
  assert.match(r.stdout, /Final image: stagelens\/[0-9a-f]{12}:app/);
  assert.ok(r.stdout.includes(`Engine: ${host} (--host/setting)`));
  // Docker engines build with BuildKit (a session where the tar body fails); Podman always with Buildah.
  // Every stage starts and finishes, by name (with BuildKit the last stage starts first).
  const builder = facts.product === 'Podman' ? 'buildah' : 'buildkit';
  for (const name of ['deps', 'app']) {
    assert.match(r.stderr, new RegExp(`stage ${name} \\([12]/2, ${builder}\\)`));
    assert.match(r.stderr, new RegExp(`✓ ${name}: \\S+ \\S*B in `));
  }
  await cleanUpImages(connection.docker, { dockerfile: join(dir, 'Dockerfile') });
});

test('--json prints the AnalysisReport; secret build args never appear in clear', { timeout: 180_000 }, async () => {
  const { host, connection } = await engine();
  const secret = `s3cr3t-${nonce()}`;
  const facts = await engineFacts(connection.docker);
  const dir = contextWith({ Dockerfile: `FROM ${BUSYBOX} AS a\nARG API_TOKEN\nARG VERSION\nRUN echo "$VERSION" > /v && test -n "$API_TOKEN"\n` });
  const r = await cli([join(dir, 'Dockerfile'), '--host', host, ...SLOW_OK, '--network', 'none', '--json', '--build-arg', `API_TOKEN=${secret}`, '--build-arg', 'VERSION=7.7.7', '--builder', 'classic']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { schemaVersion: number; engine: { builder: string }; stages: { layers: { createdBy: string; line: number | null }[] }[] };
  assert.equal(report.schemaVersion, 2);
  // Podman has no classic builder (nor BuildKit): whatever is asked, Buildah builds, and the report says so.
  assert.equal(report.engine.builder, facts.product === 'Podman' ? 'buildah' : 'classic');
  const run = report.stages[0]!.layers.find((l) => l.line === 4)!;
  // The engine layer masks with its own marker before the CLI's masker sees the text.
  assert.match(run.createdBy, /API_TOKEN=(\*\*\*|•+) /);
  assert.ok(run.createdBy.includes('VERSION=7.7.7'));
  assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret));
  await cleanUpImages(connection.docker, { dockerfile: join(dir, 'Dockerfile') });
});

test('exit 1 when a stage fails, with the line and the engine message', { timeout: 180_000 }, async () => {
  const { host } = await engine();
  const dir = contextWith({ Dockerfile: `FROM ${BUSYBOX} AS a\nRUN echo ${nonce()}\nRUN exit 7\n` });
  const r = await cli([join(dir, 'Dockerfile'), '--host', host, ...SLOW_OK, '--network', 'none']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /a \(#0\): line 3: .*exit code: 7/);
});

test('exit 2 for a missing file or a file without FROM', async () => {
  const { host } = await engine();
  const missing = await cli(['/nonexistent/Dockerfile', '--host', host]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such file/);
  const dir = contextWith({ 'notes.txt': 'just some text\n' });
  const notDockerfile = await cli([join(dir, 'notes.txt'), '--host', host]);
  assert.equal(notDockerfile.code, 2);
  assert.match(notDockerfile.stderr, /not a Dockerfile.*FROM/);
  const badBuilder = await cli([join(dir, 'notes.txt'), '--builder', 'turbo']);
  assert.equal(badBuilder.code, 2);
});

test('exit 3 within seconds when the engine is unreachable, naming the endpoint', async () => {
  const dir = contextWith({ Dockerfile: `FROM ${BUSYBOX}\n` });
  // On a loaded machine starting node + tsx alone takes seconds: the bound is on top of that.
  const startup = (await cli(['--help'])).ms;
  const r = await cli([join(dir, 'Dockerfile'), '--host', 'tcp://127.0.0.1:1']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /Cannot reach the Docker engine at tcp:\/\/127\.0\.0\.1:1 .*Start Docker/);
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one plain line, no stack trace');
  assert.ok(r.ms < startup + 8000, `took ${r.ms} ms (a bare --help took ${startup} ms)`);
});
