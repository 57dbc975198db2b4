import type { RunMsg } from '../../src/protocol/common.ts';
import type { MetricSummary } from './metric-summary.ts';

/**
 * The Compare tables as one CSV, a row per run: its params, then per metric last / min / max /
 * best step / delta against the baseline. Text that a spreadsheet would run as a formula
 * (starting with = + - @) is prefixed with a quote.
 */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  let s = v;
  if (/^[=+\-@\t\r]/.test(s) && !/^[-+]?\d/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function buildCompareCsv(runs: RunMsg[], paramKeys: string[], summaries: MetricSummary[], baselineRunId: string | null): string {
  const header = ['run_id', 'run_name', 'status', ...paramKeys.map((k) => `param:${k}`)];
  for (const s of summaries) header.push(`${s.key}:last`, `${s.key}:min`, `${s.key}:max`, `${s.key}:best_step`, `${s.key}:delta_vs_baseline`);
  const lines = [header.map(csvField).join(',')];
  for (const run of runs) {
    const row: Array<string | number | null> = [run.id, run.name, run.status, ...paramKeys.map((k) => (Object.hasOwn(run.params, k) ? (run.params[k] ?? '') : null))];
    for (const s of summaries) {
      const c = s.cells.find((x) => x.runId === run.id);
      row.push(c?.last ?? null, c?.min ?? null, c?.max ?? null, c?.bestStep ?? null, c && baselineRunId ? c.delta : null);
    }
    lines.push(row.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
