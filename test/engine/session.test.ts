// The BuildKit session transport against real engines: the shared Docker 20.10 test engine and,
// when one is available, Docker 26.1 with the containerd image store (where a tar body fails).
// The reference for "what the build sees" is `docker build` with the classic builder, which sends
// the context as a tar body made by the Docker CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeStages } from '../../src/engine/analyze';
import { runBuild } from '../../src/engine/build';
import { cleanUpImages } from '../../src/engine/cleanup';
import { connectEngine, type EngineConnection } from '../../src/engine/connection';
import { createBuildContext, openContextTransport } from '../../src/engine/context';
import { BUSYBOX, engine, nonce } from './util';

/** DOCKER_HOST of a matrix engine (scripts/engines.mjs, once merged) if it runs, else null. */
function matrixHost(name: string): string | null {
  const script = join(__dirname, '..', '..', 'scripts', 'engines.mjs');
  if (!existsSync(script)) return null;
  const r = spawnSync(process.execPath, [script, 'env', name], { encoding: 'utf8' });
  const m = /DOCKER_HOST=(\S+)/.exec(r.stdout ?? '');
  return r.status === 0 && m ? m[1]! : null;
}

/** Docker 26.1 with the containerd store: STAGELENS_TEST_DOCKER26_HOST, else the matrix engine if it runs. */
function docker26Host(): string | null {
  return process.env.STAGELENS_TEST_DOCKER26_HOST || matrixHost('docker26-containerd');
}

/** The shared test engine, then every newer engine available (26.1 and 28.x containerd store; STAGELENS_TEST_EXTRA_HOSTS adds more). */
async function engines(): Promise<{ name: string; host: string; connection: EngineConnection }[]> {
  const main = await engine();
  const out = [{ name: `Docker ${main.connection.version}`, host: main.host, connection: main.connection }];
  const extra = [docker26Host(), matrixHost('docker28-containerd'), ...(process.env.STAGELENS_TEST_EXTRA_HOSTS ?? '').split(',')]
    .map((h) => h?.trim()).filter((h): h is string => !!h);
  for (const h of [...new Set(extra)]) {
    const c = await connectEngine({ explicit: h, timeoutMs: 15_000 });
    const info = await c.docker.info() as { DriverStatus?: [string, string][] };
    const store = (info.DriverStatus ?? []).some(([k, v]) => k === 'driver-type' && /containerd\.snapshotter/.test(v)) ? 'containerd store' : 'graph driver';
    out.push({ name: `Docker ${c.version} (${store})`, host: h, connection: c });
  }
  return out;
}

/** A context with everything .dockerignore and the transfer can get wrong. */
function trickyContext(): string {
  const d = mkdtempSync(join(tmpdir(), 'sl-sess-'));
  const w = (p: string, body: string | Buffer, mode?: number): void => {
    mkdirSync(join(d, p, '..'), { recursive: true });
    writeFileSync(join(d, p), body);
    if (mode) chmodSync(join(d, p), mode);
  };
  writeFileSync(join(d, '.dockerignore'), [
    '# comments and blank lines are skipped', '',
    '**/*.log', '!keep.log', '!deep/**/wanted.log',
    'build', '!build/dist',
    'node_modules/', 'secret*', '!secretary.txt',
    '**/tmp', 'docs/*.md', '!docs/README.md', '/anchored.txt', 'sub/ignored-here',
  ].join('\n'));
  w('keep.log', 'keep'); w('x.log', 'x'); w('deep/a/b/wanted.log', 'w'); w('deep/a/b/other.log', 'o'); w('deep/a/c.txt', 'c');
  w('build/dist/app.js', 'app'); w('build/obj/o.o', 'o');
  w('node_modules/m/index.js', 'm');
  w('secret.key', 's'); w('secretary.txt', 'secretary');
  w('a/tmp/t', 't'); w('tmp/t2', 't'); w('a/keep/t3', 't');
  w('docs/README.md', 'r'); w('docs/guide.md', 'g'); w('docs/sub/guide.md', 'g2');
  w('anchored.txt', 'a'); w('sub/anchored.txt', 'a2'); w('sub/ignored-here', 'i'); w('sub/sub/ignored-here', 'kept');
  w('run.sh', '#!/bin/sh\necho hi\n', 0o755); w('private.txt', 'p', 0o600);
  const big = Buffer.alloc(5 * 1024 * 1024 + 4321);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  w('assets/big.bin', big);
  w('ünïcødé/日本語 ファイル.txt', 'uni'); w('space name.txt', 'sp');
  mkdirSync(join(d, 'emptydir'));
  mkdirSync(join(d, 'emptydir2', 'nested'), { recursive: true });
  symlinkSync('keep.log', join(d, 'link-to-file'));
  symlinkSync('deep', join(d, 'link-to-dir'));
  symlinkSync('nowhere', join(d, 'dangling'));
  symlinkSync('/etc/hostname', join(d, 'absolute-link'));
  linkSync(join(d, 'secretary.txt'), join(d, 'hardlink.txt'));
  return d;
}

