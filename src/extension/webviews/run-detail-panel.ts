import * as vscode from 'vscode';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { OUTPUT_LOG } from '../../core/runs/run-launcher.ts';
import { resolveArtifactPath, walkArtifacts } from '../../core/store/artifact-files.ts';
import type { Run } from '../../core/store/types.ts';
import { parseDetailToHost, type DetailToHost, type HostToDetail, type RunDetailMsg } from '../../protocol/run-detail-protocol.ts';
import { log } from '../log.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';
import { toRunMsg } from './run-messages.ts';
import { SeriesFeed } from './series-feed.ts';
import { ReadCancelled, type ReadChannel } from '../../core/store/store-reader.ts';
import { renderWebview, webviewOptions } from './webview-resources.ts';
import { COMMANDS } from '../command-ids.ts';

const TAIL_BYTES = 64 * 1024;

/** A run's page: summary, params, tags, charts, artifacts, the live tail of its log, git info. */
export class RunDetailPanel implements vscode.Disposable {
  static readonly viewType = 'loopline.runDetail';
  private static readonly open = new Map<string, RunDetailPanel>();
  private readonly subs: vscode.Disposable[] = [];
  private readonly feed: SeriesFeed;
  /** Chart series read in the store's read worker; dropped when the panel closes. */
  private readonly reads: ReadChannel;
  private logOffset = 0;
  private ready = false;
  readonly panel: vscode.WebviewPanel;
  private readonly ws: WorkspaceStore;
  private readonly runId: string;

  private constructor(panel: vscode.WebviewPanel, ctx: vscode.ExtensionContext, ws: WorkspaceStore, runId: string) {
    this.panel = panel;
    this.ws = ws;
    this.runId = runId;
    this.feed = new SeriesFeed(ws.store);
    this.reads = ws.reader.channel();
    panel.webview.options = webviewOptions(ctx.extensionUri);
    panel.webview.html = renderWebview(panel.webview, ctx.extensionUri, 'run-detail', 'Run');
    panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'loopline.svg');
    this.subs.push(
      panel.webview.onDidReceiveMessage((m) => this.receive(m)),
      ws.watcher.onDidChange(() => this.refresh()),
    );
    panel.onDidDispose(() => this.dispose());
    RunDetailPanel.open.set(runId, this);
  }

  static show(ctx: vscode.ExtensionContext, ws: WorkspaceStore, runId: string): RunDetailPanel {
    const existing = RunDetailPanel.open.get(runId);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const run = ws.store.getRun(runId);
    const panel = vscode.window.createWebviewPanel(RunDetailPanel.viewType, `Run ${run.info.name}`, vscode.ViewColumn.Active, webviewOptions(ctx.extensionUri));
    return new RunDetailPanel(panel, ctx, ws, runId);
  }

  private post(msg: HostToDetail): void {
    void this.panel.webview.postMessage(msg);
  }

  private detail(run: Run): RunDetailMsg {
    const git = run.info.git;
    return {
      ...toRunMsg(run, 0),
      command: run.info.command,
      exitCode: run.info.exitCode,
      backend: run.info.backend,
      git: git ? { isRepo: git.isRepo, commit: git.commit, branch: git.branch, dirty: git.dirty, patchTruncated: git.patchTruncated ?? false } : null,
      artifacts: walkArtifacts(this.ws.store.artifactsRoot, this.runId).map((a) => ({ path: a.path, size: a.size })),
    };
  }

  /** New bytes of the output log since the last read (the first read takes only the tail). */
  private readLog(first: boolean): { text: string; truncated: boolean } {
    const file = resolveArtifactPath(this.ws.store.artifactsRoot, this.runId, OUTPUT_LOG);
    if (!existsSync(file)) return { text: '', truncated: false };
    const size = statSync(file).size;
    let truncated = false;
    if (first && size > TAIL_BYTES) {
      this.logOffset = size - TAIL_BYTES;
      truncated = true;
    }
    if (size <= this.logOffset) return { text: '', truncated };
    const buf = Buffer.alloc(size - this.logOffset);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.logOffset);
    } finally {
      closeSync(fd);
    }
    this.logOffset = size;
    return { text: buf.toString('utf8'), truncated };
  }

  private refresh(): void {
    if (!this.ready) return;
    try {
      const run = this.ws.store.getRun(this.runId);
      this.panel.title = `Run ${run.info.name}`;
      this.post({ type: 'update', run: this.detail(run), logAppend: this.readLog(false).text });
    } catch (err) {
      this.post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }

  private async receive(raw: unknown): Promise<void> {
    const msg = parseDetailToHost(raw);
    if (!msg) {
      log().warn(`run detail webview sent an invalid message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    try {
      await this.handle(msg);
    } catch (err) {
      this.post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }

  private async handle(msg: DetailToHost): Promise<void> {
    switch (msg.type) {
      case 'ready': {
        this.ready = true;
        this.logOffset = 0;
        const log = this.readLog(true);
        this.post({ type: 'init', run: this.detail(this.ws.store.getRun(this.runId)), logTail: log.text, logTruncated: log.truncated });
        return;
      }
      case 'requestSeries': {
        let series;
        try {
          series = await this.feed.answerOffThread(this.reads, [this.runId], msg.key, msg.xAxis, msg.buckets, msg.range);
        } catch (err) {
          if (err instanceof ReadCancelled) return;
          throw err;
        }
        this.post({ type: 'series', requestId: msg.requestId, key: msg.key, xAxis: msg.xAxis, range: msg.range, series });
        return;
      }
      case 'openArtifact':
        await vscode.commands.executeCommand(COMMANDS.openArtifact, this.runId, msg.path);
        return;
      case 'showCodeDiff':
        await vscode.commands.executeCommand(COMMANDS.showCodeDiff, this.runId);
        return;
      default: {
        const never: never = msg;
        void never;
      }
    }
  }

  dispose(): void {
    RunDetailPanel.open.delete(this.runId);
    this.reads.dispose();
    for (const d of this.subs) d.dispose();
  }
}
