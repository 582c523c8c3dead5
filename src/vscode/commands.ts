// The command table (DESIGN.md convention 2) and the long-running flows behind it:
// analyze, build one stage, refactor, apply-and-measure, clean up, pick an endpoint.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseDockerfile } from '../core/dockerfile/parse';
import { finalStage, formatBytes, type AnalysisReport } from '../core/report';
import { maskSecretArgs, maskSecretsInText } from '../core/secrets';
import { applyEdits, minimalLineEdits, type TextEdit } from '../core/refactor/edits';
import type { FinalImageFacts } from '../protocol';
import { COMMANDS } from './commandIds';
import { bindingNetwork, serviceBindings } from './composeBindings';
import { readConfig } from './config';
import { toRange } from './diagnostics';
import { activeDockerfile, isDockerfile, type FindingsCache } from './documents';
import { lineDiff } from './model/diff';
import { explainError } from './model/errors';
import { currentStepText, initialProgress, reduceProgress } from './model/progress';
import { stageLabel, summarize } from './model/stages';
import { revealLines, type StagePanel } from './panel';
import type { Analyzer, RefactorResult, Suggester } from './services';
import type { AnalysisStore, DocumentAnalysis } from './store';

export interface CommandDeps {
  store: AnalysisStore;
  panel: StagePanel;
  analyzer: Analyzer;
  suggester: Suggester;
  findings: FindingsCache;
  output: vscode.OutputChannel;
}

const FACTS_TIMEOUT_MS = 180_000;

const TRUST_MESSAGE = 'Stage Lens builds run the Dockerfile\'s RUN commands, so they need a trusted workspace. Static suggestions and refactors work without trust.';

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const flows = new Flows(deps);
  const table: Record<string, (...args: unknown[]) => unknown> = {
    [COMMANDS.analyze]: (uri) => flows.analyzeCommand(asUri(uri)),
    [COMMANDS.buildStage]: (uri, stageIndex) => flows.buildStage(asUri(uri), typeof stageIndex === 'number' ? stageIndex : undefined),
    [COMMANDS.openPanel]: (a, b) => flows.openPanel(a, b),
    [COMMANDS.focusView]: () => vscode.commands.executeCommand('stageLens.stages.focus'),
    [COMMANDS.applySuggestion]: (uri, id, version) => flows.applySuggestion(asUri(uri), typeof id === 'string' ? id : undefined, typeof version === 'number' ? version : undefined),
    [COMMANDS.refactor]: (uri) => flows.refactor(asUri(uri)),
    [COMMANDS.applyAndMeasure]: (uri) => flows.applyAndMeasure(asUri(uri)),
    [COMMANDS.cancel]: (uri) => flows.cancel(asUri(uri)),
    [COMMANDS.cleanUp]: () => flows.cleanUp(),
    [COMMANDS.selectEndpoint]: () => flows.selectEndpoint(),
    [COMMANDS.revealLayer]: (uri, line, endLine) => {
      const u = asUri(uri);
      if (u && typeof line === 'number') return revealLines(u, line, typeof endLine === 'number' ? endLine : line);
      return undefined;
    },
  };
  return Object.entries(table).map(([id, fn]) => vscode.commands.registerCommand(id, fn));
}

function asUri(v: unknown): vscode.Uri | undefined {
  return v instanceof vscode.Uri ? v : undefined;
}

class Flows {
  constructor(private readonly d: CommandDeps) {}

