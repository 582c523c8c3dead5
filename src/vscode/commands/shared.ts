// What every command flow needs: the services they act on, the document they act on, and the
// workspace-trust gate for flows that run the Dockerfile's RUN commands.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeDockerfile, isDockerfile, type FindingsCache } from '../documents';
import type { StagePanel } from '../panel';
import type { Analyzer, Suggester } from '../services';
import type { AnalysisStore } from '../store';

export interface CommandDeps {
  store: AnalysisStore;
  panel: StagePanel;
  analyzer: Analyzer;
  suggester: Suggester;
  findings: FindingsCache;
  output: vscode.OutputChannel;
}

const TRUST_MESSAGE = 'Stage Lens builds run the Dockerfile\'s RUN commands, so they need a trusted workspace. Static suggestions and refactors work without trust.';

export function asUri(v: unknown): vscode.Uri | undefined {
  return v instanceof vscode.Uri ? v : undefined;
}

/** The Dockerfile a command acts on: its argument, else the active editor, else the panel's. */
export async function resolveDocument(d: CommandDeps, uri: vscode.Uri | undefined): Promise<vscode.TextDocument | undefined> {
  const target = uri ?? activeDockerfile()?.uri ?? d.panel.documentUri;
  if (!target) {
    void vscode.window.showInformationMessage('Open a Dockerfile first: Stage Lens works on the Dockerfile in the active editor.');
    return undefined;
  }
  try {
    const doc = await vscode.workspace.openTextDocument(target);
    if (!isDockerfile(doc)) {
      const other: vscode.TextDocument = doc;
      void vscode.window.showInformationMessage(`${path.basename(other.uri.fsPath)} is not a Dockerfile (language mode "${other.languageId}").`);
      return undefined;
    }
    return doc;
  } catch {
    void vscode.window.showErrorMessage(`Cannot open ${target.toString(true)}.`);
    return undefined;
  }
}

export function requireTrust(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(TRUST_MESSAGE, 'Manage Workspace Trust').then((pick) => {
    if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}
