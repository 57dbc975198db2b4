/**
 * Everything a profile says about one column, gathered in one pass: missing values, exact
 * moments/min/max and histogram while every value is a number, distinct values up to a cap, text
 * lengths. A column is numeric only if every non-missing value was a number.
 */
import type { CategoryCount, ColumnProfile, ColumnType } from './profile-types.ts';
import { StreamingHistogram } from './streaming-histogram.ts';

/** What pandas reads as missing by default (read_csv's na_values), plus the empty string. */
const MISSING_TOKENS = new Set(['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null']);
const NUMBER = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const DISTINCT_CAP = 10_000;
/** Distinct numbers are only shown (as categories) when there are few; past this, stop counting them. */
const NUMERIC_DISTINCT_CAP = 1_000;
export const TOP_K = 50;

/** A cell as the profile sees it: null (missing), a number, or text. */
export type Cell = number | string | null;

/** Normalises a value of any supported format to a cell. */
export function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string': {
      if (v.length <= 8 && MISSING_TOKENS.has(v)) return null;
      // Fast path: most text is NaN to `+`; numbers are checked by the strict pattern (no hex, no "Infinity").
      const c = v.charCodeAt(0);
      if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 32) {
        const n = +v;
        if (n === n && NUMBER.test(v)) return n;
      }
      return v;
    }
    case 'number':
      return Number.isFinite(v) ? v : null;
    case 'bigint':
      return Number(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return v instanceof Date ? v.toISOString() : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
  }
}

/**
 * A copy of `s` that does not point into the text chunk it was sliced from. V8 keeps substrings of
 * 13+ characters as views of their parent, so a kept category (or sampled cell) would otherwise keep
 * its whole 1 MB chunk alive, and memory would grow with the file.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

export class ColumnAccumulator {
  missing = 0;
  count = 0;
  private numericOnly = true;
  private booleanOnly = true;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  private zeros = 0;
  private hist: StreamingHistogram | null = new StreamingHistogram();
  private readonly distinct = new Map<number | string, number>();
  private overflow = 0;
  private lenMin = Infinity;
  private lenMax = 0;
  private lenSum = 0;
  private strings = 0;

  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  add(cell: Cell): void {
    if (cell === null) {
      this.missing++;
      return;
    }
    this.count++;
    if (typeof cell === 'number') {
      if (this.numericOnly) {
        const d = cell - this.mean;
        this.mean += d / this.count;
        this.m2 += d * (cell - this.mean);
        if (cell < this.min) this.min = cell;
        if (cell > this.max) this.max = cell;
        if (cell === 0) this.zeros++;
        this.hist!.add(cell);
      }
      this.booleanOnly = false;
    } else {
      if (this.numericOnly) {
        this.numericOnly = false;
        this.hist = null;
      }
      if (this.booleanOnly && cell !== 'true' && cell !== 'false') this.booleanOnly = false;
      const len = cell.length;
      if (len < this.lenMin) this.lenMin = len;
      if (len > this.lenMax) this.lenMax = len;
      this.lenSum += len;
      this.strings++;
    }
    // Many distinct numbers: their counts are never shown. Free text far past the cap: top counts are
    // already those of the first 10,000 distinct values; hashing every further string buys nothing.
    if (this.overflow > 0 && (this.numericOnly || this.overflow > 10 * DISTINCT_CAP)) {
      this.overflow++;
      return;
    }
    const seen = this.distinct.get(cell);
    if (seen !== undefined) this.distinct.set(cell, seen + 1);
    else if (this.distinct.size < (this.numericOnly ? NUMERIC_DISTINCT_CAP : DISTINCT_CAP)) this.distinct.set(typeof cell === 'string' ? detach(cell) : cell, 1);
    else this.overflow++;
  }

  get isNumeric(): boolean {
    return this.numericOnly && this.count > 0;
  }

  /** Category counts with numbers and text merged under their text form. */
  private categoryCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [k, c] of this.distinct) {
      const key = String(k);
      out.set(key, (out.get(key) ?? 0) + c);
    }
    return out;
  }

  type(): ColumnType {
    if (this.isNumeric) return 'numeric';
    if (this.count > 0 && this.booleanOnly) return 'boolean';
    const distinct = this.distinct.size;
    const meanLength = this.strings ? this.lenSum / this.strings : 0;
    if (this.overflow > 0 || distinct > 1000 || meanLength > 100 || (this.count >= 50 && distinct > 0.5 * this.count)) return 'text';
    return 'categorical';
  }

  finish(rows: number, sample: Array<number | string>, quantiles: (sorted: Float64Array) => Array<{ p: number; value: number }>): ColumnProfile {
    this.missing = rows - this.count;
    const type = this.type();
    const base: ColumnProfile = {
      name: this.name,
      type,
      count: this.count,
      missing: this.missing,
      missingRate: rows ? this.missing / rows : 0,
      distinct: this.distinct.size + (this.overflow > 0 ? 1 : 0),
      distinctCapped: this.overflow > 0,
      sample: type === 'numeric' ? sample : sample.map(String),
    };
    if (type === 'numeric') {
      const sorted = Float64Array.from(sample as number[]).sort();
      base.numeric = {
        min: this.min,
        max: this.max,
        mean: this.mean,
        std: Math.sqrt(this.m2 / this.count),
        zeros: this.zeros,
        quantiles: quantiles(sorted),
        histogram: this.hist!.toBins(this.distinct.size > 0 && this.distinct.size < 20 ? Math.max(1, this.distinct.size) : 20),
      };
      // Few distinct numbers (codes, ratings) are also shown as categories.
      if (this.distinct.size <= 20) Object.assign(base, this.topCategories());
      return base;
    }
    Object.assign(base, this.topCategories());
    if (type === 'text' || type === 'categorical') {
      base.text = { minLength: this.strings ? this.lenMin : 0, maxLength: this.lenMax, meanLength: this.strings ? this.lenSum / this.strings : 0 };
    }
    return base;
  }

  private topCategories(): { top: CategoryCount[]; otherCount: number } {
    const all = [...this.categoryCounts()].map(([value, count]) => ({ value, count }));
    all.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
    const top = all.slice(0, TOP_K);
    const shown = top.reduce((s, c) => s + c.count, 0);
    return { top, otherCount: this.count - shown };
  }
}
