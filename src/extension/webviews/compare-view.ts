import * as vscode from 'vscode';
import { formatRunCount } from '../../shared/display-format.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';
import { CompareSession } from './compare-session.ts';
import { renderWebview, webviewOptions } from './webview-resources.ts';

/**
 * "Loopline Compare", docked in the panel area: follows the Experiments tree selection and shows
 * the selected runs' charts and params diff without leaving the editor.
 */
export class CompareViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'loopline.compareView';
  private session: CompareSession | undefined;
  private view: vscode.WebviewView | undefined;
  private pending: { ws: WorkspaceStore; runIds: string[] } | undefined;
  private readonly ctx: vscode.ExtensionContext;
  private readonly openRun: (ws: WorkspaceStore, id: string) => void;

  constructor(ctx: vscode.ExtensionContext, openRun: (ws: WorkspaceStore, id: string) => void) {
    this.ctx = ctx;
    this.openRun = openRun;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = webviewOptions(this.ctx.extensionUri);
    view.webview.html = renderWebview(view.webview, this.ctx.extensionUri, 'compare', 'Loopline Compare');
    view.onDidDispose(() => {
      this.session?.dispose();
      this.session = undefined;
      this.view = undefined;
    });
    if (this.pending) this.show(this.pending.ws, this.pending.runIds);
  }

  /** Called when the tree selection changes. */
  show(ws: WorkspaceStore, runIds: string[]): void {
    if (runIds.length === 0) return;
    if (!this.view) {
      this.pending = { ws, runIds };
      return;
    }
    this.view.description = formatRunCount(runIds.length);
    if (this.session) this.session.setRuns(ws, runIds);
    else this.session = new CompareSession(this.view.webview, ws, runIds, 'inline', { openRun: this.openRun });
  }

  get runIds(): readonly string[] {
    return this.session?.runs ?? this.pending?.runIds ?? [];
  }

  dispose(): void {
    this.session?.dispose();
  }
}
