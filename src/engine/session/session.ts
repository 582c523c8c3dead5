// A BuildKit client session, as buildx and the Docker CLI open one: `POST /session` upgraded to
// h2c; after `101 Switching Protocols` the daemon is the gRPC client on that socket and we serve
// the methods we announced in the request headers. A build names the session with
// `remote=client-session&session=<id>` and BuildKit pulls the context and the Dockerfile through
// FileSync instead of reading a tar body — the path that works on every BuildKit engine,
// including Docker 26.1 with the containerd image store, where the tar body fails.
//
// One session serves any number of builds; BuildKit keeps what it received under the session's
// shared key, so later builds (and later analyses of the same folder) only transfer changes.
import type Dockerode from 'dockerode';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import type { Duplex } from 'node:stream';
import { diffCopyHandler, type DiffCopyEvent } from './filesync';
import { serveGrpc, type Handler } from './grpc';
import type { FileTree } from './tree';
import { encodeHealthServing } from './wire';

export const METHODS = {
  diffCopy: '/moby.filesync.v1.FileSync/DiffCopy',
  health: '/grpc.health.v1.Health/Check',
} as const;

/** The engine has no `/session` endpoint (very old engines, Podman): send the context as a tar body. */
export class SessionUnsupportedError extends Error {
  constructor(message: string) { super(message); this.name = 'SessionUnsupportedError'; }
}

export interface SessionOptions {
  docker: Dockerode;
  /** The directories served by name (`context`, `dockerfile`). Looked up on every request, so they may change between builds. */
  dirs: (name: string) => FileTree | null;
  /** Identifies the context across sessions so BuildKit can reuse earlier transfers. */
  sharedKey: string;
  name?: string;
  signal?: AbortSignal;
  /** Bytes sent per DiffCopy call (cumulative within the call) and when it ends. */
  onTransfer?: (e: DiffCopyEvent) => void;
  timeoutMs?: number;
}

export interface BuildSession {
  readonly id: string;
  /** Bytes of every FileSync message sent through the session so far (gRPC framing included). */
  bytesSent(): number;
  /** Whether the daemon side is still connected. */
  isOpen(): boolean;
  /** Closes the session and its socket; idempotent. */
  close(): void;
  /** Settles when the session closed, for whatever reason. */
  readonly closed: Promise<void>;
}

/** A stable shared key per context folder and machine, like the Docker CLI's (node id + directory). */
export function sharedKeyFor(contextDir: string): string {
  return createHash('sha256').update(`stagelens:${hostname()}:${contextDir}`).digest('hex');
}

/** BuildKit's identity.NewID: 25 base-36 characters. */
function newId(): string {
  const b = randomBytes(16);
  let n = BigInt(`0x${b.toString('hex')}`);
  let s = '';
  for (let i = 0; i < 25; i++) { s += (n % 36n).toString(36); n /= 36n; }
  return s;
}

interface ModemLike {
  socketPath?: string; host?: string; port?: number | string; protocol?: string; version?: string;
  ca?: unknown; cert?: unknown; key?: unknown; checkServerIdentity?: unknown; agent?: http.Agent;
  sshOptions?: Record<string, unknown>; username?: string; password?: string; headers?: Record<string, string>;
}

/** The HTTP request options that reach the same engine as dockerode does (unix, tcp, TLS, ssh). */
function requestOptions(docker: Dockerode): { mod: typeof http | typeof https; options: https.RequestOptions } {
  const m = docker.modem as unknown as ModemLike;
  const options: https.RequestOptions = { method: 'POST', headers: { ...(m.headers ?? {}) } };
  if (m.socketPath) options.socketPath = m.socketPath;
  else { options.host = m.host; options.port = m.port !== undefined ? Number(m.port) : undefined; }
  if (m.agent) options.agent = m.agent;
  if (m.protocol === 'ssh') {
    // docker-modem reaches ssh engines through `docker system dial-stdio` in an http.Agent of its own.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sshAgent = require('docker-modem/lib/ssh') as (o: Record<string, unknown>) => http.Agent;
    options.agent = sshAgent({ ...(m.sshOptions ?? {}), host: m.host, port: m.port, username: m.username, password: m.password });
    return { mod: http, options };
  }
  if (m.protocol === 'https') {
    Object.assign(options, { ca: m.ca, cert: m.cert, key: m.key });
    if (m.checkServerIdentity) (options as Record<string, unknown>).checkServerIdentity = m.checkServerIdentity;
    return { mod: https, options };
  }
  return { mod: http, options };
}

