import * as vscode from 'vscode';
import { formatRunCount } from '../../shared/display-format.ts';
import { LooplineError } from '../../core/errors.ts';
import type { Node } from '../experiments/experiments-model.ts';
import type { Services } from '../services.ts';
import { ComparePanel } from '../webviews/compare-panel.ts';
import { ExperimentTablePanel } from '../webviews/experiment-table-panel.ts';
import { RunDetailPanel } from '../webviews/run-detail-panel.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';
import { resolveRuns } from './run-targets.ts';
import { selectedExperimentId } from './run-commands.ts';
import { experimentChoices, orderExperimentChoices } from '../experiments/experiment-choice.ts';

function openRun(s: Services) {
  return (ws: WorkspaceStore, runId: string) => RunDetailPanel.show(s.context, ws, runId);
}

/** Opens the Compare panel for the selected runs (all from one workspace folder). */
export async function compareRuns(s: Services, arg?: unknown, selection?: unknown): Promise<ComparePanel | undefined> {
  const targets = await resolveRuns(s, arg, selection, { multi: true, placeHolder: 'Runs to compare (pick two or more)' });
  if (targets.length === 0) return undefined;
  const ws = targets[0]!.ws;
  const ids = targets.filter((t) => t.ws === ws).map((t) => t.run.info.id);
  if (ids.length < targets.length) void vscode.window.showWarningMessage('Loopline compares runs of one workspace folder at a time; showing those of the first.');
  return ComparePanel.show(s.context, ws, ids, openRun(s));
}

/** More panels than this at once would bury the editor; the rest are named in a message. */
export const MAX_DETAIL_PANELS = 5;

/** One Run Details panel per selected run (up to MAX_DETAIL_PANELS); returns the last one opened. */
export async function openRunDetail(s: Services, arg?: unknown, selection?: unknown): Promise<RunDetailPanel | undefined> {
  const targets = await resolveRuns(s, arg, selection, { multi: true, placeHolder: 'Runs to open' });
  let panel: RunDetailPanel | undefined;
  for (const t of targets.slice(0, MAX_DETAIL_PANELS)) panel = RunDetailPanel.show(s.context, t.ws, t.run.info.id);
  if (targets.length > MAX_DETAIL_PANELS) {
    const more = targets.length - MAX_DETAIL_PANELS;
    void vscode.window.showInformationMessage(
      `Loopline opened ${MAX_DETAIL_PANELS} of the ${targets.length} selected runs; ${more} more not opened (${targets.slice(MAX_DETAIL_PANELS, MAX_DETAIL_PANELS + 3).map((t) => t.run.info.name).join(', ')}${more > 3 ? ', …' : ''}). Compare Selected Runs shows them all side by side.`,
    );
  }
  return panel;
}

/** From an experiment node, an experiment id (with the single folder), or a pick. */
export async function openExperimentTable(s: Services, arg?: unknown): Promise<ExperimentTablePanel | undefined> {
  let ws: WorkspaceStore | undefined;
  let experimentId: string | undefined;
  const node = arg as Node | undefined;
  if (node && typeof node === 'object' && 'kind' in node && node.kind === 'experiment') {
    ws = s.stores.allExisting().find((w) => w.folder.uri.toString() === node.ref.id);
    experimentId = node.experiment.id;
  } else {
    // The selected experiment first, then the most recently used; an empty Default is not offered.
    const items = s.stores.allExisting().flatMap((w) =>
      orderExperimentChoices(experimentChoices(w.store), selectedExperimentId(s, w.folder))
        .filter((c) => c.runCount > 0 || c.id !== '0')
        .map((c) => ({ label: c.name, description: `${formatRunCount(c.runCount)}${s.stores.folders().length > 1 ? ` · ${w.folder.name}` : ''}`, ws: w, id: c.id })),
    );
    if (typeof arg === 'string') {
      const hit = items.find((i) => i.id === arg || i.label === arg);
      if (!hit) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', `No experiment '${arg}' in this workspace.`);
      ws = hit.ws;
      experimentId = hit.id;
    } else {
      if (items.length === 0) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', 'There are no experiments yet. Start a run with "Loopline: Run Training Script…".');
      const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Experiment to open as a table' });
      if (!picked) return undefined;
      ws = picked.ws;
      experimentId = picked.id;
    }
  }
  if (!ws || experimentId === undefined) return undefined;
  return ExperimentTablePanel.show(s.context, ws, experimentId, {
    compare: (w, ids) => ComparePanel.show(s.context, w, ids, openRun(s)),
    openRun: openRun(s),
  });
}
