/**
 * Messages of the Experiment Table webview: every run of an experiment as a row. Data travels as
 * columns in chunks: `init` carries the first rows (shown at once), `rows` messages stream the rest.
 * Number columns are Float64Array (NaN: no value) and strings are dictionary-encoded (distinct
 * values once plus an Int32Array of codes, -1: not logged), so postMessage moves binary buffers and
 * 100,000 runs x 50 columns stay compact on both sides.
 */
import { isInt, isObject, isRunId, isRunIdList, isString, type RunStatusMsg } from './common.ts';

export type MetricAggregate = 'last' | 'min' | 'max';

/**
 * Rows in the table's first message: a tall screen's worth (about 100 rows show on a 4K display),
 * not more, since everything the page does before the first paint grows with it. The rest follows
 * in chunks of TABLE_CHUNK_ROWS.
 */
export const TABLE_FIRST_ROWS = 200;
export const TABLE_CHUNK_ROWS = 10_000;

export interface DictColumnMsg {
  dict: string[];
  codes: Int32Array;
}

export interface MetricColumnsMsg {
  last: Float64Array;
  min: Float64Array;
  max: Float64Array;
  /** 1 where the last logged value was NaN. */
  lastNaN: Uint8Array;
}

/** Rows [offset, offset + runIds.length) of the table. */
export interface TableChunk {
  offset: number;
  runIds: string[];
  names: string[];
  statuses: DictColumnMsg & { dict: Array<RunStatusMsg | string> };
  startTimes: Float64Array;
  durations: Float64Array;
  params: Record<string, DictColumnMsg>;
  metrics: Record<string, MetricColumnsMsg>;
}

export type HostToTable =
  /** A (new) table: its size and first rows; `rows` messages follow until one says `done`. */
  | { type: 'init'; experiment: { id: string; name: string }; total: number; rows: TableChunk; done: boolean }
  | { type: 'rows'; rows: TableChunk; done: boolean }
  /** Answer to `filter`: the matching rows (indices into the table) in the filter's order, or an error to show inline. */
  | { type: 'filterResult'; requestId: number; rows: Uint32Array | null; error: string | null }
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
