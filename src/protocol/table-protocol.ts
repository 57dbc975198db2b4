/**
 * Messages of the Experiment Table webview: every run of an experiment as a row. Data travels as
 * columns in chunks: `init` carries the first rows (shown at once), `rows` messages stream the rest.
 * Number columns are Float64Array (NaN: no value) and strings are dictionary-encoded (distinct
 * values once plus an Int32Array of codes, -1: not logged), so postMessage moves binary buffers and
 * 100,000 runs x 50 columns stay compact on both sides.
 *
 * Metrics stream with their last value only (the aggregate shown by default). A metric's min and
 * max, half the bytes of a table, come when the page asks (`aggregate`, when the user picks one, or
 * at once when the saved view shows one): `aggregateRows` answers for the `version` of the rows it
 * was asked for, and a page that took a newer `init` meanwhile drops it.
 */
import type { PackedStrings } from '../shared/packed-strings.ts';
import { isInt, isObject, isRunId, isRunIdList, isString, type RunStatusMsg } from './common.ts';

export type MetricAggregate = 'last' | 'min' | 'max';
/** The aggregates sent only when asked for. */
export type ExtraAggregate = Exclude<MetricAggregate, 'last'>;

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
  /** 1 where the last logged value was NaN; left out when no row of the chunk logged NaN last. */
  lastNaN?: Uint8Array;
  /** Only when the chunk's `aggregates` says so. */
  min?: Float64Array;
  max?: Float64Array;
}

/** Rows [offset, offset + runIds.length) of the table. */
export interface TableChunk {
  offset: number;
  /** Packed: one string and the ends, not thousands of strings (src/shared/packed-strings.ts). */
  runIds: PackedStrings;
  names: PackedStrings;
  statuses: DictColumnMsg & { dict: Array<RunStatusMsg | string> };
  startTimes: Float64Array;
  durations: Float64Array;
  params: Record<string, DictColumnMsg>;
  metrics: Record<string, MetricColumnsMsg>;
  /** The aggregates besides `last` that every metric of the chunk carries (usually none). */
  aggregates?: ExtraAggregate[];
}

/** One aggregate of rows [offset, offset + count), per metric key (a key with no value in these rows is left out). */
export interface AggregateChunkMsg {
  offset: number;
  count: number;
  metrics: Record<string, Float64Array>;
}

export type HostToTable =
  /**
   * A (new) table: its size and first rows; `rows` messages follow until one says `done`. `version`
   * names this reading of the rows (it moves with each new `init`): what `aggregate` refers to.
   */
  | { type: 'init'; experiment: { id: string; name: string }; version: number; total: number; rows: TableChunk; done: boolean }
  | { type: 'rows'; rows: TableChunk; done: boolean }
  /** Answer to `aggregate`, in order from row 0, for the rows of `version`; the last says `done`. */
  | { type: 'aggregateRows'; version: number; aggregate: ExtraAggregate; rows: AggregateChunkMsg; done: boolean }
  /** Answer to `filter`: the matching rows (indices into the table) in the filter's order, or an error to show inline. */
  | { type: 'filterResult'; requestId: number; rows: Uint32Array | null; error: string | null }
  | { type: 'error'; message: string };

export type TableToHost =
  | { type: 'ready' }
  | { type: 'filter'; requestId: number; expression: string }
  /** The metrics' min or max of every row of the table's `version` (the user picked that aggregate). */
  | { type: 'aggregate'; version: number; aggregate: ExtraAggregate }
  | { type: 'compare'; runIds: string[] }
  | { type: 'openRun'; runId: string };

export function parseTableToHost(m: unknown): TableToHost | undefined {
  if (!isObject(m)) return undefined;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'filter':
      return isInt(m.requestId) && isString(m.expression) && m.expression.length <= 10_000 ? { type: 'filter', requestId: m.requestId, expression: m.expression } : undefined;
    case 'aggregate':
      return isInt(m.version) && (m.aggregate === 'min' || m.aggregate === 'max') ? { type: 'aggregate', version: m.version, aggregate: m.aggregate } : undefined;
    case 'compare':
      return isRunIdList(m.runIds, 100) && m.runIds.length > 0 ? { type: 'compare', runIds: m.runIds } : undefined;
    case 'openRun':
      return isRunId(m.runId) ? { type: 'openRun', runId: m.runId } : undefined;
    default:
      return undefined;
  }
}