const MANIFEST = [
  'cd /ctx && find . | LC_ALL=C sort | while read -r f; do',
  '  if [ -L "$f" ]; then echo "L $f -> $(readlink "$f")";',
  '  elif [ -d "$f" ]; then echo "D $f $(stat -c %a "$f") $(stat -c %u:%g "$f")";',
  '  else echo "F $f $(stat -c \'%a %s %u:%g\' "$f") $(md5sum < "$f" | cut -c1-32)"; fi;',
  'done > /manifest.txt',
].join(' ');

function dockerfileOutside(tag: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sl-sess-df-'));
  const path = join(dir, 'Dockerfile');
  writeFileSync(path, `FROM ${BUSYBOX}\nCOPY . /ctx\nRUN ${MANIFEST} && echo ${tag}\n`);
  return { dir, path };
}

const cli = (host: string, args: string[], env: NodeJS.ProcessEnv = {}): string =>
  execFileSync('docker', ['-H', host, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 });

const manifestOf = (host: string, image: string): string => cli(host, ['run', '--rm', '--network', 'none', image, 'cat', '/manifest.txt']);

test('through the session a COPY . sees exactly what `docker build` (classic builder, tar body) sees', { timeout: 600_000 }, async (t) => {
  for (const e of await engines()) {
    await t.test(e.name, async () => {
      const ctx = trickyContext();
      const tag = nonce();
      const df = dockerfileOutside(tag);
      const report = await analyzeStages({ dockerfilePath: df.path, contextDir: ctx, connection: e.connection, builder: 'buildkit', network: 'none' });
      try {
        assert.equal(report.engine.contextTransport, 'session');
        const stage = report.stages[0]!;
        assert.equal(stage.error, null, stage.error?.message);
        const viaSession = manifestOf(e.host, stage.imageId!);

        const ref = `stagelens-session-ref:${tag}`;
        cli(e.host, ['build', '-q', '--network', 'none', '-f', df.path, '-t', ref, ctx], { DOCKER_BUILDKIT: '0' });
        const viaTar = manifestOf(e.host, ref);
        cli(e.host, ['rmi', '-f', ref]);

        // With the Dockerfile outside the context the Docker CLI adds it to the tar under a random
        // name and appends that name to the .dockerignore it sends, so only that file differs.
        const withoutIgnoreFile = (m: string): string => m.split('\n').filter((l) => !l.startsWith('F ./.dockerignore ')).join('\n');
        assert.equal(withoutIgnoreFile(viaSession), withoutIgnoreFile(viaTar));
        const diskMd5 = createHash('md5').update(readFileSync(join(ctx, '.dockerignore'))).digest('hex');
        assert.match(viaSession, new RegExp(`^F \\./\\.dockerignore 644 \\d+ 0:0 ${diskMd5}$`, 'm'), 'the session sends .dockerignore as it is on disk');
        assert.match(viaTar, /^F \.\/\.dockerignore /m);
        // And the manifest says what the patterns mean (so two empty listings cannot pass).
        const has = (re: RegExp): void => assert.match(viaSession, re);
        const lacks = (re: RegExp): void => assert.doesNotMatch(viaSession, re);
        has(/^F \.\/keep\.log /m); lacks(/\.\/x\.log/); has(/^F \.\/deep\/a\/b\/wanted\.log /m); lacks(/other\.log/);
        has(/^F \.\/build\/dist\/app\.js /m); lacks(/build\/obj/); lacks(/node_modules/); lacks(/secret\.key/); has(/^F \.\/secretary\.txt /m);
        lacks(/\/tmp\b/); has(/^F \.\/docs\/README\.md /m); lacks(/docs\/guide\.md/); has(/^F \.\/docs\/sub\/guide\.md /m);
        lacks(/^F \.\/anchored\.txt /m); has(/^F \.\/sub\/anchored\.txt /m); lacks(/^F \.\/sub\/ignored-here /m); has(/^F \.\/sub\/sub\/ignored-here /m);
        has(/^F \.\/run\.sh 755 /m); has(/^F \.\/private\.txt 600 /m); has(/^F \.\/assets\/big\.bin 644 5247201 0:0 /m);
        has(/^F \.\/ünïcødé\/日本語 ファイル\.txt /m); has(/^F \.\/space name\.txt /m);
        has(/^D \.\/emptydir /m); has(/^D \.\/emptydir2\/nested /m);
        has(/^L \.\/link-to-file -> keep\.log$/m); has(/^L \.\/link-to-dir -> deep$/m); has(/^L \.\/dangling -> nowhere$/m); has(/^L \.\/absolute-link -> \/etc\/hostname$/m);
        has(/^F \.\/hardlink\.txt 644 9 0:0 /m);
        lacks(/Dockerfile/);
        assert.ok(report.contextBytes! > 5 * 1024 * 1024, `context bytes ${report.contextBytes}`);
      } finally {
        await cleanUpImages(e.connection.docker, { dockerfile: df.path });
      }
    });
  }
});

