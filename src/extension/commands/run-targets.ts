import * as vscode from 'vscode';
import { formatAgo } from '../../shared/display-format.ts';
import { statusWord } from '../../shared/run-status.ts';
import { LooplineError } from '../../core/errors.ts';
import type { Run } from '../../core/store/types.ts';
import type { Node } from '../experiments/experiments-model.ts';
import type { Services } from '../services.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';

export interface RunTarget {
  ws: WorkspaceStore;
  run: Run;
}

type Arg = unknown;

function isNode(a: Arg): a is Node {
  return typeof a === 'object' && a !== null && 'kind' in a;
}

/**
 * The runs a command acts on, from whatever invoked it: tree nodes (with the multi-selection),
 * a Runs-view item, a run id or a list of ids (CodeLens), or — from the palette — a quick pick.
 */
export async function resolveRuns(s: Services, arg: Arg, selection: Arg, opts: { multi: boolean; placeHolder: string; view?: 'active' | 'deleted' }): Promise<RunTarget[]> {
  const out: RunTarget[] = [];
  const add = (runId: string) => {
    const ws = s.stores.findRun(runId);
    if (!ws) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', `Run ${runId} is not in any store of this workspace.`);
    if (!out.some((t) => t.run.info.id === runId)) out.push({ ws, run: ws.store.getRun(runId) });
  };
  const fromNode = (n: Arg) => {
    if (isNode(n) && (n.kind === 'run' || n.kind === 'sweep')) add(n.run.info.id);
    else if (typeof n === 'object' && n !== null && 'run' in n && 'ws' in n) add((n as { run: Run }).run.info.id);
  };
  if (Array.isArray(selection) && selection.length > 1 && opts.multi) selection.forEach(fromNode);
  else if (Array.isArray(arg)) arg.forEach((a) => (typeof a === 'string' ? add(a) : fromNode(a)));
  else if (typeof arg === 'string') add(arg);
  else if (arg) fromNode(arg);
  if (out.length === 0 && !arg) s.experimentsView.selection.forEach(fromNode);
  if (out.length > 0) return opts.multi ? out : out.slice(0, 1);
  return pickRuns(s, opts);
}

async function pickRuns(s: Services, opts: { multi: boolean; placeHolder: string; view?: 'active' | 'deleted' }): Promise<RunTarget[]> {
  const items: Array<vscode.QuickPickItem & { target: RunTarget }> = [];
  for (const ws of s.stores.allExisting()) {
    const experiments = ws.store.listExperiments();
    const names = new Map(experiments.map((e) => [e.id, e.name]));
    if (experiments.length === 0) continue;
    const page = ws.store.searchRuns({ experimentIds: experiments.map((e) => e.id), maxResults: 500, viewType: opts.view === 'deleted' ? 'DELETED_ONLY' : 'ACTIVE_ONLY' });
    for (const run of page.runs) {
      items.push({
        label: run.info.name,
        description: `${names.get(run.info.experimentId) ?? ''} · ${statusWord(run.info.status)} · ${formatAgo(run.info.startTime)}`,
        detail: run.info.command ?? undefined,
        target: { ws, run },
      });
    }
  }
  if (items.length === 0) {
    throw new LooplineError('RESOURCE_DOES_NOT_EXIST', opts.view === 'deleted' ? 'There are no deleted runs.' : 'There are no runs yet. Start one with "Loopline: Run Training Script…".');
  }
  if (opts.multi) {
    const picked = await vscode.window.showQuickPick(items, { canPickMany: true, placeHolder: opts.placeHolder, matchOnDescription: true });
    return (picked ?? []).map((p) => p.target);
  }
  const picked = await vscode.window.showQuickPick(items, { placeHolder: opts.placeHolder, matchOnDescription: true });
  return picked ? [picked.target] : [];
}
