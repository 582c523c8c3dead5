// One error-to-exit-code map for the CLI (issue 14, bug 3): the same bad input gives the same
// exit code in every command. Runs the real CLI entry point; no engine is contacted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, UserError, exitCodeFor } from '../../../src/cli/common';

const repo = join(__dirname, '..', '..', '..');
const cli = (args: string[]): { status: number | null; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), ...args], {
    encoding: 'utf8', cwd: repo, env: { ...process.env, DOCKER_HOST: '', DOCKER_CONTEXT: '' }, timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr };
};

test('a malformed --host is bad input (exit 2) in analyze and in layers alike', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sl-exit-'));
  const df = join(dir, 'Dockerfile');
  writeFileSync(df, 'FROM busybox\nRUN true\n');
  const analyze = cli(['analyze', df, '--host', 'bogus://nowhere']);
  const layers = cli(['layers', 'busybox:latest', '--host', 'bogus://nowhere']);
  assert.equal(analyze.status, EXIT.usage, `analyze: ${analyze.stderr}`);
  assert.equal(layers.status, EXIT.usage, `layers: ${layers.stderr}`);
  for (const r of [analyze, layers]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('an unreachable engine is exit 3 in analyze and in layers alike', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sl-exit-'));
  const df = join(dir, 'Dockerfile');
  writeFileSync(df, 'FROM busybox\nRUN true\n');
  const host = `unix://${join(dir, 'no-engine.sock')}`;
  assert.equal(cli(['analyze', df, '--host', host]).status, EXIT.engine);
  assert.equal(cli(['layers', 'busybox:latest', '--host', host]).status, EXIT.engine);
});

test('the map: user errors keep their code, engine and input errors by kind, the rest is 1', () => {
  const named = (name: string): Error => Object.assign(new Error('x'), { name });
  assert.equal(exitCodeFor(new UserError('x', EXIT.engine)), EXIT.engine);
  assert.equal(exitCodeFor(named('EngineUnreachableError')), EXIT.engine);
  assert.equal(exitCodeFor(named('EndpointConfigError')), EXIT.usage);
  assert.equal(exitCodeFor(named('AnalysisInputError')), EXIT.usage);
  assert.equal(exitCodeFor(named('ImageNotFoundError')), EXIT.usage);
  assert.equal(exitCodeFor(Object.assign(new Error('x'), { code: 'ECONNREFUSED', syscall: 'connect' })), EXIT.engine);
  assert.equal(exitCodeFor(Object.assign(new Error('x'), { code: 'ENOENT', syscall: 'open' })), EXIT.failed);
  assert.equal(exitCodeFor(new Error('anything else')), EXIT.failed);
});
