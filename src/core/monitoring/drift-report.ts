import { profileDrift, type DatasetDrift, type DriftSettings } from './feature-drift.ts';
import type { DataFingerprint, DataProfile } from './profile-types.ts';

/** What `loopline drift --json` prints (and `loopline monitor` will extend with prediction, accuracy, requests). */
export interface DriftReport extends DatasetDrift {
  reference: DataFingerprint;
  current: DataFingerprint;
}

export function datasetDriftReport(reference: DataProfile, current: DataProfile, settings: Partial<DriftSettings> = {}): DriftReport {
  return { reference: reference.source, current: current.source, ...profileDrift(reference, current, settings) };
}
