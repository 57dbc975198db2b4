import { metricSummariesOf, metricSummaryRowsOf, paramObjectsOf, paramRowsOf, runRowsOf } from '../store/experiment-queries.ts';
import type { RunStore } from '../store/run-store.ts';
import type { TableSnapshot } from './table-snapshot.ts';
import { packStrings, unpackStrings, type PackedStrings } from '../../shared/packed-strings.ts';

/**
 * A chunk of an experiment's runs as columns, the shape the experiment table needs for 100,000
 * runs x 50 columns: one Float64Array per number column (NaN: no value), strings dictionary-encoded
 * (the distinct values once, an Int32Array of codes per row, -1: not logged). Typed arrays cross
 * postMessage as binary and take a fraction of the memory of arrays of boxed values.
 */
export interface DictColumn {
  dict: string[];
  codes: Int32Array;
}

export interface MetricColumns {
  last: Float64Array;
  min: Float64Array;
  max: Float64Array;
  /** 1 where the last logged value was NaN (`last` is NaN there too). */
  lastNaN: Uint8Array;
}

/** The aggregates a metric column shows besides its last value, sent only when the page asks. */
export type ExtraAggregate = 'min' | 'max';

/**
 * A metric as streamed to the table: the last value always; `lastNaN` only when a row of the
 * chunk logged NaN last; `min`/`max` only when the read asked for them (the page shows them only
 * when the user picks that aggregate, and they were half the bytes of a table).
 */
export interface StreamedMetric {
  last: Float64Array;
  lastNaN?: Uint8Array;
  min?: Float64Array;
  max?: Float64Array;
}

/**
 * Rows of the table as streamed: an ExperimentChunk whose run ids and names are packed (one string
 * each, not thousands) and whose metrics carry what was asked for.
 */
export interface RowsChunk extends Omit<ExperimentChunk, 'metrics' | 'runIds' | 'names'> {
  runIds: PackedStrings;
  names: PackedStrings;
  metrics: Record<string, StreamedMetric>;
  /** The aggregates every metric of this chunk carries (a metric none of its rows logged is left out). */
  aggregates: ExtraAggregate[];
}

/** One aggregate of rows [offset, offset + count) of a table read already, per metric key (keys with no value there left out). */
export interface AggregateChunk {
  offset: number;
  count: number;
  metrics: Record<string, Float64Array>;
}

export interface ExperimentChunk {
  /** Row index of the chunk's first run in the whole table. */
  offset: number;
  runIds: string[];
  names: string[];
  statuses: DictColumn;
  startTimes: Float64Array;
  /** ms; a running run counts until `now`; NaN when unknown. */
  durations: Float64Array;
  params: Record<string, DictColumn>;
  metrics: Record<string, MetricColumns>;
}

class DictBuilder {
  readonly dict: string[] = [];
  readonly codes: Int32Array;
  private readonly index = new Map<string, number>();
  /** `seed`: a dictionary to start from (codes into it stay valid); `codes`: codes into it to take as they are (owned). */
  constructor(n: number, seed?: readonly string[], codes?: Int32Array) {
    this.codes = codes ?? new Int32Array(n).fill(-1);
    if (seed) for (const v of seed) this.index.set(v, this.dict.push(v) - 1);
  }
  set(row: number, value: string): void {
    let code = this.index.get(value);
    if (code === undefined) {
      code = this.dict.length;
      this.dict.push(value);
      this.index.set(value, code);
    }
    this.codes[row] = code;
  }
  done(): DictColumn {
    return { dict: this.dict, codes: this.codes };
  }
}

