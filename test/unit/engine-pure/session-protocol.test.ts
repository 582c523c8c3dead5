// The session protocol against a stand-in for the daemon's side: an HTTP/1.1 server that
// upgrades `POST /session` to h2c and then acts as the gRPC client, as moby does. The real
// daemons are exercised in test/engine/session.test.ts; this checks the wire details one by one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Dockerode from 'dockerode';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METHODS, openSession, sessionName, SessionUnsupportedError } from '../../../src/engine/session/session';
import { DiskTree } from '../../../src/engine/session/tree';
import { decodePacket, encodePacket, FrameDecoder, frame, PACKET, type Packet } from '../../../src/engine/session/wire';

interface FakeDaemon { docker: Dockerode; headers: Promise<http.IncomingHttpHeaders>; client: Promise<http2.ClientHttp2Session>; close(): void }

function fakeDaemon(opts: { refuse?: number } = {}): Promise<FakeDaemon> {
  const sock = join(mkdtempSync(join(tmpdir(), 'sl-fake-')), 'd.sock');
  let gotHeaders!: (h: http.IncomingHttpHeaders) => void;
  let gotClient!: (c: http2.ClientHttp2Session) => void;
  const headers = new Promise<http.IncomingHttpHeaders>((r) => { gotHeaders = r; });
  const client = new Promise<http2.ClientHttp2Session>((r) => { gotClient = r; });
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    gotHeaders(req.headers);
    res.writeHead(opts.refuse ?? 404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'page not found' }));
  });
  server.on('connection', (s: Socket) => { sockets.add(s); });
  if (opts.refuse === undefined) server.on('upgrade', (req: http.IncomingMessage, socket: Socket) => {
    gotHeaders(req.headers);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
    // The client preface goes out right behind the 101, as grpc-go's does.
    gotClient(http2.connect('http://localhost', { createConnection: () => socket }));
  });
  return new Promise((resolve) => server.listen(sock, () => resolve({
    docker: new Dockerode({ socketPath: sock }), headers, client,
    close: () => { for (const s of sockets) s.destroy(); server.close(); },
  })));
}

/** Calls a method as the daemon does and collects the reply messages and the status. */
function call(c: http2.ClientHttp2Session, method: string, md: Record<string, string | string[]>, onMessage: (m: Buffer, send: (p: Packet) => void, end: () => void) => void, first: Buffer[] = []): Promise<{ status: string; message: string }> {
  return new Promise((resolve, reject) => {
    const s = c.request({ ':method': 'POST', ':path': method, 'content-type': 'application/grpc', te: 'trailers', ...md });
    const dec = new FrameDecoder();
    let status = ''; let message = '';
    const send = (p: Packet): void => { s.write(frame(encodePacket(p))); };
    // A status ends the call for the client, as in grpc-go.
    s.on('response', (h) => { if (h['grpc-status'] !== undefined) { status = String(h['grpc-status']); message = String(h['grpc-message'] ?? ''); s.close(); } });
    s.on('trailers', (h) => { status = String(h['grpc-status']); message = String(h['grpc-message'] ?? ''); s.close(); });
    s.on('data', (d: Buffer) => { for (const m of dec.push(d)) onMessage(m, send, () => s.end()); });
    s.on('close', () => resolve({ status, message }));
    s.on('error', reject);
    // A unary call: the request, then half-close, as grpc-go does.
    for (const b of first) s.write(frame(b));
    if (first.length) s.end();
  });
}

