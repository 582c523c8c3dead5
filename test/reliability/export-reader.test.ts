// The image export (`docker save`) reader on hostile archives: truncated, garbage, empty, path
// traversal names, oversized metadata and a gzip bomb. It must reject what is malformed, report
// traversal names normalised under the image root, never touch the disk, and keep memory
// bounded while it streams.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { readImageExport } from '../../src/core/layers/read';
import { rng } from './corpus';
import { recordSecurity } from './figures';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

type Entry = { name: string; body: Buffer | string; type?: 'file' | 'directory' | 'symlink'; linkname?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, size: e.type && e.type !== 'file' ? 0 : Buffer.byteLength(e.body) }, e.type && e.type !== 'file' ? '' : e.body, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function exportOf(layers: Buffer[], extra: Entry[] = []): Promise<Buffer> {
  const config = { config: {}, history: layers.map((_, i) => ({ created_by: `RUN step ${i}` })), rootfs: { type: 'layers', diff_ids: layers.map((_, i) => `sha256:${String(i).padStart(64, '0')}`) } };
  const names = layers.map((_, i) => `l${i}/layer.tar`);
  return tarOf([
    ...layers.map((body, i) => ({ name: names[i]!, body })),
    ...extra,
    { name: 'cfg.json', body: JSON.stringify(config) },
    { name: 'manifest.json', body: JSON.stringify([{ Config: 'cfg.json', RepoTags: ['hostile:1'], Layers: names }]) },
  ]);
}

/** Reads with a deadline; measures peak memory growth (heap + buffers) while it runs. */
async function read(source: Readable, deadlineMs = 20_000): Promise<{ outcome: 'resolved' | 'rejected' | 'hung'; error?: string; value?: Awaited<ReturnType<typeof readImageExport>>; peakMB: number }> {
  const mem = (): number => { const m = process.memoryUsage(); return m.heapUsed + m.external + m.arrayBuffers; };
  gc();
  const base = mem();
  let peak = base;
  const sampler = setInterval(() => { peak = Math.max(peak, mem()); }, 20);
  try {
    const r = await Promise.race([
      readImageExport(source).then((value) => ({ outcome: 'resolved' as const, value }), (e: Error) => ({ outcome: 'rejected' as const, error: e.message })),
      new Promise<{ outcome: 'hung' }>((res) => setTimeout(() => res({ outcome: 'hung' }), deadlineMs).unref()),
    ]);
    peak = Math.max(peak, mem());
    return { ...r, peakMB: (peak - base) / 1048576 };
  } finally {
    clearInterval(sampler);
  }
}

