/**
 * The `monitoring:` section of loopline.yaml: drift thresholds (Evidently's defaults when absent).
 *
 *   monitoring:
 *     stat_test_threshold: 0.05   # p-value below which KS / chi-squared / z-test report drift
 *     distance_threshold: 0.1     # Wasserstein / Jensen–Shannon at or above which a feature drifts
 *     small_reference: 1000       # references up to this many values get statistical tests
 *     drift_share: 0.5            # share of drifted features for the dataset to drift
 *     psi: {moderate: 0.1, major: 0.25}
 *     min_sample: 100             # fewest values any result rests on
 *
 * Keys the deployment monitoring will read (window, capture, retrain, ...) are accepted here and
 * left to it; anything else is refused, so a typo is not silently ignored.
 */
import { invalid } from '../errors.ts';
import type { ProjectConfig } from '../project/project-config.ts';
import { DEFAULT_DRIFT_SETTINGS, type DriftSettings } from './feature-drift.ts';

const LATER_KEYS = new Set(['window', 'last', 'window_requests', 'window_step', 'capture', 'sampling', 'ring', 'retrain', 'retrain_after', 'notify']);

type NumberKey = 'stat_test_threshold' | 'distance_threshold' | 'small_reference' | 'drift_share' | 'min_sample';
const NUMBER_KEYS: Record<NumberKey, { field: keyof DriftSettings; min: number; max: number; integer?: boolean }> = {
  stat_test_threshold: { field: 'statTestThreshold', min: 0, max: 1 },
  distance_threshold: { field: 'distanceThreshold', min: 0, max: 1 },
  small_reference: { field: 'smallReferenceMax', min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  drift_share: { field: 'driftShare', min: 0, max: 1 },
  min_sample: { field: 'minSampleSize', min: 1, max: Number.MAX_SAFE_INTEGER, integer: true },
};

function numberIn(file: string, key: string, v: unknown, min: number, max: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw invalid(`${file}: monitoring.${key} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any size' : max} (got ${JSON.stringify(v)}).`);
  }
  return v;
}

export function monitoringSettings(project: ProjectConfig): DriftSettings {
  const s: DriftSettings = { ...DEFAULT_DRIFT_SETTINGS };
  const raw = project.raw.monitoring;
  if (raw === undefined || raw === null) return s;
  const file = project.file ?? 'loopline.yaml';
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalid(`${file}: monitoring: must be a mapping such as {stat_test_threshold: 0.05, distance_threshold: 0.1}.`);
  for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
    if (key in NUMBER_KEYS) {
      const spec = NUMBER_KEYS[key as NumberKey];
      (s[spec.field] as number) = numberIn(file, key, v, spec.min, spec.max, spec.integer);
    } else if (key === 'psi') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`${file}: monitoring.psi must be a mapping such as {moderate: 0.1, major: 0.25}.`);
      const psi = v as Record<string, unknown>;
      for (const k of Object.keys(psi)) if (k !== 'moderate' && k !== 'major') throw invalid(`${file}: monitoring.psi.${k} is not a setting (moderate, major).`);
      if (psi.moderate !== undefined) s.psiModerate = numberIn(file, 'psi.moderate', psi.moderate, 0, 100);
      if (psi.major !== undefined) s.psiMajor = numberIn(file, 'psi.major', psi.major, 0, 100);
      if (s.psiMajor < s.psiModerate) throw invalid(`${file}: monitoring.psi.major (${s.psiMajor}) must not be below psi.moderate (${s.psiModerate}).`);
    } else if (!LATER_KEYS.has(key)) {
      throw invalid(`${file}: monitoring.${key} is not a setting. Known: ${[...Object.keys(NUMBER_KEYS), 'psi', ...LATER_KEYS].join(', ')}.`);
    }
  }
  return s;
}
