// Issue 6, faults that need the real extension host: two analyses of one Dockerfile at once, an
// edit while an analysis runs, and a refactor applied to a document that changed under it.
// One code-server session against the private test engine.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDockerfile } from '../../src/core/dockerfile/parse';
import { formatBytes } from '../../src/core/report';
import { ANALYZED_FROM_LENS, SIZE_IN_LENS, step, Session, T, engineHost } from './harness';
import { stageImageSize } from './engine-images';

const RUNNING_LENS = /Analyzing stages/;
/** Sleeps long enough for a second command or some typing to land while the build runs. */
const SLOW_RUN = 'sleep 8 && dd if=/dev/zero of=/big bs=1M count=5';
/** An analysis of the slow Dockerfile: the sleep, the export, the inspection; generous for 2 cores. */
const ANALYSIS_MS = 90_000;

/**
 * A Dockerfile whose one RUN takes ~8 s. Line 1 is a comment (code-server misplaces a lens on a
 * FROM in line 1), and a fresh token in the RUN keeps the engine's build cache from making the
 * second analysis instant.
 */
function slowDockerfile(): string {
  return `# Stage Lens concurrency test: a slow build\nFROM busybox:latest\nRUN echo ${randomBytes(6).toString('hex')} && ${SLOW_RUN}\n`;
}

