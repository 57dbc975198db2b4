import * as vscode from 'vscode';
import type { DeploymentRecord, HistoryEntry } from '../../core/deploy/deployment-records.ts';
import { DeploymentRecords } from '../../core/deploy/deployment-records.ts';
import type { Slot } from '../../core/deploy/nginx-config.ts';
import { deploymentMetrics, formatMetrics, type VersionMetrics } from '../../core/deploy/access-metrics.ts';
import { dirname } from 'node:path';
import { formatAgo, formatCount, formatDateTime, formatDuration } from '../../shared/display-format.ts';
import { DriftHistory } from '../../core/capture/drift-history.ts';
import { driftSparkline, driftStatusWord } from '../../shared/drift-sparkline.ts';
import { COMMANDS } from '../command-ids.ts';
import { log } from '../log.ts';
import type { WorkspaceStore, WorkspaceStores } from '../workspace-stores.ts';

export type DeploymentNode =
  | { kind: 'deployment'; ws: WorkspaceStore; deployment: DeploymentRecord }
  | { kind: 'slot'; ws: WorkspaceStore; deployment: DeploymentRecord; slot: Slot; metrics?: VersionMetrics | undefined }
  | { kind: 'drift'; ws: WorkspaceStore; deployment: DeploymentRecord }
  | { kind: 'historyGroup'; ws: WorkspaceStore; deployment: DeploymentRecord }
  | { kind: 'history'; entry: HistoryEntry }
  | { kind: 'message'; label: string };