test('one session serves every stage; a second analysis of the same folder transfers only what changed', { timeout: 300_000 }, async (t) => {
  for (const e of await engines()) {
    await t.test(e.name, async () => {
      const ctx = mkdtempSync(join(tmpdir(), 'sl-sess-'));
      const big = Buffer.alloc(3_000_000, 7);
      writeFileSync(join(ctx, 'big.bin'), big);
      writeFileSync(join(ctx, 'small.txt'), 'v1');
      const text = `FROM ${BUSYBOX} AS a\nCOPY big.bin /big.bin\nFROM a AS b\nCOPY . /ctx\nRUN cat /ctx/small.txt && echo ${nonce()}\n`;
      writeFileSync(join(ctx, 'Dockerfile'), text);
      const events: { stage: number; bytes: number; done: boolean }[] = [];
      const r1 = await analyzeStages({ dockerfilePath: join(ctx, 'Dockerfile'), contextDir: ctx, connection: e.connection, network: 'none', onProgress: (p) => { if (p.type === 'context') events.push(p); } });
      try {
        assert.deepEqual(r1.stages.map((s) => s.error), [null, null]);
        assert.equal(r1.engine.contextTransport, 'session');
        assert.ok(r1.contextBytes! > 3_000_000 && r1.contextBytes! < 3_200_000, `the first analysis sends big.bin once: ${r1.contextBytes}`);
        const doneByStage = events.filter((p) => p.done);
        // b needs a, so b's build comes first and sends the context; a's build, after it, sends nothing new.
        assert.deepEqual(doneByStage.map((p) => p.stage), [1, 0], 'a context event ends every stage build');
        assert.ok(doneByStage[1]!.bytes < 100_000, `the second stage build re-sends nothing big: ${doneByStage[1]!.bytes}`);
        writeFileSync(join(ctx, 'small.txt'), 'v2 changed');
        const r2 = await analyzeStages({ dockerfilePath: join(ctx, 'Dockerfile'), contextDir: ctx, connection: e.connection, network: 'none' });
        assert.deepEqual(r2.stages.map((s) => s.error), [null, null]);
        assert.ok(r2.contextBytes! < 100_000, `a re-analysis sends only the change: ${r2.contextBytes}`);
      } finally {
        await cleanUpImages(e.connection.docker, { dockerfile: join(ctx, 'Dockerfile') });
      }
    });
  }
});

