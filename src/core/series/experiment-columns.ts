import { activeMetricSummaryRows, activeParamRows, activeRunRows } from '../store/experiment-queries.ts';
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
  const runs = activeRunRows(store, experimentId);
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
  // Rows come grouped by run, so the run's row index is looked up once per run, not once per value.
  let lastRun = -1;
  let row = -1;
  let lastKey = '';
  let col: Array<string | null> | undefined;
  for (const [run, key, value] of activeParamRows(store, experimentId)) {
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
  for (const [run, key, last, lastNan, min, max] of activeMetricSummaryRows(store, experimentId)) {
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
