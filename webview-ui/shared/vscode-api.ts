/**
 * The webview's side of the channel to the extension: `acquireVsCodeApi()` (callable once per
 * page), typed for one protocol, plus `getState`/`setState`, which survive hide/show and reload.
 */
interface VsCodeWebviewApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): unknown;
}

declare function acquireVsCodeApi(): VsCodeWebviewApi;

export interface HostConnection<TOut> {
  post(message: TOut): void;
  /** Whatever was saved last (untrusted shape: parse it). */
  loadState(): unknown;
  saveState(state: unknown): void;
}

let api: VsCodeWebviewApi | undefined;

declare global {
  interface Window {
    /** Messages that arrived before the app's script ran (taken once; see webview-html.ts). */
    __looplineEarlyMessages?: () => unknown[];
  }
}

export function connectToHost<TOut>(): HostConnection<TOut> {
  api ??= acquireVsCodeApi();
  const a = api;
  return {
    post: (message) => a.postMessage(message),
    loadState: () => a.getState(),
    saveState: (state) => {
      a.setState(state);
    },
  };
}

/**
 * Messages from the extension. Only objects with a string `type` are passed on; the apps switch
 * on `type` and ignore what they do not know.
 */
export function onHostMessage<TIn extends { type: string }>(handler: (message: TIn) => void): () => void {
  const take = (m: unknown): void => {
    if (typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string') handler(m as TIn);
  };
  const listener = (e: MessageEvent): void => take(e.data);
  // What came before this script ran (kept by the page's first inline script, see webview-html.ts):
  // handled right after this script, in order, as if it had just arrived.
  const early = window.__looplineEarlyMessages?.() ?? [];
  if (early.length) queueMicrotask(() => early.forEach(take));
  window.addEventListener('message', listener);
  return () => window.removeEventListener('message', listener);
}
