// Host side of the stage panel: one webview beside the editor that follows the active
// Dockerfile, restores after reload (serializer) and accepts only validated messages.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { parseWebviewMessage, type ComposeView, type ComposeWebviewMessage, type FilesListRequest, type HostMessage, type PanelAction, type PanelState, type WebviewMessage } from '../view/protocol';
import type { AnalysisReport } from '../core/report';
import { readConfig } from './config';
import type { LayerContentsCache } from './layerContents';
import { explainError } from '../view/errors';
import { stageContentsView } from '../view/files';
import { COMMANDS, PANEL_VIEW_TYPE } from './commandIds';
import { activeDockerfile, isDockerfile } from './documents';
import { panelHtml } from '../view/html';
import type { AnalysisStore } from './store';

const ACTION_COMMANDS: Record<PanelAction, string> = {
  analyze: COMMANDS.analyze,
  cancel: COMMANDS.cancel,
  refactor: COMMANDS.refactor,
  applyAndMeasure: COMMANDS.applyAndMeasure,
  showView: COMMANDS.focusView,
};

export class StagePanel implements vscode.Disposable, vscode.WebviewPanelSerializer {
  private panel: vscode.WebviewPanel | undefined;
  private panelSubscriptions: vscode.Disposable[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];
  private uri: vscode.Uri | undefined;
  private pendingFocus: number | undefined;
  /** The compose view shown instead of the Dockerfile (src/vscode/compose.ts drives it). */
  private compose: ComposeView | null = null;
  onComposeMessage: ((m: ComposeWebviewMessage) => void) | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly store: AnalysisStore, private readonly layerContents: LayerContentsCache) {
    this.uri = activeDockerfile()?.uri;
    this.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, this),
      store.onDidChange((uri) => { if (!uri || uri.toString() === this.uri?.toString()) this.postState(); }),
      store.onDidChangeProgress((uri) => {
        if (uri.toString() === this.uri?.toString()) this.post({ type: 'progress', progress: store.progress(uri) ?? null });
      }),
      vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e && isDockerfile(e.document) && e.document.uri.toString() !== this.uri?.toString()) this.follow(e.document.uri);
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.postState()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        // Only staleness can change on edits; avoid re-sending on every keystroke once stale.
        if (e.document.uri.toString() === this.uri?.toString() && this.panel) this.postStateDebounced();
      }),
    );
  }

  get documentUri(): vscode.Uri | undefined { return this.uri; }

  /** Opens (or reveals) the panel for a document, optionally scrolled to a stage. */
  show(uri: vscode.Uri | undefined, stageIndex?: number): void {
    if (uri) this.uri = uri;
    if (this.panel) {
      this.panel.reveal(this.panel.viewColumn ?? vscode.ViewColumn.Beside, true);
    } else {
      const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, this.title(), { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
        enableScripts: true,
        retainContextWhenHidden: false,
        localResourceRoots: this.resourceRoots(),
      });
      this.attach(panel);
    }
    this.postState();
    if (stageIndex !== undefined) {
      // A webview that is still loading misses messages; 'ready' delivers the focus again.
      this.pendingFocus = stageIndex;
      this.post({ type: 'focusStage', stageIndex });
    }
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const saved = state && typeof state === 'object' ? (state as { document?: { uri?: unknown } }).document : undefined;
    if (saved && typeof saved.uri === 'string') {
      try { this.uri = vscode.Uri.parse(saved.uri, true); } catch { /* keep the active Dockerfile */ }
    }
    panel.webview.options = { enableScripts: true, localResourceRoots: this.resourceRoots() };
    this.attach(panel);
  }

  private resourceRoots(): vscode.Uri[] {
    return [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')];
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.title = this.title();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'stagelens.svg');
    panel.webview.html = this.html(panel.webview);
    this.panelSubscriptions = [
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const msg = parseWebviewMessage(raw);
        if (msg) void this.handle(msg);
      }),
      panel.onDidDispose(() => {
        this.panel = undefined;
        for (const d of this.panelSubscriptions) d.dispose();
        this.panelSubscriptions = [];
      }),
    ];
  }

  /** Shows (or, with null, closes) the compose view; opens the panel when asked to reveal. */
  showCompose(view: ComposeView | null, reveal = true): void {
    this.compose = view;
    if (view && reveal) this.show(undefined);
    if (this.panel) this.panel.title = this.title();
    this.post({ type: 'compose', compose: view });
  }

  get composeShown(): boolean { return this.compose !== null; }

  private follow(uri: vscode.Uri): void {
    if (this.compose) this.showCompose(null, false);
    this.uri = uri;
    this.pendingFocus = undefined;
    if (this.panel) this.panel.title = this.title();
    this.postState();
  }

  private title(): string {
    if (this.compose) return `Stage Lens: ${this.compose.fileName}`;
    return `Stage Lens: ${this.uri ? this.uri.path.split('/').pop() : 'no Dockerfile'}`;
  }

  private async handle(msg: WebviewMessage): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.postState();
        if (this.pendingFocus !== undefined) this.post({ type: 'focusStage', stageIndex: this.pendingFocus });
        if (this.compose) this.post({ type: 'compose', compose: this.compose });
        return;
      case 'compose/analyze':
      case 'compose/openService':
      case 'compose/close':
        this.onComposeMessage?.(msg);
        return;
      case 'revealLine':
        if (this.uri) await revealLines(this.uri, msg.line, msg.endLine, { strict: true });
        return;
      case 'files/open':
        await this.openFiles(msg.stageIndex);
        return;
      case 'files/list':
        await this.listFiles(msg);
        return;
      case 'action':
        await vscode.commands.executeCommand(ACTION_COMMANDS[msg.action], this.uri);
        return;
      case 'focusStage':
        // The user scrolled to a stage in the panel: a later reload should not jump elsewhere.
        this.pendingFocus = msg.stageIndex;
        return;
    }
  }

  /** The image of one stage of the shown report, or why there is none. */
  private stageImage(stageIndex: number): { report: AnalysisReport; imageId: string } | { error: string } {
    const report = this.uri ? this.store.get(this.uri)?.report : undefined;
    const stage = report?.stages.find((s) => s.index === stageIndex);
    if (!report || !stage) return { error: 'This stage is not in the current analysis; analyze the stages again.' };
    if (!stage.imageId) return { error: stage.error ? 'This stage failed to build, so there is no image to inspect.' : 'This stage has no image to inspect.' };
    return { report, imageId: stage.imageId };
  }

  private async openFiles(stageIndex: number): Promise<void> {
    const target = this.stageImage(stageIndex);
    if ('error' in target) {
      this.post({ type: 'files/status', stageIndex, imageId: null, status: 'error', message: target.error });
      return;
    }
    const { report, imageId } = target;
    const endpoint = readConfig().endpoint;
    if (!this.layerContents.has(imageId, endpoint)) this.post({ type: 'files/status', stageIndex, imageId, status: 'loading' });
    try {
      const a = await this.layerContents.get(imageId, report, endpoint);
      this.post({ type: 'files/status', stageIndex, imageId, status: 'ready', contents: stageContentsView(a.report, imageId) });
    } catch (err) {
      const ex = explainError(err, endpoint);
      this.post({ type: 'files/status', stageIndex, imageId, status: 'error', message: `Could not read the layer contents: ${ex.message}${ex.fix ? ` ${ex.fix}` : ''}` });
    }
  }

  private async listFiles(req: FilesListRequest): Promise<void> {
    const target = this.stageImage(req.stageIndex);
    if ('error' in target) {
      this.post({ type: 'files/error', requestId: req.requestId, stageIndex: req.stageIndex, message: target.error });
      return;
    }
    const endpoint = readConfig().endpoint;
    try {
      const a = await this.layerContents.get(target.imageId, target.report, endpoint);
      const page = a.index.list({
        layer: req.layer, view: req.view, dir: req.dir, changes: req.changes, keepDirs: true, sort: req.sort, descending: req.descending, offset: req.offset, limit: req.limit,
      });
      this.post({ type: 'files/page', requestId: req.requestId, stageIndex: req.stageIndex, page: {
        dir: page.dir, layer: page.layer, view: page.view, total: page.total, offset: page.offset,
        entries: page.entries.map((e) => ({ ...e })),
      } });
    } catch (err) {
      this.post({ type: 'files/error', requestId: req.requestId, stageIndex: req.stageIndex, message: explainError(err, endpoint).message });
    }
  }

  private debounce: ReturnType<typeof setTimeout> | undefined;
  private postStateDebounced(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.postState(), 300);
  }

  postState(): void {
    if (!this.panel) return;
    this.panel.title = this.title();
    this.post({ type: 'state', state: this.state() });
  }

  private state(): PanelState {
    const uri = this.uri;
    const notice = vscode.workspace.isTrusted ? null
      : 'Restricted mode: building runs the Dockerfile\'s RUN commands, so analysis needs a trusted workspace. Suggestions and refactors still work.';
    if (!uri) return { document: null, report: null, stale: false, facts: null, comparison: null, progress: null, notice };
    const a = this.store.get(uri);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    return {
      document: { uri: uri.toString(), fileName: uri.path.split('/').pop() ?? uri.path },
      report: a?.report ?? null,
      stale: !!doc && this.store.isStale(uri, doc.getText()),
      facts: a?.facts ?? null,
      comparison: this.store.comparison(uri) ?? null,
      progress: this.store.progress(uri) ?? null,
      notice,
    };
  }

  private post(msg: HostMessage): void {
    void this.panel?.webview.postMessage(msg);
  }

  private html(webview: vscode.Webview): string {
    return panelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'panel.css')).toString(),
    });
  }

  dispose(): void {
    clearTimeout(this.debounce);
    this.layerContents.clear();
    this.panel?.dispose();
    for (const d of [...this.subscriptions, ...this.panelSubscriptions]) d.dispose();
  }
}

/**
 * Shows the document and selects the given 1-based lines, in the column it is already in.
 * `strict` (lines that came from the webview): a line past the end of the document is ignored.
 */
export async function revealLines(uri: vscode.Uri, line: number, endLine: number, opts: { strict?: boolean } = {}): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  if (opts.strict && line > doc.lineCount) return;
  const start = Math.min(Math.max(line - 1, 0), doc.lineCount - 1);
  const end = Math.min(Math.max(endLine - 1, start), doc.lineCount - 1);
  const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  const editor = await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One, preserveFocus: false });
  const range = new vscode.Range(start, 0, end, doc.lineAt(end).text.length);
  // Anchor at the end so the cursor (the active end) sits on the instruction's first line.
  editor.selection = new vscode.Selection(range.end, range.start);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
