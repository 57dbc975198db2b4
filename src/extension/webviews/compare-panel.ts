import * as vscode from 'vscode';
import { formatRunCount } from '../../shared/display-format.ts';
import type { WorkspaceStore, WorkspaceStores } from '../workspace-stores.ts';
import { parseFirstChartHint, type FirstChartHint } from '../../protocol/compare-protocol.ts';
import { CompareSession, type FirstChartMemory } from './compare-session.ts';
import { renderWebview, webviewOptions } from './webview-resources.ts';

const STATE_KEY = 'loopline.comparePanel';
const FIRST_CHART_KEY = 'loopline.compareFirstChart';

/**
 * The last page's chart widths and x axis, kept across windows and reloads (a panel usually opens
 * as wide as the last). Not its zoomed charts: those belonged to that comparison.
 */
function firstChartMemory(ctx: vscode.ExtensionContext): FirstChartMemory {
  return {
    get: () => parseFirstChartHint(ctx.globalState.get(FIRST_CHART_KEY)),
    set: (hint) => {
      const kept: FirstChartHint = { xAxis: hint.xAxis, widths: hint.widths, zoomed: [] };
      if (JSON.stringify(ctx.globalState.get(FIRST_CHART_KEY)) !== JSON.stringify(kept)) void ctx.globalState.update(FIRST_CHART_KEY, kept);
    },
  };
}

interface PanelState {
  folder: string;
  runIds: string[];
}

/**
 * The Compare panel: charts, params diff, summary and sweep views for selected runs. One panel,
 * reused; it survives a window reload through its serializer (no retainContextWhenHidden).
 */
export class ComparePanel implements vscode.Disposable {
  static readonly viewType = 'loopline.compare';
  static current: ComparePanel | undefined;
  private readonly session: CompareSession;
  readonly panel: vscode.WebviewPanel;

  private constructor(panel: vscode.WebviewPanel, ctx: vscode.ExtensionContext, ws: WorkspaceStore, runIds: string[], openRun: (ws: WorkspaceStore, id: string) => void) {
    this.panel = panel;
    panel.webview.options = webviewOptions(ctx.extensionUri);
    panel.webview.html = renderWebview(panel.webview, ctx.extensionUri, 'compare', 'Compare runs');
    panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'loopline.svg');
    this.session = new CompareSession(panel.webview, ws, runIds, 'panel', { openRun }, firstChartMemory(ctx));
    panel.onDidDispose(() => this.dispose());
    ComparePanel.current = this;
    void ctx.workspaceState.update(STATE_KEY, { folder: ws.folder.uri.toString(), runIds } satisfies PanelState);
  }

  static show(ctx: vscode.ExtensionContext, ws: WorkspaceStore, runIds: string[], openRun: (ws: WorkspaceStore, id: string) => void): ComparePanel {
    const title = `Compare ${formatRunCount(runIds.length)}`;
    if (ComparePanel.current) {
      const cur = ComparePanel.current;
      cur.panel.title = title;
      cur.session.setRuns(ws, runIds);
      void ctx.workspaceState.update(STATE_KEY, { folder: ws.folder.uri.toString(), runIds } satisfies PanelState);
      cur.panel.reveal();
      return cur;
    }
    const panel = vscode.window.createWebviewPanel(ComparePanel.viewType, title, vscode.ViewColumn.Active, webviewOptions(ctx.extensionUri));
    return new ComparePanel(panel, ctx, ws, runIds, openRun);
  }

  /** Restores the panel after a reload with the runs it showed. */
  static serializer(ctx: vscode.ExtensionContext, stores: WorkspaceStores, openRun: (ws: WorkspaceStore, id: string) => void): vscode.WebviewPanelSerializer {
    return {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
        const saved = ctx.workspaceState.get<PanelState>(STATE_KEY);
        const folder = stores.folders().find((f) => f.uri.toString() === saved?.folder);
        const ws = folder ? stores.existing(folder) : undefined;
        if (!saved || !ws) {
          panel.dispose();
          return;
        }
        new ComparePanel(panel, ctx, ws, saved.runIds, openRun);
      },
    };
  }

  dispose(): void {
    if (ComparePanel.current === this) ComparePanel.current = undefined;
    this.session.dispose();
  }
}
