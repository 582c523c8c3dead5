// Layer-content analysis over synthetic exports whose answers are known by construction.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { analyzeExport, sourcesForLayers, historyForLayers } from '../../../src/core/layers/analyze';
import { ExportFormatError } from '../../../src/core/layers/read';
import type { LayerReport } from '../../../src/core/report';
import { chunked, dockerSave, ociLayout, packTar, patchName, patchType, type SynthImage } from './synth';

const MB20 = 20 * 1024 * 1024;

async function analyze(buf: Buffer, extra: Partial<Parameters<typeof analyzeExport>[1]> = {}) {
  return analyzeExport(chunked(buf), { image: 'synth', changesPerLayer: 100, ...extra });
}

const writeThenDelete: SynthImage = {
  layers: [
    [{ name: 'bin/', type: 'directory' }, { name: 'bin/busybox', size: 1000, mode: 0o755 }, { name: 'bin/sh', type: 'symlink', linkname: 'busybox' }],
    [{ name: 'big', size: MB20 }],
    [{ name: '.wh.big' }],
  ],
};

describe('layer analysis: docker-save and OCI layouts', () => {
  it('a file written then deleted in the next layer is wasted and reclaimable to the byte', async () => {
    const { report } = await analyze(await dockerSave(writeThenDelete, { manifestLast: true }));
    assert.equal(report.layout, 'docker-save');
    assert.equal(report.layers.length, 3);
    assert.equal(report.wastedBytes, MB20);
    assert.equal(report.reclaimableBytes, MB20);
    // dive: Σ smallest = 1000 (busybox) + 0 (big: min of 20 MiB and the whiteout's 0); Σ cumulative = 1000 + 20 MiB.
    assert.equal(report.efficiency, 1000 / (1000 + MB20));
    assert.equal(report.userSizeBytes, MB20);
    assert.equal(report.userWastedPercent, 1);
    assert.deepEqual(report.layers[2]!.files, { added: 0, addedBytes: 0, modified: 0, modifiedBytes: 0, removed: 1, removedBytes: MB20 });
    assert.equal(report.topWasted[0]!.path, '/big');
    assert.deepEqual(report.topWasted[0]!.writes.map((w) => w.layer), [1]);
    assert.deepEqual(report.topWasted[0]!.removedBy && { layer: report.topWasted[0]!.removedBy.layer, how: report.topWasted[0]!.removedBy.how }, { layer: 2, how: 'removed' });
    assert.equal(report.finalBytes, 1000);
    assert.equal(report.fileCount, 2);
  });

  it('gives the same numbers for the OCI layout with gzip layers and for manifest-first order', async () => {
    const a = (await analyze(await dockerSave(writeThenDelete))).report;
    const b = (await analyze(await ociLayout(writeThenDelete, { gzipLayers: true }))).report;
    const c = (await analyze(await ociLayout(writeThenDelete))).report;
    assert.equal(b.layout, 'oci');
    for (const r of [b, c]) {
      assert.equal(r.wastedBytes, a.wastedBytes);
      assert.equal(r.reclaimableBytes, a.reclaimableBytes);
      assert.equal(r.efficiency, a.efficiency);
      assert.deepEqual(r.layers.map((l) => l.files), a.layers.map((l) => l.files));
      assert.equal(r.layers.length, a.layers.length);
    }
  });

  it('a file overwritten with a smaller one: dive counts both copies, reclaimable only the big one', async () => {
    const { report } = await analyze(await dockerSave({ layers: [[{ name: 'etc/', type: 'directory' }, { name: 'etc/data', size: 5000 }], [{ name: 'etc/', type: 'directory' }, { name: 'etc/data', size: 300 }]] }));
    assert.equal(report.wastedBytes, 5300);
    assert.equal(report.reclaimableBytes, 5000);
    assert.equal(report.efficiency, 300 / 5300);
    assert.deepEqual(report.layers[1]!.files, { added: 0, addedBytes: 0, modified: 1, modifiedBytes: 300, removed: 0, removedBytes: 0 });
    const w = report.topWasted[0]!;
    assert.equal(w.path, '/etc/data');
    assert.equal(w.finalBytes, 300);
    assert.deepEqual(w.removedBy && [w.removedBy.layer, w.removedBy.how], [1, 'overwritten']);
  });

  it('a file overwritten with a bigger one: reclaimable is the old copy, not the kept one', async () => {
    const { report } = await analyze(await dockerSave({ layers: [[{ name: 'f', size: 300 }], [{ name: 'f', size: 5000 }]] }));
    assert.equal(report.reclaimableBytes, 300);
    assert.equal(report.wastedBytes, 5300);
  });

  it('an opaque directory hides every lower file in it; dive does not count it (it ignores opaque markers)', async () => {
    const { report, index } = await analyze(await dockerSave({ layers: [
      [{ name: 'app/', type: 'directory' }, { name: 'app/a', size: 4000 }, { name: 'app/sub/', type: 'directory' }, { name: 'app/sub/b', size: 6000 }],
      [{ name: 'app/', type: 'directory' }, { name: 'app/.wh..wh..opq' }, { name: 'app/c', size: 10 }],
    ] }));
    assert.deepEqual(report.layers[1]!.files, { added: 1, addedBytes: 10, modified: 0, modifiedBytes: 0, removed: 2, removedBytes: 10000 });
    assert.equal(report.reclaimableBytes, 10000);
    assert.equal(report.wastedBytes, 0);
    assert.equal(report.finalBytes, 10);
    const merged = index.list({ layer: 1, view: 'merged', dir: '/app', sort: 'name' });
    assert.deepEqual(merged.entries.map((e) => [e.name, e.change]), [['a', 'removed'], ['c', 'added'], ['sub', 'removed']]);
    assert.equal(merged.entries.find((e) => e.name === 'sub')!.sizeBytes, 6000);
    const before = index.list({ layer: 0, view: 'merged', dir: '/app' });
    assert.deepEqual(before.entries.map((e) => [e.name, e.change]), [['a', 'added'], ['sub', 'added']]);
  });

  it('a whole directory removed by one whiteout: dive reports no waste, reclaimable has every file', async () => {
    const { report } = await analyze(await dockerSave({ layers: [
      [{ name: 'd/', type: 'directory' }, { name: 'd/x', size: 7000 }, { name: 'd/y', size: 3000 }],
      [{ name: '.wh.d' }],
    ] }));
    assert.equal(report.wastedBytes, 0);
    assert.equal(report.efficiency, 1);
    assert.equal(report.reclaimableBytes, 10000);
    assert.deepEqual(report.layers[1]!.files, { added: 0, addedBytes: 0, modified: 0, modifiedBytes: 0, removed: 2, removedBytes: 10000 });
    assert.deepEqual(report.layers[1]!.changes, [{ path: '/d', kind: 'removed', type: 'dir', sizeBytes: 10000 }]);
  });

  it('hard links and symlinks carry their targets and add no bytes', async () => {
    const { report, index } = await analyze(await dockerSave({ layers: [[
      { name: 'usr/', type: 'directory' }, { name: 'usr/bin/', type: 'directory' },
      { name: 'usr/bin/tool', size: 2048, mode: 0o755 },
      { name: 'usr/bin/tool-hard', type: 'link', linkname: 'usr/bin/tool' },
      { name: 'usr/bin/tool-soft', type: 'symlink', linkname: 'tool' },
    ]] }));
    assert.equal(report.layers[0]!.sizeBytes, 2048);
    assert.equal(report.finalBytes, 2048);
    const page = index.list({ layer: 0, view: 'merged', dir: '/usr/bin' });
    const byName = Object.fromEntries(page.entries.map((e) => [e.name, e]));
    assert.equal(byName['tool-hard']!.type, 'hardlink');
    assert.equal(byName['tool-hard']!.link, '/usr/bin/tool');
    assert.equal(byName['tool-soft']!.type, 'symlink');
    assert.equal(byName['tool-soft']!.link, 'tool');
  });

  it('reports a non-UTF-8 name with its bytes escaped, UTF-8 names as text, and normalises .. and absolute names', async () => {
    const layer = patchName(await packTar([{ name: 'PLACEHOLDER', size: 5 }, { name: 'caf\u00e9.txt', size: 3 }, { name: '../../escape', size: 4 }, { name: '/abs/x', size: 6 }]), 'PLACEHOLDER', Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x74]));
    const { index } = await analyze(await dockerSave({ layers: [layer] }));
    const names = index.list({ layer: 0, view: 'merged', dir: '/' }).entries.map((e) => e.name).sort();
    assert.deepEqual(names, ['abs', 'bad\\xff\\xfe.t', 'caf\u00e9.txt', 'escape']);
    assert.equal(index.list({ layer: 0, view: 'merged', dir: '/abs' }).entries[0]!.path, '/abs/x');
  });

  it('keeps the raw bytes of a non-UTF-8 name carried in a PAX record (as Go writes them)', async () => {
    const rec = (k: string, v: Buffer): Buffer => {
      const body = Buffer.concat([Buffer.from(` ${k}=`), v, Buffer.from('\n')]);
      let len = body.length + 1;
      while (String(len).length + body.length !== len) len++;
      return Buffer.concat([Buffer.from(String(len)), body]);
    };
    const pax = Buffer.concat([rec('path', Buffer.from([0x6e, 0x2f, 0x62, 0xff, 0xfe, 0x2e, 0x74])), rec('linkpath', Buffer.from([0x74, 0xe9]))]);
    const layer = patchType(await packTar([
      { name: 'n/', type: 'directory' },
      { name: 'PAXHDR', content: pax },
      { name: 'n/ignored', type: 'symlink', linkname: 'ignored' },
      { name: 'n/after', size: 3 },
    ]), 'PAXHDR', 'x');
    const { index } = await analyze(await dockerSave({ layers: [layer] }));
    const entries = index.list({ layer: 0, view: 'merged', dir: '/n' }).entries;
    assert.deepEqual(entries.map((e) => [e.name, e.type, e.link ?? null]), [['after', 'file', null], ['b\\xff\\xfe.t', 'symlink', 't\\xe9']]);
  });

  it('reads a layer tarball the export shares through a symlink (deduplicated identical layers)', async () => {
    const shared = await packTar([{ name: 'a', size: 10 }]);
    const base = await dockerSave({ layers: [shared, await packTar([{ name: 'b', size: 1 }]), shared] }, { linkDuplicates: true });
    const { report } = await analyze(base);
    assert.equal(report.layers[2]!.archivePath.endsWith('layer.tar'), true);
    assert.notEqual(report.layers[2]!.archivePath, report.layers[0]!.archivePath);
    assert.equal(report.layers.length, 3);
    assert.equal(report.layers[2]!.sizeBytes, 10);
    assert.equal(report.wastedBytes, 20);
    assert.deepEqual(report.layers[2]!.files, { added: 0, addedBytes: 0, modified: 1, modifiedBytes: 10, removed: 0, removedBytes: 0 });
  });
});

