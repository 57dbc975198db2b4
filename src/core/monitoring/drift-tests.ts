/**
 * The drift statistics Evidently uses by default, computed like scipy computes them, so numbers
 * match what people see there: two-sample Kolmogorov–Smirnov, chi-squared goodness of fit,
 * two-proportion z-test, Wasserstein distance normalised by the reference's standard deviation,
 * Jensen–Shannon distance, and the Population Stability Index.
 */
import { sortedOnce } from './float-sort.ts';
import { chiSquaredSf, kolmogorovSf, normalSf } from './special-functions.ts';

export type NumberArray = Float64Array | number[];

const sorted = sortedOnce;

export interface TestResult {
  statistic: number;
  pValue: number;
}

/** The two-sample KS statistic D = sup |F1 - F2| (both sorted ascending). */
export function ksStatistic(a: Float64Array, b: Float64Array): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i]!, b[j]!);
    // Step over every tie at x on both sides before comparing the CDFs.
    while (i < a.length && a[i] === x) i++;
    while (j < b.length && b[j] === x) j++;
    const gap = Math.abs(i / a.length - j / b.length);
    if (gap > d) d = gap;
  }
  return d;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Exact two-sided p-value P(D >= d) under H0 (no ties), by counting the lattice paths from (0,0) to
 * (n1,n2) that stay strictly inside |i/n1 - j/n2| < d. Paths are counted as probabilities
 * (u[i][j] = i/(i+j) u[i-1][j] + j/(i+j) u[i][j-1]) so nothing overflows. This is the quantity
 * scipy's ks_2samp(method='exact') returns; it uses it whenever max(n1, n2) <= 10000.
 */
export function ksExactPValue(n1: number, n2: number, d: number): number {
  const g = gcd(n1, n2);
  const a = n2 / g; // lcm / n1
  const b = n1 / g; // lcm / n2
  const lcm = a * n1;
  const h = Math.round(d * lcm);
  if (h === 0) return 1;
  const row = new Float64Array(n2 + 1);
  row[0] = 1;
  for (let j = 1; j <= n2; j++) row[j] = Math.abs(-j * b) < h ? row[j - 1]! : 0;
  for (let i = 1; i <= n1; i++) {
    row[0] = Math.abs(i * a) < h ? row[0]! : 0;
    for (let j = 1; j <= n2; j++) {
      row[j] = Math.abs(i * a - j * b) < h ? (i / (i + j)) * row[j]! + (j / (i + j)) * row[j - 1]! : 0;
    }
  }
  return Math.min(1, Math.max(0, 1 - row[n2]!));
}

/**
 * Asymptotic p-value for large samples: Kolmogorov's distribution at (√en + 0.12 + 0.11/√en)·D with
 * en = n1·n2/(n1+n2) (Stephens' correction). scipy uses kstwo.sf(D, round(en)) here; both agree
 * to about 1e-3 at these sizes (en > 900).
 */
export function ksAsymptoticPValue(n1: number, n2: number, d: number): number {
  const en = (n1 * n2) / (n1 + n2);
  const s = Math.sqrt(en);
  return kolmogorovSf((s + 0.12 + 0.11 / s) * d);
}

export const KS_EXACT_MAX_N = 10_000;

/** scipy.stats.ks_2samp(a, b) with its default method 'auto' (exact up to 10,000 per sample). */
export function ksTwoSample(reference: NumberArray, current: NumberArray): TestResult {
  const a = sorted(reference);
  const b = sorted(current);
  if (a.length === 0 || b.length === 0) return { statistic: NaN, pValue: NaN };
  const d = ksStatistic(a, b);
  const exact = Math.max(a.length, b.length) <= KS_EXACT_MAX_N;
  return { statistic: d, pValue: exact ? ksExactPValue(a.length, b.length, d) : ksAsymptoticPValue(a.length, b.length, d) };
}

export type Counts = Map<string, number>;

function total(c: Counts): number {
  let s = 0;
  for (const v of c.values()) s += v;
  return s;
}

/**
 * Chi-squared test of homogeneity: do the two samples come from one category distribution?
 * (scipy.stats.chi2_contingency on the 2 x k table, without Yates' correction; df = k - 1.)
 * Evidently instead tests the current counts against the reference shares as if those were
 * exact; with a reference of a few hundred rows that raised false alarms on 13-46% of undrifted
 * windows in our measurement (test/drift-stats.test.ts), so Loopline uses the two-sample form.
 */
export function chiSquaredTest(reference: Counts, current: Counts): TestResult {
  const nRef = total(reference);
  const nCur = total(current);
  const keys = [...new Set([...reference.keys(), ...current.keys()])].filter((k) => (reference.get(k) ?? 0) + (current.get(k) ?? 0) > 0);
  if (nRef === 0 || nCur === 0 || keys.length < 2) return { statistic: 0, pValue: 1 };
  const n = nRef + nCur;
  let stat = 0;
  for (const k of keys) {
    const r = reference.get(k) ?? 0;
    const c = current.get(k) ?? 0;
    const col = r + c;
    const er = (nRef * col) / n;
    const ec = (nCur * col) / n;
    stat += ((r - er) * (r - er)) / er + ((c - ec) * (c - ec)) / ec;
  }
  return { statistic: stat, pValue: chiSquaredSf(stat, keys.length - 1) };
}

