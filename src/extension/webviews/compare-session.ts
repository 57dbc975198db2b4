import * as vscode from 'vscode';
import { ReadCancelled, type ReadChannel } from '../../core/store/store-reader.ts';
import type { Run } from '../../core/store/types.ts';
import { parseCompareToHost, type CompareInit, type CompareToHost, type FirstChartHint, type HostToCompare } from '../../protocol/compare-protocol.ts';
import { log } from '../log.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';
import { pngFromDataUrl, saveWithDialog } from './file-export.ts';
import { toCompareInit, toRunMsg } from './run-messages.ts';
import { SeriesFeed } from './series-feed.ts';
import { SeriesPrefetch } from './series-prefetch.ts';
import { COMMANDS } from '../command-ids.ts';

/** Where the panel keeps the last page's first-chart hint (its charts' widths), across reloads. */
export interface FirstChartMemory {
  get(): FirstChartHint | undefined;
  set(hint: FirstChartHint): void;
}

/**
 * One comparison shown in a webview (the Compare panel or the docked view): answers the webview's
 * messages and pushes live updates while any of its runs is running.
 */
export class CompareSession implements vscode.Disposable {
  private runIds: string[];
  private ws: WorkspaceStore;
  private feed: SeriesFeed;
  /** Series and exports read in the store's read worker; cancelled when the runs change or the view closes. */
  private reads: ReadChannel;
  /** init, read as the panel opens (its page takes a few hundred ms to load); dropped if the store or the runs change first. */
  private preparedInit: CompareInit | null = null;
  /** The first chart's series, read while the page takes `init`. */
  private readonly prefetch = new SeriesPrefetch();
  /** init has gone out (or goes out now): store changes are posted as they come. */
  private ready = false;
  /** The init posted as the panel opened, before its page said `ready`; null once it has. */
  private pushed: CompareInit | null = null;
  private lastInitId = 0;
  private disposed = false;
  /** The store changed before init went out: points logged after the early read go out after it. */
  private movedBeforeReady = false;
  private readonly subs: vscode.Disposable[] = [];
  /** The current store's change listener, replaced when the session moves to another store. */
  private storeSub: vscode.Disposable;
  private readonly webview: vscode.Webview;
  private readonly mode: 'panel' | 'inline';
  private readonly actions: { openRun: (ws: WorkspaceStore, runId: string) => void };
  private readonly memory: FirstChartMemory | undefined;

  /** `memory`: the panel's; with it, the first chart is read as the panel opens, at the width its charts had last time. */
  constructor(webview: vscode.Webview, ws: WorkspaceStore, runIds: string[], mode: 'panel' | 'inline', actions: { openRun: (ws: WorkspaceStore, runId: string) => void }, memory?: FirstChartMemory) {
    this.webview = webview;
    this.ws = ws;
    this.runIds = runIds;
    this.mode = mode;
    this.actions = actions;
    this.memory = memory;
    this.feed = new SeriesFeed(ws.store);
    this.reads = ws.reader.channel();
    // The webview takes a few hundred ms to load: boot the read worker meanwhile for its first chart,
    // and read init's runs now, so that init goes out at once.
    void ws.reader.warm();
    this.preparedInit = toCompareInit(this.loadRuns(), mode);
    // Most panels open as wide as the last one: read its first chart now, while the page loads.
    const last = memory?.get();
    if (last) this.prefetch.startEarly(this.feed, this.reads, this.runIds, this.preparedInit, last);
    this.subs.push(webview.onDidReceiveMessage((m) => this.receive(m)));
    // VS Code holds a page's messages until it has loaded: init goes out now (with the first
    // chart, once read, if that comes first), and the page does not wait a round trip for it.
    const early = this.prefetch.current;
    if (early) early.then(() => this.pushInit(last), () => this.pushInit(last));
    else this.pushInit(undefined);
    this.storeSub = ws.watcher.onDidChange(() => this.onStoreChange());
  }

  get runs(): readonly string[] {
    return this.runIds;
  }

  /** Show other runs (the docked view follows the tree selection). */
  setRuns(ws: WorkspaceStore, runIds: string[]): void {
    // Reads for the previous selection are no longer wanted.
    this.reads.cancel();
    this.prefetch.clear();
    if (ws !== this.ws) {
      this.reads.dispose();
      this.reads = ws.reader.channel();
      this.ws = ws;
      this.storeSub.dispose();
      this.storeSub = ws.watcher.onDidChange(() => this.onStoreChange());
    }
    this.runIds = runIds;
    this.feed = new SeriesFeed(ws.store);
    this.preparedInit = null;
    if (!this.ready) return;
    const init = this.sendInit();
    // Still before the page's `ready`: that is the init it should have.
    if (this.pushed) this.pushed = init;
  }

