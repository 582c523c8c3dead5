// Refactor to multi-stage (previewed edit) and apply-and-measure (before/after analyses and the
// panel's comparison). The refactor itself comes from the Suggester seam.
import * as vscode from 'vscode';
import { formatBytes } from '../../core/report';
import { lineDiff } from '../../view/diff';
import { explainError } from '../../view/errors';
import { summarize } from '../../view/stages';
import { minimalLineEdits } from '../../core/refactor/edits';
import { toRange } from '../diagnostics';
import type { RefactorResult } from '../services';
import type { AnalyzeFlow } from './analyze';
import { requireTrust, resolveDocument, type CommandDeps } from './shared';

export class RefactorFlow {
  constructor(private readonly d: CommandDeps, private readonly analysis: AnalyzeFlow) {}

  private refactorResult(doc: vscode.TextDocument): RefactorResult | undefined {
    let r: RefactorResult | null;
    try {
      r = this.d.suggester.refactorToMultiStage(doc.getText());
    } catch (err) {
      void vscode.window.showErrorMessage(`Stage Lens: the refactor failed: ${explainError(err, '').message}`);
      return undefined;
    }
    if (!r) { void vscode.window.showErrorMessage('Stage Lens: the multi-stage refactor is not available in this build.'); return undefined; }
    if (!r.changed) {
      void vscode.window.showInformationMessage(`Stage Lens: nothing to refactor. ${r.summary}${r.notes.length ? ` ${r.notes.join(' ')}` : ''}`);
      return undefined;
    }
    return r;
  }

  private refactorEdit(doc: vscode.TextDocument, r: RefactorResult, confirm: boolean): vscode.WorkspaceEdit {
    const edit = new vscode.WorkspaceEdit();
    const meta: vscode.WorkspaceEditEntryMetadata = { needsConfirmation: confirm, label: 'Refactor to multi-stage', description: r.summary };
    // One edit per changed hunk (not one whole-document replacement), so the Refactor Preview
    // shows what moved where and unchanged lines keep their breakpoints and markers.
    for (const e of minimalLineEdits(doc.getText(), r.text)) edit.replace(doc.uri, toRange(e.range), e.newText, meta);
    return edit;
  }

  async refactor(uri: vscode.Uri | undefined): Promise<void> {
    const doc = await resolveDocument(this.d, uri);
    if (!doc) return;
    const r = this.refactorResult(doc);
    if (!r) return;
    const ok = await vscode.workspace.applyEdit(this.refactorEdit(doc, r, true));
    // Discarded, nothing ticked, or refused by VS Code because the document changed meanwhile.
    if (!ok) void vscode.window.showInformationMessage('Stage Lens: the multi-stage refactor was not applied; the Dockerfile is unchanged.');
    if (ok && r.notes.length) {
      this.d.output.appendLine(`Refactor to multi-stage: ${r.summary}`);
      for (const n of r.notes) this.d.output.appendLine(`  - ${n}`);
    }
  }

  async applyAndMeasure(uri: vscode.Uri | undefined): Promise<void> {
    const doc = await resolveDocument(this.d, uri);
    if (!doc || !requireTrust()) return;
    const r = this.refactorResult(doc);
    if (!r) return;
    const beforeText = doc.getText();
    const prev = this.d.store.get(doc.uri);
    const complete = prev && prev.text === beforeText && !prev.report.cancelled && prev.report.stages.every((s) => !s.error && s.sizeBytes !== null);
    const before = complete ? prev : await this.analysis.analyze(doc, { titlePrefix: 'Measure before refactor', inspectFinal: false });
    if (!before) return;
    // The user asked to apply and measure, so the edit is applied without a preview; it stays undoable.
    const ok = await vscode.workspace.applyEdit(this.refactorEdit(doc, r, false));
    if (!ok || doc.getText() === beforeText) { void vscode.window.showWarningMessage('Stage Lens: the refactor could not be applied to the document.'); return; }
    const afterText = doc.getText();
    const after = await this.analysis.analyze(doc, { titlePrefix: 'Measure after refactor' });
    if (!after) return;
    const comparison = { before: summarize(before.report), after: summarize(after.report), diff: lineDiff(beforeText, afterText) };
    this.d.store.setComparison(doc.uri, comparison);
    this.d.panel.show(doc.uri);
    const b = comparison.before.finalBytes, a = comparison.after.finalBytes;
    if (b !== null && a !== null) {
      void vscode.window.showInformationMessage(`Stage Lens: final image ${formatBytes(b)} → ${formatBytes(a)} (${a <= b ? '−' : '+'}${formatBytes(Math.abs(b - a))}).`);
    }
  }
}
