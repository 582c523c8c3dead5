// The stage panel's DOM in Chromium, outside VS Code: the real bundle under the real CSP,
// fed host messages, checked for the e2e hooks, keyboard use, escaping and CSP violations.
// Skips when Chromium is not installed (the e2e suite covers the panel inside VS Code).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { HostMessage, PanelState } from '../../../src/protocol';
import { panelHtml } from '../../../src/vscode/model/html';
import { summarize } from '../../../src/vscode/model/stages';
import { lineDiff } from '../../../src/vscode/model/diff';
import { layer, report, stage } from './fixtures';

const CHROMIUM = process.env.STAGELENS_CHROMIUM ?? '/usr/bin/chromium';
const root = join(__dirname, '..', '..', '..');
const skip = !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM}`;

let dir = '';
let server: Server | undefined;
let browser: Browser | undefined;
let origin = '';

const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const analysis = report([
  stage({
    index: 0, line: 1, name: 'builder', sizeBytes: 812_000_000, baseSizeBytes: 122_000_000, addedBytes: 690_000_000, buildMs: 14_000,
    layers: [
      layer({ index: 0, fromBase: true, sizeBytes: 122_000_000, createdBy: 'base layer' }),
      layer({ index: 1, line: 2, endLine: 3, sizeBytes: 690_000_000, instruction: `RUN apt-get install -y build-essential ${HOSTILE}` }),
    ],
  }),
  stage({
    index: 1, line: 5, name: 'runtime', baseImage: 'python:3.12-slim', sizeBytes: 150_000_000, baseSizeBytes: 120_000_000, addedBytes: 30_000_000, buildMs: 2_000,
    layers: [layer({ index: 0, fromBase: true, sizeBytes: 120_000_000 }), layer({ index: 1, line: 6, endLine: 6, sizeBytes: 30_000_000, instruction: 'COPY --from=builder /opt/venv /opt/venv' })],
  }),
]);
const state: PanelState = {
  document: { uri: 'file:///w/Dockerfile', fileName: 'Dockerfile' },
  report: analysis, stale: false, facts: { user: 'appuser', contentsKnown: true, compilers: ['gcc'], packageManagers: ['pip'], shells: ['sh'] },
  comparison: { before: { ...summarize(analysis), finalBytes: 900_000_000 }, after: summarize(analysis), diff: lineDiff('FROM a\nRUN x\n', 'FROM a AS b\nRUN x\n') },
  progress: null, notice: null,
};

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'stagelens-panel-'));
  await esbuild.build({ entryPoints: { webview: join(root, 'webview', 'main.ts') }, outdir: dir, bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'silent' });
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(panelHtml({ cspSource: origin, nonce: 'n0nce', scriptUri: `${origin}/webview.js`, styleUri: `${origin}/panel.css` }));
    } else if (url === '/webview.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(readFileSync(join(dir, 'webview.js')));
    } else if (url === '/panel.css') {
      res.writeHead(200, { 'content-type': 'text/css' });
      res.end(readFileSync(join(root, 'media', 'panel.css')));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const addr = server.address();
  origin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function openPanel(): Promise<Page> {
  const page = await browser!.newPage();
  // A string, not a function: the TypeScript loader's name-keeping helpers do not exist in the page.
  await page.addInitScript(`
    window.__posted = []; window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => { window.__posted.push(m); },
      // VS Code keeps webview state outside the page; sessionStorage survives the reload likewise.
      getState: () => JSON.parse(sessionStorage.getItem('state') ?? 'null') ?? undefined,
      setState: (s) => { sessionStorage.setItem('state', JSON.stringify(s)); },
    });
  `);
  await page.goto(origin);
  await page.waitForFunction('window.__posted.some((m) => m.type === "ready")');
  return page;
}

async function send(page: Page, msg: HostMessage): Promise<void> {
  await page.evaluate(`window.postMessage(${JSON.stringify(msg)}, '*')`);
}

// Browser-side code is passed as strings: this project's tsconfig has no DOM types.
const posted = (page: Page): Promise<{ type: string; line?: number; endLine?: number; action?: string }[]> => page.evaluate('window.__posted');

test('renders every stage with the contract hooks, under the CSP, with content as text', { skip, timeout: 60_000 }, async () => {
  const page = await openPanel();
  await send(page, { type: 'state', state });
  await page.locator('[data-stage-index="1"]').waitFor();
  assert.equal(await page.locator('[data-stage-index]').count(), 2, 'one element per stage carries data-stage-index');
  assert.match((await page.locator('[data-stage-index="0"]').textContent()) ?? '', /812 MB/);
  assert.match((await page.locator('[data-stage-index="1"]').textContent()) ?? '', /150 MB/);
  const rows = page.locator('[data-layer-index][data-line]');
  assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => [e.getAttribute('data-line'), e.getAttribute('tabindex')])), [['2', '0'], ['6', '0']]);
  assert.match((await page.locator('#final-summary').textContent()) ?? '', /150 MB[\s\S]*appuser[\s\S]*gcc/);
  const cmp = page.locator('#comparison');
  assert.equal(await cmp.getAttribute('data-before-bytes'), '900000000');
  assert.equal(await cmp.getAttribute('data-after-bytes'), '150000000');
  // Bars got their widths through CSSOM (a style attribute would be blocked by the CSP).
  const widths = await page.locator('[data-chart-stage] .bar-added').evaluateAll((els) => els.map((e) => (e as unknown as { style: { width: string } }).style.width));
  assert.deepEqual(widths, ['84.98%', '3.69%']);
  // Dockerfile text is rendered as text, never as markup.
  assert.equal(await page.locator('img').count(), 0);
  assert.ok((await page.locator('[data-line="2"]').textContent())?.includes('<img src=x'));
  assert.equal(await page.evaluate('window.__pwned'), undefined);
  assert.deepEqual(await page.evaluate('window.__csp'), [], 'no CSP violations');
  await page.close();
});

test('layer rows work by click and by keyboard alone', { skip, timeout: 60_000 }, async () => {
  const page = await openPanel();
  await send(page, { type: 'state', state });
  await page.locator('[data-layer-index][data-line="6"]').click();
  await page.locator('[data-layer-index][data-line="2"]').focus();
  await page.keyboard.press('Enter');
  // Tab order reaches a layer row from the start of the page.
  await page.locator('body').focus();
  let reached = false;
  for (let i = 0; i < 20 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate<boolean>('document.activeElement?.hasAttribute("data-layer-index") ?? false');
  }
  assert.ok(reached, 'Tab reaches a layer row');
  await page.keyboard.press(' ');
  const reveals = (await posted(page)).filter((m) => m.type === 'revealLine');
  assert.deepEqual(reveals.slice(0, 2), [{ type: 'revealLine', line: 6, endLine: 6 }, { type: 'revealLine', line: 2, endLine: 3 }]);
  assert.equal(reveals.length, 3);
  await page.close();
});

test('state survives a reload through getState, and progress renders live', { skip, timeout: 60_000 }, async () => {
  const page = await openPanel();
  await send(page, { type: 'state', state });
  await page.locator('[data-stage-index="0"]').waitFor();
  await page.reload();
  // No host message after the reload: what shows comes from the saved state.
  await page.locator('[data-stage-index="1"]').waitFor({ timeout: 10_000 });
  await send(page, { type: 'progress', progress: { running: true, title: 'Building builder (1/2)', stageIndex: 0, steps: [
    { id: 'a', name: '[1/2] RUN apt-get', cached: true, startedMs: 0, durationMs: 0, done: true, error: null },
    { id: 'b', name: '[2/2] COPY', cached: false, startedMs: 10, durationMs: null, done: false, error: null },
  ] } });
  const progress = page.locator('#progress');
  await progress.waitFor();
  assert.match((await progress.textContent()) ?? '', /Building builder \(1\/2\)[\s\S]*RUN apt-get[\s\S]*cached[\s\S]*COPY[\s\S]*running/);
  await page.getByText('Cancel').click();
  assert.ok((await posted(page)).some((m) => m.type === 'action' && m.action === 'cancel'));
  await page.close();
});
