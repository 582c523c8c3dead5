// The analyse flow: analyse the whole Dockerfile or build one stage, store the report, then
// read the final image's contents in the background. Apply-and-measure reuses `analyze`.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseDockerfile } from '../../core/dockerfile/parse';
import { finalStage, formatBytes, type AnalysisReport } from '../../core/report';
import { maskSecretArgs, maskSecretsInText } from '../../core/secrets';
import type { FinalImageFacts } from '../../view/protocol';
import { explainError } from '../../view/errors';
import { currentStepText, initialProgress, reduceProgress } from '../../view/progress';
import { stageLabel } from '../../view/stages';
import { abortOnCancel } from '../cancellation';
import { COMMANDS } from '../commandIds';
import { bindingNetwork, serviceBindings } from '../composeBindings';
import { readConfig } from '../config';
import type { DocumentAnalysis } from '../store';
import { requireTrust, resolveDocument, type CommandDeps } from './shared';

const FACTS_TIMEOUT_MS = 180_000;
/** A few inspect and history calls: an engine that takes longer is not asked again this time. */
const SIZES_TIMEOUT_MS = 15_000;

export class AnalyzeFlow {
  constructor(private readonly d: CommandDeps) {}

  async analyzeCommand(uri: vscode.Uri | undefined): Promise<void> {
    const doc = await resolveDocument(this.d, uri);
    if (doc) await this.analyze(doc, {});
  }

  async buildStage(uri: vscode.Uri | undefined, stageIndex: number | undefined): Promise<void> {
    const doc = await resolveDocument(this.d, uri);
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
    if (!requireTrust()) return undefined;
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

    const subscriptions: vscode.Disposable[] = [];
    try {
      const report = await vscode.window.withProgress({
        location: vscode.ProgressLocation.Notification,
        title: `Stage Lens: ${opts.titlePrefix ? `${opts.titlePrefix} — ` : ''}${path.basename(dockerfile)}`,
        cancellable: true,
      }, async (progress, token) => {
        subscriptions.push(abortOnCancel(token, ctrl));
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
      void this.refineImageSizes(doc, cfg.endpoint);
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
      for (const sub of subscriptions) sub.dispose();
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

  /**
   * Asks the engine the unpacked sizes of the base images the current findings' rewrites would
   * run on (images it already has; nothing is pulled), so an estimated saving subtracts the real
   * slim base rather than a typical size. After the result is shown, never in its way; when the
   * engine cannot tell, the typical sizes stay and nothing is said.
   */
  private async refineImageSizes(doc: vscode.TextDocument, endpoint: string): Promise<void> {
    const { analyzer, suggester, findings, store } = this.d;
    if (!analyzer.imageSizes || !suggester.rewriteBases) return;
    try {
      await new Promise((r) => setImmediate(r)); // the findings are computed off the analysis' own turn
      const refs = suggester.rewriteBases(doc.getText(), findings.get(doc));
      if (refs.length === 0) return;
      store.setImageSizes(endpoint, await analyzer.imageSizes(refs, endpoint, AbortSignal.timeout(SIZES_TIMEOUT_MS)));
    } catch { /* an estimate with the typical size is still honest */ }
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
}

/** What the Dockerfile alone says about the final image (its USER); the image is not read. */
function dockerfileFacts(report: AnalysisReport, text: string): FinalImageFacts | null {
  const fin = finalStage(report);
  const stage = fin ? parseDockerfile(text).stages[fin.index] : undefined;
  if (!stage) return null;
  const users = stage.instructions.filter((i) => i.keyword === 'USER');
  return { user: users.length ? users[users.length - 1]!.args : null, contentsKnown: false, compilers: [], packageManagers: [], shells: [] };
}
