/**
 * How Loopline shows numbers, durations and times, everywhere: the Experiments tree, the CodeLens,
 * the webviews and the CLI import this one module. It imports nothing (no `vscode`, no DOM), so
 * both the extension host and the browser bundles can use it.
 */

const MISSING = '—';
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Significant digits when nothing is known about the other values of a metric. */
export const DEFAULT_DIGITS = 4;

/**
 * Significant digits that tell apart values spread over [min, max]: about three digits of the
 * spread, so 0.9612 and 0.9667 read as such while 2.31 and 0.05 do not get eight digits. Counted
 * from the smaller end, so a range that reaches 1.0 still shows 0.9667 and not 0.96667.
 */
export function digitsForRange(min: number, max: number): number {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return DEFAULT_DIGITS;
  const ends = [Math.abs(min), Math.abs(max)].filter((x) => x > 0);
  const magnitude = ends.length ? Math.min(...ends) : 0;
  const spread = Math.abs(max - min);
  if (magnitude === 0 || spread === 0) return DEFAULT_DIGITS;
  const digits = Math.floor(Math.log10(magnitude)) - Math.floor(Math.log10(spread)) + 3;
  return Math.min(10, Math.max(3, digits));
}

/** Digits for a metric from the values it takes (NaN, ±Infinity and nulls ignored). */
export function digitsFor(values: Iterable<number | null | undefined>): number {
  let min = Infinity;
  let max = -Infinity;
  if (values instanceof Float64Array) {
    // The table's columns (100,000 rows): an indexed loop, not the iterator protocol.
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (min === -Infinity || max === Infinity) return digitsFor(Array.from(values));
    return min > max ? DEFAULT_DIGITS : digitsForRange(min, max);
  }
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min > max ? DEFAULT_DIGITS : digitsForRange(min, max);
}

/** A metric or param value for display. Integers as they are; tiny and huge values in exponent form. */
export function formatNumber(v: number | null | undefined, digits = DEFAULT_DIGITS): string {
  if (v === null || v === undefined) return MISSING;
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e15) return String(v);
  if (a >= 1e9 || a < 1e-4) return trimExponent(v.toExponential(Math.max(1, digits - 1)));
  return String(Number(v.toPrecision(digits)));
}

function trimExponent(s: string): string {
  // 1.2300e-7 → 1.23e-7
  return s.replace(/\.?0+e/, 'e');
}

/** Full precision, for tooltips and exports: every digit the double holds. */
export function formatExact(v: number | null | undefined): string {
  if (v === null || v === undefined) return MISSING;
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  return String(v);
}

/** A signed difference with a typographic minus, as next to a percentage: "+0.0123", "−4", "±0". */
export function formatDelta(d: number, digits = DEFAULT_DIGITS): string {
  if (!Number.isFinite(d)) return formatNumber(d, digits);
  if (d === 0) return '±0';
  return (d > 0 ? '+' : '−') + formatNumber(Math.abs(d), digits);
}

/**
 * A duration: `665 ms`, `1.2 s`, `42 s`, `3 m 05 s`, `2 h 10 m`, `3 d 4 h`. Unknown (null, NaN)
 * reads "—"; a negative duration keeps its sign (a chart axis before a run's start).
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return MISSING;
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 9950) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  if (total < 60) return `${total} s`;
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${pad(m)} m`;
  return `${m} m ${pad(s)} s`;
}

/** How long ago: `12 s ago`, `5 m ago`, `3 h ago`, `2 d ago`. */
export function formatAgo(t: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** Local date and time, `2026-12-01 10:02:03`. */
export function formatDateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0) return MISSING;
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A wall-clock axis tick: time of day, with the date when the axis spans days. */
export function formatClock(ms: number, spanMs: number): string {
  const d = new Date(ms);
  const time = spanMs < 120_000 ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return spanMs >= 86_400_000 * 2 ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}` : time;
}

/**
 * Live accuracy from labelled feedback, as a fraction like every other accuracy Loopline shows
 * (`val_accuracy 0.9667`): `0.97 (300 labelled)`.
 */
export function formatLiveAccuracy(value: number | null, labelled: number): string {
  return value === null ? MISSING : `${formatNumber(value)} (${formatCount(labelled)} labelled)`;
}

/** A count with thousands separators: 1,250,000. */
export function formatCount(n: number): string {
  // Grouped by hand: the first toLocaleString in a webview costs ~30 ms (locale data).
  return Number.isFinite(n) ? String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : MISSING;
}

/** A number of runs as every view says it: "1 run", "5,000 runs". */
export function formatRunCount(n: number): string {
  return `${formatCount(n)} run${n === 1 ? '' : 's'}`;
}

/** A step axis tick: 950, 1.2k, 3M. */
export function formatStepTick(v: number): string {
  const a = Math.abs(v);
  const short = (x: number, unit: string) => `${Number(x.toFixed(x < 10 ? 1 : 0))}${unit}`;
  if (a >= 1e9) return short(v / 1e9, 'B');
  if (a >= 1e6) return short(v / 1e6, 'M');
  if (a >= 1e3) return short(v / 1e3, 'k');
  return String(Number(v.toFixed(2)));
}

/** A file size: `512 B`, `1.5 KB`, `20 MB`. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
