import * as vscode from 'vscode';
import { LooplineError } from '../../core/errors.ts';
import { ReadCancelled, type ReadChannel } from '../../core/store/store-reader.ts';
import { parseTableToHost, TABLE_CHUNK_ROWS, TABLE_FIRST_ROWS, type ExtraAggregate, type HostToTable, type TableToHost } from '../../protocol/table-protocol.ts';
import { errorMessage, log } from '../log.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';
import { renderWebview, webviewOptions } from './webview-resources.ts';


/** Every run of an experiment as a row (virtualised in the webview), filtered with MLflow's syntax. */
export class ExperimentTablePanel implements vscode.Disposable {
  static readonly viewType = 'loopline.experimentTable';
  private static readonly open = new Map<string, ExperimentTablePanel>();
  private readonly subs: vscode.Disposable[] = [];
  /** Messages read before the webview said it is ready, sent when it does (null once it has). */
  private held: HostToTable[] | null = [];
  private stale = false;
  /** The table is being read (streamed); a change meanwhile reads it again when that ends. */
  private loading = false;
  /** Table reads (cancelled on close and when the table is read again). */
  private readonly tableReads: ReadChannel;
  private readonly filterReads: ReadChannel;
  /** Reads of a metric aggregate the page asked for (cancelled when the table is read again and on close). */
  private readonly aggregateReads: ReadChannel;
  /** The current reading of the table's rows (moves with each `init`): what an aggregate is asked for. */
  private version = 0;
  /** Aggregates the page has asked for: later reads of the table stream them with the rows. */
  private readonly wanted = new Set<ExtraAggregate>();
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
    this.tableReads = ws.reader.channel();
    this.filterReads = ws.reader.channel();
    this.aggregateReads = ws.reader.channel();
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
    // Read while the webview loads: the worker's start and the first rows overlap with it.
    this.sendInit();
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
    if (this.held) this.held.push(msg);
    else void this.panel.webview.postMessage(msg);
  }

  /** Reads the table in the worker: the first rows as `init`, then the rest as `rows` chunks. */
  private sendInit(): void {
    if (this.loading) {
      this.stale = true;
      return;
    }
    this.stale = false;
    this.loading = true;
    // Aggregates of the rows read before are of no use to the page once it has these.
    this.aggregateReads.cancel();
    const version = ++this.version;
    const exp = this.ws.store.getExperiment(this.experimentId);
    let first = true;
    this.tableReads
      .openTable(
        this.experimentId,
        (total, rows, done) => {
          if (first) this.post({ type: 'init', experiment: { id: exp.id, name: exp.name }, version, total, rows, done });
          else this.post({ type: 'rows', rows, done });
          first = false;
        },
        // Last values, and the aggregates the page has asked for (re-reads while runs log would
        // otherwise leave them loading for good); others come out of the worker's columns when asked.
        { firstRows: TABLE_FIRST_ROWS, chunkRows: TABLE_CHUNK_ROWS, tag: version, aggregates: [...this.wanted] },
      )
      .catch((err: unknown) => {
        if (!(err instanceof ReadCancelled)) this.post({ type: 'error', message: `Could not read the runs of ${exp.name}: ${errorMessage(err)}. Close the table and open it again.` });
      })
      .finally(() => {
        this.loading = false;
        // Runs changed while it was read: read again (visible), or once it becomes visible.
        if (this.stale && this.panel.visible) this.sendInit();
      });
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
      case 'ready': {
        const held = this.held;
        this.held = null;
        if (held && (held.length > 0 || this.loading)) {
          // The first open: what was read meanwhile, then the rest as it comes.
          for (const m of held) this.post(m);
          return;
        }
        // The webview was reloaded (or nothing was read yet): read the table again.
        if (this.loading) this.stale = true;
        else this.sendInit();
        return;
      }
      case 'filter': {
        if (!msg.expression.trim()) {
          this.post({ type: 'filterResult', requestId: msg.requestId, rows: null, error: null });
          return;
        }
        // A newer filter replaces an older one that is still being evaluated.
        this.filterReads.cancel();
        this.filterReads
          .filterTable(this.tableReads, this.experimentId, msg.expression)
          .then((rows) => this.post({ type: 'filterResult', requestId: msg.requestId, rows, error: null }))
          .catch((err: unknown) => {
            if (err instanceof ReadCancelled) return;
            const message = err instanceof LooplineError ? err.message : `Could not filter: ${String(err)}`;
            this.post({ type: 'filterResult', requestId: msg.requestId, rows: null, error: message });
          });
        return;
      }
      case 'aggregate': {
        this.wanted.add(msg.aggregate);
        // Asked for rows the page has since replaced (a newer `init` is on its way, with it): it asks again if not.
        if (msg.version !== this.version) return;
        const { version, aggregate } = msg;
        this.aggregateReads
          .tableAggregate(this.tableReads, this.experimentId, version, aggregate, (_total, rows, done) => this.post({ type: 'aggregateRows', version, aggregate, rows, done }), TABLE_CHUNK_ROWS)
          .catch((err: unknown) => {
            if (err instanceof ReadCancelled) return;
            // The worker no longer holds these rows (read again meanwhile, or a new worker after a
            // crash): a new read brings the aggregate with the rows, unless one is under way.
            if (err instanceof LooplineError && err.code === 'INVALID_STATE') {
              if (!this.loading) this.sendInit();
              return;
            }
            this.post({ type: 'error', message: `Could not read the ${aggregate} values: ${errorMessage(err)}. Show "last" values, or close and reopen the table.` });
          });
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
    // Closing the panel stops its reads in the worker.
    this.tableReads.dispose();
    this.filterReads.dispose();
    this.aggregateReads.dispose();
    for (const d of this.subs) d.dispose();
  }
}
