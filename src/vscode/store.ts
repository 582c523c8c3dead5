// Per-document analysis state shared by lenses, diagnostics, tree, status bar and panel.
// One EventEmitter; every view refreshes from it.
import * as vscode from 'vscode';
import { sameDockerfileText } from '../core/hash';
import type { AnalysisReport } from '../core/report';
import type { ComparisonView, FinalImageFacts, ProgressView } from '../view/protocol';

export interface DocumentAnalysis {
  report: AnalysisReport;
  /** The exact text the report was made from. */
  text: string;
  facts: FinalImageFacts | null;
}

const NO_SIZES: Readonly<Record<string, number>> = Object.freeze({});

export class AnalysisStore implements vscode.Disposable {
  private readonly analyses = new Map<string, DocumentAnalysis>();
  // Earlier analyses of other texts of the same document (before/after apply-and-measure): a fix
  // whose result was built gets a measured saving when the user is back on the original text.
  private readonly history = new Map<string, DocumentAnalysis[]>();
  private readonly comparisons = new Map<string, ComparisonView>();
  private readonly running = new Map<string, AbortController>();
  private readonly progressByUri = new Map<string, ProgressView>();
  // Unpacked sizes of images the engine has (reference → bytes), per configured endpoint (two
  // engines may hold different builds of one tag): the slim bases that rewrite estimates subtract.
  private readonly sizesByEndpoint = new Map<string, Readonly<Record<string, number>>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri | undefined>();
  private readonly progressChanged = new vscode.EventEmitter<vscode.Uri>();
  private readonly imageSizesChanged = new vscode.EventEmitter<string>();
  readonly onDidChange = this.changed.event;
  readonly onDidChangeProgress = this.progressChanged.event;
  /** Fires with the endpoint whose image sizes changed. */
  readonly onDidChangeImageSizes = this.imageSizesChanged.event;

  get(uri: vscode.Uri): DocumentAnalysis | undefined { return this.analyses.get(uri.toString()); }

  /** The analysis only while it describes `text` (the one place that decides staleness). */
  current(uri: vscode.Uri, text: string): DocumentAnalysis | undefined {
    const a = this.analyses.get(uri.toString());
    return a && sameDockerfileText(a.text, text) ? a : undefined;
  }

  /** Whether there is an analysis for `uri` that no longer describes `text`. */
  isStale(uri: vscode.Uri, text: string): boolean {
    const a = this.analyses.get(uri.toString());
    return !!a && !sameDockerfileText(a.text, text);
  }

  set(uri: vscode.Uri, a: DocumentAnalysis): void {
    this.analyses.set(uri.toString(), a);
    const h = (this.history.get(uri.toString()) ?? []).filter((x) => x.text !== a.text);
    this.history.set(uri.toString(), [a, ...h].slice(0, 4));
    this.changed.fire(uri);
  }

  /** The latest analyses of this document, newest first, one per distinct text. */
  recent(uri: vscode.Uri): readonly DocumentAnalysis[] { return this.history.get(uri.toString()) ?? []; }

  comparison(uri: vscode.Uri): ComparisonView | undefined { return this.comparisons.get(uri.toString()); }

  setComparison(uri: vscode.Uri, c: ComparisonView | undefined): void {
    if (c) this.comparisons.set(uri.toString(), c); else this.comparisons.delete(uri.toString());
    this.changed.fire(uri);
  }

  isRunning(uri?: vscode.Uri): boolean { return uri ? this.running.has(uri.toString()) : this.running.size > 0; }

  /** Registers a run; returns null when one is already running for this document. */
  begin(uri: vscode.Uri): AbortController | null {
    if (this.running.has(uri.toString())) return null;
    const ctrl = new AbortController();
    this.running.set(uri.toString(), ctrl);
    void vscode.commands.executeCommand('setContext', 'stageLens.analysisRunning', true);
    this.changed.fire(uri);
    return ctrl;
  }

  end(uri: vscode.Uri): void {
    this.running.delete(uri.toString());
    this.progressByUri.delete(uri.toString());
    void vscode.commands.executeCommand('setContext', 'stageLens.analysisRunning', this.running.size > 0);
    this.changed.fire(uri);
  }

  cancel(uri?: vscode.Uri): boolean {
    const targets = uri ? [this.running.get(uri.toString())] : [...this.running.values()];
    let any = false;
    for (const c of targets) if (c) { c.abort(); any = true; }
    return any;
  }

  imageSizes(endpoint: string): Readonly<Record<string, number>> { return this.sizesByEndpoint.get(endpoint) ?? NO_SIZES; }

  /** Adds sizes the engine reported; fires only when a number is new or different. */
  setImageSizes(endpoint: string, sizes: Readonly<Record<string, number>>): void {
    const had = this.imageSizes(endpoint);
    if (Object.entries(sizes).every(([ref, n]) => had[ref] === n)) return;
    this.sizesByEndpoint.set(endpoint, { ...had, ...sizes });
    this.imageSizesChanged.fire(endpoint);
  }

  progress(uri: vscode.Uri): ProgressView | undefined { return this.progressByUri.get(uri.toString()); }

  setProgress(uri: vscode.Uri, p: ProgressView): void {
    this.progressByUri.set(uri.toString(), p);
    this.progressChanged.fire(uri);
  }

  forget(uri: vscode.Uri): void {
    this.analyses.delete(uri.toString());
    this.history.delete(uri.toString());
    this.comparisons.delete(uri.toString());
    this.changed.fire(uri);
  }

  dispose(): void {
    this.cancel();
    this.changed.dispose();
    this.progressChanged.dispose();
    this.imageSizesChanged.dispose();
  }
}
