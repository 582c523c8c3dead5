// Reads an image export (`GET /images/{id}/get`, i.e. `docker save`) as it streams.
//
// Both layouts engines write are understood:
//   docker-save  manifest.json, <config>.json, <id>/layer.tar (Docker ≤ 24; manifest.json may
//                come AFTER the layer tars, as on 20.10)
//   oci          index.json, oci-layout, blobs/sha256/<hex> (Docker ≥ 25 writes this, with a
//                manifest.json beside it); layer blobs may be gzip-compressed
// Nothing in the export says which entry is a layer until the manifest arrives, so every regular
// entry is sniffed from its first 512 bytes: a tar header → a layer, gzip magic → a compressed
// layer, `{`/`[` → JSON kept for later (small, capped), anything else is skipped. Layers are
// summarised into the path trie as they pass (never buffered) and ordered at the end.
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { PathTrie, Hint } from './tree';
import type { EntryType } from './types';
import { decodeRawName, splitPath } from './paths';
import { PaxTap } from './paxtap';

type TarSource = Parameters<tar.ExtractEvents['entry'] extends [unknown, infer S, unknown] ? (s: S) => void : never>[0];

export class ExportFormatError extends Error {
  constructor(message: string) { super(message); this.name = 'ExportFormatError'; }
}

export interface HistoryEntry {
  created_by?: string;
  empty_layer?: boolean;
  comment?: string;
}

export interface ImageConfigJson {
  config?: { User?: string };
  history?: HistoryEntry[];
  rootfs?: { diff_ids?: string[] };
}

export interface ExportContents {
  trie: PathTrie;
  layout: 'docker-save' | 'oci';
  /** Per layer (oldest first): its blob in the trie and its path in the export. */
  layerBlobs: number[];
  layerPaths: string[];
  config: ImageConfigJson | null;
  imageId: string | null;
  repoTags: string[];
}

const MAX_JSON_FILE = 16 * 1024 * 1024;
const MAX_JSON_TOTAL = 64 * 1024 * 1024;
/** Small files whose contents are worth a look for secrets. */
const PEEK_LIMIT = 64 * 1024;

function isTarHeader(b: Buffer): boolean {
  if (b.length < 512) return false;
  let zero = true;
  for (let i = 0; i < 512; i++) if (b[i] !== 0) { zero = false; break; }
  if (zero) return true; // an empty tar is just zero blocks
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
  const stored = parseInt(b.toString('latin1', 148, 156).replace(/[\0 ]+$/g, '').trim(), 8);
  return stored === sum;
}

function entryType(t: string | null | undefined): EntryType {
  switch (t) {
    case 'file': case 'contiguous-file': return 'file';
    case 'directory': return 'dir';
    case 'symlink': return 'symlink';
    case 'link': return 'hardlink';
    default: return 'other';
  }
}

function peekKind(base: string): boolean {
  return base === '.npmrc' || base.endsWith('.pem') || base.endsWith('.key') || /^id_(rsa|dsa|ecdsa|ed25519)$/.test(base);
}

function hintsOf(base: string, content: Buffer): Hint {
  const text = content.toString('latin1');
  let h = Hint.None;
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) h |= Hint.PrivateKey;
  if (base === '.npmrc' && /_authToken\s*=/.test(text)) h |= Hint.NpmToken;
  return h;
}

/** Parses one layer tarball (already decompressed) into the trie under `blob`. */
function layerParser(trie: PathTrie, blob: number): { sink: Writer; done: Promise<void> } {
  const inner = tar.extract({ filenameEncoding: 'latin1' } as Parameters<typeof tar.extract>[0]);
  const tap = new PaxTap();
  let ordinal = 0;
  inner.on('entry', (header, stream, next) => {
    // Names: raw PAX bytes when present (see paxtap.ts), else the header's latin1 (lossless).
    const raw = tap.take(ordinal++);
    const parts = splitPath(decodeRawName(raw?.path ?? header.name));
    const type = entryType(header.type);
    const size = header.size ?? 0;
    let link: string | undefined;
    if (type === 'symlink' || type === 'hardlink') {
      const l = decodeRawName(raw?.linkpath ?? header.linkname ?? '');
      link = type === 'hardlink' ? '/' + splitPath(l).join('/') : l;
    }
    const base = parts.length ? parts[parts.length - 1]! : '';
    if (type === 'file' && size > 0 && size <= PEEK_LIMIT && peekKind(base)) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => { chunks.push(c as Buffer); });
      stream.on('end', () => {
        trie.addEntry(blob, parts, type, size, header.mode ?? 0, header.uid ?? 0, header.gid ?? 0, link, hintsOf(base, Buffer.concat(chunks)));
        next();
      });
      return;
    }
    trie.addEntry(blob, parts, type, size, header.mode ?? 0, header.uid ?? 0, header.gid ?? 0, link, Hint.None);
    if (size === 0 || type === 'dir') { next(); return; }
    stream.on('end', () => next());
    stream.resume();
  });
  const done = new Promise<void>((resolve, reject) => {
    inner.on('finish', () => resolve());
    inner.on('error', reject);
  });
  const w = inner as unknown as Writer;
  const sink: Writer = {
    write(c: Buffer): boolean { tap.feed(c); return w.write(c); },
    end(): void { w.end(); },
    once(ev: 'drain', f: () => void): unknown { return w.once(ev, f); },
    destroy(e: Error): void { (inner as unknown as { destroy(e: Error): void }).destroy(e); },
  };
  return { sink, done };
}

