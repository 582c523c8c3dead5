// Faults at the endpoint: the socket is missing, is a plain file, refuses, answers like an old
// engine, or accepts and never answers. Each must end in a clear message naming the endpoint
// and the fix within a bounded time, with no unhandled rejection.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connectEngine } from '../../src/engine/connection';
import { recordFault } from './figures';
import { missingEndpoint, oldApiEndpoint, plainFileEndpoint, refusingEndpoint, silentEndpoint, watchUnhandled, type Injector } from './injectors';
import { loadAnalyze } from './product';

const CONNECT_TIMEOUT_MS = 3000;
/** Connecting may take the timeout plus a little scheduling slack on a busy 2-core machine. */
const BOUND_MS = CONNECT_TIMEOUT_MS + 2500;
const FIX = /start docker|DOCKER_HOST|--host|stageLens\.engine\.endpoint|endpoint/i;

const unhandled = watchUnhandled();
after(() => unhandled.stop());

async function settle(): Promise<void> {
  // Give stray promise rejections a chance to surface before checking for them.
  await new Promise((r) => setTimeout(r, 200));
}

/** Connects (and analyzes when the engine says it is there) and returns the error it ends with. */
async function failureOf(inj: Injector): Promise<{ message: string; ms: number; stage: 'connect' | 'analyze' | 'none' }> {
  const t0 = Date.now();
  let stage: 'connect' | 'analyze' | 'none' = 'connect';
  try {
    const conn = await connectEngine({ explicit: inj.host, timeoutMs: CONNECT_TIMEOUT_MS });
    stage = 'analyze';
    const analyze = await loadAnalyze();
    await analyze.run(conn, 'FROM busybox\nRUN true\n');
    return { message: '', ms: Date.now() - t0, stage: 'none' };
  } catch (e) {
    return { message: e instanceof Error ? e.message : String(e), ms: Date.now() - t0, stage };
  }
}

function checkClear(name: string, f: { message: string; ms: number }, inj: Injector, cause: RegExp): void {
  const lines = f.message.split('\n').filter(Boolean);
  const problems: string[] = [];
  if (!f.message) problems.push('no error at all');
  if (f.ms > BOUND_MS) problems.push(`took ${f.ms} ms (bound ${BOUND_MS})`);
  if (!f.message.includes(inj.path)) problems.push('message does not name the endpoint');
  if (!cause.test(f.message)) problems.push(`message does not name the cause (${cause})`);
  if (!FIX.test(f.message)) problems.push('message names no fix');
  if (lines.length > 2 || /\n\s+at /.test(f.message)) problems.push('message is not one or two plain lines');
  recordFault(`endpoint ${name}`, problems.length === 0);
  assert.deepEqual(problems, [], `${name}: "${f.message}"`);
}

describe('faults: endpoint', () => {
  it('socket missing → clear message, fast', async () => {
    const inj = missingEndpoint();
    try { checkClear('missing', await failureOf(inj), inj, /does not exist|no such|not found/i); } finally { await inj.close(); }
    await settle();
    assert.deepEqual(unhandled.list, []);
  });

  it('plain file where the socket should be → clear message, fast', async () => {
    const inj = plainFileEndpoint();
    try { checkClear('plain file', await failureOf(inj), inj, /refused|not a socket|denied/i); } finally { await inj.close(); }
    await settle();
    assert.deepEqual(unhandled.list, []);
  });

  it('endpoint refusing (hangs up at once; chmod 000 does not stop root) → clear message, fast', async () => {
    const inj = await refusingEndpoint();
    try { checkClear('refusing', await failureOf(inj), inj, /refused|closed|hang up|reset|socket hang up|EPIPE|ended/i); } finally { await inj.close(); }
    await settle();
    assert.deepEqual(unhandled.list, []);
  });

  it('endpoint accepts and never answers → fails within a few seconds', async () => {
    const inj = await silentEndpoint();
    try {
      const f = await failureOf(inj);
      assert.ok(inj.requests.length > 0, 'the request reached the silent endpoint');
      checkClear('silent', f, inj, /no answer|timed? ?out|timeout/i);
    } finally { await inj.close(); }
    await settle();
    assert.deepEqual(unhandled.list, []);
  });

  it('engine API older than needed (1.24) → clear message naming the version and the fix', async () => {
    const inj = await oldApiEndpoint('1.24');
    try {
      const f = await failureOf(inj);
      const problems: string[] = [];
      if (!f.message) problems.push('an engine with API 1.24 was accepted for analysis');
      if (!/1\.24/.test(f.message)) problems.push('message does not name the engine API version');
      if (!/upgrade|update|newer|too old|older/i.test(f.message)) problems.push('message names no fix');
      if (f.ms > BOUND_MS) problems.push(`took ${f.ms} ms`);
      if (f.message.split('\n').filter(Boolean).length > 2) problems.push('message longer than two lines');
      // No build may be sent to an engine that cannot run it.
      if (inj.requests.some((r) => /\/build/.test(r))) problems.push('a build request was sent');
      recordFault('endpoint old API', problems.length === 0);
      assert.deepEqual(problems, [], `"${f.message}"`);
    } finally { await inj.close(); }
    await settle();
    assert.deepEqual(unhandled.list, []);
  });
});