/** Thin adapter over the deployments table: deployment → live/candidate/warm versions and history. */
export class DeploymentsTreeProvider implements vscode.TreeDataProvider<DeploymentNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DeploymentNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private readonly stores: WorkspaceStores;

  private readonly driftProblem: ((ws: WorkspaceStore, deployment: string) => string | undefined) | undefined;

  constructor(stores: WorkspaceStores, driftProblem?: (ws: WorkspaceStore, deployment: string) => string | undefined) {
    this.stores = stores;
    this.driftProblem = driftProblem;
    this.disposables.push(stores.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(node?: DeploymentNode): DeploymentNode[] {
    try {
      if (!node) return this.stores.allExisting().flatMap((ws) => new DeploymentRecords(ws.store.db).list().map((deployment) => ({ kind: 'deployment' as const, ws, deployment })));
      if (node.kind === 'deployment') {
        const order = { live: 0, candidate: 1, previous: 2 };
        const slots = [...node.deployment.slots].sort((a, b) => order[a.role] - order[b.role]);
        // One read of the proxy's access log per deployment, not one per version row.
        const metrics = deploymentMetrics(dirname(node.ws.store.path), node.deployment);
        return [
          { kind: 'drift', ws: node.ws, deployment: node.deployment },
          ...slots.map((slot) => ({ kind: 'slot' as const, ws: node.ws, deployment: node.deployment, slot, metrics: metrics.find((x) => x.slot === slot.id) })),
          { kind: 'historyGroup', ws: node.ws, deployment: node.deployment },
        ];
      }
      if (node.kind === 'historyGroup') return new DeploymentRecords(node.ws.store.db).history(node.deployment.name).reverse().map((entry) => ({ kind: 'history' as const, entry }));
      return [];
    } catch (err) {
      log().error(`Deployments view: ${String(err)}`);
      return [{ kind: 'message', label: `Cannot read deployments: ${err instanceof Error ? err.message : String(err)}` }];
    }
  }

  getTreeItem(node: DeploymentNode): vscode.TreeItem {
    switch (node.kind) {
      case 'deployment': {
        const d = node.deployment;
        const item = new vscode.TreeItem(d.name, vscode.TreeItemCollapsibleState.Expanded);
        const traffic = d.slots.filter((s) => s.weight > 0).map((s) => `v${s.version} ${s.weight}%`).join(' / ');
        item.description = `${d.model} · ${traffic} · http://127.0.0.1:${d.port}`;
        item.iconPath = new vscode.ThemeIcon('cloud');
        item.contextValue = d.slots.some((s) => s.role === 'candidate') ? 'deployment.canary' : d.slots.some((s) => s.role === 'previous') ? 'deployment.warm' : 'deployment';
        item.tooltip = `Endpoint http://127.0.0.1:${d.port} (strategy ${d.strategy}, updated ${formatAgo(d.updatedTime)})`;
        item.id = `deployment:${node.ws.folder.uri.toString()}:${d.name}`;
        return item;
      }
      case 'slot': {
        const s = node.slot;
        const item = new vscode.TreeItem(`${node.deployment.model} v${s.version}`, vscode.TreeItemCollapsibleState.None);
        const role = s.role === 'live' ? 'live' : s.role === 'candidate' ? 'canary' : 'warm (rollback target)';
        const m = node.metrics;
        item.description = [`${s.weight}%`, role, ...(s.alias ? [`@${s.alias}`] : []), formatMetrics(m)].join(' · ');
        item.tooltip = m ? `${formatCount(m.requests)} requests, ${formatCount(m.errors)} errors (5xx), p50 ${formatDuration(m.p50Ms)}, p95 ${formatDuration(m.p95Ms)} (proxy access log)` : undefined;
        item.iconPath = new vscode.ThemeIcon(s.role === 'live' ? 'pass-filled' : s.role === 'candidate' ? 'beaker' : 'history');
        item.contextValue = `deploymentSlot.${s.role}`;
        return item;
      }
      case 'drift':
        return this.driftItem(node.ws, node.deployment);
      case 'historyGroup': {
        const item = new vscode.TreeItem('History', vscode.TreeItemCollapsibleState.Collapsed);
        item.iconPath = new vscode.ThemeIcon('list-unordered');
        return item;
      }
      case 'history': {
        const e = node.entry;
        const item = new vscode.TreeItem(`${e.action} v${e.version ?? '-'}`, vscode.TreeItemCollapsibleState.None);
        item.description = `${e.outcome} · ${e.actor} · ${formatAgo(e.time)}`;
        item.tooltip = `${formatDateTime(e.time)} ${e.action} ${e.model ?? ''}/${e.version ?? ''}${e.alias ? ` @${e.alias}` : ''} (${e.strategy ?? ''}) ${e.outcome}\n${JSON.stringify(e.detail)}`;
        item.iconPath = new vscode.ThemeIcon(e.outcome === 'ok' ? 'check' : 'error');
        return item;
      }
      case 'message':
        return new vscode.TreeItem(node.label);
    }
  }

  /** The drift row: a sparkline of the stored windows and the state (computed by the drift watcher). */
  private driftItem(ws: WorkspaceStore, d: DeploymentRecord): vscode.TreeItem {
    const history = new DriftHistory(ws.store.db);
    const windows = history.windows(d.name, 20);
    const episode = history.currentEpisode(d.name);
    const problem = this.driftProblem?.(ws, d.name);
    const item = new vscode.TreeItem(windows.length ? `Drift ${driftSparkline(windows)}` : 'Drift', vscode.TreeItemCollapsibleState.None);
    item.description = problem ? 'cannot check' : driftStatusWord(windows[windows.length - 1], episode);
    item.tooltip = problem ?? (episode ? `Drift episode ${episode.episode} since ${formatDateTime(episode.startedTime)}: ${episode.drifted.join(', ') || 'prediction'} (${episode.windows} windows)` : `${windows.length} drift windows (newest right): the drifted share of features per window`);
    item.iconPath = new vscode.ThemeIcon(problem ? 'warning' : episode ? 'pulse' : 'graph-line', episode ? new vscode.ThemeColor('errorForeground') : undefined);
    item.contextValue = 'driftStatus';
    item.command = { command: COMMANDS.openMonitoring, title: 'Open Monitoring', arguments: [d.name] };
    return item;
  }

  /** Re-reads the access log every few seconds while the view is visible (metrics change with traffic). */
  refreshWhileVisible(view: vscode.TreeView<DeploymentNode>, everyMs = 5000): void {
    let timer: ReturnType<typeof setInterval> | undefined;
    const update = () => {
      if (view.visible && !timer) timer = setInterval(() => this.refresh(), everyMs);
      if (!view.visible && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    };
    this.disposables.push(view.onDidChangeVisibility(update), { dispose: () => timer && clearInterval(timer) });
    update();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
