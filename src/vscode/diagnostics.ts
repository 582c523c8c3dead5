// Findings as Information/Hint diagnostics and failed builds as an Error on the failing line.
import * as vscode from 'vscode';
import { isDockerfile, type FindingsCache } from './documents';
import type { AnalysisStore } from './store';
import type { Finding } from './services';

const DEBOUNCE_MS = 250;

export class StageDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('stageLens');
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly store: AnalysisStore, private readonly findings: FindingsCache) {
    this.subscriptions.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((d) => this.update(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.collection.delete(d.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('stageLens')) this.updateAll(); }),
      findings.onDidChange(() => this.updateAll()),
      store.onDidChange((uri) => {
        const doc = uri && vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        if (doc) this.update(doc); else if (!uri) this.updateAll();
      }),
    );
    this.updateAll();
  }

  private schedule(doc: vscode.TextDocument): void {
    if (!isDockerfile(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => { this.timers.delete(key); this.update(doc); }, DEBOUNCE_MS));
  }

  updateAll(): void {
    for (const d of vscode.workspace.textDocuments) this.update(d);
  }

  update(doc: vscode.TextDocument): void {
    if (!isDockerfile(doc)) return;
    const out: vscode.Diagnostic[] = this.findings.get(doc).map((f) => findingDiagnostic(doc, f));
    // Build errors only while the text is the one that failed; after an edit the line may be wrong.
    const analysis = this.store.current(doc.uri, doc.getText());
    if (analysis) {
      for (const s of analysis.report.stages) {
        if (!s.error) continue;
        const line = Math.min(Math.max((s.error.line ?? s.line) - 1, 0), doc.lineCount - 1);
        const d = new vscode.Diagnostic(doc.lineAt(line).range, `Build failed: ${s.error.message}`, vscode.DiagnosticSeverity.Error);
        d.source = 'Stage Lens';
        d.code = 'build';
        out.push(d);
      }
    }
    this.collection.set(doc.uri, out);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.subscriptions) d.dispose();
  }
}

export function toRange(r: Finding['range']): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

function findingDiagnostic(doc: vscode.TextDocument, f: Finding): vscode.Diagnostic {
  const range = doc.validateRange(toRange(f.range));
  // Suggestions are advice, not errors: Information for the ones that cost size or safety, Hint for style.
  const severity = f.severity === 'hint' ? vscode.DiagnosticSeverity.Hint : vscode.DiagnosticSeverity.Information;
  const d = new vscode.Diagnostic(range, f.rationale ? `${f.message}\n${f.rationale}` : f.message, severity);
  d.source = 'Stage Lens';
  d.code = f.hadolint ? `${f.rule} (${f.hadolint})` : f.rule;
  return d;
}
