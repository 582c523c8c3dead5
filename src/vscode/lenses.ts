// Code lenses above FROM lines, heavy instructions and suggestions. Placement rules live in
// src/view/lenses.ts; this provider only maps them to commands and owns its refresh event.
import * as vscode from 'vscode';
import { readConfig } from './config';
import type { FindingsCache } from './documents';
import { computeLenses, type LensAction } from '../view/lenses';
import type { AnalysisStore } from './store';
import { COMMANDS } from './commandIds';

export class StageLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  private firstLensesLogged = false;

  /** `onFirstLenses` gets the time the first lenses were ready, for the activation benchmark. */
  constructor(private readonly store: AnalysisStore, private readonly findings: FindingsCache, private readonly onFirstLenses?: () => void) {
    this.subscriptions.push(
      store.onDidChange(() => this.changed.fire()),
      findings.onDidChange(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('stageLens')) this.changed.fire(); }),
    );
  }

  refresh(): void { this.changed.fire(); }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const cfg = readConfig(doc.uri);
    const analysis = this.store.get(doc.uri);
    const specs = computeLenses({
      text: doc.getText(),
      analysis: analysis ? { report: analysis.report, text: analysis.text } : null,
      findings: this.findings.get(doc),
      running: this.store.isRunning(doc.uri),
      thresholdBytes: cfg.layerThresholdBytes,
      staleBehavior: cfg.staleBehavior,
      suggestionsEnabled: cfg.suggestionsEnabled,
    });
    const lenses = specs
      .filter((s) => s.line < doc.lineCount)
      .map((s) => new vscode.CodeLens(doc.lineAt(s.line).range, { title: s.title, tooltip: s.tooltip, ...commandFor(s.action, doc) }));
    if (!this.firstLensesLogged) { this.firstLensesLogged = true; this.onFirstLenses?.(); }
    return lenses;
  }

  dispose(): void {
    this.changed.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}

function commandFor(a: LensAction, doc: vscode.TextDocument): { command: string; arguments?: unknown[] } {
  switch (a.kind) {
    case 'analyze': return { command: COMMANDS.analyze, arguments: [doc.uri] };
    case 'cancel': return { command: COMMANDS.cancel, arguments: [doc.uri] };
    case 'buildStage': return { command: COMMANDS.buildStage, arguments: [doc.uri, a.stageIndex] };
    case 'openStage': return { command: COMMANDS.openPanel, arguments: [a.stageIndex, doc.uri] };
    case 'suggestion': return { command: COMMANDS.applySuggestion, arguments: [doc.uri, a.findingId, doc.version] };
    case 'none': return { command: '' };
  }
}
