// Panel-side commands: open the panel on a document/stage, reveal a layer's lines, cancel.
import * as vscode from 'vscode';
import { activeDockerfile } from '../documents';
import { revealLines } from '../panel';
import { asUri, type CommandDeps } from './shared';

export function openPanel(d: CommandDeps, a: unknown, b: unknown): void {
  const uri = asUri(a) ?? asUri(b) ?? activeDockerfile()?.uri ?? d.panel.documentUri;
  const stage = typeof a === 'number' ? a : typeof b === 'number' ? b : undefined;
  d.panel.show(uri, stage);
}

export function revealLayer(uri: unknown, line: unknown, endLine: unknown): Thenable<unknown> | undefined {
  const u = asUri(uri);
  if (u && typeof line === 'number') return revealLines(u, line, typeof endLine === 'number' ? endLine : line);
  return undefined;
}

export function cancel(d: CommandDeps, uri: vscode.Uri | undefined): void {
  if (!d.store.cancel(uri) && !d.store.cancel()) void vscode.window.showInformationMessage('Stage Lens: no analysis is running.');
}
