import { metricSummaryRowsOf, paramRowsOf, runRowsOf } from '../store/experiment-queries.ts';
import type { RunStore } from '../store/run-store.ts';

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
  constructor(n: number) {
    this.codes = new Int32Array(n).fill(-1);
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

/** Chunks read in order, as one chunk of every row (dictionaries merged): what the read worker keeps. */
export function mergeChunks(chunks: readonly ExperimentChunk[]): ExperimentChunk {
  const n = chunks.reduce((s, c) => s + c.runIds.length, 0);
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
    const len = c.runIds.length;
    for (let i = 0; i < len; i++) {
      runIds.push(c.runIds[i]!);
      names.push(c.names[i]!);
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
      col.min.set(m.min, at);
      col.max.set(m.max, at);
      col.lastNaN.set(m.lastNaN, at);
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

/** Rows [from, to) of a merged chunk as a chunk of their own (own buffers, dictionaries of the values they use). */
export function sliceChunk(all: ExperimentChunk, from: number, to: number): ExperimentChunk {
  const n = Math.max(0, to - from);
  // Codes are renumbered through an array indexed by the merged code (no Map lookup per row).
  let remap = new Int32Array(0);
  const dictSlice = (d: DictColumn): DictColumn => {
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
  const params: Record<string, DictColumn> = {};
  for (const [k, p] of Object.entries(all.params)) {
    const s = dictSlice(p);
    // A param none of these runs logged is left out, as a chunk read from the store would.
    if (s.dict.length) params[k] = s;
  }
  const metrics: Record<string, MetricColumns> = {};
  for (const [k, m] of Object.entries(all.metrics)) {
    const lastNaN = m.lastNaN.slice(from, to);
    const last = m.last.slice(from, to);
    const min = m.min.slice(from, to);
    let any = false;
    for (let i = 0; i < n && !any; i++) any = !Number.isNaN(last[i]!) || !Number.isNaN(min[i]!) || lastNaN[i] === 1;
    if (any) metrics[k] = { last, min, max: m.max.slice(from, to), lastNaN };
  }
  return {
    offset: all.offset + from,
    runIds: all.runIds.slice(from, to),
    names: all.names.slice(from, to),
    statuses: dictSlice(all.statuses),
    startTimes: all.startTimes.slice(from, to),
    durations: all.durations.slice(from, to),
    params,
    metrics,
  };
}
