/**
 * The runs of one experiment as the Experiment Table holds them, filled chunk by chunk as the host
 * streams them: one typed array per number column (NaN = missing), strings dictionary-encoded (a
 * global dictionary per column, an Int32Array of codes, -1 = not logged), a run-id index, and
 * per-column sort keys cached as Float64Array (NaN = missing, sorted last). Sorting a string column
 * ranks its dictionary once, then maps codes: fast for 100,000 rows.
 */
import type { AggregateChunkMsg, ExtraAggregate, MetricAggregate, TableChunk } from '../../src/protocol/table-protocol.ts';
import { digitsFor, digitsForRange, formatDateTime, formatDuration, formatExact, formatNumber } from '../../src/shared/display-format.ts';
import { formatStatus } from '../../src/shared/run-status.ts';
import { textSortKeys } from './text-keys.ts';
import { isPackedStrings, unpackStringsInto } from '../../src/shared/packed-strings.ts';

export type ColumnKind = 'name' | 'status' | 'start' | 'duration' | 'param' | 'metric';

export interface ColumnDef {
  /** Stable id, MLflow-style: `attributes.status`, `params.lr`, `metrics.accuracy`. */
  id: string;
  kind: ColumnKind;
  /** Param or metric key; the attribute name for the fixed columns. */
  key: string;
  label: string;
  numeric: boolean;
}

export const NAME_COLUMN: ColumnDef = { id: 'attributes.run_name', kind: 'name', key: 'run_name', label: 'Name', numeric: false };
export const FIXED_COLUMNS: readonly ColumnDef[] = [
  NAME_COLUMN,
  { id: 'attributes.status', kind: 'status', key: 'status', label: 'Status', numeric: false },
  { id: 'attributes.start_time', kind: 'start', key: 'start_time', label: 'Start time', numeric: true },
  { id: 'attributes.duration', kind: 'duration', key: 'duration', label: 'Duration', numeric: true },
];

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
const NUMERIC_TEXT = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/** A string column: global dictionary and one code per row. */
class DictColumn {
  readonly dict: string[] = [];
  readonly codes: Int32Array;
  private readonly index = new Map<string, number>();
  /** Rows [0, filled) hold their code (-1: not logged); the rest are not received yet. */
  filled = 0;
  /** The codes are written as rows arrive (allocating is cheap, filling 100,000 rows per column is not). */
  constructor(capacity: number) {
    this.codes = new Int32Array(capacity);
  }
  /** Rows [filled, end) not logged. */
  pad(end: number): void {
    if (this.filled >= end) return;
    this.codes.fill(-1, this.filled, end);
    this.filled = end;
  }
  /** Copies a chunk's codes (in its own dictionary) into rows [offset, ...). */
  merge(offset: number, dict: ArrayLike<string>, codes: ArrayLike<number>, n: number): void {
    this.pad(offset);
    const map = new Int32Array(dict.length);
    let same = true;
    for (let k = 0; k < dict.length; k++) {
      const v = String(dict[k]);
      let code = this.index.get(v);
      if (code === undefined) {
        code = this.dict.length;
        this.dict.push(v);
        this.index.set(v, code);
      }
      map[k] = code;
      if (code !== k) same = false;
    }
    const m = Math.min(n, this.codes.length - offset);
    const out = this.codes;
    if (same && codes instanceof Int32Array && codes.length >= m) {
      // The chunk's dictionary is this column's so far (the host sends a small one whole): its
      // codes are ours, copied as they are; one pass then drops any outside the dictionary.
      out.set(codes.subarray(0, m), offset);
      const size = map.length;
      for (let i = offset; i < offset + m; i++) if (out[i]! >= size || out[i]! < -1) out[i] = -1;
    } else {
      for (let i = 0; i < m; i++) {
        const c = codes[i] ?? -1;
        out[offset + i] = c >= 0 && c < map.length ? map[c]! : -1;
      }
    }
    this.filled = Math.max(this.filled, Math.min(this.codes.length, offset + n));
  }
  value(row: number): string | null {
    const c = this.codes[row] ?? -1;
    return c >= 0 ? this.dict[c]! : null;
  }
  /** Sort keys: the numbers themselves when every value is numeric, else collation ranks. */
  sortKeys(n: number, display: (s: string) => string = (s) => s): Float64Array {
    const rank = new Float64Array(this.dict.length);
    if (this.dict.length > 0 && this.dict.every((v) => NUMERIC_TEXT.test(v))) {
      this.dict.forEach((v, i) => (rank[i] = Number(v)));
    } else {
      const order = this.dict.map((_, i) => i).sort((a, b) => collator.compare(display(this.dict[a]!), display(this.dict[b]!)));
      order.forEach((code, r) => (rank[code] = r));
    }
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = this.codes[i]!;
      keys[i] = c >= 0 ? rank[c]! : NaN;
    }
    return keys;
  }
}