  private async resolveDocument(uri: vscode.Uri | undefined): Promise<vscode.TextDocument | undefined> {
    const target = uri ?? activeDockerfile()?.uri ?? this.d.panel.documentUri;
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

  private requireTrust(): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showWarningMessage(TRUST_MESSAGE, 'Manage Workspace Trust').then((pick) => {
      if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return false;
  }

  async analyzeCommand(uri: vscode.Uri | undefined): Promise<void> {
    const doc = await this.resolveDocument(uri);
    if (doc) await this.analyze(doc, {});
  }

  async buildStage(uri: vscode.Uri | undefined, stageIndex: number | undefined): Promise<void> {
    const doc = await this.resolveDocument(uri);
    if (!doc) return;
    let target = stageIndex;
    if (target === undefined) {
      const stages = parseDockerfile(doc.getText()).stages;
      const pick = await vscode.window.showQuickPick(stages.map((s) => ({
        label: s.name ?? `stage ${s.index}`, description: `line ${s.line} · FROM ${s.baseImage}`, index: s.index,
      })), { title: 'Build which stage?' });
      if (!pick) return;
      target = pick.index;
    }
    await this.analyze(doc, { target });
  }

  /**
   * Runs the analyzer on the document's current text (saved or not) with a cancellable
   * progress notification; stores and returns the result, or undefined on failure.
   */
  async analyze(doc: vscode.TextDocument, opts: { target?: number; titlePrefix?: string; inspectFinal?: boolean }): Promise<DocumentAnalysis | undefined> {
    if (!this.requireTrust()) return undefined;
    const { store, output, analyzer } = this.d;
    const ctrl = store.begin(doc.uri);
    if (!ctrl) {
      void vscode.window.showInformationMessage('An analysis of this Dockerfile is already running. Use "Stage Lens: Cancel Analysis" to stop it.');
      return undefined;
    }
    // A Dockerfile opened from a compose service builds as that service does (composeBindings.ts).
    const svc = serviceBindings.get(doc.uri);
    const base = readConfig(doc.uri);
    const cfg = svc ? { ...base, buildArgs: { ...base.buildArgs, ...svc.args }, network: bindingNetwork(svc, base.network) } : base;
    const text = doc.getText();
    const dockerfile = doc.uri.scheme === 'file' ? doc.uri.fsPath : path.join(this.contextFor(doc) ?? '', 'Dockerfile');
    const context = svc?.context ?? this.contextFor(doc);
    if (!context) {
      store.end(doc.uri);
      void vscode.window.showErrorMessage('Save the Dockerfile into a folder first: the build context is the folder it is in.');
      return undefined;
    }
    const mask = (s: string): string => maskSecretsInText(s, cfg.buildArgs);
    const started = Date.now();
    let progressView = initialProgress(opts.target !== undefined ? `Building stage ${opts.target}` : 'Analyzing stages');
    store.setProgress(doc.uri, progressView);
    const argText = Object.entries(maskSecretArgs(cfg.buildArgs)).map(([k, v]) => `${k}=${v}`).join(' ');
    output.appendLine(`[${new Date().toISOString()}] ${opts.titlePrefix ?? 'Analyze'} ${dockerfile} (context ${context}; endpoint ${cfg.endpoint || 'automatic'}; builder ${cfg.builder}; network ${cfg.network}${svc ? `; compose service ${svc.service}${svc.target ? ` target ${svc.target}` : ''}` : ''}${argText ? `; build args ${argText}` : ''})`);

    try {
      const report = await vscode.window.withProgress({
        location: vscode.ProgressLocation.Notification,
        title: `Stage Lens: ${opts.titlePrefix ? `${opts.titlePrefix} — ` : ''}${path.basename(dockerfile)}`,
        cancellable: true,
      }, async (progress, token) => {
        token.onCancellationRequested(() => ctrl.abort());
        let lastMessage = '';
        return analyzer.analyze({
          dockerfile, context, text, target: opts.target, targetName: svc?.target ?? undefined,
          buildArgs: cfg.buildArgs, builder: cfg.builder, network: cfg.network, endpoint: cfg.endpoint,
          signal: ctrl.signal,
          // Stages unchanged since the document's last analysis are reused (issue 11).
          previous: store.get(doc.uri) && { report: store.get(doc.uri)!.report, text: store.get(doc.uri)!.text },
          onProgress: (e) => {
            if (e.type === 'log') { output.append(mask(e.text.endsWith('\n') ? e.text : `${e.text}\n`)); return; }
            progressView = reduceProgress(progressView, e, Date.now() - started);
            store.setProgress(doc.uri, progressView);
            const message = mask(currentStepText(progressView));
            if (message !== lastMessage) { lastMessage = message; progress.report({ message }); }
            if (e.type === 'stage') output.appendLine(`--- ${mask(progressView.title)}`);
          },
        });
      });
      const merged = this.mergeWithPrevious(doc, text, report, opts.target !== undefined);
      const analysis: DocumentAnalysis = { report: merged, text, facts: dockerfileFacts(merged, text) };
      store.set(doc.uri, analysis);
      if (opts.inspectFinal !== false) void this.refineFacts(doc.uri, analysis, cfg.endpoint);
      this.d.findings.invalidate(doc.uri);
      this.reportOutcome(merged);
      return analysis;
    } catch (err) {
      const ex = explainError(err, cfg.endpoint);
      output.appendLine(mask(`${ex.kind === 'cancelled' ? 'Cancelled' : 'Failed'}: ${ex.message}${ex.fix ? ` ${ex.fix}` : ''}`));
      if (ex.kind === 'cancelled') { void vscode.window.showInformationMessage('Stage Lens: analysis cancelled.'); return undefined; }
      const actions = ex.kind === 'unreachable' || ex.kind === 'permission' ? ['Select Endpoint', 'Open Settings'] : ['Show Log'];
      void vscode.window.showErrorMessage(mask(`Stage Lens: ${ex.message}${ex.fix ? ` ${ex.fix}` : ''}`), ...actions).then((pick) => {
        if (pick === 'Select Endpoint') void vscode.commands.executeCommand(COMMANDS.selectEndpoint);
        else if (pick === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'stageLens.engine');
        else if (pick === 'Show Log') output.show(true);
      });
      return undefined;
    } finally {
      store.end(doc.uri);
    }
  }

  private contextFor(doc: vscode.TextDocument): string | undefined {
    if (doc.uri.scheme === 'file') return path.dirname(doc.uri.fsPath);
    return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
  }

  /** A single-stage build updates that stage inside an earlier report of the same text. */
  private mergeWithPrevious(doc: vscode.TextDocument, text: string, report: AnalysisReport, partial: boolean): AnalysisReport {
    const prev = this.d.store.get(doc.uri);
    if (!partial || !prev || prev.text !== text) return report;
    const byIndex = new Map(prev.report.stages.map((s) => [s.index, s]));
    for (const s of report.stages) byIndex.set(s.index, s);
    return { ...report, stages: [...byIndex.values()].sort((a, b) => a.index - b.index) };
  }

  /**
   * Reads the final image's contents (compilers, shells, …) after the analysis is shown: it
   * streams the whole image, so the lenses and panel must not wait for it.
   */
  private async refineFacts(uri: vscode.Uri, analysis: DocumentAnalysis, endpoint: string): Promise<void> {
    if (!this.d.analyzer.finalImageFacts || analysis.report.cancelled) return;
    try {
      const facts = await this.d.analyzer.finalImageFacts(analysis.report, endpoint, AbortSignal.timeout(FACTS_TIMEOUT_MS));
      if (facts && this.d.store.get(uri) === analysis) this.d.store.set(uri, { ...analysis, facts });
    } catch (err) {
      this.d.output.appendLine(`Final-image contents not inspected: ${explainError(err, endpoint).message}`);
    }
  }

  private reportOutcome(report: AnalysisReport): void {
    const failed = report.stages.find((s) => s.error);
    const fin = finalStage(report);
    if (failed) {
      this.d.output.appendLine(`Stage ${stageLabel(failed)} failed${failed.error!.line ? ` at line ${failed.error!.line}` : ''}: ${failed.error!.message}`);
      void vscode.window.showWarningMessage(`Stage Lens: stage ${stageLabel(failed)} failed${failed.error!.line ? ` at line ${failed.error!.line}` : ''}. See the Problems view and the "Stage Lens" output.`);
    } else if (report.cancelled) {
      void vscode.window.showInformationMessage('Stage Lens: analysis cancelled; showing the stages built so far.');
    } else if (fin) {
      this.d.output.appendLine(`Done: final image ${stageLabel(fin)} ${formatBytes(fin.sizeBytes)}.`);
    }
  }

  openPanel(a: unknown, b: unknown): void {
    const uri = asUri(a) ?? asUri(b) ?? activeDockerfile()?.uri ?? this.d.panel.documentUri;
    const stage = typeof a === 'number' ? a : typeof b === 'number' ? b : undefined;
    this.d.panel.show(uri, stage);
  }

  cancel(uri: vscode.Uri | undefined): void {
    if (!this.d.store.cancel(uri) && !this.d.store.cancel()) void vscode.window.showInformationMessage('Stage Lens: no analysis is running.');
  }

  async applySuggestion(uri: vscode.Uri | undefined, findingId: string | undefined, version: number | undefined): Promise<void> {
    const doc = await this.resolveDocument(uri);
    if (!doc || !findingId) return;
    if (version !== undefined && doc.version !== version) {
      void vscode.window.showWarningMessage('Stage Lens: the Dockerfile changed since this suggestion was computed, so it was not applied. Use the refreshed lens or lightbulb.');
      return;
    }
    const f = this.d.findings.get(doc).find((x) => x.id === findingId);
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
    const doc = await this.resolveDocument(uri);
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
    const doc = await this.resolveDocument(uri);
    if (!doc || !this.requireTrust()) return;
    const r = this.refactorResult(doc);
    if (!r) return;
    const beforeText = doc.getText();
    const prev = this.d.store.get(doc.uri);
    const complete = prev && prev.text === beforeText && !prev.report.cancelled && prev.report.stages.every((s) => !s.error && s.sizeBytes !== null);
    const before = complete ? prev : await this.analyze(doc, { titlePrefix: 'Measure before refactor', inspectFinal: false });
    if (!before) return;
    // The user asked to apply and measure, so the edit is applied without a preview; it stays undoable.
    const ok = await vscode.workspace.applyEdit(this.refactorEdit(doc, r, false));
    if (!ok || doc.getText() === beforeText) { void vscode.window.showWarningMessage('Stage Lens: the refactor could not be applied to the document.'); return; }
    const afterText = doc.getText();
    const after = await this.analyze(doc, { titlePrefix: 'Measure after refactor' });
    if (!after) return;
    const comparison = { before: summarize(before.report), after: summarize(after.report), diff: lineDiff(beforeText, afterText) };
    this.d.store.setComparison(doc.uri, comparison);
    this.d.panel.show(doc.uri);
    const b = comparison.before.finalBytes, a = comparison.after.finalBytes;
    if (b !== null && a !== null) {
      void vscode.window.showInformationMessage(`Stage Lens: final image ${formatBytes(b)} → ${formatBytes(a)} (${a <= b ? '−' : '+'}${formatBytes(Math.abs(b - a))}).`);
    }
  }

  async cleanUp(): Promise<void> {
    const cfg = readConfig(activeDockerfile()?.uri);
    const ctrl = new AbortController();
    try {
      const res = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Stage Lens: removing Stage Lens images', cancellable: true }, (_p, token) => {
        token.onCancellationRequested(() => ctrl.abort());
        return this.d.analyzer.cleanUp(cfg.endpoint, ctrl.signal);
      });
      const freed = res.freedBytes !== null ? ` (${formatBytes(res.freedBytes)} freed)` : '';
      void vscode.window.showInformationMessage(`Stage Lens: removed ${res.removed} image${res.removed === 1 ? '' : 's'} it had built${freed}.`);
    } catch (err) {
      const ex = explainError(err, cfg.endpoint);
      if (ex.kind !== 'cancelled') void vscode.window.showErrorMessage(`Stage Lens: ${ex.message}${ex.fix ? ` ${ex.fix}` : ''}`);
    }
  }

