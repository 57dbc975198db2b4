import * as vscode from 'vscode';
import type { WorkspaceStore, WorkspaceStores } from '../workspace-stores.ts';
import { OffThreadRunSearch } from './run-id-search.ts';
import { ExperimentsModel, filterExpression, sweepNode, type Node, type StoreRef } from './experiments-model.ts';
import { PARENT_TAG, TRIAL_TAG } from '../../core/sweeps/sweep-queue.ts';
import { readSettings } from '../settings.ts';
import { log } from '../log.ts';

/** Thin adapter: the model decides what to show, this turns it into TreeItems. */
export class ExperimentsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  readonly model: ExperimentsModel;
  private readonly changed = new vscode.EventEmitter<Node | Node[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private readonly stores: WorkspaceStores;

  private firstRender: number | undefined;
  private markRendered: () => void = () => undefined;
  /** Resolves once VS Code has asked for the root rows (the view is on screen). */
  readonly rendered = new Promise<void>((resolve) => (this.markRendered = resolve));
  /** Run rows VS Code holds since the last full refresh: re-rendered by the timers without store reads. */
  private readonly runNodes = new Map<string, Node & { kind: 'run' }>();
  /** When each row was last read; rows not read again after a refresh (collapsed, gone) stop ticking. */
  private readonly readAt = new WeakMap<Node, number>();
  private refreshedAt = 0;
  private visible = false;
  private secondTick: NodeJS.Timeout | undefined;
  private minuteTick: NodeJS.Timeout | undefined;
  /** Filtered searches per open store, answered by its read worker. */
  private readonly searches = new Map<WorkspaceStore, OffThreadRunSearch>();

  /** `activatedAt` (performance.now()) lets the first render be logged as time since activation. */
  constructor(stores: WorkspaceStores, activatedAt = performance.now()) {
    this.firstRender = activatedAt;
    this.stores = stores;
    const s = readSettings();
    this.model = new ExperimentsModel({ pageSize: s.runsPageSize, primaryMetric: s.primaryMetric });
    this.disposables.push(
      stores.onDidChange((ws) => {
        for (const [w, search] of this.searches) if (!ws || w === ws) search.invalidate();
        this.refresh();
      }),
      stores.onWillClose((ws) => {
        this.searches.get(ws)?.dispose();
        this.searches.delete(ws);
      }),
      { dispose: () => this.searches.forEach((search) => search.dispose()) },
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('loopline')) {
          const n = readSettings();
          this.model.opts = { ...this.model.opts, pageSize: n.runsPageSize, primaryMetric: n.primaryMetric };
          this.refresh();
        }
      }),
    );
  }

  refresh(): void {
    // runNodes is not cleared: the next read replaces each run's row, so the tick never sees a gap.
    this.refreshedAt = Date.now();
    for (const [key, n] of this.runNodes) if ((this.readAt.get(n) ?? 0) < this.refreshedAt - 10_000) this.runNodes.delete(key);
    this.changed.fire(undefined);
  }

  /** The filter or the order changed: searches start over (reads still queued are cancelled). */
  queryChanged(): void {
    for (const search of this.searches.values()) search.reset();
    this.refresh();
  }

  /**
   * Starts the search of every experiment (a filter applies to all of them) before VS Code asks
   * for the rows, and resolves once each has its answer: the filter commands wait for it.
   */
  async searchesSettled(): Promise<void> {
    if (filterExpression(this.model.filter) !== '') {
      for (const ref of this.refs()) for (const n of this.model.roots([ref])) if (n.kind === 'experiment') this.model.children(n);
    }
    await Promise.all([...this.searches.values()].map((search) => search.settled()));
  }

  /** How often every row re-renders so relative times stay true (tests shorten it). */
  static relativeTimeRefreshMs = 60_000;

  /**
   * Follows the view's visibility: while it is visible, running rows re-render every second
   * (elapsed time) and every row once a minute ("5 m ago"), from the data already read.
   */
  attach(view: vscode.TreeView<Node>): vscode.Disposable {
    this.visible = view.visible;
    return view.onDidChangeVisibility((e) => {
      this.visible = e.visible;
      this.updateTimers();
    });
  }

  /**
   * Starts the timers a visible tree needs, and stops them when hidden. A full refresh empties
   * `runNodes` for a moment (the root's children come first), so only the ticks themselves and
   * visibility stop a timer; otherwise store events every half second would keep resetting it.
   */
  private updateTimers(stopIdle = true): void {
    const running = this.visible && [...this.runNodes.values()].some((n) => n.run.info.status === 'RUNNING');
    if (running && !this.secondTick) {
      this.secondTick = setInterval(() => {
        const live = [...this.runNodes.values()].filter((n) => n.run.info.status === 'RUNNING' && (this.readAt.get(n) ?? 0) >= this.refreshedAt - 2000);
        if (live.length) this.changed.fire(live);
        else this.updateTimers();
      }, 1000);
    } else if (!running && this.secondTick && (stopIdle || !this.visible)) {
      clearInterval(this.secondTick);
      this.secondTick = undefined;
    }
    const any = this.visible && this.runNodes.size > 0;
    if (any && !this.minuteTick) {
      this.minuteTick = setInterval(() => (this.runNodes.size ? this.changed.fire([...this.runNodes.values()]) : this.updateTimers()), ExperimentsTreeProvider.relativeTimeRefreshMs);
    } else if (!any && this.minuteTick && (stopIdle || !this.visible)) {
      clearInterval(this.minuteTick);
      this.minuteTick = undefined;
    }
  }

  refs(): StoreRef[] {
    return this.stores.allExisting().map((ws) => ({ id: ws.folder.uri.toString(), name: ws.folder.name, store: ws.store, search: this.searchOf(ws) }));
  }

  private searchOf(ws: WorkspaceStore): OffThreadRunSearch {
    let search = this.searches.get(ws);
    // An answer renders the view again without re-reading the store (refresh() would).
    if (!search) this.searches.set(ws, (search = new OffThreadRunSearch(ws.reader.channel(), () => this.changed.fire(undefined))));
    return search;
  }

  getChildren(node?: Node): Node[] {
    try {
      if (!node) {
        const t0 = performance.now();
        const roots = this.model.roots(this.refs());
        this.markRendered();
        if (this.firstRender !== undefined) {
          const now = performance.now();
          log().info(`First Experiments tree render ${(now - this.firstRender).toFixed(1)} ms after activation started (opening the store and reading it: ${(now - t0).toFixed(1)} ms)`);
          this.firstRender = undefined;
        }
        return roots;
      }
      const kids = this.model.children(node);
      const now = Date.now();
      for (const k of kids) {
        if (k.kind !== 'run') continue;
        this.runNodes.set(`${k.ref.id}#${k.run.info.id}`, k);
        this.readAt.set(k, now);
      }
      this.updateTimers(false);
      return kids;
    } catch (err) {
      log().error(`Experiments view: ${String(err)}`);
      return [{ kind: 'message', label: `Cannot read the store: ${err instanceof Error ? err.message : String(err)}`, icon: 'error' }];
    }
  }

  /** Needed by TreeView.reveal: runs sit under their experiment (and folder, in multi-root). */
  getParent(node: Node): Node | undefined {
    if (node.kind === 'run' && node.run.tags[TRIAL_TAG] && node.run.tags[PARENT_TAG]) {
      return sweepNode(node.ref, node.ref.store.getRun(node.run.tags[PARENT_TAG]));
    }
    if (node.kind === 'run' || node.kind === 'sweep') {
      const e = node.ref.store.getExperiment(node.run.info.experimentId);
      return { kind: 'experiment', ref: node.ref, experiment: e, runCount: node.ref.store.countRuns(e.id) };
    }
    if (node.kind === 'experiment' && this.stores.folders().length > 1) return { kind: 'folder', ref: node.ref };
    return undefined;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const v = this.model.view(node);
    const state =
      v.collapsible === 'none' ? vscode.TreeItemCollapsibleState.None : v.collapsible === 'expanded' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(v.label, state);
    item.id = v.id;
    if (v.description !== undefined) item.description = v.description;
    if (v.tooltip !== undefined) item.tooltip = v.tooltip;
    if (v.icon) item.iconPath = new vscode.ThemeIcon(v.icon, v.iconColor ? new vscode.ThemeColor(v.iconColor) : undefined);
    if (v.contextValue) item.contextValue = v.contextValue;
    if (v.command) item.command = { command: v.command.id, title: v.command.title, arguments: v.command.args };
    return item;
  }

  dispose(): void {
    clearInterval(this.secondTick);
    clearInterval(this.minuteTick);
    for (const d of this.disposables) d.dispose();
  }
}

/** The run ids behind tree nodes (run rows only), for commands invoked on a selection. */
export function runIdsOf(nodes: readonly (Node | undefined)[]): string[] {
  return nodes.flatMap((n) => (n?.kind === 'run' ? [n.run.info.id] : n?.kind === 'sweep' ? n.summary.trials.map((t) => t.runId) : []));
}
