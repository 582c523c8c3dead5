// The build context: a tar of the context directory filtered by .dockerignore with Docker's
// rules, streamed from disk (never held in memory), plus the Dockerfile text under a name of
// our own so unsaved editor text builds as-is and a .dockerignore that excludes the
// Dockerfile cannot break the build.
import createIgnore from '@balena/dockerignore';
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import * as tarFs from 'tar-fs';

export interface BuildContext {
  stream: Readable;
  /** The name the Dockerfile has inside the tar; pass it as the build's `dockerfile` parameter. */
  dockerfileName: string;
  /** Bytes streamed so far (the whole tar once the stream has ended). */
  bytes(): number;
}

/** Reads .dockerignore patterns the way the Docker CLI does: `#` comments and blank lines skipped. */
export function readDockerignore(contextDir: string): string[] {
  const p = `${contextDir}/.dockerignore`;
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

function segmentRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') { const j = glob.indexOf(']', i); if (j < 0) re += '\\['; else { re += glob.slice(i, j + 1).replace(/^\[!/, '[^'); i = j; } }
    else if (c === '\\' && i + 1 < glob.length) { re += `\\${glob[++i]}`; }
    else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Could an exception pattern (`!foo/bar`) match something inside directory `dirRel`? */
function exceptionReachesInto(pattern: string, dirRel: string): boolean {
  const p = pattern.replace(/^\/+/, '').split('/').filter(Boolean);
  const d = dirRel.split('/');
  for (let i = 0; i < d.length; i++) {
    const seg = p[i];
    if (seg === undefined) return false;
    if (seg === '**') return true;
    if (!segmentRegex(seg).test(d[i]!)) return false;
  }
  return p.length > d.length;
}

/** A predicate over context-relative paths (forward slashes): true = leave out of the context. */
export function makeContextFilter(patterns: string[]): (rel: string, isDir: () => boolean) => boolean {
  if (patterns.length === 0) return () => false;
  const ig = createIgnore({ ignorecase: false }).add(patterns);
  const exceptions = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1).trim());
  return (rel, isDir) => {
    if (!rel || !ig.ignores(rel)) return false;
    // An excluded directory is still walked when an exception may re-include something in it.
    if (exceptions.length && isDir() && exceptions.some((e) => exceptionReachesInto(e, rel))) return false;
    return true;
  };
}

/**
 * Streams the context as a tar. `dockerfileText` is appended as `dockerfileName` (a name no
 * context file uses); file owners are zeroed like the Docker CLI does, modes kept.
 */
export function createBuildContext(opts: { contextDir: string; dockerfileText: string; dockerfileName?: string; onBytes?: (total: number) => void }): BuildContext {
  const { contextDir } = opts;
  const dockerfileName = opts.dockerfileName ?? '.stagelens.Dockerfile';
  const filter = makeContextFilter(readDockerignore(contextDir));
  const ignore = (name: string): boolean => {
    const rel = relative(contextDir, name).split(sep).join('/');
    if (rel === dockerfileName) return true;
    return filter(rel, () => { try { return lstatSync(name).isDirectory(); } catch { return false; } });
  };
  // Starting from the top-level names (not '.') keeps a root entry out of the tar, as the
  // Docker CLI does; tar-fs applies `ignore` only below these.
  const top = readdirSync(contextDir).sort().filter((n) => !ignore(join(contextDir, n)));
  const pack = tarFs.pack(contextDir, {
    entries: top,
    sort: true,
    umask: 0,
    strict: false,
    ignore,
    map: (h) => Object.assign(h, { uid: 0, gid: 0, uname: '', gname: '' }),
    finalize: false,
    finish: (p) => {
      p.entry({ name: dockerfileName, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, opts.dockerfileText);
      p.finalize();
    },
  } as tarFs.PackOptions);
  let bytes = 0;
  const counter = new Transform({
    // Counting here, not with a 'data' listener: that would start the flow before the HTTP
    // request is piped and lose the first chunks.
    transform(chunk: Buffer, _enc, cb) { bytes += chunk.length; opts.onBytes?.(bytes); cb(null, chunk); },
  });
  pack.on('error', (e: Error) => counter.destroy(e));
  pack.pipe(counter);
  return { stream: counter, dockerfileName, bytes: () => bytes };
}
