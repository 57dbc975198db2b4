import type { RunStore } from '../store/run-store.ts';
import type { KeyValue, Run, RunStatus } from '../store/types.ts';
import { guessMode, objectiveOf, type ObjectiveSpec } from './sweep-definition.ts';
import { STATUS_REASON_TAG, SweepQueue, type QueuedTrial } from './sweep-queue.ts';

export interface TrialSummary {
  runId: string;
  name: string;
  /** 1-based, as shown to users. */
  trial: number;
  attempt: number;
  status: RunStatus;
  params: Record<string, string>;
  /** The objective metric's best value in this trial (min or max by the objective's mode). */
  value: number | null;
  statusReason?: string;
}

export interface SweepSummary {
  sweepId: string;
  name: string;
  experimentId: string;
  status: RunStatus;
  state: 'active' | 'finished' | 'cancelled';
  /** Distinct trials (a retried trial counts once). */
  total: number;
  /** Trials whose latest attempt has ended. */
  ended: number;
  queued: number;
  running: number;
  parallel: number;
  objective?: ObjectiveSpec;
  best?: TrialSummary;
  /** Every attempt, in trial order. */
  trials: TrialSummary[];
}

/** Metric names that usually matter most, when a sweep names no objective. */
const PREFERRED = ['val_loss', 'val_accuracy', 'loss', 'accuracy', 'val_acc', 'acc', 'f1'];

export const BEST_RUN_TAG = 'loopline.sweep.bestRun';
export const BEST_VALUE_TAG = 'loopline.sweep.bestValue';

/** What a sweep's tree row, `loopline queue` and the end-of-sweep report show. */
export function summarizeSweep(store: RunStore, sweepId: string, queue = new SweepQueue(store)): SweepSummary {
  const record = queue.sweep(sweepId);
  const parent = store.getRun(sweepId);
  const entries = queue.trials(sweepId);
  const runs = new Map<string, Run>(entries.map((t) => [t.runId, store.getRun(t.runId)]));
  const objective = objectiveOf(record.definition) ?? inferObjective([...runs.values()]);
  const trials = entries.map((t) => toSummary(t, runs.get(t.runId)!, objective));
  const latest = new Map<number, QueuedTrial>();
  for (const t of entries) if ((latest.get(t.position)?.attempt ?? 0) < t.attempt) latest.set(t.position, t);
  const last = [...latest.values()];
  const summary: SweepSummary = {
    sweepId,
    name: parent.info.name,
    experimentId: parent.info.experimentId,
    status: parent.info.status,
    state: record.state,
    total: latest.size,
    ended: last.filter((t) => t.state === 'done' || t.state === 'cancelled').length,
    queued: last.filter((t) => t.state === 'queued').length,
    running: last.filter((t) => t.state === 'running').length,
    parallel: record.parallel,
    trials,
  };
  if (objective) summary.objective = objective;
  const best = pickBest(trials, objective);
  if (best) summary.best = best;
  return summary;
}

function toSummary(t: QueuedTrial, run: Run, objective: ObjectiveSpec | undefined): TrialSummary {
  const m = objective ? run.metrics.find((x) => x.key === objective.metric) : undefined;
  const value = m ? (objective!.mode === 'min' ? m.min : m.max) : null;
  const s: TrialSummary = { runId: t.runId, name: run.info.name, trial: t.position + 1, attempt: t.attempt, status: run.info.status, params: run.params, value };
  const reason = run.tags[STATUS_REASON_TAG];
  if (reason) s.statusReason = reason;
  return s;
}

function inferObjective(runs: Run[]): ObjectiveSpec | undefined {
  const keys = new Set(runs.flatMap((r) => r.metrics.map((m) => m.key)));
  const metric = PREFERRED.find((k) => keys.has(k)) ?? [...keys].sort()[0];
  return metric ? { metric, mode: guessMode(metric) } : undefined;
}

/** The best FINISHED trial by the objective (a stopped or failed trial never wins). */
export function pickBest(trials: TrialSummary[], objective: ObjectiveSpec | undefined): TrialSummary | undefined {
  if (!objective) return undefined;
  let best: TrialSummary | undefined;
  for (const t of trials) {
    if (t.status !== 'FINISHED' || t.value === null || Number.isNaN(t.value)) continue;
    if (!best || (objective.mode === 'min' ? t.value < best.value! : t.value > best.value!)) best = t;
  }
  return best;
}

/** Tags recorded on the parent run when the sweep ends, so MLflow tools see the result too. */
export function bestTags(summary: SweepSummary): KeyValue[] {
  if (!summary.best || !summary.objective) return [];
  return [
    { key: BEST_RUN_TAG, value: summary.best.runId },
    { key: BEST_VALUE_TAG, value: `${summary.objective.metric}=${summary.best.value}` },
  ];
}
