/**
 * Messages of the Monitoring webview: a deployment's drift history (per-feature results of each
 * window, prediction drift, live accuracy), its drift episode, and the reference vs the newest
 * window's distribution of every feature.
 */
import type { DriftEpisode, DriftWindow } from '../core/capture/drift-history.ts';
import type { HistorySettings } from '../core/capture/history-settings.ts';
import type { ColumnProfileMsg } from './data-profile-protocol.ts';
import { isObject } from './common.ts';

export interface MonitoringView {
  deployment: string;
  model: string;
  liveVersion: number | null;
  settings: HistorySettings;
  windows: DriftWindow[];
  episode: DriftEpisode | null;
  /** The reference profile's columns and the newest window's, for side-by-side distributions. */
  reference: { name: string; columns: ColumnProfileMsg[] };
  current: { name: string; columns: ColumnProfileMsg[] } | null;
}

export type HostToMonitoring = { type: 'view'; view: MonitoringView } | { type: 'error'; message: string };

export type MonitoringToHost =
  | { type: 'ready' }
  /** Ingest what was captured since and recompute. */
  | { type: 'refresh' }
  /** Start `loopline retrain` for this deployment. */
  | { type: 'retrain' };

export function parseMonitoringToHost(m: unknown): MonitoringToHost | undefined {
  if (!isObject(m)) return undefined;
  switch (m.type) {
    case 'ready':
    case 'refresh':
    case 'retrain':
      return { type: m.type };
    default:
      return undefined;
  }
}
