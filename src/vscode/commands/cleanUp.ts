// Remove the images Stage Lens labelled on the configured engine (never anything else).
import * as vscode from 'vscode';
import { formatBytes } from '../../core/report';
import { explainError } from '../../view/errors';
import { abortOnCancel } from '../cancellation';
import { readConfig } from '../config';
import { activeDockerfile } from '../documents';
import type { CommandDeps } from './shared';

export async function cleanUp(d: CommandDeps): Promise<void> {
  const cfg = readConfig(activeDockerfile()?.uri);
  const ctrl = new AbortController();
  try {
    const res = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Stage Lens: removing Stage Lens images', cancellable: true }, async (_p, token) => {
      const cancel = abortOnCancel(token, ctrl);
      try {
        return await d.analyzer.cleanUp(cfg.endpoint, ctrl.signal);
      } finally {
        cancel.dispose();
      }
    });
    const freed = res.freedBytes !== null ? ` (${formatBytes(res.freedBytes)} freed)` : '';
    void vscode.window.showInformationMessage(`Stage Lens: removed ${res.removed} image${res.removed === 1 ? '' : 's'} it had built${freed}.`);
  } catch (err) {
    const ex = explainError(err, cfg.endpoint);
    if (ex.kind !== 'cancelled') void vscode.window.showErrorMessage(`Stage Lens: ${ex.message}${ex.fix ? ` ${ex.fix}` : ''}`);
  }
}
