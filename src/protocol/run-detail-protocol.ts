/**
 * Messages of the Run Detail panel: summary, params, tags, every metric's chart, artifacts, the
 * tail of the run's log (live while running) and git info.
 */
import { isInt, isObject, isRunId, isString, isXAxisMode, isStepRange, isFiniteNumber, type RunMsg, type SeriesMsg, type StepRange, type XAxisMode } from './common.ts';

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
  | { type: 'requestSeries'; requestId: number; key: string; xAxis: XAxisMode; buckets: number; range: StepRange | null }
  | { type: 'openArtifact'; path: string }
  | { type: 'showCodeDiff' };

export function parseDetailToHost(m: unknown): DetailToHost | undefined {
  if (!isObject(m)) return undefined;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'requestSeries':
      if (!isInt(m.requestId) || !isString(m.key) || !isXAxisMode(m.xAxis) || !isFiniteNumber(m.buckets) || m.buckets < 1 || m.buckets > 10_000) return undefined;
      if (m.range !== null && !isStepRange(m.range)) return undefined;
      return { type: 'requestSeries', requestId: m.requestId, key: m.key, xAxis: m.xAxis, buckets: Math.floor(m.buckets), range: m.range };
    case 'openArtifact':
      return isString(m.path) && m.path.length < 4096 ? { type: 'openArtifact', path: m.path } : undefined;
    case 'showCodeDiff':
      return { type: 'showCodeDiff' };
    default:
      return undefined;
  }
}