/** Upgrades `POST /session` to h2c and returns the raw socket. */
function dialSession(docker: Dockerode, headers: Record<string, string | string[]>, timeoutMs: number, signal?: AbortSignal): Promise<Duplex> {
  const { mod, options } = requestOptions(docker);
  const version = (docker.modem as unknown as ModemLike).version;
  options.path = `${version ? `/${version}` : ''}/session`;
  options.headers = { ...options.headers, ...headers, 'Content-Length': '0' };
  return new Promise<Duplex>((resolve, reject) => {
    let settled = false;
    const req = mod.request(options);
    const fail = (e: Error): void => { if (settled) return; settled = true; clearTimeout(timer); signal?.removeEventListener('abort', onAbort); req.destroy(); reject(e); };
    const onAbort = (): void => fail(signal?.reason instanceof Error ? signal.reason : new Error('cancelled'));
    const timer = setTimeout(() => fail(new Error(`the engine did not answer POST /session within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('upgrade', (_res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (settled) { socket.destroy(); return; }
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // Bytes the daemon sent right after the 101 (its HTTP/2 preface) belong to the session.
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.on('response', (res: http.IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { if (body.length < 4096) body += c; });
      res.on('end', () => {
        let msg = body.trim();
        try { msg = (JSON.parse(body) as { message?: string }).message ?? msg; } catch { /* plain text */ }
        const code = res.statusCode ?? 0;
        // 404: no such endpoint; 400/500 with "experimental"/"not supported": engines that only offer it in experimental mode.
        if (code === 404 || /experimental|not supported|unsupported|page not found/i.test(msg)) fail(new SessionUnsupportedError(`POST /session: HTTP ${code} ${msg}`.trim()));
        else fail(new Error(`the engine refused the BuildKit session (HTTP ${code}): ${msg || 'no message'}`));
      });
    });
    req.on('error', (e: Error) => fail(e));
    req.end();
  });
}

/**
 * Opens a session on the engine. Throws SessionUnsupportedError when the engine has no
 * `/session`, another Error when it cannot be reached or refuses.
 */
export async function openSession(opts: SessionOptions): Promise<BuildSession> {
  const id = newId();
  let sent = 0;
  const handlers = new Map<string, Handler>([
    [METHODS.diffCopy, diffCopyHandler(opts.dirs, (e) => { sent += e.delta; opts.onTransfer?.(e); })],
    [METHODS.health, async (call) => { for await (const _ of call.messages()) break; await call.write(encodeHealthServing()); }],
  ]);
  const socket = await dialSession(opts.docker, {
    Upgrade: 'h2c',
    Connection: 'Upgrade',
    'X-Docker-Expose-Session-Uuid': id,
    'X-Docker-Expose-Session-Name': opts.name ?? 'stagelens',
    'X-Docker-Expose-Session-Sharedkey': opts.sharedKey,
    'X-Docker-Expose-Session-Grpc-Method': Object.values(METHODS),
  }, opts.timeoutMs ?? 15_000, opts.signal);

  const h2 = http2.performServerHandshake(socket, { settings: { initialWindowSize: 1 << 20 }, maxSessionMemory: 64 });
  let open = true;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => { resolveClosed = r; });
  const close = (): void => {
    if (!open) return;
    open = false;
    opts.signal?.removeEventListener('abort', close);
    try { h2.destroy(); } catch { /* already gone */ }
    socket.destroy();
    resolveClosed();
  };
  h2.on('error', () => close());
  h2.on('close', () => close());
  socket.on('close', () => close());
  socket.on('error', () => close());
  opts.signal?.addEventListener('abort', close, { once: true });
  if (opts.signal?.aborted) close();
  serveGrpc(h2, handlers);

  return {
    id,
    bytesSent: () => sent,
    isOpen: () => open,
    close,
    closed,
  };
}

/** A session name like the Docker CLI's: the context folder's name. */
export function sessionName(contextDir: string): string {
  // A header value: non-ASCII folder names would make Node refuse the request.
  return (basename(contextDir) || 'context').replace(/[^\x20-\x7e]/g, '_');
}
