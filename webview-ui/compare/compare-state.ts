import { isRecord, parseChartViewPrefs, type ChartViewPrefs } from '../shared/chart-view-state.ts';

/**
 * What the Compare webview keeps across hide/show and reload (vscode.setState): the view options
 * the user chose, per-chart zoom and the sweep selections. Parsed defensively: an older or damaged
 * state falls back to defaults field by field.
 */
export interface CompareViewState extends ChartViewPrefs {
  hiddenRuns: string[];
  baselineRunId: string | null;
  hideEqualParams: boolean;
  sweepMetric: string | null;
  scatterParam: string | null;
  scatterMetric: string | null;
  /** The runs the zoom belongs to (a different selection starts unzoomed). */
  runIds: string[];
}

const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function parseCompareState(raw: unknown): CompareViewState {
  const r = isRecord(raw) ? raw : {};
  return {
    ...parseChartViewPrefs(r),
    hiddenRuns: strings(r.hiddenRuns),
    baselineRunId: strOrNull(r.baselineRunId),
    hideEqualParams: r.hideEqualParams === true,
    sweepMetric: strOrNull(r.sweepMetric),
    scatterParam: strOrNull(r.scatterParam),
    scatterMetric: strOrNull(r.scatterMetric),
    runIds: strings(r.runIds),
  };
}
