// Layer-content analysis against the private test engine, on images built from the busybox
// fixture whose answers are known by construction. Builds use the classic builder with network
// none; every image is tagged stagelens-test/layers-* and removed afterwards.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Dockerode from 'dockerode';
import * as tar from 'tar-stream';
import { run as runLayersCli } from '../../src/cli/layers';
import { exitCodeFor } from '../../src/cli/common';
import { dockerodeOptionsFor } from '../../src/engine/connection';
import { analyzeImageLayers } from '../../src/engine/layers';
import { dockerfileHash } from '../../src/core/hash';
import { ensureFixtures } from '../harness/engine';
import { engineFacts } from '../harness/matrix';

const MiB = 1024 * 1024;
const tags: string[] = [];
let docker: Dockerode;
let host: string;
let baseBytes = 0;
let baseFiles = 0;
/**
 * Files every RUN layer carries besides what the command wrote. Buildah (Podman) leaves the empty
 * mount points of the files it bind-mounts into RUN in the layer; they are real (empty) files of
 * the image, and dive lists them as added too, so Stage Lens counts them. Docker's builders: none.
 */
let runExtras: string[] = [];

async function build(name: string, dockerfile: string, labels?: Record<string, string>): Promise<string> {
  const tag = `stagelens-test/layers-${name}:latest`;
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, dockerfile);
  pack.finalize();
  const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag, networkmode: 'none', rm: true, forcerm: true, ...(labels ? { labels: JSON.stringify(labels) } : {}) } as Dockerode.ImageBuildOptions);
  const events = await new Promise<Array<{ error?: string; stream?: string }>>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, res: Array<{ error?: string }>) => (err ? reject(err) : resolve(res)));
  });
  const failed = events.find((e) => e.error);
  assert.equal(failed, undefined, `build ${name} failed: ${failed?.error}\n${events.map((e) => e.stream ?? '').join('')}`);
  tags.push(tag);
  return tag;
}

before(async () => {
  host = await ensureFixtures();
  docker = new Dockerode(dockerodeOptionsFor(host));
  const base = await analyzeImageLayers(docker, 'busybox:latest');
  baseBytes = base.report.finalBytes;
  baseFiles = base.report.fileCount;
  if ((await engineFacts(docker)).product === 'Podman') runExtras = ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf'];
});

/** The added non-directory paths of one layer outside `dir`: exactly the engine's RUN extras. */
function assertOnlyRunExtrasOutside(changes: { path: string; kind: string; type: string; sizeBytes: number }[] | undefined, dir: string): void {
  const others = (changes ?? []).filter((c) => c.kind === 'added' && c.type !== 'dir' && !c.path.startsWith(`${dir}/`));
  assert.deepEqual(others.map((c) => c.path).sort(), runExtras);
  assert.ok(others.every((c) => c.sizeBytes === 0), 'the extras are empty mount points');
}

after(async () => {
  for (const t of tags) { try { await docker.getImage(t).remove({ force: true }); } catch { /* already gone */ } }
});

