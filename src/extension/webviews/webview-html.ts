/**
 * The HTML shell of every Loopline webview, with a strict Content-Security-Policy: nothing by
 * default, scripts only with this page's nonce, styles, fonts and images only from the webview's
 * own resource origin (plus data: images for chart exports). No inline handlers, no eval. One
 * inline script (with the nonce) keeps the messages that arrive before the app's script has run:
 * VS Code posts what the extension sent early at the page's load, or 200 ms after it started
 * loading, whichever comes first, and the app's script may not have run by then.
 * Pure (no `vscode` import) so the webview tests serve the very same page.
 */
export interface WebviewShell {
  /** `webview.cspSource`: the origin the webview's resources are served from. */
  cspSource: string;
  nonce: string;
  title: string;
  scriptUri: string;
  styleUris: string[];
}

export function buildWebviewHtml(s: WebviewShell): string {
  const csp = [
    "default-src 'none'",
    `img-src ${s.cspSource} data:`,
    `style-src ${s.cspSource}`,
    `font-src ${s.cspSource}`,
    `script-src 'nonce-${s.nonce}'`,
  ].join('; ');
  const esc = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${s.styleUris.map((u) => `<link rel="stylesheet" href="${esc(u)}">`).join('\n')}
<title>${esc(s.title)}</title>
<script nonce="${s.nonce}">${EARLY_MESSAGES}</script>
</head>
<body>
<div id="app" role="main"></div>
<script nonce="${s.nonce}" src="${esc(s.scriptUri)}"></script>
</body>
</html>`;
}

/**
 * Buffers messages until the app takes them (`onHostMessage` in webview-ui/shared/vscode-api.ts);
 * an app that does not stops the buffer when the document has been parsed.
 */
const EARLY_MESSAGES =
  "(function(){var b=[];function f(e){b.push(e.data)}function stop(){removeEventListener('message',f)}addEventListener('message',f);" +
  "window.__looplineEarlyMessages=function(){stop();var r=b;b=[];return r};document.addEventListener('DOMContentLoaded',function(){stop();b=[]})})();";

export function makeNonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < 32; i++) out += chars[Math.floor(Math.random() * chars.length)];
  return out;
}
