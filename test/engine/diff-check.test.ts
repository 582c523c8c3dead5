// `stagelens diff` and `stagelens check` against the real engine: a fixture Dockerfile changes
// between two commits of a temp git repo; the per-stage deltas must equal the engine's own image
// sizes, the per-line deltas must land on the lines that caused them (a line that only moved is
// the same line), and `check` must exit 1 then 0 as the budget changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DiffReport } from '../../src/core/diff';
import { dockerfileHash } from '../../src/core/hash';
import { cleanUpImages } from '../../src/engine/cleanup';
import { stageImageRepo } from '../../src/engine/analyze';
import { BUSYBOX, contextWith, engine, nonce } from './util';

const root = join(__dirname, '..', '..');

function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // tsx resolved from this repository: the CLI runs in a temp repo that has no node_modules.
    const p = spawn(process.execPath, ['--import', pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, join(root, 'src', 'cli', 'main.ts'), ...args], { cwd, env: { ...process.env, DOCKER_HOST: '' } });
    let stdout = ''; let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });

test('diff HEAD~1: stage deltas = engine sizes, line deltas on the right lines; check exits 1 then 0', { timeout: 600_000 }, async () => {
  const { host, connection } = await engine();
  const id = nonce();
  const v1 = [
    `FROM ${BUSYBOX} AS deps`,
    `RUN echo ${id} > /id && dd if=/dev/zero of=/deps.bin bs=1024 count=1024`,
    'FROM deps AS app',
    'RUN dd if=/dev/zero of=/app.bin bs=1024 count=512',
    'CMD ["sh"]',
    '',
  ].join('\n');
  const v2 = [
    `FROM ${BUSYBOX} AS deps`,
    '# the RUN below only moves down a line',
    `RUN echo ${id} > /id && dd if=/dev/zero of=/deps.bin bs=1024 count=1024`,
    'RUN dd if=/dev/zero of=/extra.bin bs=1024 count=3072',
    'FROM deps AS app',
    'RUN dd if=/dev/zero of=/app.bin bs=1024 count=512',
    'CMD ["sh"]',
    '',
  ].join('\n');
  const dir = contextWith({ Dockerfile: v1 });
  git(dir, 'init', '-q');
  git(dir, 'add', 'Dockerfile');
  git(dir, 'commit', '-qm', 'v1');
  writeFileSync(join(dir, 'Dockerfile'), v2);
  git(dir, 'commit', '-qam', 'v2');
  try {
    const r = await cli(['diff', 'Dockerfile', '--base', 'HEAD~1', '--json', '--host', host, '--network', 'none'], dir);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as DiffReport;
    assert.equal(d.kind, 'stagelens-diff');
    assert.deepEqual(d.base, { kind: 'git', ref: 'HEAD~1' });

    // The engine's own sizes of the four stage images (tagged per Dockerfile text and stage).
    const size = async (text: string, stage: string): Promise<number> => (await connection.docker.getImage(`${stageImageRepo(dockerfileHash(text))}:${stage}`).inspect()).Size;
    const history = async (text: string, stage: string): Promise<Array<{ CreatedBy: string; Size: number }>> => (await connection.docker.getImage(`${stageImageRepo(dockerfileHash(text))}:${stage}`).history()) as Array<{ CreatedBy: string; Size: number }>;
    for (const name of ['deps', 'app']) {
      const s = d.stages.find((x) => x.after?.name === name)!;
      assert.equal(s.status, 'same');
      assert.equal(s.matchedBy, 'name');
      assert.equal(s.before!.sizeBytes, await size(v1, name), `${name} before`);
      assert.equal(s.after!.sizeBytes, await size(v2, name), `${name} after`);
      assert.equal(s.deltaBytes, (await size(v2, name)) - (await size(v1, name)), `${name} delta`);
    }
    const extraLayer = (await history(v2, 'deps')).find((h) => h.CreatedBy.includes('extra.bin'))!;
    assert.ok(extraLayer.Size >= 3072 * 1024, `the added layer holds the 3 MiB file (${extraLayer.Size})`);

    const deps = d.stages.find((x) => x.after?.name === 'deps')!;
    const added = deps.lines.filter((l) => l.status === 'added');
    assert.deepEqual(added.map((l) => [l.after!.line, l.deltaBytes]), [[4, extraLayer.Size]]);
    const moved = deps.lines.find((l) => l.after?.line === 3)!;
    assert.deepEqual([moved.status, moved.before!.line, moved.deltaBytes], ['moved', 2, 0]);
    assert.equal(deps.deltaBytes, extraLayer.Size, 'the stage grew by exactly the added layer');

    // app is built FROM deps: its own RUN is unchanged; the growth lands on its FROM line.
    const app = d.stages.find((x) => x.after?.name === 'app')!;
    assert.equal(app.final, true);
    const appFrom = app.lines[0]!;
    assert.deepEqual([appFrom.keyword, appFrom.after!.line, appFrom.before!.line, appFrom.deltaBytes], ['FROM', 5, 3, extraLayer.Size]);
    assert.ok(app.lines.filter((l) => l.keyword !== 'FROM').every((l) => l.deltaBytes === 0), 'no other line of app changed size');

    // The final image's files: the new file, by its size in the layer tar.
    assert.equal(d.final.deltaBytes, await size(v2, 'app') - await size(v1, 'app'));
    assert.deepEqual(d.final.files!.added.top.map((f) => [f.path, f.deltaBytes]), [['/extra.bin', 3072 * 1024]]);
    assert.equal(d.final.files!.removed.count, 0);

    const text = await cli(['diff', '--base', 'HEAD~1', '--host', host, '--network', 'none', '--top', '0'], dir);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^deps\s+\S+ [kM]B\s+\S+ MB\s+\+3\.\d+ MB/m);
    assert.match(text.stdout, /\+3\.\d+ MB\s+added\s+line 4: RUN dd if=\/dev\/zero of=\/extra\.bin/);
    const md = await cli(['diff', '--base', 'HEAD~1', '--markdown', '--host', host, '--network', 'none', '--top', '0'], dir);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^\| deps \| 4 \| `RUN dd if=\/dev\/zero of=\/extra\.bin bs=1024 count=3072` \| \+3\.\d+ MB \| added \|$/m);

    // Gate: 1 MB of growth allowed → exit 1 with one line naming the budget; 5 MB → exit 0.
    writeFileSync(join(dir, '.stagelens.yml'), 'stages:\n  deps:\n    maxGrowth: 1MB\nfinal:\n  maxSize: 50MB\n');
    const over = await cli(['check', '--base', 'HEAD~1', '--host', host, '--network', 'none'], dir);
    assert.equal(over.code, 1, over.stderr);
    const lines = over.stdout.trim().split('\n');
    assert.equal(lines.length, 1, over.stdout);
    assert.match(lines[0]!, /^over budget: stage deps grew \+3\.\d+ MB \(\+\d+%\) vs HEAD~1, over stages\.deps\.maxGrowth 1 MB \(\.stagelens\.yml:3\)$/);
    writeFileSync(join(dir, '.stagelens.yml'), 'stages:\n  deps:\n    maxGrowth: 5MB\nfinal:\n  maxSize: 50MB\n');
    const within = await cli(['check', '--base', 'HEAD~1', '--host', host, '--network', 'none'], dir);
    assert.equal(within.code, 0, within.stdout + within.stderr);
    assert.match(within.stdout, /^ok: 2 budgets kept/);
    // A bad budget file is bad input (exit 2) naming key and line, before any build.
    writeFileSync(join(dir, '.stagelens.yml'), 'stages:\n  deps:\n    maxGrowth: lots\n');
    const bad = await cli(['check', '--host', host], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /\.stagelens\.yml:3: stages\.deps\.maxGrowth: "lots" is not a size/);
  } finally {
    await cleanUpImages(connection.docker, { dockerfile: join(dir, 'Dockerfile') });
  }
});

test('diff outside git or for a file not in HEAD: exit 2 with the fix', async () => {
  const { host } = await engine();
  const dir = contextWith({ Dockerfile: `FROM ${BUSYBOX}\n` });
  const r = await cli(['diff', '--host', host], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not in a git repository\. Compare with a file instead: --base-file FILE/);
  git(dir, 'init', '-q');
  writeFileSync(join(dir, 'other'), 'x');
  git(dir, 'add', 'other');
  git(dir, 'commit', '-qm', 'c');
  const r2 = await cli(['diff', '--host', host], dir);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /Dockerfile is not in HEAD \([0-9a-f]{8}\): a new file has nothing to compare with/);
  const r3 = await cli(['diff', '--base', '--output=x', '--host', host], dir);
  assert.equal(r3.code, 2);
});