describe('layer contents on a real engine', { timeout: 600_000 }, () => {
  it('a 20 MiB file written then deleted: wasted and reclaimable are exactly its byte size', async () => {
    const tag = await build('waste', 'FROM busybox:latest\nRUN dd if=/dev/urandom of=/big bs=1048576 count=20\nRUN rm /big\n');
    const { report } = await analyzeImageLayers(docker, tag);
    assert.equal(report.layers.length, 3);
    // Exactly: tar headers carry the file's byte size, so no block rounding enters the numbers.
    assert.equal(report.wastedBytes, 20 * MiB);
    assert.equal(report.reclaimableBytes, 20 * MiB);
    assert.equal(report.efficiency, baseBytes / (baseBytes + 20 * MiB));
    assert.equal(report.layers[1]!.files.addedBytes, 20 * MiB);
    assert.deepEqual([report.layers[2]!.files.removed, report.layers[2]!.files.removedBytes], [1, 20 * MiB]);
    assert.equal(report.topWasted[0]!.path, '/big');
    assert.equal(report.finalBytes, baseBytes);
    assert.match(report.layers[1]!.createdBy ?? '', /dd if=\/dev\/urandom/);
  });

  it('a file overwritten with a smaller one: dive counts both copies, reclaimable the bigger', async () => {
    const tag = await build('overwrite', 'FROM busybox:latest\nRUN dd if=/dev/urandom of=/data bs=1000 count=3000\nRUN dd if=/dev/urandom of=/data bs=1000 count=1000\n');
    const { report } = await analyzeImageLayers(docker, tag);
    assert.equal(report.wastedBytes, 4_000_000);
    assert.equal(report.reclaimableBytes, 3_000_000);
    assert.equal(report.efficiency, (baseBytes + 1_000_000) / (baseBytes + 4_000_000));
    assert.deepEqual([report.layers[2]!.files.modified, report.layers[2]!.files.modifiedBytes], [1, 1_000_000]);
    assert.equal(report.topWasted[0]!.removedBy?.how, 'overwritten');
  });

  it('an opaque directory replacement hides the lower files', async () => {
    const tag = await build('opaque', 'FROM busybox:latest\nRUN mkdir -p /app/old && dd if=/dev/urandom of=/app/old/a bs=1000 count=100 && dd if=/dev/urandom of=/app/b bs=1000 count=50\nRUN rm -rf /app && mkdir /app && echo hi > /app/c\n');
    const { report, index } = await analyzeImageLayers(docker, tag);
    const l2 = report.layers[2]!.files;
    assert.deepEqual([l2.removed, l2.removedBytes, l2.added, l2.addedBytes], [2, 150_000, 1, 3]);
    assert.equal(report.reclaimableBytes, 150_000);
    const app = index.list({ layer: 2, view: 'merged', dir: '/app', sort: 'name' });
    assert.deepEqual(app.entries.map((e) => [e.name, e.change]), [['b', 'removed'], ['c', 'added'], ['old', 'removed']]);
  });

  it('hard links and symlinks keep their targets and count their bytes once', async () => {
    const tag = await build('links', 'FROM busybox:latest\nRUN mkdir /h && dd if=/dev/urandom of=/h/a bs=1000 count=7 && ln /h/a /h/b && ln -s a /h/c\n');
    const { report, index } = await analyzeImageLayers(docker, tag, { changesPerLayer: 100 });
    assert.deepEqual([report.layers[1]!.files.added, report.layers[1]!.files.addedBytes], [3 + runExtras.length, 7000]);
    assertOnlyRunExtrasOutside(report.layers[1]!.changes, '/h');
    const h = Object.fromEntries(index.list({ layer: 1, view: 'layer', dir: '/h' }).entries.map((e) => [e.name, e]));
    assert.equal(h.a!.type, 'file');
    assert.equal(h.a!.sizeBytes, 7000);
    assert.equal(h.b!.type, 'hardlink');
    assert.equal(h.b!.link, '/h/a');
    assert.equal(h.c!.type, 'symlink');
    assert.equal(h.c!.link, 'a');
    assert.equal(report.finalBytes, baseBytes + 7000);
  });

  it('a file with a non-UTF-8 name is reported with its bytes escaped', async () => {
    const tag = await build('name', "FROM busybox:latest\nRUN mkdir /n && echo x > \"/n/bad$(printf '\\377\\376')name\" && echo y > /n/caf\u00e9\n");
    const { index } = await analyzeImageLayers(docker, tag);
    const names = index.list({ layer: 1, view: 'layer', dir: '/n' }).entries.map((e) => e.name).sort();
    assert.deepEqual(names, ['bad\\xff\\xfename', 'caf\u00e9']);
  });

  // ~90 s on a loaded 2-core machine: the main engine runs it; the matrix engines (whose exports
  // the other cases here already read) skip it to keep npm test's matrix part short.
  it('an image with 50,000 small files: every file counted, the tree pages', { skip: process.env.STAGELENS_TEST_QUICK ? 'heavy; run on the main engine only (STAGELENS_TEST_QUICK)' : false }, async () => {
    const tag = await build('many', 'FROM busybox:latest\nRUN mkdir /many && cd /many && i=1; while [ $i -le 50000 ]; do echo $i > f$i; i=$((i+1)); done\n');
    const t0 = Date.now();
    const { report, index } = await analyzeImageLayers(docker, tag);
    const ms = Date.now() - t0;
    let bytes = 0;
    for (let i = 1; i <= 50000; i++) bytes += String(i).length + 1;
    assert.deepEqual([report.layers[1]!.files.added, report.layers[1]!.files.addedBytes], [50000 + runExtras.length, bytes]);
    assert.equal(report.fileCount, baseFiles + 50000 + runExtras.length);
    const page = index.list({ layer: 1, view: 'merged', dir: '/many', sort: 'size', descending: true, limit: 100 });
    assert.equal(page.total, 50000);
    assert.equal(page.entries.length, 100);
    assert.equal(page.entries[0]!.sizeBytes, 6);
    process.stderr.write(`[layers] 50,000-file image analysed in ${ms} ms\n`);
  });
});