interface MetricColumn {
  /** Rows [0, filled) of `last` and `lastNaN` hold their value (NaN: not logged); the rest are not received yet. */
  filled: number;
  last: Float64Array;
  lastNaN: Uint8Array;
  /** Allocated when the first values of that aggregate arrive (most opens never show them). */
  min: Float64Array | null;
  max: Float64Array | null;
}

/** Rows [filled, end) of a metric not logged. */
function padMetric(c: MetricColumn, end: number): void {
  if (c.filled >= end) return;
  c.last.fill(NaN, c.filled, end);
  c.lastNaN.fill(0, c.filled, end);
  c.filled = end;
}

/** What a metric cell shows while the aggregate it shows is on its way. */
export const LOADING_TEXT = '…';

/** A number column from the wire: Float64Array, or (older senders) an array with null for none. */
function copyNumbers(dst: Float64Array, offset: number, src: ArrayLike<number | null> | undefined, n: number): void {
  if (!src) {
    // A column the chunk does not carry: these rows have no value (not what the buffer held, e.g. 0).
    dst.fill(NaN, offset, Math.min(dst.length, offset + n));
    return;
  }
  if (src instanceof Float64Array) {
    const m = Math.min(n, dst.length - offset);
    dst.set(src.subarray(0, m), offset);
    // A short column from the wire: the rows it lacks have no value (not what the buffer held).
    if (src.length < m) dst.fill(NaN, offset + src.length, offset + m);
    return;
  }
  for (let i = 0; i < n && offset + i < dst.length; i++) {
    const v = src[i];
    dst[offset + i] = v === null || v === undefined ? NaN : Number(v);
  }
}

export class TableData {
  /** Rows the table will have once every chunk arrived. */
  readonly total: number;
  /** The host's name for this reading of the rows (`init.version`): what an aggregate is asked for and answered with. */
  readonly version: number;
  /** Per aggregate besides `last`: rows [0, n) whose values arrived (they come in order, with the rows or when asked for). */
  private readonly aggregateRows: Record<ExtraAggregate, number> = { min: 0, max: 0 };
  /** Aggregates asked of the host for this version of the rows. */
  readonly requested = new Set<ExtraAggregate>();
  /** Rows received so far (chunks arrive in order). */
  rowCount = 0;
  private readonly runIds: string[];
  private readonly names: string[];
  private readonly statuses: DictColumn;
  private readonly startTimes: Float64Array;
  private readonly durations: Float64Array;
  private readonly params = new Map<string, DictColumn>();
  private readonly metrics = new Map<string, MetricColumn>();
  private readonly rowByRun = new Map<string, number>();
  private indexedRows = 0;
  private readonly keyCache = new Map<string, Float64Array>();
  /** Per metric and aggregate: the finite range of its first `rows` values, extended as rows arrive (digits shown). */
  private readonly ranges = new Map<string, { rows: number; min: number; max: number; digits: number }>();
  private readonly numericParams = new Map<string, boolean>();
  columns: readonly ColumnDef[] = [];
  private readonly columnById = new Map<string, ColumnDef>();

