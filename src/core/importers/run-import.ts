import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { LooplineError, invalid } from '../errors.ts';
import type { RunStore } from '../store/run-store.ts';
import { detectFormat } from './format-detection.ts';
import type { ImportFormat, ImportProblem, ImportProgress, ImportSummary, ReadContext, SourceRun } from './import-types.ts';
import { ArtifactSources } from './artifact-sources.ts';
import { ImportWriter } from './import-writer.ts';
import { refreshTableCopy } from '../series/table-copy.ts';
import { mlflowRoot, readMlflowStore } from './mlflow-filestore.ts';
import { readTensorBoardLogdir } from './tensorboard-logdir.ts';
import { readDvcLiveOutput } from './dvclive-output.ts';
import { readWandbRuns, wandbRoot } from './wandb-runs.ts';
import { isDir } from './source-files.ts';

export interface ImportOptions {
  path: string;
  /** Detected when missing. */
  format?: ImportFormat;
  /** Put every run in this experiment instead of the source's own. */
  experiment?: string;
  dryRun?: boolean;
  /** Folders outside `path` that artifact files may also be copied from (the user trusts them). */
  artifactsFrom?: string[];
  onProgress?: (p: ImportProgress) => void;
  isCancelled?: () => boolean;
}

const READERS: Record<ImportFormat, (path: string, ctx: ReadContext, experiment?: string) => Iterable<SourceRun>> = {
  mlflow: readMlflowStore,
  tensorboard: readTensorBoardLogdir,
  dvclive: readDvcLiveOutput,
  wandb: readWandbRuns,
};

const ROOTS: Partial<Record<ImportFormat, (path: string) => string>> = { mlflow: mlflowRoot, wandb: wandbRoot };

/**
 * Reads a source run by run and writes each one in its own transaction. Bad records are skipped
 * and listed in the summary; a run is written only once it was read in full.
 */
export function importRuns(store: RunStore | undefined, opts: ImportOptions): ImportSummary {
  const path = resolve(opts.path);
  if (!isDir(path)) throw invalid(`Nothing to import at ${path}: give the folder that holds the runs (an mlruns folder, a TensorBoard log dir, a DVCLive output folder or a wandb folder).`);
  const format = opts.format ?? detectFormat(path);
  if (!format) {
    throw invalid(
      `Could not tell which tool wrote ${path}. Name the format: loopline import mlflow|tensorboard|dvclive|wandb ${opts.path}`,
    );
  }
  if (!opts.dryRun && !store) throw new LooplineError('INTERNAL_ERROR', 'An import that is not a dry run needs a store.');
  const root = realpathSync(ROOTS[format]?.(path) ?? path);
  const sources = new ArtifactSources(path, opts.artifactsFrom);
  const sourceFolder = new ArtifactSources(path);
  const summary: ImportSummary = {
    format,
    source: root,
    dryRun: opts.dryRun ?? false,
    cancelled: false,
    experiments: [],
    runs: { read: 0, created: 0, updated: 0, unchanged: 0 },
    runIds: [],
    params: 0,
    tags: 0,
    metricPoints: { read: 0, added: 0 },
    artifacts: { copied: 0, missing: 0, refused: 0, failed: 0 },
    notImported: {},
    skipped: [],
  };
  const cancelled = opts.isCancelled ?? (() => false);
  const writer = store ? new ImportWriter(store, format, root, sources) : undefined;
  const experiments = new Set<string>();
  const ctx: ReadContext = {
    experiment: (e) => {
      experiments.add(e.name);
      if (!opts.dryRun) writer?.ensureExperiment(e);
    },
    problem: (file, position, message) => summary.skipped.push(position ? { file, position, message } : { file, message }),
    readable: (file) => {
      // A plain file is read wherever it is (readers only reach outside the folder on purpose:
      // DVCLive's summary and params.yaml beside it); one reached through a link that leads
      // outside the imported folder is not, since its content would land in params or tags.
      if (!existsSync(file)) return true;
      const real = realpathSync(file);
      if (real === resolve(file) || sourceFolder.contains(file)) return true;
      summary.skipped.push({ file, message: `a symbolic link that leads to ${real}, outside the imported folder; not read (copy the file into the folder to import it)` });
      return false;
    },
    artifactSources: sources,
    refuseArtifacts: (file, message) => {
      summary.artifacts.refused++;
      summary.skipped.push({ file, message });
    },
    nonScalar: (kind, n = 1) => (summary.notImported[kind] = (summary.notImported[kind] ?? 0) + n),
    cancelled,
    // A dry run counts points and keeps none: a big event file's are let go chunk by chunk.
    spill: opts.dryRun ? () => undefined : writer ? (run, key, points) => writer.spill(run, key, points) : undefined,
  };
  const skipArtifact = (file: string, kind: 'outside' | 'unreadable', reason: string) => {
    if (kind === 'outside') summary.artifacts.refused++;
    else summary.artifacts.failed++;
    summary.skipped.push({ file, message: `artifact ${reason}` });
  };
  const readAll = () => {
    for (const run of READERS[format](root, ctx, opts.experiment)) {
      summary.runs.read++;
      summary.metricPoints.read += run.points.length;
      experiments.add(run.experiment.name);
      if (run.tags.some((t) => t.key === 'loopline.import.artifacts_missing')) summary.artifacts.missing++;
      if (opts.dryRun) {
        if (writer?.knows(run.sourceId)) summary.runs.updated++;
        else summary.runs.created++;
        summary.params += run.params.length;
        summary.tags += run.tags.length;
        for (const a of run.artifacts) {
          const check = sources.check(a.file);
          if (check.ok) summary.artifacts.copied++;
          else skipArtifact(a.file, check.kind, check.reason);
        }
      } else {
        const w = writer!.write(run);
        summary.runIds.push(w.runId);
        if (w.created) summary.runs.created++;
        else if (w.params || w.pointsAdded || w.artifactsCopied || w.tags) summary.runs.updated++;
        else summary.runs.unchanged++;
        summary.params += w.params;
        summary.tags += w.tags;
        summary.metricPoints.added += w.pointsAdded;
        summary.artifacts.copied += w.artifactsCopied;
        for (const a of w.artifactsSkipped) skipArtifact(a.file, a.kind, a.reason);
        for (const key of w.paramConflicts) {
          ctx.problem(run.sourceId, undefined, `param '${key}' has another value than when it was first imported; the stored value was kept`);
        }
      }
      opts.onProgress?.({ runsRead: summary.runs.read, pointsRead: summary.metricPoints.read, skipped: summary.skipped.length, current: run.name });
      if (cancelled()) break;
    }
  };
  if (writer && !opts.dryRun) writer.batch(readAll);
  else readAll();
  if (store && !opts.dryRun) keepTableCopies(store, experiments);
  summary.cancelled = cancelled();
  summary.experiments = [...experiments];
  return summary;
}

/**
 * Brings the columnar copies of the large experiments written up to date, so that their table's
 * first open after an import reads one file instead of every value (series/table-copy.ts). A copy
 * is a cache: one that cannot be written costs the next open time, never the import.
 */
function keepTableCopies(store: RunStore, experimentNames: ReadonlySet<string>): void {
  for (const name of experimentNames) {
    try {
      const id = store.findExperimentByName(name)?.id;
      if (id !== undefined) refreshTableCopy(store, id);
    } catch {
      /* read-only folder or full disk: the table is read from SQLite instead */
    }
  }
}

export type { ImportProblem };
