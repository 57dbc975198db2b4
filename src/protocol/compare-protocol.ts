/**
 * Messages of the comparison webviews (the Compare panel and the docked "Loopline Compare" view).
 * The webview says `ready`; the extension sends `init` as the panel opens (VS Code delivers it as
 * the page loads), or in answer to `ready`. Charts ask for series with their pixel width so the
 * extension downsamples before sending.
 */
import { chartBuckets, isFiniteNumber, isObject, isRunId, isString, isXAxisMode, parseSeriesRequest, type RunMsg, type SeriesMsg, type SeriesRequestMsg, type StepRange, type XAxisMode } from './common.ts';

/**
 * Sent with `ready`: what the panel's first chart will ask for, so that the extension can start
 * reading it before the page has even had `init` (its request then finds the answer on its way).
 */
export interface FirstChartHint {
  xAxis: XAxisMode;
  /** The plot width (px) of each chart when the panel's grid holds 1, 2, … charts (its columns follow their number); the last holds for more. */
  widths: number[];
  /** Metrics with a saved zoom: their first request is for a step range, not the whole series. */
  zoomed: string[];
}

/** The buckets the first of `charts` charts will ask for, or undefined when the hint cannot tell. */
export function firstChartBuckets(hint: FirstChartHint, charts: number): number | undefined {
  const w = hint.widths[Math.min(charts, hint.widths.length) - 1];
  return charts > 0 && w !== undefined && w > 0 ? chartBuckets(w) : undefined;
}

/** A FirstChartHint from the page (or from what the extension kept of one), or undefined when it is not one. */
export function parseFirstChartHint(v: unknown): FirstChartHint | undefined {
  if (!isObject(v) || !isXAxisMode(v.xAxis) || !Array.isArray(v.widths) || !Array.isArray(v.zoomed)) return undefined;
  if (v.widths.length === 0 || v.widths.length > 16 || !v.widths.every((w) => isFiniteNumber(w) && w >= 0 && w < 100_000)) return undefined;
  if (v.zoomed.length > 1000 || !v.zoomed.every(isString)) return undefined;
  return { xAxis: v.xAxis, widths: v.widths as number[], zoomed: v.zoomed as string[] };
}

export interface CompareInit {
  type: 'init';
  /** 'panel': full comparison; 'inline': compact, follows the tree selection. */
  mode: 'panel' | 'inline';
  runs: RunMsg[];
  metricKeys: string[];
  paramKeys: string[];
  /** Params that vary across the runs (drive the sweep view); empty hides it. */
  sweepParams: string[];
  /** Some runs are still running: `append` messages will follow. */
  live: boolean;
  /**
   * The first chart's series, read before the page was ready (at the width the panel's charts had
   * last time): its chart draws it without asking, when it would ask for the same axis and width.
   */
  firstSeries?: FirstSeries;
  /** Numbers the session's inits: `initCheck` names the one the page should have. */
  initId?: number;
}

/** A chart's whole (unzoomed) series for one x axis and width, sent with `init`. */
export interface FirstSeries {
  key: string;
  xAxis: XAxisMode;
  buckets: number;
  series: SeriesMsg[];
}

export type HostToCompare =
  | CompareInit
  | { type: 'series'; requestId: number; key: string; xAxis: XAxisMode; range: StepRange | null; series: SeriesMsg[] }
  /** New points of running runs since the last message (full resolution tail). */
  | { type: 'append'; key: string; series: SeriesMsg[] }
  /** Summaries/statuses changed (e.g. a run finished). */
  | { type: 'runs'; runs: RunMsg[]; live: boolean }
  /**
   * The answer to `ready` when `init` was posted before the page had loaded (VS Code delivers such
   * messages as it loads): a page without that init (it reloaded meanwhile) says `ready` again.
   */
  | { type: 'initCheck'; initId: number; page?: string }
  | { type: 'error'; message: string };

export type CompareToHost =
  /** `page`: this page's own id, echoed by `initCheck` (a check meant for a page that has since reloaded is ignored). */
  | { type: 'ready'; firstChart?: FirstChartHint; page?: string }
  | SeriesRequestMsg
  /** Save a CSV the webview built (the tables it shows). */
  | { type: 'saveCsv'; fileName: string; csv: string }
  /** Export every point of these metrics at full resolution (built by the extension). */
  | { type: 'exportData'; keys: string[] }
  | { type: 'savePng'; fileName: string; dataUrl: string }
  | { type: 'openRun'; runId: string }
  | { type: 'showCodeDiff'; runId: string };

const MAX_CSV = 50 * 1024 * 1024;

/** Validates a message from the webview; undefined for anything malformed. */
export function parseCompareToHost(m: unknown): CompareToHost | undefined {
  if (!isObject(m)) return undefined;
  switch (m.type) {
    case 'ready': {
      // A hint that does not parse is left out: the page still gets its init.
      const firstChart = parseFirstChartHint(m.firstChart);
      const page = isString(m.page) && m.page.length <= 64 ? m.page : undefined;
      return { type: 'ready', ...(firstChart ? { firstChart } : {}), ...(page ? { page } : {}) };
    }
    case 'requestSeries':
      return parseSeriesRequest(m);
    case 'saveCsv':
      if (!isString(m.fileName) || !isString(m.csv) || m.csv.length > MAX_CSV) return undefined;
      return { type: 'saveCsv', fileName: m.fileName, csv: m.csv };
    case 'exportData':
      if (!Array.isArray(m.keys) || !m.keys.every(isString) || m.keys.length > 500) return undefined;
      return { type: 'exportData', keys: m.keys };
    case 'savePng':
      if (!isString(m.fileName) || !isString(m.dataUrl) || !m.dataUrl.startsWith('data:image/png;base64,')) return undefined;
      return { type: 'savePng', fileName: m.fileName, dataUrl: m.dataUrl };
    case 'openRun':
    case 'showCodeDiff':
      return isRunId(m.runId) ? { type: m.type, runId: m.runId } : undefined;
    default:
      return undefined;
  }
}

