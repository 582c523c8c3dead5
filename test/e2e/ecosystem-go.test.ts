// Apply-and-measure on a non-Python ecosystem in a real VS Code: the Go example
// (examples/go, single-stage on golang:1.19) opened alone in code-server, rewritten by
// "Refactor to Multi-Stage and Measure", built before and after on the private test engine.
// The panel's before/after numbers must be the sizes the engine itself reports for the images
// Stage Lens built, and the rewrite must land on the distroless runtime.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDockerfile } from '../../src/core/dockerfile/parse';
import { formatBytes } from '../../src/core/report';
import { ensureFixtures } from '../harness/engine';
import { repoRoot, step, Session, T, engineHost } from './harness';
import { stageImageSize } from './engine-images';

describe('Apply-and-measure on the Go example (code-server + Chromium)', { timeout: 20 * 60_000 }, () => {
  let session: Session | undefined;
  let host = '';
  let original = '';
  let dir = '';
  const s = (): Session => {
    if (!session) throw new Error('the VS Code session did not start');
    return session;
  };

  before(async () => {
    host = await engineHost();
    await ensureFixtures('go'); // golang:1.19 and the distroless runtime the rewrite picks
    dir = mkdtempSync(join(tmpdir(), 'stagelens-e2e-go-'));
    const ws = join(dir, 'go-example');
    cpSync(join(repoRoot, 'examples', 'go'), ws, { recursive: true });
    original = readFileSync(join(ws, 'Dockerfile'), 'utf8');
    session = await Session.start({ workspace: ws });
  });
  after(async () => {
    await session?.close();
    if (dir && !process.env.STAGELENS_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  step(() => session, 'Refactor to Multi-Stage and Measure: golang:1.19 → distroless, the panel shows the engine\'s before and after sizes', T.analysis * 2 + 60_000, async () => {
    await s().openFile('Dockerfile');
    // The toolchain-base suggestion names the runtime the rewrite will use.
    await s().waitForLens(/build toolchain golang:1\.19.*distroless/);
    await s().runCommand('Stage Lens: Refactor to Multi-Stage and Measure');
    const frame = await s().webviewFrame('#comparison[data-before-bytes][data-after-bytes]', T.analysis * 2, { failOnError: true });
    const cmp = frame.locator('#comparison').first();
    const beforeBytes = Number(await cmp.getAttribute('data-before-bytes'));
    const afterBytes = Number(await cmp.getAttribute('data-after-bytes'));

    // The document now holds the rewrite: a builder on the toolchain, a distroless runtime.
    await s().save();
    const ws = s().workspace;
    const rewritten = readFileSync(join(ws, 'Dockerfile'), 'utf8');
    const stages = parseDockerfile(rewritten).stages;
    assert.equal(stages.length, 2, `two stages after the refactor:\n${rewritten}`);
    assert.equal(stages[0]!.resolvedBaseImage, 'golang:1.19');
    const runtime = stages[1]!;
    assert.equal(runtime.resolvedBaseImage, 'gcr.io/distroless/static-debian12:nonroot');
    assert.ok(runtime.instructions.some((i) => i.keyword === 'COPY' && /--from=builder/.test(i.text)), 'the runtime copies the binary from the builder');

    // The panel's numbers are the engine's: the single-stage image and the rewrite's final stage.
    const originalFile = join(dir, 'Dockerfile.original');
    writeFileSync(originalFile, original);
    const engineBefore = await stageImageSize(host, originalFile, { index: 0, name: null });
    const engineAfter = await stageImageSize(host, join(ws, 'Dockerfile'), { index: runtime.index, name: runtime.name });
    assert.equal(beforeBytes, engineBefore, `before: panel ${beforeBytes}, engine ${engineBefore}`);
    assert.equal(afterBytes, engineAfter, `after: panel ${afterBytes}, engine ${engineAfter}`);
    assert.ok(afterBytes < beforeBytes / 10, `a static Go binary on distroless (${formatBytes(afterBytes)}) is far smaller than the toolchain image (${formatBytes(beforeBytes)})`);
    process.stdout.write(`E2E-GO-SIZE before=${beforeBytes} after=${afterBytes}\n`);

    await cmp.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await s().screenshot('panel-comparison-go');
  });
});
