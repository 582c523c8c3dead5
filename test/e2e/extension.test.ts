// The issue's scenario in a real VS Code: the packaged .vsix in code-server, driven from Debian's
// Chromium, against the private test engine, on a copy of examples/.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDockerfile } from '../../src/core/dockerfile/parse';
import { formatBytes } from '../../src/core/report';
import { ANALYZED_FROM_LENS, SIZE_IN_LENS, step, Session, T, THEME_DARK, THEME_HIGH_CONTRAST, THEME_LIGHT, engineHost } from './harness';
import { dockerFor, stageImageSize } from './engine-images';
import { analyzeDockerfile } from '../../src/core/suggest';
import { analyzeStages } from '../../src/engine/analyze';
import { connectEngine } from '../../src/engine/connection';

const DOCKERFILE = 'Dockerfile.single-stage';

describe('Stage Lens in VS Code (code-server + Chromium)', { timeout: 14 * 60_000 }, () => {
  let session: Session | undefined;
  let host = '';
  let original = '';
  const s = (): Session => {
    if (!session) throw new Error('the VS Code session did not start');
    return session;
  };
  const dockerfilePath = (): string => join(s().workspace, DOCKERFILE);

  before(async () => {
    host = await engineHost();
    session = await Session.start();
    original = readFileSync(dockerfilePath(), 'utf8');
  });
  after(async () => { await session?.close(); });

  step(() => session, 'the packaged extension is installed: a Dockerfile opens and the palette lists the Stage Lens commands', 2 * 60_000, async () => {
    await s().openFile(DOCKERFILE);
    const mode = await s().page.locator('[id="status.editor.mode"]').textContent({ timeout: T.ui });
    assert.match(mode ?? '', /^\s*Docker/, `${DOCKERFILE} opens as a Dockerfile (language status: ${mode})`);
    const commands = await s().paletteCommands('Stage Lens');
    for (const title of ['Analyze Stages', 'Open Stage Panel', 'Refactor to Multi-Stage and Measure', 'Clean Up Stage Lens Images']) {
      assert.ok(commands.some((c) => c.includes(`Stage Lens: ${title}`)), `palette lists "Stage Lens: ${title}"; it lists ${JSON.stringify(commands)}`);
    }
    assert.ok(!commands.some((c) => c.includes('Apply Suggestion')), 'the internal Apply Suggestion command stays out of the palette');
    await s().screenshot('editor-before-analysis');
  });

  step(() => session, 'before any analysis the first FROM offers "Analyze stages" and every FROM "Build stage"', 2 * 60_000, async () => {
    await s().waitForLens(/Analyze stages/);
    const fromCount = parseDockerfile(original).stages.length;
    await s().waitForLens(/Build stage/);
    const builds = (await s().lensTexts()).filter((t) => /Build stage/.test(t));
    assert.equal(builds.length, fromCount, 'one "Build stage" lens per FROM');
  });

  let stageSize = '';
  step(() => session, 'Analyze from the palette: the FROM lens shows the size the engine reports for the stage image', T.analysis + 2 * 60_000, async () => {
    await s().runCommand('Stage Lens: Analyze Stages');
    const lens = await s().waitForLens(ANALYZED_FROM_LENS, T.analysis);
    const text = ((await lens.textContent()) ?? '').replace(/\s+/g, ' ');
    const shown = SIZE_IN_LENS.exec(text)?.[1];
    assert.ok(shown, `the FROM lens shows a size: "${text}"`);
    const bytes = await stageImageSize(host, dockerfilePath(), parseDockerfile(readFileSync(dockerfilePath(), 'utf8')).stages[0]!);
    assert.equal(shown, formatBytes(bytes), `lens "${text}" shows the engine's Size of the stage image (${bytes} bytes)`);
    stageSize = shown;
    await s().screenshot('editor-lenses');
  });

  step(() => session, 'before the rewrite is built, the split lens estimate subtracts the engine\'s python:3.12-slim size, not the typical one', T.analysis, async () => {
    const text = readFileSync(dockerfilePath(), 'utf8');
    const docker = dockerFor(host);
    // The engine's unpacked size of the slim base: the sum of its history sizes.
    const slim = ((await docker.getImage('python:3.12-slim').history()) as { Size?: number }[]).reduce((n, e) => n + Math.max(0, e.Size ?? 0), 0);
    // The report: the same analysis against the same engine (every step is a cache hit by now).
    const report = await analyzeStages({
      dockerfilePath: dockerfilePath(), contextDir: s().workspace, text, network: 'host', connection: await connectEngine({ explicit: host, timeoutMs: 15_000 }),
    });
    const savingWith = (imageSizes?: Record<string, number>): string => {
      const split = analyzeDockerfile(text, { report, imageSizes }).filter((f) => f.fix?.split && f.savings?.basis === 'estimate');
      assert.ok(split.length > 0, 'the split findings have estimated savings');
      return formatBytes(Math.max(...split.map((f) => f.savings!.bytes)));
    };
    const withEngine = savingWith({ 'python:3.12-slim': slim });
    const typical = savingWith();
    assert.notEqual(withEngine, typical, `the engine's slim size (${slim} bytes) gives another estimate than the typical size`);
    // Monaco may render spaces as no-break spaces.
    const loose = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s');
    // The lens follows once the engine answered, without an edit (the findings refresh).
    const lens = await s().waitForLens(new RegExp(`split.*${loose(`−~${withEngine} estimate`)}`, 'i'), T.ui);
    const tooltip = (await lens.getAttribute('title')) ?? '';
    assert.match(tooltip, new RegExp(loose(`python:3.12-slim (${formatBytes(slim)} per the engine)`)), `the lens tooltip names the engine's size: "${tooltip}"`);
    assert.ok(!(await s().lensTexts()).some((t) => t.includes(`−~${typical} estimate`)), `no lens shows the typical-size estimate −~${typical}`);
    await lens.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await s().screenshot('split-estimate-engine-size');
  });

  step(() => session, 'the stage panel lists every stage with its size and the layers of its instructions', 2 * 60_000, async () => {
    const t0 = Date.now();
    const mark = (what: string): void => { process.stderr.write(`[e2e] ${what} after ${Date.now() - t0} ms\n`); };
    await s().runCommand('Stage Lens: Open Stage Panel');
    const frame = await s().webviewFrame('[data-stage-index]');
    mark('panel shows stages');
    const df = parseDockerfile(readFileSync(dockerfilePath(), 'utf8'));
    for (const stage of df.stages) {
      const el = frame.locator(`[data-stage-index="${stage.index}"]`).first();
      await el.waitFor({ timeout: T.ui });
      if (stage.index === 0) assert.ok(((await el.textContent()) ?? '').includes(stageSize), `stage 0 shows ${stageSize}`);
      for (const ins of stage.instructions.filter((i) => ['RUN', 'COPY', 'ADD'].includes(i.keyword))) {
        const rows = frame.locator(`[data-layer-index][data-line="${ins.line}"]`);
        assert.ok(await rows.count() > 0, `a layer row for line ${ins.line} (${ins.keyword})`);
      }
    }
    mark('layer rows checked');
    // In every theme the instruction text of a layer row must differ in colour from the panel's
    // background (a high-contrast theme once rendered it black on black).
    const layerTextReadable = async (theme: string): Promise<void> => {
      const f = await s().webviewFrame('[data-layer-index] .layer-text');
      const [fg, bg] = await f.locator('[data-layer-index] .layer-text').first().evaluate((el) => {
        const g = (globalThis as unknown as { getComputedStyle(e: unknown): { color: string; backgroundColor: string } }).getComputedStyle;
        return [g(el).color, g((el as { ownerDocument: { body: unknown } }).ownerDocument.body).backgroundColor];
      });
      assert.notEqual(fg, bg, `${theme}: layer instruction text (${fg}) is visible on the panel background (${bg})`);
    };
    await s().setTheme(THEME_DARK);
    await layerTextReadable(THEME_DARK);
    await s().screenshot('panel-dark');
    await s().setTheme(THEME_LIGHT);
    await layerTextReadable(THEME_LIGHT);
    await s().screenshot('panel-light');
    await s().setTheme(THEME_HIGH_CONTRAST);
    await layerTextReadable(THEME_HIGH_CONTRAST);
    await s().screenshot('panel-high-contrast');
    await s().setTheme(THEME_DARK);
    mark('themes done');
  });

  step(() => session, 'clicking a layer row puts the editor cursor on its line', 60_000, async () => {
    const frame = await s().webviewFrame('[data-layer-index][data-line]');
    const lines = (await frame.locator('[data-layer-index][data-line]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-line')))))
      .filter((n) => Number.isInteger(n) && n > 1);
    assert.ok(lines.length > 0, 'the panel has layer rows mapped to lines');
    const before = await s().cursor();
    const target = lines.find((l) => l !== before.line) ?? lines[0]!;
    await frame.locator(`[data-layer-index][data-line="${target}"]`).first().click();
    await s().waitForCursorLine(target);
    assert.equal((await s().cursor()).line, target);
  });

  step(() => session, 'the split suggestion lens opens the refactor preview; applying it makes the Dockerfile multi-stage', 3 * 60_000, async () => {
    await s().openFile(DOCKERFILE);
    await s().clickLens(/split/i);
    await s().confirmRefactorPreview('refactor-preview');
    await s().save();
    const text = readFileSync(dockerfilePath(), 'utf8');
    const stages = parseDockerfile(text).stages;
    assert.ok(stages.length >= 2, `the Dockerfile has ${stages.length} FROM lines after the refactor:\n${text}`);
    assert.ok(stages.slice(1).some((st) => st.instructions.some((i) => i.keyword === 'COPY' && i.flags.some((f) => f.name === 'from'))),
      'a later stage copies from an earlier one');
  });

  step(() => session, 'apply-and-measure builds before and after and shows a smaller final image', T.analysis * 2, async () => {
    // Measure from the original single-stage file again; the file is saved, so VS Code reloads it.
    writeFileSync(dockerfilePath(), original);
    await s().openFile(DOCKERFILE);
    await s().page.locator('.editor-group-container.active .view-line', { hasText: 'FROM' }).first().waitFor({ timeout: T.ui });
    await sleep(1_000); // VS Code re-reads the changed file and the extension re-lenses it
    await s().runCommand('Stage Lens: Refactor to Multi-Stage and Measure');
    // The refactor may go through the preview first.
    const apply = s().page.locator('.part.panel .monaco-button', { hasText: /^\s*Apply\s*$/ }).first();
    if (await apply.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false)) await s().confirmRefactorPreview();
    const frame = await s().webviewFrame('#comparison[data-before-bytes][data-after-bytes]', T.analysis * 2 - 30_000, { failOnError: true });
    const cmp = frame.locator('#comparison').first();
    const beforeBytes = Number(await cmp.getAttribute('data-before-bytes'));
    const afterBytes = Number(await cmp.getAttribute('data-after-bytes'));
    assert.ok(beforeBytes > 0 && afterBytes > 0, `both sizes measured (${beforeBytes}, ${afterBytes})`);
    assert.ok(afterBytes < beforeBytes, `the multi-stage image (${formatBytes(afterBytes)}) is smaller than the single-stage one (${formatBytes(beforeBytes)})`);
    await cmp.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await s().screenshot('panel-comparison');
  });
});