describe('Dockerfile lines from Stage Lens labels', { timeout: 300_000 }, () => {
  it('links layers and wasted paths to lines when the labelled Dockerfile still matches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagelens-labels-'));
    try {
      const text = 'FROM busybox:latest\nRUN dd if=/dev/urandom of=/big bs=1000 count=1000\nENV A=1\nRUN rm /big\n';
      const path = join(dir, 'Dockerfile');
      writeFileSync(path, text);
      const labels = { 'com.stagelens.managed': 'true', 'com.stagelens.dockerfile': path, 'com.stagelens.stage': '0', 'com.stagelens.hash': dockerfileHash(text) };
      const tag = await build('labels', text, labels);
      const { report, linkedBy } = await analyzeImageLayers(docker, tag);
      assert.equal(linkedBy, 'labels');
      assert.deepEqual(report.layers.map((l) => l.line), [null, 2, 4]);
      assert.equal(report.topWasted[0]!.writes[0]!.line, 2);
      assert.equal(report.topWasted[0]!.removedBy?.line, 4);
      // An edited Dockerfile no longer vouches for the lines.
      writeFileSync(path, text.replace('ENV A=1', 'ENV A=2'));
      const stale = await analyzeImageLayers(docker, tag);
      assert.equal(stale.linkedBy, null);
      assert.deepEqual(stale.report.layers.map((l) => l.line), [null, null, null]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stagelens layers (CLI) on a real engine', { timeout: 300_000 }, () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (s: string) => { out.push(s); }, err: (s: string) => { err.push(s); } }, out, err };
  };

  it('prints JSON, and --ci fails on a .dive-ci threshold naming the rule', async () => {
    const tag = await build('cli', 'FROM busybox:latest\nRUN dd if=/dev/urandom of=/big bs=1048576 count=2\nRUN rm /big\n');
    const c1 = capture();
    assert.equal(await runLayersCli([tag, '--json', '--host', host], c1.io, new AbortController().signal), 0);
    const json = JSON.parse(c1.out.join('\n')) as { wastedBytes: number; layers: unknown[] };
    assert.equal(json.wastedBytes, 2 * MiB);

    const dir = mkdtempSync(join(tmpdir(), 'stagelens-ci-'));
    try {
      const cfg = join(dir, '.dive-ci');
      writeFileSync(cfg, 'rules:\n  lowest-efficiency: disabled\n  highestWastedBytes: 1MB\n  highestUserWastedPercent: disabled\n');
      const c2 = capture();
      assert.equal(await runLayersCli([tag, '--ci', '--ci-config', cfg, '--host', host], c2.io, new AbortController().signal), 1);
      assert.match(c2.out.join('\n'), /FAIL: highestWastedBytes: too many bytes wasted/);
      writeFileSync(cfg, 'rules:\n  lowestEfficiency: 0\n  highest-wasted-bytes: 3MB\n  highestUserWastedPercent: disabled\n');
      const c3 = capture();
      assert.equal(await runLayersCli([tag, '--ci', '--ci-config', cfg, '--host', host], c3.io, new AbortController().signal), 0);
      assert.match(c3.out.join('\n'), /Result: PASS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown image is exit 2, an unreachable engine exit 3', async () => {
    // main.ts turns what run() throws into the exit code through exitCodeFor (one map, by error kind).
    await assert.rejects(runLayersCli(['stagelens-test/no-such-image:nope', '--host', host], capture().io, new AbortController().signal), (e: Error) => exitCodeFor(e) === 2 && /No image/.test(e.message));
    await assert.rejects(runLayersCli(['busybox:latest', '--host', 'unix:///nonexistent/stagelens.sock'], capture().io, new AbortController().signal), (e: Error) => exitCodeFor(e) === 3);
  });
});
