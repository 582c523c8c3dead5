// Pick the Docker endpoint: automatic, one of the DOCKER_HOST/context choices, or a custom URL.
import * as vscode from 'vscode';
import { readConfig } from '../config';
import type { CommandDeps } from './shared';

export async function selectEndpoint(d: CommandDeps): Promise<void> {
  type Item = vscode.QuickPickItem & { endpoint?: string; custom?: boolean };
  const current = readConfig().endpoint;
  let found: Item[] = [];
  try {
    found = (await d.analyzer.listEndpoints()).map((c) => ({ label: c.label, description: c.endpoint, detail: c.detail, endpoint: c.endpoint }));
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