  async selectEndpoint(): Promise<void> {
    type Item = vscode.QuickPickItem & { endpoint?: string; custom?: boolean };
    const current = readConfig().endpoint;
    let found: Item[] = [];
    try {
      found = (await this.d.analyzer.listEndpoints()).map((c) => ({ label: c.label, description: c.endpoint, detail: c.detail, endpoint: c.endpoint }));
    } catch { /* contexts unreadable: automatic and custom still work */ }
    const items: Item[] = [
      { label: '$(sync) Automatic', detail: 'DOCKER_HOST, then the current Docker context, then the default socket', endpoint: '' },
      ...found,
      { label: '$(edit) Custom endpoint…', detail: 'unix:///path/to/docker.sock, tcp://host:2375, npipe:////./pipe/docker_engine', custom: true },
    ];
    for (const i of items) if (!i.custom && i.endpoint === current) i.description = `${i.description ?? ''} (current)`.trim();
    const pick = await vscode.window.showQuickPick(items, { title: 'Docker endpoint for Stage Lens', matchOnDescription: true });
    if (!pick) return;
    let endpoint = pick.endpoint ?? '';
    if (pick.custom) {
      const input = await vscode.window.showInputBox({
        title: 'Docker endpoint', value: current, prompt: 'unix://, tcp://, ssh:// or npipe:// URL of a Docker Engine',
        validateInput: (v) => v.trim() === '' || /^(unix|tcp|ssh|npipe|http|https):\/\//.test(v.trim()) ? undefined : 'Use a unix://, tcp://, ssh:// or npipe:// URL.',
      });
      if (input === undefined) return;
      endpoint = input.trim();
    }
    await vscode.workspace.getConfiguration('stageLens').update('engine.endpoint', endpoint, vscode.ConfigurationTarget.Global);
    void vscode.window.showInformationMessage(`Stage Lens: Docker endpoint set to ${endpoint || 'automatic'}.`);
  }
}

/** What the Dockerfile alone says about the final image (its USER); the image is not read. */
function dockerfileFacts(report: AnalysisReport, text: string): FinalImageFacts | null {
  const fin = finalStage(report);
  const stage = fin ? parseDockerfile(text).stages[fin.index] : undefined;
  if (!stage) return null;
  const users = stage.instructions.filter((i) => i.keyword === 'USER');
  return { user: users.length ? users[users.length - 1]!.args : null, contentsKnown: false, compilers: [], packageManagers: [], shells: [] };
}

/** The fix's edits re-expressed as minimal line hunks of the same result (see minimalLineEdits). */
function previewEdits(text: string, edits: TextEdit[]): TextEdit[] {
  try {
    return minimalLineEdits(text, applyEdits(text, edits));
  } catch {
    return edits; // overlapping edits cannot be re-expressed; apply them as given
  }
}
