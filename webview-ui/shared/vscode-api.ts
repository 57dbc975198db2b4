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
  const listener = (e: MessageEvent): void => {
    const m: unknown = e.data;
    if (typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string') handler(m as TIn);
  };
  window.addEventListener('message', listener);
  return () => window.removeEventListener('message', listener);
}