/** The runs `pks` (in this order) as table rows starting at row `offset`. */
export function readExperimentChunk(store: RunStore, pks: readonly number[], offset: number, now = Date.now()): ExperimentChunk {
  const n = pks.length;
  const index = new Map<number, number>();
  pks.forEach((pk, i) => index.set(pk, i));
  const runIds = new Array<string>(n).fill('');
  const names = new Array<string>(n).fill('');
  const statuses = new DictBuilder(n);
  const startTimes = new Float64Array(n).fill(NaN);
  const durations = new Float64Array(n).fill(NaN);
  for (const [pk, uuid, name, status, start, end] of runRowsOf(store, pks)) {
    const i = index.get(pk)!;
    runIds[i] = uuid;
    names[i] = name;
    statuses.set(i, status);
    startTimes[i] = start;
    if (end !== null) durations[i] = end - start;
    else if (status === 'RUNNING') durations[i] = now - start;
  }
  // Rows come grouped by run, so the row index is looked up once per run, not once per value.
  const params = new Map<string, DictBuilder>();
  let lastRun = -1;
  let row = -1;
  let lastKey = '';
  let col: DictBuilder | undefined;
  for (const [run, key, value] of paramRowsOf(store, pks)) {
    if (run !== lastRun) {
      lastRun = run;
      row = index.get(run)!;
    }
    if (key !== lastKey || !col) {
      lastKey = key;
      col = params.get(key);
      if (!col) params.set(key, (col = new DictBuilder(n)));
    }
    col.set(row, value);
  }
  const metrics = new Map<string, MetricColumns>();
  lastRun = -1;
  lastKey = '';
  let m: MetricColumns | undefined;
  for (const [run, key, last, lastNan, min, max] of metricSummaryRowsOf(store, pks)) {
    if (run !== lastRun) {
      lastRun = run;
      row = index.get(run)!;
    }
    if (key !== lastKey || !m) {
      lastKey = key;
      m = metrics.get(key);
      if (!m) metrics.set(key, (m = { last: new Float64Array(n).fill(NaN), min: new Float64Array(n).fill(NaN), max: new Float64Array(n).fill(NaN), lastNaN: new Uint8Array(n) }));
    }
    m.last[row] = lastNan ? NaN : (last ?? NaN);
    m.lastNaN[row] = lastNan ? 1 : 0;
    m.min[row] = min ?? NaN;
    m.max[row] = max ?? NaN;
  }
  return {
    offset,
    runIds,
    names,
    statuses: statuses.done(),
    startTimes,
    durations,
    params: Object.fromEntries([...params].map(([k, b]) => [k, b.done()])),
    metrics: Object.fromEntries(metrics),
  };
}

/** Row of a run pk: a typed array over the pk range when it is dense enough, else a map. */
function rowLookup(pks: ArrayLike<number>): (pk: number) => number {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < pks.length; i++) {
    const pk = pks[i]!;
    if (pk < min) min = pk;
    if (pk > max) max = pk;
  }
  if (pks.length > 0 && max - min < 8 * pks.length + 1024) {
    const rows = new Int32Array(max - min + 1).fill(-1);
    for (let i = 0; i < pks.length; i++) rows[pks[i]! - min] = i;
    return (pk) => rows[pk - min] ?? -1;
  }
  const rows = new Map<number, number>();
  for (let i = 0; i < pks.length; i++) rows.set(pks[i]!, i);
  return (pk) => rows.get(pk) ?? -1;
}

