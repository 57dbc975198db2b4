/** The webview side of VS Code's host API, typed for the Experiment Table. */
import type { TableToHost } from '../../src/protocol/table-protocol.ts';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): unknown;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface TableHost {
  post(msg: TableToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export function connectTableHost(): TableHost {
  const api = acquireVsCodeApi();
  return {
    post: (msg) => api.postMessage(msg),
    getState: () => api.getState(),
    setState: (s) => void api.setState(s),
  };
}
