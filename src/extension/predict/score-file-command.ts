import * as vscode from 'vscode';
import { basename, dirname, extname, join } from 'node:path';
import { LooplineError } from '../../core/errors.ts';
import type { PredictionJobResult } from '../../core/predict/prediction-job.ts';
import { registryOf } from '../models/models-tree.ts';
import type { Services } from '../services.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';
import { formatCount } from '../../shared/display-format.ts';
import { startPredictJob } from './predict-job.ts';

/** Lets tests and other commands skip the prompts (version, output file) and cancel without the UI. */
export interface ScoreFileOptions {
  ref?: string;
  output?: string;
  batchSize?: number;
  token?: vscode.CancellationToken;
}

/**
 * *Score File with Model…* on a CSV in the Explorer (or from the palette): pick a version or an alias,
 * pick where the predictions go, then the job runs in a worker with a cancellable progress
 * notification (rows, rows/s, rejected). Ends with what was written and buttons to open it; a job
 * that stopped says why and where the partial output is.
 */
export async function scoreFileWithModel(s: Services, arg?: unknown, opts: ScoreFileOptions = {}): Promise<PredictionJobResult | undefined> {
  const input = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.file(arg) : await pickCsv();
  if (!input) return undefined;
  const target = opts.ref ? findRef(s, opts.ref) : await pickVersion(s, input);
  if (!target) return undefined;
  let output = opts.output;
  if (!output) {
    const stem = basename(input.fsPath, extname(input.fsPath));
    const chosen = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(join(dirname(input.fsPath), `${stem}.predictions.csv`)),
      filters: { CSV: ['csv'] },
      saveLabel: 'Write Predictions',
      title: `Predictions of ${target.ref} for ${basename(input.fsPath)}`,
    });
    if (!chosen) return undefined;
    output = chosen.fsPath;
  }
  const script = vscode.Uri.joinPath(s.context.extensionUri, 'dist', 'predict-worker.cjs').fsPath;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Scoring ${basename(input.fsPath)} with ${target.ref}`, cancellable: true },
    async (progress, uiToken) => {
      let shown = 0;
      const job = startPredictJob(
        script,
        { storePath: target.ws.store.path, ref: target.ref, input: input.fsPath, output: output!, ...(opts.batchSize ? { batchSize: opts.batchSize } : {}) },
        {
          status: (message) => progress.report({ message }),
          progress: (p) => {
            const share = p.totalBytes ? Math.floor((100 * p.bytesRead) / p.totalBytes) : 0;
            const rate = p.elapsedMs > 0 ? Math.round((p.rows * 1000) / p.elapsedMs) : 0;
            progress.report({ increment: Math.max(0, share - shown), message: `${formatCount(p.rows)} rows · ${formatCount(rate)} rows/s · ${formatCount(p.rejected)} rejected` });
            shown = Math.max(shown, share);
          },
        },
      );
      const subs = [uiToken.onCancellationRequested(() => job.cancel()), ...(opts.token ? [opts.token.onCancellationRequested(() => job.cancel())] : [])];
      if (opts.token?.isCancellationRequested) job.cancel();
      try {
        return await job.result;
      } finally {
        for (const d of subs) d.dispose();
      }
    },
  );
  s.stores.wrote(target.ws);
  announce(result);
  return result;
}

function announce(r: PredictionJobResult): void {
  const rejected = r.rejected ? ` ${formatCount(r.rejected)} rows rejected (with the model's errors in ${basename(r.rejectedFile)}).` : '';
  const open = (label: string, path: string) => ({ label, run: () => vscode.commands.executeCommand('vscode.open', vscode.Uri.file(path)) });
  const actions = [open(r.status === 'finished' ? 'Open Predictions' : 'Open Partial Output', r.output), ...(r.rejected ? [open('Open Rejected Rows', r.rejectedFile)] : [])];
  const message =
    r.status === 'finished'
      ? `Loopline: scored ${formatCount(r.scored)} rows of ${basename(r.input.path)} with ${r.model}/${r.version} → ${basename(r.output)} (${formatCount(Math.round(r.rowsPerSecond))} rows/s).${rejected}`
      : `Loopline: scoring ${basename(r.input.path)} with ${r.model}/${r.version} ${r.status === 'cancelled' ? 'was cancelled' : 'stopped'}: ${r.error}. ${formatCount(r.scored)} scored rows are in ${basename(r.output)}; ${r.notScored === null ? 'the rest were' : `${formatCount(r.notScored)} rows were`} not scored.${rejected}`;
  const show = r.status === 'finished' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
  void show(message, ...actions.map((a) => a.label)).then((choice) => actions.find((a) => a.label === choice)?.run());
}

async function pickCsv(): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'CSV files': ['csv', 'tsv'] }, openLabel: 'Score File', title: 'File to score with a model' });
  return picked?.[0];
}

interface Target {
  ws: WorkspaceStore;
  ref: string;
}

function findRef(s: Services, ref: string): Target {
  for (const ws of s.stores.allExisting()) {
    try {
      registryOf(ws).resolve(ref);
      return { ws, ref };
    } catch {
      // not in this store
    }
  }
  throw new LooplineError('RESOURCE_DOES_NOT_EXIST', `No model version ${ref} in this workspace's stores; see the Models view.`);
}

/** Aliases first (what is in use), then every version not archived; stores of the file's folder first. */
async function pickVersion(s: Services, input: vscode.Uri): Promise<Target | undefined> {
  const folder = vscode.workspace.getWorkspaceFolder(input);
  const stores = s.stores.allExisting().sort((a, b) => Number(b.folder === folder) - Number(a.folder === folder));
  const items: Array<vscode.QuickPickItem & { target?: Target }> = [];
  for (const ws of stores) {
    const versions = registryOf(ws).allVersions().filter((v) => !v.archived);
    const where = stores.length > 1 ? ws.folder.name : undefined;
    for (const v of versions) for (const a of v.aliases) items.push({ label: `${v.model}@${a}`, description: `v${v.version}`, ...(where ? { detail: where } : {}), target: { ws, ref: `${v.model}@${a}` } });
    for (const v of versions) items.push({ label: `${v.model}/${v.version}`, description: v.aliases.map((a) => `@${a}`).join(' '), ...(where ? { detail: where } : {}), target: { ws, ref: `${v.model}/${v.version}` } });
  }
  if (items.length === 0) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', 'No registered model versions yet: use Register Model… on a run first.');
  return (await vscode.window.showQuickPick(items, { placeHolder: `Score ${basename(input.fsPath)} with which model version or alias?`, matchOnDescription: true }))?.target;
}
