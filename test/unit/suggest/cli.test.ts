// The two commands through the real entry point (src/cli/main.ts): exit codes, one-line errors,
// text and JSON output, --out.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { UserError, type CliIO } from '../../../src/cli/common';
import { run as refactorRun } from '../../../src/cli/refactor';
import { run as suggestRun } from '../../../src/cli/suggest';
import { parseDockerfile } from '../../../src/core/dockerfile/parse';

const root = join(__dirname, '..', '..', '..');
const main = join(root, 'src', 'cli', 'main.ts');
const tmp = mkdtempSync(join(tmpdir(), 'stagelens-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** Through the real entry point in a child process (exit codes as a user sees them). */
function cli(args: string[], cwd = root): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', tsx, main, ...args], { cwd, env: { ...process.env, NODE_OPTIONS: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** In-process, the way main() runs a command: faster, same code path below the dispatcher. */
async function inproc(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''; let stderr = '';
  const io: CliIO = { out: (x) => { stdout += x.endsWith('\n') ? x : x + '\n'; }, err: (x) => { stderr += x.endsWith('\n') ? x : x + '\n'; } };
  const [cmd, ...rest] = args;
  try {
    const code = await (cmd === 'refactor' ? refactorRun : suggestRun)(rest, io, new AbortController().signal);
    return { code, stdout, stderr };
  } catch (e) {
    if (e instanceof UserError) return { code: e.exitCode, stdout, stderr: stderr + `stagelens: ${e.message}\n` };
    throw e;
  }
}

const SINGLE = join(root, 'test', 'unit', 'refactor', 'fixtures', 'python-seed.Dockerfile');
const ADVANCED = join(__dirname, 'fixtures', 'advanced.Dockerfile');

describe('stagelens suggest', { concurrency: true }, () => {
  test('text output: line:col id message (hadolint) ~estimate, exit 0 with findings', async () => {
    const r = await cli(['suggest', SINGLE]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.some((l) => /^8:1 apt-no-recommends .*\(DL3015\)$/.test(l)), r.stdout);
    assert.ok(lines.some((l) => /^3:1 fat-base .*~880 MB \(estimate\)$/.test(l)), r.stdout);
    assert.match(lines[lines.length - 1]!, /^\d+ findings/);
  });
  test('--json prints schemaVersion, the absolute path and findings with ranges and edits', async () => {
    const r = await inproc(['suggest', SINGLE, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { schemaVersion: number; dockerfile: string; findings: { id: string; range: { start: { line: number } }; line: number; fix?: { edits: unknown[] } }[] };
    assert.equal(j.schemaVersion, 1);
    assert.equal(j.dockerfile, SINGLE);
    assert.ok(j.findings.length >= 5);
    for (const f of j.findings) assert.equal(f.range.start.line + 1, f.line);
    assert.ok(j.findings.find((f) => f.id === 'root-user')?.fix?.edits.length);
  });
  test('--disable takes ids and hadolint codes, repeated or comma-separated', async () => {
    const r = await inproc(['suggest', SINGLE, '--json', '--disable', 'DL3015', '--disable=root-user,fat-base']);
    const found = (JSON.parse(r.stdout) as { findings: { id: string }[] }).findings.map((f) => f.id);
    for (const id of ['apt-no-recommends', 'root-user', 'fat-base']) assert.ok(!found.includes(id), id);
    assert.ok(found.includes('build-tools-in-final'));
  });
  test('no findings on the advanced Dockerfile', async () => {
    const r = await inproc(['suggest', ADVANCED, '--context', join(root, 'examples')]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /no findings/);
  });
  test('default ./Dockerfile and the .dockerignore rule from the context on disk', async () => {
    const dir = join(tmp, 'ctx');
    mkdirSync(join(dir, '.git'), { recursive: true });
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(dir, '.env'), 'SECRET=1\n');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM python:3.12-slim\nCOPY . .\nUSER 1000\n');
    const r = await cli(['suggest'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^2:1 no-dockerignore .*\.git.*\.env|^2:1 no-dockerignore .*\.env.*\.git/m);
    writeFileSync(join(dir, '.dockerignore'), '.git\n.env\n');
    assert.doesNotMatch((await cli(['suggest'], dir)).stdout, /no-dockerignore/);
  });
  const bad: [string, () => string, RegExp][] = [
    ['missing file', () => join(tmp, 'nope', 'Dockerfile'), /no such file/],
    ['directory', () => tmp, /is a directory/],
    ['binary file', () => { const p = join(tmp, 'bin'); writeFileSync(p, Buffer.from([0x46, 0x52, 0x4f, 0x4d, 0x00, 0x01])); return p; }, /binary file/],
    ['no FROM', () => { const p = join(tmp, 'nofrom'); writeFileSync(p, '# just a comment\n'); return p; }, /no FROM/],
    ['parse problem', () => { const p = join(tmp, 'problem'); writeFileSync(p, 'RUN echo hi\nFROM debian:bookworm-slim\n'); return p; }, /:1: RUN before the first FROM/],
  ];
  for (const [name, make, re] of bad) {
    test(`exit 2 with one line for ${name}`, async () => {
      for (const cmd of ['suggest', 'refactor']) {
        const r = await inproc([cmd, make()]);
        assert.equal(r.code, 2, `${cmd}: ${r.stderr}`);
        assert.equal(r.stdout, '');
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, re);
      }
    });
  }
  test('through main: a missing file exits 2 with one line on stderr', async () => {
    for (const cmd of ['suggest', 'refactor']) {
      const r = await cli([cmd, join(tmp, 'missing.Dockerfile')]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^stagelens: .*missing\.Dockerfile: no such file/);
    }
  });
  test('unknown rule in --disable is a usage error', async () => {
    const r = await inproc(['suggest', SINGLE, '--disable', 'no-such-rule']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown rule no-such-rule/);
  });
});

describe('stagelens refactor', { concurrency: true }, () => {
  test('prints the rewrite on stdout and the summary on stderr', async () => {
    const r = await cli(['refactor', SINGLE]);
    assert.equal(r.code, 0, r.stderr);
    const df = parseDockerfile(r.stdout);
    assert.deepEqual(df.problems, []);
    assert.deepEqual(df.stages.map((s) => s.name), ['builder', 'test', 'runtime']);
    assert.match(r.stderr, /^Rewrote .* \(python\):/);
    assert.match(r.stderr, /runtime stage on python:3\.12-slim/);
  });
  test('--out writes the file and prints the summary', async () => {
    const out = join(tmp, 'Dockerfile.multistage');
    const r = await inproc(['refactor', SINGLE, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Wrote .*Dockerfile\.multistage/);
    assert.match(readFileSync(out, 'utf8'), /^FROM python:3\.12-slim AS runtime$/m);
  });
  test('an already multi-stage file is left as it is', async () => {
    const r = await inproc(['refactor', ADVANCED]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trimEnd(), readFileSync(ADVANCED, 'utf8').trimEnd());
    assert.match(r.stderr, /no change/);
  });
});
