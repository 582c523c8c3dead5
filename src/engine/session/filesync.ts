// moby.filesync.v1.FileSync/DiffCopy, the sending side of fsutil's packet protocol:
//   we send one STAT per entry (walk order) and an empty STAT to end the listing;
//   the daemon sends REQ with the index of each file whose contents it lacks (it keeps earlier
//   transfers of the same shared key, so unchanged files are not asked for again);
//   we answer with DATA chunks for that id and an empty DATA to end the file;
//   the daemon sends FIN when it has everything, we answer FIN; ERR carries an error either way.
import type { Readable } from 'node:stream';
import { GrpcError, GRPC_STATUS, type Handler, type ServerCall } from './grpc';
import { carriesData } from './stat';
import { walkTree, type FileTree } from './tree';
import { decodePacket, encodePacket, PACKET, type Packet } from './wire';

/** The metadata keys BuildKit's local source sends (buildkit session/filesync). */
const KEY = { dirName: 'dir-name', include: 'include-patterns', exclude: 'exclude-patterns', follow: 'followpaths' } as const;

const CHUNK = 256 << 10;
const FILE_WORKERS = 8;
const LARGE_FILE = 1n << 20n;

/** Go's url.QueryUnescape; an undecodable value becomes '' as in BuildKit's decodeOpts. */
function queryUnescape(s: string): string {
  try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { return ''; }
}

/** BuildKit's decodeOpts: values of `k` are query-escaped when `k-encoded` is true (non-ASCII patterns). */
export function decodeOpts(md: ReadonlyMap<string, string[]>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of md) {
    const enc = md.get(`${k}-encoded`)?.[0];
    const encoded = enc !== undefined && /^(1|t|true)$/i.test(enc.trim());
    out.set(k, encoded ? v.map(queryUnescape) : [...v]);
  }
  return out;
}

/** `bytes`: sent so far in this call; `delta`: the message just sent. */
export interface DiffCopyEvent { dir: string; bytes: number; delta: number; done: boolean; error?: string }

async function* chunks(src: Readable | Buffer): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(src)) {
    for (let o = 0; o < src.length; o += CHUNK) yield src.subarray(o, o + CHUNK);
    return;
  }
  try {
    for await (const c of src) yield c as Buffer;
  } finally {
    src.destroy();
  }
}

/** The DiffCopy handler serving `lookup(dirName)`; `onEvent` hears of every message sent. */
export function diffCopyHandler(lookup: (dirName: string) => FileTree | null, onEvent?: (e: DiffCopyEvent) => void): Handler {
  return async (call: ServerCall) => {
    const opts = decodeOpts(call.metadata);
    const dir = opts.get(KEY.dirName)?.[0] ?? '';
    const tree = lookup(dir);
    if (!tree) throw new GrpcError(GRPC_STATUS.NOT_FOUND, `no access allowed to dir "${dir}"`);
    let bytes = 0;
    const send = async (p: Packet): Promise<void> => {
      const msg = encodePacket(p);
      await call.write(msg);
      bytes += msg.length + 5;
      onEvent?.({ dir, bytes, delta: msg.length + 5, done: false });
    };

    let items;
    try {
      items = await walkTree(tree, { includePatterns: opts.get(KEY.include), excludePatterns: opts.get(KEY.exclude), followPaths: opts.get(KEY.follow) }, call.signal);
    } catch (e) {
      const message = (e as Error).message;
      await send({ type: PACKET.ERR, data: Buffer.from(message) }).catch(() => undefined);
      onEvent?.({ dir, bytes, delta: 0, done: true, error: message });
      throw new GrpcError(GRPC_STATUS.UNKNOWN, message);
    }
    const files = new Map<number, { path: string; size: bigint }>();

    // File requests may arrive while STATs are still going out: serve them from a small pool.
    const pending: number[] = [];
    let active = 0;
    let failed: Error | null = null;
    let idle: (() => void) | null = null;
    const sendFile = async (id: number): Promise<void> => {
      const { path, size } = files.get(id)!;
      files.delete(id);
      let src: Readable | Buffer | null = null;
      try { src = tree.open(path, size); } catch { src = null; }
      if (src) {
        try {
          for await (const c of chunks(src)) {
            for (let o = 0; o < c.length; o += CHUNK) await send({ type: PACKET.DATA, id, data: c.subarray(o, o + CHUNK) });
          }
        } catch (e) {
          // A file that vanished or cannot be read ends early, as fsutil's sender does on open errors.
          if (call.signal.aborted) throw e;
        }
      }
      await send({ type: PACKET.DATA, id });
    };
    // BuildKit keeps a bounded number of file requests open; a small file queued behind the
    // chunks of a large one stalls them all, so small files go first and large ones one at a time.
    let activeLarge = 0;
    const isLarge = (id: number): boolean => (files.get(id)?.size ?? 0n) > LARGE_FILE;
    const pump = (): void => {
      while (!failed && active < FILE_WORKERS && pending.length) {
        let at = pending.findIndex((id) => !isLarge(id));
        if (at < 0) { if (activeLarge >= 1) break; at = 0; }
        const id = pending.splice(at, 1)[0]!;
        const large = isLarge(id);
        active++;
        if (large) activeLarge++;
        sendFile(id).catch((e: Error) => { failed ??= e; }).finally(() => {
          active--;
          if (large) activeLarge--;
          pump();
          if (active === 0 && !pending.length) idle?.();
        });
      }
    };

    const reading = (async (): Promise<'fin' | 'eof'> => {
      for await (const raw of call.messages()) {
        const p = decodePacket(raw);
        if (p.type === PACKET.ERR) throw new Error(`error from receiver: ${Buffer.from(p.data ?? []).toString()}`);
        if (p.type === PACKET.REQ) {
          const id = p.id ?? 0;
          if (!files.has(id)) throw new GrpcError(GRPC_STATUS.INVALID_ARGUMENT, `invalid file id ${id}`);
          pending.push(id);
          pump();
        } else if (p.type === PACKET.FIN) {
          return 'fin';
        }
      }
      return 'eof';
    })();
    // Keep a rejection from surfacing before we await it below.
    reading.catch(() => undefined);

    try {
      let id = 0;
      for (const it of items) {
        if (carriesData(it.stat.mode)) files.set(id, { path: it.stat.path, size: it.stat.size });
        id++;
        await send({ type: PACKET.STAT, stat: it.stat });
      }
      await send({ type: PACKET.STAT });
      const how = await reading;
      if (active || pending.length) await new Promise<void>((r) => { idle = r; });
      if (failed) throw failed;
      if (how === 'fin') await send({ type: PACKET.FIN });
      onEvent?.({ dir, bytes, delta: 0, done: true });
    } catch (e) {
      onEvent?.({ dir, bytes, delta: 0, done: true, error: (e as Error).message });
      throw e;
    }
  };
}
