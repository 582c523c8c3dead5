// Per-stage analysis against the private test engine, with both builders: sizes are the sum of
// the engine's own history sizes (and equal inspect `Size` on overlay2), a known 20 MiB layer
// maps to its line, FROM <stage> inherits layers as fromBase, failures and cancellation leave a
// truthful report and no stray tags. The same file runs on every matrix engine
// (STAGELENS_TEST_DOCKER_HOST): on Podman the two builder variants become one Buildah run.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyzeStages, stageImageRepo, LABELS } from '../../src/engine/analyze';
import { cleanUpImages, listStageLensImages } from '../../src/engine/cleanup';
import type { AnalysisReport, BuilderKind } from '../../src/core/report';
import type { EngineConnection } from '../../src/engine/connection';
import { knowsPullSize } from '../../src/engine/measure';
import { BUSYBOX, contextWith, engine, nonce } from './util';

/**
 * The builder a variant asks for and the one it must report; null: the engine has no such
 * builder (Podman builds with Buildah whatever is asked, so only one variant runs there).
 */
function variant(conn: EngineConnection, builder: 'buildkit' | 'classic', t: TestContext): { ask: 'auto' | 'buildkit' | 'classic'; expect: BuilderKind } | null {
  if (conn.product !== 'podman') return { ask: builder, expect: builder };
  if (builder === 'classic') { t.skip('Podman has one builder (Buildah); the buildkit variant runs it'); return null; }
  return { ask: 'auto', expect: 'buildah' };
}

/** The builders to try in one test: both on Docker, Buildah (asked as auto) on Podman. */
function buildersOf(conn: EngineConnection): ('auto' | 'buildkit' | 'classic')[] {
  return conn.product === 'podman' ? ['auto'] : ['buildkit', 'classic'];
}

/** BuildKit-only behaviour: skipped where the engine has no BuildKit (Podman). */
function needsBuildkit(conn: EngineConnection, t: TestContext): boolean {
  if (conn.product !== 'podman') return true;
  t.skip('Podman builds with Buildah; this is BuildKit behaviour');
  return false;
}

async function historySum(conn: EngineConnection, id: string): Promise<number> {
  const rows = await conn.docker.getImage(id).history() as { Size?: number }[];
  return rows.reduce((n, r) => n + Math.max(0, r.Size ?? 0), 0);
}

const MiB20 = 20 * 1024 * 1024;

const MULTI = (n: string): string => [
  `FROM ${BUSYBOX} AS builder`, //                         1
  `ENV NONCE=${n}`, //                                     2
  'RUN dd if=/dev/zero of=/big bs=1M count=20 2>/dev/null', // 3
  'WORKDIR /app', //                                       4
  'COPY hello.txt .', //                                   5
  '', //                                                   6
  'FROM builder AS child', //                              7
  'RUN echo child > /child', //                            8
  '', //                                                   9
  `FROM ${BUSYBOX}`, //                                   10
  'COPY --from=child /app/hello.txt /hello.txt', //       11
  'CMD ["cat", "/hello.txt"]', //                         12
  '',
].join('\n');

