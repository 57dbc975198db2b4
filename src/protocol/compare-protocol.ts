/**
 * Messages of the comparison webviews (the Compare panel and the docked "Loopline Compare" view).
 * The webview says `ready` first; the extension then sends `init`. Charts ask for series with
 * their pixel width so the extension downsamples before sending.
 */
import { isObject, isRunId, isString, parseSeriesRequest, type RunMsg, type SeriesMsg, type SeriesRequestMsg, type StepRange, type XAxisMode } from './common.ts';

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
}

export type HostToCompare =
  | CompareInit
  | { type: 'series'; requestId: number; key: string; xAxis: XAxisMode; range: StepRange | null; series: SeriesMsg[] }
  /** New points of running runs since the last message (full resolution tail). */
  | { type: 'append'; key: string; series: SeriesMsg[] }
  /** Summaries/statuses changed (e.g. a run finished). */
  | { type: 'runs'; runs: RunMsg[]; live: boolean }
  | { type: 'error'; message: string };

export type CompareToHost =
  | { type: 'ready' }
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
    case 'ready':
      return { type: 'ready' };
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

