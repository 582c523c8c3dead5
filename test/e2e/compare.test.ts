// Issue 12, Compare with HEAD in the real VS Code (code-server + Chromium, private test engine):
// a committed Dockerfile changed in the working copy gets a "Compare with HEAD" lens; running the
// command shows the per-stage deltas (equal to the engine's own image sizes) and per-line deltas
// in the panel's comparison view, and a `+N vs HEAD` lens above the line that grew.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDockerfile } from '../../src/core/dockerfile/parse';
import { formatDelta } from '../../src/core/diff';
import { step, Session, T, engineHost } from './harness';
import { stageImageSize } from './engine-images';

const id = randomBytes(6).toString('hex');
// Line 1 is a comment: code-server misplaces a lens on a FROM in line 1.
const HEAD_TEXT = [
  '# Stage Lens e2e: Compare with HEAD',
  'FROM busybox:latest AS deps',
  `RUN echo ${id} > /id && dd if=/dev/zero of=/deps.bin bs=1024 count=1024`,
  'FROM deps AS app',
  'CMD ["sh"]',
  '',
].join('\n');
const ADDED = 'RUN dd if=/dev/zero of=/extra.bin bs=1024 count=3072';
const WORKING_TEXT = [
  '# Stage Lens e2e: Compare with HEAD',
  'FROM busybox:latest AS deps',
  '# the next RUN only moves down',
  `RUN echo ${id} > /id && dd if=/dev/zero of=/deps.bin bs=1024 count=1024`,
  ADDED,
  'FROM deps AS app',
  'CMD ["sh"]',
  '',
].join('\n');

describe('Compare with HEAD (code-server + Chromium)', { timeout: 6 * 60_000 }, () => {
  let session: Session | undefined;
  let host = '';
  let scratch = '';
  const s = (): Session => { if (!session) throw new Error('the VS Code session did not start'); return session; };

  before(async () => {
    host = await engineHost();
    scratch = mkdtempSync(join(tmpdir(), 'stagelens-e2e-compare-'));
    const ws = join(scratch, 'workspace');
    mkdirSync(ws);
    const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: ws, encoding: 'utf8' });
    writeFileSync(join(ws, 'Dockerfile'), HEAD_TEXT);
    git('init', '-q');
    git('add', 'Dockerfile');
    git('commit', '-qm', 'the committed Dockerfile');
    writeFileSync(join(ws, 'Dockerfile'), WORKING_TEXT);
    // The HEAD text on disk too, so the engine's own image of each side can be looked up by it.
    writeFileSync(join(scratch, 'Dockerfile.head'), HEAD_TEXT);
    session = await Session.start({ workspace: ws, settings: { 'files.autoSave': 'off', 'stageLens.build.network': 'none' } });
  });
  after(async () => {
    await session?.close();
    if (scratch && !process.env.STAGELENS_E2E_KEEP) rmSync(scratch, { recursive: true, force: true });
  });

  step(() => session, 'a changed Dockerfile gets the lens; Compare with HEAD shows per-stage and per-line deltas that match the engine', 5 * 60_000, async () => {
    await s().openFile('Dockerfile');
    const lens = await s().waitForLens(/Compare with HEAD/, T.activation);
    const placed = await s().lensLines();
    assert.ok(placed.some((p) => /Compare with HEAD/.test(p.lens) && p.line === 'FROM busybox:latest AS deps'), `the lens sits on the first FROM: ${JSON.stringify(placed)}`);
    assert.ok(await lens.isVisible());
    await s().runCommand('Stage Lens: Compare with HEAD');

    const frame = await s().webviewFrame('#comparison .stage-deltas', 4 * 60_000, { failOnError: true });
    const rows = await frame.locator('#comparison .stage-deltas tbody tr').evaluateAll((els) => els.map((e) => ({
      stage: e.getAttribute('data-stage-delta'), delta: e.getAttribute('data-delta-bytes'), text: (e.textContent ?? '').replace(/\s+/g, ' ').trim(),
    })));
    assert.deepEqual(rows.map((r) => r.stage), ['deps', 'app']);
    const headFile = join(scratch, 'Dockerfile.head');
    const workFile = join(s().workspace, 'Dockerfile');
    const stages = parseDockerfile(WORKING_TEXT).stages;
    for (const [i, st] of stages.entries()) {
      const engineDelta = (await stageImageSize(host, workFile, st)) - (await stageImageSize(host, headFile, st));
      assert.equal(Number(rows[i]!.delta), engineDelta, `${st.name}: the panel's delta is the engine's size difference`);
      assert.ok(rows[i]!.text.includes(formatDelta(engineDelta)), `${st.name} row shows ${formatDelta(engineDelta)}: ${rows[i]!.text}`);
      assert.ok(engineDelta >= 3072 * 1024, `${st.name} grew by the 3 MiB file (${engineDelta})`);
    }
    assert.match(await frame.locator('#comparison h2').first().textContent() ?? '', /Compared with HEAD/);

    // Per-line deltas in the Dockerfile diff: on the added RUN, and on app's FROM (its base grew);
    // the moved RUN carries none.
    const diffLines = await frame.locator('#comparison .diff-lines > div').evaluateAll((els) => els.map((e) => ({
      cls: e.className, text: (e.textContent ?? '').replace(/\s+/g, ' ').trim(), delta: e.querySelector('[data-line-delta]')?.getAttribute('data-line-delta') ?? null,
    })));
    const added = diffLines.find((l) => l.text.includes('of=/extra.bin'))!;
    assert.equal(added.cls, 'diff-add');
    assert.ok(added.delta !== null && Number(added.delta) >= 3072 * 1024, `the added RUN carries its layer's size: ${JSON.stringify(added)}`);
    const moved = diffLines.find((l) => l.text.includes(`echo ${id}`))!;
    assert.equal(moved.delta, null, `the moved RUN has no delta: ${JSON.stringify(moved)}`);
    const appFrom = diffLines.find((l) => l.text.includes('FROM deps AS app'))!;
    assert.equal(appFrom.delta, added.delta, 'app\'s FROM line grew by what deps grew');

    // The editor: `+N vs HEAD` above the added RUN, none above the moved one.
    await s().waitForLens(/vs HEAD/, T.ui);
    // The comparison ends (its "Analyzing stages…" lens goes) just after its lenses arrive, and the
    // editor lays them out line by line: read them once they have settled.
    const growthOf = (ls: { lens: string; line: string }[]): { lens: string; line: string }[] => ls.filter((p) => /vs HEAD$/.test(p.lens) && /^[+]/.test(p.lens));
    let after = await s().lensLines();
    for (const until = Date.now() + T.ui; Date.now() < until; after = await s().lensLines()) {
      if (!after.some((p) => /Analyzing stages/.test(p.lens)) && growthOf(after).some((p) => p.line === 'FROM deps AS app')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const growth = growthOf(after);
    const onAdded = growth.find((p) => p.line === ADDED);
    assert.ok(onAdded, `a growth lens above the added RUN: ${JSON.stringify(after)}`);
    assert.equal(onAdded.lens, `${formatDelta(Number(added.delta))} vs HEAD`);
    assert.ok(growth.some((p) => p.line === 'FROM deps AS app'), `app's FROM has its growth lens: ${JSON.stringify(after)}`);
    assert.ok(!growth.some((p) => p.line.startsWith(`RUN echo ${id}`)), `no growth lens above the moved RUN: ${JSON.stringify(after)}`);
    await s().screenshot('compare-head');
  });
});
