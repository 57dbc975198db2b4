/**
 * The HTML shell of every Loopline webview, with a strict Content-Security-Policy: nothing by
 * default, scripts only with this page's nonce, styles, fonts and images only from the webview's
 * own resource origin (plus data: images for chart exports). No inline handlers, no eval.
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
</head>
<body>
<div id="app" role="main"></div>
<script nonce="${s.nonce}" src="${esc(s.scriptUri)}"></script>
</body>
</html>`;
}

export function makeNonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < 32; i++) out += chars[Math.floor(Math.random() * chars.length)];
  return out;
}
