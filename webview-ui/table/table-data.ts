/**
 * The runs of one experiment as the Experiment Table holds them: the columns of the `init` message,
 * a run-id index, and per-column sort keys cached as Float64Array (NaN = missing, sorted last).
 */
import { fromWire, type WireNumber } from '../../src/protocol/common.ts';
import type { MetricAggregate, TableColumns } from '../../src/protocol/table-protocol.ts';
import { digitsFor, formatDateTime, formatDuration, formatExact, formatNumber } from '../../src/shared/display-format.ts';
import { formatStatus } from '../../src/shared/run-status.ts';

export type ColumnKind = 'name' | 'status' | 'start' | 'duration' | 'param' | 'metric';

export interface ColumnDef {
  /** Stable id, MLflow-style: `attributes.status`, `params.lr`, `metrics.accuracy`. */
  id: string;
  kind: ColumnKind;
  /** Param or metric key; the attribute name for the fixed columns. */
  key: string;
  label: string;
  numeric: boolean;
}

export const NAME_COLUMN: ColumnDef = { id: 'attributes.run_name', kind: 'name', key: 'run_name', label: 'Name', numeric: false };
export const FIXED_COLUMNS: readonly ColumnDef[] = [
  NAME_COLUMN,
  { id: 'attributes.status', kind: 'status', key: 'status', label: 'Status', numeric: false },
  { id: 'attributes.start_time', kind: 'start', key: 'start_time', label: 'Start time', numeric: true },
  { id: 'attributes.duration', kind: 'duration', key: 'duration', label: 'Duration', numeric: true },
];

type WireColumn = ArrayLike<WireNumber | null>;

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
const NUMERIC_TEXT = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/** Sort keys of a text column: the numbers themselves when every value is numeric, else collation ranks. */
function textSortKeys(values: ArrayLike<string | null | undefined>, n: number, display: (s: string) => string = (s) => s): Float64Array {
  const keys = new Float64Array(n).fill(NaN);
  const unique = new Set<string>();
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === 'string') unique.add(v);
  }
  const distinct = [...unique];
  const rank = new Map<string, number>();
  if (distinct.length > 0 && distinct.every((v) => NUMERIC_TEXT.test(v))) {
    for (const v of distinct) rank.set(v, Number(v));
  } else {
    distinct.sort((a, b) => collator.compare(display(a), display(b)));
    distinct.forEach((v, i) => rank.set(v, i));
  }
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === 'string') keys[i] = rank.get(v)!;
  }
  return keys;
}

function numberKeys(values: ArrayLike<number | WireNumber | null | undefined>, n: number): Float64Array {
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    keys[i] = v === null || v === undefined ? NaN : fromWire(v);
  }
  return keys;
}

export class TableData {
  readonly rowCount: number;
  readonly runIds: readonly string[];
  readonly paramKeys: readonly string[];
  readonly metricKeys: readonly string[];
  private readonly names: ArrayLike<string>;
  private readonly statuses: ArrayLike<string>;
  private readonly startTimes: ArrayLike<number>;
  private readonly durations: ArrayLike<number | null>;
  private readonly params: Map<string, ArrayLike<string | null>>;
  private readonly metrics: Map<string, Record<MetricAggregate, WireColumn>>;
  private readonly rowByRun = new Map<string, number>();
  private readonly keyCache = new Map<string, Float64Array>();
  readonly columns: readonly ColumnDef[];
  private readonly columnById = new Map<string, ColumnDef>();
  private readonly numericParams = new Map<string, boolean>();

  constructor(data: TableColumns, paramKeys: readonly string[], metricKeys: readonly string[]) {
    this.runIds = Array.isArray(data.runIds) ? data.runIds : [];
    this.rowCount = this.runIds.length;
    this.names = data.names ?? [];
    this.statuses = data.statuses ?? [];
    this.startTimes = data.startTimes ?? [];
    this.durations = data.durations ?? [];
    this.paramKeys = paramKeys.filter((k) => typeof k === 'string');
    this.metricKeys = metricKeys.filter((k) => typeof k === 'string');
    this.params = new Map(this.paramKeys.map((k) => [k, data.params?.[k] ?? []]));
    const none: WireColumn = [];
    this.metrics = new Map(
      this.metricKeys.map((k) => {
        const m = data.metrics?.[k];
        return [k, { last: m?.last ?? none, min: m?.min ?? none, max: m?.max ?? none }];
      }),
    );
    this.runIds.forEach((id, i) => this.rowByRun.set(id, i));
    // What people compare first: the name and status, then the metrics, then the params; the
    // times last (they stay one click away in the column picker and the sort).
    const [name, status, start, duration] = FIXED_COLUMNS as [ColumnDef, ColumnDef, ColumnDef, ColumnDef];
    this.columns = [
      name,
      status,
      ...this.metricKeys.map((k): ColumnDef => ({ id: `metrics.${k}`, kind: 'metric', key: k, label: k, numeric: true })),
      ...this.paramKeys.map((k): ColumnDef => ({ id: `params.${k}`, kind: 'param', key: k, label: k, numeric: false })),
      start,
      duration,
    ];
    for (const c of this.columns) this.columnById.set(c.id, c);
  }

