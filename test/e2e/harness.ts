// Runs the packaged Stage Lens .vsix in a real VS Code (code-server) and drives it from Debian's
// Chromium with playwright-core. The recipe that works offline here is in DESIGN.md; the setup
// of code-server itself is scripts/e2e-setup.sh.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';

// Functions passed to page.waitForFunction run in the browser; this project's tsconfig has no DOM
// lib, so the little they touch is declared here.
interface BrowserElement { textContent: string | null; classList: { contains(c: string): boolean } }
declare const document: { querySelector(selector: string): BrowserElement | null };

export const repoRoot = join(__dirname, '..', '..');
export const artifactsDir = join(__dirname, 'artifacts');

const cacheDir = process.env.STAGELENS_CACHE ?? '/var/cache/stagelens';
export const codeServerBin = process.env.STAGELENS_CODE_SERVER ?? join(cacheDir, 'code-server', 'node_modules', '.bin', 'code-server');
const chromiumBin = process.env.STAGELENS_CHROMIUM ?? '/usr/bin/chromium';

export const THEME_DARK = 'Default Dark Modern';
export const THEME_LIGHT = 'Default Light Modern';
export const THEME_HIGH_CONTRAST = 'Default High Contrast';

/** Upper bounds: generous for a 2-core machine, but a hang still ends the run. */
export const T = {
  server: 60_000,
  workbench: 90_000,
  ui: 20_000,
  activation: 60_000,
  /** One analysis of the examples; the first python build on a cold engine cache is slow. */
  analysis: 8 * 60_000,
} as const;

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${tail(`${r.stdout}\n${r.stderr}`, 40)}`);
  }
}

// code-server does not die with this process on its own; if the runner is killed mid-test
// (timeout, Ctrl+C), end every server still running. Playwright ends its Chromium itself.
const liveServers = new Set<ChildProcess>();
process.once('exit', () => { for (const p of liveServers) p.kill('SIGKILL'); });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
}

let vsixPath: string | null = null;

/**
 * Builds and packages the extension once per process (each e2e file runs in its own process).
 * STAGELENS_E2E_VSIX points at a ready .vsix instead, for CI that packages once up front.
 */
export function packageExtension(): string {
  if (vsixPath) return vsixPath;
  const given = process.env.STAGELENS_E2E_VSIX;
  if (given) {
    if (!existsSync(given)) throw new Error(`STAGELENS_E2E_VSIX=${given} does not exist`);
    return (vsixPath = given);
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  run(npm, ['run', '--silent', 'build'], repoRoot, 5 * 60_000);
  run(npm, ['run', '--silent', 'package'], repoRoot, 5 * 60_000);
  const out = join(repoRoot, 'dist', 'stage-lens.vsix');
  if (!existsSync(out)) throw new Error(`npm run package produced no ${out}`);
  return (vsixPath = out);
}

/** The private test engine; never the user's default socket. */
export async function engineHost(): Promise<string> {
  try {
    const mod = await import('../harness/engine');
    return await mod.ensureFixtures();
  } catch (err) {
    const fallback = process.env.STAGELENS_TEST_DOCKER_HOST ?? 'unix:///tmp/dtest/docker.sock';
    process.stderr.write(`[e2e] test engine harness unavailable (${(err as Error).message}); using ${fallback}\n`);
    return fallback;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Copies examples/ into a fresh folder, or a tiny busybox example while examples/ is empty. */
export function makeWorkspace(parent: string): string {
  const ws = join(parent, 'workspace');
  const examples = join(repoRoot, 'examples');
  if (existsSync(join(examples, 'Dockerfile.single-stage'))) {
    cpSync(examples, ws, { recursive: true });
  } else {
    cpSync(join(__dirname, 'fixture-workspace'), ws, { recursive: true });
  }
  return ws;
}

export interface SessionOptions {
  /** Extra user settings, merged over the harness defaults. */
  settings?: Record<string, unknown>;
  /** Leave workspace trust on (restricted mode for an untrusted folder). */
  trust?: boolean;
  /** Defaults to a copy of examples/. */
  workspace?: string;
}

export class Session {
  private constructor(
    readonly page: Page,
    readonly workspace: string,
    readonly dir: string,
    private readonly userDir: string,
    private readonly server: ChildProcess,
    private readonly browser: Browser,
    private readonly serverLog: string,
    private settings: Record<string, unknown>,
  ) {}

  static async start(opts: SessionOptions = {}): Promise<Session> {
    if (!existsSync(codeServerBin)) {
      throw new Error(`code-server is not installed at ${codeServerBin}; run scripts/e2e-setup.sh (as root) first, or set STAGELENS_CODE_SERVER`);
    }
    const vsix = packageExtension();
    const host = await engineHost();
    const dir = mkdtempSync(join(tmpdir(), 'stagelens-e2e-'));
    const extDir = join(dir, 'extensions');
    const userDir = join(dir, 'user-data');
    mkdirSync(join(userDir, 'User'), { recursive: true });
    const workspace = opts.workspace ?? makeWorkspace(dir);
    const settings: Record<string, unknown> = {
      'security.workspace.trust.enabled': opts.trust ?? false,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'workbench.colorTheme': THEME_DARK,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'chat.commandCenter.enabled': false,
      'editor.minimap.enabled': false,
      'window.commandCenter': false,
      'stageLens.engine.endpoint': host,
      // apt in the example builds must reach Debian's archive; the private engine has no bridge.
      'stageLens.build.network': 'host',
      ...opts.settings,
    };
    writeFileSync(join(userDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
    // code-server is a remote window: settings scoped `machine`/`machine-overridable` (the engine
    // endpoint) count only from the remote machine's settings once the browser re-sends the
    // configuration (e.g. after a theme change), so they go there too.
    mkdirSync(join(userDir, 'Machine'), { recursive: true });
    const machine = Object.fromEntries(Object.entries(settings).filter(([k]) => k.startsWith('stageLens.')));
    writeFileSync(join(userDir, 'Machine', 'settings.json'), JSON.stringify(machine, null, 2));
    // Its own config file so a developer's ~/.config/code-server/config.yaml plays no part.
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'auth: none\ncert: false\n');
    const common = ['--config', config, '--extensions-dir', extDir, '--user-data-dir', userDir];
    run(codeServerBin, [...common, '--install-extension', vsix, '--force'], repoRoot, 3 * 60_000);

    const port = await freePort();
    const serverLog = join(dir, 'code-server.log');
    const logStream = createWriteStream(serverLog);
    const server = spawn(codeServerBin, [
      ...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override', '--log', 'info', workspace,
    ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKER_HOST: '' }, detached: false });
    liveServers.add(server);
    server.once('exit', () => liveServers.delete(server));
    server.stdout?.pipe(logStream);
    server.stderr?.pipe(logStream);

    let browser: Browser | null = null;
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, server, serverLog);
      browser = await chromium.launch({
        executablePath: chromiumBin,
        headless: true,
        timeout: T.server,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
          '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
      });
      const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const session = new Session(page, workspace, dir, userDir, server, browser, serverLog, settings);
      await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`, { timeout: T.workbench });
      await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: T.workbench });
      // The explorer listing the workspace means the remote file system answers.
      await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: T.workbench });
      return session;
    } catch (err) {
      if (browser) await browser.close().catch(() => {});
      server.kill('SIGKILL');
      process.stderr.write(`[e2e] code-server log tail:\n${tail(readSafe(serverLog), 40)}\n`);
      throw err;
    }
  }

  /** With trust enabled, VS Code asks about the folder on open; answer "don't trust". */
  async declineTrust(): Promise<void> {
    const { page } = this;
    const no = page.locator('.monaco-dialog-box .monaco-button', { hasText: /No, I don.t trust/i }).first();
    await no.waitFor({ state: 'visible', timeout: T.workbench });
    await no.click();
    await page.locator('.monaco-dialog-box').waitFor({ state: 'hidden', timeout: T.ui });
  }

  // ---------------------------------------------------------------- editor helpers

  /** Opens a workspace file through Quick Open and waits until its editor is active. */
  async openFile(name: string): Promise<void> {
    const { page } = this;
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
    // Right after start-up the file search service may not answer yet; ask again until it does.
    const deadline = Date.now() + T.workbench;
    for (;;) {
      await this.focusWorkbench();
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ state: 'visible', timeout: T.ui });
      await input.fill(name);
      if (await row.waitFor({ timeout: 10_000 }).then(() => true, () => false)) break;
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`Quick Open did not find ${name} within ${T.workbench} ms`);
    }
    await page.keyboard.press('Enter');
    await page.locator(`.tabs-container .tab.active[aria-label^="${name}"]`).waitFor({ timeout: T.ui });
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').waitFor({ timeout: T.ui });
  }

  /** The palette's command rows for a query (label texts). */
  async paletteCommands(query: string): Promise<string[]> {
    const { page } = this;
    await this.openPalette();
    await page.keyboard.type(query);
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ timeout: T.ui });
    await sleep(300); // the list filters asynchronously after the last keystroke
    const labels = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
    await page.keyboard.press('Escape');
    return labels;
  }

  /** Runs a command by its palette title, e.g. "Stage Lens: Analyze Stages". */
  async runCommand(title: string, opts: { opensPicker?: boolean } = {}): Promise<void> {
    const { page } = this;
    await this.openPalette();
    await page.keyboard.type(title);
    const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: title }).first();
    try {
      await row.waitFor({ timeout: T.ui });
    } catch {
      const seen = await page.locator('.quick-input-list .monaco-list-row').allTextContents();
      await page.keyboard.press('Escape');
      throw new Error(`command "${title}" is not in the palette; rows: ${JSON.stringify(seen)}`);
    }
    await row.click();
    // A command that opens its own picker (e.g. Color Theme) keeps the quick input open.
    if (!opts.opensPicker) await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: T.ui }).catch(() => {});
  }

  private async openPalette(): Promise<void> {
    const { page } = this;
    await this.focusWorkbench();
    await page.keyboard.press('Control+Shift+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: T.ui });
    await input.fill('>');
  }

  private async focusWorkbench(): Promise<void> {
    const { page } = this;
    if (await page.locator('.quick-input-widget').isVisible()) await page.keyboard.press('Escape');
    // Keyboard shortcuts only reach VS Code when focus is in its own DOM, not in a webview.
    const editor = page.locator('.editor-group-container.active .monaco-editor .view-lines');
    if (await editor.count()) await editor.first().click({ position: { x: 5, y: 5 }, force: true, timeout: 3_000 }).catch(() => {});
    else await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 }, force: true, timeout: 3_000 }).catch(() => {});
  }

  /** A code lens command link (the clickable `a` inside `.codelens-decoration`). */
  lens(text: RegExp | string): Locator {
    return this.page.locator('.codelens-decoration a', { hasText: text });
  }

  async waitForLens(text: RegExp | string, timeout: number = T.activation): Promise<Locator> {
    const lens = this.lens(text).first();
    try {
      await lens.waitFor({ state: 'visible', timeout });
    } catch (err) {
      const seen = await this.lensTexts();
      throw new Error(`no code lens matching ${String(text)} within ${timeout} ms; lenses: ${JSON.stringify(seen)}\n${(err as Error).message}`);
    }
    return lens;
  }

  async lensTexts(): Promise<string[]> {
    return (await this.page.locator('.codelens-decoration a').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
  }

  /**
   * For every code lens link in the active editor, the text of the editor line it sits directly
   * above. Monaco puts lenses in a view zone before their line, so the lens's line is the first
   * rendered line whose top is at or below the lens's bottom.
   */
  async lensLines(): Promise<{ lens: string; line: string }[]> {
    const editor = this.page.locator('.editor-group-container.active .monaco-editor').first();
    const lines = await editor.locator('.view-lines .view-line').evaluateAll((els) =>
      els.map((e) => ({ top: e.getBoundingClientRect().top, text: e.textContent ?? '' })));
    const lenses = await editor.locator('.codelens-decoration a').evaluateAll((els) =>
      els.map((e) => ({ bottom: e.closest('.codelens-decoration')!.getBoundingClientRect().bottom, text: e.textContent ?? '' })));
    const clean = (t: string): string => t.replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim();
    const sorted = lines.sort((a, b) => a.top - b.top);
    return lenses.map((l) => ({
      lens: clean(l.text),
      line: clean(sorted.find((v) => v.top >= l.bottom - 2)?.text ?? ''),
    }));
  }

  async clickLens(text: RegExp | string): Promise<void> {
    const lens = await this.waitForLens(text);
    await lens.click();
  }

  /** The active editor's cursor from the status bar's "Ln X, Col Y" item. */
  async cursor(): Promise<{ line: number; column: number }> {
    const item = this.page.locator('[id="status.editor.selection"]');
    await item.waitFor({ timeout: T.ui });
    const text = (await item.textContent()) ?? '';
    const m = /Ln (\d+), Col (\d+)/.exec(text);
    if (!m) throw new Error(`status bar selection reads "${text}"`);
    return { line: Number(m[1]), column: Number(m[2]) };
  }

  /** Text of the active editor as the extension sees it on disk after a save, or the model via the DOM. */
  async waitForCursorLine(line: number, timeout: number = T.ui): Promise<void> {
    await this.page.waitForFunction((l) => {
      const text = document.querySelector('[id="status.editor.selection"]')?.textContent ?? '';
      return text.includes(`Ln ${l},`);
    }, line, { timeout }).catch(() => {});
  }

  async editorText(): Promise<string> {
    // Monaco virtualises lines; reading the model through the DOM would miss off-screen lines,
    // so the test saves and reads the file instead where it needs the whole text.
    return this.page.locator('.editor-group-container.active .monaco-editor .view-lines').innerText();
  }

  /**
   * The rendered lines of the active editor in screen order. Monaco recycles line elements, so
   * their DOM order is not the document's; only lines in view are rendered (enough for a short file).
   */
  async editorLines(): Promise<string[]> {
    const lines = await this.page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line').evaluateAll((els) =>
      els.map((e) => ({ top: e.getBoundingClientRect().top, text: e.textContent ?? '' })));
    return lines.sort((a, b) => a.top - b.top).map((l) => l.text.replace(/\u00a0/g, ' '));
  }

  async save(): Promise<void> {
    await this.focusWorkbench();
    await this.page.keyboard.press('Control+S');
    await sleep(500);
  }

  // ---------------------------------------------------------------- webviews

  /** The (nested) webview frame that contains `selector`, polling until it appears. */
  async webviewFrame(selector: string, timeout: number = T.activation, opts: { failOnError?: boolean } = {}): Promise<Frame> {
    const deadline = Date.now() + timeout;
    for (;;) {
      if (this.page.isClosed()) throw new Error(`the page closed while waiting for ${selector}`);
      // A long wait (a build) should end as soon as the extension reports that it failed.
      if (opts.failOnError) {
        const errors = await this.errorToasts();
        if (errors.length) throw new Error(`the extension reported an error while waiting for ${selector}: ${errors.join(' | ')}`);
      }
      for (const frame of this.page.frames()) {
        if (frame === this.page.mainFrame()) continue;
        try {
          if (await frame.locator(selector).count()) return frame;
        } catch { /* the frame navigated or went away while we looked */ }
      }
      if (Date.now() > deadline) throw new Error(`no webview frame contains ${selector} within ${timeout} ms (frames: ${this.page.frames().map((f) => f.url().slice(0, 80)).join(', ')})`);
      await sleep(250);
    }
  }

  /** Texts of the error notifications on screen. */
  async errorToasts(): Promise<string[]> {
    const toasts = this.page.locator('.notifications-toasts .notification-toast', { has: this.page.locator('.codicon-error') });
    return (await toasts.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
  }

  // ---------------------------------------------------------------- settings, screenshots, logs

  /** Rewrites the user settings file; VS Code watches it and applies the change. */
  async updateSettings(patch: Record<string, unknown>): Promise<void> {
    this.settings = { ...this.settings, ...patch };
    writeFileSync(join(this.userDir, 'User', 'settings.json'), JSON.stringify(this.settings, null, 2));
  }

  /**
   * Switches the color theme the way a user does (Preferences: Color Theme). Rewriting
   * settings.json is not enough here: code-server's browser side does not pick the change up.
   */
  async setTheme(theme: string): Promise<void> {
    const { page } = this;
    // The workbench's theme class: `hc-black` for the dark high-contrast theme.
    const kind = /high contrast/i.test(theme) ? 'hc-black' : /dark/i.test(theme) ? 'vs-dark' : 'vs';
    if (await this.isTheme(kind)) return;
    await this.runCommand('Preferences: Color Theme', { opensPicker: true });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: /Dark|Light/ }).first().waitFor({ timeout: T.ui });
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: T.ui });
    await input.fill(theme);
    // Click the theme's own row: Enter could pick "Browse Additional Color Themes…" before the
    // list has filtered, which searches a marketplace that is unreachable here.
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).first();
    await row.waitFor({ timeout: T.ui });
    await row.click();
    await page.waitForFunction((k) => {
      const wb = document.querySelector('.monaco-workbench');
      return !!wb && ['vs', 'vs-dark', 'hc-black', 'hc-light'].every((c) => wb.classList.contains(c) === (c === k));
    }, kind, { timeout: T.ui });
    this.settings['workbench.colorTheme'] = theme;
    await sleep(1_000); // webviews restyle after the workbench, through their own message
  }

  private async isTheme(kind: string): Promise<boolean> {
    return this.page.evaluate((k) => {
      const wb = document.querySelector('.monaco-workbench');
      return !!wb && ['vs', 'vs-dark', 'hc-black', 'hc-light'].every((c) => wb.classList.contains(c) === (c === k));
    }, kind);
  }

  /**
   * Confirms VS Code's Refactor Preview: edits marked `needsConfirmation` start unchecked, so,
   * as a user does, tick the unticked ones and press Apply.
   */
  async confirmRefactorPreview(screenshotName?: string): Promise<void> {
    const { page } = this;
    const apply = page.locator('.part.panel .monaco-button', { hasText: /^\s*Apply\s*$/ }).first();
    await apply.waitFor({ state: 'visible', timeout: T.ui });
    // Ticking the file ticks its edits, so look again after every click.
    const boxes = page.locator('.part.panel input.edit-checkbox');
    for (let round = 0; round < 20; round++) {
      let unticked: Locator | null = null;
      for (let i = 0; i < await boxes.count(); i++) {
        if (!(await boxes.nth(i).isChecked())) { unticked = boxes.nth(i); break; }
      }
      if (!unticked) break;
      await unticked.check();
      await sleep(200);
    }
    if (screenshotName) await this.screenshot(screenshotName);
    await apply.click();
    await apply.waitFor({ state: 'hidden', timeout: T.ui }).catch(() => {});
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(artifactsDir, { recursive: true });
    const file = join(artifactsDir, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** The last lines of code-server's log and of the extension host and Stage Lens output logs. */
  logTail(lines = 40): string {
    const parts = [`--- code-server (${this.serverLog})\n${tail(readSafe(this.serverLog), lines)}`];
    for (const f of findFiles(join(this.userDir, 'logs'), (n) => n === 'exthost.log' || /Stage Lens/i.test(n) || n === 'remoteexthost.log')) {
      parts.push(`--- ${f}\n${tail(readSafe(f), lines)}`);
    }
    return parts.join('\n');
  }

  /** What an extension output channel (e.g. "Stage Lens") has written to its log file so far. */
  outputLog(channel: string): string {
    return findFiles(join(this.userDir, 'logs'), (n) => n.endsWith(`-${channel}.log`)).map(readSafe).join('\n');
  }

  /** For `afterEach`: on a failed test, a screenshot and the log tails. */
  async reportFailure(testName: string): Promise<void> {
    const safe = testName.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 60);
    try {
      // With the other screenshots, which outlive the run (this.dir is removed when it ends).
      const file = await this.screenshot(`failure-${safe}`);
      process.stderr.write(`[e2e] failure screenshot: ${file}\n`);
    } catch (err) {
      process.stderr.write(`[e2e] no failure screenshot: ${(err as Error).message}\n`);
    }
    process.stderr.write(`[e2e] logs after "${testName}":\n${this.logTail()}\n`);
  }

  /** Always ends chromium and code-server; keeps the temp dir when STAGELENS_E2E_KEEP is set. */
  async close(): Promise<void> {
    await this.browser.close().catch(() => {});
    if (this.server.exitCode === null && this.server.signalCode === null) {
      const exited = new Promise((r) => this.server.once('exit', r));
      this.server.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (this.server.exitCode === null && this.server.signalCode === null) this.server.kill('SIGKILL');
    }
    if (!process.env.STAGELENS_E2E_KEEP) rmSync(this.dir, { recursive: true, force: true });
    else process.stderr.write(`[e2e] kept ${this.dir}\n`);
  }
}

async function waitForHttp(url: string, server: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + T.server;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`code-server exited with ${server.exitCode}:\n${tail(readSafe(log), 30)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`code-server did not answer ${url} within ${T.server} ms:\n${tail(readSafe(log), 30)}`);
    await sleep(300);
  }
}

function readSafe(file: string): string {
  try { return readFileSync(file, 'utf8'); } catch { return ''; }
}

function findFiles(dir: string, match: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try { names = readdirSync(d); } catch { return; }
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (match(n)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** After analysis each FROM lens reads "<stage> · <size> (+<added> over <base>) · <n> layers · <time>". */
export const ANALYZED_FROM_LENS = /·\s*[\d.]+\s*[kMGT]?B\b.*·\s*\d+ layers?/;
export const SIZE_IN_LENS = /·\s*([\d.]+\s*[kMGT]?B)\b/;

/** A node:test step that leaves a screenshot and the log tails behind when it fails. */
export function step(session: () => Session | undefined, name: string, timeout: number, fn: () => Promise<void>): void {
  test(name, { timeout }, async () => {
    try {
      await fn();
    } catch (err) {
      await session()?.reportFailure(name);
      throw err;
    }
  });
}
