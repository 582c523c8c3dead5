// Sidebar: the active Dockerfile's stages, each expanding to its layers. Follows the active
// editor; clicking a layer reveals its line.
import * as vscode from 'vscode';
import { formatBytes, formatDuration, formatSizeWithPull, type LayerReport, type StageReport } from '../core/report';
import { COMMANDS } from './commandIds';
import { activeDockerfile } from './documents';
import { baseLabel, filesystemLayers, isFinal, stageLabel } from '../view/stages';
import type { AnalysisStore } from './store';
import { firstLineOf } from '../core/firstLine';

type Node =
  | { kind: 'stage'; uri: vscode.Uri; stage: StageReport; final: boolean; base: string; stale: boolean }
  | { kind: 'base'; uri: vscode.Uri; stage: StageReport; layers: LayerReport[]; base: string }
  | { kind: 'layer'; uri: vscode.Uri; stage: StageReport; layer: LayerReport };

export class StagesTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private uri: vscode.Uri | undefined = activeDockerfile()?.uri;

  constructor(private readonly store: AnalysisStore) {
    this.subscriptions.push(
      store.onDidChange(() => this.changed.fire(undefined)),
      vscode.window.onDidChangeActiveTextEditor(() => {
        const doc = activeDockerfile();
        if (doc && doc.uri.toString() !== this.uri?.toString()) { this.uri = doc.uri; this.changed.fire(undefined); }
      }),
      vscode.workspace.onDidChangeTextDocument((e) => { if (e.document.uri.toString() === this.uri?.toString()) this.changed.fire(undefined); }),
    );
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      if (!this.uri) return [];
      const a = this.store.get(this.uri);
      if (!a) return [];
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === this.uri!.toString());
      const stale = !!doc && this.store.isStale(this.uri, doc.getText());
      const uri = this.uri;
      return a.report.stages.map((s) => ({ kind: 'stage', uri, stage: s, final: isFinal(a.report, s), base: baseLabel(a.report, s), stale }));
    }
    if (node.kind === 'stage') {
      const own = node.stage.layers.filter((l) => !l.fromBase);
      const base = node.stage.layers.filter((l) => l.fromBase);
      const out: Node[] = [];
      if (base.length) out.push({ kind: 'base', uri: node.uri, stage: node.stage, layers: base, base: node.base });
      for (const l of own) out.push({ kind: 'layer', uri: node.uri, stage: node.stage, layer: l });
      return out;
    }
    if (node.kind === 'base') return node.layers.map((l) => ({ kind: 'layer', uri: node.uri, stage: node.stage, layer: l }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'stage') {
      const s = node.stage;
      const item = new vscode.TreeItem(stageLabel(s), vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `${node.uri.toString()}#stage${s.index}`;
      const n = filesystemLayers(s).length;
      item.description = s.error ? 'failed' : `${formatSizeWithPull(s.sizeBytes, s.pullSizeBytes)} · ${n} layers · ${formatDuration(s.buildMs)}${node.final ? ' · final' : ''}${node.stale ? ' (stale)' : ''}`;
      item.tooltip = s.error ? s.error.message : `FROM ${s.baseImage} (line ${s.line})`;
      item.iconPath = new vscode.ThemeIcon(s.error ? 'error' : node.final ? 'package' : 'layers');
      item.command = { command: COMMANDS.openPanel, title: 'Open in panel', arguments: [s.index, node.uri] };
      item.contextValue = 'stage';
      return item;
    }
    if (node.kind === 'base') {
      const bytes = node.layers.reduce((a, l) => a + l.sizeBytes, 0);
      const item = new vscode.TreeItem(node.base, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `${node.uri.toString()}#stage${node.stage.index}#base`;
      item.description = `${formatBytes(bytes)} · ${node.layers.filter((l) => !l.empty).length} base layers`;
      item.iconPath = new vscode.ThemeIcon('archive');
      return item;
    }
    const l = node.layer;
    const label = firstLineOf(l.instruction || l.createdBy, 80);
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    item.id = `${node.uri.toString()}#stage${node.stage.index}#layer${l.index}`;
    item.description = `${l.empty ? '0 B' : formatBytes(l.sizeBytes)}${l.line ? ` · line ${l.line}` : ''}${l.cached ? ' · cached' : ''}`;
    item.tooltip = l.instruction ?? l.createdBy;
    item.iconPath = new vscode.ThemeIcon(l.empty ? 'circle-outline' : 'circle-filled');
    if (l.line !== null) item.command = { command: COMMANDS.revealLayer, title: 'Reveal line', arguments: [node.uri, l.line, l.endLine ?? l.line] };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
