// Drift statistics against hand-computed and reference (scipy 1.17) values, the false-alarm rate
// of the defaults on undrifted data of several sizes, and a one-feature shift that flags only it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chiSquaredTest,
  jensenShannonDistance,
  ksExactPValue,
  ksTwoSample,
  normalizedWasserstein,
  populationStabilityIndex,
  proportionZTest,
  wassersteinDistance,
} from '../src/core/monitoring/drift-tests.ts';
import { categoricalColumn, datasetDrift, featureDrift, numericColumn, type DriftColumn } from '../src/core/monitoring/feature-drift.ts';
import { normalDraw, seededRandom } from '../src/core/monitoring/seeded-random.ts';
import { chiSquaredSf, kolmogorovSf, normalSf } from '../src/core/monitoring/special-functions.ts';

const close = (actual: number, expected: number, tol: number, what: string) => assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (±${tol})`);

const A = [0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47];
const B = [2.2, 1.66, 1.38, 0.2, 0.36, 0.0, 0.96, 1.56, 0.44, 1.5, -0.3, 0.66, 2.31, 3.29, -0.27, -0.37, 0.38, 0.7, 0.52, -0.71];

describe('distribution functions', () => {
  test('normal, chi-squared and Kolmogorov tails match tables', () => {
    close(normalSf(1.96), 0.024997895148220435, 1e-7, 'P(Z > 1.96)');
    close(normalSf(3.5), 0.000232629079035525, 1e-8, 'P(Z > 3.5)');
    close(chiSquaredSf(3.5, 2), 0.1737739434504451, 1e-10, 'chi2 sf(3.5, 2)'); // = exp(-1.75) by hand
    close(chiSquaredSf(25.3, 7), 0.0006712440753544802, 1e-10, 'chi2 sf(25.3, 7)');
    close(chiSquaredSf(0.2, 1), 0.6547208460185768, 1e-7, 'chi2 sf(0.2, 1)');
    close(kolmogorovSf(1.0), 0.26999967167735456, 1e-9, 'K(1.0)');
    close(kolmogorovSf(0.5), 0.9639452436648751, 1e-9, 'K(0.5)');
    close(kolmogorovSf(1.5), 0.022217962616525127, 1e-9, 'K(1.5)');
  });
});

describe('two-sample Kolmogorov–Smirnov', () => {
  test('fully separated samples of 3: D = 1, p = 2 / C(6,3) = 0.1 (by hand)', () => {
    const r = ksTwoSample([1, 2, 3], [4, 5, 6]);
    assert.equal(r.statistic, 1);
    close(r.pValue, 0.1, 1e-12, 'p');
  });
  test('identical samples: D = 0, p = 1', () => {
    assert.deepEqual(ksTwoSample([1, 2, 3, 4], [4, 3, 2, 1]), { statistic: 0, pValue: 1 });
  });
  test('exact p-value of fixed samples as scipy.stats.ks_2samp (25 vs 20 and 20 vs 20 values)', () => {
    const r = ksTwoSample(A, B);
    close(r.statistic, 0.23, 1e-12, 'D');
    close(r.pValue, 0.5286364448145011, 1e-9, 'p');
    const s = ksTwoSample(A.slice(0, 20), B);
    close(s.statistic, 0.25, 1e-12, 'D equal n');
    close(s.pValue, 0.571336004933722, 1e-9, 'p equal n');
  });
  test('large samples use the asymptotic distribution (scipy: p = 0.009189)', () => {
    const x = Array.from({ length: 12_000 }, (_, i) => (i + 0.5) / 12_000);
    const y = Array.from({ length: 15_000 }, (_, i) => (i + 0.5) / 15_000 + 0.02);
    const r = ksTwoSample(x, y);
    close(r.statistic, 0.020066666666666733, 1e-12, 'D');
    close(r.pValue, 0.009188981052455657, 5e-4, 'p');
  });
  test('exact p-value is a probability that falls as D grows', () => {
    let last = 1;
    for (const d of [0.1, 0.2, 0.3, 0.5, 0.8]) {
      const p = ksExactPValue(40, 30, d);
      assert.ok(p <= last && p >= 0, `p(${d}) = ${p}`);
      last = p;
    }
  });
});

describe('categorical tests and distances', () => {
  test('chi-squared of homogeneity as scipy.stats.chi2_contingency(correction=False)', () => {
    const r = chiSquaredTest(new Map([['a', 30], ['b', 50], ['c', 20]]), new Map([['a', 20], ['b', 45], ['c', 35]]));
    close(r.statistic, 6.354066985645932, 1e-9, 'chi2');
    close(r.pValue, 0.04170920242693336, 1e-9, 'p');
    // A category only the current data has is a column of the table, not an infinite statistic.
    const n = chiSquaredTest(new Map([['a', 30], ['b', 50], ['c', 20]]), new Map([['a', 40], ['b', 90], ['c', 70], ['d', 5]]));
    close(n.statistic, 10.762969415408442, 1e-9, 'chi2 new category');
    close(n.pValue, 0.01307912993194398, 1e-9, 'p new category');
  });
  test('two-proportion z-test (pooled), by hand: 120/400 vs 120/300', () => {
    const r = proportionZTest(new Map([['yes', 120], ['no', 280]]), new Map([['yes', 120], ['no', 180]]), 'yes');
    close(r.statistic, -2.758386421836853, 1e-9, 'z');
    close(r.pValue, 0.005808748696671806, 1e-7, 'p');
  });
  test('Wasserstein as scipy.stats.wasserstein_distance, normalised by the reference std', () => {
    close(wassersteinDistance(A, B), 0.6071, 1e-12, 'W1');
    close(normalizedWasserstein(A, B), 0.5574411479800556, 1e-12, 'W1 / std');
    close(wassersteinDistance([0, 1, 3], [5, 6, 8]), 5, 1e-12, 'shift by 5 (by hand)');
  });
  test('Jensen–Shannon distance (natural log) and PSI', () => {
    close(jensenShannonDistance([0.3, 0.5, 0.2], [0.2, 0.45, 0.35]), 0.12668884729860694, 1e-12, 'JS');
    close(populationStabilityIndex({ reference: [0.3, 0.5, 0.2], current: [0.2, 0.45, 0.35] }), 0.1297569047840211, 1e-12, 'PSI');
    assert.equal(jensenShannonDistance([0.5, 0.5], [0.5, 0.5]), 0);
  });
});

// ---- behaviour of the defaults on data a user would feed them -------------------------------

const rnd = seededRandom(20_261_201);
const normals = (n: number, shift = 0) => Array.from({ length: n }, () => normalDraw(rnd) + shift);
const cats = (n: number) =>
  Array.from({ length: n }, () => {
    const u = rnd();
    return u < 0.4 ? 'red' : u < 0.7 ? 'green' : u < 0.9 ? 'blue' : 'grey';
  });
const flags = (n: number) => Array.from({ length: n }, () => (rnd() < 0.3 ? 'true' : 'false'));

describe('false-alarm rate on undrifted data', () => {
  // Each trial draws reference and current from the same distribution. A test at level 0.05 may
  // alarm on 5% of them; the tolerance is 3.5 binomial standard deviations of the measured rate.
  const cases: Array<{ refN: number; curN: number; trials: number; kinds: Array<'num' | 'cat' | 'bin'> }> = [
    { refN: 500, curN: 100, trials: 400, kinds: ['num', 'cat', 'bin'] },
    { refN: 500, curN: 1000, trials: 300, kinds: ['num', 'cat', 'bin'] },
    { refN: 5000, curN: 300, trials: 100, kinds: ['cat', 'bin'] },
    { refN: 5000, curN: 1000, trials: 100, kinds: ['num', 'cat'] },
  ];
  for (const c of cases) {
    test(`reference ${c.refN}, windows of ${c.curN}: alarm rate <= 0.05 + tolerance`, () => {
      const level = 0.05;
      const tolerance = 3.5 * Math.sqrt((level * (1 - level)) / c.trials);
      const report: string[] = [];
      for (const kind of c.kinds) {
        let alarms = 0;
        let testName = '';
        for (let t = 0; t < c.trials; t++) {
          const make = (n: number): DriftColumn => (kind === 'num' ? numericColumn('x', normals(n)) : categoricalColumn('x', kind === 'cat' ? cats(n) : flags(n)));
          const r = featureDrift(make(c.refN), make(c.curN));
          assert.notEqual(r.status, 'insufficient-data', `${kind} at ${c.curN}: ${r.note}`);
          testName = r.test;
          if (r.drifted) alarms++;
        }
        const rate = alarms / c.trials;
        report.push(`${testName}: ${(rate * 100).toFixed(1)}%`);
        assert.ok(rate <= level + tolerance, `${testName} false-alarm rate ${rate} > ${level} + ${tolerance.toFixed(3)}`);
      }
      console.log(`# false alarms, reference ${c.refN}, window ${c.curN}, ${c.trials} trials: ${report.join(', ')}`);
    });
  }
});

