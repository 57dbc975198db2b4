import type { PointColumns } from '../store/metric-writer.ts';

/**
 * Metric points of one run in column arrays (24 bytes a point plus a key index) rather than
 * objects, so a run with millions of points read from a big event file stays compact.
 */
export class PointBuffer {
  private readonly keyIndex = new Map<string, number>();
  readonly keys: string[] = [];
  private keyOf = new Uint32Array(1024);
  private steps = new Float64Array(1024);
  private times = new Float64Array(1024);
  private values = new Float64Array(1024);
  length = 0;

  add(key: string, step: number, timestamp: number, value: number): void {
    let k = this.keyIndex.get(key);
    if (k === undefined) {
      k = this.keys.length;
      this.keys.push(key);
      this.keyIndex.set(key, k);
    }
    if (this.length === this.steps.length) this.grow();
    const i = this.length++;
    this.keyOf[i] = k;
    this.steps[i] = step;
    this.times[i] = timestamp;
    this.values[i] = value;
  }

  has(key: string): boolean {
    return this.keyIndex.has(key);
  }

  /** The point with the greatest step of a key (the last one read among equal steps). */
  last(key: string): { step: number; timestamp: number; value: number } | undefined {
    const k = this.keyIndex.get(key);
    if (k === undefined) return undefined;
    let best = -1;
    for (let i = 0; i < this.length; i++) if (this.keyOf[i] === k && (best < 0 || this.steps[i]! >= this.steps[best]!)) best = i;
    return best < 0 ? undefined : { step: this.steps[best]!, timestamp: this.times[best]!, value: this.values[best]! };
  }

  countByKey(): Record<string, number> {
    const counts = new Array<number>(this.keys.length).fill(0);
    for (let i = 0; i < this.length; i++) counts[this.keyOf[i]!]!++;
    return Object.fromEntries(this.keys.map((k, i) => [k, counts[i]!]));
  }

  /** The points as columns for the store's bulk insert (views, valid until the next `add`). */
  columns(): PointColumns {
    const n = this.length;
    return { keys: this.keys, keyOf: this.keyOf.subarray(0, n), steps: this.steps.subarray(0, n), timestamps: this.times.subarray(0, n), values: this.values.subarray(0, n), length: n };
  }

  private grow(): void {
    const n = this.steps.length * 2;
    const k = new Uint32Array(n);
    k.set(this.keyOf);
    this.keyOf = k;
    for (const name of ['steps', 'times', 'values'] as const) {
      const a = new Float64Array(n);
      a.set(this[name]);
      this[name] = a;
    }
  }
}
