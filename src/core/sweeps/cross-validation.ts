import { invalid } from '../errors.ts';
import type { RunStore } from '../store/run-store.ts';
import type { KeyValue, LogBatch, RunStatus } from '../store/types.ts';
import { commandPlaceholders } from './command-template.ts';
import { createSweep } from './sweep-creation.ts';
import { MAX_TRIALS, type SweepDefinition, type TrialBackendSpec } from './sweep-definition.ts';
import type { SweepSummary } from './sweep-summary.ts';

/**
 * `loopline cv`: k-fold cross-validation as a sweep whose trials are the folds. Each fold run gets
 * the params `fold` (0-based), `folds` and `seed` (also as `{fold}`, `{folds}`, `{seed}` in the
 * command), so the script picks its own held-out part deterministically. When the last fold ends,
 * the parent run gets, for every metric the folds logged, `cv.<key>.mean`, `cv.<key>.std` and the
 * per-fold values as the series `cv.<key>.folds` (step = fold).
 */
export interface CrossValidationSpec {
  command: string[];
  cwd: string;
  folds: number;
  seed: number;
  parallel: number;
  backend: TrialBackendSpec;
  name?: string;
  experiment?: string;
}

export const FOLDS_FINISHED_TAG = 'loopline.cv.foldsFinished';

export function crossValidationDefinition(spec: CrossValidationSpec): SweepDefinition {
  if (!Number.isInteger(spec.folds) || spec.folds < 2) throw invalid(`--folds must be a whole number of at least 2, got '${spec.folds}'.`);
  if (spec.folds > MAX_TRIALS) throw invalid(`--folds ${spec.folds} is more than the ${MAX_TRIALS} trials a sweep may have.`);
  const unknown = commandPlaceholders(spec.command).filter((n) => !['fold', 'folds', 'seed'].includes(n));
  if (unknown.length) throw invalid(`The command uses {${unknown[0]}}; loopline cv fills only {fold}, {folds} and {seed}.`);
  const def: SweepDefinition = {
    version: 1,
    command: spec.command,
    cwd: spec.cwd,
    params: [
      { name: 'fold', kind: 'values', values: Array.from({ length: spec.folds }, (_, i) => String(i)) },
      { name: 'folds', kind: 'values', values: [String(spec.folds)] },
      { name: 'seed', kind: 'values', values: [String(spec.seed)] },
    ],
    strategy: 'grid',
    seed: spec.seed,
    parallel: spec.parallel,
    backend: spec.backend,
    crossValidation: { folds: spec.folds, seed: spec.seed },
  };
  if (spec.name) def.name = spec.name;
  if (spec.experiment) def.experiment = spec.experiment;
  return def;
}

/** Queues the folds; the parent run records `cv.folds` and `cv.seed` as its params. */
export async function createCrossValidation(store: RunStore, spec: CrossValidationSpec): Promise<{ sweepId: string; trialIds: string[] }> {
  const def = crossValidationDefinition(spec);
  const created = await createSweep(store, def);
  store.logBatch(created.sweepId, {
    params: [
      { key: 'cv.folds', value: String(spec.folds) },
      { key: 'cv.seed', value: String(spec.seed) },
    ],
  });
  return created;
}

export interface FoldResult {
  fold: number;
  runId: string;
  status: RunStatus;
  reason?: string;
  /** Each metric's last value in this fold. */
  metrics: Record<string, number>;
}

export interface MetricAggregate {
  key: string;
  mean: number;
  /** Population standard deviation (ddof = 0), as NumPy's `scores.std()` in scikit-learn's cross-validation guide. */
  std: number;
  /** Per fold, in fold order; null where the fold did not finish or did not log the metric. */
  values: Array<number | null>;
  /** How many folds the mean and std cover. */
  n: number;
}

export interface CrossValidationResult {
  folds: number;
  finished: number;
  /** Folds that did not finish (failed, killed, never started), with why. */
  failed: FoldResult[];
  metrics: MetricAggregate[];
}

/** Mean, spread and per-fold values of every metric over the folds that FINISHED (pure; sorted by key). */
export function aggregateFolds(folds: FoldResult[]): CrossValidationResult {
  const ordered = [...folds].sort((a, b) => a.fold - b.fold);
  const done = ordered.filter((f) => f.status === 'FINISHED');
  const keys = [...new Set(done.flatMap((f) => Object.keys(f.metrics)))].sort();
  const metrics = keys.map((key): MetricAggregate => {
    const values = ordered.map((f) => (f.status === 'FINISHED' && Number.isFinite(f.metrics[key]) ? f.metrics[key]! : null));
    const xs = values.filter((v): v is number => v !== null);
    const mean = xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : NaN;
    const std = xs.length ? Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length) : NaN;
    return { key, mean, std, values, n: xs.length };
  });
  return { folds: ordered.length, finished: done.length, failed: ordered.filter((f) => f.status !== 'FINISHED'), metrics };
}

/** The latest attempt of every fold, with its metrics' last values. */
export function foldResults(store: RunStore, summary: SweepSummary): FoldResult[] {
  const latest = new Map<number, SweepSummary['trials'][number]>();
  for (const t of summary.trials) if ((latest.get(t.trial)?.attempt ?? 0) < t.attempt) latest.set(t.trial, t);
  return [...latest.values()].map((t) => {
    const run = store.getRun(t.runId);
    const r: FoldResult = {
      fold: Number(run.params.fold ?? t.trial - 1),
      runId: t.runId,
      status: t.status,
      metrics: Object.fromEntries(run.metrics.map((m) => [m.key, m.last])),
    };
    if (t.statusReason) r.reason = t.statusReason;
    return r;
  });
}

/**
 * How a cross-validation ends: FINISHED only when every fold finished. A fold that failed makes
 * the parent FAILED with the fold and its reason named; the cv.* metrics are still recorded, over
 * the finished folds, and the `loopline.cv.foldsFinished` tag says how many they cover.
 */
export function crossValidationEnd(
  store: RunStore,
  summary: SweepSummary,
): { outcome: { status: 'FINISHED' | 'FAILED' | 'KILLED'; reason?: string }; batch: LogBatch; result: CrossValidationResult } {
  const result = aggregateFolds(foldResults(store, summary));
  const now = Date.now();
  const metrics = result.metrics.flatMap((m) => [
    { key: `cv.${m.key}.mean`, value: m.mean, timestamp: now, step: 0 },
    { key: `cv.${m.key}.std`, value: m.std, timestamp: now, step: 0 },
    ...m.values.flatMap((v, fold) => (v === null ? [] : [{ key: `cv.${m.key}.folds`, value: v, timestamp: now, step: fold }])),
  ]);
  const tags: KeyValue[] = [{ key: FOLDS_FINISHED_TAG, value: `${result.finished}/${result.folds}` }];
  let outcome: { status: 'FINISHED' | 'FAILED' | 'KILLED'; reason?: string };
  if (summary.state === 'cancelled') outcome = { status: 'KILLED', reason: 'cancelled by the user' };
  else if (result.failed.length === 0) outcome = { status: 'FINISHED' };
  else {
    const first = result.failed[0]!;
    const which = result.failed.map((f) => f.fold).join(', ');
    outcome = {
      status: 'FAILED',
      reason:
        `${result.failed.length === 1 ? 'fold' : 'folds'} ${which} of ${result.folds} did not finish (fold ${first.fold}: ${first.status}${first.reason ? `, ${first.reason}` : ''})` +
        (result.finished ? `; cv.* metrics cover the ${result.finished} finished folds only` : '; no fold finished, so there is nothing to average'),
    };
  }
  return { outcome, batch: { metrics, tags }, result };
}