async function tagsOf(repo: string): Promise<string[]> {
  const { connection } = await engine();
  const imgs = await connection.docker.listImages();
  // Podman lists tags qualified (docker.io/stagelens/…).
  return imgs.flatMap((i) => i.RepoTags ?? []).map((t) => t.replace(/^(?:docker\.io|localhost)\//, '')).filter((t) => t.startsWith(`${repo}:`));
}

for (const builder of ['buildkit', 'classic'] as const) {
  test(`${builder}: every stage is built, measured like the engine measures it, and mapped to its lines`, { timeout: 300_000 }, async (t) => {
    const { connection, host } = await engine();
    const v = variant(connection, builder, t);
    if (!v) return;
    const dir = contextWith({ 'Dockerfile': MULTI(nonce()), 'hello.txt': 'hello\n' });
    const events: string[] = [];
    const report = await analyzeStages({
      dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, connection, builder: v.ask, network: 'none',
      onProgress: (e) => { events.push(e.type); },
    });
    assert.equal(report.engine.builder, v.expect);
    assert.equal(report.engine.product, connection.product);
    assert.equal(report.engine.store, connection.store);
    assert.equal(report.schemaVersion, 2);
    assert.equal(report.engine.endpoint, host);
    assert.equal(report.stages.length, 3);
    for (const s of report.stages) assert.equal(s.error, null, `stage ${s.index}: ${s.error?.message}`);
    assert.deepEqual(report.stages.map((s) => s.final), [false, false, true]);
    assert.ok(events.includes('stage-start') && events.includes('stage-finish'));
    assert.ok(events.includes(v.expect === 'buildkit' ? 'vertex' : 'classic'));

    const docker = connection.docker;
    const busybox = await docker.getImage(BUSYBOX).inspect();
    // overlay2 (Docker's graph driver store): inspect Size is the unpacked size too.
    const inspectIsUnpacked = connection.product === 'docker' && connection.store !== 'containerd';
    for (const s of report.stages) {
      const info = await docker.getImage(s.imageId!).inspect();
      assert.equal(s.sizeBytes, await historySum(connection, s.imageId!), `stage ${s.index} size must be the sum of its history sizes`);
      if (inspectIsUnpacked) assert.equal(s.sizeBytes, info.Size, `stage ${s.index} size must equal GET /images/{id}/json Size on ${connection.store}`);
      assert.equal(s.addedBytes, s.sizeBytes! - s.baseSizeBytes!);
      if (knowsPullSize(connection)) {
        assert.equal(typeof s.pullSizeBytes, 'number', `stage ${s.index} has a pull size on the containerd store`);
        // Not always below the unpacked size: a base loaded from `docker save` keeps its layer uncompressed.
        assert.ok(s.pullSizeBytes! > 0, `stage ${s.index} pull ${s.pullSizeBytes}`);
      } else {
        assert.equal(s.pullSizeBytes, null, 'no pull size where the engine does not know one');
      }
      assert.equal(info.Config.Labels?.[LABELS.managed], 'true');
      assert.equal(info.Config.Labels?.[LABELS.hash], report.dockerfileHash);
      const tagged = await docker.getImage(s.tag!).inspect();
      assert.equal(tagged.Id, s.imageId, `${s.tag} points at the stage image`);
      assert.ok(s.tag!.startsWith(`${stageImageRepo(report.dockerfileHash!)}:`));
      const history = await docker.getImage(s.imageId!).history();
      assert.equal(s.layers.length, history.length);
    }
    const [b, child, last] = report.stages as [typeof report.stages[0], typeof report.stages[0], typeof report.stages[0]];
    assert.equal(b.baseSizeBytes, await historySum(connection, busybox.Id));
    if (inspectIsUnpacked) assert.equal(b.baseSizeBytes, busybox.Size);
    // The 20 MiB of zeros compress to almost nothing: what a pull downloads is far less.
    if (knowsPullSize(connection)) assert.ok(b.pullSizeBytes! < b.sizeBytes! / 4, `pull ${b.pullSizeBytes} vs unpacked ${b.sizeBytes}`);
    const big = b.layers.find((l) => l.line === 3)!;
    assert.ok(big, 'the dd layer maps to line 3');
    assert.ok(Math.abs(big.sizeBytes - MiB20) / MiB20 < 0.01, `20 MiB layer measured ${big.sizeBytes}`);
    assert.equal(big.fromBase, false);
    assert.match(big.instruction!, /^RUN dd if=\/dev\/zero/);
    assert.ok(b.addedBytes! >= MiB20 && b.addedBytes! < MiB20 * 1.01);
    assert.deepEqual(b.layers.filter((l) => !l.fromBase && !l.buildLabel).map((l) => l.line), [2, 3, 4, 5]);
    assert.equal(b.layers.find((l) => l.line === 2)!.empty, true);
    if (v.expect === 'buildkit') assert.equal(typeof big.cached, 'boolean');

    // FROM builder: the 20 MiB came with FROM; the child's own layer is line 8.
    assert.equal(child.baseStage, 0);
    assert.equal(child.baseSizeBytes, b.sizeBytes);
    const inherited = child.layers.find((l) => l.origin?.line === 3)!;
    assert.ok(inherited && inherited.fromBase && inherited.line === null);
    assert.deepEqual(child.layers.filter((l) => !l.fromBase && !l.buildLabel).map((l) => l.line), [8]);
    // A one-line file: Docker counts ~100 B, Podman whole blocks (3 kB); BuildKit on the containerd store ~12 kB.
    assert.ok(child.addedBytes! < 16_000, `child added ${child.addedBytes}`);

    assert.equal(last.name, null);
    assert.deepEqual(last.layers.filter((l) => !l.fromBase && !l.buildLabel).map((l) => [l.line, l.instruction]), [[11, 'COPY --from=child /app/hello.txt /hello.txt'], [12, 'CMD ["cat", "/hello.txt"]']]);
    assert.ok(last.sizeBytes! < b.sizeBytes!, 'the final stage leaves the 20 MiB behind');
    assert.ok(report.contextBytes! > 0);
    await cleanUpImages(docker, { dockerfile: join(dir, 'Dockerfile') });
  });

  test(`${builder}: a failing RUN in a middle stage is reported on its line; earlier and independent stages are measured`, { timeout: 300_000 }, async (t) => {
    const { connection } = await engine();
    const v = variant(connection, builder, t);
    if (!v) return;
    const text = [
      `FROM ${BUSYBOX} AS one`, //              1
      `RUN echo ${nonce()} > /one`, //          2
      'FROM one AS two', //                     3
      'RUN echo about to fail && \\', //        4
      '    exit 3', //                          5
      'FROM one AS three', //                   6
      'RUN echo three > /three', //             7
      'FROM two AS four', //                    8
      'RUN echo never', //                      9
      '',
    ].join('\n');
    const dir = contextWith({ Dockerfile: text });
    const report = await analyzeStages({ dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, connection, builder: v.ask, network: 'none' });
    const [one, two, three, four] = report.stages;
    assert.equal(one!.error, null);
    assert.ok(one!.sizeBytes! > 0);
    assert.equal(two!.imageId, null);
    assert.equal(two!.error!.line, 4);
    assert.match(two!.error!.message, /exit code: 3|non-zero code: 3|exit status 3/);
    assert.equal(three!.error, null, 'a stage that does not need the failed one is still built');
    assert.ok(three!.layers.some((l) => l.line === 7));
    assert.match(four!.error!.message, /not built: depends on failed stage two/);
    assert.equal((await tagsOf(stageImageRepo(report.dockerfileHash!))).some((t) => t.endsWith(':two') || t.endsWith(':four')), false);
    await cleanUpImages(connection.docker, { dockerfile: join(dir, 'Dockerfile') });
  });

  test(`${builder}: cancelling mid-build returns promptly and leaves no tag`, { timeout: 120_000 }, async (t) => {
    const { connection } = await engine();
    const v = variant(connection, builder, t);
    if (!v) return;
    const n = nonce();
    const text = `FROM ${BUSYBOX} AS slow\nRUN echo ${n} && sleep 30\nFROM slow AS after\nRUN echo after\n`;
    const dir = contextWith({ Dockerfile: text });
    const ctl = new AbortController();
    let abortedAt = 0;
    const report: AnalysisReport = await analyzeStages({
      dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, connection, builder: v.ask, network: 'none', signal: ctl.signal,
      onProgress: (e) => {
        // Buildah prints no "Running in": its step line is the last word before the RUN starts.
        const running = (e.type === 'vertex' && e.line === 2 && e.started !== null) || (e.type === 'classic' && (/Running in/.test(e.text) || (v.expect === 'buildah' && /STEP \d+\/\d+: RUN/.test(e.text))));
        if (running && !abortedAt) { abortedAt = Date.now() + 1000; setTimeout(() => ctl.abort(), 1000); }
      },
    });
    const took = Date.now() - abortedAt;
    assert.ok(abortedAt > 0, 'the sleep step started');
    assert.ok(took < 5000, `returned ${took} ms after the abort`);
    assert.equal(report.cancelled, true);
    assert.deepEqual(report.stages.map((s) => s.imageId), [null, null]);
    assert.match(report.stages[0]!.error!.message, /cancelled/);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await tagsOf(stageImageRepo(report.dockerfileHash!)), []);
    // The engine stops the build's container on its own schedule; give it a few seconds.
    let left = -1;
    for (let i = 0; i < 20 && left !== 0; i++) {
      if (i) await new Promise((r) => setTimeout(r, 500));
      left = (await connection.docker.listContainers()).filter((c) => c.Command.includes(n)).length;
    }
    assert.equal(left, 0, 'the engine stopped the build container');
  });
}

test('buildkit: RUN --mount=type=cache works without a # syntax line and the cache is shared between stages', { timeout: 120_000 }, async (t) => {
  const { connection } = await engine();
  if (!needsBuildkit(connection, t)) return;
  const n = nonce();
  const text = [
    `FROM ${BUSYBOX} AS writer`,
    // The writer takes a while: built side by side, the reader would find the cache empty.
    `RUN --mount=type=cache,target=/cache,id=sl-${n} sleep 2 && echo ${n} > /cache/n && head -c 1000000 /dev/zero > /cache/big`,
    `FROM ${BUSYBOX} AS reader`,
    `RUN --mount=type=cache,target=/cache,id=sl-${n} cp /cache/n /n && test -s /n`,
    '',
  ].join('\n');
  const dir = contextWith({ Dockerfile: text });
  const report = await analyzeStages({ dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, connection, builder: 'buildkit', network: 'none' });
  for (const s of report.stages) assert.equal(s.error, null, s.error?.message);
  assert.deepEqual(report.stages.map((s) => s.layers.filter((l) => !l.fromBase).map((l) => l.line)), [[2], [4]]);
  // The 1 MB in the cache stays out; the layer itself may count a few blocks (containerd store).
  assert.ok(report.stages[0]!.addedBytes! < 100_000, `cache contents stay out of the image (added ${report.stages[0]!.addedBytes})`);
  await cleanUpImages(connection.docker, { dockerfile: join(dir, 'Dockerfile') });
});

for (const builder of ['buildkit', 'classic'] as const) {
  test(`${builder}: # escape= and line continuations map to the right line ranges; ARG before FROM resolves the base`, { timeout: 120_000 }, async (t) => {
    const { connection } = await engine();
    const v = variant(connection, builder, t);
    if (!v) return;
    const text = [
      '# escape=`', //                        1
      `ARG BASE=${BUSYBOX}`, //               2
      'FROM ${BASE} AS e', //                 3
      `RUN echo ${nonce()} \``, //             4
      '    one two > /x', //                  5
      'ENV WINPATH=C:\\app', //               6
      'RUN cat /x && `', //                   7
      '    # a comment inside the continuation', // 8
      '    echo done', //                     9
      '',
    ].join('\n');
    const dir = contextWith({ Dockerfile: text });
    const report = await analyzeStages({ dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, connection, builder: v.ask, network: 'none' });
    const s = report.stages[0]!;
    assert.equal(s.error, null, s.error?.message);
    assert.equal(s.baseImage, BUSYBOX);
    assert.deepEqual(s.layers.filter((l) => !l.fromBase && !l.buildLabel).map((l) => [l.line, l.endLine]), [[4, 5], [6, 6], [7, 9]]);
    await cleanUpImages(connection.docker, { dockerfile: join(dir, 'Dockerfile') });
  });
}

test('buildkit: a heredoc maps to its whole range, or, on an engine whose frontend lacks heredocs, the error names a line inside it', { timeout: 120_000 }, async (t) => {
  const { connection } = await engine();
  if (!needsBuildkit(connection, t)) return;
  const text = [`FROM ${BUSYBOX} AS h`, 'RUN <<EOF', `echo ${nonce()} > /h`, 'EOF', 'RUN cat /h', ''].join('\n');
  const dir = contextWith({ Dockerfile: text });
  const report = await analyzeStages({ dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, connection, builder: 'buildkit', network: 'none' });
  const s = report.stages[0]!;
  if (s.error) {
    assert.ok(s.error.line !== null && s.error.line >= 2 && s.error.line <= 4, `error line ${s.error.line}: ${s.error.message}`);
  } else {
    assert.deepEqual(s.layers.filter((l) => !l.fromBase).map((l) => [l.line, l.endLine]), [[2, 4], [5, 5]]);
  }
  await cleanUpImages(connection.docker, { dockerfile: join(dir, 'Dockerfile') });
});

test('a # syntax= frontend the engine cannot pull is explained plainly', { timeout: 120_000 }, async (t) => {
  const { connection } = await engine();
  if (!needsBuildkit(connection, t)) return;
  const text = `# syntax=stagelens.invalid/no-such-frontend:${nonce()}\nFROM ${BUSYBOX}\nRUN true\n`;
  const dir = contextWith({ Dockerfile: text });
  const report = await analyzeStages({ dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, connection, builder: 'buildkit', network: 'none' });
  const e = report.stages[0]!.error!;
  assert.match(e.message, /# syntax=.*directive makes BuildKit pull stagelens\.invalid\/no-such-frontend/);
  assert.match(e.message, /remove the line/);
  assert.equal(e.line, 1);
});

test('.dockerignore: an excluded large file is not sent (contextBytes shows it) and is absent in the build', { timeout: 120_000 }, async () => {
  const { connection } = await engine();
  const text = `FROM ${BUSYBOX} AS c\nCOPY . /ctx\nRUN test ! -e /ctx/big.bin && test -e /ctx/small.txt && echo ${nonce()}\n`;
  const big = Buffer.alloc(30_000_000, 1);
  const ignored = contextWith({ 'Dockerfile': text, 'small.txt': 'x', 'big.bin': big, '.dockerignore': 'big.bin\n' });
  const r1 = await analyzeStages({ dockerfilePath: join(ignored, 'Dockerfile'), contextDir: ignored, connection, network: 'none' });
  assert.equal(r1.stages[0]!.error, null, r1.stages[0]!.error?.message);
  assert.ok(r1.contextBytes! < 100_000, `context ${r1.contextBytes} bytes`);
  const plain = contextWith({ 'Dockerfile': text.replace('test ! -e /ctx/big.bin', 'test -s /ctx/big.bin'), 'small.txt': 'x', 'big.bin': big });
  const r2 = await analyzeStages({ dockerfilePath: join(plain, 'Dockerfile'), contextDir: plain, connection, network: 'none' });
  assert.equal(r2.stages[0]!.error, null, r2.stages[0]!.error?.message);
  assert.ok(r2.contextBytes! > 30_000_000);
  await cleanUpImages(connection.docker, { dockerfile: join(ignored, 'Dockerfile') });
  await cleanUpImages(connection.docker, { dockerfile: join(plain, 'Dockerfile') });
});

test('unsaved text is built instead of the file on disk; --target builds only what the target needs', { timeout: 120_000 }, async () => {
  const { connection } = await engine();
  const dir = contextWith({ Dockerfile: 'this is not what gets built\n' });
  const text = `FROM ${BUSYBOX} AS a\nRUN echo ${nonce()} > /a\nFROM ${BUSYBOX} AS unrelated\nRUN exit 1\nFROM a AS t\nRUN echo t\n`;
  const report = await analyzeStages({ dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, text, target: 't', connection, network: 'none' });
  assert.deepEqual(report.stages.map((s) => [s.name, s.error, s.final]), [['a', null, false], ['t', null, true]]);
});

test('cleanup finds and removes exactly Stage Lens images', { timeout: 120_000 }, async () => {
  const { connection } = await engine();
  const dir = contextWith({ Dockerfile: `FROM ${BUSYBOX} AS a\nRUN echo ${nonce()} > /a\n` });
  const report = await analyzeStages({ dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, connection, network: 'none' });
  const mine = (await listStageLensImages(connection.docker)).filter((i) => i.dockerfile === join(dir, 'Dockerfile'));
  assert.deepEqual(mine.map((i) => i.id), [report.stages[0]!.imageId]);
  assert.ok(mine[0]!.tags.some((t) => t.replace(/^(?:docker\.io|localhost)\//, '') === report.stages[0]!.tag), `${mine[0]!.tags.join(', ')} holds ${report.stages[0]!.tag}`);
  const { removed } = await cleanUpImages(connection.docker, { dockerfile: join(dir, 'Dockerfile') });
  assert.deepEqual(removed, [report.stages[0]!.imageId]);
  assert.ok(await connection.docker.getImage(BUSYBOX).inspect(), 'the fixture image is untouched');
  assert.equal((await listStageLensImages(connection.docker)).filter((i) => i.dockerfile === join(dir, 'Dockerfile')).length, 0);
});

test('a base image the engine does not have (and cannot pull offline) is named, on its FROM line', { timeout: 120_000 }, async () => {
  const { connection } = await engine();
  const text = `FROM ${BUSYBOX} AS ok\nRUN echo ${nonce()}\nFROM stagelens-fixture/not-there:${nonce()} AS missing\nRUN true\n`;
  const dir = contextWith({ Dockerfile: text });
  for (const builder of buildersOf(connection)) {
    const report = await analyzeStages({ dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, connection, builder, network: 'none' });
    assert.equal(report.stages[0]!.error, null);
    const e = report.stages[1]!.error!;
    assert.equal(e.line, 3, `${builder}: ${e.message}`);
    assert.match(e.message, /stagelens-fixture\/not-there/);
  }
  await cleanUpImages(connection.docker, { dockerfile: join(dir, 'Dockerfile') });
});

test('COPY . copies what docker build would: the Dockerfile at its own path, nothing of ours', { timeout: 120_000 }, async () => {
  const { connection } = await engine();
  const text = `FROM ${BUSYBOX} AS c\nCOPY . /c\nRUN test "$(ls -A /c | tr '\\n' ' ')" = "Dockerfile app.py " && grep -q ${nonce()} /c/Dockerfile\n`;
  const dir = contextWith({ 'Dockerfile': 'old text on disk\n', 'app.py': 'print(1)\n' });
  for (const builder of buildersOf(connection)) {
    const report = await analyzeStages({ dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, text, connection, builder, network: 'none' });
    assert.equal(report.stages[0]!.error, null, `${builder}: ${report.stages[0]!.error?.message}`);
  }
  await cleanUpImages(connection.docker, { dockerfile: join(dir, 'Dockerfile') });
});
