import type { KeyPoints, SeriesPoints } from '../store/metric-writer.ts';

/** A key's first chunk is small (most imported runs have a few hundred points a key); later ones double up to CHUNK. */
const FIRST_CHUNK = 256;
const CHUNK = 1 << 16;

/** A key's points as they arrive: full chunks, then the one being filled. */
interface KeyChunks {
  full: SeriesPoints[];
  open: SeriesPoints;
}

function chunk(size: number): SeriesPoints {
  return { steps: new Float64Array(size), timestamps: new Float64Array(size), values: new Float64Array(size), length: 0 };
}

function join(chunks: SeriesPoints[]): SeriesPoints {
  const n = chunks.reduce((sum, c) => sum + c.length, 0);
  const out: SeriesPoints = { steps: new Float64Array(n), timestamps: new Float64Array(n), values: new Float64Array(n), length: n };
  let at = 0;
  for (const c of chunks) {
    out.steps.set(c.steps.subarray(0, c.length), at);
    out.timestamps.set(c.timestamps.subarray(0, c.length), at);
    out.values.set(c.values.subarray(0, c.length), at);
    at += c.length;
  }
  return out;
}

/**
 * Metric points of one run, in column arrays per key (24 bytes a point) rather than objects, so
 * a run with millions of points read from a big event file stays compact, and the store can
 * sort and write each key's points without regrouping them. Points go into fixed chunks (no
 * copying while a key grows) joined once when the run is written.
 */
export class PointBuffer {
  private readonly keyIndex = new Map<string, number>();
  readonly keys: string[] = [];
  private readonly cols: KeyChunks[] = [];
  /** Points added so far, including those handed to `spill`. */
  length = 0;
  private readonly spill: ((key: string, points: SeriesPoints) => void) | undefined;

  /** With `spill`, a key's full chunk of CHUNK points is handed there (and the chunk reused) instead of kept. */
  constructor(spill?: (key: string, points: SeriesPoints) => void) {
    this.spill = spill;
  }

  /** The index of a key, for `addTo` (adding the key when it is new). */
  keyId(key: string): number {
    let k = this.keyIndex.get(key);
    if (k === undefined) {
      k = this.keys.length;
      this.keys.push(key);
      this.keyIndex.set(key, k);
      this.cols.push({ full: [], open: chunk(FIRST_CHUNK) });
    }
    return k;
  }

  add(key: string, step: number, timestamp: number, value: number): void {
    this.addTo(this.keyId(key), step, timestamp, value);
  }

  /** `add` for a key index from `keyId`: the hot loop of a big import skips the key lookup. */
  addTo(k: number, step: number, timestamp: number, value: number): void {
    const kc = this.cols[k]!;
    let c = kc.open;
    if (c.length === c.steps.length) {
      if (this.spill && c.length === CHUNK) {
        // The chunk is sorted in place and written; then it is free again.
        this.spill(this.keys[k]!, kc.full.length ? join([...kc.full, c]) : c);
        kc.full = [];
        c.length = 0;
      } else {
        kc.full.push(c);
        c = kc.open = chunk(Math.min(CHUNK, 2 * c.length));
      }
    }
    const i = c.length++;
    c.steps[i] = step;
    c.timestamps[i] = timestamp;
    c.values[i] = value;
    this.length++;
  }

  has(key: string): boolean {
    return this.keyIndex.has(key);
  }

  /** The point with the greatest step of a key (the last one read among equal steps); only for buffers that do not spill. */
  last(key: string): { step: number; timestamp: number; value: number } | undefined {
    const k = this.keyIndex.get(key);
    if (k === undefined) return undefined;
    let best: { step: number; timestamp: number; value: number } | undefined;
    for (const c of [...this.cols[k]!.full, this.cols[k]!.open]) {
      for (let i = 0; i < c.length; i++) if (!best || c.steps[i]! >= best.step) best = { step: c.steps[i]!, timestamp: c.timestamps[i]!, value: c.values[i]! };
    }
    return best;
  }

  countByKey(): Record<string, number> {
    return Object.fromEntries(this.keys.map((k, i) => [k, this.cols[i]!.full.reduce((n, c) => n + c.length, this.cols[i]!.open.length)]));
  }

  /** The points per key, each in one set of arrays, for the store's bulk insert (which sorts them in place). */
  series(): KeyPoints[] {
    return this.keys.map((key, i) => {
      const { full, open } = this.cols[i]!;
      if (full.length === 0) return { key, points: open };
      const out = join([...full, open]);
      // The joined arrays replace the chunks: a second call sees the same (possibly sorted) points.
      this.cols[i] = { full: [], open: out };
      return { key, points: out };
    });
  }
}
