// Compare with HEAD: builds the Dockerfile as committed and as it is in the editor (saved or
// not) on the same engine, shows the per-stage and per-line deltas in the panel's comparison
// view, and puts `+48 MB vs HEAD` lenses on the lines that grew. A "Compare with HEAD" lens sits
// on the first FROM while the text differs from HEAD.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DiffReport } from '../core/diff';
import { parseDockerfile } from '../core/dockerfile/parse';
import { GitBaseError, readAtRevision } from '../engine/git';
import { finalStage, formatBytes, type AnalysisReport } from '../core/report';
import type { FinalImageFacts } from '../view/protocol';
import { maskSecretsInText } from '../core/secrets';
import { COMMANDS } from './commandIds';
import { abortOnCancel } from './cancellation';
import { readConfig } from './config';
import { activeDockerfile, DOCKERFILE_SELECTOR, isDockerfile } from './documents';
import { comparisonView, compareLenses } from './compareModel';
import { explainError } from '../view/errors';
import { sameDockerfileText } from '../core/hash';
import type { StagePanel } from './panel';
import type { AnalysisStore } from './store';

const COMPARE_HEAD_COMMAND = COMMANDS.compareHead;

// git.ts only spawns git, so the lenses can use it without loading the engine module (dockerode),
// which waits behind the same dynamic import as the analyzer's until a comparison runs.
const loadEngine = () => import('./engineModule');

interface Compared { diff: DiffReport; text: string }

/** HEAD's text per file, re-read when older than this (git show is a few ms). */
const HEAD_TTL_MS = 4000;

