// A progress notification's Cancel button aborts the flow's AbortController. The subscription
// is returned so each flow disposes it when it ends (a token can outlive the flow it served).
import type * as vscode from 'vscode';

export function abortOnCancel(token: vscode.CancellationToken, ctrl: AbortController): vscode.Disposable {
  return token.onCancellationRequested(() => ctrl.abort());
}
