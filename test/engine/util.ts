// Shared setup for the engine tests: a connection to the private test engine and throw-away
// build contexts. Every Dockerfile here uses the tiny busybox fixture and no network.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEngine, type EngineConnection } from '../../src/engine/connection';
import { ensureFixtures } from '../harness/engine';

export const BUSYBOX = 'stagelens-fixture/busybox:latest';

let conn: Promise<{ host: string; connection: EngineConnection }> | null = null;

export function engine(): Promise<{ host: string; connection: EngineConnection }> {
  conn ??= (async () => {
    const host = await ensureFixtures();
    return { host, connection: await connectEngine({ explicit: host, timeoutMs: 15_000 }) };
  })();
  return conn;
}

/** A fresh context folder holding `files` (name → content); returns its path. */
export function contextWith(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sl-engine-'));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

/** A value that makes a Dockerfile text (and so its tag repository) unique to this run. */
export function nonce(): string { return randomBytes(6).toString('hex'); }