test('POST /session: h2c upgrade with the session headers; DiffCopy, Health and UNIMPLEMENTED over it', { timeout: 30_000 }, async () => {
  const d = await fakeDaemon();
  const root = mkdtempSync(join(tmpdir(), 'sl-ctx-'));
  const big = Buffer.alloc(5 * 1024 * 1024 + 123);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  writeFileSync(join(root, 'big.bin'), big);
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'sub', 'x.txt'), 'x');
  writeFileSync(join(root, 'skip.log'), 'no');
  const events: { dir: string; done: boolean }[] = [];
  const session = await openSession({
    docker: d.docker, sharedKey: 'k1', name: 'ctx', dirs: (n) => (n === 'context' ? new DiskTree(root) : null),
    onTransfer: (e) => { if (e.done) events.push({ dir: e.dir, done: e.done }); },
  });
  try {
    const h = await d.headers;
    assert.equal(h.upgrade, 'h2c');
    assert.match(String(h.connection), /upgrade/i);
    assert.equal(h['x-docker-expose-session-uuid'], session.id);
    assert.match(session.id, /^[0-9a-z]{25}$/);
    assert.equal(h['x-docker-expose-session-sharedkey'], 'k1');
    assert.equal(h['x-docker-expose-session-name'], 'ctx');
    assert.deepEqual(String(h['x-docker-expose-session-grpc-method']).split(', ').sort(), [METHODS.diffCopy, METHODS.health].sort());
    const c = await d.client;

    // Health/Check answers SERVING (field 1 = 1).
    let health: Buffer | null = null;
    const hs = await call(c, METHODS.health, {}, (m) => { health = m; }, [Buffer.alloc(0)]);
    assert.equal(hs.status, '0');
    assert.deepEqual([...health!], [0x08, 0x01]);

    // Unknown methods get a proper status.
    const un = await call(c, '/moby.filesync.v1.Auth/Credentials', {}, () => undefined, [Buffer.alloc(0)]);
    assert.equal(un.status, '12');

    // DiffCopy: STATs in order, end marker, REQ for big.bin, DATA chunks, empty DATA, FIN ↔ FIN.
    const stats: string[] = [];
    const chunks: Buffer[] = [];
    let sizes: number[] = [];
    let fin = false;
    const dc = await call(c, METHODS.diffCopy, { 'dir-name': 'context', 'exclude-patterns': ['*.log', 'nothing,here'] }, (m, send, end) => {
      const p = decodePacket(m);
      if (p.type === PACKET.STAT && p.stat) stats.push(p.stat.path);
      else if (p.type === PACKET.STAT) send({ type: PACKET.REQ, id: stats.indexOf('big.bin') });
      else if (p.type === PACKET.DATA && p.data!.length) { chunks.push(Buffer.from(p.data!)); sizes.push(p.data!.length); }
      else if (p.type === PACKET.DATA) send({ type: PACKET.FIN });
      else if (p.type === PACKET.FIN) { fin = true; end(); }
    });
    assert.equal(dc.status, '0', dc.message);
    assert.deepEqual(stats, ['big.bin', 'sub', 'sub/x.txt'], 'skip.log excluded; the comma stays inside its pattern');
    assert.ok(fin);
    const got = Buffer.concat(chunks);
    assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(big).digest('hex'));
    // Chunks stay far below the 4 MB message limit of grpc-go's default (older daemons).
    assert.ok(sizes.length > 1 && Math.max(...sizes) <= 1024 * 1024, `chunked: ${sizes.length} chunks, largest ${Math.max(...sizes)}`);
    sizes = [];
    assert.ok(session.bytesSent() > big.length, `bytes sent ${session.bytesSent()}`);

    // A directory not offered.
    const nf = await call(c, METHODS.diffCopy, { 'dir-name': 'secrets' }, () => undefined);
    assert.equal(nf.status, '5');
    assert.match(decodeURIComponent(nf.message), /no access allowed to dir "secrets"/);
    assert.deepEqual(events.filter((e) => e.dir === 'context').length, 1);
  } finally {
    session.close();
    d.close();
  }
  await session.closed;
  assert.equal(session.isOpen(), false);
});

test('an engine without /session is reported as unsupported, so the tar body is used', async () => {
  const d = await fakeDaemon({ refuse: 404 });
  try {
    await assert.rejects(openSession({ docker: d.docker, sharedKey: 'k', dirs: () => null }), SessionUnsupportedError);
  } finally { d.close(); }
});

test('the session name is a valid header value for any folder name', () => {
  assert.equal(sessionName('/work/日本語 app'), '___ app');
  assert.equal(sessionName('/srv/api'), 'api');
  assert.equal(sessionName('/'), 'context');
});
