import type { SeriesPoints } from './metric-blocks.ts';
import type { Tile } from './series-tiles.ts';

/*
 * Block encoding. Metric columns are very regular (steps count up by one, timestamps by a few
 * milliseconds, values were float32 in most frameworks), and every byte of a block is written
 * twice (WAL, then the database), so each column is stored in the smallest exact form:
 *   header (8 bytes): format 1, step encoding, timestamp encoding, value encoding, count (u32)
 *   steps, timestamps: ARITH (first f64, delta f64) | DELTA8/16/32 (first f64, integer deltas) | RAW (f64 each)
 *   values: F32 (when every value is exactly a float32) | RAW
 * Sections start at multiples of 8 bytes, so a decoder copies the blob once and views it.
 */
const FORMAT = 1;
const RAW = 0;
const ARITH = 1;
const DELTA8 = 2;
const DELTA16 = 3;
const DELTA32 = 4;
const F32 = 5;

function integerColumnEncoding(a: Float64Array, from: number, to: number): number {
  const n = to - from;
  if (n < 2) return RAW;
  const first = a[from]!;
  if (!Number.isSafeInteger(first)) return RAW;
  const d0 = a[from + 1]! - first;
  let arith = Number.isSafeInteger(d0);
  let maxAbs = 0;
  for (let i = from + 1; i < to; i++) {
    const d = a[i]! - a[i - 1]!;
    if (!Number.isSafeInteger(a[i]!) || !Number.isSafeInteger(d)) return RAW;
    if (d !== d0) arith = false;
    const abs = d < 0 ? -d : d;
    if (abs > maxAbs) maxAbs = abs;
  }
  // Exact only if first + k * delta stays exact, which safe integers guarantee.
  if (arith) return ARITH;
  if (maxAbs < 0x80) return DELTA8;
  if (maxAbs < 0x8000) return DELTA16;
  if (maxAbs < 0x80000000) return DELTA32;
  return RAW;
}

function sectionBytes(enc: number, n: number): number {
  const pad8 = (b: number) => Math.ceil(b / 8) * 8;
  switch (enc) {
    case ARITH:
      return 16;
    case DELTA8:
      return 8 + pad8(n - 1);
    case DELTA16:
      return 8 + pad8(2 * (n - 1));
    case DELTA32:
      return 8 + pad8(4 * (n - 1));
    case F32:
      return pad8(4 * n);
    default:
      return 8 * n;
  }
}

function writeSection(view: DataView, out: Uint8Array, at: number, enc: number, a: Float64Array, from: number, to: number): void {
  const n = to - from;
  if (enc === RAW) {
    out.set(new Uint8Array(a.buffer, a.byteOffset + from * 8, n * 8), at);
    return;
  }
  if (enc === F32) {
    new Float32Array(out.buffer, out.byteOffset + at, n).set(a.subarray(from, to));
    return;
  }
  view.setFloat64(at, a[from]!, true);
  if (enc === ARITH) {
    view.setFloat64(at + 8, a[from + 1]! - a[from]!, true);
    return;
  }
  const d = enc === DELTA8 ? new Int8Array(out.buffer, out.byteOffset + at + 8, n - 1) : enc === DELTA16 ? new Int16Array(out.buffer, out.byteOffset + at + 8, n - 1) : new Int32Array(out.buffer, out.byteOffset + at + 8, n - 1);
  for (let i = 1; i < n; i++) d[i - 1] = a[from + i]! - a[from + i - 1]!;
}

function readSection(all: Uint8Array, at: number, enc: number, n: number, into: Float64Array): void {
  const view = new DataView(all.buffer, all.byteOffset, all.byteLength);
  if (enc === RAW) {
    into.set(new Float64Array(all.buffer, all.byteOffset + at, n));
    return;
  }
  if (enc === F32) {
    into.set(new Float32Array(all.buffer, all.byteOffset + at, n));
    return;
  }
  let v = view.getFloat64(at, true);
  into[0] = v;
  if (enc === ARITH) {
    const d = view.getFloat64(at + 8, true);
    for (let i = 1; i < n; i++) into[i] = v += d;
    return;
  }
  const d = enc === DELTA8 ? new Int8Array(all.buffer, all.byteOffset + at + 8, n - 1) : enc === DELTA16 ? new Int16Array(all.buffer, all.byteOffset + at + 8, n - 1) : new Int32Array(all.buffer, all.byteOffset + at + 8, n - 1);
  for (let i = 1; i < n; i++) into[i] = v += d[i - 1]!;
}

function allFloat32(a: Float64Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const v = a[i]!;
    if (Math.fround(v) !== v && v === v) return false;
  }
  return true;
}

