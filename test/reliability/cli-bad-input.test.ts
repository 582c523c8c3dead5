// The CLI on bad input: a missing file, a directory, a binary file and a file without FROM.
// Each ends with exit code 2 and one plain line on stderr naming the cause — never a stack
// trace — and `analyze` rejects the input before it contacts any engine.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { rng } from './corpus';
import { recordFigures } from './figures';

const repo = join(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'sl-rel-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

const missing = join(work, 'Dockerfile.missing');
const directory = join(work, 'adir');
mkdirSync(directory);
const binary = join(work, 'Dockerfile.bin');
{ const r = rng(5); writeFileSync(binary, Buffer.from(Array.from({ length: 4096 }, () => Math.floor(r() * 256)))); }
const noFrom = join(work, 'Dockerfile.nofrom');
writeFileSync(noFrom, 'RUN echo hi\nCOPY . /app\n');

/** Where no engine listens: `analyze` must reject the input before trying it (else exit 3). */
const NO_ENGINE = `unix://${join(work, 'no-engine.sock')}`;

interface Result { code: number | null; stdout: string; stderr: string; ms: number }

function cli(args: string[]): Promise<Result> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), ...args], {
      cwd: repo, env: { ...process.env, DOCKER_HOST: NO_ENGINE, STAGELENS_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr, ms: Date.now() - t0 }); });
  });
}

const cases: { input: string; path: string; cause: RegExp }[] = [
  { input: 'missing file', path: missing, cause: /Dockerfile\.missing/ },
  { input: 'directory', path: directory, cause: /adir/ },
  { input: 'binary file', path: binary, cause: /Dockerfile\.bin|FROM|not a Dockerfile|binary/i },
  { input: 'no FROM', path: noFrom, cause: /FROM/ },
];

const commands: { cmd: string; extra: string[] }[] = [
  { cmd: 'suggest', extra: [] },
  { cmd: 'refactor', extra: [] },
  { cmd: 'analyze', extra: ['--host', NO_ENGINE] },
];

let tried = 0;
let failed = 0;
after(() => recordFigures('cli-bad-input', { notes: { cliBadInputRuns: tried, cliBadInputFailures: failed } }));

describe('CLI on bad input', () => {
  for (const { cmd, extra } of commands) {
    for (const c of cases) {
      it(`stagelens ${cmd} on a ${c.input} → exit 2, one plain line`, async (t) => {
        const r = await cli([cmd, c.path, ...extra]);
        if (/not implemented/i.test(r.stderr)) { t.todo(`stagelens ${cmd} is not implemented yet`); return; }
        tried++;
        const lines = r.stderr.split('\n').filter((l) => l.trim());
        const problems: string[] = [];
        if (r.code !== 2) problems.push(`exit ${r.code}`);
        if (lines.length !== 1) problems.push(`${lines.length} stderr lines`);
        if (/^\s+at |Error: .*\n\s+at /m.test(r.stderr)) problems.push('stack trace on stderr');
        if (!c.cause.test(r.stderr)) problems.push(`stderr does not name the cause (${c.cause})`);
        if (r.stdout.trim() && cmd !== 'suggest') problems.push('wrote to stdout');
        if (problems.length) failed++;
        assert.deepEqual(problems, [], `stderr: ${JSON.stringify(r.stderr)} stdout: ${JSON.stringify(r.stdout.slice(0, 200))}`);
      });
    }
  }
});
