/**
 * Shapes shared by the webview protocols. Imported by both sides (extension and webview-ui), so
 * nothing here may import `vscode` or touch the DOM. Numbers cross postMessage as JSON: NaN and
 * ±Infinity would become null, so summaries carry them as the strings MLflow uses.
 */
import type { RunStatus } from '../shared/run-status.ts';
import type { WireNumber } from '../shared/wire-number.ts';

/** The store's statuses (one vocabulary: src/shared/run-status.ts). */
export type RunStatusMsg = RunStatus;
export { fromWire, toWire, type WireNumber } from '../shared/wire-number.ts';

export interface MetricSummaryMsg {
  key: string;
  last: WireNumber;
  lastStep: number;
  min: WireNumber | null;
  minStep: number | null;
  max: WireNumber | null;
  maxStep: number | null;
  count: number;
}

export interface RunMsg {
  id: string;
  name: string;
  experimentId: string;
  status: RunStatusMsg;
  startTime: number;
  endTime: number | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: MetricSummaryMsg[];
  /** Stable colour slot: the same run has the same colour in every chart. */
  colorIndex: number;
}

/**
 * One series as a chart needs it: columns as Float64Array, which postMessage transfers as binary
 * (no JSON numbers to print and parse); NaN in `values` marks a gap (a NaN or infinite value).
 * Receivers also accept plain arrays (null for a gap), e.g. from an older extension.
 */
export interface SeriesMsg {
  runId: string;
  key: string;
  steps: Float64Array;
  times: Float64Array;
  values: Float64Array;
  downsampled: boolean;
  /** Points in the store for the requested range, before downsampling. */
  sourcePoints: number;
  minStep: number;
  maxStep: number;
}

export type XAxisMode = 'step' | 'relative' | 'wall';

export interface StepRange {
  minStep: number;
  maxStep: number;
}

// ---- boundary validation helpers (messages from a webview are untrusted input) -------------

export type Guard<T> = (v: unknown) => v is T;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isString = (v: unknown): v is string => typeof v === 'string';
export const isRunId = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v);
export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

export function isStepRange(v: unknown): v is StepRange {
  return isObject(v) && isInt(v.minStep) && isInt(v.maxStep) && (v.minStep as number) <= (v.maxStep as number);
}

export function isXAxisMode(v: unknown): v is XAxisMode {
  return v === 'step' || v === 'relative' || v === 'wall';
}

export function isRunIdList(v: unknown, max = 1000): v is string[] {
  return Array.isArray(v) && v.length <= max && v.every(isRunId);
}

/** Buckets a chart asks for at this plot width: one per 2 px (<= 2 points per pixel after M4). */
export function chartBuckets(widthPx: number): number {
  return Math.max(1, Math.min(10_000, Math.floor(widthPx / 2)));
}

/** A chart's request for one metric's series, at its width, optionally for a zoomed step range. */
export interface SeriesRequestMsg {
  type: 'requestSeries';
  requestId: number;
  key: string;
  xAxis: XAxisMode;
  buckets: number;
  range: StepRange | null;
}

export function parseSeriesRequest(m: Record<string, unknown>): SeriesRequestMsg | undefined {
  if (!isInt(m.requestId) || !isString(m.key) || !isXAxisMode(m.xAxis) || !isFiniteNumber(m.buckets) || m.buckets < 1 || m.buckets > 10_000) return undefined;
  if (m.range !== null && !isStepRange(m.range)) return undefined;
  return { type: 'requestSeries', requestId: m.requestId, key: m.key, xAxis: m.xAxis, buckets: Math.floor(m.buckets), range: m.range };
}