describe('Stage Lens in restricted mode (untrusted folder)', { timeout: 5 * 60_000 }, () => {
  let session: Session | undefined;
  let fakeEngine: Server | undefined;
  let sockDir = '';
  let engineConnections = 0;
  const s = (): Session => {
    if (!session) throw new Error('the VS Code session did not start');
    return session;
  };

  before(async () => {
    // A socket that only counts: analysis must not reach any engine in restricted mode.
    sockDir = mkdtempSync(join(tmpdir(), 'stagelens-fake-engine-'));
    const sock = join(sockDir, 'docker.sock');
    fakeEngine = createServer((c) => { engineConnections++; c.destroy(); });
    await new Promise<void>((r) => fakeEngine!.listen(sock, r));
    session = await Session.start({ trust: true, settings: { 'stageLens.engine.endpoint': `unix://${sock}` } });
    await s().declineTrust();
  });
  after(async () => {
    await session?.close();
    fakeEngine?.close();
    rmSync(sockDir, { recursive: true, force: true });
  });

  step(() => session, 'Analyze refuses with a trust message and never contacts the engine', 2 * 60_000, async () => {
    await s().openFile(DOCKERFILE);
    await s().runCommand('Stage Lens: Analyze Stages');
    const toast = s().page.locator('.notifications-toasts .notification-toast', { hasText: /trust/i }).first();
    await toast.waitFor({ state: 'visible', timeout: T.ui });
    await sleep(2_000);
    assert.equal(engineConnections, 0, 'no connection to the engine endpoint');
    await s().screenshot('restricted-mode');
  });

  step(() => session, 'static suggestions still show in restricted mode', 60_000, async () => {
    await s().waitForLens(/split/i);
    assert.equal(engineConnections, 0, 'no connection to the engine endpoint');
  });
});