/** Host processes running `sleep <n>` (BuildKit RUN steps run as host processes under runc). */
function sleepers(n: number): string[] {
  const r = spawnSync('pgrep', ['-f', `^sleep ${n}$`], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').filter(Boolean);
}

test('cancelling mid-build closes the build request and the session; the engine stops the build', { timeout: 300_000 }, async (t) => {
  for (const e of await engines()) {
    await t.test(e.name, async () => {
      const secs = 400 + Math.floor(Math.random() * 500);
      const ctx = mkdtempSync(join(tmpdir(), 'sl-sess-'));
      writeFileSync(join(ctx, 'f'), 'x');
      writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BUSYBOX}\nCOPY f /f\nRUN sleep ${secs}\n`);
      const ctl = new AbortController();
      const before = process.getActiveResourcesInfo().filter((r) => /Pipe|TCP|Timeout|HTTP2/i.test(r)).length;
      const started = Date.now();
      let armed = false;
      let runningAtAbort = 0;
      const running = analyzeStages({
        dockerfilePath: join(ctx, 'Dockerfile'), contextDir: ctx, connection: e.connection, network: 'none', signal: ctl.signal,
        onProgress: (p) => {
          if (p.type === 'vertex' && /sleep/.test(p.name) && p.started && !armed) {
            armed = true;
            setTimeout(() => { runningAtAbort = sleepers(secs).length; ctl.abort(); }, 1500);
          }
        },
      });
      const report = await running;
      assert.equal(report.cancelled, true);
      assert.ok(Date.now() - started < 60_000);
      assert.match(report.stages[0]!.error!.message, /cancelled/);
      assert.equal(runningAtAbort, 1, 'the RUN step was running when the analysis was cancelled');
      // The RUN process goes away: the engine cancelled the build.
      let left = sleepers(secs);
      for (let i = 0; i < 40 && left.length; i++) { await new Promise((r) => setTimeout(r, 500)); left = sleepers(secs); }
      assert.deepEqual(left, [], `sleep ${secs} still running`);
      // No socket, session or timer of ours is left.
      await new Promise((r) => setTimeout(r, 200));
      const after = process.getActiveResourcesInfo().filter((r) => /Pipe|TCP|Timeout|HTTP2/i.test(r)).length;
      assert.ok(after <= before, `active handles before ${before}, after ${after}: ${process.getActiveResourcesInfo().join(', ')}`);
      await cleanUpImages(e.connection.docker, { dockerfile: join(ctx, 'Dockerfile') });
    });
  }
});

test('Docker 26.1 containerd store: the tar body fails with the build-context error, the session builds', { timeout: 300_000 }, async (t) => {
  const h26 = docker26Host();
  if (!h26) { t.skip('no Docker 26.1 containerd-store engine: set STAGELENS_TEST_DOCKER26_HOST or run scripts/engines.mjs start docker26-containerd'); return; }
  const connection = await connectEngine({ explicit: h26, timeoutMs: 15_000 });
  const ctx = mkdtempSync(join(tmpdir(), 'sl-sess-'));
  writeFileSync(join(ctx, 'f'), 'x');
  const text = `FROM ${BUSYBOX}\nCOPY f /f\nRUN echo ${nonce()}\n`;
  const tag = `stagelens-session-26:${nonce()}`;
  const common = { docker: connection.docker, builder: 'buildkit' as const, target: '', tag, labels: {}, network: 'none' };
  const tar = createBuildContext({ contextDir: ctx, dockerfileText: text, dockerfileName: 'Dockerfile' });
  const viaTar = await runBuild({ ...common, body: tar.stream, dockerfileName: 'Dockerfile' });
  assert.match(viaTar.error ?? '', /build-context|failed to read downloaded context/);
  const transport = await openContextTransport({ docker: connection.docker, builder: 'buildkit', contextDir: ctx, dockerfilePath: join(ctx, 'Dockerfile'), tarDockerfileName: 'Dockerfile' });
  try {
    assert.equal(transport.kind, 'session');
    const prepared = await transport.prepare(text);
    const viaSession = await runBuild({ ...common, context: prepared.context, dockerfileName: prepared.dockerfileName });
    prepared.end();
    assert.equal(viaSession.error, null);
    assert.ok(viaSession.imageId);
  } finally {
    transport.close();
    try { await connection.docker.getImage(tag).remove(); } catch { /* not tagged */ }
  }
});

test('a different Dockerfile text in the same analysis is built as written (BuildKit does not re-sync within a session)', { timeout: 300_000 }, async (t) => {
  for (const e of await engines()) {
    await t.test(e.name, async () => {
      const ctx = mkdtempSync(join(tmpdir(), 'sl-sess-'));
      writeFileSync(join(ctx, 'f'), 'from-the-context');
      const transport = await openContextTransport({ docker: e.connection.docker, builder: 'buildkit', contextDir: ctx, dockerfilePath: join(ctx, 'Dockerfile'), tarDockerfileName: 'Dockerfile' });
      const tag = `stagelens-session-text:${nonce()}`;
      try {
        const outputs: string[] = [];
        for (const word of [nonce(), nonce()]) {
          const prepared = await transport.prepare(`FROM ${BUSYBOX}\nCOPY f /f\nRUN cat /f && echo ${word}\n`);
          const logs: string[] = [];
          const r = await runBuild({ docker: e.connection.docker, context: prepared.context, dockerfileName: prepared.dockerfileName, builder: 'buildkit', target: '', tag, labels: {}, network: 'none', onLog: (l) => logs.push(l.text) });
          prepared.end();
          assert.equal(r.error, null);
          assert.match(logs.join(''), new RegExp(`from-the-context[\\s\\S]*${word}`));
          outputs.push(word);
        }
        assert.equal(outputs.length, 2);
      } finally {
        transport.close();
        try { await e.connection.docker.getImage(tag).remove(); } catch { /* not tagged */ }
      }
    });
  }
});
