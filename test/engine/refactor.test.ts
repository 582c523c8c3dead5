// The rewrite must build on a real engine and produce a smaller image than the original:
// examples/Dockerfile.single-stage before and after `refactorToMultiStage`, on the private
// test engine with the fixture python images, network none (the example needs no index).
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

// Issue 15 reproducers, built for real: a user the original creates in an install RUN (which stays
// in the builder) must exist in the runtime stage that uses it with COPY --chown and USER.
test('a user created in the builder-only install RUN exists in the runtime stage', { timeout: 900_000 }, async () => {
  const host = await ensureFixtures();
  docker ??= new Dockerode(dockerodeOptionsFor(host));
  const seed = readFileSync(join(examples, 'Dockerfile.single-stage'), 'utf8');
  const text = seed
    .replace(/(RUN pip install [^\n]*)/, '$1 && useradd -r web')
    .replace('COPY app.py .', 'COPY --chown=web:web app.py .\nUSER web');
  assert.notEqual(text, seed, 'the reproducer edits applied');
  const r = refactorToMultiStage(text);
  const df = parseDockerfile(r.text);
  assert.ok(df.stages.length >= 2, r.notes.join('\n'));
  const runtime = df.stages[df.stages.length - 1]!;
  const img = await build(docker, r.text, `stagelens-test/refactor-user:${process.pid}-${Date.now()}`, runtime.name ?? '');
  const out = await runOnce(docker, img.id, ['python', '-c', 'import os, pwd, fastcalc; print(pwd.getpwuid(os.getuid()).pw_name, os.stat("/app/app.py").st_uid == os.getuid())']);
  assert.equal(out.code, 0, out.out);
  assert.equal(out.out.trim(), 'web True');
});

// $GOPATH does not exist in distroless, and files next to the binary must come along.
test('Go on distroless: $GOPATH written out, files next to the binary reach the runtime, runs as nonroot', { timeout: 900_000 }, async (t) => {
  const host = await ensureFixtures();
  docker ??= new Dockerode(dockerodeOptionsFor(host));
  const images = await docker.listImages();
  const have = (ref: string): boolean => images.some((i) => (i.RepoTags ?? []).includes(ref));
  if (!have('golang:1.19') || !have('gcr.io/distroless/static-debian12:nonroot')) { t.skip('golang:1.19 / distroless fixture images are not on this engine'); return; }
  const ctx = mkdtempSync(join(tmpdir(), 'sl-r15-go-'));
  writeFileSync(join(ctx, 'go.mod'), 'module example.com/hello\n\ngo 1.19\n');
  writeFileSync(join(ctx, 'main.go'), 'package main\n\nimport (\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n\tb, err := os.ReadFile("templates/greeting.txt")\n\tif err != nil {\n\t\tfmt.Println("missing:", err)\n\t\tos.Exit(1)\n\t}\n\twd, _ := os.Getwd()\n\tfmt.Printf("%s %s %d\\n", string(b), wd, os.Getuid())\n}\n');
  mkdirSync(join(ctx, 'templates'));
  writeFileSync(join(ctx, 'templates', 'greeting.txt'), 'hello');
  const text = 'FROM golang:1.19\nWORKDIR $GOPATH/src/hello\nCOPY . .\nRUN go build -o server .\nCMD ["./server"]\n';
  const r = refactorToMultiStage(text);
  assert.match(r.text, /distroless/);
  const df = parseDockerfile(r.text);
  const runtime = df.stages[df.stages.length - 1]!;
  const img = await build(docker, r.text, `stagelens-test/refactor-go:${process.pid}-${Date.now()}`, runtime.name ?? '', ctx);
  const out = await runOnce(docker, img.id, []);
  assert.equal(out.code, 0, out.out);
  assert.equal(out.out.trim(), 'hello /go/src/hello 65532');
});