describe('Stage Lens under concurrent use (code-server + Chromium)', { timeout: 4 * 60_000 }, () => {
  let session: Session | undefined;
  let host = '';
  const s = (): Session => {
    if (!session) throw new Error('the VS Code session did not start');
    return session;
  };
  const page = () => s().page;
  const toast = (text: RegExp) => page().locator('.notifications-toasts .notification-toast', { hasText: text }).first();

  /** Writes a new file into the session's workspace and opens it. */
  async function openNew(name: string, text: string): Promise<string> {
    const file = join(s().workspace, name);
    writeFileSync(file, text);
    await s().openFile(name);
    await page().locator('.editor-group-container.active .view-line', { hasText: 'FROM' }).first().waitFor({ timeout: T.ui });
    return file;
  }

  /** The analysis has ended once the "Analyzing stages… Cancel" lens is gone. */
  async function waitForAnalysisEnd(): Promise<void> {
    await s().waitForLens(RUNNING_LENS, T.ui);
    await s().lens(RUNNING_LENS).first().waitFor({ state: 'detached', timeout: ANALYSIS_MS });
  }

  /** The Stage Lens output channel's "Analyze <file>" lines: one per analysis that started. */
  async function analysisStarts(file: string): Promise<number> {
    const count = (): number => s().outputLog('Stage Lens').split('\n').filter((l) => l.includes(`Analyze ${file} `)).length;
    // The channel's log file is flushed a little after the line is written.
    for (const deadline = Date.now() + 10_000; count() === 0 && Date.now() < deadline;) await sleep(250);
    return count();
  }

  before(async () => {
    host = await engineHost();
    session = await Session.start({
      settings: {
        // The 5 MB RUN layer gets its own lens only above the layer threshold.
        'stageLens.lenses.layerThresholdMB': 1,
        // VS Code in a browser auto-saves after a second by default; off, a file on disk that
        // changes can only have been written by someone else.
        'files.autoSave': 'off',
      },
    });
  });
  after(async () => { await session?.close(); });

  step(() => session, 'Analyze twice at once: the second is refused as already running; one result, with the engine\'s size', ANALYSIS_MS + 60_000, async () => {
    const file = await openNew('Dockerfile.slow', slowDockerfile());
    await s().waitForLens(/Analyze stages/);
    await s().runCommand('Stage Lens: Analyze Stages');
    await s().waitForLens(RUNNING_LENS, T.ui);
    await s().runCommand('Stage Lens: Analyze Stages');
    await toast(/already running/i).waitFor({ state: 'visible', timeout: T.ui });
    assert.ok(await s().lens(RUNNING_LENS).count() > 0, 'the refusal came while the first analysis still ran');
    await s().screenshot('concurrency-already-running');
    await waitForAnalysisEnd();

    const lens = await s().waitForLens(ANALYZED_FROM_LENS, T.ui);
    const analysed = (await s().lensTexts()).filter((t) => ANALYZED_FROM_LENS.test(t));
    assert.equal(analysed.length, 1, `one analysed FROM lens for the one stage; lenses: ${JSON.stringify(await s().lensTexts())}`);
    assert.equal((await s().lensTexts()).filter((t) => /Build stage/.test(t)).length, 0, 'no "Build stage" lens left on the analysed FROM');
    const text = ((await lens.textContent()) ?? '').replace(/\s+/g, ' ');
    const bytes = await stageImageSize(host, file, parseDockerfile(readFileSync(file, 'utf8')).stages[0]!);
    assert.equal(SIZE_IN_LENS.exec(text)?.[1], formatBytes(bytes), `lens "${text}" shows the engine's Size of the stage image (${bytes} bytes)`);
    assert.equal(await analysisStarts(file), 1, 'exactly one analysis of the file started');
  });

  step(() => session, 'an edit while the analysis runs: the text stays the user\'s, lenses are stale on their own lines or hidden', ANALYSIS_MS + 60_000, async () => {
    const original = slowDockerfile();
    const file = await openNew('Dockerfile.edit', original);
    await s().waitForLens(/Analyze stages/);
    await s().runCommand('Stage Lens: Analyze Stages');
    await s().waitForLens(RUNNING_LENS, T.ui);
    const typed = '# typed while the analysis runs';
    const editor = page().locator('.editor-group-container.active .monaco-editor .view-lines').first();
    await editor.click({ position: { x: 5, y: 5 } });
    await page().keyboard.press('Control+Home');
    await page().keyboard.type(typed);
    await page().keyboard.press('Enter');
    const expected = `${typed}\n${original}`;
    assert.ok(await s().lens(RUNNING_LENS).count() > 0, 'the edit landed while the analysis still ran');
    await waitForAnalysisEnd();
    await sleep(500); // the lens provider re-runs after the run ends

    assert.equal((await s().editorLines()).join('\n'), expected, 'the editor holds exactly what the user typed');
    assert.equal(readFileSync(file, 'utf8'), original, 'nothing saved the document behind the user\'s back');
    assert.ok(await page().locator('.tabs-container .tab.active.dirty').count() > 0, 'the edited tab is still unsaved');

    const placed = await s().lensLines();
    const measured = placed.filter((p) => /\d\s*[kMGT]?B\b/.test(p.lens) && !/Analyze|Re-analyze/.test(p.lens));
    const errors = await s().errorToasts();
    assert.equal(errors.length, 0, `no error from the analysis: ${errors.join(' | ')}`);
    for (const p of measured) {
      assert.match(p.lens, /\(stale\)/, `a measured lens after the edit is marked stale: ${JSON.stringify(p)}`);
    }
    const fromLens = measured.find((p) => ANALYZED_FROM_LENS.test(p.lens));
    if (fromLens) {
      assert.match(fromLens.line, /^FROM busybox:latest$/, `the stage lens sits directly above the FROM line: ${JSON.stringify(placed)}`);
      const runLens = measured.find((p) => /^\+/.test(p.lens));
      assert.ok(runLens, `the 5 MB RUN layer has its lens: ${JSON.stringify(placed)}`);
      assert.match(runLens.line, /^RUN echo [0-9a-f]+ && sleep 8/, `the layer lens sits directly above its RUN line: ${JSON.stringify(placed)}`);
    } else {
      assert.equal(measured.length, 0, `with the stage lens hidden no measured lens shows: ${JSON.stringify(placed)}`);
    }
    assert.ok(!placed.some((p) => /^#/.test(p.line) && /\d\s*[kMGT]?B\b/.test(p.lens)), `no measured lens above a comment line: ${JSON.stringify(placed)}`);
    await s().screenshot('concurrency-stale-lenses');
    // Leave the workspace as it was for the next step: discard the edit.
    await s().runCommand('File: Revert File');
  });

  step(() => session, 'a refactor applied after the document changed is refused, and the user\'s edit stays', 90_000, async () => {
    const name = 'Dockerfile.refactor';
    const original = readFileSync(join(s().workspace, 'Dockerfile.single-stage'), 'utf8');
    const file = await openNew(name, original);
    const stagesBefore = parseDockerfile(original).stages.length;
    await s().runCommand('Stage Lens: Refactor to Multi-Stage…');
    const apply = page().locator('.part.panel .monaco-button', { hasText: /^\s*Apply\s*$/ }).first();
    await apply.waitFor({ state: 'visible', timeout: T.ui });

    // The user edits the Dockerfile while the preview is open: a character at the end of line 1.
    const editor = page().locator('.editor-group-container.active .monaco-editor .view-lines').first();
    await editor.click({ position: { x: 5, y: 5 } });
    await page().keyboard.press('Control+Home');
    await page().keyboard.press('End');
    await page().keyboard.type('!');
    const firstLine = original.split('\n')[0]!;

    // Tick what the preview left unticked (edits needing confirmation), then Apply, as a user does.
    const boxes = page().locator('.part.panel input.edit-checkbox');
    for (let i = 0; i < await boxes.count(); i++) if (!(await boxes.nth(i).isChecked())) await boxes.nth(i).check();
    await apply.click();
    // VS Code's preview notices the change and refuses the whole refactor in a dialog.
    const dialog = page().locator('.monaco-dialog-box', { hasText: /Cannot apply refactoring because '[^']*Dockerfile\.refactor' has changed in the meantime/ }).first();
    await dialog.waitFor({ state: 'visible', timeout: T.ui });
    await s().screenshot('concurrency-refactor-refused');
    await dialog.locator('.monaco-button', { hasText: /OK/ }).first().click();
    await dialog.waitFor({ state: 'hidden', timeout: T.ui });
    const discard = page().locator('.part.panel .monaco-button', { hasText: /^\s*Discard\s*$/ }).first();
    if (await discard.isVisible()) await discard.click();

    await s().save();
    const text = readFileSync(file, 'utf8');
    assert.equal(text.split('\n')[0], `${firstLine}!`, 'the user\'s edit is in the document');
    assert.equal(text, original.replace(firstLine, `${firstLine}!`), 'the document is the original plus the user\'s one character');
    assert.equal(parseDockerfile(text).stages.length, stagesBefore, 'no second FROM: the refactor was not applied');
  });
});
