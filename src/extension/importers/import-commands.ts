import * as vscode from 'vscode';
import { detectFormat, findImportableHistory } from '../../core/importers/format-detection.ts';
import { IMPORT_FORMATS, type ImportFormat, type ImportSummary } from '../../core/importers/import-types.ts';
import { COMMANDS } from '../command-ids.ts';
import { runIdsOf } from '../experiments/experiments-tree.ts';
import { log } from '../log.ts';
import type { Services } from '../services.ts';
import { resolveRuns } from '../commands/run-targets.ts';
import { startImportJob } from './import-job.ts';
import { formatCount } from '../../shared/display-format.ts';

const FORMAT_NAMES: Record<ImportFormat, string> = {
  mlflow: 'MLflow file store (mlruns)',
  tensorboard: 'TensorBoard logs (tfevents)',
  dvclive: 'DVCLive output',
  wandb: 'Weights & Biases run folders',
};

export interface ImportCommandOptions {
  /** Skip the pickers (tests, the workspace prompt). */
  path?: string;
  format?: ImportFormat;
  folder?: vscode.WorkspaceFolder;
  /** Also stops the import (besides the notification's Cancel button); for callers such as tests. */
  cancellation?: vscode.CancellationToken;
  /** Sees each progress report the notification shows. */
  onProgress?: (message: string) => void;
}

function workerScript(s: Services): string {
  return vscode.Uri.joinPath(s.context.extensionUri, 'dist', 'import-worker.cjs').fsPath;
}

