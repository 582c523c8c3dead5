// A reader that closes the pipe early (`stagelens suggest … | head -1`) must not crash the CLI:
// exit 0, no stack trace. Through the real entry point in a child process, because the failure
// only exists on a real pipe.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';

const root = join(__dirname, '..', '..', '..');
const main = join(root, 'src', 'cli', 'main.ts');
const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const tmp = mkdtempSync(join(tmpdir(), 'stagelens-pipe-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI, reads the first chunk of stdout, then closes the pipe like `head -1` does. */
function headOne(args: string[]): Promise<{ code: number | null; first: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, main, ...args], { cwd: root, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let first = ''; let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.stdout.once('data', (b: Buffer) => { first = b.toString().split('\n')[0]!; child.stdout.destroy(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, first, stderr }));
  });
}

// Thousands of findings: far more output than a pipe buffer holds, so writes continue after the close.
const many = join(tmp, 'Dockerfile');
writeFileSync(many, ['FROM python:3.12', ...Array.from({ length: 4000 }, (_, i) => `RUN apt-get update && apt-get install -y gcc${i}`)].join('\n') + '\n');

for (const args of [['suggest', many], ['suggest', '--json', many]]) {
  test(`stagelens ${args[0]}${args[1] === '--json' ? ' --json' : ''} | head -1 exits 0 without a stack trace`, async () => {
    const r = await headOne(args);
    assert.ok(r.first.length > 0, 'printed a first line');
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|Error|\n\s+at /);
  });
}
