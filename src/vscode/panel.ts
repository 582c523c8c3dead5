// Host side of the stage panel: one webview beside the editor that follows the active
// Dockerfile, restores after reload (serializer) and accepts only validated messages.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { parseWebviewMessage, type HostMessage, type PanelAction, type PanelState, type WebviewMessage } from '../protocol';
import { COMMANDS, PANEL_VIEW_TYPE } from './commandIds';
import { activeDockerfile, isDockerfile } from './documents';
import { panelHtml } from './model/html';
import type { AnalysisStore } from './store';
import { sameDockerfileText } from './model/lenses';

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

  constructor(private readonly extensionUri: vscode.Uri, private readonly store: AnalysisStore) {
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

  private follow(uri: vscode.Uri): void {
    this.uri = uri;
    this.pendingFocus = undefined;
    if (this.panel) this.panel.title = this.title();
    this.postState();
  }

  private title(): string {
    return `Stage Lens: ${this.uri ? this.uri.path.split('/').pop() : 'no Dockerfile'}`;
  }

  private async handle(msg: WebviewMessage): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.postState();
        if (this.pendingFocus !== undefined) this.post({ type: 'focusStage', stageIndex: this.pendingFocus });
        return;
      case 'revealLine':
        if (this.uri) await revealLines(this.uri, msg.line, msg.endLine);
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
      stale: !!a && !!doc && !sameDockerfileText(a.text, doc.getText()),
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
    this.panel?.dispose();
    for (const d of [...this.subscriptions, ...this.panelSubscriptions]) d.dispose();
  }
}

/** Shows the document and selects the given 1-based lines, in the column it is already in. */
export async function revealLines(uri: vscode.Uri, line: number, endLine: number): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const start = Math.min(Math.max(line - 1, 0), doc.lineCount - 1);
  const end = Math.min(Math.max(endLine - 1, start), doc.lineCount - 1);
  const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  const editor = await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One, preserveFocus: false });
  const range = new vscode.Range(start, 0, end, doc.lineAt(end).text.length);
  // Anchor at the end so the cursor (the active end) sits on the instruction's first line.
  editor.selection = new vscode.Selection(range.end, range.start);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
