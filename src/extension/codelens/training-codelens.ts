import * as vscode from 'vscode';
import { relative } from 'node:path';
import { formatAgo, formatNumber } from '../../shared/display-format.ts';
import { statusWord } from '../../shared/run-status.ts';
import { findGitRoot } from '../../core/store/store-location.ts';
import { primaryMetric } from '../experiments/experiments-model.ts';
import { readSettings } from '../settings.ts';
import type { WorkspaceStores } from '../workspace-stores.ts';
import { COMMANDS } from '../command-ids.ts';

const TRACKING_IMPORT = /^\s*(?:import|from)\s+(?:loopline|mlflow)\b/m;
const MAIN_GUARD = /^if\s+__name__\s*==\s*['"]__main__['"]\s*:/m;

/** Whether a document is a training script: imports loopline/mlflow, or matches loopline.trainingScripts. */
export function isTrainingScript(doc: vscode.TextDocument): boolean {
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  const patterns = folder ? readSettings(folder).trainingScripts : [];
  if (folder && patterns.some((p) => vscode.languages.match({ pattern: new vscode.RelativePattern(folder, p) }, doc) > 0)) return true;
  return doc.languageId === 'python' && TRACKING_IMPORT.test(doc.getText());
}

/**
 * Above a training script's entry point:
 * `▶ Run | Last run: accuracy 0.93, 2h ago | Compare with previous run | Compare runs`.
 */
export class TrainingCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly sub: vscode.Disposable;
  private readonly stores: WorkspaceStores;

  constructor(stores: WorkspaceStores) {
    this.stores = stores;
    this.sub = stores.onDidChange(() => this.changed.fire());
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!isTrainingScript(doc)) return [];
    const text = doc.getText();
    const guard = MAIN_GUARD.exec(text);
    const line = guard ? doc.positionAt(guard.index).line : 0;
    const range = new vscode.Range(line, 0, line, 0);
    const lenses = [new vscode.CodeLens(range, { title: '$(play) Run', command: COMMANDS.runTrainingScript, arguments: [doc.uri], tooltip: 'Start a tracked run of this script' })];
    const runs = this.recentRuns(doc.uri);
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
    this.sub.dispose();
    this.changed.dispose();
  }
}