describe('layer analysis: malformed input', () => {
  const expectFormatError = async (buf: Buffer | Readable, re: RegExp): Promise<void> => {
    await assert.rejects(analyzeExport(Buffer.isBuffer(buf) ? chunked(buf) : buf, { image: 'x' }), (e: unknown) => {
      assert.ok(e instanceof ExportFormatError, `expected ExportFormatError, got ${String(e)}`);
      assert.match((e as Error).message, re);
      return true;
    });
  };

  it('a truncated export says it ended early', async () => {
    const full = await dockerSave(writeThenDelete, { manifestLast: true });
    await expectFormatError(full.subarray(0, Math.floor(full.length / 2) + 100), /ended early|truncated/);
    await expectFormatError(full.subarray(0, 700), /ended early|truncated/);
  });

  it('an export cut exactly between entries (no manifest yet) is reported, not accepted', async () => {
    const full = await dockerSave(writeThenDelete, { manifestLast: true });
    // The first entry is the first layer's directory header (512 bytes), then its VERSION (1024).
    await expectFormatError(full.subarray(0, 512 + 1024), /ended early|not a docker save archive/);
  });

  it('garbage is not a docker save archive', async () => {
    const junk = Buffer.alloc(100_000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
    await expectFormatError(junk, /not a docker save archive/);
  });

  it('an empty stream is reported as empty', async () => {
    await expectFormatError(Readable.from([]), /empty/);
  });

  it('a corrupt layer inside a valid archive names the layer', async () => {
    const good = await dockerSave({ layers: [[{ name: 'x', size: 2000 }]] });
    const bad = Buffer.from(good);
    // Corrupt the inner tar's first header (inside layer.tar) without touching the outer headers.
    const at = bad.indexOf(Buffer.from('x\0'), 1536);
    bad[at + 120] = 0x7a;
    await expectFormatError(bad, /layer .*layer\.tar/);
  });

  it('a tar of something else (no manifest) is not a docker save archive', async () => {
    await expectFormatError(await packTar([{ name: 'hello.txt', content: 'hi' }]), /not a docker save archive/);
  });
});

describe('layer analysis: surface facts', () => {
  it('finds tools, setuid files, world-writable dirs, secret-looking files and the user', async () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n';
    const cert = '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n';
    const { report } = await analyze(await dockerSave({ user: 'app', layers: [[
      { name: 'usr/', type: 'directory' }, { name: 'usr/bin/', type: 'directory' },
      { name: 'usr/bin/gcc-12', size: 10, mode: 0o755 }, { name: 'usr/bin/gcc', type: 'symlink', linkname: 'gcc-12' },
      { name: 'usr/bin/make', size: 10, mode: 0o755 }, { name: 'usr/bin/pip3', size: 10 }, { name: 'usr/bin/apt-get', size: 10 },
      { name: 'usr/bin/bash', size: 10 }, { name: 'usr/bin/passwd', size: 10, mode: 0o4755 },
      { name: 'usr/share/', type: 'directory' }, { name: 'usr/share/make', size: 1 },
      { name: 'tmp/', type: 'directory', mode: 0o1777 }, { name: 'data/', type: 'directory', mode: 0o777 },
      { name: 'app/', type: 'directory' }, { name: 'app/.env', content: 'A=1' }, { name: 'app/key.pem', content: key }, { name: 'app/ca.pem', content: cert },
      { name: 'app/.npmrc', content: '//registry.npmjs.org/:_authToken=abc\n' }, { name: 'app/.git/', type: 'directory' }, { name: 'app/.git/config', size: 5 },
      { name: 'root/', type: 'directory' }, { name: 'root/.ssh/', type: 'directory' }, { name: 'root/.ssh/id_rsa', size: 100 },
    ]] }));
    const s = report.surface;
    assert.deepEqual(s.compilers.map((p) => p.path), ['/usr/bin/gcc', '/usr/bin/gcc-12', '/usr/bin/make']);
    assert.deepEqual(s.packageManagers.map((p) => p.path), ['/usr/bin/apt-get', '/usr/bin/pip3']);
    assert.deepEqual(s.shells.map((p) => p.path), ['/usr/bin/bash']);
    assert.deepEqual(s.setuid.map((p) => [p.path, p.mode, p.setuid, p.setgid]), [['/usr/bin/passwd', '4755', true, false]]);
    assert.deepEqual(s.worldWritableDirs.map((d) => [d.path, d.sticky]), [['/data', false], ['/tmp', true]]);
    assert.deepEqual(s.secrets.map((x) => x.path), ['/app/.env', '/app/.git', '/app/.npmrc', '/app/key.pem', '/root/.ssh/id_rsa']);
    assert.equal(s.user, 'app');
    assert.equal(s.runsAsRoot, false);
  });

  it('a file removed in a later layer is not carried', async () => {
    const { report } = await analyze(await dockerSave({ layers: [
      [{ name: 'usr/', type: 'directory' }, { name: 'usr/bin/', type: 'directory' }, { name: 'usr/bin/gcc', size: 10 }],
      [{ name: 'usr/bin/.wh.gcc' }],
    ] }));
    assert.deepEqual(report.surface.compilers, []);
    assert.equal(report.surface.runsAsRoot, true);
  });
});