describe('drift verdicts', () => {
  for (const refN of [800, 5000]) {
    test(`a shift in one feature flags that feature and not the others (reference ${refN})`, () => {
      const reference = [numericColumn('age', normals(refN)), numericColumn('income', normals(refN)), numericColumn('petal_length', normals(refN)), categoricalColumn('colour', cats(refN)), categoricalColumn('member', flags(refN))];
      const current = [numericColumn('age', normals(2000)), numericColumn('income', normals(2000)), numericColumn('petal_length', normals(2000, 1.5)), categoricalColumn('colour', cats(2000)), categoricalColumn('member', flags(2000))];
      const r = datasetDrift(reference, current);
      assert.deepEqual(
        r.features.filter((f) => f.drifted).map((f) => f.name),
        ['petal_length'],
        JSON.stringify(r.features.map((f) => [f.name, f.test, f.statistic, f.pValue ?? f.distance])),
      );
      const petal = r.features.find((f) => f.name === 'petal_length')!;
      assert.equal(petal.test, refN <= 1000 ? 'ks' : 'wasserstein');
      assert.equal(petal.status, 'drift');
      assert.equal(petal.psi.level, 'major');
      assert.equal(r.drifted, false, 'one of five features is below the 50% dataset share');
      assert.equal(r.testedCount, 5);
    });
  }

  test('the dataset drifts when at least half the features drift', () => {
    const reference = [numericColumn('a', normals(600)), numericColumn('b', normals(600)), numericColumn('c', normals(600)), numericColumn('d', normals(600))];
    const current = [numericColumn('a', normals(600, 2)), numericColumn('b', normals(600, 2)), numericColumn('c', normals(600)), numericColumn('d', normals(600))];
    const r = datasetDrift(reference, current);
    assert.equal(r.driftedCount, 2);
    assert.equal(r.share, 0.5);
    assert.equal(r.drifted, true);
    assert.equal(r.status, 'drift');
  });

  test('a window of 30 rows is "insufficient-data" with how many more it needs, not an alarm', () => {
    const r = featureDrift(numericColumn('x', normals(500)), numericColumn('x', normals(30, 5)));
    assert.equal(r.status, 'insufficient-data');
    assert.equal(r.drifted, false);
    assert.equal(r.neededMore, 70);
    assert.equal(r.sampleSize, 30);
    const big = featureDrift(numericColumn('x', normals(5000)), numericColumn('x', normals(300)));
    assert.equal(big.status, 'insufficient-data');
    assert.equal(big.neededMore, 700);
    const d = datasetDrift([numericColumn('x', normals(500))], [numericColumn('x', normals(30, 5))]);
    assert.equal(d.status, 'insufficient-data');
    assert.equal(d.drifted, false);
  });

  test('numeric columns with at most 5 values are tested as categories (Evidently rule)', () => {
    const grades = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 4));
    assert.equal(featureDrift(numericColumn('g', grades(500)), numericColumn('g', grades(500))).test, 'chi-squared');
    assert.equal(featureDrift(numericColumn('g', grades(5000)), numericColumn('g', grades(500))).test, 'jensen-shannon');
    assert.equal(featureDrift(categoricalColumn('m', flags(500)), categoricalColumn('m', flags(500))).test, 'z-test');
  });
});
