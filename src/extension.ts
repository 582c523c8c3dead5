// activate() builds the services and calls register*(); nothing else lives here (DESIGN.md).
import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {
  // Services are wired here as they land.
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}
