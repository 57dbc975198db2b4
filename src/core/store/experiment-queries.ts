import type { RunStore } from './run-store.ts';
import type { RunStatus } from './types.ts';

/**
 * Reads of an experiment's active runs for the experiment table, in chunks of runs: first the
 * order (run pks, newest first), then the runs, params and metric summaries of one chunk of pks
 * at a time, so the first rows show before the rest is read. Rows come grouped by run (primary key
 * order); `.all()` on raw rows is much faster than `.iterate()` for many small rows.
 */
const IN_CHUNK = 'run IN (SELECT value FROM json_each(?))';

/** The experiment's active runs in the table's default order (newest first): one text for the pks and their versions, so both lists line up row for row. */
const ACTIVE_IN_ORDER = "FROM runs WHERE experiment_id = ? AND lifecycle_stage = 'active' ORDER BY start_time DESC, uuid";

/** Pks of the experiment's active runs in the table's default order (newest first). */
export function activeRunOrder(store: RunStore, experimentId: string): number[] {
  return store.db
    .prepare(`SELECT pk ${ACTIVE_IN_ORDER}`)
    .pluck()
    .all(Number(experimentId)) as number[];
}

/**
 * `activeRunOrder` with each run's `runs.row_version`, read in one transaction so both describe the
 * same moment (the versions need the table rows; the pks alone come from the index: two passes).
 */
export function activeRunOrderWithVersions(store: RunStore, experimentId: string): { order: number[]; versions: Float64Array } {
  return store.db.transaction(() => ({
    order: activeRunOrder(store, experimentId),
    versions: Float64Array.from(
      store.db
        .prepare(`SELECT row_version ${ACTIVE_IN_ORDER}`)
        .pluck()
        .all(Number(experimentId)) as number[],
    ),
  }))();
}

/** [pk, uuid, name, status, start_time, end_time] of these runs (any order). */
export function runRowsOf(store: RunStore, pks: readonly number[]): Array<[number, string, string, RunStatus, number, number | null]> {
  return store.db
    .prepare('SELECT pk, uuid, name, status, start_time, end_time FROM runs WHERE pk IN (SELECT value FROM json_each(?))')
    .raw()
    .all(JSON.stringify(pks)) as Array<[number, string, string, RunStatus, number, number | null]>;
}

/** [run pk, key, value] of every param of these runs, grouped by run. */
export function paramRowsOf(store: RunStore, pks: readonly number[]): Array<[number, string, string]> {
  return store.db.prepare(`SELECT run, key, value FROM params WHERE ${IN_CHUNK}`).raw().all(JSON.stringify(pks)) as Array<[number, string, string]>;
}

/** [run pk, key, last, last is NaN (0/1), min, max] of every metric summary of these runs, grouped by run. */
export function metricSummaryRowsOf(store: RunStore, pks: readonly number[]): Array<[number, string, number | null, number, number | null, number | null]> {
  return store.db
    .prepare(`SELECT run, key, last_value, last_is_nan, min_value, max_value FROM series WHERE ${IN_CHUNK} AND count > 0`)
    .raw()
    .all(JSON.stringify(pks)) as Array<[number, string, number | null, number, number | null, number | null]>;
}

/**
 * [run pk, JSON object key -> value] of the params of these runs, one row per run: the grouping
 * runs in SQLite, so the caller handles one row per run instead of one per param (2-3x faster).
 */
export function paramObjectsOf(store: RunStore, pks: readonly number[]): Array<[number, string]> {
  return store.db.prepare(`SELECT run, json_group_object(key, value) FROM params WHERE ${IN_CHUNK} GROUP BY run`).raw().all(JSON.stringify(pks)) as Array<[number, string]>;
}

/** [run pk, key, last (the string 'NaN' where the last value was NaN), min, max] of the logged metrics of these runs, grouped by run. */
export function metricSummariesOf(store: RunStore, pks: readonly number[]): Array<[number, string, number | string | null, number | null, number | null]> {
  return store.db
    .prepare(`SELECT run, key, iif(last_is_nan, 'NaN', last_value), min_value, max_value FROM series WHERE ${IN_CHUNK} AND count > 0`)
    .raw()
    .all(JSON.stringify(pks)) as Array<[number, string, number | string | null, number | null, number | null]>;
}
