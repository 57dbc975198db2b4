import type { RunStore } from '../store/run-store.ts';
import type { RunStatus } from '../store/types.ts';

/**
 * Every active run of an experiment as columns (one array per column), read with three flat
 * queries: the shape the experiment table needs for 10,000 runs x 50 columns.
 */
export interface ExperimentColumns {
  runIds: string[];
  names: string[];
  statuses: RunStatus[];
  startTimes: number[];
  durations: Array<number | null>;
  params: Map<string, Array<string | null>>;
  /** NaN where the value was NaN; null where the run has no such metric. */
  metrics: Map<string, { last: Array<number | null>; min: Array<number | null>; max: Array<number | null> }>;
}

export function readExperimentColumns(store: RunStore, experimentId: string, now = Date.now()): ExperimentColumns {
  const db = store.db;
  const exp = Number(experimentId);
  const runs = db
    .prepare("SELECT pk, uuid, name, status, start_time, end_time FROM runs WHERE experiment_id = ? AND lifecycle_stage = 'active' ORDER BY start_time DESC, uuid")
    .raw()
    .all(exp) as Array<[number, string, string, RunStatus, number, number | null]>;
  const n = runs.length;
  const index = new Map<number, number>();
  const out: ExperimentColumns = { runIds: [], names: [], statuses: [], startTimes: [], durations: [], params: new Map(), metrics: new Map() };
  runs.forEach(([pk, uuid, name, status, start, end], i) => {
    index.set(pk, i);
    out.runIds.push(uuid);
    out.names.push(name);
    out.statuses.push(status);
    out.startTimes.push(start);
    out.durations.push(end !== null ? end - start : status === 'RUNNING' ? now - start : null);
  });
  const inExperiment = "run IN (SELECT pk FROM runs WHERE experiment_id = ? AND lifecycle_stage = 'active')";
  // Rows come grouped by run (the primary key order), so the run's row index is looked up once
  // per run, not once per value; .all() is much faster than .iterate() for many small rows.
  let lastRun = -1;
  let row = -1;
  let lastKey = '';
  let col: Array<string | null> | undefined;
  for (const [run, key, value] of db.prepare(`SELECT run, key, value FROM params WHERE ${inExperiment}`).raw().all(exp) as Array<[number, string, string]>) {
    if (run !== lastRun) {
      lastRun = run;
      row = index.get(run)!;
    }
    if (key !== lastKey || !col) {
      lastKey = key;
      col = out.params.get(key);
      if (!col) out.params.set(key, (col = new Array<string | null>(n).fill(null)));
    }
    col[row] = value;
  }
  lastRun = -1;
  type MetricColumn = { last: Array<number | null>; min: Array<number | null>; max: Array<number | null> };
  let mcol: MetricColumn | undefined;
  lastKey = '';
  for (const [run, key, last, lastNan, min, max] of db
    .prepare(`SELECT run, key, last_value, last_is_nan, min_value, max_value FROM series WHERE ${inExperiment} AND count > 0`)
    .raw()
    .all(exp) as Array<[number, string, number | null, number, number | null, number | null]>) {
    if (run !== lastRun) {
      lastRun = run;
      row = index.get(run)!;
    }
    if (key !== lastKey || !mcol) {
      lastKey = key;
      mcol = out.metrics.get(key);
      if (!mcol) out.metrics.set(key, (mcol = { last: new Array(n).fill(null), min: new Array(n).fill(null), max: new Array(n).fill(null) }));
    }
    mcol.last[row] = lastNan ? NaN : last;
    mcol.min[row] = min;
    mcol.max[row] = max;
  }
  return out;
}
