import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { EvaluationRecord } from '../../core/evaluate/evaluation-record.ts';
import { LooplineError } from '../../core/errors.ts';
import { closeSync, openSync, readSync } from 'node:fs';
import { CsvParser } from '../../core/monitoring/csv-parser.ts';
import { resolveRuns } from '../commands/run-targets.ts';
import { registryOf, type ModelNode } from '../models/models-tree.ts';
import { pickDataFile } from '../monitoring/data-profile-panel.ts';
import type { Services } from '../services.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';
import { EvaluationPanel, readRecord } from './evaluation-panel.ts';
import { startEvaluationProcess } from './evaluation-process.ts';

/** Given by callers that know the answers already (tests, other commands): no prompts. */
export interface EvaluateOptions {
  ref?: string;
  data?: string;
  label?: string;
  sliceBy?: string[];
  sensitive?: string;
  positive?: string;
  importance?: boolean;
}

const LABEL_GUESSES = ['label', 'target', 'y', 'class', 'species', 'outcome'];

/** The column names of a CSV/TSV (its header) or JSON Lines file (the first record's keys); null for others. */
function headerOf(path: string): string[] | null {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 16);
  let head: string;
  try {
    head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
  if (/\.(csv|tsv|tab)$/i.test(path)) return new CsvParser(/\.csv$/i.test(path) ? ',' : '\t').push(head.includes('\n') ? head : `${head}\n`)[0] ?? null;
  if (/\.(jsonl|ndjson)$/i.test(path)) {
    try {
      return Object.keys(JSON.parse(head.split('\n')[0] ?? '') as object);
    } catch {
      return null;
    }
  }
  return null;
}

/** The version to evaluate: a Models view node, `opts.ref`, or a pick over every store's versions. */
async function resolveVersion(s: Services, arg: unknown, opts: EvaluateOptions): Promise<{ ws: WorkspaceStore; ref: string } | undefined> {
  const node = arg as ModelNode | undefined;
  if (node && typeof node === 'object' && 'kind' in node && node.kind === 'version') return { ws: node.ws, ref: `${node.version.model}/${node.version.version}` };
  const all = s.stores.allExisting().flatMap((ws) => {
    const reg = registryOf(ws);
    return reg.listModels().flatMap((m) => reg.listVersions(m.name).map((v) => ({ ws, v })));
  });
  if (opts.ref) {
    for (const ws of s.stores.allExisting()) {
      try {
        const v = registryOf(ws).resolve(opts.ref);
        return { ws, ref: `${v.model}/${v.version}` };
      } catch {
        // not in this store
      }
    }
    throw new LooplineError('RESOURCE_DOES_NOT_EXIST', `No model version '${opts.ref}' in this workspace's stores.`);
  }
  if (all.length === 0) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', 'No registered model versions yet: register a run’s model first (Register Model… on a run).');
  const pick = await vscode.window.showQuickPick(
    all.map((x) => ({ label: `${x.v.model}/${x.v.version}`, description: x.v.aliases.map((a) => `@${a}`).join(' '), detail: x.v.lineage.runName ?? undefined, x })),
    { placeHolder: 'Model version to evaluate (it runs as served, in its container)' },
  );
  return pick ? { ws: pick.x.ws, ref: pick.label } : undefined;
}

/**
 * Loopline: Evaluate Model… on a model version (Models view), a data file (Explorer) or from the
 * palette: asks for what is missing (version, data file, label column, slice columns), runs
 * `loopline evaluate` in its own process with progress and Cancel, and opens the Evaluation Report.
 */
export async function evaluateModel(s: Services, arg?: unknown, opts: EvaluateOptions = {}): Promise<EvaluationRecord | undefined> {
  const fileArg = arg instanceof vscode.Uri ? arg : undefined;
  const target = await resolveVersion(s, fileArg ? undefined : arg, opts);
  if (!target) return undefined;
  const data = opts.data ?? fileArg?.fsPath ?? (await pickDataFile(`Evaluate ${target.ref} on`, target.ws.folder.uri))?.fsPath;
  if (!data) return undefined;
  let label = opts.label;
  let sliceBy = opts.sliceBy;
  if (label === undefined) {
    const columns = headerOf(data);
    if (columns) {
      const guess = columns.find((c) => LABEL_GUESSES.includes(c.toLowerCase())) ?? columns[columns.length - 1];
      const ordered = guess ? [guess, ...columns.filter((c) => c !== guess)] : columns;
      label = (await vscode.window.showQuickPick(ordered, { placeHolder: `Column of ${basename(data)} holding the true labels` })) ?? undefined;
    } else label = (await vscode.window.showInputBox({ prompt: `Column of ${basename(data)} holding the true labels` })) || undefined;
    if (!label) return undefined;
    if (sliceBy === undefined && columns) {
      const picked = await vscode.window.showQuickPick(
        columns.filter((c) => c !== label).map((c) => ({ label: c })),
        { canPickMany: true, placeHolder: 'Slice the metrics by these columns (optional; Enter for none)' },
      );
      if (!picked) return undefined;
      sliceBy = picked.map((p) => p.label);
    }
  }
  const panel = new EvaluationPanel(s.context, target.ws, `Evaluating ${target.ref}…`);
  const job = startEvaluationProcess(
    vscode.Uri.joinPath(s.context.extensionUri, 'dist', 'cli-start.mjs').fsPath,
    {
      storePath: target.ws.store.path,
      cwd: target.ws.folder.uri.fsPath,
      ref: target.ref,
      data,
      label,
      ...(sliceBy?.length ? { sliceBy } : {}),
      ...(opts.sensitive ? { sensitive: opts.sensitive } : {}),
      ...(opts.positive ? { positive: opts.positive } : {}),
      ...(opts.importance ? { importance: true } : {}),
    },
    (message) => panel.post({ type: 'progress', message, fraction: null }),
  );
  panel.onCancel = () => job.cancel();
  panel.post({ type: 'progress', message: `Starting ${target.ref} as served…`, fraction: null });
  try {
    const res = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Evaluating ${target.ref} on ${basename(data)}`, cancellable: true }, (progress, token) => {
      token.onCancellationRequested(() => job.cancel());
      const sub = setInterval(() => {
        const v = panel.shown;
        if (v?.type === 'progress') progress.report({ message: v.message });
      }, 500);
      return job.result.finally(() => clearInterval(sub));
    });
    panel.onCancel = undefined;
    s.stores.wrote(target.ws);
    s.models.refresh();
    panel.showRecords([res.record]);
    return res.record;
  } catch (err) {
    panel.onCancel = undefined;
    panel.post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

/** Loopline: Open Evaluation Report on an evaluation run; two selected runs side by side. */
export async function openEvaluationReport(s: Services, arg?: unknown, selection?: unknown): Promise<EvaluationPanel | undefined> {
  const targets = await resolveRuns(s, arg as never, selection as never, { multi: true, placeHolder: 'Evaluation run(s) to show' });
  if (!targets.length) return undefined;
  const chosen = targets.slice(0, 2);
  const records = chosen.map((t) => readRecord(t.ws, t.run.info.id));
  const panel = new EvaluationPanel(s.context, chosen[0]!.ws, 'Evaluation');
  panel.showRecords(records);
  return panel;
}
