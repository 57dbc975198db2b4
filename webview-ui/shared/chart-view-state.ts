import { isStepRange, isXAxisMode, type XAxisMode } from '../../src/protocol/common.ts';
import type { ZoomWindow } from './metric-chart.ts';

/** The chart options both apps keep in vscode state, parsed field by field (bad → default). */
export interface ChartViewPrefs {
  xAxis: XAxisMode;
  logY: boolean;
  smoothing: number;
  /** Zoom per metric key. */
  zoom: Record<string, ZoomWindow>;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function parseZoomWindow(v: unknown): ZoomWindow | undefined {
  if (!isRecord(v) || !isXAxisMode(v.xAxis) || !isStepRange(v.range)) return undefined;
  return { xAxis: v.xAxis, xMin: numOrNull(v.xMin), xMax: numOrNull(v.xMax), range: v.range };
}

export function parseChartViewPrefs(raw: unknown): ChartViewPrefs {
  const p: ChartViewPrefs = { xAxis: 'step', logY: false, smoothing: 0, zoom: {} };
  if (!isRecord(raw)) return p;
  if (isXAxisMode(raw.xAxis)) p.xAxis = raw.xAxis;
  if (typeof raw.logY === 'boolean') p.logY = raw.logY;
  if (typeof raw.smoothing === 'number' && raw.smoothing >= 0 && raw.smoothing <= 0.99) p.smoothing = raw.smoothing;
  if (isRecord(raw.zoom)) {
    for (const [key, z] of Object.entries(raw.zoom)) {
      const parsed = parseZoomWindow(z);
      if (parsed) p.zoom[key] = parsed;
    }
  }
  return p;
}