/** Encodes points [from, to) of sorted columns as one block's blob. */
export function encodeBlock(p: SeriesPoints, from: number, to: number): Buffer {
  const n = to - from;
  const se = integerColumnEncoding(p.steps, from, to);
  const te = integerColumnEncoding(p.timestamps, from, to);
  const ve = allFloat32(p.values, from, to) ? F32 : RAW;
  const sb = sectionBytes(se, n);
  const tb = sectionBytes(te, n);
  // Its own ArrayBuffer, so the sections' typed views are 8-byte aligned.
  const out = new Uint8Array(8 + sb + tb + sectionBytes(ve, n));
  const view = new DataView(out.buffer);
  out[0] = FORMAT;
  out[1] = se;
  out[2] = te;
  out[3] = ve;
  view.setUint32(4, n, true);
  writeSection(view, out, 8, se, p.steps, from, to);
  writeSection(view, out, 8 + sb, te, p.timestamps, from, to);
  writeSection(view, out, 8 + sb + tb, ve, p.values, from, to);
  return Buffer.from(out.buffer);
}

/** A block's blob as its three columns. */
export function decodeBlock(blob: Uint8Array, count: number): { steps: Float64Array; timestamps: Float64Array; values: Float64Array } {
  // Copied once: a blob from SQLite need not be 8-byte aligned.
  const all = new Uint8Array(blob.byteLength);
  all.set(blob);
  const n = blob.byteLength >= 8 ? new DataView(all.buffer).getUint32(4, true) : -1;
  const [format, se, te, ve] = all;
  if (format !== FORMAT || n !== count) throw new Error(`metric block of ${blob.byteLength} bytes is not a format-${FORMAT} block of ${count} points`);
  const sb = sectionBytes(se!, n);
  const tb = sectionBytes(te!, n);
  if (8 + sb + tb + sectionBytes(ve!, n) !== blob.byteLength) throw new Error(`metric block of ${blob.byteLength} bytes does not hold ${count} points`);
  const cols = new Float64Array(3 * n);
  const out = { steps: cols.subarray(0, n), timestamps: cols.subarray(n, 2 * n), values: cols.subarray(2 * n) };
  readSection(all, 8, se!, n, out.steps);
  readSection(all, 8 + sb, te!, n, out.timestamps);
  readSection(all, 8 + sb + tb, ve!, n, out.values);
  return out;
}

/*
 * A block's level-1 tiles, 14 Float64 numbers each: bucket, count, then the first, last, minimum
 * and maximum point as (step, timestamp, value), NaN where the tile has none (all its points are
 * NaN; a kept value is never NaN). Kept in the block because writing them as rows of
 * series_tiles cost as much as the rest of a bulk load together.
 */
export const TILE_NUMBERS = 14;

export function encodeTiles(tiles: readonly Tile[]): Buffer {
  const a = new Float64Array(tiles.length * TILE_NUMBERS);
  let o = 0;
  for (const t of tiles) {
    a[o++] = t.bucket;
    a[o++] = t.count;
    a[o++] = t.firstStep ?? NaN;
    a[o++] = t.firstTs ?? NaN;
    a[o++] = t.firstValue ?? NaN;
    a[o++] = t.lastStep ?? NaN;
    a[o++] = t.lastTs ?? NaN;
    a[o++] = t.lastValue ?? NaN;
    a[o++] = t.minStep ?? NaN;
    a[o++] = t.minTs ?? NaN;
    a[o++] = t.minValue ?? NaN;
    a[o++] = t.maxStep ?? NaN;
    a[o++] = t.maxTs ?? NaN;
    a[o++] = t.maxValue ?? NaN;
  }
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** A tiles blob as its numbers (copied: a blob from SQLite need not be 8-byte aligned). */
export function tileNumbers(blob: Uint8Array): Float64Array {
  if (blob.byteLength % (TILE_NUMBERS * 8) !== 0) throw new Error(`metric block tiles of ${blob.byteLength} bytes are damaged`);
  const a = new Float64Array(blob.byteLength / 8);
  new Uint8Array(a.buffer).set(blob);
  return a;
}

/** The tiles of a block with bucket in [from, to], in bucket order. */
export function decodeTiles(blob: Uint8Array, series: number, from: number, to: number): Tile[] {
  const a = tileNumbers(blob);
  const out: Tile[] = [];
  const n = (v: number) => (v === v ? v : null);
  for (let o = 0; o < a.length; o += TILE_NUMBERS) {
    const bucket = a[o]!;
    if (bucket < from) continue;
    if (bucket > to) break;
    out.push({
      series, level: 1, bucket, count: a[o + 1]!,
      firstStep: n(a[o + 2]!), firstTs: n(a[o + 3]!), firstValue: n(a[o + 4]!),
      lastStep: n(a[o + 5]!), lastTs: n(a[o + 6]!), lastValue: n(a[o + 7]!),
      minStep: n(a[o + 8]!), minTs: n(a[o + 9]!), minValue: n(a[o + 10]!),
      maxStep: n(a[o + 11]!), maxTs: n(a[o + 12]!), maxValue: n(a[o + 13]!),
    });
  }
  return out;
}
