import * as vscode from 'vscode';
import { readExperimentColumns } from '../../core/series/experiment-columns.ts';
import { LooplineError } from '../../core/errors.ts';
import { toWire, type WireNumber } from '../../protocol/common.ts';
import { parseTableToHost, type HostToTable, type TableColumns, type TableToHost } from '../../protocol/table-protocol.ts';
import { log } from '../log.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';
import { renderWebview, webviewOptions } from './webview-resources.ts';

function wire(xs: Array<number | null>): Array<WireNumber | null> {
  return xs.map((v) => (v === null ? null : toWire(v)));
}

/** Every run of an experiment as a row (virtualised in the webview), filtered with MLflow's syntax. */
export class ExperimentTablePanel implements vscode.Disposable {
  static readonly viewType = 'loopline.experimentTable';
  private static readonly open = new Map<string, ExperimentTablePanel>();
  private readonly subs: vscode.Disposable[] = [];
  private ready = false;
  private stale = false;
  readonly panel: vscode.WebviewPanel;
  private readonly ws: WorkspaceStore;
  private readonly experimentId: string;
  private readonly compare: (ws: WorkspaceStore, runIds: string[]) => void;
  private readonly openRun: (ws: WorkspaceStore, runId: string) => void;

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: vscode.ExtensionContext,
    ws: WorkspaceStore,
    experimentId: string,
    actions: { compare: (ws: WorkspaceStore, runIds: string[]) => void; openRun: (ws: WorkspaceStore, runId: string) => void },
  ) {
    this.panel = panel;
    this.ws = ws;
    this.experimentId = experimentId;
    this.compare = actions.compare;
    this.openRun = actions.openRun;
    panel.webview.options = webviewOptions(ctx.extensionUri);
    panel.webview.html = renderWebview(panel.webview, ctx.extensionUri, 'table', 'Experiment table');
    panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'loopline.svg');
    this.subs.push(
      panel.webview.onDidReceiveMessage((m) => this.receive(m)),
      // New runs re-send the table when the panel is visible; otherwise once it becomes visible.
      ws.watcher.onDidChange(() => (panel.visible ? this.sendInit() : (this.stale = true))),
      panel.onDidChangeViewState(() => {
        if (panel.visible && this.stale) this.sendInit();
      }),
    );
    panel.onDidDispose(() => this.dispose());
    ExperimentTablePanel.open.set(this.key, this);
  }

  private get key(): string {
    return `${this.ws.folder.uri.toString()}#${this.experimentId}`;
  }

  static show(
    ctx: vscode.ExtensionContext,
    ws: WorkspaceStore,
    experimentId: string,
    actions: { compare: (ws: WorkspaceStore, runIds: string[]) => void; openRun: (ws: WorkspaceStore, runId: string) => void },
  ): ExperimentTablePanel {
    const existing = ExperimentTablePanel.open.get(`${ws.folder.uri.toString()}#${experimentId}`);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const exp = ws.store.getExperiment(experimentId);
    const panel = vscode.window.createWebviewPanel(ExperimentTablePanel.viewType, `Table: ${exp.name}`, vscode.ViewColumn.Active, webviewOptions(ctx.extensionUri));
    return new ExperimentTablePanel(panel, ctx, ws, experimentId, actions);
  }

  private post(msg: HostToTable): void {
    void this.panel.webview.postMessage(msg);
  }

  private sendInit(): void {
    if (!this.ready) return;
    this.stale = false;
    const exp = this.ws.store.getExperiment(this.experimentId);
    const c = readExperimentColumns(this.ws.store, this.experimentId);
    const data: TableColumns = {
      runIds: c.runIds,
      names: c.names,
      statuses: c.statuses,
      startTimes: c.startTimes,
      durations: c.durations,
      params: Object.fromEntries(c.params),
      metrics: Object.fromEntries([...c.metrics].map(([k, m]) => [k, { last: wire(m.last), min: wire(m.min), max: wire(m.max) }])),
    };
    this.post({ type: 'init', experiment: { id: exp.id, name: exp.name }, data, paramKeys: [...c.params.keys()].sort(), metricKeys: [...c.metrics.keys()].sort() });
  }

  private receive(raw: unknown): void {
    const msg = parseTableToHost(raw);
    if (!msg) {
      log().warn(`table webview sent an invalid message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    this.handle(msg);
  }

  private handle(msg: TableToHost): void {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.sendInit();
        return;
      case 'filter': {
        if (!msg.expression.trim()) {
          this.post({ type: 'filterResult', requestId: msg.requestId, runIds: null, error: null });
          return;
        }
        try {
          const runIds = this.ws.store.searchRunIds({ experimentIds: [this.experimentId], filter: msg.expression });
          this.post({ type: 'filterResult', requestId: msg.requestId, runIds, error: null });
        } catch (err) {
          const message = err instanceof LooplineError ? err.message : `Could not filter: ${String(err)}`;
          this.post({ type: 'filterResult', requestId: msg.requestId, runIds: null, error: message });
        }
        return;
      }
      case 'compare':
        this.compare(this.ws, msg.runIds);
        return;
      case 'openRun':
        this.openRun(this.ws, msg.runId);
        return;
      default: {
        const never: never = msg;
        void never;
      }
    }
  }

  dispose(): void {
    ExperimentTablePanel.open.delete(this.key);
    for (const d of this.subs) d.dispose();
  }
}
