import type { RunStore } from './run-store.ts';
import type { RunStatus } from './types.ts';

/**
 * Flat reads of every active run of an experiment, for building columns (the experiment table).
 * Rows come grouped by run (primary key order); `.all()` on raw rows is much faster than
 * `.iterate()` for many small rows.
 */
const IN_EXPERIMENT = "run IN (SELECT pk FROM runs WHERE experiment_id = ? AND lifecycle_stage = 'active')";

/** [pk, uuid, name, status, start_time, end_time], newest first. */
export function activeRunRows(store: RunStore, experimentId: string): Array<[number, string, string, RunStatus, number, number | null]> {
  return store.db
    .prepare("SELECT pk, uuid, name, status, start_time, end_time FROM runs WHERE experiment_id = ? AND lifecycle_stage = 'active' ORDER BY start_time DESC, uuid")
    .raw()
    .all(Number(experimentId)) as Array<[number, string, string, RunStatus, number, number | null]>;
}

/** [run pk, key, value] of every param of the experiment's active runs. */
export function activeParamRows(store: RunStore, experimentId: string): Array<[number, string, string]> {
  return store.db.prepare(`SELECT run, key, value FROM params WHERE ${IN_EXPERIMENT}`).raw().all(Number(experimentId)) as Array<[number, string, string]>;
}

/** [run pk, key, last, last is NaN (0/1), min, max] of every metric summary of the experiment's active runs. */
export function activeMetricSummaryRows(store: RunStore, experimentId: string): Array<[number, string, number | null, number, number | null, number | null]> {
  return store.db
    .prepare(`SELECT run, key, last_value, last_is_nan, min_value, max_value FROM series WHERE ${IN_EXPERIMENT} AND count > 0`)
    .raw()
    .all(Number(experimentId)) as Array<[number, string, number | null, number, number | null, number | null]>;
}
