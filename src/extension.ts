// activate() builds the services and calls register*(); nothing else lives here (DESIGN.md).
import * as vscode from 'vscode';
import { createAnalyzer, createSuggester } from './vscode/adapters';
import { StageCodeActions } from './vscode/codeActions';
import { CompareController } from './vscode/compare';
import { ComposeFeature } from './vscode/compose';
import { TREE_VIEW_ID } from './vscode/commandIds';
import { registerCommands } from './vscode/commands';
import { StageDiagnostics } from './vscode/diagnostics';
import { DOCKERFILE_SELECTOR, FindingsCache } from './vscode/documents';
import { analyseWithEngine, LayerContentsCache } from './vscode/layerContents';
import { StageLensProvider } from './vscode/lenses';
import { StagePanel } from './vscode/panel';
import { StageStatusBar } from './vscode/statusBar';
import { AnalysisStore } from './vscode/store';
import { StagesTreeProvider } from './vscode/tree';

export function activate(context: vscode.ExtensionContext): void {
  const activatedAt = performance.now();
  const own = <T extends vscode.Disposable>(d: T): T => { context.subscriptions.push(d); return d; };
  const output = own(vscode.window.createOutputChannel('Stage Lens'));
  const store = own(new AnalysisStore());
  // One layer-contents cache per activation, shared by the final-image facts and the panel.
  const layerContents = new LayerContentsCache(analyseWithEngine);
  const analyzer = createAnalyzer(layerContents);
  const suggester = createSuggester();
  const findings = own(new FindingsCache(suggester, store));
  const panel = own(new StagePanel(context.extensionUri, store, layerContents));
  const lenses = own(new StageLensProvider(store, findings, () => {
    // One line per session: the benchmark and the e2e logs read it.
    output.appendLine(`Stage Lens ready: first code lenses ${Math.round(performance.now() - activatedAt)} ms after activation.`);
  }));
  own(vscode.languages.registerCodeLensProvider(DOCKERFILE_SELECTOR, lenses));
  own(vscode.languages.registerCodeActionsProvider(DOCKERFILE_SELECTOR, new StageCodeActions(findings, suggester), StageCodeActions.metadata));
  own(new StageDiagnostics(store, findings));
  const tree = own(new StagesTreeProvider(store));
  own(vscode.window.createTreeView(TREE_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true }));
  own(new StageStatusBar(store));
  for (const d of registerCommands({ store, panel, analyzer, suggester, findings, output })) own(d);
  own(new CompareController(store, panel, output));
  own(new ComposeFeature(store, panel, output));
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}
