import { invalid } from '../errors.ts';
import type { ProjectConfig } from '../project/project-config.ts';

/**
 * The drift-history and retrain part of loopline.yaml `monitoring:`:
 *
 *   monitoring:
 *     window_requests: 500   # captured requests per history window
 *     window_step: 250       # a new window every this many requests (windows overlap by the rest)
 *     retrain: on-drift      # or off (the default): retrain by itself when drift persists
 *     retrain_after: 3       # ...for this many alerting windows in a row
 */
export interface HistorySettings {
  windowRequests: number;
  windowStep: number;
  retrain: 'off' | 'on-drift';
  retrainAfter: number;
}

export const DEFAULT_HISTORY_SETTINGS: HistorySettings = { windowRequests: 500, windowStep: 250, retrain: 'off', retrainAfter: 3 };

export function historySettings(project: ProjectConfig): HistorySettings {
  const raw = project.raw.monitoring as Record<string, unknown> | undefined;
  const s = { ...DEFAULT_HISTORY_SETTINGS };
  if (!raw || typeof raw !== 'object') return s;
  const file = project.file ?? 'loopline.yaml';
  const whole = (key: string, min: number): number | undefined => {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw invalid(`${file}: monitoring.${key} must be a whole number of at least ${min} (got ${JSON.stringify(v)}).`);
    return v;
  };
  s.windowRequests = whole('window_requests', 1) ?? s.windowRequests;
  s.windowStep = whole('window_step', 1) ?? Math.max(1, Math.floor(s.windowRequests / 2));
  if (s.windowStep > s.windowRequests) throw invalid(`${file}: monitoring.window_step (${s.windowStep}) must not exceed window_requests (${s.windowRequests}), or requests would fall between windows.`);
  s.retrainAfter = whole('retrain_after', 1) ?? s.retrainAfter;
  const r = raw.retrain;
  if (r !== undefined && r !== null) {
    if (r === false || r === 'off') s.retrain = 'off';
    else if (r === 'on-drift') s.retrain = 'on-drift';
    else throw invalid(`${file}: monitoring.retrain must be on-drift or off (got ${JSON.stringify(r)}).`);
  }
  return s;
}
