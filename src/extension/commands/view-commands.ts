import * as vscode from 'vscode';
import { LooplineError } from '../../core/errors.ts';
import { parseFilter } from '../../core/store/run-filter.ts';
import { metricKeys as listMetricKeys } from '../../core/store/series-queries.ts';
import { RUN_STATUSES, type RunStatus } from '../../core/store/types.ts';
import { describeFilter, type RunSort } from '../experiments/experiments-model.ts';
import type { Services } from '../services.ts';

/** The view's description says how runs are sorted and filtered, when not the default. */
/** Shows the new filter/order; resolves once the view's searches have their answers. */
function updateFilterContext(s: Services): Promise<void> {
  const m = s.experiments.model;
  void vscode.commands.executeCommand('setContext', 'loopline.filterActive', m.filterActive());
  const sort = m.sort.by === 'name' ? 'by name' : m.sort.by === 'metric' ? `by ${m.sort.key} ${m.sort.descending ? '↓' : '↑'}` : '';
  const parts = [sort, m.filterActive() ? describeFilter(m.filter) : '', m.showDeleted ? 'incl. deleted' : ''].filter(Boolean);
  s.experimentsView.description = parts.length ? parts.join(' · ') : undefined;
  s.experiments.queryChanged();
  return s.experiments.searchesSettled();
}

export async function sortRuns(s: Services, sort?: RunSort): Promise<void> {
  let chosen = sort;
  if (!chosen) {
    const metricKeys = new Set<string>();
    for (const ws of s.stores.allExisting()) {
      for (const key of listMetricKeys(ws.store, 200)) metricKeys.add(key);
    }
    type Item = vscode.QuickPickItem & { sort: RunSort };
    const items: Item[] = [
      { label: '$(history) Start time', description: 'newest first', sort: { by: 'startTime' } },
      { label: '$(symbol-text) Name', sort: { by: 'name' } },
      ...[...metricKeys].sort().flatMap((key): Item[] => [
        { label: `$(graph-line) ${key}`, description: 'highest first', sort: { by: 'metric', key, descending: true } },
        { label: `$(graph-line) ${key}`, description: 'lowest first', sort: { by: 'metric', key, descending: false } },
      ]),
    ];
    const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Sort runs by' });
    if (!picked) return;
    chosen = picked.sort;
  }
  s.experiments.model.sort = chosen;
  await updateFilterContext(s);
}

/** Filter by name text, status, tag, or a raw MLflow search expression (checked before it is applied). */
export async function filterRuns(s: Services, preset?: { text?: string; statuses?: RunStatus[]; tag?: { key: string; value: string }; expression?: string }): Promise<void> {
  const model = s.experiments.model;
  if (preset) {
    if (preset.expression) parseFilter(preset.expression);
    model.filter = { ...model.filter, ...preset };
    await updateFilterContext(s);
    return;
  }
  const kind = await vscode.window.showQuickPick(
    [
      { label: '$(search) Name contains…', value: 'text' },
      { label: '$(pulse) Status…', value: 'status' },
      { label: '$(tag) Tag…', value: 'tag' },
      { label: '$(filter) MLflow search expression…', description: "metrics.accuracy > 0.9 and params.lr = '0.01'", value: 'expr' },
    ],
    { placeHolder: 'Filter runs by' },
  );
  if (!kind) return;
  if (kind.value === 'text') {
    const text = await vscode.window.showInputBox({ prompt: 'Show runs whose name contains', value: model.filter.text ?? '' });
    if (text === undefined) return;
    model.filter = { ...model.filter, text: text.trim() || undefined };
  } else if (kind.value === 'status') {
    const picked = await vscode.window.showQuickPick(
      RUN_STATUSES.map((st) => ({ label: st, picked: model.filter.statuses?.includes(st) ?? false })),
      { canPickMany: true, placeHolder: 'Show runs with these statuses' },
    );
    if (!picked) return;
    model.filter = { ...model.filter, statuses: picked.length ? picked.map((p) => p.label as RunStatus) : undefined };
  } else if (kind.value === 'tag') {
    const text = await vscode.window.showInputBox({ prompt: 'Tag as key=value', placeHolder: 'baseline=true', validateInput: (v) => (v.includes('=') && v.split('=')[0]!.trim() ? undefined : 'Use key=value') });
    if (!text) return;
    const eq = text.indexOf('=');
    model.filter = { ...model.filter, tag: { key: text.slice(0, eq).trim(), value: text.slice(eq + 1).trim() } };
  } else {
    const expr = await vscode.window.showInputBox({
      prompt: 'MLflow search expression',
      value: model.filter.expression ?? '',
      placeHolder: "metrics.accuracy > 0.9 and params.lr = '0.01'",
      validateInput: (v) => {
        try {
          parseFilter(v);
          return undefined;
        } catch (err) {
          return err instanceof LooplineError ? err.message : String(err);
        }
      },
    });
    if (expr === undefined) return;
    model.filter = { ...model.filter, expression: expr.trim() || undefined };
  }
  await updateFilterContext(s);
}

export function clearFilter(s: Services): Promise<void> {
  s.experiments.model.filter = {};
  s.experiments.model.showDeleted = false;
  return updateFilterContext(s);
}

export function toggleTrash(s: Services): Promise<void> {
  s.experiments.model.showDeleted = !s.experiments.model.showDeleted;
  return updateFilterContext(s);
}

export async function startTrackingServer(s: Services): Promise<string | undefined> {
  const folders = s.stores.folders();
  if (folders.length === 0) throw new LooplineError('INVALID_STATE', 'Open a folder first: the tracking server serves a workspace folder\'s store.');
  const folder = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder whose store to serve' });
  if (!folder) return undefined;
  const ep = await s.servers.start(s.stores.get(folder));
  void vscode.window.setStatusBarMessage(`Loopline tracking server on ${ep.url}`, 4000);
  return ep.url;
}

export async function stopTrackingServer(s: Services): Promise<void> {
  const n = await s.servers.stop();
  void vscode.window.setStatusBarMessage(n ? 'Loopline tracking server stopped' : 'No Loopline tracking server was running in this window', 4000);
}

/** Copies the lines to paste into an external terminal so MLflow scripts log here. */
export async function copyTrackingUri(s: Services): Promise<string | undefined> {
  const folders = s.stores.folders();
  if (folders.length === 0) throw new LooplineError('INVALID_STATE', 'Open a folder first.');
  const folder = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder whose tracking URI to copy' });
  if (!folder) return undefined;
  const ep = await s.servers.ensure(s.stores.get(folder));
  const text = `export MLFLOW_TRACKING_URI=${ep.url}\nexport MLFLOW_TRACKING_TOKEN=${ep.token}\n`;
  await vscode.env.clipboard.writeText(text);
  void vscode.window.showInformationMessage(`Copied MLFLOW_TRACKING_URI=${ep.url} and its token: paste both lines into a terminal, then run your script.`);
  return ep.url;
}
