// The stage panel's DOM in Chromium, outside VS Code: the real bundle under the real CSP,
// fed host messages, checked for the e2e hooks, keyboard use, escaping and CSP violations.
// Lives with the e2e suite because it drives a real browser; skips only where Chromium is absent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { HostMessage, PanelState } from '../../src/view/protocol';
import { panelHtml } from '../../src/view/html';
import { summarize } from '../../src/view/stages';
import { lineDiff } from '../../src/view/diff';
import { layer, report, stage } from '../unit/viewmodel/fixtures';

const CHROMIUM = process.env.STAGELENS_CHROMIUM ?? '/usr/bin/chromium';
const root = join(__dirname, '..', '..');
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

/**
 * Polls a browser-side expression until it is truthy. Playwright's waitForFunction with a
 * string re-evaluates it through eval() once it has to poll, which the panel's CSP (no
 * 'unsafe-eval') rightly blocks; page.evaluate goes through the debugger protocol instead.
 */
async function waitUntil(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${expression}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

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
  await waitUntil(page, 'window.__posted.some((m) => m.type === "ready")');
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

test('containerd store: the pull size sits beside each size where known, and the engine line names product, builder and store', { skip, timeout: 60_000 }, async () => {
  const page = await openPanel();
  const stages = analysis.stages.map((st, i) => ({ ...st, pullSizeBytes: i === 1 ? 61_000_000 : null }));
  const r = { ...analysis, schemaVersion: 2, stages, engine: { ...analysis.engine, version: '28.5.2', product: 'docker' as const, store: 'containerd' } };
  await send(page, { type: 'state', state: { ...state, report: r } });
  await page.locator('[data-stage-index="1"]').waitFor();
  const text = async (sel: string): Promise<string> => ((await page.locator(sel).first().textContent()) ?? '').replace(/\s+/g, ' ');
  assert.match(await text('[data-stage-index="1"]'), /150 MB · pull 61 MB/);
  assert.doesNotMatch(await text('[data-stage-index="0"]'), /pull/, 'no pull size where the engine gave none');
  assert.match(await text('[data-chart-stage="1"]'), /150 MB · pull 61 MB/);
  assert.match(await text('#final-summary'), /Pull size\s*61 MB compressed/);
  assert.match(await text('.totals'), /Docker 28\.5\.2 \(BuildKit, containerd image store\)/);
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

// --- Files and Wasted space, fed by synthetic host messages -------------------------------

type Posted = { type: string; requestId?: number; stageIndex?: number; layer?: number; dir?: string; offset?: number; limit?: number; changes?: string[]; view?: string; sort?: string; line?: number; endLine?: number };
const lastPosted = async (page: Page, type: string): Promise<Posted | undefined> =>
  ((await page.evaluate('window.__posted')) as Posted[]).filter((m) => m.type === type).at(-1);

const contents: Extract<HostMessage, { type: 'files/status' }> = {
  type: 'files/status', stageIndex: 1, imageId: 'sha256:x', status: 'ready',
  contents: {
    imageId: 'sha256:x', fileCount: 450, efficiency: 0.8123, wastedBytes: 40_000_000, reclaimableBytes: 20_000_000,
    layers: [
      { index: 0, sizeBytes: 120_000_000, line: null, endLine: null, text: '/bin/sh -c #(nop) ADD file:abc in /', added: 400, modified: 0, removed: 0 },
      { index: 1, sizeBytes: 0, line: 5, endLine: 5, text: 'ENV A=1', added: 0, modified: 0, removed: 0 },
      { index: 2, sizeBytes: 30_000_000, line: 6, endLine: 6, text: 'COPY --from=builder /opt/venv /opt/venv', added: 50, modified: 1, removed: 2 },
    ],
    topWasted: [
      { path: `/tmp/${HOSTILE}`, cumulativeBytes: 40_000_000, reclaimableBytes: 20_000_000,
        writes: [{ layer: 0, sizeBytes: 20_000_000, line: 3 }, { layer: 2, sizeBytes: 20_000_000, line: 6 }], removedBy: { layer: 2, how: 'overwritten', line: 7 } },
    ],
  },
};

function filesPage(requestId: number, offset: number, n: number, total: number, dir = '/'): HostMessage {
  const base = dir === '/' ? '' : dir;
  return {
    type: 'files/page', requestId, stageIndex: 1,
    page: { dir, layer: 2, view: 'layer', total, offset, entries: Array.from({ length: n }, (_, k) => {
      const i = offset + k;
      const isDir = i === 0;
      const name = i === 1 ? HOSTILE : `f${i}`;
      return { name, path: `${base}/${name}`, type: isDir ? 'dir' as const : 'file' as const, sizeBytes: 1000 * (total - i), mode: '-rw-r--r--',
        change: i % 3 === 0 ? 'modified' as const : 'added' as const, hasChildren: isDir, writtenBy: 2, line: 6 };
    }) },
  };
}

test('Files: lazily opened per stage, paged rows as text, Load more asks for the next offset', { skip, timeout: 60_000 }, async () => {
  const page = await openPanel();
  await send(page, { type: 'state', state });
  await page.locator('[data-files-open="1"]').click();
  assert.deepEqual(await lastPosted(page, 'files/open'), { type: 'files/open', stageIndex: 1 });
  await send(page, { type: 'files/status', stageIndex: 1, imageId: 'sha256:x', status: 'loading' });
  assert.match((await page.locator('#files').textContent()) ?? '', /Analysing layer contents/);
  await send(page, contents);
  // The first listing: the stage's last own layer, its changes, at the root, one page.
  await waitUntil(page, 'window.__posted.some((m) => m.type === "files/list")');
  const first = (await lastPosted(page, 'files/list'))!;
  assert.deepEqual({ ...first, requestId: undefined }, { type: 'files/list', requestId: undefined, stageIndex: 1, layer: 2, view: 'layer', dir: '/', sort: 'size', descending: true, offset: 0, limit: 200 });
  // The layer picker lists layers that changed files (not the ENV one), with their lines.
  const options = await page.locator('#files select.files-layer option').allTextContents();
  assert.equal(options.length, 2);
  assert.match(options[1]!, /line 6 · 30 MB · COPY --from=builder/);
  // A stale page (an earlier request id) is ignored.
  await send(page, filesPage(first.requestId! - 1, 0, 5, 5));
  await send(page, filesPage(first.requestId!, 0, 200, 450));
  const rows = page.locator('#files [data-file-path]');
  await waitUntil(page, 'document.querySelectorAll("#files [data-file-path]").length === 200');
  assert.equal(await rows.count(), 200);
  assert.match((await page.locator('#files').textContent()) ?? '', /1–200 of 450/);
  // Names are text: the hostile one shows its markup, nothing is parsed.
  assert.equal(await page.locator('#files img').count(), 0);
  assert.ok((await page.locator('[data-file-path="/<img src=x onerror=\\"window.__pwned=1\\">"]').textContent())?.includes('<img src=x'));
  await page.locator('#files .files-more').click();
  const more = (await lastPosted(page, 'files/list'))!;
  assert.deepEqual([more.offset, more.limit, more.dir, more.layer], [200, 200, '/', 2]);
  await send(page, filesPage(more.requestId!, 200, 200, 450));
  await waitUntil(page, 'document.querySelectorAll("#files [data-file-path]").length === 400');
  assert.match((await page.locator('#files').textContent()) ?? '', /1–400 of 450/);
  // Arrow keys move between rows.
  await page.locator('[data-file-path="/f3"]').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.evaluate('document.activeElement?.getAttribute("data-file-path")'), '/f4');
  // A file row reveals the line that wrote it; a directory row opens the directory.
  await page.locator('[data-file-path="/f2"]').click();
  assert.deepEqual(await lastPosted(page, 'revealLine'), { type: 'revealLine', line: 6, endLine: 6 });
  await page.locator('[data-file-path="/f0"]').focus();
  await page.keyboard.press('Enter');
  const into = (await lastPosted(page, 'files/list'))!;
  assert.deepEqual([into.dir, into.offset], ['/f0', 0]);
  await send(page, filesPage(into.requestId!, 0, 3, 3, '/f0'));
  await page.locator('[data-file-path="/f0/f2"]').waitFor();
  assert.deepEqual(await page.locator('#files .crumb').allTextContents(), ['/', 'f0']);
  // Filters and the merged view go into the next request.
  await page.locator('[data-files-filter="removed"]').click();
  await page.locator('[data-files-view="merged"]').click();
  const filtered = (await lastPosted(page, 'files/list'))!;
  assert.deepEqual([filtered.changes, filtered.view, filtered.dir], [['removed'], 'merged', '/f0']);
  await page.locator('#files .crumb', { hasText: '/' }).first().click();
  assert.equal((await lastPosted(page, 'files/list'))!.dir, '/');
  assert.equal(await page.evaluate('window.__pwned'), undefined);
  assert.deepEqual(await page.evaluate('window.__csp'), [], 'no CSP violations');
  await page.close();
});

test('Files: the window holds at most 1000 rows however far the user pages', { skip, timeout: 60_000 }, async () => {
  const page = await openPanel();
  await send(page, { type: 'state', state });
  await page.locator('[data-files-open="1"]').click();
  await send(page, contents);
  await waitUntil(page, 'window.__posted.some((m) => m.type === "files/list")');
  let req = (await lastPosted(page, 'files/list'))!;
  await send(page, filesPage(req.requestId!, 0, 200, 100_000));
  for (let i = 1; i <= 5; i++) {
    await page.locator('#files .files-more').click();
    req = (await lastPosted(page, 'files/list'))!;
    assert.equal(req.offset, i * 200);
    await send(page, filesPage(req.requestId!, req.offset!, 200, 100_000));
    await waitUntil(page, `document.querySelector('#files .files-count')?.textContent?.includes('–${(i + 1) * 200} of 100000')`);
  }
  assert.equal(await page.locator('#files [data-file-path]').count(), 1000);
  assert.match((await page.locator('#files .files-count').textContent()) ?? '', /201–1200 of 100000/);
  await page.locator('#files .files-prev').click();
  const prev = (await lastPosted(page, 'files/list'))!;
  assert.deepEqual([prev.offset, prev.limit], [0, 200]);
  await page.close();
});

test('Wasted space: totals and paths as text, each entry reveals its lines', { skip, timeout: 60_000 }, async () => {
  const page = await openPanel();
  await send(page, { type: 'state', state });
  await page.locator('[data-files-open="1"]').click();
  await send(page, contents);
  const wasted = page.locator('#wasted');
  await wasted.waitFor();
  assert.match((await wasted.textContent()) ?? '', /Efficiency\s*81\.2%[\s\S]*Wasted\s*40 MB[\s\S]*Reclaimable\s*20 MB/);
  const entry = page.locator('[data-wasted-path]');
  assert.equal(await entry.getAttribute('data-wasted-path'), `/tmp/${HOSTILE}`);
  assert.match((await entry.textContent()) ?? '', /written by lines 3 and 6, overwritten by line 7/);
  assert.equal(await page.locator('#wasted img').count(), 0);
  await entry.locator('.wasted-path').click();
  assert.deepEqual(await lastPosted(page, 'revealLine'), { type: 'revealLine', line: 3, endLine: 3 });
  await entry.locator('[data-wasted-line="7"]').focus();
  await page.keyboard.press('Enter');
  assert.deepEqual(await lastPosted(page, 'revealLine'), { type: 'revealLine', line: 7, endLine: 7 });
  if (process.env.STAGELENS_PANEL_FILES_SCREENSHOT) {
    // The harness has no VS Code theme: set a few dark-theme variables through CSSOM (the CSP allows it).
    await page.evaluate(`(() => { const s = document.documentElement.style; const v = {
      '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1e1e1e', '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-panel-border': '#3c3c3c', '--vscode-sideBar-background': '#181818', '--vscode-button-background': '#0e639c',
      '--vscode-button-foreground': '#ffffff', '--vscode-dropdown-background': '#3c3c3c', '--vscode-dropdown-foreground': '#cccccc',
      '--vscode-textLink-foreground': '#3794ff', '--vscode-focusBorder': '#007fd4', '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px',
      '--vscode-editor-font-family': 'monospace', '--vscode-gitDecoration-addedResourceForeground': '#81b88b',
      '--vscode-gitDecoration-modifiedResourceForeground': '#e2c08d', '--vscode-gitDecoration-deletedResourceForeground': '#c74e39',
      '--vscode-charts-blue': '#3794ff', '--vscode-charts-orange': '#d18616' };
      for (const [k, x] of Object.entries(v)) s.setProperty(k, x); })()`);
    const req = (await lastPosted(page, 'files/list'))!;
    await send(page, filesPage(req.requestId!, 0, 12, 450));
    await page.locator('[data-file-path="/f11"]').waitFor();
    await page.setViewportSize({ width: 900, height: 1200 });
    await page.locator('section[data-stage-index="1"]').screenshot({ path: process.env.STAGELENS_PANEL_FILES_SCREENSHOT });
  }
  await page.close();
});

test('Files: an analysis error is shown in the section and the rest of the panel keeps working', { skip, timeout: 60_000 }, async () => {
  const page = await openPanel();
  await send(page, { type: 'state', state });
  await page.locator('[data-files-open="0"]').click();
  await send(page, { type: 'files/status', stageIndex: 0, imageId: 'sha256:x', status: 'error', message: `Could not read the layer contents: Cannot reach the Docker engine ${HOSTILE}` });
  await page.locator('#files .files-error').waitFor();
  assert.match((await page.locator('#files').textContent()) ?? '', /Cannot reach the Docker engine <img/);
  assert.equal(await page.locator('#files img').count(), 0);
  assert.equal(await page.locator('[data-stage-index]').count(), 2);
  await page.locator('[data-layer-index][data-line="6"]').click();
  assert.deepEqual(await lastPosted(page, 'revealLine'), { type: 'revealLine', line: 6, endLine: 6 });
  assert.ok(await page.locator('#final-summary').isVisible());
  // A new report with another image for the stage closes the stale view.
  const rebuilt = { ...state, report: { ...analysis, stages: analysis.stages.map((s) => ({ ...s, imageId: 'sha256:new' })) } };
  await send(page, { type: 'state', state: rebuilt });
  await page.locator('#files').waitFor({ state: 'detached' });
  assert.equal(await page.locator('[data-files-open]').count(), 2);
  await page.close();
});
