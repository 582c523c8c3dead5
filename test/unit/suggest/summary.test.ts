// The closing line of `stagelens suggest` names `stagelens refactor` only when a fix is the split.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { CliIO } from '../../../src/cli/common';
import { run } from '../../../src/cli/suggest';

const tmp = mkdtempSync(join(tmpdir(), 'stagelens-summary-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function lastLine(text: string): Promise<string> {
  const file = join(tmp, `Dockerfile.${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, text);
  let out = '';
  const io: CliIO = { out: (s) => { out += s + '\n'; }, err: () => {} };
  assert.equal(await run([file, '--context', tmp], io, new AbortController().signal), 0);
  return out.trim().split('\n').pop()!;
}

test('fixes that are edits in place do not send the user to stagelens refactor', async () => {
  const line = await lastLine('FROM node:20-slim\nWORKDIR /app\nADD server.js .\nCMD ["node","server.js"]\n');
  assert.match(line, /with a fix \(editor quick fix\)\.$/);
  assert.doesNotMatch(line, /stagelens refactor/);
});

test('a split fix names stagelens refactor', async () => {
  const line = await lastLine('FROM python:3.12\nWORKDIR /app\nRUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY app.py .\nCMD ["python","app.py"]\n');
  assert.match(line, /`stagelens refactor` writes the multi-stage split/);
});
