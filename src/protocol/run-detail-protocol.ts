/**
 * Messages of the Run Detail panel: summary, params, tags, every metric's chart, artifacts, the
 * tail of the run's log (live while running) and git info.
 */
import { isObject, isString, parseSeriesRequest, type RunMsg, type SeriesMsg, type SeriesRequestMsg, type StepRange, type XAxisMode } from './common.ts';

export interface RunDetailMsg extends RunMsg {
  command: string | null;
  exitCode: number | null;
  backend: string | null;
  git: { isRepo: boolean; commit: string | null; branch: string | null; dirty: boolean; patchTruncated: boolean } | null;
  artifacts: Array<{ path: string; size: number | null }>;
}

export type HostToDetail =
  | { type: 'init'; run: RunDetailMsg; logTail: string; logTruncated: boolean }
  | { type: 'update'; run: RunDetailMsg; logAppend: string }
  | { type: 'series'; requestId: number; key: string; xAxis: XAxisMode; range: StepRange | null; series: SeriesMsg[] }
  | { type: 'error'; message: string };

export type DetailToHost =
  | { type: 'ready' }
  | SeriesRequestMsg
  | { type: 'openArtifact'; path: string }
  | { type: 'showCodeDiff' };

export function parseDetailToHost(m: unknown): DetailToHost | undefined {
  if (!isObject(m)) return undefined;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'requestSeries':
      return parseSeriesRequest(m);
    case 'openArtifact':
      return isString(m.path) && m.path.length < 4096 ? { type: 'openArtifact', path: m.path } : undefined;
    case 'showCodeDiff':
      return { type: 'showCodeDiff' };
    default:
      return undefined;
  }
}

