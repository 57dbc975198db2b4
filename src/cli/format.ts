/** Plain-text formatting for the terminal: aligned tables and JSON. */
export { formatAgo, formatDuration, formatNumber } from '../shared/display-format.ts';
import { toWire } from '../shared/wire-number.ts';

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** JSON with NaN/Infinity kept as the strings MLflow uses, instead of JSON's lossy null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' ? toWire(v) : v), 2);
}
