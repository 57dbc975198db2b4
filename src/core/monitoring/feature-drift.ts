/**
 * Per-feature and dataset drift with Evidently's defaults: a reference of at most 1,000 values
 * gets a statistical test (KS for numeric, chi-squared for categorical, a proportion z-test for
 * binary; drift when p < 0.05; the chi-squared test is the two-sample form, see drift-tests.ts), a larger one a distance (normalised Wasserstein for numeric,
 * Jensen–Shannon for categorical; drift when >= 0.1). Numeric columns with at most 5 distinct
 * values are tested as categorical, as there. PSI is reported beside every result.
 *
 * Beyond Evidently: a result only alarms when its sample is big enough for the test to mean
 * something; otherwise its status is "insufficient-data" with how many more rows it needs.
 * The minimum sizes come from measured false-alarm rates on undrifted data (see README "Drift").
 */
import {
  categoryShares,
  chiSquaredTest,
  jensenShannonDistance,
  ksTwoSample,
  normalizedWasserstein,
  numericShares,
  populationStabilityIndex,
  proportionZTest,
  type Counts,
  type NumberArray,
} from './drift-tests.ts';
import type { ColumnProfile, ColumnType, DataProfile } from './profile-types.ts';

export interface DriftSettings {
  /** p-value below which a statistical test reports drift. */
  statTestThreshold: number;
  /** Distance at or above which Wasserstein / Jensen–Shannon report drift. */
  distanceThreshold: number;
  /** References with at most this many values get statistical tests, larger ones distances. */
  smallReferenceMax: number;
  /** Share of tested features that must drift for the dataset to count as drifted. */
  driftShare: number;
  psiModerate: number;
  psiMajor: number;
  /** Fewest values (current and reference) any result rests on. */
  minSampleSize: number;
}

export const DEFAULT_DRIFT_SETTINGS: DriftSettings = {
  statTestThreshold: 0.05,
  distanceThreshold: 0.1,
  smallReferenceMax: 1000,
  driftShare: 0.5,
  psiModerate: 0.1,
  psiMajor: 0.25,
  minSampleSize: 100,
};

export type DriftTestName = 'ks' | 'chi-squared' | 'z-test' | 'wasserstein' | 'jensen-shannon';
export type FeatureStatus = 'ok' | 'drift' | 'insufficient-data';

export interface FeatureDrift {
  name: string;
  type: ColumnType;
  test: DriftTestName;
  statistic: number | null;
  pValue?: number | null;
  distance?: number | null;
  threshold: number;
  /** Non-missing values in the current data. */
  sampleSize: number;
  referenceSize: number;
  drifted: boolean;
  status: FeatureStatus;
  /** With "insufficient-data": how many more current values the test needs. */
  neededMore?: number;
  psi: { value: number | null; level: 'none' | 'moderate' | 'major' | null };
  note?: string;
}

export interface DatasetDrift {
  drifted: boolean;
  status: 'ok' | 'drift' | 'insufficient-data';
  /** Drifted share of the features that could be tested. */
  share: number;
  shareThreshold: number;
  driftedCount: number;
  testedCount: number;
  features: FeatureDrift[];
  skipped: Array<{ name: string; reason: string }>;
}

/** One column as the drift tests need it: its values (or a uniform sample of them) and counts. */
export interface DriftColumn {
  name: string;
  type: ColumnType;
  /** Non-missing values in the whole data. */
  count: number;
  /** Distinct non-missing values (for the "numeric with ≤ 5 values is categorical" rule). */
  distinct: number;
  /** Numeric: the values, or a uniform sample of them. */
  values?: NumberArray;
  /** Category counts (top categories, the rest under OTHER). */
  categories?: Counts;
}

/** Categories outside a profile's top list are pooled under this key. */
export const OTHER = '\u0000other';

export function driftColumnFromProfile(c: ColumnProfile): DriftColumn {
  const out: DriftColumn = { name: c.name, type: c.type, count: c.count, distinct: c.distinct };
  if (c.type === 'numeric') out.values = c.sample.filter((v): v is number => typeof v === 'number');
  if (c.top) {
    const counts: Counts = new Map(c.top.map((t) => [t.value, t.count]));
    if ((c.otherCount ?? 0) > 0) counts.set(OTHER, c.otherCount!);
    out.categories = counts;
  }
  return out;
}

