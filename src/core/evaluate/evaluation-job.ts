import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { ContainerBackend } from '../containers/container-backend.ts';
import { invalid } from '../errors.ts';
import { openRecordSource } from '../monitoring/record-source.ts';
import { EVALUATES_TAG, type ModelRegistry } from '../registry/model-registry.ts';
import type { ModelVersion } from '../registry/registry-types.ts';
import { ModelScorer } from '../scoring/model-scorer.ts';
import { ensureParentDir, resolveArtifactPath } from '../store/artifact-files.ts';
import { checkColumns, evaluateModel, evaluationMetricValues, type EvaluationReport } from './evaluation-report.ts';
import { EVALUATION_ARTIFACT, type EvaluationRecord } from './evaluation-record.ts';
import type { DataRow, EvaluationTask, PredictFn } from './evaluation-types.ts';

export const EVALUATION_EXPERIMENT = 'evaluations';

export interface EvaluationJobOptions {
  /** MODEL/VERSION or MODEL@ALIAS. */
  ref: string;
  /** CSV, TSV, JSON Lines or Parquet file with the label column. */
  data: string;
  label: string;
  sliceBy?: string[];
  sensitive?: string;
  positiveLabel?: string;
  task?: EvaluationTask;
  importance?: { repeats?: number; seed?: number };
  batchSize?: number;
  experiment?: string;
  backend?: ContainerBackend;
  signal?: AbortSignal;
  onProgress?: (p: EvaluationProgress) => void;
}

export interface EvaluationProgress {
  phase: 'reading' | 'starting' | 'scoring' | 'importance' | 'recording';
  message: string;
  /** 0..1 within the phase, when known. */
  fraction?: number;
}

export interface EvaluationResult {
  record: EvaluationRecord;
  metrics: Record<string, number>;
  runId: string;
  artifact: string;
}

/** Reads the whole data file as rows (an evaluation needs every row for slices and importance). */
export async function readEvaluationRows(path: string, signal?: AbortSignal): Promise<{ rows: DataRow[]; columns: string[]; sha256: string }> {
  const source = openRecordSource(path, signal ? { signal } : {});
  const rows: DataRow[] = [];
  for await (const batch of source.batches()) {
    const cols = source.columns;
    for (const r of batch) {
      const row: DataRow = {};
      for (let i = 0; i < cols.length; i++) row[cols[i]!] = r[i] as DataRow[string];
      rows.push(row);
    }
  }
  return { rows, columns: [...source.columns], sha256: source.sha256() };
}

/**
 * `loopline evaluate`: reads the data, checks its columns before anything starts, runs the version as
 * served (ModelScorer), builds the report, and records it as a run tagged `loopline.evaluates` with its
 * eval.* metrics and the report as `evaluation.json`. Nothing is recorded when it fails.
 */
