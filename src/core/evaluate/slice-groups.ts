import { quantileSorted } from './regression-metrics.ts';
import type { DataRow } from './evaluation-types.ts';

export const MISSING_GROUP = '(missing)';

/** A column with more distinct numeric values than this is binned into quantiles rather than grouped by value. */
export const MAX_DISTINCT_NUMERIC_GROUPS = 10;

export interface ColumnGroups {
  column: string;
  binned: boolean;
  /** Group label of each row, in row order. */
  labels: string[];
}

const isEmpty = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

/**
 * Groups rows by a column's value; a numeric column with many values goes into `bins` quantile bins
 * labelled by their edges ("[a, b)", the last closed), so slices stay few and comparably sized.
 */
export function groupRows(rows: DataRow[], column: string, bins = 4): ColumnGroups {
  const values = rows.map((r) => r[column]);
  const present = values.filter((v) => !isEmpty(v));
  const numeric = present.length > 0 && present.every((v) => typeof v === 'number' || Number.isFinite(Number(v)));
  const distinct = new Set(present.map((v) => String(v)));
  if (!numeric || distinct.size <= MAX_DISTINCT_NUMERIC_GROUPS) {
    return { column, binned: false, labels: values.map((v) => (isEmpty(v) ? MISSING_GROUP : String(v))) };
  }
  const sorted = present.map(Number).sort((a, b) => a - b);
  const edges = [...new Set(Array.from({ length: bins + 1 }, (_, i) => quantileSorted(sorted, i / bins)))];
  const fmt = (x: number) => String(Number(x.toPrecision(6)));
  // One label per bin, made once (a row only looks its bin up).
  const binLabels = edges.slice(0, -1).map((e, b) => `[${fmt(e)}, ${fmt(edges[b + 1]!)}${b === edges.length - 2 ? ']' : ')'}`);
  const labelOf = (x: number) => {
    let b = 0;
    while (b < edges.length - 2 && x >= edges[b + 1]!) b++;
    return binLabels[b]!;
  };
  return { column, binned: true, labels: values.map((v) => (isEmpty(v) ? MISSING_GROUP : labelOf(Number(v)))) };
}

/** Row indices per group label, groups in first-seen order. */
export function indicesByGroup(labels: string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  labels.forEach((g, i) => {
    const list = out.get(g);
    if (list) list.push(i);
    else out.set(g, [i]);
  });
  return out;
}
