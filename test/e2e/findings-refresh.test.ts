// Issue 14, bug 1, in a real VS Code: findings follow the settings and the build context's
// .dockerignore without waiting for an edit of the Dockerfile. No engine is needed (static
// findings only), so this session never analyses.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { step, Session, T } from './harness';

const ROOT_LENS = /runs as root/;
const IGNORE_LENS = /No \.dockerignore/;

describe('findings refresh on settings and .dockerignore changes (code-server + Chromium)', { timeout: 5 * 60_000 }, () => {
  let session: Session | undefined;
  let parent = '';
  const s = (): Session => {
    if (!session) throw new Error('the VS Code session did not start');
    return session;
  };

  /** Waits until no lens matches `re`, or fails with the lenses still shown. */
  async function waitForNoLens(re: RegExp, timeout: number): Promise<void> {
    const deadline = Date.now() + timeout;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      seen = await s().lensTexts();
      if (seen.length && !seen.some((t) => re.test(t))) return;
      await sleep(300);
    }
    throw new Error(`a lens matching ${String(re)} is still shown after ${timeout} ms: ${JSON.stringify(seen)}`);
  }

  /** Writes the workspace's .vscode/settings.json, as a user editing workspace settings does. */
  function workspaceSettings(settings: Record<string, unknown>): void {
    mkdirSync(join(s().workspace, '.vscode'), { recursive: true });
    writeFileSync(join(s().workspace, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  }

  before(async () => {
    parent = mkdtempSync(join(tmpdir(), 'sl-e2e-refresh-'));
    const ws = join(parent, 'ws');
    mkdirSync(ws);
    // Line 1 is a comment: code-server misplaces a lens on a FROM in line 1.
    writeFileSync(join(ws, 'Dockerfile'), '# findings refresh\nFROM busybox:1.36\nWORKDIR /app\nCOPY . .\nCMD ["sh", "-c", "cat /app/app.txt"]\n');
    writeFileSync(join(ws, 'app.txt'), 'hello\n');
    // A secret-looking file in a context without .dockerignore: the no-dockerignore finding.
    writeFileSync(join(ws, '.env'), 'TOKEN=not-a-real-token\n');
    session = await Session.start({ workspace: ws });
  });
  after(async () => {
    await session?.close();
    if (parent) rmSync(parent, { recursive: true, force: true });
  });

  step(() => session, 'the Dockerfile shows the root-user and no-dockerignore suggestion lenses', 2 * 60_000, async () => {
    await s().openFile('Dockerfile');
    await s().waitForLens(ROOT_LENS);
    await s().waitForLens(IGNORE_LENS, T.ui);
  });

  step(() => session, 'disabling a rule in the workspace settings removes its lens without an edit', 60_000, async () => {
    workspaceSettings({ 'stageLens.suggestions.disabledRules': ['root-user'] });
    await waitForNoLens(ROOT_LENS, 30_000);
    assert.ok((await s().lensTexts()).some((t) => IGNORE_LENS.test(t)), 'the other finding stays');
  });

  step(() => session, 'enabling it again brings the lens back', 60_000, async () => {
    workspaceSettings({ 'stageLens.suggestions.disabledRules': [] });
    await s().waitForLens(ROOT_LENS, 30_000);
  });

  step(() => session, 'adding a .dockerignore removes the no-dockerignore lens without an edit', 60_000, async () => {
    writeFileSync(join(s().workspace, '.dockerignore'), '.env\n');
    await waitForNoLens(IGNORE_LENS, 30_000);
    await s().screenshot('findings-refreshed');
  });
});