  constructor(total: number, version = 0) {
    this.total = Math.max(0, Math.floor(total) || 0);
    this.version = version;
    this.runIds = new Array<string>(this.total).fill('');
    this.names = new Array<string>(this.total).fill('');
    this.statuses = new DictColumn(this.total);
    this.startTimes = new Float64Array(this.total).fill(NaN);
    this.durations = new Float64Array(this.total).fill(NaN);
    this.updateColumns();
  }

  get paramKeys(): string[] {
    return [...this.params.keys()].sort();
  }

  get metricKeys(): string[] {
    return [...this.metrics.keys()].sort();
  }

  /** Adds a chunk of rows; true when it brought new columns. */
  append(chunk: TableChunk): boolean {
    const offset = Math.max(0, Math.floor(chunk.offset) || 0);
    if (!isPackedStrings(chunk.runIds) || !isPackedStrings(chunk.names)) return false;
    const n = Math.min(chunk.runIds.ends.length, this.total - offset);
    if (n <= 0) return false;
    unpackStringsInto(chunk.runIds, this.runIds, offset, n);
    unpackStringsInto(chunk.names, this.names, offset, n);
    if (chunk.statuses) this.statuses.merge(offset, chunk.statuses.dict ?? [], chunk.statuses.codes ?? [], n);
    copyNumbers(this.startTimes, offset, chunk.startTimes, n);
    copyNumbers(this.durations, offset, chunk.durations, n);
    let newColumns = false;
    for (const [key, col] of Object.entries(chunk.params ?? {})) {
      let c = this.params.get(key);
      if (!c) {
        this.params.set(key, (c = new DictColumn(this.total)));
        newColumns = true;
      }
      c.merge(offset, col.dict ?? [], col.codes ?? [], n);
    }
    // Aggregates the chunk carries for every metric, taken when they continue what arrived of them.
    const carried = (['min', 'max'] as const).filter((a) => Array.isArray(chunk.aggregates) && chunk.aggregates.includes(a) && this.aggregateRows[a] === offset);
    for (const [key, col] of Object.entries(chunk.metrics ?? {})) {
      const c = this.metric(key);
      if (c.added) newColumns = true;
      padMetric(c.col, offset);
      copyNumbers(c.col.last, offset, col.last, n);
      c.col.filled = offset + n;
      if (col.lastNaN) c.col.lastNaN.set(col.lastNaN instanceof Uint8Array ? col.lastNaN.subarray(0, n) : Uint8Array.from(col.lastNaN).subarray(0, n), offset);
      for (const a of carried) if (col[a]) copyNumbers(this.aggregateColumn(c.col, a), offset, col[a], n);
    }
    for (const a of carried) this.aggregateRows[a] = offset + n;
    // Columns this chunk has no value in (and rows before a column first appeared): not logged.
    const end = offset + n;
    this.statuses.pad(end);
    for (const c of this.params.values()) c.pad(end);
    for (const c of this.metrics.values()) padMetric(c, end);
    this.rowCount = Math.max(this.rowCount, offset + n);
    this.keyCache.clear();
    this.numericParams.clear();
    if (newColumns) this.updateColumns();
    return newColumns;
  }

  /** The columns of a metric, made (empty) on first sight. */
  private metric(key: string): { col: MetricColumn; added: boolean } {
    let col = this.metrics.get(key);
    if (col) return { col, added: false };
    const t = this.total;
    this.metrics.set(key, (col = { filled: 0, last: new Float64Array(t), lastNaN: new Uint8Array(t), min: null, max: null }));
    return { col, added: true };
  }

  private aggregateColumn(col: MetricColumn, agg: ExtraAggregate): Float64Array {
    return (col[agg] ??= new Float64Array(this.total).fill(NaN));
  }

