// Final image size of the active Dockerfile; click opens the panel.
import * as vscode from 'vscode';
import { finalStage, formatBytes } from '../core/report';
import { COMMANDS } from './commandIds';
import { activeDockerfile } from './documents';
import type { AnalysisStore } from './store';

export class StageStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('stageLens.finalSize', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly store: AnalysisStore) {
    this.item.name = 'Stage Lens: final image size';
    this.item.command = COMMANDS.openPanel;
    this.subscriptions.push(
      this.item,
      store.onDidChange(() => this.update()),
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      vscode.workspace.onDidChangeTextDocument((e) => { if (e.document === activeDockerfile()) this.update(); }),
    );
    this.update();
  }

  update(): void {
    const doc = activeDockerfile();
    if (!doc) { this.item.hide(); return; }
    if (this.store.isRunning(doc.uri)) {
      this.item.text = '$(sync~spin) Stage Lens';
      this.item.tooltip = 'Analyzing stages… (click to open the panel)';
      this.item.show();
      return;
    }
    const a = this.store.get(doc.uri);
    const fin = a ? finalStage(a.report) : null;
    if (!a || !fin || fin.sizeBytes === null) { this.item.hide(); return; }
    const stale = this.store.isStale(doc.uri, doc.getText());
    this.item.text = `$(package) ${formatBytes(fin.sizeBytes)}${stale ? ' (stale)' : ''}`;
    this.item.tooltip = `Final image (${fin.name ?? `stage ${fin.index}`}) of ${doc.uri.path.split('/').pop()}: ${formatBytes(fin.sizeBytes)}. Click to open the Stage Lens panel.`;
    this.item.show();
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
