// The suggestions again as lightbulb actions: single-line fixes are quick fixes, anything
// that restructures stages is a refactor.rewrite. Applying goes through the apply command so
// the version check and the refactor preview are the same as from a lens.
import * as vscode from 'vscode';
import { COMMANDS } from './commandIds';
import type { FindingsCache } from './documents';
import { toRange } from './diagnostics';
import type { Suggester } from './services';

export class StageCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, vscode.CodeActionKind.RefactorRewrite],
  };

  constructor(private readonly findings: FindingsCache, private readonly suggester: Suggester) {}

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range | vscode.Selection, ctx: vscode.CodeActionContext): vscode.CodeAction[] {
    const out: vscode.CodeAction[] = [];
    for (const f of this.findings.get(doc)) {
      if (!f.fix || !doc.validateRange(toRange(f.range)).intersection(range)) continue;
      const multiLine = f.fix.edits.some((e) => e.range.start.line !== e.range.end.line || e.newText.includes('\n'));
      const kind = multiLine ? vscode.CodeActionKind.RefactorRewrite : vscode.CodeActionKind.QuickFix;
      if (ctx.only && !ctx.only.contains(kind)) continue;
      const a = new vscode.CodeAction(f.fix.title, kind);
      a.command = { command: COMMANDS.applySuggestion, title: f.fix.title, arguments: [doc.uri, f.id, doc.version] };
      a.diagnostics = ctx.diagnostics.filter((d) => d.source === 'Stage Lens' && String(d.code).startsWith(f.rule) && d.range.intersection(toRange(f.range)));
      out.push(a);
    }
    const wantsRefactor = !ctx.only || ctx.only.contains(vscode.CodeActionKind.RefactorRewrite);
    if (wantsRefactor && /^\s*FROM\b/i.test(doc.lineAt(range.start.line).text)) {
      const r = this.suggester.refactorToMultiStage(doc.getText());
      if (r?.changed) {
        const a = new vscode.CodeAction('Refactor to multi-stage…', vscode.CodeActionKind.RefactorRewrite);
        a.command = { command: COMMANDS.refactor, title: 'Refactor to multi-stage…', arguments: [doc.uri] };
        out.push(a);
      }
    }
    return out;
  }
}