  /**
   * Takes one aggregate of rows [offset, offset + count) (the host's answer to asking for it). Only
   * in order: a chunk that does not continue what arrived is ignored. True when it brought a metric
   * the rows had not shown (none of its rows logged a last value).
   */
  appendAggregate(agg: ExtraAggregate, chunk: AggregateChunkMsg): boolean {
    const offset = Math.max(0, Math.floor(chunk.offset) || 0);
    const n = Math.min(Math.max(0, Math.floor(chunk.count) || 0), this.total - offset);
    if (offset !== this.aggregateRows[agg] || n < 0) return false;
    let newColumns = false;
    for (const [key, values] of Object.entries(chunk.metrics ?? {})) {
      const c = this.metric(key);
      if (c.added) {
        // A metric no row logged a last value of: its received rows have none.
        padMetric(c.col, this.rowCount);
        newColumns = true;
      }
      copyNumbers(this.aggregateColumn(c.col, agg), offset, values, n);
    }
    this.aggregateRows[agg] = offset + n;
    this.keyCache.clear();
    if (newColumns) this.updateColumns();
    return newColumns;
  }

  /** Rows [0, n) whose values of `agg` are here (`last`: every row received). */
  loadedRows(agg: MetricAggregate): number {
    return agg === 'last' ? this.rowCount : Math.min(this.rowCount, this.aggregateRows[agg]);
  }

  /** Whether every row's `agg` is here (the table complete included). */
  hasAll(agg: MetricAggregate): boolean {
    return agg === 'last' ? this.rowCount >= this.total : this.aggregateRows[agg] >= this.total;
  }

  private updateColumns(): void {
    // What people compare first: the name and status, then the metrics, then the params; the
    // times last (they stay one click away in the column picker and the sort).
    const [name, status, start, duration] = FIXED_COLUMNS as [ColumnDef, ColumnDef, ColumnDef, ColumnDef];
    this.columns = [
      name,
      status,
      ...this.metricKeys.map((k): ColumnDef => ({ id: `metrics.${k}`, kind: 'metric', key: k, label: k, numeric: true })),
      ...this.paramKeys.map((k): ColumnDef => ({ id: `params.${k}`, kind: 'param', key: k, label: k, numeric: false })),
      start,
      duration,
    ];
    this.columnById.clear();
    for (const c of this.columns) this.columnById.set(c.id, c);
  }

  column(id: string): ColumnDef | undefined {
    return this.columnById.get(id);
  }

  rowOf(runId: string): number | undefined {
    // Indexed on first need, not per chunk: hashing 100,000 ids cost more than the rest of taking
    // the rows in, and most opens never look a run up. Rows only grow (chunks arrive in order).
    for (; this.indexedRows < this.rowCount; this.indexedRows++) this.rowByRun.set(this.runIds[this.indexedRows]!, this.indexedRows);
    return this.rowByRun.get(runId);
  }

  runId(row: number): string {
    return this.runIds[row] ?? '';
  }

  /** Whether the column holds numbers (right-aligned). A param column does when every logged value is numeric. */
  isNumeric(col: ColumnDef): boolean {
    if (col.kind !== 'param') return col.numeric;
    let numeric = this.numericParams.get(col.key);
    if (numeric === undefined) {
      const dict = this.params.get(col.key)?.dict ?? [];
      numeric = dict.length > 0 && dict.every((v) => NUMERIC_TEXT.test(v));
      this.numericParams.set(col.key, numeric);
    }
    return numeric;
  }

  /** A metric cell's value; undefined when the run has none. NaN when the value logged was NaN. */
  private metricValue(key: string, agg: MetricAggregate, row: number): number | undefined {
    const m = this.metrics.get(key);
    if (!m || row >= this.rowCount) return undefined;
    const col = m[agg];
    if (!col) return undefined;
    const v = col[row]!;
    if (!Number.isNaN(v)) return v;
    return agg === 'last' && m.lastNaN[row] ? NaN : undefined;
  }

