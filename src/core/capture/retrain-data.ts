import { writeFileSync } from 'node:fs';
import type { DataProfile } from '../monitoring/profile-types.ts';
import { invalid } from '../errors.ts';
import type { CapturedRequest, Feedback } from './capture-store.ts';
import { rowsOfRequest } from './deployment-monitor.ts';

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * Captured requests that have a label, as a CSV with the reference's columns (the training data's):
 * features from the requests, the target column from the labels. What a retrain trains on when no
 * `--data` is given.
 */
export function exportLabelledTraffic(file: string, reference: DataProfile, captured: CapturedRequest[], feedback: Map<string, Feedback>): { rows: number; target: string; features: string[] } {
  const cols = reference.columns.map((c) => c.name);
  const used = new Set<number>();
  const rows: Array<{ values: unknown[]; label: string }> = [];
  for (const c of captured) {
    if (c.status < 200 || c.status >= 300) continue;
    const f = feedback.get(c.requestId);
    if (!f) continue;
    const rs = rowsOfRequest(c.request, cols);
    let labels: string[] = [f.label];
    try {
      const l = JSON.parse(f.label) as unknown;
      if (Array.isArray(l) && l.length === rs.length) labels = l.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    } catch {
      /* a plain label */
    }
    if (labels.length !== rs.length) continue; // one label for a batch of several rows: cannot tell which
    rs.forEach((r, i) => {
      r.forEach((v, j) => v !== undefined && used.add(j));
      rows.push({ values: r, label: labels[i]! });
    });
  }
  if (!rows.length) {
    throw invalid(`No captured request has a label yet, so there is no new data to retrain on. Send labels (POST /feedback {"request_id", "label"} on the endpoint, or loopline feedback NAME --csv FILE), or pass --data FILE.`);
  }
  const targets = reference.columns.filter((c, i) => !used.has(i) && c.type !== 'text');
  if (targets.length !== 1) {
    throw invalid(`Cannot tell the target column of the training data: the requests lack ${targets.length ? targets.map((t) => t.name).join(', ') : 'no column'} of ${cols.join(', ')}. Pass --data FILE.`);
  }
  const target = targets[0]!.name;
  const ti = cols.indexOf(target);
  const lines = [cols.map(csvCell).join(',')];
  for (const r of rows) lines.push(cols.map((_, j) => csvCell(j === ti ? r.label : r.values[j])).join(','));
  writeFileSync(file, lines.join('\n') + '\n');
  return { rows: rows.length, target, features: cols.filter((_, j) => used.has(j)) };
}
