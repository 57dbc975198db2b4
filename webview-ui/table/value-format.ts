/** Display text for the values of the Experiment Table. Pure functions, no DOM. */
import type { RunStatusMsg } from '../../src/protocol/common.ts';

/** A metric value: integers as they are, others with 6 significant digits, tiny/huge ones in exponent form. */
export function formatMetric(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '-∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e9) return String(Number(v.toPrecision(6)));
  return v.toExponential(3);
}

/** The full-precision text for a tooltip. */
export function formatMetricExact(v: number): string {
  return Number.isFinite(v) ? String(v) : formatMetric(v);
}

const dateTime = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });

export function formatStartTime(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? dateTime.format(ms) : '';
}

/** 950 ms → "0.95 s", 75 s → "1m 15s", 2 h 3 min → "2h 03m", 3 days → "3d 4h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${(ms / 1000).toFixed(2)}s`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const total = Math.floor(s);
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}m ${String(sec).padStart(2, '0')}s`;
}

const STATUS_TEXT: Record<RunStatusMsg, string> = {
  RUNNING: 'Running',
  SCHEDULED: 'Scheduled',
  FINISHED: 'Finished',
  FAILED: 'Failed',
  KILLED: 'Killed',
};

export function formatStatus(s: string): string {
  return (STATUS_TEXT as Record<string, string>)[s] ?? s;
}
