import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { DictColumn, MetricColumns } from './experiment-columns.ts';

/**
 * The columnar copy of a large experiment's table, kept in a file beside the store: a first open
 * of 100,000 runs x 50 columns reads about 5 million values out of SQLite (seconds); from this copy
 * it reads one file and only the runs whose row version moved since (store/run-versions.ts).
 *
 * It is a cache: deleting it loses nothing, a file that does not parse is ignored, and it is
 * written to a temporary name and renamed, so a reader never sees half of one.
 *
 * Layout: 'LLTS', format (u32), header length (u32), 4 bytes of padding, the header (JSON: the
 * strings and the column keys), padding to 8, then the arrays back to back, widest first so each
 * stays aligned: order, versions, start times, end times and per metric last/min/max (f64), the
 * status codes and the param codes (i32), then per metric the last-is-NaN flags (u8).
 */
export interface TableSnapshot {
  experimentId: string;
  /** Run pks in table order, and each row's `runs.row_version` when it was read. */
  order: Float64Array;
  versions: Float64Array;
  runIds: string[];
  names: string[];
  statuses: DictColumn;
  startTimes: Float64Array;
  /** End times in ms, NaN while unknown (durations of running runs are computed at open). */
  ends: Float64Array;
  params: Array<[string, DictColumn]>;
  metrics: Array<[string, MetricColumns]>;
}

interface Header {
  experimentId: string;
  rows: number;
  runIds: string[];
  names: string[];
  statusDict: string[];
  params: Array<[string, string[]]>;
  metrics: string[];
}

const MAGIC = 0x5354_4c4c; // 'LLTS' little-endian
const FORMAT = 1;

/** Experiments with fewer runs are read from SQLite each time: fast enough, no file to keep. */
export const SNAPSHOT_MIN_ROWS = 2000;

/** Where the copy of an experiment's table lives: `<store>.tables/<experiment id>.bin`. */
export function snapshotFile(storePath: string, experimentId: string): string {
  return join(`${storePath}.tables`, `${Number(experimentId)}.bin`);
}

const pad8 = (n: number) => (n + 7) & ~7;

export function writeTableSnapshot(file: string, s: TableSnapshot): void {
  const n = s.order.length;
  const header: Header = {
    experimentId: s.experimentId,
    rows: n,
    runIds: s.runIds,
    names: s.names,
    statusDict: s.statuses.dict,
    params: s.params.map(([k, d]) => [k, d.dict]),
    metrics: s.metrics.map(([k]) => k),
  };
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.alloc(pad8(16 + json.length));
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(FORMAT, 4);
  head.writeUInt32LE(json.length, 8);
  json.copy(head, 16);
  const parts: ArrayBufferView[] = [head, s.order, s.versions, s.startTimes, s.ends];
  for (const [, m] of s.metrics) parts.push(m.last, m.min, m.max);
  parts.push(s.statuses.codes);
  for (const [, d] of s.params) parts.push(d.codes);
  for (const [, m] of s.metrics) parts.push(m.lastNaN);
  for (const p of parts) if (p !== head && p.byteLength !== n * (p as Float64Array).BYTES_PER_ELEMENT) throw new Error('table snapshot: a column has the wrong length');
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    for (const p of parts) writeSync(fd, new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  removeStaleTemporaries(dirname(file));
}

/** Temporaries of writers that were stopped half-way (a worker ended with its panel) go after a while. */
function removeStaleTemporaries(dir: string): void {
  const old = Date.now() - 10 * 60_000;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.tmp')) continue;
    try {
      if (statSync(join(dir, name)).mtimeMs < old) rmSync(join(dir, name), { force: true });
    } catch {
      /* gone meanwhile */
    }
  }
}

/** The copy in `file`, or null when there is none or it does not parse (then the table is read from SQLite). */
export function readTableSnapshot(file: string, experimentId: string): TableSnapshot | null {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return null;
  }
  return parseTableSnapshot(buf, experimentId);
}

/** A copy read from its file (`readTableSnapshot`, or read meanwhile by the caller), or null when it does not parse. Its arrays are views of `buf`. */
export function parseTableSnapshot(buf: Buffer, experimentId: string): TableSnapshot | null {
  try {
    if (buf.length < 16 || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== FORMAT) return null;
    const jsonLength = buf.readUInt32LE(8);
    const header = JSON.parse(buf.toString('utf8', 16, 16 + jsonLength)) as Header;
    const n = header.rows;
    if (header.experimentId !== experimentId || header.runIds.length !== n || header.names.length !== n) return null;
    const f64s = 4 + 3 * header.metrics.length;
    const i32s = 1 + header.params.length;
    const start = pad8(16 + jsonLength);
    if (buf.length !== start + n * (8 * f64s + 4 * i32s + header.metrics.length)) return null;
    // Typed views need aligned offsets: a Buffer may sit anywhere in its ArrayBuffer.
    const bytes = buf.byteOffset % 8 === 0 ? buf : Buffer.from(buf);
    let at = bytes.byteOffset + start;
    const take = <T>(make: (b: ArrayBuffer, o: number, l: number) => T, size: number): T => {
      const v = make(bytes.buffer as ArrayBuffer, at, n);
      at += n * size;
      return v;
    };
    const f64 = () => take((b, o, l) => new Float64Array(b, o, l), 8);
    const i32 = () => take((b, o, l) => new Int32Array(b, o, l), 4);
    const u8 = () => take((b, o, l) => new Uint8Array(b, o, l), 1);
    const order = f64();
    const versions = f64();
    const startTimes = f64();
    const ends = f64();
    const metricArrays = header.metrics.map(() => ({ last: f64(), min: f64(), max: f64() }));
    const statuses = { dict: header.statusDict, codes: i32() };
    const params = header.params.map(([k, dict]): [string, DictColumn] => [k, { dict, codes: i32() }]);
    const metrics = header.metrics.map((k, i): [string, MetricColumns] => [k, { ...metricArrays[i]!, lastNaN: u8() }]);
    // A code outside its dictionary would show a wrong value: treat the file as damaged.
    for (const c of [statuses, ...params.map(([, d]) => d)]) {
      for (let i = 0; i < n; i++) if (c.codes[i]! >= c.dict.length || c.codes[i]! < -1) return null;
    }
    return { experimentId, order, versions, runIds: header.runIds, names: header.names, statuses, startTimes, ends, params, metrics };
  } catch {
    return null;
  }
}
