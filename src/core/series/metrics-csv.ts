import type { RunStore } from '../store/run-store.ts';

function csvCell(v: string): string {
  // Quote anything with separators, quotes or line breaks; neutralise spreadsheet formulas.
  const safe = /^[=+\-@\t\r]/.test(v) && !/^-?[\d.]+(e[-+]?\d+)?$/i.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Every point of the given metrics of the given runs, at full resolution, as CSV. */
export function metricsCsv(store: RunStore, runIds: string[], keys: string[]): string {
  const lines = ['run_id,run_name,metric,step,timestamp,value'];
  for (const id of runIds) {
    const run = store.getRun(id);
    for (const key of keys) {
      for (const p of store.metricHistory(id, key)) {
        lines.push([id, csvCell(run.info.name), csvCell(key), String(p.step), String(p.timestamp), String(p.value)].join(','));
      }
    }
  }
  return lines.join('\n') + '\n';
}