export async function runEvaluation(registry: ModelRegistry, opts: EvaluationJobOptions): Promise<EvaluationResult> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => {});
  const v = registry.resolve(opts.ref);
  const alias = opts.ref.includes('@') ? opts.ref.slice(opts.ref.indexOf('@') + 1) : null;
  progress({ phase: 'reading', message: `Reading ${basename(opts.data)}…` });
  const { rows, columns, sha256 } = await readEvaluationRows(opts.data, opts.signal);
  checkColumns({ rows, labelColumn: opts.label, ...(opts.sliceBy ? { sliceBy: opts.sliceBy } : {}), ...(opts.sensitive !== undefined ? { sensitive: opts.sensitive } : {}) });
  if (opts.importance && opts.importance.repeats !== undefined && (!Number.isInteger(opts.importance.repeats) || opts.importance.repeats < 1)) throw invalid(`--repeats must be a whole number of at least 1, got ${opts.importance.repeats}.`);
  progress({ phase: 'starting', message: `Starting ${v.model}/${v.version} as served…` });
  const scorer = await ModelScorer.start(registry, `${v.model}/${v.version}`, { ...(opts.backend ? { backend: opts.backend } : {}), ...(opts.signal ? { signal: opts.signal } : {}), onStatus: (message) => progress({ phase: 'starting', message }) });
  let report: EvaluationReport;
  let scoringMs = 0;
  try {
    const batchSize = opts.batchSize ?? 1000;
    const base = scorer.predictFn({ exclude: [opts.label], batchSize, ...(opts.signal ? { signal: opts.signal } : {}) });
    const features = columns.filter((c) => c !== opts.label).length;
    const passes = 1 + (opts.importance ? 1 + features * (opts.importance.repeats ?? 5) : 0);
    let pass = 0;
    const predict: PredictFn = async (batch) => {
      const t0 = performance.now();
      const phase = pass === 0 ? 'scoring' : 'importance';
      progress({ phase, message: phase === 'scoring' ? `Scoring ${rows.length} rows…` : `Permutation importance: pass ${pass} of ${passes - 1}…`, fraction: pass / passes });
      const out = await base(batch);
      if (pass === 0) scoringMs = performance.now() - t0;
      pass++;
      return out;
    };
    report = await evaluateModel({
      rows,
      labelColumn: opts.label,
      predict,
      ...(opts.task ? { task: opts.task } : {}),
      ...(opts.sliceBy ? { sliceBy: opts.sliceBy } : {}),
      ...(opts.sensitive !== undefined ? { sensitive: opts.sensitive } : {}),
      ...(opts.positiveLabel !== undefined ? { positiveLabel: opts.positiveLabel } : {}),
      ...(opts.importance ? { importance: { repeats: opts.importance.repeats ?? 5, seed: opts.importance.seed ?? 0, features: columns.filter((c) => c !== opts.label) } } : {}),
    });
  } finally {
    await scorer.stop();
  }
  progress({ phase: 'recording', message: 'Recording the evaluation run…' });
  return recordEvaluation(registry, v, alias, report, {
    file: resolve(opts.data),
    sha256,
    columns,
    started,
    rowsPerSecond: scoringMs > 0 ? rows.length / (scoringMs / 1000) : 0,
    batchSize: opts.batchSize ?? 1000,
    experiment: opts.experiment ?? EVALUATION_EXPERIMENT,
    params: {
      data: basename(opts.data),
      data_sha256: sha256,
      label: opts.label,
      ...(opts.sliceBy?.length ? { slice_by: opts.sliceBy.join(',') } : {}),
      ...(opts.sensitive !== undefined ? { sensitive: opts.sensitive } : {}),
      ...(report.importance ? { importance_repeats: String(report.importance.repeats), importance_seed: String(report.importance.seed) } : {}),
    },
  });
}

function recordEvaluation(
  registry: ModelRegistry,
  v: ModelVersion,
  alias: string | null,
  report: EvaluationReport,
  o: { file: string; sha256: string; columns: string[]; started: number; rowsPerSecond: number; batchSize: number; experiment: string; params: Record<string, string> },
): EvaluationResult {
  const store = registry.store;
  const subject = `${v.model}/${v.version}`;
  const run = store.createRun({
    experimentId: store.ensureExperiment(o.experiment).id,
    name: `evaluate-${v.model}-v${v.version}`,
    command: `loopline evaluate ${alias ? `${v.model}@${alias}` : subject} --data ${basename(o.file)} --label ${report.labelColumn}`,
    params: Object.entries(o.params).map(([key, value]) => ({ key, value })),
    tags: [
      { key: EVALUATES_TAG, value: subject },
      ...(alias ? [{ key: 'loopline.evaluates.alias', value: alias }] : []),
      { key: 'loopline.evaluation.task', value: report.task },
    ],
  });
  const runId = run.info.id;
  const metrics = evaluationMetricValues(report);
  const now = Date.now();
  const record: EvaluationRecord = {
    ...report,
    model: v.model,
    version: v.version,
    alias,
    data: { file: o.file, sha256: o.sha256, rows: report.n, columns: o.columns },
    runId,
    createdTime: now,
    durationMs: now - o.started,
    scoring: { rowsPerSecond: Math.round(o.rowsPerSecond), batchSize: o.batchSize },
  };
  try {
    store.logBatch(runId, { metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: now, step: 0 })) });
    const file = resolveArtifactPath(store.artifactsRoot, runId, EVALUATION_ARTIFACT);
    ensureParentDir(file);
    const text = JSON.stringify(record, null, 1);
    writeFileSync(file, text);
    store.recordArtifact(runId, EVALUATION_ARTIFACT, Buffer.byteLength(text), createHash('sha256').update(text).digest('hex'));
    store.updateRun(runId, { status: 'FINISHED', endTime: Date.now() });
    return { record, metrics, runId, artifact: file };
  } catch (err) {
    store.updateRun(runId, { status: 'FAILED', endTime: Date.now() });
    throw err;
  }
}
