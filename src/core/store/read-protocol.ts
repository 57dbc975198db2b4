/**
 * Messages between the store reader (extension host thread) and its read worker. Internal to
 * src/core/store; typed arrays cross as binary (transferred, not copied).
 */
import type { ErrorCode } from '../errors.ts';
import type { AggregateChunk, ExtraAggregate, MetricColumns, RowsChunk } from '../series/experiment-columns.ts';
import type { SeriesResult } from '../series/series-reader.ts';
import type { SearchRunsQuery } from './types.ts';

export type ReadRequest =
  /**
   * `tag`: the caller's name for this read of the table, which `tableAggregate` refers to;
   * `aggregates`: the metric aggregates besides the last value to stream with the rows (default none).
   */
  | { kind: 'tableOpen'; experimentId: string; firstRows: number; chunkRows: number; parallelRows?: number; tag?: number; aggregates?: ExtraAggregate[] }
  /** One aggregate of every row of the read `tag` of the table open on `tableChannel`, streamed once that read has every row. */
  | { kind: 'tableAggregate'; experimentId: string; tableChannel: number; tag: number; aggregate: ExtraAggregate; chunkRows: number }
  /** Rows of the table opened on `tableChannel` matching the expression. */
  | { kind: 'tableFilter'; experimentId: string; expression: string; tableChannel: number }
  | { kind: 'series'; runIds: string[]; key: string; byTime: boolean; buckets: number; minStep?: number; maxStep?: number }
  | { kind: 'metricsCsv'; runIds: string[]; keys: string[] }
  /** The metric columns of these runs (a read worker's helper reads them while it reads the rest). */
  | { kind: 'metricColumns'; pks: number[] }
  /** Ids of the runs matching a search (the Experiments view with a filter), in order. */
  | { kind: 'searchRunIds'; query: Omit<SearchRunsQuery, 'pageToken'> }
  /** Answered (null) as soon as the worker has opened its store: the reader's warm() waits for it. Belongs to no channel. */
  | { kind: 'ping' };

export interface ReadEnvelope {
  id: number;
  /** Cancellation slot: the request is dropped once the slot's generation moves past `gen`. */
  channel: number;
  gen: number;
  request: ReadRequest;
}

export type ReadReply =
  | { id: number; type: 'chunk'; total: number; chunk: RowsChunk | AggregateChunk; done: boolean }
  | { id: number; type: 'result'; value: Uint32Array | SeriesResult[] | string | string[] | Array<[string, MetricColumns]> | null }
  | { id: number; type: 'cancelled' }
  | { id: number; type: 'error'; code: ErrorCode | null; message: string };

/** Cancellation slots shared with the worker (one Int32 generation per channel). */
export const CHANNELS = 256;
