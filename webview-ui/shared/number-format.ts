/** How numbers, times and sizes are shown in the webviews. */
export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e9) return String(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

/** A signed difference: "+0.0123", "−4". */
export function formatDelta(d: number): string {
  if (!Number.isFinite(d)) return formatValue(d);
  if (d === 0) return '±0';
  return (d > 0 ? '+' : '−') + formatValue(Math.abs(d));
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function formatDateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A wall-clock tick: time of day, with the date when the axis spans days. */
export function formatClock(ms: number, spanMs: number): string {
  const d = new Date(ms);
  const time = spanMs < 120_000 ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return spanMs >= 86_400_000 * 2 ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}` : time;
}

/** Seconds as "45s", "3m 20s", "2h 05m", "3d 4h". */
export function formatSeconds(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds)) return '—';
  const sign = totalSeconds < 0 ? '−' : '';
  let s = Math.abs(totalSeconds);
  if (s < 60) return `${sign}${Number(s.toFixed(s < 10 && !Number.isInteger(s) ? 1 : 0))}s`;
  s = Math.round(s);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${sign}${d}d ${h}h`;
  if (h > 0) return `${sign}${h}h ${pad(m)}m`;
  return `${sign}${m}m${sec ? ` ${pad(sec)}s` : ''}`;
}

export function formatDuration(startMs: number, endMs: number | null, nowMs = Date.now()): string {
  return formatSeconds(((endMs ?? nowMs) - startMs) / 1000);
}

export function formatCount(n: number): string {
  return new Intl.NumberFormat('en-US').format(n);
}

export function formatBytes(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '';
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

/** A short tick label for steps: 950, 1.2k, 3M. */
export function formatStepTick(v: number): string {
  return new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(v);
}