export class CompareController implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly compared = new Map<string, Compared>();
  private readonly heads = new Map<string, { at: number; text: string | null }>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly store: AnalysisStore, private readonly panel: StagePanel, private readonly output: vscode.OutputChannel) {
    this.subscriptions.push(
      vscode.commands.registerCommand(COMPARE_HEAD_COMMAND, (uri: unknown) => this.compareWithHead(uri instanceof vscode.Uri ? uri : undefined)),
      vscode.languages.registerCodeLensProvider(DOCKERFILE_SELECTOR, this),
      // A commit changes HEAD; saving is the usual moment just before one.
      vscode.workspace.onDidSaveTextDocument(() => { this.heads.clear(); this.changed.fire(); }),
      store.onDidChange(() => this.changed.fire()),
    );
  }

  private async headText(uri: vscode.Uri): Promise<string | null> {
    const key = uri.toString();
    const hit = this.heads.get(key);
    if (hit && Date.now() - hit.at < HEAD_TTL_MS) return hit.text;
    let text: string | null = null;
    try { text = (await readAtRevision(uri.fsPath, 'HEAD')).text; } catch { text = null; }
    this.heads.set(key, { at: Date.now(), text });
    return text;
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (doc.uri.scheme !== 'file') return [];
    const out: vscode.CodeLens[] = [];
    const current = doc.getText();
    const c = this.compared.get(doc.uri.toString());
    if (c) {
      for (const l of compareLenses(c.diff, c.text, current)) {
        if (l.line < doc.lineCount) out.push(new vscode.CodeLens(doc.lineAt(l.line).range, { title: l.title, tooltip: l.tooltip, command: COMPARE_HEAD_COMMAND, arguments: [doc.uri] }));
      }
    }
    const head = await this.headText(doc.uri);
    const first = parseDockerfile(current).stages[0];
    if (first && head !== null && !sameDockerfileText(head, current) && !this.store.isRunning(doc.uri)) {
      const fresh = c && sameDockerfileText(c.text, current);
      out.push(new vscode.CodeLens(doc.lineAt(first.from.range.start.line).range, {
        title: fresh ? '$(git-compare) Compared with HEAD' : '$(git-compare) Compare with HEAD',
        tooltip: 'Build the Dockerfile as committed and as it is now, and show what the change costs per stage and per line',
        command: COMPARE_HEAD_COMMAND, arguments: [doc.uri],
      }));
    }
    return out;
  }

  async compareWithHead(uri: vscode.Uri | undefined): Promise<void> {
    const target = uri ?? activeDockerfile()?.uri ?? this.panel.documentUri;
    if (!target) { void vscode.window.showInformationMessage('Open a Dockerfile first: Compare with HEAD works on the Dockerfile in the active editor.'); return; }
    const doc = await vscode.workspace.openTextDocument(target);
    if (!isDockerfile(doc) || doc.uri.scheme !== 'file') { void vscode.window.showInformationMessage('Compare with HEAD needs a Dockerfile saved in a git repository.'); return; }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Stage Lens builds run the Dockerfile\'s RUN commands, so Compare with HEAD needs a trusted workspace.');
      return;
    }
    let baseText: string;
    try {
      baseText = (await readAtRevision(doc.uri.fsPath, 'HEAD')).text;
    } catch (err) {
      void vscode.window.showInformationMessage(`Stage Lens: ${err instanceof GitBaseError ? err.message.replace(/ ?(Compare with a file instead|Commit it first, or use|or use) --base-file FILE\.?/, '') : explainError(err, '').message}`);
      return;
    }
    const text = doc.getText();
    if (sameDockerfileText(baseText, text)) { void vscode.window.showInformationMessage(`Stage Lens: ${path.basename(doc.uri.fsPath)} is the same as in HEAD; nothing to compare.`); return; }
    const ctrl = this.store.begin(doc.uri);
    if (!ctrl) { void vscode.window.showInformationMessage('An analysis of this Dockerfile is already running. Use "Stage Lens: Cancel Analysis" to stop it.'); return; }
    const cfg = readConfig(doc.uri);
    const mask = (s: string): string => maskSecretsInText(s, cfg.buildArgs);
    this.output.appendLine(`[${new Date().toISOString()}] Compare with HEAD ${doc.uri.fsPath} (endpoint ${cfg.endpoint || 'automatic'})`);
    const subscriptions: vscode.Disposable[] = [];
    try {
      const result = await vscode.window.withProgress({
        location: vscode.ProgressLocation.Notification, title: `Stage Lens: Compare with HEAD — ${path.basename(doc.uri.fsPath)}`, cancellable: true,
      }, async (progress, token) => {
        subscriptions.push(abortOnCancel(token, ctrl));
        const mod = await loadEngine();
        const connection = await mod.connectEngine({ explicit: cfg.endpoint || undefined, signal: ctrl.signal });
        return mod.compareDockerfile({
          dockerfilePath: doc.uri.fsPath, contextDir: path.dirname(doc.uri.fsPath), text, baseText, base: { kind: 'git', ref: 'HEAD' },
          connection, buildArgs: cfg.buildArgs, builder: cfg.builder, network: cfg.network === 'default' ? undefined : cfg.network,
          signal: ctrl.signal, topFiles: 10,
          onProgress: (side, e) => {
            if (e.type === 'stage-start') progress.report({ message: mask(`${side === 'base' ? 'HEAD' : 'working copy'}: stage ${e.name ?? e.stage} (${e.position}/${e.count})`) });
            else if (e.type === 'log') this.output.append(mask(e.text.endsWith('\n') ? e.text : `${e.text}\n`));
          },
        });
      });
      this.compared.set(doc.uri.toString(), { diff: result.diff, text });
      // The working copy's analysis feeds the usual lenses, tree and panel sections too.
      this.store.set(doc.uri, { report: result.after, text, facts: userFacts(result.after, text) });
      this.store.setComparison(doc.uri, comparisonView(result.diff, { text: baseText, report: result.before }, { text, report: result.after }));
      this.panel.show(doc.uri);
      const f = result.diff.final;
      this.output.appendLine(`Compared with HEAD: final image ${formatBytes(f.before?.sizeBytes)} → ${formatBytes(f.after?.sizeBytes)}.`);
      this.changed.fire();
    } catch (err) {
      const ex = explainError(err, cfg.endpoint);
      this.output.appendLine(mask(`Compare with HEAD ${ex.kind === 'cancelled' ? 'cancelled' : `failed: ${ex.message}${ex.fix ? ` ${ex.fix}` : ''}`}`));
      if (ex.kind !== 'cancelled') void vscode.window.showErrorMessage(mask(`Stage Lens: Compare with HEAD failed: ${ex.message}${ex.fix ? ` ${ex.fix}` : ''}`));
    } finally {
      for (const sub of subscriptions) sub.dispose();
      this.store.end(doc.uri);
    }
  }

  dispose(): void {
    this.changed.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}

/** The final stage's USER, as the analyze flow records it (the image contents are not read here). */
function userFacts(report: AnalysisReport, text: string): FinalImageFacts | null {
  const fin = finalStage(report);
  const stage = fin ? parseDockerfile(text).stages[fin.index] : undefined;
  if (!stage) return null;
  const users = stage.instructions.filter((i) => i.keyword === 'USER');
  return { user: users.length ? users[users.length - 1]!.args : null, contentsKnown: false, compilers: [], packageManagers: [], shells: [] };
}
