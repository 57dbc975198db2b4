/**
 * Messages of the Data Profile webview: one file's profile, or two files compared with each
 * column's drift. Profiles travel without their drift samples (the webview never needs them).
 */
import type { DatasetDrift } from '../core/monitoring/feature-drift.ts';
import type { ColumnProfile, DataProfile } from '../core/monitoring/profile-types.ts';
import { isObject } from './common.ts';

export type ColumnProfileMsg = Omit<ColumnProfile, 'sample'>;
export type DataProfileMsg = Omit<DataProfile, 'columns'> & { columns: ColumnProfileMsg[] };

export function toProfileMsg(p: DataProfile): DataProfileMsg {
  return { ...p, columns: p.columns.map(({ sample: _sample, ...rest }) => rest) };
}

export type HostToProfile =
  /** Reading `file` (one of the files of this panel); fraction of its bytes read. */
  | { type: 'progress'; file: string; fraction: number; rows: number }
  | { type: 'profile'; profile: DataProfileMsg }
  | { type: 'comparison'; reference: DataProfileMsg; current: DataProfileMsg; drift: DatasetDrift }
  | { type: 'cancelled'; file: string }
  | { type: 'error'; message: string };

export type ProfileToHost =
  | { type: 'ready' }
  /** Stop the profiling that is running. */
  | { type: 'cancel' }
  /** Pick a second file and compare this one (the reference) with it. */
  | { type: 'compareWith' }
  /** Back to the single profile of the reference. */
  | { type: 'closeComparison' };

export function parseProfileToHost(m: unknown): ProfileToHost | undefined {
  if (!isObject(m)) return undefined;
  switch (m.type) {
    case 'ready':
    case 'cancel':
    case 'compareWith':
    case 'closeComparison':
      return { type: m.type };
    default:
      return undefined;
  }
}