async function pickFolder(s: Services, given?: vscode.WorkspaceFolder): Promise<vscode.WorkspaceFolder | undefined> {
  if (given) return given;
  const folders = s.stores.folders();
  if (folders.length <= 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Workspace folder whose Loopline store receives the runs' });
}

/** Loopline: Import Runs… — folder picker, detected format to confirm, progress with counts and cancel, summary. */
export async function importRunsCommand(s: Services, opts: ImportCommandOptions = {}): Promise<ImportSummary | undefined> {
  const folder = await pickFolder(s, opts.folder);
  if (!folder) {
    void vscode.window.showWarningMessage('Open a folder first: imported runs go into the Loopline store of a workspace folder.');
    return undefined;
  }
  let path = opts.path;
  if (!path) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      defaultUri: folder.uri,
      openLabel: 'Import Runs',
      title: 'Folder with runs: an mlruns folder, TensorBoard logs, DVCLive output or a wandb folder',
    });
    if (!picked?.[0]) return undefined;
    path = picked[0].fsPath;
  }
  let format = opts.format;
  if (!format) {
    const detected = detectFormat(path);
    type Item = vscode.QuickPickItem & { format: ImportFormat };
    const items: Item[] = IMPORT_FORMATS.map((f) => ({
      label: FORMAT_NAMES[f],
      description: f === detected ? 'detected' : undefined,
      format: f,
    })).sort((a, b) => (a.format === detected ? -1 : b.format === detected ? 1 : 0));
    const pick = await vscode.window.showQuickPick(items, {
      title: `Import runs from ${vscode.workspace.asRelativePath(path)}`,
      placeHolder: detected ? `Detected: ${FORMAT_NAMES[detected]}. Press Enter to import.` : 'The format was not recognised; which tool wrote these files?',
    });
    if (!pick) return undefined;
    format = pick.format;
  }
  const storePath = s.stores.get(folder).store.path;
  const summary = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Importing ${FORMAT_NAMES[format]}`, cancellable: true },
    async (progress, token) => {
      const job = startImportJob(workerScript(s), { kind: 'import', storePath, path: path!, format }, (m) => {
        if (m.type === 'progress') {
          const p = m.progress;
          const message = `${p.runsRead} runs, ${formatCount(p.pointsRead)} points${p.skipped ? `, ${p.skipped} skipped` : ''} — ${p.current}`;
          progress.report({ message });
          opts.onProgress?.(message);
        }
      });
      const subs = [token.onCancellationRequested(() => job.cancel())];
      if (opts.cancellation) subs.push(opts.cancellation.onCancellationRequested(() => job.cancel()));
      try {
        const reply = await job.result;
        return reply.type === 'imported' ? reply.summary : undefined;
      } finally {
        for (const d of subs) d.dispose();
      }
    },
  );
  if (!summary) return undefined;
  const ws = s.stores.existing(folder);
  if (ws) s.stores.wrote(ws);
  s.experiments.refresh();
  for (const p of summary.skipped) log().warn(`import skipped ${p.file}${p.position ? ` (${p.position})` : ''}: ${p.message}`);
  const text =
    `${summary.cancelled ? 'Import cancelled after' : 'Imported'} ${summary.runs.created} new runs` +
    (summary.runs.updated ? `, updated ${summary.runs.updated}` : '') +
    (summary.runs.unchanged ? `, ${summary.runs.unchanged} already imported` : '') +
    ` (${formatCount(summary.metricPoints.added)} metric points, ${summary.params} params) into ${summary.experiments.join(', ') || 'no experiment'}.` +
    (summary.skipped.length ? ` ${summary.skipped.length} items skipped.` : '') +
    (summary.artifacts.refused ? ` ${summary.artifacts.refused} artifact folders or files outside the imported folder were not copied (see Show Skipped).` : '');
  const actions = ['Show in Explorer', ...(summary.skipped.length ? ['Show Skipped'] : [])];
  void vscode.window.showInformationMessage(text, ...actions).then(async (choice) => {
    if (choice === 'Show in Explorer') {
      await vscode.commands.executeCommand('loopline.experiments.focus');
      if (summary.runIds[0]) await vscode.commands.executeCommand(COMMANDS.revealRun, summary.runIds[0]);
    } else if (choice === 'Show Skipped') log().show();
  });
  return summary;
}

/** Loopline: Export Runs to MLflow Format… — the selected runs (or picked ones) into a folder MLflow reads. */
export async function exportRunsCommand(s: Services, arg?: unknown, selection?: unknown, to?: string): Promise<string | undefined> {
  const fromSelection = Array.isArray(selection) ? runIdsOf(selection as never[]) : [];
  const targets = await resolveRuns(s, fromSelection.length ? fromSelection : arg, undefined, { multi: true, placeHolder: 'Runs to export as an MLflow file store' });
  if (targets.length === 0) return undefined;
  let dest = to;
  if (!dest) {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Export Here', title: 'Folder for the MLflow store (mlruns)', defaultUri: targets[0]!.ws.folder.uri });
    if (!picked?.[0]) return undefined;
    dest = picked[0].fsPath;
  }
  const ws = targets[0]!.ws;
  const reply = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Exporting runs to MLflow format' }, async (progress) => {
    const job = startImportJob(workerScript(s), { kind: 'export', storePath: ws.store.path, runIds: targets.map((t) => t.run.info.id), to: dest! }, (m) => {
      if (m.type === 'export-progress') progress.report({ message: `${m.done} of ${m.total} runs` });
    });
    return job.result;
  });
  if (reply.type !== 'exported') return undefined;
  const sum = reply.summary;
  void vscode.window
    .showInformationMessage(`Exported ${sum.runs} runs (${formatCount(sum.metricPoints)} metric points) to ${sum.destination}. Open it with: mlflow ui --backend-store-uri ${sum.destination}`, 'Reveal Folder')
    .then((c) => (c === 'Reveal Folder' ? vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(sum.destination)) : undefined));
  return sum.destination;
}

/**
 * When a workspace holding an `mlruns/` folder or TensorBoard event files opens with an empty
 * store, offer to import them (once per workspace unless the user says otherwise).
 */
export async function offerImportOnOpen(s: Services): Promise<void> {
  const key = 'loopline.import.offered';
  for (const folder of s.stores.folders()) {
    if (s.context.workspaceState.get<boolean>(`${key}:${folder.uri.toString()}`)) continue;
    const ws = s.stores.existing(folder);
    if (ws && ws.store.listExperiments('ALL').some((e) => ws.store.countRuns(e.id, 'ALL') > 0)) continue;
    const found = await findHistory(folder);
    if (!found) continue;
    const what = found.format === 'mlflow' ? 'MLflow runs (mlruns/)' : 'TensorBoard logs';
    const choice = await vscode.window.showInformationMessage(`${folder.name} has ${what}. Import them into Loopline to compare them with new runs?`, 'Import', 'Not Now', "Don't Ask Again");
    if (choice === "Don't Ask Again") await s.context.workspaceState.update(`${key}:${folder.uri.toString()}`, true);
    if (choice === 'Import') {
      await s.context.workspaceState.update(`${key}:${folder.uri.toString()}`, true);
      await vscode.commands.executeCommand(COMMANDS.importRuns, { path: found.path, format: found.format, folder });
    }
  }
}

async function findHistory(folder: vscode.WorkspaceFolder): Promise<{ format: ImportFormat; path: string } | undefined> {
  // findFiles uses VS Code's file search (respecting files.exclude), cheaper than walking here.
  const exclude = '{**/node_modules/**,**/.git/**,**/.venv/**}';
  const meta = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/mlruns/*/meta.yaml'), exclude, 1);
  if (meta[0]) return { format: 'mlflow', path: vscode.Uri.joinPath(meta[0], '..', '..').fsPath };
  const events = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/*tfevents*'), exclude, 1);
  if (events[0]) return findImportableHistory(folder.uri.fsPath) ?? { format: 'tensorboard', path: folder.uri.fsPath };
  return undefined;
}
