// Compose projects in a real VS Code (code-server + Chromium, the packaged .vsix, the private
// test engine): lenses on each service's build:, the compose analysis, the panel's side-by-side
// comparison of the seed's three services (sizes checked against the engine's own numbers), and
// a Dockerfile opened from a service that builds with that service's target.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { formatBytes } from '../../src/core/report';
import { ANALYZED_FROM_LENS, step, Session, T, engineHost } from './harness';
import { stageImageSize } from './engine-images';

const COMPOSE = 'docker-compose.multistage.yml';
// The final stage of each service's build, as the compose file asks for it.
const SERVICES = [
  { service: 'single-stage-app', dockerfile: 'Dockerfile.single-stage', stage: { index: 0, name: null } },
  { service: 'multi-stage-app', dockerfile: 'Dockerfile', stage: { index: 1, name: 'runtime' } },
  { service: 'advanced-app', dockerfile: 'Dockerfile.advanced', stage: { index: 3, name: 'runtime' } },
];

describe('Compose projects in VS Code (code-server + Chromium)', { timeout: 20 * 60_000 }, () => {
  let session: Session | undefined;
  let host = '';
  const s = (): Session => {
    if (!session) throw new Error('the VS Code session did not start');
    return session;
  };

  before(async () => {
    host = await engineHost();
    session = await Session.start();
  });
  after(async () => { await session?.close(); });

  step(() => session, 'the compose file gets a project lens and "Analyze service" / "Open Dockerfile" on each service\'s build:', 3 * 60_000, async () => {
    await s().openFile(COMPOSE);
    await s().waitForLens(/Analyze compose project/);
    await s().waitForLens(/Analyze service/);
    const lenses = await s().lensLines();
    const analyzeLines = lenses.filter((l) => /Analyze service/.test(l.lens)).map((l) => l.line);
    assert.equal(analyzeLines.length, 3, JSON.stringify(lenses));
    assert.ok(analyzeLines.every((l) => /^\s*build:\s*$/.test(l)), `each "Analyze service" sits on a build: line: ${JSON.stringify(analyzeLines)}`);
    assert.ok(lenses.some((l) => /Open Dockerfile \(target runtime\)/.test(l.lens)), 'the advanced service says its target');
    assert.ok(lenses.some((l) => /Analyze compose project/.test(l.lens) && /^services:/.test(l.line)));
    const commands = await s().paletteCommands('Stage Lens: Compose');
    assert.ok(commands.some((c) => c.includes('Stage Lens: Analyze Compose Project')), JSON.stringify(commands));
    assert.ok(!commands.some((c) => c.includes('Analyze Dockerfile With Own Settings')), 'internal commands stay out of the palette');
  });

  step(() => session, 'Analyze compose project: the panel shows the three services side by side with the engine\'s final sizes', T.analysis * 2, async () => {
    await s().clickLens(/Analyze compose project/);
    const frame = await s().webviewFrame('#compose-services[data-running="false"] .compose-card[data-final-bytes]:not([data-final-bytes=""])', T.analysis * 2 - 30_000, { failOnError: true });
    await frame.locator('.compose-card').nth(2).waitFor({ timeout: T.ui });
    const cards = await frame.locator('.compose-card').evaluateAll((els) => els.map((e) => ({
      service: e.getAttribute('data-service'), bytes: Number(e.getAttribute('data-final-bytes')), text: e.textContent ?? '',
    })));
    assert.deepEqual(cards.map((c) => c.service), SERVICES.map((x) => x.service), 'one card per service, in compose order');
    for (const want of SERVICES) {
      const engineBytes = await stageImageSize(host, join(s().workspace, want.dockerfile), want.stage);
      const card = cards.find((c) => c.service === want.service)!;
      assert.equal(card.bytes, engineBytes, `${want.service}: the panel's final size is the engine's size of ${want.dockerfile} stage ${want.stage.name ?? want.stage.index}`);
      assert.ok(card.text.includes(formatBytes(engineBytes)), `${want.service} card shows ${formatBytes(engineBytes)}: ${card.text}`);
    }
    const single = cards[0]!.bytes, multi = cards[1]!.bytes;
    assert.ok(multi < single, `the seed: multi-stage ${multi} < single-stage ${single}`);
    const advStages = await frame.locator('.compose-card[data-service="advanced-app"] [data-compose-stage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-compose-stage')));
    assert.deepEqual(advStages, ['builder', 'venv', 'runtime'], 'target runtime: the test stage is not built');
    assert.match(await frame.locator('#compose-summary').innerText(), /advanced-app\s+Dockerfile\.advanced\s+runtime/);
    await s().screenshot('compose-comparison');
  });

  step(() => session, 'after the analysis each build: lens shows the service\'s final size and target', 2 * 60_000, async () => {
    const adv = await stageImageSize(host, join(s().workspace, 'Dockerfile.advanced'), { index: 3, name: 'runtime' });
    await s().waitForLens(new RegExp(`advanced-app · ${formatBytes(adv).replace('.', '\\.')} · 3 stages \\(target runtime\\)`));
    const single = await stageImageSize(host, join(s().workspace, 'Dockerfile.single-stage'), { index: 0, name: null });
    await s().waitForLens(`single-stage-app · ${formatBytes(single)} · 1 stage`);
    await s().screenshot('compose-lenses');
  });

  step(() => session, 'Open Dockerfile from advanced-app: the Dockerfile says it builds as that service with target runtime, and shows its sizes', 2 * 60_000, async () => {
    await s().clickLens(/Open Dockerfile \(target runtime\)/);
    await s().page.locator('.tabs-container .tab.active[aria-label^="Dockerfile.advanced"]').waitFor({ timeout: T.ui });
    await s().waitForLens(/compose service advanced-app · target runtime/);
    // The compose analysis of this very text is the Dockerfile's analysis: its FROM lenses show sizes.
    await s().waitForLens(ANALYZED_FROM_LENS);
    // (Which line each lens sits on is the main suite's subject; the runtime FROM is off-screen here.)
    const adv = await stageImageSize(host, join(s().workspace, 'Dockerfile.advanced'), { index: 3, name: 'runtime' });
    // The runtime FROM is below the fold (lens not "visible"), so read every lens's text.
    const lenses = await s().lensTexts();
    assert.ok(lenses.some((l) => l.startsWith(`runtime · ${formatBytes(adv)} (`)), `runtime lens shows the engine's ${formatBytes(adv)}: ${JSON.stringify(lenses)}`);
    assert.ok(lenses.includes('Build stage') && !lenses.some((l) => /^test ·.*B \(/.test(l)), `the test stage outside the target has no measured size: ${JSON.stringify(lenses)}`);
    assert.match(s().outputLog('Stage Lens'), /Analyze compose .*docker-compose\.multistage\.yml/);
    await s().screenshot('compose-dockerfile-from-service');
  });
});
