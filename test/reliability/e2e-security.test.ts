// Untrusted content in the real VS Code (code-server + Chromium, the e2e harness): a Dockerfile
// whose commands, labels and file names carry markup and script is analysed; the stage panel
// must show that text literally and nothing in it may run.
//
// Restricted mode (trust enabled, folder not trusted → Analyze refuses and no connection reaches
// the engine) is proven by test/e2e/extension.test.ts "Stage Lens in restricted mode", which
// counts connections on a spy socket; it is not run twice here.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordSecurity } from './figures';

const MARKUP_STAGE = 'FROM busybox AS markup';
const DOCKERFILE = `${MARKUP_STAGE}
LABEL note="<script>window.__xssLabel=1</script>"
RUN echo '<img src=x onerror=window.__xssImg=1>' > '/tmp/<img src=x onerror=window.__xssFile=1>.txt' && echo "<script>window.__xssScript=1</script>"
RUN echo '<svg onload=window.__xssSvg=1>' > /tmp/svg
`;

describe('security: hostile content in the stage panel (real VS Code)', { timeout: 12 * 60_000 }, () => {
  // Loaded lazily: the harness imports playwright-core and packages the extension.
  let harness: typeof import('../e2e/harness') | null = null;
  let session: import('../e2e/harness').Session | null = null;
  let skipReason = '';
  const dir = mkdtempSync(join(tmpdir(), 'sl-rel-xss-'));

  before(async () => {
    try {
      harness = await import('../e2e/harness');
      if (!existsSync(harness.codeServerBin)) { skipReason = `code-server is not installed at ${harness.codeServerBin} (scripts/e2e-setup.sh)`; return; }
      const ws = join(dir, 'workspace');
      mkdirSync(ws, { recursive: true });
      writeFileSync(join(ws, 'Dockerfile.markup'), DOCKERFILE);
      session = await harness.Session.start({ workspace: ws });
    } catch (e) {
      skipReason = `the e2e harness could not start: ${(e as Error).message.split('\n')[0]}`;
    }
  }, { timeout: 8 * 60_000 });

  after(async () => {
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commands, labels and file names with <script>/<img onerror> are shown as text and never run', async (t) => {
    if (!session || !harness) { t.skip(skipReason); return; }
    const s = session;
    try {
      await s.openFile('Dockerfile.markup');
      await s.runCommand('Stage Lens: Analyze Stages');
      // busybox builds take seconds; a failed analysis should not hold the suite for the 8-minute e2e bound.
      await s.waitForLens(/·\s*[\d.]+\s*[kMGT]?B\b/, 180_000);
      await s.runCommand('Stage Lens: Open Stage Panel');
      const frame = await s.webviewFrame('[data-stage-index]', harness.T.activation);
      // Let every row render (and any injected handler fire) before looking.
      await new Promise((r) => setTimeout(r, 2000));
      const found = await frame.evaluate(() => {
        // Runs in the webview; this file is type-checked without the DOM library.
        type El = { textContent: string | null };
        const g = globalThis as unknown as Record<string, unknown> & { document: { querySelectorAll(sel: string): ArrayLike<El>; body: { innerText: string } } };
        const doc = g.document;
        return {
          flags: ['__xssLabel', '__xssImg', '__xssFile', '__xssScript', '__xssSvg'].filter((k) => g[k] !== undefined),
          injected: doc.querySelectorAll('img[src="x"], svg[onload], [onerror], [onload]').length,
          scriptsWithPayload: Array.from(doc.querySelectorAll('script')).filter((el) => /__xss/.test(el.textContent ?? '')).length,
          text: doc.body.innerText,
        };
      });
      const problems: string[] = [];
      if (found.flags.length) problems.push(`payload ran: ${found.flags.join(', ')}`);
      if (found.injected) problems.push(`${found.injected} element(s) created from Dockerfile content`);
      if (found.scriptsWithPayload) problems.push('a <script> element carries the payload');
      if (!/<img src=x onerror=window\.__xssImg=1>/.test(found.text)) problems.push('the RUN command is not shown literally in the panel');
      recordSecurity('webview renders hostile content as text', problems.length === 0);
      assert.deepEqual(problems, []);
    } catch (e) {
      await s.reportFailure('xss');
      throw e;
    }
  });
});
