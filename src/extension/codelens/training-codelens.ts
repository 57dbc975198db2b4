import * as vscode from 'vscode';
import { relative } from 'node:path';
import { formatAgo, formatNumber } from '../../shared/display-format.ts';
import { statusWord } from '../../shared/run-status.ts';
import { findGitRoot } from '../../core/store/store-location.ts';
import { primaryMetric } from '../experiments/experiments-model.ts';
import { readSettings } from '../settings.ts';
import type { WorkspaceStores } from '../workspace-stores.ts';
import { COMMANDS } from '../command-ids.ts';
import type { Run } from '../../core/store/types.ts';
import { lensLines } from './lens-lines.ts';
import { importsTracking } from '../runs/script-candidates.ts';
import { errorMessage, log } from '../log.ts';

/** Whether a document is a training script: imports loopline/mlflow, or matches loopline.trainingScripts. */
export function isTrainingScript(doc: vscode.TextDocument): boolean {
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  const patterns = folder ? readSettings(folder).trainingScripts : [];
  if (folder && patterns.some((p) => vscode.languages.match({ pattern: new vscode.RelativePattern(folder, p) }, doc) > 0)) return true;
  return doc.languageId === 'python' && importsTracking(doc.getText());
}

/**
 * On the first code line of a training script (after its docstring) and above its entry point:
 * `▶ Run | Last run: accuracy 0.93, 2 h ago | Compare with previous run | Compare runs`.
 * The runs of each script are read once per store change; the minute tick that keeps "5 m ago"
 * true re-renders from that cache.
 */
export class TrainingCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly sub: vscode.Disposable;
  private readonly stores: WorkspaceStores;

  private readonly cache = new Map<string, Array<{ run: Run }>>();
  private readonly tick: NodeJS.Timeout;
  private retry: NodeJS.Timeout | undefined;

  constructor(stores: WorkspaceStores) {
    this.stores = stores;
    this.sub = stores.onDidChange(() => {
      this.cache.clear();
      this.changed.fire();
    });
    // Relative times ("5 m ago") stay true while a script is on screen; no store reads.
    this.tick = setInterval(() => {
      if (vscode.window.visibleTextEditors.some((e) => this.cache.has(e.document.uri.toString()))) this.changed.fire();
    }, TrainingCodeLensProvider.relativeTimeRefreshMs);
  }

  /** How often relative times are re-rendered (tests shorten it). */
  static relativeTimeRefreshMs = 60_000;

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    try {
      if (!isTrainingScript(doc)) return [];
      const lenses: vscode.CodeLens[] = [];
      for (const line of lensLines(doc.getText())) lenses.push(...this.lensesAt(doc, new vscode.Range(line, 0, line, 0)));
      return lenses;
    } catch (err) {
      // VS Code only logs a provider's error in the window's console and never asks again until
      // the text changes: say why here, and ask VS Code to ask again in a moment.
      log().warn(`CodeLens of ${doc.uri.fsPath}: ${errorMessage(err)}`);
      this.cache.delete(doc.uri.toString());
      if (!this.retry) this.retry = setTimeout(() => ((this.retry = undefined), this.changed.fire()), 2000);
      return [];
    }
  }

  /** Asks VS Code for fresh lenses (after a layout change that may have dropped the first ones). */
  refresh(): void {
    this.changed.fire();
  }

  private lensesAt(doc: vscode.TextDocument, range: vscode.Range): vscode.CodeLens[] {
    const lenses = [new vscode.CodeLens(range, { title: '$(play) Run', command: COMMANDS.runTrainingScript, arguments: [doc.uri], tooltip: 'Start a tracked run of this script' })];
    const key = doc.uri.toString();
    let runs = this.cache.get(key);
    if (!runs) this.cache.set(key, (runs = this.recentRuns(doc.uri)));
    const last = runs[0];
    if (last) {
      const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
      const m = primaryMetric(last.run, folder ? readSettings(folder).primaryMetric : '');
      const what = m ? `${m.key} ${formatNumber(m.last)}` : statusWord(last.run.info.status);
      lenses.push(
        new vscode.CodeLens(range, {
          title: `Last run: ${what}, ${formatAgo(last.run.info.startTime)}`,
          command: COMMANDS.revealRun,
          arguments: [last.run.info.id],
          tooltip: `${last.run.info.name} (${statusWord(last.run.info.status)})`,
        }),
      );
      if (runs.length > 1) {
        lenses.push(
          new vscode.CodeLens(range, {
            title: 'Compare with previous run',
            command: COMMANDS.compareSelectedRuns,
            arguments: [[runs[0]!.run.info.id, runs[1]!.run.info.id]],
            tooltip: `${runs[0]!.run.info.name} vs ${runs[1]!.run.info.name}`,
          }),
        );
        lenses.push(
          new vscode.CodeLens(range, {
            title: 'Compare runs',
            command: COMMANDS.compareSelectedRuns,
            arguments: [runs.slice(0, 10).map((r) => r.run.info.id)],
            tooltip: 'Compare the latest runs of this script',
          }),
        );
      }
    }
    return lenses;
  }

  /** Runs of this script, newest first (matched on the path relative to the git root). */
  private recentRuns(uri: vscode.Uri) {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return [];
    const ws = this.stores.existing(folder);
    if (!ws) return [];
    const rel = relative(findGitRoot(uri.fsPath) ?? folder.uri.fsPath, uri.fsPath).split('\\').join('/');
    const experimentIds = ws.store.listExperiments().map((e) => e.id);
    const page = ws.store.searchRuns({ experimentIds, filter: `attributes.source_file = '${rel.replace(/'/g, "''")}'`, maxResults: 10 });
    return page.runs.map((run) => ({ ws, run }));
  }

  dispose(): void {
    clearInterval(this.tick);
    clearTimeout(this.retry);
    this.sub.dispose();
    this.changed.dispose();
  }
}