describe('security: image export reader', () => {
  it('reads a well-formed export (the fixture the hostile ones are cut from)', async () => {
    const layer = await tarOf([{ name: 'app/', body: '', type: 'directory' }, { name: 'app/main.py', body: 'print(1)\n' }]);
    const r = await read(Readable.from([await exportOf([layer])]));
    assert.equal(r.outcome, 'resolved', r.error);
    assert.ok(r.value!.trie.lookup('/app/main.py'), 'the file is in the tree');
  });

  it('rejects truncated, garbage and empty archives without hanging', async () => {
    const layer = await tarOf([{ name: 'big.bin', body: Buffer.alloc(200_000, 7) }, { name: 'x', body: 'y' }]);
    const whole = await exportOf([layer]);
    const garbage = Buffer.from(Array.from({ length: 1 << 20 }, ((r) => () => Math.floor(r() * 256))(rng(11))));
    const cases: [string, Buffer][] = [
      ['truncated at 30%', whole.subarray(0, Math.floor(whole.length * 0.3))],
      ['truncated at 90%', whole.subarray(0, Math.floor(whole.length * 0.9))],
      ['truncated inside a header', whole.subarray(0, 700)],
      ['random bytes', garbage],
      ['empty', Buffer.alloc(0)],
      ['zero blocks only', Buffer.alloc(10240)],
      ['layer without manifest', await tarOf([{ name: 'l0/layer.tar', body: layer }])],
    ];
    const accepted: string[] = [];
    for (const [name, buf] of cases) {
      const r = await read(Readable.from([buf]), 10_000);
      if (r.outcome !== 'rejected') accepted.push(`${name}: ${r.outcome}`);
    }
    recordSecurity('export reader rejects malformed archives', accepted.length === 0);
    assert.deepEqual(accepted, []);
  });

  it('reports path-traversal names normalised under the image root and writes nothing', async () => {
    const sentinel = `sl-rel-sentinel-${process.pid}`;
    const layer = await tarOf([
      { name: '../../etc/passwd', body: 'root:x:0:0::/root:/bin/sh\n' },
      { name: `../../../../${tmpdir().replace(/^\//, '')}/${sentinel}`, body: 'escaped\n' },
      { name: '/abs/evil', body: 'x' },
      { name: 'a/../../../b/c', body: 'x' },
      { name: 'link', body: '', type: 'symlink', linkname: '../../../../etc/shadow' },
      { name: 'ok/file', body: 'fine' },
    ]);
    const r = await read(Readable.from([await exportOf([layer])]));
    assert.equal(r.outcome, 'resolved', r.error);
    const paths = r.value!.trie.nodes.map((n) => n.path());
    const escaped = paths.filter((p) => p.split('/').includes('..'));
    const problems: string[] = [];
    if (escaped.length) problems.push(`paths with ..: ${escaped.join(', ')}`);
    if (!r.value!.trie.lookup('/etc/passwd')) problems.push('../../etc/passwd not reported as /etc/passwd');
    if (!r.value!.trie.lookup('/b/c')) problems.push('a/../../../b/c not reported as /b/c');
    if (existsSync(join(tmpdir(), sentinel)) || existsSync(join(process.cwd(), sentinel))) problems.push('a file was written outside');
    recordSecurity('export reader path traversal', problems.length === 0);
    assert.deepEqual(problems, []);
  });

  it('keeps memory bounded: 100 MB of fake metadata and a 256 MB gzip bomb stream through', async () => {
    // An entry that looks like JSON but is far larger than any manifest or config.
    const bigJsonSize = 100 * 1024 * 1024;
    const bigJson = Buffer.alloc(bigJsonSize, 0x20); bigJson[0] = 0x7b;
    const bombInner = await (async () => {
      const pack = tar.pack();
      const gz: Buffer[] = [];
      pack.on('data', (c: unknown) => { gz.push(c as Buffer); });
      const done = new Promise<void>((r) => pack.on('end', () => r()));
      const size = 256 * 1024 * 1024;
      const entry = pack.entry({ name: 'zeros', size }, () => undefined);
      const chunk = Buffer.alloc(1 << 20);
      for (let left = size; left > 0; left -= chunk.length) entry.write(chunk);
      entry.end(Buffer.alloc(0));
      pack.finalize();
      await done;
      return gzipSync(Buffer.concat(gz));
    })();
    const archive = await exportOf([bombInner], [{ name: 'huge.json', body: bigJson }]);
    // Hand the archive over in 1 MB pieces, as a socket would.
    const pieces = (function* () { for (let i = 0; i < archive.length; i += 1 << 20) yield archive.subarray(i, i + (1 << 20)); })();
    const r = await read(Readable.from(pieces), 60_000);
    const problems: string[] = [];
    if (r.outcome === 'hung') problems.push('did not finish within 60 s');
    // The archive (~101 MB) was allocated before the baseline, so the growth is the reader's.
    const readerMB = r.peakMB;
    if (readerMB > 96) problems.push(`reader held ${readerMB.toFixed(0)} MB beyond the archive`);
    if (r.outcome === 'resolved' && r.value!.trie.lookup('/zeros') === null) problems.push('the bomb layer was not read');
    recordSecurity('export reader memory bound', problems.length === 0);
    process.stdout.write(`# export reader: ${r.outcome}${r.error ? ` (${r.error})` : ''}, reader growth ${readerMB.toFixed(1)} MB over a ${(archive.length / 1048576).toFixed(0)} MB archive with 256 MB decompressed\n`);
    assert.deepEqual(problems, []);
  });
});