  private post(msg: HostToCompare): void {
    void this.webview.postMessage(msg);
  }

  private loadRuns(): Run[] {
    return this.runIds.flatMap((id) => {
      try {
        return [this.ws.store.getRun(id)];
      } catch {
        return []; // deleted meanwhile
      }
    });
  }

  /** Posts init (with the first chart's series when read at `firstChart`'s width and in); returns it. */
  private sendInit(firstChart?: FirstChartHint): CompareInit {
    const init = { ...(this.preparedInit ?? toCompareInit(this.loadRuns(), this.mode)), initId: ++this.lastInitId };
    this.preparedInit = null;
    const { message, then } = this.prefetch.initWithFirstChart(this.feed, this.reads, this.runIds, init, firstChart);
    this.post(message);
    then();
    // The series read as the panel opened may miss points logged since (a run that finished
    // while the page loaded): they follow at once, as live appends do.
    if (message.firstSeries && this.movedBeforeReady) for (const t of this.feed.tails(this.runIds)) this.post({ type: 'append', key: t.key, series: t.series });
    this.movedBeforeReady = false;
    return message;
  }

  /** init as the panel opens (`hint`: the widths its charts had last time), unless the page said `ready` first. */
  private pushInit(hint: FirstChartHint | undefined): void {
    if (this.ready || this.disposed) return;
    this.ready = true;
    this.pushed = this.sendInit(hint);
  }

  private onReady(hint: FirstChartHint | undefined, page: string | undefined): void {
    if (hint && this.mode === 'panel') this.memory?.set(hint);
    const pushed = this.pushed;
    this.pushed = null;
    if (!pushed) {
      this.ready = true;
      this.sendInit(hint);
      return;
    }
    // init went out as the panel opened. A page that reloaded before it arrived says `ready` again.
    this.post({ type: 'initCheck', initId: this.lastInitId, ...(page ? { page } : {}) });
    // The page is wider or narrower than the last: its first chart will ask; read it now.
    if (hint) this.prefetch.readFirstChart(this.feed, this.reads, this.runIds, pushed, hint);
  }

  private onStoreChange(): void {
    // Before the page is ready: init is read again when it is.
    this.preparedInit = null;
    if (!this.ready) {
      this.movedBeforeReady = true;
      return;
    }
    const runs = this.loadRuns();
    const live = runs.filter((r) => r.info.status === 'RUNNING' || r.info.endTime === null);
    // Runs that just finished still get their last points.
    for (const t of this.feed.tails(runs.map((r) => r.info.id))) this.post({ type: 'append', key: t.key, series: t.series });
    this.post({ type: 'runs', runs: runs.map((r) => toRunMsg(r, this.runIds.indexOf(r.info.id))), live: live.length > 0 });
  }

  private async receive(raw: unknown): Promise<void> {
    const msg = parseCompareToHost(raw);
    if (!msg) {
      log().warn(`compare webview sent an invalid message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    try {
      await this.handle(msg);
    } catch (err) {
      this.post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }

  private async handle(msg: CompareToHost): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.onReady(msg.firstChart, msg.page);
        return;
      case 'requestSeries': {
        const feed = this.feed;
        let series;
        try {
          series = await (this.prefetch.take(feed, msg) ?? feed.answerOffThread(this.reads, this.runIds, msg.key, msg.xAxis, msg.buckets, msg.range));
        } catch (err) {
          if (err instanceof ReadCancelled) return;
          throw err;
        }
        // The runs changed while it was read: that answer is for another comparison.
        if (feed !== this.feed) return;
        this.post({ type: 'series', requestId: msg.requestId, key: msg.key, xAxis: msg.xAxis, range: msg.range, series });
        return;
      }
      case 'saveCsv':
        await saveWithDialog(msg.fileName, msg.csv, { CSV: ['csv'] });
        return;
      case 'exportData':
        await saveWithDialog('metrics.csv', await this.reads.metricsCsv(this.runIds, msg.keys), { CSV: ['csv'] });
        return;
      case 'savePng':
        await saveWithDialog(msg.fileName, pngFromDataUrl(msg.dataUrl), { PNG: ['png'] });
        return;
      case 'openRun':
        if (this.runIds.includes(msg.runId)) this.actions.openRun(this.ws, msg.runId);
        return;
      case 'showCodeDiff':
        if (this.runIds.includes(msg.runId)) await vscode.commands.executeCommand(COMMANDS.showCodeDiff, msg.runId);
        return;
      default: {
        const never: never = msg;
        void never;
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.reads.dispose();
    this.storeSub.dispose();
    for (const d of this.subs) d.dispose();
  }
}
