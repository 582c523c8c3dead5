// File metadata in fsutil's terms. fsutil sends Go's os.FileMode (type bits high, permission
// bits low), not the Unix st_mode, and BuildKit's receiver decides from it which files carry
// data, so the conversion has to be exact.
import type { BigIntStats } from 'node:fs';

/** Go os.FileMode bits. */
export const GO_MODE = {
  dir: 1 << 31 >>> 0,
  symlink: 1 << 27,
  device: 1 << 26,
  namedPipe: 1 << 25,
  socket: 1 << 24,
  setuid: 1 << 23,
  setgid: 1 << 22,
  charDevice: 1 << 21,
  sticky: 1 << 20,
  /** Every type bit (os.ModeType): a mode without them is a regular file. */
  type: ((1 << 31) | (1 << 27) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19)) >>> 0,
} as const;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

/** Unix st_mode → Go os.FileMode, as os.Lstat does on Linux. */
export function goFileMode(stMode: number): number {
  let m = stMode & 0o777;
  switch (stMode & S_IFMT) {
    case S_IFDIR: m |= GO_MODE.dir; break;
    case S_IFLNK: m |= GO_MODE.symlink; break;
    case S_IFIFO: m |= GO_MODE.namedPipe; break;
    case S_IFSOCK: m |= GO_MODE.socket; break;
    case S_IFCHR: m |= GO_MODE.device | GO_MODE.charDevice; break;
    case S_IFBLK: m |= GO_MODE.device; break;
    default: break;
  }
  if (stMode & 0o4000) m |= GO_MODE.setuid;
  if (stMode & 0o2000) m |= GO_MODE.setgid;
  if (stMode & 0o1000) m |= GO_MODE.sticky;
  return m >>> 0;
}

/** fsutil's fileCanRequestData: only regular files (no type bit) have contents to send. */
export function carriesData(goMode: number): boolean {
  return ((goMode >>> 0) & GO_MODE.type) === 0;
}

/**
 * The wire Stat for one entry (fsutil's mkstat with the Docker CLI's uid/gid reset). The
 * socket bit is cleared as fsutil does; hardlinks are resolved by the walker.
 */
export function wireStat(relPath: string, st: BigIntStats, linkTarget: string | null): {
  path: string; mode: number; uid: number; gid: number; size: bigint; modTime: bigint; linkname: string; devmajor: number; devminor: number;
} {
  const stMode = Number(st.mode);
  let mode = goFileMode(stMode);
  const isDir = (stMode & S_IFMT) === S_IFDIR;
  let devmajor = 0; let devminor = 0;
  const t = stMode & S_IFMT;
  if (t === S_IFCHR || t === S_IFBLK) {
    const rdev = Number(st.rdev);
    devmajor = (rdev >> 8) & 0xfff;
    devminor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  }
  mode = (mode & ~GO_MODE.socket) >>> 0;
  return {
    path: relPath, mode, uid: 0, gid: 0,
    // Go's FileInfo.Size of a symlink is the length of its target; directories send 0.
    size: isDir ? 0n : st.size,
    modTime: st.mtimeNs,
    linkname: linkTarget ?? '',
    devmajor, devminor,
  };
}

/** Byte-wise (UTF-8) comparison, the order Go's os.ReadDir and fsutil's validator use. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
