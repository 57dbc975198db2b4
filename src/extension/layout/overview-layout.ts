import * as vscode from 'vscode';
import { join } from 'node:path';
import { findGitRoot } from '../../core/store/store-location.ts';
import type { Run } from '../../core/store/types.ts';
import { experimentChoices, orderExperimentChoices } from '../experiments/experiment-choice.ts';
import { primaryMetric, type Node } from '../experiments/experiments-model.ts';
import { log } from '../log.ts';
import type { Services } from '../services.ts';
import { readSettings } from '../settings.ts';
import { ComparePanel } from '../webviews/compare-panel.ts';
import { RunDetailPanel } from '../webviews/run-detail-panel.ts';

/** Metrics where lower is better (losses and errors); everything else: higher is better. */
const LOWER_IS_BETTER = /loss|err|mae|mse|rmse|perplexity/i;

/** The two best runs of `runs` by `key`, best first. */
export function bestTwo(runs: Run[], key: string): Run[] {
  const lower = LOWER_IS_BETTER.test(key);
  return runs
    .map((r) => ({ r, v: r.metrics.find((m) => m.key === key)?.last }))
    .filter((x): x is { r: Run; v: number } => x.v !== undefined && Number.isFinite(x.v))
    .sort((a, b) => (lower ? a.v - b.v : b.v - a.v))
    .slice(0, 2)
    .map((x) => x.r);
}

/**
 * `loopline.openOnStartup: "overview"` (what `npm start` sets for the demo): the window opens on
 * Loopline: the Experiments view focused and expanded to the most recent experiment's runs, the
 * script those runs trained open with its CodeLens, and the two best runs compared beside it.
 */
export async function showOverviewIfAsked(s: Services): Promise<void> {
  if (vscode.workspace.getConfiguration('loopline').get<string>('openOnStartup') !== 'overview') return;
  if (s.context.workspaceState.get<boolean>('loopline.overviewShown')) return;
  const ws = s.stores.allExisting()[0];
  if (!ws) return;
  const [exp] = orderExperimentChoices(experimentChoices(ws.store));
  if (!exp || exp.runCount === 0) return;
  await s.context.workspaceState.update('loopline.overviewShown', true);
  await vscode.commands.executeCommand('loopline.experiments.focus');
  const ref = { id: ws.folder.uri.toString(), name: ws.folder.name, store: ws.store };
  const expNode: Node = { kind: 'experiment', ref, experiment: ws.store.getExperiment(exp.id), runCount: exp.runCount };
  const runs = ws.store.searchRuns({ experimentIds: [exp.id], maxResults: 200 }).runs;
  const key = runs[0] ? primaryMetric(runs[0], readSettings(ws.folder).primaryMetric)?.key : undefined;
  const script = runs.find((r) => r.info.sourceFile)?.info.sourceFile;
  // The editors first (they don't depend on the tree), so a busy start shows them soonest.
  if (script) {
    const root = findGitRoot(ws.folder.uri.fsPath) ?? ws.folder.uri.fsPath;
    await vscode.window.showTextDocument(vscode.Uri.file(join(root, script)), { viewColumn: vscode.ViewColumn.One, preview: false }).then(undefined, () => undefined);
  }
  const best = key ? bestTwo(runs, key) : [];
  if (best.length === 2) {
    await vscode.commands.executeCommand('workbench.action.newGroupRight');
    ComparePanel.show(s.context, ws, best.map((r) => r.info.id), (w, id) => RunDetailPanel.show(s.context, w, id));
  }
  // Splitting the editor re-lays out train.py; lenses requested during a busy start can be lost
  // on the way (seen on a loaded 2-core machine), so ask for them again once the layout settled.
  s.codeLens.refresh();
  setTimeout(() => s.codeLens.refresh(), 3000);
  // Expand once the view has drawn its rows (a busy start can take seconds), then again a moment
  // later in case a refresh from the store redrew them meanwhile.
  const expand = () => Promise.resolve(s.experimentsView.reveal(expNode, { select: false, focus: false, expand: true })).catch((err) => log().warn(`overview: ${String(err)}`));
  await Promise.race([s.experiments.rendered, new Promise((r) => setTimeout(r, 15_000))]);
  await expand();
  setTimeout(() => void expand(), 2000);
  log().info(`Opened the overview of ${exp.name}${best.length === 2 ? ` comparing ${best.map((r) => r.info.name).join(' and ')}` : ''}`);
}