describe('layer analysis: lines and history', () => {
  const layer = (index: number, line: number | null, empty: boolean): LayerReport => ({ index, createdBy: `h${index}`, sizeBytes: empty ? 0 : 1, empty, fromBase: line === null, line, endLine: line, instruction: line === null ? null : `RUN ${line}`, cached: null, durationMs: null });

  it('maps tarballs to the non-empty history entries in order, and those to the stage report rows', () => {
    const history = [{ created_by: 'base' }, { created_by: 'ENV', empty_layer: true }, { created_by: 'RUN a' }, { created_by: 'CMD', empty_layer: true }, { created_by: 'RUN b' }];
    const h = historyForLayers(history, 3);
    assert.deepEqual(h, [0, 2, 4]);
    const stage = { layers: [layer(0, null, false), layer(1, 3, true), layer(2, 4, false), layer(3, 5, true), layer(4, 6, false)] };
    assert.deepEqual(sourcesForLayers(history, h, stage).map((s) => s?.line ?? null), [null, 4, 6]);
    assert.deepEqual(historyForLayers(history, 2), [null, null]);
  });

  it('puts the lines on the layers and on the wasted paths', async () => {
    const img = { ...writeThenDelete, history: [{ created_by: 'Imported from -' }, { created_by: 'RUN dd', }, { created_by: 'ENV X=1', empty_layer: true }, { created_by: 'RUN rm /big' }] };
    const stage = { layers: [layer(0, null, false), layer(1, 2, false), layer(2, 3, true), layer(3, 4, false)] };
    const { report } = await analyze(await dockerSave(img), { stage });
    assert.deepEqual(report.layers.map((l) => l.line), [null, 2, 4]);
    assert.deepEqual(report.layers.map((l) => l.historyIndex), [0, 1, 3]);
    assert.equal(report.topWasted[0]!.writes[0]!.line, 2);
    assert.equal(report.topWasted[0]!.removedBy!.line, 4);
  });
});
