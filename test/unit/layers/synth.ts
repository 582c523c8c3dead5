// Builds synthetic image exports in memory with tar-stream, so the expected answers are known
// by construction: both the docker-save layout and the OCI layout (optionally gzip layers).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

export interface SynthEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  size?: number;
  mode?: number;
  linkname?: string;
  content?: Buffer | string;
}

export async function packTar(entries: Array<SynthEntry | { header: tar.Header | Record<string, unknown>; body: Buffer }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const ended = new Promise<void>((resolve, reject) => { pack.on('end', () => resolve()); pack.on('error', reject); });
  for (const e of entries) {
    if ('header' in e) { pack.entry(e.header as tar.Header, e.body); continue; }
    const type = e.type ?? 'file';
    const body = e.content !== undefined ? Buffer.from(e.content) : type === 'file' ? Buffer.alloc(e.size ?? 0, 0x61) : undefined;
    const header = { name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), linkname: e.linkname, size: body?.length ?? 0 };
    if (body) pack.entry(header, body); else pack.entry(header);
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

export interface SynthImage {
  /** Entries to pack, or a ready-made layer tarball. */
  layers: Array<SynthEntry[] | Buffer>;
  history?: Array<{ created_by: string; empty_layer?: boolean }>;
  user?: string;
}

function sha(b: Buffer): string { return createHash('sha256').update(b).digest('hex'); }

/** docker save layout; `manifestLast` puts manifest.json after the layers (as Docker 20.10 does). */
export async function dockerSave(img: SynthImage, opts: { manifestLast?: boolean; gzipLayers?: boolean; linkDuplicates?: boolean } = {}): Promise<Buffer> {
  const layerTars = await Promise.all(img.layers.map((l) => (Buffer.isBuffer(l) ? l : packTar(l))));
  const diffIds = layerTars.map((t) => `sha256:${sha(t)}`);
  const config = Buffer.from(JSON.stringify({
    config: { User: img.user ?? '' },
    history: img.history ?? img.layers.map((_l, i) => ({ created_by: `layer ${i}` })),
    rootfs: { type: 'layers', diff_ids: diffIds },
  }));
  const configName = `${sha(config)}.json`;
  const ids = layerTars.map((t, i) => sha(Buffer.concat([t, Buffer.from(String(i))])));
  const layerNames = ids.map((id) => `${id}/layer.tar`);
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: ['synth:latest'], Layers: layerNames }]));
  const outer: Array<{ header: Record<string, unknown>; body: Buffer }> = [];
  if (!opts.manifestLast) outer.push({ header: { name: 'manifest.json', size: manifest.length }, body: manifest });
  layerTars.forEach((t, i) => {
    outer.push({ header: { name: `${ids[i]}/`, type: 'directory' }, body: Buffer.alloc(0) });
    outer.push({ header: { name: `${ids[i]}/VERSION`, size: 3 }, body: Buffer.from('1.0') });
    const same = opts.linkDuplicates ? layerTars.findIndex((u) => u.equals(t)) : i;
    if (same !== i) {
      // What docker save does for identical layers: a relative symlink to the first copy.
      outer.push({ header: { name: `${ids[i]}/layer.tar`, type: 'symlink', linkname: `../${ids[same]}/layer.tar` }, body: Buffer.alloc(0) });
      return;
    }
    const body = opts.gzipLayers ? gzipSync(t) : t;
    outer.push({ header: { name: `${ids[i]}/layer.tar`, size: body.length }, body });
  });
  outer.push({ header: { name: configName, size: config.length }, body: config });
  if (opts.manifestLast) outer.push({ header: { name: 'manifest.json', size: manifest.length }, body: manifest });
  return packTar(outer);
}

/** OCI image layout (index.json → manifest → config + layers under blobs/sha256). */
export async function ociLayout(img: SynthImage, opts: { gzipLayers?: boolean } = {}): Promise<Buffer> {
  const layerTars = await Promise.all(img.layers.map((l) => (Buffer.isBuffer(l) ? l : packTar(l))));
  const blobs = layerTars.map((t) => (opts.gzipLayers ? gzipSync(t) : t));
  const config = Buffer.from(JSON.stringify({
    config: { User: img.user ?? '' },
    history: img.history ?? img.layers.map((_l, i) => ({ created_by: `layer ${i}` })),
    rootfs: { type: 'layers', diff_ids: layerTars.map((t) => `sha256:${sha(t)}`) },
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(config)}`, size: config.length },
    layers: blobs.map((b) => ({ mediaType: opts.gzipLayers ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${sha(b)}`, size: b.length })),
  }));
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha(manifest)}`, size: manifest.length }] }));
  const outer: Array<{ header: Record<string, unknown>; body: Buffer }> = [
    { header: { name: 'blobs/', type: 'directory' }, body: Buffer.alloc(0) },
    { header: { name: 'blobs/sha256/', type: 'directory' }, body: Buffer.alloc(0) },
  ];
  for (const b of [...blobs, config, manifest]) outer.push({ header: { name: `blobs/sha256/${sha(b)}`, size: b.length }, body: b });
  const layoutFile = Buffer.from('{"imageLayoutVersion":"1.0.0"}');
  outer.push({ header: { name: 'oci-layout', size: layoutFile.length }, body: layoutFile });
  outer.push({ header: { name: 'index.json', size: index.length }, body: index });
  return packTar(outer);
}

/** A stream that hands the buffer out in small uneven chunks, like a socket would. */
export function chunked(buf: Buffer, size = 7777): Readable {
  let off = 0;
  return new Readable({
    read() {
      if (off >= buf.length) { this.push(null); return; }
      const n = Math.min(size + (off % 13), buf.length - off);
      this.push(buf.subarray(off, off + n));
      off += n;
    },
  });
}

/** Rewrites the name field of the tar header whose name is `from` with raw bytes (e.g. invalid UTF-8). */
export function patchName(tarBuf: Buffer, from: string, to: Buffer): Buffer {
  return patchHeader(tarBuf, from, (h) => { h.fill(0, 0, 100); to.copy(h, 0); });
}

/** Sets the typeflag of the header named `name` (e.g. 'x' to turn a file into a PAX header). */
export function patchType(tarBuf: Buffer, name: string, typeflag: string): Buffer {
  return patchHeader(tarBuf, name, (h) => { h[156] = typeflag.charCodeAt(0); });
}

function patchHeader(tarBuf: Buffer, from: string, edit: (header: Buffer) => void): Buffer {
  const out = Buffer.from(tarBuf);
  const want = Buffer.from(from);
  for (let off = 0; off + 512 <= out.length; off += 512) {
    if (out.subarray(off, off + want.length).equals(want) && out[off + want.length] === 0) {
      edit(out.subarray(off, off + 512));
      out.fill(0x20, off + 148, off + 156);
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += out[off + i]!;
      out.write(sum.toString(8).padStart(6, '0') + '\0 ', off + 148, 'latin1');
      return out;
    }
  }
  throw new Error(`no header named ${from}`);
}
