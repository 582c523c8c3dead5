// The webview side of the host bridge: typed post/state around acquireVsCodeApi().
import type { PanelState, WebviewMessage } from '../src/view/protocol';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi = typeof acquireVsCodeApi === 'function'
  ? acquireVsCodeApi()
  : { postMessage: () => undefined, getState: () => undefined, setState: () => undefined };

export function post(msg: WebviewMessage): void { api.postMessage(msg); }
export function saveState(state: PanelState): void { api.setState(state); }
export function loadState(): unknown { return api.getState(); }
