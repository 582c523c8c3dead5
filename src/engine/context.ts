// The build context: a tar of the context directory filtered by .dockerignore with Docker's
// rules, streamed from disk (never held in memory), plus the Dockerfile text under a name of
// our own so unsaved editor text builds as-is and a .dockerignore that excludes the
// Dockerfile cannot break the build.
//
// BuildKit builds get the context through a session instead (openContextTransport below).
import createIgnore from '@balena/dockerignore';
import type Dockerode from 'dockerode';
import { existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import * as tarFs from 'tar-fs';
import type { BuilderKind } from '../core/report';
import { openSession, sessionName, sharedKeyFor, SessionUnsupportedError, type BuildSession } from './session/session';
import { DiskTree, VirtualTree, type VirtualFile } from './session/tree';

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

/** How one build gets its context; analyze.ts passes `context` to runBuild and calls `end()` after it. */
export interface PreparedContext {
  context: { body: Readable } | { sessionId: string };
  dockerfileName: string;
  /** Bytes sent for this build so far. */
  bytes(): number;
  /** The build is over: reports the final byte count (session) — the tar stream reports its own end. */
  end(): void;
}

/**
 * The context of every build of one analysis. `session`: one BuildKit session serves all stage
 * builds of one Dockerfile text (BuildKit syncs the context once per session and reuses it);
 * `tar`: a tar body per build (the classic builder, and engines without `/session`).
 */
export interface ContextTransport {
  readonly kind: 'session' | 'tar';
  /** Why the tar body is used although BuildKit builds (e.g. the engine has no `/session`), else null. */
  readonly fallbackReason: string | null;
  /** Prepares one build of `dockerfileText`; `onBytes(total, done)` reports this build's bytes. */
  prepare(dockerfileText: string, onBytes?: (total: number, done: boolean) => void): Promise<PreparedContext>;
  /** Bytes of context this analysis sent: the first tar body, or everything through the session. */
  contextBytes(): number | undefined;
  /** Closes the session (idempotent); the tar transport has nothing to close. */
  close(): void;
}

export interface ContextTransportOptions {
  docker: Dockerode;
  builder: BuilderKind;
  contextDir: string;
  dockerfilePath: string;
  /** The Dockerfile text the user has (may be unsaved); a Dockerfile inside the context is served with it. */
  userText?: string;
  /** The name the Dockerfile has inside the tar body (the tar transport; analyze.ts decides it). */
  tarDockerfileName: string;
  signal?: AbortSignal;
  /** `auto` (default): session when BuildKit builds and the engine has `/session`; `tar` forces the body. */
  prefer?: 'auto' | 'tar';
}

function tarTransport(opts: ContextTransportOptions, fallbackReason: string | null): ContextTransport {
  let first: number | undefined;
  return {
    kind: 'tar',
    fallbackReason,
    prepare: async (dockerfileText, onBytes) => {
      const ctx = createBuildContext({ contextDir: opts.contextDir, dockerfileText, dockerfileName: opts.tarDockerfileName, onBytes: (n) => onBytes?.(n, false) });
      ctx.stream.on('end', () => { first ??= ctx.bytes(); onBytes?.(ctx.bytes(), true); });
      return { context: { body: ctx.stream }, dockerfileName: ctx.dockerfileName, bytes: ctx.bytes, end: () => undefined };
    },
    contextBytes: () => first,
    close: () => undefined,
  };
}

/**
 * Opens the transport for one analysis. BuildKit builds go through a session on every engine
 * that has `/session` (Docker ≥ 18.09 with BuildKit); only a missing endpoint falls back to the
 * tar body; a session that cannot be opened for another reason falls back too, with the reason
 * in `fallbackReason`. Never throws for engine trouble: the builds report it.
 */
export async function openContextTransport(opts: ContextTransportOptions): Promise<ContextTransport> {
  if (opts.builder !== 'buildkit' || opts.prefer === 'tar') return tarTransport(opts, null);
  const contextDir = resolve(opts.contextDir);
  const dockerfilePath = resolve(opts.dockerfilePath);
  // The Dockerfile is served in a directory of its own (BuildKit's `dockerfile` local), under its
  // own name; `<name>.dockerignore` beside it is served too, as buildx does.
  const dfName = basename(dockerfilePath);
  let stamp = BigInt(Date.now()) * 1_000_000n;
  // BuildKit compares size and mtime to decide what to fetch again: every new text gets a new mtime.
  const nextTime = (): bigint => (stamp += 1n);
  const dfFiles = new Map<string, VirtualFile>();
  const ignoreBeside = `${dockerfilePath}.dockerignore`;
  if (existsSync(ignoreBeside)) {
    try { dfFiles.set(`${dfName}.dockerignore`, { data: readFileSync(ignoreBeside), mode: 0o644, modTime: BigInt(Math.round(statSync(ignoreBeside).mtimeMs)) * 1_000_000n }); } catch { /* unreadable: not served */ }
  }
  const dockerfileTree = new VirtualTree(dfFiles);
  // Unsaved editor text of a Dockerfile inside the context replaces the file, so `COPY . .` copies what the user sees.
  const overlay = new Map<string, VirtualFile>();
  const rel = relative(contextDir, dockerfilePath);
  if (opts.userText !== undefined && rel && !rel.startsWith('..') && !isAbsolute(rel)) {
    let disk: Buffer | null = null;
    try { disk = readFileSync(dockerfilePath); } catch { disk = null; }
    const text = Buffer.from(opts.userText);
    if (!disk || !disk.equals(text)) overlay.set(rel.split(sep).join('/'), { data: text, mode: 0o644, modTime: nextTime() });
  }
  const contextTree = new DiskTree(contextDir, overlay);

  // The builds running on the session now. Several stage builds of one analysis run at once and
  // the session cannot tell which build a transfer serves (BuildKit syncs the context once for
  // all of them): each running build counts every byte sent while it runs; the analysis total
  // (contextBytes) counts each byte once.
  const running = new Set<{ onBytes?: (total: number, done: boolean) => void; bytes: number }>();
  const start = (): Promise<BuildSession> => openSession({
    docker: opts.docker, sharedKey: sharedKeyFor(contextDir), name: sessionName(contextDir), signal: opts.signal,
    dirs: (name) => (name === 'context' ? contextTree : name === 'dockerfile' ? dockerfileTree : null),
    onTransfer: (e) => { if (e.delta) for (const b of running) { b.bytes += e.delta; b.onBytes?.(b.bytes, false); } },
  });
  let session: BuildSession;
  try {
    session = await start();
  } catch (e) {
    // Cancelled while opening: nothing will be built, the tar transport sends nothing.
    if (opts.signal?.aborted) return tarTransport(opts, 'cancelled');
    if (e instanceof SessionUnsupportedError) return tarTransport(opts, `the engine has no BuildKit session endpoint (${e.message})`);
    return tarTransport(opts, `the BuildKit session could not be opened (${(e as Error).message})`);
  }
  let earlierBytes = 0;
  let servedText: string | null = null;
  let closed = false;
  const tar = tarTransport(opts, null);
  return {
    kind: 'session',
    fallbackReason: null,
    prepare: async (dockerfileText, onBytes) => {
      // BuildKit keeps the first transfer of a local source for the rest of a session (a later
      // build of the same session is not synced again, measured on 20.10 and 26.1), so another
      // Dockerfile text needs a new session; the shared key keeps its transfer incremental.
      // A session the engine dropped (restart) is opened again the same way.
      if (!closed && (!session.isOpen() || (servedText !== null && dockerfileText !== servedText))) {
        earlierBytes += session.bytesSent();
        session.close();
        try { session = await start(); } catch {
          // Without a session this build gets a tar body; its result carries the engine's own error.
          return tar.prepare(dockerfileText, onBytes);
        }
      }
      if (dockerfileText !== servedText) {
        servedText = dockerfileText;
        dfFiles.set(dfName, { data: Buffer.from(dockerfileText), mode: 0o644, modTime: nextTime() });
      }
      const mine = { onBytes, bytes: 0 };
      running.add(mine);
      return {
        context: { sessionId: session.id },
        dockerfileName: dfName,
        bytes: () => mine.bytes,
        // A cancelled build did not get its whole context: no "done" then.
        end: () => { running.delete(mine); if (!opts.signal?.aborted) onBytes?.(mine.bytes, true); },
      };
    },
    contextBytes: () => earlierBytes + session.bytesSent(),
    close: () => { closed = true; session.close(); },
  };
}
