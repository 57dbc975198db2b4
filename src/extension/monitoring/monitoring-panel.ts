import * as vscode from 'vscode';
import { referenceProfile } from '../../core/capture/deployment-monitor.ts';
import { refreshDriftHistory, windowProfile } from '../../core/capture/deployment-watch.ts';
import { registryWithDeployments } from '../../core/deploy/registry-with-deployments.ts';
import { toProfileMsg } from '../../protocol/data-profile-protocol.ts';
import { parseMonitoringToHost, type HostToMonitoring } from '../../protocol/monitoring-protocol.ts';
import { COMMANDS } from '../command-ids.ts';
import { renderWebview, webviewOptions } from '../webviews/webview-resources.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';

/** The Monitoring panel of one deployment: its drift history, episode and distributions. */
export class MonitoringPanel implements vscode.Disposable {
  static readonly viewType = 'loopline.monitoring';
  private static readonly open = new Map<string, MonitoringPanel>();
  private readonly subs: vscode.Disposable[] = [];
  private view: HostToMonitoring | undefined;
  private ready = false;
  private disposed = false;
  readonly panel: vscode.WebviewPanel;
  private readonly ws: WorkspaceStore;
  readonly deployment: string;

  private constructor(panel: vscode.WebviewPanel, ctx: vscode.ExtensionContext, ws: WorkspaceStore, deployment: string) {
    this.panel = panel;
    this.ws = ws;
    this.deployment = deployment;
    panel.webview.html = renderWebview(panel.webview, ctx.extensionUri, 'monitoring', `Monitoring ${deployment}`);
    panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'loopline.svg');
    this.subs.push(panel.webview.onDidReceiveMessage((m) => this.receive(m)));
    panel.onDidDispose(() => this.dispose());
    MonitoringPanel.open.set(`${ws.store.path}\u0000${deployment}`, this);
  }

  static show(ctx: vscode.ExtensionContext, ws: WorkspaceStore, deployment: string): MonitoringPanel {
    let p = MonitoringPanel.open.get(`${ws.store.path}\u0000${deployment}`);
    if (p) p.panel.reveal();
    else p = new MonitoringPanel(vscode.window.createWebviewPanel(MonitoringPanel.viewType, `Monitoring: ${deployment}`, vscode.ViewColumn.Active, webviewOptions(ctx.extensionUri)), ctx, ws, deployment);
    void p.load();
    return p;
  }

  /** The last view or error posted (read by the extension-host tests). */
  get shown(): HostToMonitoring | undefined {
    return this.view;
  }

  private post(msg: HostToMonitoring): void {
    this.view = msg;
    if (this.ready) void this.panel.webview.postMessage(msg);
  }

  /** Ingests new captures, computes new windows and posts the history. */
  async load(): Promise<void> {
    try {
      const registry = registryWithDeployments(this.ws.store);
      const state = await refreshDriftHistory(registry, this.deployment, { show: 100 });
      const live = state.liveVersion !== null ? registry.getVersion(state.model, state.liveVersion) : null;
      const reference = live ? await referenceProfile(registry, live) : null;
      const latest = state.windows[state.windows.length - 1];
      const current = latest && reference ? windowProfile(registry, latest, reference) : null;
      if (this.disposed) return;
      this.post({
        type: 'view',
        view: {
          deployment: state.deployment,
          model: state.model,
          liveVersion: state.liveVersion,
          settings: state.settings,
          windows: state.windows,
          episode: state.episode,
          reference: { name: reference ? `reference (${reference.source.name})` : 'reference', columns: reference ? toProfileMsg(reference).columns : [] },
          current: current ? { name: `newest window (${latest!.requests} requests)`, columns: toProfileMsg(current).columns } : null,
        },
      });
    } catch (err) {
      this.post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }

  private receive(raw: unknown): void {
    const m = parseMonitoringToHost(raw);
    if (!m) return;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.view) void this.panel.webview.postMessage(this.view);
        return;
      case 'refresh':
        void this.load();
        return;
      case 'retrain':
        void vscode.commands.executeCommand(COMMANDS.retrainDeployment, this.deployment);
        return;
      default: {
        const never: never = m;
        void never;
      }
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    MonitoringPanel.open.delete(`${this.ws.store.path}\u0000${this.deployment}`);
    for (const d of this.subs) d.dispose();
    this.panel.dispose();
  }
}
