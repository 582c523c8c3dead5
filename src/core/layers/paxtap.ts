// tar-stream decodes PAX records as UTF-8, so a name that is not valid UTF-8 (Go's archive/tar,
// which the engine uses, writes such names into PAX records byte for byte) comes out with U+FFFD
// and two different names could collide. This tap sees the layer tar's bytes just before
// tar-stream does, follows only the block structure (headers and sizes, data is skipped by
// arithmetic), and keeps the raw bytes of each entry's PAX `path`/`linkpath` for the entry handler.

export interface RawPaxNames { path?: string; linkpath?: string }

const PAX = 0x78; // 'x'
const PAX_GLOBAL = 0x67; // 'g'
const GNU_LONG_NAME = 0x4c; // 'L'
const GNU_LONG_LINK = 0x4b; // 'K'
const MAX_PAX = 4 * 1024 * 1024;

function headerSize(h: Buffer): number {
  if (h[124]! & 0x80) {
    let n = 0;
    for (let i = 125; i < 136; i++) n = n * 256 + h[i]!;
    return n;
  }
  let n = 0;
  for (let i = 124; i < 136; i++) {
    const c = h[i]!;
    if (c >= 0x30 && c <= 0x37) n = n * 8 + (c - 0x30);
    else if (c === 0 || (c === 0x20 && n > 0)) break;
  }
  return n;
}

/** Raw PAX records: "len key=value\n"; values stay latin1 (one char per byte). */
function parsePax(buf: Buffer): { names: RawPaxNames; size?: number } {
  const names: RawPaxNames = {};
  let size: number | undefined;
  let off = 0;
  while (off < buf.length) {
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) break;
    const len = parseInt(buf.toString('latin1', off, sp), 10);
    if (!(len > 0) || off + len > buf.length) break;
    const rec = buf.toString('latin1', sp + 1, off + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) {
      const key = rec.slice(0, eq);
      const value = rec.slice(eq + 1);
      if (key === 'path') names.path = value;
      else if (key === 'linkpath') names.linkpath = value;
      else if (key === 'size') size = Number(value);
    }
    off += len;
  }
  return { names, size };
}

export class PaxTap {
  private readonly hdr = Buffer.alloc(512);
  private hdrLen = 0;
  private skip = 0;
  private collectLeft = 0;
  private collectPad = 0;
  private collected: Buffer[] = [];
  private pending: RawPaxNames | null = null;
  private pendingSize: number | undefined;
  private entries = 0;
  /** Entry ordinal → raw PAX names, only for entries that had them; taken once. */
  private readonly names = new Map<number, RawPaxNames>();

  feed(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.collectLeft > 0) {
        const n = Math.min(this.collectLeft, chunk.length - off);
        if (this.collected.length < 1 || this.collectLeft <= MAX_PAX) this.collected.push(chunk.subarray(off, off + n));
        this.collectLeft -= n;
        off += n;
        if (this.collectLeft === 0) {
          const { names, size } = parsePax(Buffer.concat(this.collected));
          this.collected = [];
          this.pending = names.path !== undefined || names.linkpath !== undefined ? names : null;
          this.pendingSize = size;
          this.skip = this.collectPad;
        }
        continue;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        this.skip -= n;
        off += n;
        continue;
      }
      const n = Math.min(512 - this.hdrLen, chunk.length - off);
      chunk.copy(this.hdr, this.hdrLen, off, off + n);
      this.hdrLen += n;
      off += n;
      if (this.hdrLen < 512) break;
      this.hdrLen = 0;
      this.onHeader();
    }
  }

  private onHeader(): void {
    const h = this.hdr;
    let zero = true;
    for (let i = 0; i < 512; i += 8) if (h.readBigUInt64LE(i) !== 0n) { zero = false; break; }
    if (zero) return;
    const type = h[156]!;
    let size = headerSize(h);
    const padded = (s: number): number => Math.ceil(s / 512) * 512;
    if (type === PAX) {
      this.collectLeft = size;
      this.collectPad = padded(size) - size;
      if (size === 0) { this.pending = null; this.skip = 0; }
      return;
    }
    if (type === PAX_GLOBAL || type === GNU_LONG_NAME || type === GNU_LONG_LINK) { this.skip = padded(size); return; }
    if (this.pendingSize !== undefined) size = this.pendingSize;
    if (this.pending) this.names.set(this.entries, this.pending);
    this.pending = null;
    this.pendingSize = undefined;
    this.entries++;
    // Mirror tar-stream: everything but a directory reads `size` bytes of data.
    const nameEnd = h.indexOf(0, 0) < 0 || h.indexOf(0, 0) > 100 ? 100 : h.indexOf(0, 0);
    const isDir = type === 0x35 || ((type === 0 || type === 0x30) && nameEnd > 0 && h[nameEnd - 1] === 0x2f);
    const hasData = !isDir && size > 0;
    this.skip = hasData ? padded(size) : 0;
  }

  /** The raw PAX names of the n-th entry (0-based), if it had any. */
  take(n: number): RawPaxNames | undefined {
    const v = this.names.get(n);
    if (v) this.names.delete(n);
    return v;
  }
}
