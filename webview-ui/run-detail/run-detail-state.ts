import { isRecord, parseChartViewPrefs, type ChartViewPrefs } from '../shared/chart-view-state.ts';

/** What the Run Detail webview keeps across hide/show and reload: chart options and zoom of one run. */
export interface RunDetailState extends ChartViewPrefs {
  runId: string | null;
}

export function parseRunDetailState(raw: unknown): RunDetailState {
  const r = isRecord(raw) ? raw : {};
  return { ...parseChartViewPrefs(r), runId: typeof r.runId === 'string' ? r.runId : null };
}
