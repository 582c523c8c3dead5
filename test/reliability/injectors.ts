// Fault injectors that stand in for a broken Docker endpoint on a unix socket:
// - refusing: accepts and immediately closes every connection. As root, chmod 000 on a socket
//   blocks nothing, so "refuses" is simulated by a listener that hangs up at once;
// - oldApi: answers /_ping and /version like a Docker 1.12 engine (API 1.24) and refuses the
//   rest the way an old engine does;
// - silent: accepts, reads the request and never answers;
// - plainFile: a regular file where the socket should be.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Injector { path: string; host: string; requests: string[]; close(): Promise<void> }

function tempSocket(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sl-fault-'));
  return { dir, path: join(dir, 'docker.sock') };
}

function closer(server: Server | HttpServer, sockets: Set<Socket>, dir: string): () => Promise<void> {
  return () => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => { rmSync(dir, { recursive: true, force: true }); resolve(); });
  });
}

async function listen(server: Server | HttpServer, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(path, () => resolve()); });
}

export async function refusingEndpoint(): Promise<Injector> {
  const { dir, path } = tempSocket();
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const server = createServer((s) => { requests.push('connection'); s.destroy(); });
  await listen(server, path);
  return { path, host: `unix://${path}`, requests, close: closer(server, sockets, dir) };
}

export async function silentEndpoint(): Promise<Injector> {
  const { dir, path } = tempSocket();
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const server = createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => { requests.push(String(d).split('\r\n')[0] ?? ''); });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await listen(server, path);
  return { path, host: `unix://${path}`, requests, close: closer(server, sockets, dir) };
}

export async function oldApiEndpoint(apiVersion = '1.24'): Promise<Injector> {
  const { dir, path } = tempSocket();
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const server = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const url = (req.url ?? '/').replace(/^\/v[\d.]+/, '');
    res.setHeader('Api-Version', apiVersion);
    res.setHeader('Docker-Experimental', 'false');
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', 'Docker/1.12.6 (linux)');
    if (url.startsWith('/_ping')) { res.setHeader('Content-Type', 'text/plain'); res.end('OK'); return; }
    if (url.startsWith('/version')) {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ Version: '1.12.6', ApiVersion: apiVersion, MinAPIVersion: '1.12', GitCommit: '78d1802', GoVersion: 'go1.6.4', Os: 'linux', Arch: 'amd64', KernelVersion: '4.9.0' }));
      return;
    }
    // An old daemon rejects requests from a newer client with 400 and this message.
    const m = /^\/v([\d.]+)/.exec(req.url ?? '');
    res.statusCode = m ? 400 : 404;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ message: m ? `client is newer than server (client API version: ${m[1]}, server API version: ${apiVersion})` : 'page not found' }));
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await listen(server, path);
  return { path, host: `unix://${path}`, requests, close: closer(server, sockets, dir) };
}

export function missingEndpoint(): Injector {
  const { dir, path } = tempSocket();
  return { path, host: `unix://${path}`, requests: [], close: async () => { rmSync(dir, { recursive: true, force: true }); } };
}

export function plainFileEndpoint(): Injector {
  const { dir, path } = tempSocket();
  writeFileSync(path, 'not a socket\n');
  return { path, host: `unix://${path}`, requests: [], close: async () => { rmSync(dir, { recursive: true, force: true }); } };
}

/** Collects unhandled rejections for a test file; a fault must never produce one. */
export function watchUnhandled(): { list: unknown[]; stop(): void } {
  const list: unknown[] = [];
  const on = (e: unknown): void => { list.push(e); };
  process.on('unhandledRejection', on);
  return { list, stop: () => { process.off('unhandledRejection', on); } };
}
