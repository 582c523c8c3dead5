// Apply one suggestion's fix as a previewed workspace edit, refusing when the document changed
// since the finding was computed.
import * as vscode from 'vscode';
import { applyEdits, minimalLineEdits, type TextEdit } from '../../core/refactor/edits';
import { toRange } from '../diagnostics';
import { resolveDocument, type CommandDeps } from './shared';

export async function applySuggestion(d: CommandDeps, uri: vscode.Uri | undefined, findingId: string | undefined, version: number | undefined): Promise<void> {
  const doc = await resolveDocument(d, uri);
  if (!doc || !findingId) return;
  if (version !== undefined && doc.version !== version) {
    void vscode.window.showWarningMessage('Stage Lens: the Dockerfile changed since this suggestion was computed, so it was not applied. Use the refreshed lens or lightbulb.');
    return;
  }
  const f = d.findings.get(doc).find((x) => x.id === findingId);
  if (!f) { void vscode.window.showWarningMessage('Stage Lens: this suggestion no longer applies to the Dockerfile.'); return; }
  if (!f.fix || f.fix.edits.length === 0) {
    void vscode.window.showInformationMessage(`${f.message}${f.rationale ? ` — ${f.rationale}` : ''}`);
    return;
  }
  const edit = new vscode.WorkspaceEdit();
  const meta: vscode.WorkspaceEditEntryMetadata = { needsConfirmation: true, label: f.fix.title, description: f.message };
  for (const e of previewEdits(doc.getText(), f.fix.edits)) edit.replace(doc.uri, toRange(e.range), e.newText, meta);
  const ok = await vscode.workspace.applyEdit(edit);
  if (!ok) void vscode.window.showInformationMessage('Stage Lens: the suggestion was not applied.');
}

/** The fix's edits re-expressed as minimal line hunks of the same result (see minimalLineEdits). */
function previewEdits(text: string, edits: TextEdit[]): TextEdit[] {
  try {
    return minimalLineEdits(text, applyEdits(text, edits));
  } catch {
    return edits; // overlapping edits cannot be re-expressed; apply them as given
  }
}
