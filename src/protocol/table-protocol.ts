/**
 * Messages of the Experiment Table webview: every run of an experiment as a row. Data travels
 * as columns (one array per column) so 10,000 runs x 50 columns stay compact.
 */
import { isInt, isObject, isRunId, isRunIdList, isString, type RunStatusMsg, type WireNumber } from './common.ts';

export type MetricAggregate = 'last' | 'min' | 'max';

export interface TableColumns {
  runIds: string[];
  names: string[];
  statuses: RunStatusMsg[];
  startTimes: number[];
  durations: Array<number | null>;
  /** param key -> value per row (null: not logged). */
  params: Record<string, Array<string | null>>;
  /** metric key -> aggregate per row. */
  metrics: Record<string, { last: Array<WireNumber | null>; min: Array<WireNumber | null>; max: Array<WireNumber | null> }>;
}

export type HostToTable =
  | { type: 'init'; experiment: { id: string; name: string }; data: TableColumns; paramKeys: string[]; metricKeys: string[] }
  /** Answer to `filter`: the matching run ids in order, or an error to show inline. */
  | { type: 'filterResult'; requestId: number; runIds: string[] | null; error: string | null }
  | { type: 'error'; message: string };

export type TableToHost =
  | { type: 'ready' }
  | { type: 'filter'; requestId: number; expression: string }
  | { type: 'compare'; runIds: string[] }
  | { type: 'openRun'; runId: string };

export function parseTableToHost(m: unknown): TableToHost | undefined {
  if (!isObject(m)) return undefined;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'filter':
      return isInt(m.requestId) && isString(m.expression) && m.expression.length <= 10_000 ? { type: 'filter', requestId: m.requestId, expression: m.expression } : undefined;
    case 'compare':
      return isRunIdList(m.runIds, 100) && m.runIds.length > 0 ? { type: 'compare', runIds: m.runIds } : undefined;
    case 'openRun':
      return isRunId(m.runId) ? { type: 'openRun', runId: m.runId } : undefined;
    default:
      return undefined;
  }
}
