import * as vscode from 'vscode';
import { buildWebviewHtml, makeNonce } from './webview-html.ts';

/** Scripts on, resources only from the built webview folder and media/ (see docs/ARCHITECTURE.md). */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

export function renderWebview(webview: vscode.Webview, extensionUri: vscode.Uri, app: 'compare' | 'table' | 'run-detail' | 'data-profile' | 'evaluation' | 'monitoring', title: string): string {
  const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
  return buildWebviewHtml({ cspSource: webview.cspSource, nonce: makeNonce(), title, scriptUri: asset(`${app}.js`), styleUris: [asset(`${app}.css`)] });
}
