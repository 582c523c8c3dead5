// Which Dockerfiles were opened from a compose service: such a Dockerfile analyses with that
// service's context, target, args and network (the Analyze command reads this), and a lens on
// it says so. One registry for the window, owned by the compose feature.
import * as vscode from 'vscode';

export interface ServiceBinding {
  service: string;
  /** The compose file the service came from (for the lens and "open compose file"). */
  composeFile: string;
  context: string;
  target: string | null;
  args: Record<string, string>;
  network: string | null;
}

export class ServiceBindings implements vscode.Disposable {
  private readonly byUri = new Map<string, ServiceBinding>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  get(uri: vscode.Uri): ServiceBinding | undefined { return this.byUri.get(uri.toString()); }

  set(uri: vscode.Uri, b: ServiceBinding | undefined): void {
    if (b) this.byUri.set(uri.toString(), b); else this.byUri.delete(uri.toString());
    this.changed.fire(uri);
  }

  dispose(): void { this.changed.dispose(); this.byUri.clear(); }
}

export const serviceBindings = new ServiceBindings();

/** The editor's network setting a compose `build.network` maps to; other networks keep the setting. */
export function bindingNetwork(b: ServiceBinding | undefined, setting: 'default' | 'none' | 'host'): 'default' | 'none' | 'host' {
  const n = b?.network;
  return n === 'none' || n === 'host' || n === 'default' ? n : setting;
}
