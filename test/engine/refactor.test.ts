// The rewrite must build on a real engine and produce a smaller image than the original:
// examples/Dockerfile.single-stage before and after `refactorToMultiStage`, on the private
// test engine with the fixture python images, network none (the example needs no index).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Dockerode from 'dockerode';
import { parseDockerfile } from '../../src/core/dockerfile/parse';
import { refactorToMultiStage } from '../../src/core/refactor';
import { runBuild } from '../../src/engine/build';
import { dockerodeOptionsFor } from '../../src/engine/connection';
import { createBuildContext } from '../../src/engine/context';
import { inspectImageSummary } from '../../src/engine/export';
import { ensureFixtures, fixturesSkip } from '../harness/engine';

const examples = join(__dirname, '..', '..', 'examples');
const tags: string[] = [];
let docker: Dockerode | null = null;

async function build(d: Dockerode, text: string, tag: string, target: string, contextDir = examples): Promise<{ id: string; size: number }> {
  const ctx = createBuildContext({ contextDir, dockerfileText: text });
  const r = await runBuild({
    docker: d, body: ctx.stream, dockerfileName: ctx.dockerfileName, builder: 'buildkit', target, tag,
    labels: { 'stagelens.test': 'refactor' }, network: 'none',
  });
  assert.equal(r.error, null, `build of ${tag} failed: ${r.error}`);
  tags.push(tag);
  const info = await inspectImageSummary(d, tag);
  return { id: info.id, size: info.sizeBytes };
}

after(async () => {
  if (!docker) return;
  for (const t of tags) { try { await docker.getImage(t).remove({ force: true }); } catch { /* already gone */ } }
});

test('the seed single-stage Dockerfile, rewritten, builds and is smaller', { timeout: 900_000, skip: fixturesSkip('python') }, async (t) => {
  const host = await ensureFixtures();
  docker = new Dockerode(dockerodeOptionsFor(host));
  const before = readFileSync(join(examples, 'Dockerfile.single-stage'), 'utf8');
  const r = refactorToMultiStage(before);
  assert.equal(r.changed, true);
  assert.equal(r.ecosystem, 'python');
  const df = parseDockerfile(r.text);
  assert.deepEqual(df.problems, []);
  const runtime = df.stages[df.stages.length - 1]!;
  const suffix = `${process.pid}-${Date.now()}`;
  const a = await build(docker, before, `stagelens-test/refactor-before:${suffix}`, '');
  const b = await build(docker, r.text, `stagelens-test/refactor-after:${suffix}`, runtime.name ?? '');
  t.diagnostic(`before ${a.size} bytes, after ${b.size} bytes (${(100 * (1 - b.size / a.size)).toFixed(1)}% smaller)`);
  assert.ok(b.size < a.size, `rewrite is not smaller: ${b.size} >= ${a.size}`);
  // The test stage (dev requirements) builds too, on top of the builder.
  await build(docker, r.text, `stagelens-test/refactor-test:${suffix}`, 'test');
  // The runtime image runs as the non-root user the rewrite added, and keeps the CMD.
  const inspect = await docker.getImage(b.id).inspect();
  assert.equal(inspect.Config.User, 'appuser');
  assert.deepEqual(inspect.Config.Cmd, ['python', 'app.py', '--host', '0.0.0.0', '--port', '8000']);
  // The app's compiled dependency was installed in the builder and works in the runtime.
  const container = await docker.createContainer({ Image: b.id, Cmd: ['python', '-c', 'import fastcalc; print("ok")'], HostConfig: { NetworkMode: 'none' } });
  try {
    await container.start();
    const res = await container.wait() as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
    assert.equal(res.StatusCode, 0, `import in the runtime image failed: ${logs}`);
    assert.match(logs, /ok/);
  } finally {
    await container.remove({ force: true });
  }
});

async function runOnce(d: Dockerode, image: string, cmd: string[]): Promise<{ code: number; out: string }> {
  const c = await d.createContainer({ Image: image, Cmd: cmd, HostConfig: { NetworkMode: 'none' } });
  try {
    await c.start();
    const res = await c.wait() as { StatusCode: number };
    // Non-TTY logs are multiplexed: strip the 8-byte frame headers.
    const raw = await c.logs({ stdout: true, stderr: true });
    let out = ''; let i = 0;
    while (i + 8 <= raw.length) { const n = raw.readUInt32BE(i + 4); out += raw.subarray(i + 8, i + 8 + n).toString('utf8'); i += 8 + n; }
    return { code: res.StatusCode, out };
  } finally {
    await c.remove({ force: true });
  }
}

test('safe subset on Debian and busybox bases: the added user exists and the image runs as it', { timeout: 300_000, skip: fixturesSkip('debian') }, async () => {
  const host = await ensureFixtures();
  docker ??= new Dockerode(dockerodeOptionsFor(host));
  const suffix = `${process.pid}-${Date.now()}`;
  for (const [base, name] of [['debian:bookworm-slim', 'debian'], ['busybox:latest', 'busybox']] as const) {
    const text = `FROM ${base}\nCOPY app.py /srv/app.py\nCMD ["id", "-un"]\n`;
    const r = refactorToMultiStage(text);
    assert.equal(r.ecosystem, 'unknown');
    assert.equal(r.changed, true);
    assert.match(r.text, name === 'busybox' ? />> \/etc\/passwd/ : /useradd -r/);
    const img = await build(docker, r.text, `stagelens-test/refactor-subset-${name}:${suffix}`, '');
    const out = await runOnce(docker, img.id, ['id', '-un']);
    assert.equal(out.code, 0, out.out);
    assert.equal(out.out.trim(), 'appuser');
  }
});
