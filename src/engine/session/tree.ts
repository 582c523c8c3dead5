// The directories a session serves and the walk fsutil's sender performs over them: entries in
// byte order of their names, a directory before its contents, filtered by the include/exclude
// patterns and follow paths the daemon asks for (fsutil filter.go semantics: a directory that
// is itself filtered out is still sent when something inside it is), hardlinks sent as links
// to the first file sent for that inode.
import { createReadStream, readFileSync } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { containsWildcards, cleanPath, dedupePaths, globMatch, PatternMatcher, type MatchInfo } from './patterns';
import { compareNames, goFileMode, wireStat } from './stat';
import type { WireStat } from './wire';

export interface TreeEntry {
  stat: WireStat;
  isDir: boolean;
  isSymlink: boolean;
  /** `dev:ino` for regular files with more than one link, else null. */
  inode: string | null;
}

/** A directory tree addressed by slash-separated relative paths ('' is the root). */
export interface FileTree {
  list(dir: string): Promise<string[]>;
  entry(path: string): Promise<TreeEntry | null>;
  /** The contents of a regular file; `size` (from its entry) lets small files be read at once. */
  open(path: string, size?: bigint): Readable | Buffer;
}

export interface VirtualFile { data: Buffer; mode: number; modTime: bigint }

function virtualEntry(path: string, f: VirtualFile): TreeEntry {
  return {
    stat: { path, mode: goFileMode(0o100000 | f.mode), uid: 0, gid: 0, size: BigInt(f.data.length), modTime: f.modTime, linkname: '', devmajor: 0, devminor: 0 },
    isDir: false, isSymlink: false, inode: null,
  };
}

const SMALL_FILE = 1n << 20n;

const notFound = (e: unknown): boolean => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');

/** A directory on disk; `overlay` files (path → content) replace or add files without touching the disk. */
export class DiskTree implements FileTree {
  constructor(readonly root: string, readonly overlay: Map<string, VirtualFile> = new Map()) {}

  async list(dir: string): Promise<string[]> {
    let names: string[] = [];
    try { names = await readdir(join(this.root, dir)); } catch (e) { if (!notFound(e) || this.overlay.size === 0) throw e; }
    for (const p of this.overlay.keys()) {
      const d = posix.dirname(p);
      if ((d === '.' ? '' : d) === dir && !names.includes(posix.basename(p))) names.push(posix.basename(p));
    }
    return names;
  }

  async entry(path: string): Promise<TreeEntry | null> {
    const o = this.overlay.get(path);
    if (o) return virtualEntry(path, o);
    let st;
    try { st = await lstat(join(this.root, path), { bigint: true }); } catch (e) { if (notFound(e)) return null; throw e; }
    const isSymlink = st.isSymbolicLink();
    const target = isSymlink ? await readlink(join(this.root, path)) : null;
    return {
      stat: wireStat(path, st, target), isDir: st.isDirectory(), isSymlink,
      inode: st.isFile() && st.nlink > 1n ? `${st.dev}:${st.ino}` : null,
    };
  }

  open(path: string, size?: bigint): Readable | Buffer {
    const o = this.overlay.get(path);
    if (o) return o.data;
    // BuildKit asks for files one round trip at a time: a small file read at once (page cache,
    // no thread-pool hops) answers in microseconds, which is what makes many small files fast.
    if (size !== undefined && size <= SMALL_FILE) return readFileSync(join(this.root, path));
    return createReadStream(join(this.root, path), { highWaterMark: 256 << 10 });
  }
}

/** A flat directory of in-memory files (the Dockerfile text Stage Lens builds). */
export class VirtualTree implements FileTree {
  constructor(readonly files: Map<string, VirtualFile>) {}
  async list(dir: string): Promise<string[]> { return dir === '' ? [...this.files.keys()] : []; }
  async entry(path: string): Promise<TreeEntry | null> { const f = this.files.get(path); return f ? virtualEntry(path, f) : null; }
  open(path: string): Readable | Buffer { return this.files.get(path)?.data ?? Buffer.alloc(0); }
}

export interface FilterOptions {
  includePatterns?: string[];
  excludePatterns?: string[];
  followPaths?: string[];
}

export interface WalkItem { stat: WireStat; isDir: boolean }

const PATTERN_CHARS = /[*[\]?^\\]/;

