/**
 * What the Experiment Table keeps across hide/show/reload through `vscode.setState`: sort, filter,
 * hidden columns, metric aggregates, selection, scroll. State read back is validated, since it may
 * come from an older version of the webview.
 */
import type { MetricAggregate } from '../../src/protocol/table-protocol.ts';
import type { SortDirection } from './row-order.ts';

export interface TableSort {
  columnId: string;
  dir: SortDirection;
}

export interface TableViewState {
  version: 1;
  experimentId: string;
  sort: TableSort | null;
  filter: string;
  hiddenColumns: string[];
  defaultAggregate: MetricAggregate;
  /** Per metric key, where it differs from `defaultAggregate`. */
  aggregates: Record<string, MetricAggregate>;
  selection: string[];
  activeRunId: string | null;
  scrollTop: number;
  /** Column widths the user set by resizing, by column id. */
  widths: Record<string, number>;
}

export function emptyViewState(experimentId: string): TableViewState {
  return { version: 1, experimentId, sort: null, filter: '', hiddenColumns: [], defaultAggregate: 'last', aggregates: {}, selection: [], activeRunId: null, scrollTop: 0, widths: {} };
}

export const isAggregate = (v: unknown): v is MetricAggregate => v === 'last' || v === 'min' || v === 'max';
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

export function parseViewState(v: unknown): TableViewState | null {
  if (typeof v !== 'object' || v === null) return null;
  const s = v as Record<string, unknown>;
  if (s.version !== 1 || typeof s.experimentId !== 'string') return null;
  const out = emptyViewState(s.experimentId);
  const sort = s.sort as Record<string, unknown> | null;
  if (sort && typeof sort.columnId === 'string' && (sort.dir === 'asc' || sort.dir === 'desc')) out.sort = { columnId: sort.columnId, dir: sort.dir };
  if (typeof s.filter === 'string') out.filter = s.filter;
  if (isStringArray(s.hiddenColumns)) out.hiddenColumns = s.hiddenColumns;
  if (isAggregate(s.defaultAggregate)) out.defaultAggregate = s.defaultAggregate;
  if (typeof s.aggregates === 'object' && s.aggregates !== null) {
    for (const [k, a] of Object.entries(s.aggregates)) if (isAggregate(a)) out.aggregates[k] = a;
  }
  if (isStringArray(s.selection)) out.selection = s.selection;
  if (typeof s.activeRunId === 'string') out.activeRunId = s.activeRunId;
  if (typeof s.widths === 'object' && s.widths !== null) {
    for (const [k, w] of Object.entries(s.widths)) if (typeof w === 'number' && Number.isFinite(w) && w > 0) out.widths[k] = w;
  }
  if (typeof s.scrollTop === 'number' && Number.isFinite(s.scrollTop)) out.scrollTop = Math.max(0, s.scrollTop);
  return out;
}