  /**
   * Significant digits of a metric column, from the range of its finite values: kept per column and
   * extended over the rows that arrived since (rows only come, in order), not recomputed per chunk.
   */
  private digitsOf(key: string, agg: MetricAggregate): number {
    const id = `${key}\u0000${agg}`;
    const col = this.metrics.get(key)?.[agg];
    const n = this.loadedRows(agg);
    let r = this.ranges.get(id);
    if (!r || r.rows > n) this.ranges.set(id, (r = { rows: 0, min: Infinity, max: -Infinity, digits: digitsFor([]) }));
    if (col && r.rows < n) {
      let { min, max } = r;
      for (let i = r.rows; i < n; i++) {
        const v = col[i]!;
        // Finite values only (NaN fails both tests).
        if (v > -Infinity && v < Infinity) {
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
      r.min = min;
      r.max = max;
      r.rows = n;
      r.digits = min > max ? digitsFor([]) : digitsForRange(min, max);
    }
    return r.digits;
  }

  /** The cell's display text; null when the value was not logged. */
  text(col: ColumnDef, agg: MetricAggregate, row: number): string | null {
    switch (col.kind) {
      case 'name':
        // An unnamed run shows the start of its id, as MLflow does.
        return this.names[row] || (this.runIds[row] ?? '').slice(0, 8);
      case 'status':
        return formatStatus(this.statuses.value(row) ?? '');
      case 'start': {
        const t = this.startTimes[row];
        return t ? formatDateTime(t) : null;
      }
      case 'duration': {
        const d = this.durations[row];
        return d === undefined || Number.isNaN(d) ? null : formatDuration(d);
      }
      case 'param':
        return this.params.get(col.key)?.value(row) ?? null;
      case 'metric': {
        if (row >= this.loadedRows(agg)) return LOADING_TEXT;
        const v = this.metricValue(col.key, agg, row);
        return v === undefined ? null : formatNumber(v, this.digitsOf(col.key, agg));
      }
    }
  }

  /** Text worth a tooltip beyond what the cell shows (full precision, exact time). */
  tooltip(col: ColumnDef, agg: MetricAggregate, row: number): string | null {
    switch (col.kind) {
      case 'metric': {
        if (row >= this.loadedRows(agg)) return `${agg}: loading…`;
        const v = this.metricValue(col.key, agg, row);
        return v === undefined ? null : `${agg}: ${formatExact(v)}`;
      }
      case 'start': {
        const t = this.startTimes[row];
        return t ? new Date(t).toISOString() : null;
      }
      case 'status':
        return null;
      default:
        return this.text(col, agg, row);
    }
  }

  /** Raw text for copying (full precision); the caller checks that the aggregates shown are here (`hasAll`). */
  copyText(col: ColumnDef, agg: MetricAggregate, row: number): string {
    if (col.kind === 'metric') {
      const v = this.metricValue(col.key, agg, row);
      return v === undefined ? '' : formatExact(v);
    }
    if (col.kind === 'start') return this.startTimes[row] ? new Date(this.startTimes[row]!).toISOString() : '';
    return this.text(col, agg, row) ?? '';
  }

  /** Sort keys of a column over the rows received (ascending keys = ascending column); cached. */
  sortKeys(col: ColumnDef, agg: MetricAggregate): Float64Array {
    const cacheKey = col.kind === 'metric' ? `${col.id}\u0000${agg}` : col.id;
    let keys = this.keyCache.get(cacheKey);
    if (keys) return keys;
    const n = this.rowCount;
    switch (col.kind) {
      case 'name':
        keys = textSortKeys(Array.from({ length: n }, (_, row) => this.text(col, agg, row) ?? ''), collator);
        break;
      case 'status':
        keys = this.statuses.sortKeys(n, formatStatus);
        break;
      case 'start':
        keys = this.startTimes.slice(0, n);
        break;
      case 'duration':
        keys = this.durations.slice(0, n);
        break;
      case 'param':
        keys = this.params.get(col.key)?.sortKeys(n) ?? new Float64Array(n).fill(NaN);
        break;
      case 'metric': {
        // Rows whose aggregate is still on its way sort as missing (last) until it arrives.
        const values = this.metrics.get(col.key)?.[agg];
        keys = values ? values.slice(0, n) : new Float64Array(n).fill(NaN);
        if (values) keys.fill(NaN, this.loadedRows(agg));
        break;
      }
    }
    this.keyCache.set(cacheKey, keys);
    return keys;
  }
}