  column(id: string): ColumnDef | undefined {
    return this.columnById.get(id);
  }

  rowOf(runId: string): number | undefined {
    return this.rowByRun.get(runId);
  }

  runId(row: number): string {
    return this.runIds[row] ?? '';
  }

  /** Whether the column holds numbers (right-aligned). A param column does when every logged value is numeric. */
  isNumeric(col: ColumnDef): boolean {
    if (col.kind !== 'param') return col.numeric;
    let numeric = this.numericParams.get(col.key);
    if (numeric === undefined) {
      const values = this.params.get(col.key) ?? [];
      let seen = false;
      numeric = true;
      for (let i = 0; i < this.rowCount && numeric; i++) {
        const v = values[i];
        if (typeof v === 'string') {
          seen = true;
          numeric = NUMERIC_TEXT.test(v);
        }
      }
      numeric &&= seen;
      this.numericParams.set(col.key, numeric);
    }
    return numeric;
  }

  private readonly digitCache = new Map<string, number>();

  /** Significant digits of a metric column, from the range of its values (computed once). */
  private digitsOf(key: string, agg: MetricAggregate): number {
    const id = `${key}\u0000${agg}`;
    let d = this.digitCache.get(id);
    if (d === undefined) {
      const col = this.metrics.get(key)?.[agg] ?? [];
      d = digitsFor(Array.from(col, (w) => (w === null ? null : fromWire(w))));
      this.digitCache.set(id, d);
    }
    return d;
  }

  /** The cell's display text; null when the value was not logged. */
  text(col: ColumnDef, agg: MetricAggregate, row: number): string | null {
    switch (col.kind) {
      case 'name':
        // An unnamed run shows the start of its id, as MLflow does.
        return this.names[row] || (this.runIds[row] ?? '').slice(0, 8);
      case 'status':
        return formatStatus(this.statuses[row] ?? '');
      case 'start':
        const t = this.startTimes[row];
        return t ? formatDateTime(t) : null;
      case 'duration': {
        const d = this.durations[row];
        return d === null || d === undefined ? null : formatDuration(d);
      }
      case 'param':
        return this.params.get(col.key)?.[row] ?? null;
      case 'metric': {
        const w = this.metrics.get(col.key)?.[agg][row];
        return w === null || w === undefined ? null : formatNumber(fromWire(w), this.digitsOf(col.key, agg));
      }
    }
  }

  /** Text worth a tooltip beyond what the cell shows (full precision, exact time). */
  tooltip(col: ColumnDef, agg: MetricAggregate, row: number): string | null {
    switch (col.kind) {
      case 'metric': {
        const w = this.metrics.get(col.key)?.[agg][row];
        return w === null || w === undefined ? null : `${agg}: ${formatExact(fromWire(w))}`;
      }
      case 'start': {
        const t = this.startTimes[row];
        return t ? new Date(t).toISOString() : null;
      }
      case 'status':
        return null;
      default:
        return this.text(col, agg, row);
    }
  }

  /** Raw text for copying (full precision). */
  copyText(col: ColumnDef, agg: MetricAggregate, row: number): string {
    if (col.kind === 'metric') {
      const w = this.metrics.get(col.key)?.[agg][row];
      return w === null || w === undefined ? '' : formatExact(fromWire(w));
    }
    if (col.kind === 'start') return this.startTimes[row] ? new Date(this.startTimes[row]!).toISOString() : '';
    return this.text(col, agg, row) ?? '';
  }

  /** Sort keys of a column (ascending order of the keys = ascending order of the column); cached. */
  sortKeys(col: ColumnDef, agg: MetricAggregate): Float64Array {
    const cacheKey = col.kind === 'metric' ? `${col.id}\u0000${agg}` : col.id;
    let keys = this.keyCache.get(cacheKey);
    if (keys) return keys;
    const n = this.rowCount;
    switch (col.kind) {
      case 'name':
        keys = textSortKeys(this.names, n);
        break;
      case 'status':
        keys = textSortKeys(this.statuses, n, formatStatus);
        break;
      case 'start':
        keys = numberKeys(this.startTimes, n);
        break;
      case 'duration':
        keys = numberKeys(this.durations, n);
        break;
      case 'param':
        keys = textSortKeys(this.params.get(col.key) ?? [], n);
        break;
      case 'metric':
        keys = numberKeys(this.metrics.get(col.key)?.[agg] ?? [], n);
        break;
    }
    this.keyCache.set(cacheKey, keys);
    return keys;
  }
}
