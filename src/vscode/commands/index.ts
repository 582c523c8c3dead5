// The command table (DESIGN.md convention 2): each id maps to its flow, one file per flow —
// analyze.ts (analyse, build one stage), refactor.ts (refactor, apply-and-measure),
// suggestion.ts, cleanUp.ts, endpoint.ts, panel.ts (open, reveal, cancel).
import * as vscode from 'vscode';
import { COMMANDS } from '../commandIds';
import { AnalyzeFlow } from './analyze';
import { cleanUp } from './cleanUp';
import { selectEndpoint } from './endpoint';
import { cancel, openPanel, revealLayer } from './panel';
import { RefactorFlow } from './refactor';
import { asUri, type CommandDeps } from './shared';
import { applySuggestion } from './suggestion';

export type { CommandDeps } from './shared';

export function registerCommands(d: CommandDeps): vscode.Disposable[] {
  const analysis = new AnalyzeFlow(d);
  const refactor = new RefactorFlow(d, analysis);
  const table: Record<string, (...args: unknown[]) => unknown> = {
    [COMMANDS.analyze]: (uri) => analysis.analyzeCommand(asUri(uri)),
    [COMMANDS.buildStage]: (uri, stageIndex) => analysis.buildStage(asUri(uri), typeof stageIndex === 'number' ? stageIndex : undefined),
    [COMMANDS.openPanel]: (a, b) => openPanel(d, a, b),
    [COMMANDS.focusView]: () => vscode.commands.executeCommand('stageLens.stages.focus'),
    [COMMANDS.applySuggestion]: (uri, id, version) => applySuggestion(d, asUri(uri), typeof id === 'string' ? id : undefined, typeof version === 'number' ? version : undefined),
    [COMMANDS.refactor]: (uri) => refactor.refactor(asUri(uri)),
    [COMMANDS.applyAndMeasure]: (uri) => refactor.applyAndMeasure(asUri(uri)),
    [COMMANDS.cancel]: (uri) => cancel(d, asUri(uri)),
    [COMMANDS.cleanUp]: () => cleanUp(d),
    [COMMANDS.selectEndpoint]: () => selectEndpoint(d),
    [COMMANDS.revealLayer]: (uri, line, endLine) => revealLayer(uri, line, endLine),
  };
  return Object.entries(table).map(([id, fn]) => vscode.commands.registerCommand(id, fn));
}
