// An unreachable engine must fail fast and say which endpoint it tried: a missing socket, a
// TCP port nobody listens on, and a socket that accepts connections but never answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEngine, EngineUnreachableError } from '../../src/engine/connection';
import { engine } from './util';

async function failsFast(endpoint: string, withinMs: number, timeoutMs?: number): Promise<EngineUnreachableError> {
  const t0 = Date.now();
  const err = await connectEngine({ explicit: endpoint, timeoutMs }).then(() => null, (e: unknown) => e);
  const took = Date.now() - t0;
  assert.ok(err instanceof EngineUnreachableError, `expected EngineUnreachableError, got ${String(err)}`);
  assert.ok(took < withinMs, `${endpoint} took ${took} ms`);
  assert.ok(err.message.includes(endpoint), err.message);
  assert.match(err.message, /Start Docker, or set DOCKER_HOST \/ --host \/ stageLens\.engine\.endpoint/);
  return err;
}

test('a socket that does not exist fails at once', async () => {
  const e = await failsFast(`unix://${join(mkdtempSync(join(tmpdir(), 'sl-nosock-')), 'docker.sock')}`, 2000);
  assert.match(e.message, /does not exist/);
});

test('a TCP port nobody listens on fails at once', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const e = await failsFast(`tcp://127.0.0.1:${port}`, 2000);
  assert.match(e.message, /refused/);
});

test('a listening socket that never answers fails after the connect timeout (default 5 s)', { timeout: 30_000 }, async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'sl-silent-')), 'docker.sock');
  const held: Socket[] = [];
  const srv = createServer((s) => { held.push(s); });
  await new Promise<void>((r) => srv.listen(path, () => r()));
  try {
    const t0 = Date.now();
    const e = await failsFast(`unix://${path}`, 6500);
    assert.ok(Date.now() - t0 >= 4500, 'waited for the default timeout, not less');
    assert.match(e.message, /no answer within 5 s \(a busy engine can answer late: retry, or give the CLI --timeout SECONDS\)/);
    await failsFast(`unix://${path}`, 2000, 1000);
  } finally {
    for (const s of held) s.destroy();
    srv.close();
  }
});

test('the private test engine connects and reports version, API version and BuildKit', async () => {
  const { connection, host } = await engine();
  assert.equal(connection.endpoint, host);
  assert.equal(connection.source, '--host/setting');
  assert.match(connection.apiVersion, /^1\.\d+$/);
  assert.ok(connection.version.length > 0);
  assert.equal(connection.buildkit, true);
});
