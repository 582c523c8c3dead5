// The build context tar: .dockerignore semantics, the Dockerfile under our own name, byte count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tarStream from 'tar-stream';
import { createBuildContext, makeContextFilter } from '../../../src/engine/context';
import { decodeBuildkitStatus, encodeBuildkitStatus } from '../../../src/engine/buildkit-status';
import { isSecretName, MASK, secretMasker } from '../../../src/core/secrets';

async function entries(stream: NodeJS.ReadableStream): Promise<Map<string, { type: string; body: string; uid: number; mode: number }>> {
  const out = new Map<string, { type: string; body: string; uid: number; mode: number }>();
  const ex = tarStream.extract();
  ex.on('entry', (h, s, next) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    s.on('end', () => { out.set(h.name.replace(/\/$/, ''), { type: h.type ?? 'file', body: Buffer.concat(chunks).toString(), uid: h.uid ?? -1, mode: h.mode ?? 0 }); next(); });
  });
  await new Promise<void>((resolve, reject) => { ex.on('finish', resolve); ex.on('error', reject); stream.pipe(ex); });
  return out;
}

test('dockerignore filter: Docker semantics including exceptions and excluded folders', () => {
  const f = makeContextFilter(['node_modules', '*.log', '!keep.log', 'build/**', '!build/dist/app.js', 'Dockerfile']);
  const dir = (): boolean => true; const file = (): boolean => false;
  assert.equal(f('node_modules', dir), true);
  assert.equal(f('a.log', file), true);
  assert.equal(f('keep.log', file), false);
  assert.equal(f('sub/a.log', file), false, '*.log matches the context root only');
  assert.equal(f('build', dir), false, 'walked because an exception reaches into it');
  assert.equal(f('build/dist', dir), false);
  assert.equal(f('build/tmp', dir), true);
  assert.equal(f('build/dist/app.js', file), false);
  assert.equal(f('build/dist/other.js', file), true);
  assert.equal(f('src/main.ts', file), false);
  assert.equal(f('Readme.LOG', file), false, 'case-sensitive like Docker on Linux');
  assert.equal(makeContextFilter([])('anything', file), false);
});

test('the context tar honours .dockerignore, carries the Dockerfile text under its own name and counts bytes', async () => {
  const ctx = mkdtempSync(join(tmpdir(), 'sl-ctx-'));
  writeFileSync(join(ctx, '.dockerignore'), '# comment\nbig.bin\nDockerfile\nsecrets/\n');
  writeFileSync(join(ctx, 'big.bin'), Buffer.alloc(3_000_000));
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM on-disk\n');
  writeFileSync(join(ctx, 'app.py'), 'print(1)\n', { mode: 0o755 });
  mkdirSync(join(ctx, 'secrets'));
  writeFileSync(join(ctx, 'secrets', 'token'), 'x');
  mkdirSync(join(ctx, 'src'));
  writeFileSync(join(ctx, 'src', 'm.py'), 'x = 1\n');
  const bc = createBuildContext({ contextDir: ctx, dockerfileText: 'FROM unsaved-editor-text\n', dockerfileName: '.stagelens-x.Dockerfile' });
  const got = await entries(bc.stream);
  assert.deepEqual([...got.keys()].sort(), ['.dockerignore', '.stagelens-x.Dockerfile', 'app.py', 'src', 'src/m.py']);
  assert.equal(got.get('.stagelens-x.Dockerfile')!.body, 'FROM unsaved-editor-text\n');
  assert.equal(got.get('app.py')!.uid, 0);
  assert.equal(got.get('app.py')!.mode & 0o777, 0o755);
  assert.ok(bc.bytes() > 0 && bc.bytes() < 100_000, `context bytes ${bc.bytes()} must leave big.bin out`);
  assert.equal(bc.bytes() % 512, 0, 'a complete tar is a whole number of 512-byte blocks');
});

test('BuildKit status payloads round-trip through the protobuf schema', () => {
  const payload = encodeBuildkitStatus({
    vertexes: [{ digest: 'sha256:abc', name: '[base 2/3] RUN make', cached: true, started: 1_700_000_000_123, completed: 1_700_000_001_456, error: 'boom', inputs: ['sha256:def'] }],
    logs: [{ vertex: 'sha256:abc', stream: 2, text: 'hello\n', timestamp: 1_700_000_000_500 }],
  });
  const s = decodeBuildkitStatus(payload);
  assert.deepEqual(s.vertexes[0], { digest: 'sha256:abc', inputs: ['sha256:def'], name: '[base 2/3] RUN make', cached: true, started: 1_700_000_000_123, completed: 1_700_000_001_456, error: 'boom' });
  assert.deepEqual(s.logs[0], { vertex: 'sha256:abc', stream: 2, timestamp: 1_700_000_000_500, text: 'hello\n' });
  assert.deepEqual(decodeBuildkitStatus(''), { vertexes: [], statuses: [], logs: [], warnings: [] });
  // A real payload from Docker 20.10 (a vertex that failed to resolve an image).
  const real = decodeBuildkitStatus('CpYBCkdzaGEyNTY6ZGE4NTMzODJhNzUzNWUwNjhmZWFlNGQ4MGJkZDBhZDI1NjdkZjNkNWNkNDg0ZmQ2OGY5MTkyOTRkMDkxYjA1Mxo9W2ludGVybmFsXSBsb2FkIG1ldGFkYXRhIGZvciBkb2NrZXIuaW8vbGlicmFyeS9idXN5Ym94OmxhdGVzdCoMCJnerNgGENeQkvoB');
  assert.equal(real.vertexes[0]!.name, '[internal] load metadata for docker.io/library/busybox:latest');
  assert.equal(real.vertexes[0]!.completed, null);
  assert.ok(real.vertexes[0]!.started! > 1_600_000_000_000);
});

test('secret-looking build args are masked everywhere, plain ones are not', () => {
  assert.ok(isSecretName('NPM_TOKEN') && isSecretName('db_password') && isSecretName('API_KEY') && isSecretName('MY_SECRET'));
  assert.ok(!isSecretName('VERSION'));
  const mask = secretMasker({ NPM_TOKEN: 'tok-123"x', VERSION: '3.12' });
  assert.equal(mask('RUN |1 NPM_TOKEN=tok-123"x /bin/sh -c echo 3.12'), `RUN |1 NPM_TOKEN=${MASK} /bin/sh -c echo 3.12`);
  assert.equal(mask(JSON.stringify({ createdBy: 'NPM_TOKEN=tok-123"x' })), JSON.stringify({ createdBy: `NPM_TOKEN=${MASK}` }));
});