interface Writer { write(c: Buffer): boolean; end(): void; once(ev: 'drain', f: () => void): unknown; destroy?(e: Error): void }

/**
 * Reads the export. Rejects with ExportFormatError on a truncated, malformed or foreign stream;
 * memory stays bounded by the number of paths (plus at most 64 MiB of JSON metadata).
 */
export async function readImageExport(source: Readable, opts: { signal?: AbortSignal } = {}): Promise<ExportContents> {
  const trie = new PathTrie();
  const blobOf = new Map<string, number>();
  const unsupported = new Map<string, string>();
  const symlinks = new Map<string, string>();
  const jsons = new Map<string, unknown>();
  let jsonBytes = 0;
  let entries = 0;
  let layerError: Error | null = null;

  const outer = tar.extract();

  const handle = (header: tar.Header, stream: TarSource): Promise<void> => {
    const name = splitPath(header.name).join('/');
    entries++;
    if (header.type === 'symlink' && header.linkname) {
      const dir = name.split('/').slice(0, -1).join('/');
      symlinks.set(name, splitPath(header.linkname.startsWith('/') ? header.linkname : `${dir}/${header.linkname}`).join('/'));
    }
    if (header.type !== 'file' && header.type !== 'contiguous-file') {
      return new Promise((resolve) => { stream.on('end', resolve); stream.resume(); });
    }
    return new Promise<void>((resolve, reject) => {
      let head: Buffer[] = [];
      let headLen = 0;
      let mode: 'sniff' | 'layer' | 'json' | 'skip' = 'sniff';
      let writer: Writer | null = null;
      let done: Promise<void> = Promise.resolve();
      let json: Buffer[] = [];
      const fail = (e: unknown): void => { stream.destroy(); reject(e); };

      const decide = (): void => {
        const b = Buffer.concat(head);
        if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
          const blob = trie.newBlob();
          blobOf.set(name, blob);
          const { sink, done: parsed } = layerParser(trie, blob);
          const gunzip = createGunzip();
          gunzip.on('error', (e) => sink.destroy?.(e));
          gunzip.on('data', (c: Buffer) => { if (!sink.write(c)) { gunzip.pause(); sink.once('drain', () => gunzip.resume()); } });
          gunzip.on('end', () => sink.end());
          writer = gunzip;
          done = parsed.catch((e: Error) => { throw new ExportFormatError(`layer ${name} could not be read (${e.message}).`); });
          mode = 'layer';
        } else if (isTarHeader(b)) {
          const blob = trie.newBlob();
          blobOf.set(name, blob);
          const { sink, done: parsed } = layerParser(trie, blob);
          writer = sink;
          done = parsed.catch((e: Error) => { throw new ExportFormatError(`layer ${name} is truncated or not a tar archive (${e.message}).`); });
          mode = 'layer';
        } else if (b.length >= 4 && b.readUInt32BE(0) === 0x28b52ffd) {
          unsupported.set(name, 'zstd-compressed');
          mode = 'skip';
        } else if (/^\s*[[{]/.test(b.toString('latin1', 0, Math.min(b.length, 64))) && (header.size ?? 0) <= MAX_JSON_FILE) {
          jsonBytes += header.size ?? 0;
          if (jsonBytes > MAX_JSON_TOTAL) { fail(new ExportFormatError('The image export is not a docker save archive (too much metadata).')); return; }
          mode = 'json';
          json = head;
        } else {
          mode = 'skip';
        }
        if (writer) {
          const w = writer;
          done.catch(() => undefined);
          for (const c of head) if (!w.write(c)) { stream.pause(); w.once('drain', () => stream.resume()); }
        }
        head = [];
      };

      stream.on('data', (data: unknown) => {
        const chunk = data as Buffer;
        if (mode === 'sniff') {
          head.push(chunk);
          headLen += chunk.length;
          if (headLen >= 512) decide();
          return;
        }
        if (mode === 'layer') {
          if (!writer!.write(chunk)) { stream.pause(); writer!.once('drain', () => stream.resume()); }
        } else if (mode === 'json') json.push(chunk);
      });
      stream.on('error', fail);
      stream.on('end', () => {
        if (mode === 'sniff') decide();
        if (mode === 'layer') {
          writer!.end();
          done.then(resolve, (e) => { layerError ??= e; reject(e); });
          return;
        }
        if (mode === 'json') {
          try { jsons.set(name, JSON.parse(Buffer.concat(json).toString('utf8'))); } catch { /* not JSON after all */ }
        }
        resolve();
      });
    });
  };

  const finished = new Promise<void>((resolve, reject) => {
    outer.on('entry', (header, stream, next) => {
      handle(header, stream).then(() => next(), (e: unknown) => outer.destroy(e as Error));
    });
    outer.on('finish', () => resolve());
    outer.on('error', (e: Error) => reject(e));
    outer.on('close', () => reject(new ExportFormatError('The image export ended early (the stream closed mid-archive).')));
  });
  const onAbort = (): void => { const r = opts.signal?.reason; outer.destroy(r instanceof Error ? r : new Error('Cancelled.')); source.destroy(); };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  source.on('error', (e) => outer.destroy(e));
  source.pipe(outer as unknown as NodeJS.WritableStream);

  try {
    await finished;
  } catch (e) {
    source.destroy();
    if (opts.signal?.aborted) throw e;
    if (layerError) throw layerError;
    if (e instanceof ExportFormatError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    if (/Unexpected end of data/i.test(msg)) throw new ExportFormatError('The image export ended early (truncated stream).');
    if (/Invalid tar header|unknown format|Invalid header/i.test(msg)) throw new ExportFormatError('The image export is not a docker save archive (invalid tar header).');
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (entries === 0) throw new ExportFormatError('The image export was empty: the engine sent no archive.');
  return resolveLayout(trie, blobOf, symlinks, jsons, unsupported);
}

function resolveLayout(trie: PathTrie, blobOf: Map<string, number>, symlinks: Map<string, string>, jsons: Map<string, unknown>, unsupported: Map<string, string>): ExportContents {
  const resolvePath = (p: string): string => {
    let cur = splitPath(p).join('/');
    for (let i = 0; i < 16 && symlinks.has(cur); i++) cur = symlinks.get(cur)!;
    return cur;
  };
  const blobPath = (digest: string): string => `blobs/${digest.replace(':', '/')}`;
  const isOci = jsons.has('index.json') || jsons.has('oci-layout');

  let layerPaths: string[] | null = null;
  let configPath: string | null = null;
  let repoTags: string[] = [];
  const manifest = jsons.get('manifest.json');
  if (Array.isArray(manifest) && manifest.length > 0) {
    const m = manifest[0] as { Config?: string; Layers?: string[]; RepoTags?: string[] | null };
    layerPaths = Array.isArray(m.Layers) ? m.Layers : null;
    configPath = typeof m.Config === 'string' ? m.Config : null;
    repoTags = m.RepoTags ?? [];
  } else if (jsons.has('index.json')) {
    let node = jsons.get('index.json') as { manifests?: Array<{ digest?: string }>; layers?: Array<{ digest?: string }>; config?: { digest?: string } } | undefined;
    for (let depth = 0; depth < 4 && node && Array.isArray(node.manifests); depth++) {
      const d = node.manifests[0]?.digest;
      node = d ? jsons.get(blobPath(d)) as typeof node : undefined;
    }
    if (node && Array.isArray(node.layers)) {
      layerPaths = node.layers.map((l) => blobPath(String(l.digest ?? '')));
      configPath = node.config?.digest ? blobPath(node.config.digest) : null;
    }
  }
  if (!layerPaths) {
    throw new ExportFormatError('The image export ended early or is not a docker save archive (no usable manifest.json or index.json).');
  }
  const layerBlobs = layerPaths.map((p) => {
    const resolved = resolvePath(p);
    const b = blobOf.get(resolved);
    if (b === undefined) {
      const why = unsupported.get(resolved);
      if (why) throw new ExportFormatError(`Layer ${p} is ${why}, which Stage Lens cannot read yet.`);
      throw new ExportFormatError(`The image export is incomplete: layer ${p} listed in the manifest is missing.`);
    }
    return b;
  });
  const config = configPath ? (jsons.get(resolvePath(configPath)) as ImageConfigJson | undefined) ?? null : null;
  let imageId: string | null = null;
  if (configPath) {
    const m = /([0-9a-f]{64})(\.json)?$/.exec(configPath);
    if (m) imageId = `sha256:${m[1]}`;
  }
  return { trie, layout: isOci ? 'oci' : 'docker-save', layerBlobs, layerPaths, config, imageId, repoTags };
}
