/**
 * An exact-count histogram of a stream whose range is not known in advance: 256 equal bins that
 * double their width (merging neighbours) whenever a value falls outside the covered range. Every
 * value is counted exactly once; only the bin edges adapt. The display histogram is made from
 * these fine bins at the end.
 */
const FINE_BINS = 256;

export class StreamingHistogram {
  private counts = new Float64Array(FINE_BINS);
  private start = 0;
  private width = 0;
  private initialized = false;
  private first: number | undefined;
  private min = Infinity;
  private max = -Infinity;

  add(x: number): void {
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (!this.initialized) {
      if (this.first === undefined) {
        this.first = x;
        return;
      }
      if (x === this.first) {
        // Still a single value: keep counting it as "first" until a second value sets a scale.
        this.counts[0]! += 1;
        return;
      }
      this.initFrom(x);
    }
    this.put(x);
  }

  private initFrom(x: number): void {
    const first = this.first!;
    const lo = Math.min(first, x);
    const hi = Math.max(first, x);
    this.width = ((hi - lo) / FINE_BINS) * 4; // room to grow on both sides before the first merge
    this.start = lo - this.width * (FINE_BINS / 4);
    const repeats = this.counts[0]!;
    this.counts.fill(0);
    this.initialized = true;
    this.put(first);
    this.counts[this.indexOf(first)]! += repeats;
  }

  private indexOf(x: number): number {
    return Math.min(FINE_BINS - 1, Math.floor((x - this.start) / this.width));
  }

  private put(x: number): void {
    while (x < this.start || x >= this.start + this.width * FINE_BINS) this.grow(x < this.start);
    this.counts[this.indexOf(x)]! += 1;
  }

  /** Doubles the width; grows downwards (keeping the top edge) or upwards (keeping the bottom). */
  private grow(down: boolean): void {
    const merged = new Float64Array(FINE_BINS);
    const offset = down ? FINE_BINS / 2 : 0;
    for (let i = 0; i < FINE_BINS; i++) merged[offset + (i >> 1)]! += this.counts[i]!;
    if (down) this.start -= this.width * FINE_BINS;
    this.width *= 2;
    this.counts = merged;
  }

  /** `bins` equal-width bins from min to max, counts taken from the fine bins (each fine bin goes to the display bin holding its centre). */
  toBins(bins: number): { edges: number[]; counts: number[] } {
    if (this.min === Infinity) return { edges: [], counts: [] };
    if (!this.initialized) return { edges: [this.min, this.max], counts: [this.counts[0]! + 1] };
    const lo = this.min;
    const hi = this.max;
    const step = (hi - lo) / bins;
    const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * step));
    const out = new Array<number>(bins).fill(0);
    for (let i = 0; i < FINE_BINS; i++) {
      const c = this.counts[i]!;
      if (!c) continue;
      const centre = Math.min(hi, Math.max(lo, this.start + (i + 0.5) * this.width));
      out[Math.min(bins - 1, Math.floor((centre - lo) / step))]! += c;
    }
    return { edges, counts: out };
  }
}