/** Whether two run orders list the same pks in the same places. */
function sameOrder(a: readonly number[], b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs per query: small enough that a batch's row arrays die young (cheap to collect). */
const BATCH_RUNS = 2500;

const emptyMetric = (n: number): MetricColumns => ({ last: new Float64Array(n).fill(NaN), min: new Float64Array(n).fill(NaN), max: new Float64Array(n).fill(NaN), lastNaN: new Uint8Array(n) });

/**
 * The logged metrics of runs `pks` as columns of their own (row i is pks[i]), as [key, columns]
 * entries (a key such as `__proto__` stays a key). Read in batches like the table.
 */
export function readMetricColumns(store: RunStore, pks: readonly number[]): Array<[string, MetricColumns]> {
  const metrics = new Map<string, MetricColumns>();
  fillMetrics(store, pks, rowLookup(pks), pks.length, metrics);
  return [...metrics];
}

/** Reads the metric summaries of runs `pks` into `metrics` (columns of `n` rows) at their rows. */
function fillMetrics(store: RunStore, pks: readonly number[], rowOf: (pk: number) => number, n: number, metrics: Map<string, MetricColumns>): void {
  for (let at = 0; at < pks.length; at += BATCH_RUNS) {
    // Rows come grouped by run: the row is looked up once per run, the column once per key change.
    let lastRun = -1;
    let row = -1;
    let lastKey = '';
    let m: MetricColumns | undefined;
    for (const [run, key, last, min, max] of metricSummariesOf(store, pks.slice(at, at + BATCH_RUNS))) {
      if (run !== lastRun) {
        lastRun = run;
        row = rowOf(run);
      }
      if (key !== lastKey || !m) {
        lastKey = key;
        m = metrics.get(key);
        if (!m) metrics.set(key, (m = emptyMetric(n)));
      }
      if (typeof last === 'number') m.last[row] = last;
      else if (last === 'NaN') m.lastNaN[row] = 1;
      if (min !== null) m.min[row] = min;
      if (max !== null) m.max[row] = max;
    }
  }
}

/**
 * A whole experiment table as columns, read a batch of runs at a time straight into full-length
 * columns (one dictionary per column for the whole table): what the read worker keeps, and what it
 * slices the streamed chunks from. No per-batch chunk objects to copy and merge afterwards.
 *
 * With the runs' row versions it can start from a columnar copy of the table (`adopt`): the rows
 * the copy holds at the same version are taken from it and only the others are read from SQLite.
 */
export class ExperimentColumns {
  readonly order: readonly number[];
  /** `runs.row_version` of each row, when the order was read with them (else no copy can be taken or made). */
  readonly versions: Float64Array | null;
  /** Rows read so far: [0, read). */
  read = 0;
  /** Rows read from SQLite (not taken from a copy). */
  fresh = 0;
  private readonly now: number;
  private readonly rowOf: (pk: number) => number;
  // Allocated at the first read (`alloc`), or taken whole from a copy (`adopt`): a table about to
  // be taken from its copy never fills columns of 100,000 rows only to drop them.
  private runIds: string[] = [];
  private names: string[] = [];
  private statuses: DictBuilder = new DictBuilder(0);
  private startTimes: Float64Array = new Float64Array(0);
  private ends: Float64Array = new Float64Array(0);
  private durations: Float64Array = new Float64Array(0);
  private allocated = false;
  private readonly params = new Map<string, DictBuilder>();
  private readonly metrics = new Map<string, MetricColumns>();
  /** 1 for rows taken from a copy (not read again); null when none was. */
  private taken: Uint8Array | null = null;

  constructor(order: readonly number[], now = Date.now(), versions: Float64Array | null = null) {
    const n = order.length;
    this.order = order;
    this.versions = versions;
    this.now = now;
    this.rowOf = rowLookup(order);
    if (n === 0) this.allocated = true;
  }

  private alloc(): void {
    if (this.allocated) return;
    const n = this.order.length;
    this.runIds = new Array<string>(n).fill('');
    this.names = new Array<string>(n).fill('');
    this.statuses = new DictBuilder(n);
    this.startTimes = new Float64Array(n).fill(NaN);
    this.ends = new Float64Array(n).fill(NaN);
    this.durations = new Float64Array(n).fill(NaN);
    this.allocated = true;
  }

  /**
   * Takes from the copy `s` every row it holds at the run's current version, of the rows not read
   * yet. The rest are read from SQLite by `readNext` as usual. Returns how many rows of the whole
   * table (read already or not) the copy holds as they are: what tells whether it is worth rewriting.
   */
  adopt(s: TableSnapshot, opts: { owned?: boolean } = {}): number {
    const n = this.order.length;
    const versions = this.versions;
    if (!versions || this.taken) return 0;
    if (opts.owned && this.read === 0 && sameOrder(this.order, s.order)) return this.takeWhole(s, versions);
    this.alloc();
    const inCopy = rowLookup(s.order);
    // Rows come over in segments [to, from, length): consecutive rows that are consecutive in the
    // copy too. New runs at the top or a few changed runs leave few segments, each one `set` per column.
    const segments: number[] = [];
    let kept = 0;
    let current = 0;
    for (let i = 0; i < n; i++) {
      const j = inCopy(this.order[i]!);
      if (j < 0 || s.versions[j] !== versions[i]) continue;
      current++;
      if (i < this.read) continue;
      kept++;
      const last = segments.length - 3;
      if (last >= 0 && segments[last]! + segments[last + 2]! === i && segments[last + 1]! + segments[last + 2]! === j) segments[last + 2]!++;
      else segments.push(i, j, 1);
    }
    if (kept === 0) return current;
    const copy = <T extends Float64Array | Int32Array | Uint8Array>(to: T, from: T) => {
      for (let k = 0; k < segments.length; k += 3) to.set(from.subarray(segments[k + 1]!, segments[k + 1]! + segments[k + 2]!), segments[k]!);
    };
    const taken = (this.taken = new Uint8Array(n));
    const statuses = new DictBuilder(n, s.statuses.dict);
    for (let i = 0; i < this.read; i++) {
      const v = this.statuses.dict[this.statuses.codes[i]!];
      if (v !== undefined) statuses.set(i, v);
    }
    this.statuses = statuses;
    copy(statuses.codes, s.statuses.codes);
    copy(this.startTimes, s.startTimes);
    copy(this.ends, s.ends);
    const running = s.statuses.dict.indexOf('RUNNING');
    for (let k = 0; k < segments.length; k += 3) {
      const [to, from, len] = [segments[k]!, segments[k + 1]!, segments[k + 2]!];
      taken.fill(1, to, to + len);
      for (let d = 0; d < len; d++) {
        const i = to + d;
        this.runIds[i] = s.runIds[from + d]!;
        this.names[i] = s.names[from + d]!;
        const end = this.ends[i]!;
        if (!Number.isNaN(end)) this.durations[i] = end - this.startTimes[i]!;
        else if (statuses.codes[i] === running) this.durations[i] = this.now - this.startTimes[i]!;
      }
    }
    for (const [key, d] of s.params) {
      const had = this.params.get(key);
      const b = new DictBuilder(n, d.dict);
      // Rows read before the copy was taken keep their values, in this column's dictionary.
      if (had) for (let i = 0; i < this.read; i++) if (had.codes[i]! >= 0) b.set(i, had.dict[had.codes[i]!]!);
      copy(b.codes, d.codes);
      this.params.set(key, b);
    }
    for (const [key, c] of s.metrics) {
      let m = this.metrics.get(key);
      if (!m) this.metrics.set(key, (m = emptyMetric(n)));
      copy(m.last, c.last);
      copy(m.min, c.min);
      copy(m.max, c.max);
      copy(m.lastNaN, c.lastNaN);
    }
    return current;
  }

  /**
   * `adopt` of a copy this object may keep (`owned`: read from its file for this table, shared with
   * nothing) that holds the same runs in the same order, before any row was read: its arrays become
   * the columns as they are, no copy of them made. The rows whose version moved are emptied, to be
   * read again by `readNext` like any row not taken.
   */
  private takeWhole(s: TableSnapshot, versions: Float64Array): number {
    const n = this.order.length;
    const taken = (this.taken = new Uint8Array(n));
    const stale: number[] = [];
    for (let i = 0; i < n; i++) {
      if (s.versions[i] === versions[i]) taken[i] = 1;
      else stale.push(i);
    }
    this.runIds = s.runIds;
    this.names = s.names;
    this.statuses = new DictBuilder(n, s.statuses.dict, s.statuses.codes);
    this.startTimes = s.startTimes;
    this.ends = s.ends;
    this.durations = new Float64Array(n);
    this.params.clear();
    for (const [key, d] of s.params) this.params.set(key, new DictBuilder(n, d.dict, d.codes));
    this.metrics.clear();
    for (const [key, c] of s.metrics) this.metrics.set(key, c);
    this.allocated = true;
    // A row read again holds only what the store holds now (a value it no longer has must not stay).
    for (const i of stale) {
      this.runIds[i] = '';
      this.names[i] = '';
      this.statuses.codes[i] = -1;
      this.startTimes[i] = NaN;
      this.ends[i] = NaN;
      for (const b of this.params.values()) b.codes[i] = -1;
      for (const m of this.metrics.values()) {
        m.last[i] = NaN;
        m.min[i] = NaN;
        m.max[i] = NaN;
        m.lastNaN[i] = 0;
      }
    }
    const running = s.statuses.dict.indexOf('RUNNING');
    const codes = this.statuses.codes;
    for (let i = 0; i < n; i++) {
      const end = this.ends[i]!;
      this.durations[i] = !Number.isNaN(end) ? end - this.startTimes[i]! : taken[i] && codes[i] === running ? this.now - this.startTimes[i]! : NaN;
    }
    return n - stale.length;
  }

  /**
   * Reads the next `count` runs of the order, in batches of at most BATCH_RUNS (one query per table
   * each). `metrics: false` leaves their metrics to `putMetrics` (read by another thread meanwhile;
   * only when no copy was adopted).
   */
  readNext(store: RunStore, count: number, opts: { metrics?: boolean } = {}): void {
    const end = Math.min(this.order.length, this.read + count);
    const taken = this.taken;
    if (taken) {
      // From a copy: the few runs not taken, gathered over the whole range into full batches (a
      // query per table for a hundred scattered runs, not one per BATCH_RUNS rows of the order).
      const pks: number[] = [];
      for (let i = this.read; i < end; i++) if (taken[i] === 0) pks.push(this.order[i]!);
      this.read = end;
      for (let at = 0; at < pks.length; at += BATCH_RUNS) this.readRuns(store, pks.slice(at, at + BATCH_RUNS), true);
      return;
    }
    while (this.read < end) {
      const from = this.read;
      const count = Math.min(BATCH_RUNS, end - from);
      this.read = from + count;
      this.readRuns(store, this.order.slice(from, from + count), opts.metrics ?? true, from);
    }
  }

  /** Metric columns of the runs order[from, from + their length), as `readMetricColumns` gives them. */
  putMetrics(from: number, columns: ReadonlyArray<readonly [string, MetricColumns]>): void {
    const n = this.order.length;
    for (const [key, c] of columns) {
      let m = this.metrics.get(key);
      if (!m) this.metrics.set(key, (m = emptyMetric(n)));
      m.last.set(c.last, from);
      m.min.set(c.min, from);
      m.max.set(c.max, from);
      m.lastNaN.set(c.lastNaN, from);
    }
  }

  /**
   * Reads the runs `pks` into their rows. `from`: when they are rows [from, from + pks.length) of
   * the order (no copy taken), their metrics are read as columns and set at once.
   */
  private readRuns(store: RunStore, pks: number[], withMetrics: boolean, from?: number): void {
    this.alloc();
    if (pks.length === 0) return;
    this.fresh += pks.length;
    const n = this.order.length;
    const rowOf = this.rowOf;
    for (const [pk, uuid, name, status, start, end] of runRowsOf(store, pks)) {
      const i = rowOf(pk);
      this.runIds[i] = uuid;
      this.names[i] = name;
      this.statuses.set(i, status);
      this.startTimes[i] = start;
      if (end !== null) {
        this.ends[i] = end;
        this.durations[i] = end - start;
      } else if (status === 'RUNNING') this.durations[i] = this.now - start;
    }
    // One JSON object per run (sweeps log the same keys in every run: the column is looked up by key).
    let col: DictBuilder | undefined;
    for (const [run, json] of paramObjectsOf(store, pks)) {
      const row = rowOf(run);
      const values = JSON.parse(json) as Record<string, string>;
      for (const key in values) {
        col = this.params.get(key);
        if (!col) this.params.set(key, (col = new DictBuilder(n)));
        col.set(row, values[key]!);
      }
    }
    if (!withMetrics) return;
    if (from === undefined) fillMetrics(store, pks, rowOf, n, this.metrics);
    else this.putMetrics(from, readMetricColumns(store, pks));
  }

  /** Every row as one chunk (offset 0); shares this object's buffers. */
  all(): ExperimentChunk {
    this.alloc();
    return {
      offset: 0,
      runIds: this.runIds,
      names: this.names,
      statuses: this.statuses.done(),
      startTimes: this.startTimes,
      durations: this.durations,
      params: Object.fromEntries([...this.params].map(([k, b]) => [k, b.done()])),
      metrics: Object.fromEntries(this.metrics),
    };
  }

  /** The whole table as a copy to keep (series/table-snapshot.ts), once every row was read; shares buffers. */
  snapshot(experimentId: string): TableSnapshot | null {
    if (!this.versions || this.read < this.order.length) return null;
    return {
      experimentId,
      order: Float64Array.from(this.order),
      versions: this.versions,
      runIds: this.runIds,
      names: this.names,
      statuses: this.statuses.done(),
      startTimes: this.startTimes,
      ends: this.ends,
      params: [...this.params].map(([k, b]) => [k, b.done()]),
      metrics: [...this.metrics],
    };
  }
}

/** Chunks read in order, as one chunk of every row (dictionaries merged): what the read worker keeps. */
export function mergeChunks(chunks: ReadonlyArray<ExperimentChunk | RowsChunk>): ExperimentChunk {
  const ids = (c: ExperimentChunk | RowsChunk): string[] => (Array.isArray(c.runIds) ? c.runIds : unpackStrings(c.runIds));
  const namesOf = (c: ExperimentChunk | RowsChunk): string[] => (Array.isArray(c.names) ? c.names : unpackStrings(c.names));
  const n = chunks.reduce((s, c) => s + ids(c).length, 0);
  const startTimes = new Float64Array(n);
  const durations = new Float64Array(n);
  const statuses = new DictBuilder(n);
  const params = new Map<string, DictBuilder>();
  const metrics = new Map<string, MetricColumns>();
  const runIds: string[] = [];
  const names: string[] = [];
  let at = 0;
  const mergeDict = (into: DictBuilder, from: DictColumn, len: number) => {
    for (let i = 0; i < len; i++) {
      const code = from.codes[i]!;
      if (code >= 0) into.set(at + i, from.dict[code]!);
    }
  };
  for (const c of chunks) {
    const [cIds, cNames] = [ids(c), namesOf(c)];
    const len = cIds.length;
    for (let i = 0; i < len; i++) {
      runIds.push(cIds[i]!);
      names.push(cNames[i]!);
    }
    startTimes.set(c.startTimes, at);
    durations.set(c.durations, at);
    mergeDict(statuses, c.statuses, len);
    for (const [k, p] of Object.entries(c.params)) {
      let b = params.get(k);
      if (!b) params.set(k, (b = new DictBuilder(n)));
      mergeDict(b, p, len);
    }
    for (const [k, m] of Object.entries(c.metrics)) {
      let col = metrics.get(k);
      if (!col) metrics.set(k, (col = { last: new Float64Array(n).fill(NaN), min: new Float64Array(n).fill(NaN), max: new Float64Array(n).fill(NaN), lastNaN: new Uint8Array(n) }));
      col.last.set(m.last, at);
      if (m.min) col.min.set(m.min, at);
      if (m.max) col.max.set(m.max, at);
      if (m.lastNaN) col.lastNaN.set(m.lastNaN, at);
    }
    at += len;
  }
  return {
    offset: chunks[0]?.offset ?? 0,
    runIds,
    names,
    statuses: statuses.done(),
    startTimes,
    durations,
    params: Object.fromEntries([...params].map(([k, b]) => [k, b.done()])),
    metrics: Object.fromEntries(metrics),
  };
}

/**
 * Rows [from, to) of a merged chunk as a chunk of their own (own buffers, dictionaries of the values
 * they use), each metric with its last values and the `aggregates` asked for.
 */
export function sliceChunk(all: ExperimentChunk, from: number, to: number, aggregates: readonly ExtraAggregate[] = []): RowsChunk {
  const n = Math.max(0, to - from);
  // Codes are renumbered through an array indexed by the merged code (no Map lookup per row).
  let remap = new Int32Array(0);
  const dictSlice = (d: DictColumn): DictColumn => {
    // A small dictionary goes whole with the codes as they are (a copy of memory, no renumbering).
    if (d.dict.length <= Math.max(64, n >> 3)) return { dict: d.dict, codes: d.codes.slice(from, from + n) };
    if (remap.length < d.dict.length) remap = new Int32Array(d.dict.length);
    remap.fill(-1, 0, d.dict.length);
    const dict: string[] = [];
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const code = d.codes[from + i]!;
      if (code < 0) {
        codes[i] = -1;
        continue;
      }
      let local = remap[code]!;
      if (local < 0) {
        local = remap[code] = dict.length;
        dict.push(d.dict[code]!);
      }
      codes[i] = local;
    }
    return { dict, codes };
  };
  // Entries, not assignments: a key such as `__proto__` must stay a column, not set a prototype.
  const params: Array<[string, DictColumn]> = [];
  for (const [k, p] of Object.entries(all.params)) {
    // A param none of these runs logged is left out, as a chunk read from the store would.
    const codes = p.codes;
    let any = false;
    for (let i = from; i < to && !any; i++) any = codes[i]! >= 0;
    if (any) params.push([k, dictSlice(p)]);
  }
  const metrics: Array<[string, StreamedMetric]> = [];
  for (const [k, m] of Object.entries(all.metrics)) {
    // One pass over the kept columns: whether any row logged this metric (a value or NaN), and whether any logged NaN last.
    const last = m.last;
    const flags = m.lastNaN;
    let values = false;
    let nans = false;
    for (let i = from; i < to; i++) {
      if (flags[i] === 1) nans = true;
      else if (!values && last[i] === last[i]) values = true;
      if (values && nans) break;
    }
    if (!values && !nans) continue;
    const out: StreamedMetric = { last: last.slice(from, to) };
    if (nans) out.lastNaN = flags.slice(from, to);
    for (const agg of aggregates) out[agg] = m[agg].slice(from, to);
    metrics.push([k, out]);
  }
  return {
    offset: all.offset + from,
    runIds: packStrings(all.runIds, from, to),
    names: packStrings(all.names, from, to),
    statuses: dictSlice(all.statuses),
    startTimes: all.startTimes.slice(from, to),
    durations: all.durations.slice(from, to),
    params: Object.fromEntries(params),
    metrics: Object.fromEntries(metrics),
    aggregates: [...aggregates],
  };
}

/** One aggregate (min or max) of rows [from, to) of a table read already: what the page asks for when the user picks it. */
export function aggregateSlice(all: ExperimentChunk, aggregate: ExtraAggregate, from: number, to: number): AggregateChunk {
  const metrics: Array<[string, Float64Array]> = [];
  for (const [k, m] of Object.entries(all.metrics)) {
    const col = m[aggregate];
    let any = false;
    for (let i = from; i < to && !any; i++) any = col[i] === col[i];
    if (any) metrics.push([k, col.slice(from, to)]);
  }
  return { offset: all.offset + from, count: Math.max(0, to - from), metrics: Object.fromEntries(metrics) };
}