/**
 * Two-proportion z-test (pooled), two-sided, on the share of `positive` in each sample
 * (Evidently's proportions_diff_z_test). Both samples all one value: no evidence of change, p = 1.
 */
export function proportionZTest(reference: Counts, current: Counts, positive: string): TestResult {
  const n1 = total(reference);
  const n2 = total(current);
  if (n1 === 0 || n2 === 0) return { statistic: NaN, pValue: NaN };
  const p1 = (reference.get(positive) ?? 0) / n1;
  const p2 = (current.get(positive) ?? 0) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { statistic: 0, pValue: 1 };
  const z = (p1 - p2) / se;
  return { statistic: z, pValue: 2 * normalSf(Math.abs(z)) };
}

/** First Wasserstein distance between two samples (scipy.stats.wasserstein_distance): ∫ |F1 - F2| dx. */
export function wassersteinDistance(reference: NumberArray, current: NumberArray): number {
  const a = sorted(reference);
  const b = sorted(current);
  if (a.length === 0 || b.length === 0) return NaN;
  let i = 0;
  let j = 0;
  let prev = Math.min(a[0]!, b[0]!);
  let area = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    area += Math.abs(i / a.length - j / b.length) * (x - prev);
    while (i < a.length && a[i] === x) i++;
    while (j < b.length && b[j] === x) j++;
    prev = x;
  }
  return area;
}

/** Population standard deviation (numpy's std, ddof = 0). */
export function populationStd(values: NumberArray): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]!;
  mean /= values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i]! - mean) ** 2;
  return Math.sqrt(ss / values.length);
}

/** Evidently's normalised Wasserstein distance: W1 / max(std(reference), 0.001). */
export function normalizedWasserstein(reference: NumberArray, current: NumberArray): number {
  return wassersteinDistance(reference, current) / Math.max(populationStd(reference), 0.001);
}

/** Shares per bin, with empty bins set to a small share as Evidently does (so logs stay finite). */
function fillZeroes(shares: number[]): number[] {
  const nonZero = shares.filter((s) => s > 0);
  const min = nonZero.length ? Math.min(...nonZero) : 0.0001;
  const fill = min <= 0.0001 ? min / 1e6 : 0.0001;
  return shares.map((s) => (s === 0 ? fill : s));
}

export interface BinnedShares {
  reference: number[];
  current: number[];
}

/** Category shares over the union of categories (Evidently's get_binned_data for categorical data). */
export function categoryShares(reference: Counts, current: Counts): BinnedShares {
  const keys = [...new Set([...reference.keys(), ...current.keys()])];
  const nRef = total(reference) || 1;
  const nCur = total(current) || 1;
  return {
    reference: fillZeroes(keys.map((k) => (reference.get(k) ?? 0) / nRef)),
    current: fillZeroes(keys.map((k) => (current.get(k) ?? 0) / nCur)),
  };
}

/** Shares per bin of numpy's "sturges" edges over both samples together (Evidently's numeric binning). */
export function numericShares(reference: NumberArray, current: NumberArray): BinnedShares {
  const a = sorted(reference);
  const b = sorted(current);
  const lo = Math.min(a.length ? a[0]! : Infinity, b.length ? b[0]! : Infinity);
  const hi = Math.max(a.length ? a[a.length - 1]! : -Infinity, b.length ? b[b.length - 1]! : -Infinity);
  const n = reference.length + current.length;
  const bins = hi > lo ? Math.ceil(Math.log2(n) + 1) : 1;
  // Sorted input: each bin's count is the distance between two upper-bound positions.
  const count = (s: Float64Array) => {
    const c = new Array<number>(bins).fill(0);
    let i = 0;
    for (let k = 0; k < bins; k++) {
      const start = i;
      if (k === bins - 1) i = s.length;
      else while (i < s.length && Math.floor(((s[i]! - lo) / (hi - lo)) * bins) <= k) i++;
      c[k] = (i - start) / (s.length || 1);
    }
    return c;
  };
  return { reference: fillZeroes(count(a)), current: fillZeroes(count(b)) };
}

/** Jensen–Shannon distance (natural log, as scipy.spatial.distance.jensenshannon): √((KL(p‖m) + KL(q‖m)) / 2). */
export function jensenShannonDistance(p: number[], q: number[]): number {
  const sp = p.reduce((a, b) => a + b, 0);
  const sq = q.reduce((a, b) => a + b, 0);
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    if (a > 0) js += a * Math.log(a / m);
    if (b > 0) js += b * Math.log(b / m);
  }
  return Math.sqrt(Math.max(0, js / 2));
}

/** PSI = Σ (ref − cur) · ln(ref / cur) over the bins. */
export function populationStabilityIndex(shares: BinnedShares): number {
  let psi = 0;
  for (let i = 0; i < shares.reference.length; i++) {
    const r = shares.reference[i]!;
    const c = shares.current[i]!;
    psi += (r - c) * Math.log(r / c);
  }
  return psi;
}