export function numericColumn(name: string, values: NumberArray): DriftColumn {
  const counts: Counts = new Map();
  for (let i = 0; i < values.length && counts.size <= 5; i++) {
    const k = String(values[i]);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const few = counts.size <= 5;
  if (few) {
    counts.clear();
    for (let i = 0; i < values.length; i++) counts.set(String(values[i]), (counts.get(String(values[i])) ?? 0) + 1);
  }
  return { name, type: 'numeric', count: values.length, distinct: counts.size, values, ...(few ? { categories: counts } : {}) };
}

export function categoricalColumn(name: string, values: string[]): DriftColumn {
  const counts: Counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const binary = counts.size <= 2 && [...counts.keys()].every((k) => k === 'true' || k === 'false');
  return { name, type: binary ? 'boolean' : 'categorical', count: values.length, distinct: counts.size, categories: counts };
}

/** Current counts re-keyed onto the reference's categories: what the reference pooled as "other" is pooled here too. */
function alignCategories(reference: Counts, current: Counts): Counts {
  const refHasOther = reference.has(OTHER);
  const out: Counts = new Map();
  for (const [k, v] of current) {
    const key = reference.has(k) ? k : refHasOther ? OTHER : k;
    out.set(key, (out.get(key) ?? 0) + v);
  }
  return out;
}

function psiLevel(psi: number | null, s: DriftSettings): FeatureDrift['psi']['level'] {
  if (psi === null || !Number.isFinite(psi)) return null;
  return psi >= s.psiMajor ? 'major' : psi >= s.psiModerate ? 'moderate' : 'none';
}

/**
 * Values the test needs before its answer means something (see README "Drift"): the base minimum;
 * chi-squared: an expected count of 5 in every reference category holding >= 1% of it; z-test: 10
 * expected in each of the two outcomes; Jensen–Shannon: 50 per degree of freedom, which keeps the
 * sampling noise of the distance under half the 0.1 threshold.
 */
function neededSample(test: DriftTestName, reference: DriftColumn, s: DriftSettings): number {
  let need = s.minSampleSize;
  const cats = reference.categories;
  if (cats && (test === 'chi-squared' || test === 'z-test' || test === 'jensen-shannon')) {
    let total = 0;
    for (const v of cats.values()) total += v;
    const shares = [...cats.values()].map((v) => v / total).filter((p) => p >= 0.01);
    if (test === 'chi-squared' && shares.length) need = Math.max(need, Math.ceil(5 / Math.min(...shares)));
    if (test === 'z-test' && shares.length === 2) need = Math.max(need, Math.ceil(10 / Math.min(...shares)));
    if (test === 'jensen-shannon') need = Math.max(need, 50 * Math.max(1, Math.min(cats.size, 20) - 1));
  }
  // Measured: on undrifted normal data the normalised Wasserstein distance of 100 values against a
  // large reference crosses 0.1 in 70% of windows, of 300 in 14%, of 1,000 in under 1%.
  if (test === 'wasserstein') need = Math.max(need, 1000);
  return need;
}

function categoryUnion(a: DriftColumn, b: DriftColumn): number {
  if (!a.categories || !b.categories) return Math.max(a.distinct, b.distinct);
  return new Set([...a.categories.keys(), ...b.categories.keys()]).size;
}

/** Picks the test as Evidently does and runs it. */
export function featureDrift(reference: DriftColumn, current: DriftColumn, settings: Partial<DriftSettings> = {}): FeatureDrift {
  const s = { ...DEFAULT_DRIFT_SETTINGS, ...settings };
  const small = reference.count <= s.smallReferenceMax;
  const numeric = reference.type === 'numeric' && current.type === 'numeric';
  const fewValues = !numeric || (reference.distinct <= 5 && current.distinct <= 5 ? categoryUnion(reference, current) <= 5 : false);
  let test: DriftTestName;
  if (numeric && !fewValues) test = small ? 'ks' : 'wasserstein';
  else if (small) test = !numeric && categoryUnion(reference, current) <= 2 ? 'z-test' : 'chi-squared';
  else test = 'jensen-shannon';
  const stat = test === 'ks' || test === 'chi-squared' || test === 'z-test';
  const threshold = stat ? s.statTestThreshold : s.distanceThreshold;
  const result: FeatureDrift = {
    name: current.name,
    type: reference.type,
    test,
    statistic: null,
    ...(stat ? { pValue: null } : { distance: null }),
    threshold,
    sampleSize: current.count,
    referenceSize: reference.count,
    drifted: false,
    status: 'insufficient-data',
    psi: { value: null, level: null },
  };
  const categorical = test !== 'ks' && test !== 'wasserstein';
  const refCounts = categorical ? (reference.categories ?? new Map()) : undefined;
  const curCounts = categorical ? alignCategories(refCounts!, current.categories ?? new Map()) : undefined;
  if (categorical && (!reference.categories || !current.categories)) {
    result.note = 'category counts missing from the profile';
    return result;
  }
  const need = neededSample(test, reference, s);
  if (reference.count < s.minSampleSize) {
    result.note = `the reference has only ${reference.count} values (needs ${s.minSampleSize})`;
    return result;
  }
  if (current.count < need) {
    result.neededMore = need - current.count;
    result.note = `${current.count} of the ${need} values this test needs`;
    return result;
  }
  let value: number;
  if (test === 'ks' || test === 'wasserstein') {
    const ref = reference.values ?? [];
    const cur = current.values ?? [];
    if (test === 'ks') {
      const r = ksTwoSample(ref, cur);
      result.statistic = r.statistic;
      result.pValue = r.pValue;
      value = r.pValue;
    } else {
      value = normalizedWasserstein(ref, cur);
      result.statistic = value;
      result.distance = value;
    }
    result.psi.value = populationStabilityIndex(numericShares(ref, cur));
  } else {
    if (test === 'chi-squared') {
      const r = chiSquaredTest(refCounts!, curCounts!);
      result.statistic = r.statistic;
      result.pValue = r.pValue;
      value = r.pValue;
    } else if (test === 'z-test') {
      const positive = [...refCounts!.keys()].sort()[0] ?? '';
      const r = proportionZTest(refCounts!, curCounts!, positive);
      result.statistic = r.statistic;
      result.pValue = r.pValue;
      value = r.pValue;
    } else {
      const shares = categoryShares(refCounts!, curCounts!);
      value = jensenShannonDistance(shares.reference, shares.current);
      result.statistic = value;
      result.distance = value;
    }
    result.psi.value = populationStabilityIndex(categoryShares(refCounts!, curCounts!));
  }
  result.psi.level = psiLevel(result.psi.value, s);
  result.drifted = stat ? value < threshold : value >= threshold;
  result.status = result.drifted ? 'drift' : 'ok';
  return result;
}

/** Drift of every feature the reference knows (text columns skipped), and the dataset verdict. */
export function datasetDrift(reference: DriftColumn[], current: DriftColumn[], settings: Partial<DriftSettings> = {}): DatasetDrift {
  const s = { ...DEFAULT_DRIFT_SETTINGS, ...settings };
  const byName = new Map(current.map((c) => [c.name, c]));
  const features: FeatureDrift[] = [];
  const skipped: DatasetDrift['skipped'] = [];
  for (const ref of reference) {
    const cur = byName.get(ref.name);
    if (!cur) skipped.push({ name: ref.name, reason: 'not in the current data' });
    else if (ref.type === 'text') skipped.push({ name: ref.name, reason: 'free text (no distribution test)' });
    else if ((ref.type === 'numeric') !== (cur.type === 'numeric')) skipped.push({ name: ref.name, reason: `type changed from ${ref.type} to ${cur.type}` });
    else features.push(featureDrift(ref, cur, s));
  }
  const tested = features.filter((f) => f.status !== 'insufficient-data');
  const driftedCount = tested.filter((f) => f.drifted).length;
  const shareValue = tested.length ? driftedCount / tested.length : 0;
  const drifted = tested.length > 0 && shareValue >= s.driftShare;
  return {
    drifted,
    status: tested.length === 0 ? 'insufficient-data' : drifted ? 'drift' : 'ok',
    share: shareValue,
    shareThreshold: s.driftShare,
    driftedCount,
    testedCount: tested.length,
    features,
    skipped,
  };
}

/** Drift between two profiles (a reference profile and the current data's). */
export function profileDrift(reference: DataProfile, current: DataProfile, settings: Partial<DriftSettings> = {}): DatasetDrift {
  return datasetDrift(reference.columns.map(driftColumnFromProfile), current.columns.map(driftColumnFromProfile), settings);
}
