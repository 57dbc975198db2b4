import * as vscode from 'vscode';
import { formatDuration, formatNumber } from '../../shared/display-format.ts';
import type { Run } from '../../core/store/types.ts';
import { PARENT_TAG, SWEEP_TAG, TRIAL_TAG } from '../../core/sweeps/sweep-queue.ts';
import type { WorkspaceStore, WorkspaceStores } from '../workspace-stores.ts';

export interface ActiveRunItem {
  ws: WorkspaceStore;
  run: Run;
  /** A sweep's parent run: a group row over its queued and running trials. */
  sweep?: boolean;
}

/**
 * The Runs view: what is queued or running now in any workspace folder, with live elapsed time
 * and latest metric values. A one-second tick runs only while something is running.
 */
export class ActiveRunsTreeProvider implements vscode.TreeDataProvider<ActiveRunItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ActiveRunItem | ActiveRunItem[] | undefined>();
  /** What VS Code shows now: the one-second tick re-renders these without reading the store. */
  private readonly shownItems = new Set<ActiveRunItem>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly countChanged = new vscode.EventEmitter<number>();
  /** Number of running/queued runs, for the status bar. */
  readonly onDidChangeCount = this.countChanged.event;
  private tick: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [this.changed, this.countChanged];
  private lastCount = -1;
  private readonly stores: WorkspaceStores;

  constructor(stores: WorkspaceStores) {
    this.stores = stores;
    this.disposables.push(stores.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  active(): ActiveRunItem[] {
    const items: ActiveRunItem[] = [];
    for (const ws of this.stores.allExisting()) {
      for (const run of ws.store.activeRuns(500)) items.push({ ws, run });
    }
    return items;
  }

  /** Top level: runs and sweeps (a sweep groups its queued and running trials beneath it). */
  getChildren(element?: ActiveRunItem): ActiveRunItem[] {
    let items: ActiveRunItem[] = [];
    try {
      items = this.active();
    } catch {
      items = [];
    }
    if (element) return this.shown(element.sweep ? items.filter((i) => i.run.tags[PARENT_TAG] === element.run.info.id && TRIAL_TAG in i.run.tags) : []);
    this.shownItems.clear();
    this.updateTick(items.length);
    const sweeps = new Set(items.filter((i) => SWEEP_TAG in i.run.tags).map((i) => i.run.info.id));
    return this.shown(
      items.filter((i) => !(TRIAL_TAG in i.run.tags && sweeps.has(i.run.tags[PARENT_TAG] ?? ''))).map((i) => (sweeps.has(i.run.info.id) ? { ...i, sweep: true } : i)),
    );
  }

  /** Remembers what VS Code holds, so the tick re-renders those very items. */
  private shown(items: ActiveRunItem[]): ActiveRunItem[] {
    for (const i of items) this.shownItems.add(i);
    return items;
  }

  private sweepItem(item: ActiveRunItem): vscode.TreeItem {
    const { run } = item;
    const trials = this.active().filter((i) => i.run.tags[PARENT_TAG] === run.info.id && TRIAL_TAG in i.run.tags);
    const running = trials.filter((t) => t.run.info.status === 'RUNNING').length;
    const queued = trials.length - running;
    const t = new vscode.TreeItem(run.info.name, vscode.TreeItemCollapsibleState.Expanded);
    t.id = `active-sweep:${item.ws.folder.uri.toString()}#${run.info.id}`;
    t.description = `sweep · ${running} running · ${queued} queued · ${formatDuration(Date.now() - run.info.startTime)}`;
    t.tooltip = `Sweep ${run.info.name} (${run.info.id})\n${run.info.command ?? ''}`;
    t.iconPath = new vscode.ThemeIcon('type-hierarchy');
    t.contextValue = 'sweep.active';
    return t;
  }

  getTreeItem(item: ActiveRunItem): vscode.TreeItem {
    if (item.sweep) return this.sweepItem(item);
    const { run } = item;
    const t = new vscode.TreeItem(run.info.name, vscode.TreeItemCollapsibleState.None);
    t.id = `active:${item.ws.folder.uri.toString()}#${run.info.id}`;
    const elapsed = formatDuration(Date.now() - run.info.startTime);
    const latest = run.metrics
      .slice(0, 3)
      .map((m) => `${m.key} ${formatNumber(m.last)}`)
      .join(' · ');
    t.description = [latest, run.info.status === 'SCHEDULED' ? 'queued' : `running ${elapsed}`].filter(Boolean).join(' · ');
    t.tooltip = `${run.info.name} (${run.info.id})\n${run.info.command ?? ''}\nrunning for ${elapsed}`;
    t.iconPath = run.info.status === 'SCHEDULED' ? new vscode.ThemeIcon('clock') : new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue'));
    // Trials are cancelled through the queue (Cancel), not by signalling their launcher.
    t.contextValue = TRIAL_TAG in run.tags ? `trial.${run.info.status}` : `run.${run.info.status}${run.info.git?.commit ? '.git' : ''}.${run.info.lifecycleStage}`;
    return t;
  }

  private updateTick(count: number): void {
    if (count !== this.lastCount) {
      this.lastCount = count;
      this.countChanged.fire(count);
    }
    if (count > 0 && !this.tick) {
      this.tick = setInterval(() => this.shownItems.size && this.changed.fire([...this.shownItems]), 1000);
    } else if (count === 0 && this.tick) {
      clearInterval(this.tick);
      this.tick = undefined;
    }
  }

  dispose(): void {
    if (this.tick) clearInterval(this.tick);
    for (const d of this.disposables) d.dispose();
  }
}