/** fsutil FollowLinks: the follow paths with every symlink on their way resolved, as include patterns. */
export async function followLinks(tree: FileTree, paths: string[]): Promise<string[] | null> {
  const resolved = new Set<string>();
  const readSymlink = async (p: string, allowWildcard: boolean): Promise<string[] | null> => {
    const base = posix.basename(p);
    if (allowWildcard && containsWildcards(base)) {
      const dir = posix.dirname(p);
      let names: string[];
      try { names = await tree.list(dir === '.' ? '' : dir); } catch (e) { if (notFound(e)) return null; throw e; }
      let out: string[] | null = null;
      for (const n of names.sort(compareNames)) {
        if (!globMatch(base, n)) continue;
        const r = await readSymlink(dir === '.' ? n : `${dir}/${n}`, false);
        if (r) (out ??= []).push(...r);
      }
      return out;
    }
    if (p === '.' || p === '/') return null;
    const e = await tree.entry(p);
    if (!e || !e.isSymlink) return null;
    const link = cleanPath(e.stat.linkname);
    return link.startsWith('/') ? [link] : [posix.join('/', posix.join(posix.dirname(p), link))];
  };
  const append = async (input: string): Promise<void> => {
    let p = cleanPath(posix.join('.', input));
    let current = '.';
    for (;;) {
      const slash = p.indexOf('/');
      const first = slash < 0 ? p : p.slice(0, slash);
      current = cleanPath(posix.join(current, first));
      const targets = await readSymlink(current, true);
      p = slash < 0 ? '' : p.slice(slash + 1);
      if ((p === '' || targets) && resolved.has(current)) return;
      if (targets) {
        resolved.add(current);
        for (const t of targets) await append(posix.join(t, p));
        return;
      }
      if (p === '') { resolved.add(current); return; }
    }
  };
  for (const p of paths) await append(p);
  return dedupePaths([...resolved].sort());
}

interface VisitedDir { stat: WireStat; pathWithSep: string; include: MatchInfo | null; exclude: MatchInfo | null; sent: boolean }

/**
 * Walks `tree` as fsutil's filtered sender does and returns every entry to send, in order.
 * Throws on an invalid pattern or an unreadable directory.
 */
export async function walkTree(tree: FileTree, opts: FilterOptions = {}, signal?: AbortSignal): Promise<WalkItem[]> {
  let includes = opts.includePatterns ? [...opts.includePatterns] : [];
  if (opts.followPaths?.length) {
    const targets = await followLinks(tree, opts.followPaths);
    if (targets) includes = dedupePaths([...includes, ...targets]) ?? [];
  }
  const include = includes.length ? new PatternMatcher(includes) : null;
  const exclude = opts.excludePatterns?.length ? new PatternMatcher(opts.excludePatterns) : null;
  const onlyPrefixIncludes = !include || include.patterns.every((p) => p.exclusion || !PATTERN_CHARS.test(p.withoutTrailingGlob()));
  const onlyPrefixExceptions = !exclude || exclude.patterns.every((p) => !p.exclusion || !PATTERN_CHARS.test(p.withoutTrailingGlob()));
  const firstPathOfInode = new Map<string, string>();
  const parents: VisitedDir[] = [];

  // Could a pattern of this kind (exclusion or not) match something below `dir`? Only asked when
  // all such patterns are plain prefixes, as fsutil does to skip whole directories.
  const reachesBelow = (m: PatternMatcher, exclusion: boolean, dir: string): boolean =>
    m.patterns.some((p) => p.exclusion === exclusion && `${p.withoutTrailingGlob()}/`.startsWith(`${dir}/`));

  const items: WalkItem[] = [];
  const visit = async (dir: string): Promise<void> => {
    const names = (await tree.list(dir)).sort(compareNames);
    for (const name of names) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      const path = dir ? `${dir}/${name}` : name;
      const e = await tree.entry(path);
      if (!e) continue; // vanished while walking
      while (parents.length && !path.startsWith(parents[parents.length - 1]!.pathWithSep)) parents.pop();
      const parent = parents[parents.length - 1] ?? null;
      const visited: VisitedDir | null = e.isDir ? { stat: e.stat, pathWithSep: `${path}/`, include: null, exclude: null, sent: false } : null;
      let skip = false;
      if (include) {
        const r = include.matchesUsingParentResults(path, parent?.include ?? null);
        if (visited) visited.include = r.info;
        if (!r.matched) {
          if (e.isDir && onlyPrefixIncludes && !reachesBelow(include, false, path)) continue;
          skip = true;
        }
      }
      if (exclude) {
        const r = exclude.matchesUsingParentResults(path, parent?.exclude ?? null);
        if (visited) visited.exclude = r.info;
        if (r.matched) {
          if (e.isDir && onlyPrefixExceptions && (!exclude.exclusions || !reachesBelow(exclude, true, path))) continue;
          skip = true;
        }
      }
      if (!skip) {
        if (visited) visited.sent = true;
        for (const p of parents) {
          if (!p.sent) { p.sent = true; items.push({ stat: { ...p.stat }, isDir: true }); }
        }
        const stat = { ...e.stat };
        if (e.inode && !e.isDir && !e.isSymlink) {
          const first = firstPathOfInode.get(e.inode);
          if (first === undefined) firstPathOfInode.set(e.inode, path);
          else stat.linkname = first;
        }
        items.push({ stat, isDir: e.isDir });
      }
      if (visited) {
        parents.push(visited);
        await visit(path);
      }
    }
  };
  await visit('');
  return items;
}
