import * as vscode from 'vscode';
import { readEvaluationRecord, type EvaluationRecord } from '../../core/evaluate/evaluation-record.ts';
import { EVALUATES_TAG } from '../../core/registry/model-registry.ts';
import { parseEvaluationToHost, type EvaluationToHost, type HostToEvaluation } from '../../protocol/evaluation-protocol.ts';
import { log } from '../log.ts';
import { registryOf } from '../models/models-tree.ts';
import { renderWebview, webviewOptions } from '../webviews/webview-resources.ts';
import { formatDateTime } from '../../shared/display-format.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';

/**
 * The Evaluation Report panel: one evaluation run's report, or two side by side. While an evaluation
 * runs it shows progress with Cancel (`onCancel`). Keeps the last view, so a webview that says
 * `ready` late (or again after being hidden) gets it.
 */
export class EvaluationPanel implements vscode.Disposable {
  static readonly viewType = 'loopline.evaluation';
  private readonly subs: vscode.Disposable[] = [];
  private view: HostToEvaluation | undefined;
  private ready = false;
  private disposed = false;
  private records: EvaluationRecord[] = [];
  onCancel: (() => void) | undefined;
  readonly panel: vscode.WebviewPanel;
  private readonly ws: WorkspaceStore;

  constructor(ctx: vscode.ExtensionContext, ws: WorkspaceStore, title: string) {
    this.ws = ws;
    this.panel = vscode.window.createWebviewPanel(EvaluationPanel.viewType, title, vscode.ViewColumn.Active, webviewOptions(ctx.extensionUri));
    this.panel.webview.html = renderWebview(this.panel.webview, ctx.extensionUri, 'evaluation', title);
    this.panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'loopline.svg');
    this.subs.push(this.panel.webview.onDidReceiveMessage((m) => this.receive(m)));
    this.panel.onDidDispose(() => this.dispose());
  }

  /** What the panel shows now (read by the extension-host tests). */
  get shown(): HostToEvaluation | undefined {
    return this.view;
  }

  post(msg: HostToEvaluation): void {
    if (this.disposed) return;
    this.view = msg.type === 'progress' && this.view?.type === 'report' ? this.view : msg;
    if (this.ready) void this.panel.webview.postMessage(msg);
  }

  showRecords(records: EvaluationRecord[]): void {
    this.records = records;
    this.panel.title = records.length === 2 ? `Evaluation: ${label(records[0]!)} vs ${label(records[1]!)}` : `Evaluation: ${label(records[0]!)}`;
    this.post({ type: 'report', evaluations: records });
  }

  private receive(raw: unknown): void {
    const msg = parseEvaluationToHost(raw);
    if (!msg) {
      log().warn(`evaluation webview sent an invalid message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    void this.handle(msg).catch((err: unknown) => this.post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
  }

  private async handle(msg: EvaluationToHost): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        if (this.view) void this.panel.webview.postMessage(this.view);
        return;
      case 'cancel':
        this.onCancel?.();
        return;
      case 'compareWith': {
        const first = this.records[0];
        if (!first) return;
        const other = await pickEvaluation(this.ws, `Show beside ${label(first)}`, first);
        if (other) this.showRecords([first, other]);
        return;
      }
      case 'closeComparison':
        if (this.records[0]) this.showRecords([this.records[0]]);
        return;
      default: {
        const never: never = msg;
        void never;
      }
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.onCancel?.();
    for (const d of this.subs) d.dispose();
  }
}

const label = (r: EvaluationRecord) => `${r.model}/${r.version}`;

/** Evaluation runs of the store, newest first (runs tagged loopline.evaluates). */
export function evaluationRuns(ws: WorkspaceStore): Array<{ runId: string; subject: string; startTime: number; data: string }> {
  const experimentIds = ws.store.listExperiments().map((e) => e.id);
  if (!experimentIds.length) return [];
  const runs = ws.store.searchRuns({ experimentIds, filter: `tags.\`${EVALUATES_TAG}\` LIKE '%' and attributes.status = 'FINISHED'`, orderBy: ['attributes.start_time DESC'], maxResults: 200 }).runs;
  return runs.map((r) => ({ runId: r.info.id, subject: r.tags[EVALUATES_TAG] ?? '?', startTime: r.info.startTime, data: r.params.data ?? '' }));
}

export function readRecord(ws: WorkspaceStore, runId: string): EvaluationRecord {
  return readEvaluationRecord(registryOf(ws), runId);
}

/** A quick pick of the store's other evaluations; those on the same data (same SHA-256) first. */
async function pickEvaluation(ws: WorkspaceStore, placeHolder: string, besides: EvaluationRecord): Promise<EvaluationRecord | undefined> {
  const runs = evaluationRuns(ws).filter((r) => r.runId !== besides.runId);
  if (!runs.length) {
    void vscode.window.showInformationMessage('No other evaluation to compare with yet: evaluate another version (Evaluate Model… on it in the Models view).');
    return undefined;
  }
  const records = runs.map((r) => ({ r, rec: safeRead(ws, r.runId) })).filter((x): x is { r: (typeof runs)[number]; rec: EvaluationRecord } => x.rec !== undefined);
  records.sort((a, b) => Number(b.rec.data.sha256 === besides.data.sha256) - Number(a.rec.data.sha256 === besides.data.sha256));
  const pick = await vscode.window.showQuickPick(
    records.map((x) => ({ label: `${x.rec.model}/${x.rec.version}${x.rec.alias ? ` @${x.rec.alias}` : ''}`, description: `${x.r.data}${x.rec.data.sha256 === besides.data.sha256 ? ' (same data)' : ''}`, detail: formatDateTime(x.r.startTime), rec: x.rec })),
    { placeHolder },
  );
  return pick?.rec;
}

function safeRead(ws: WorkspaceStore, runId: string): EvaluationRecord | undefined {
  try {
    return readRecord(ws, runId);
  } catch {
    return undefined;
  }
}
