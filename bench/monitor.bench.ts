// Monitoring benchmark: drift computation for 20 features x 100,000 rows, and profiling a large
// generated CSV against just reading its bytes. Both measured in one run so the ratios compare
// like with like. Not a test: it prints figures and whether the aims are met.
//
//   npm run bench:monitor                       (200 MB CSV)
//   LOOPLINE_BENCH_CSV_MB=1024 npm run bench:monitor   (the 1 GB case)
//   LOOPLINE_BENCH_ROUNDS=3                     rounds; each figure reports its best round
//
// Capture overhead on a deployment's endpoint is not measured here yet: it needs deployments.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileFile } from '../src/core/monitoring/data-profiler.ts';
import { datasetDrift, numericColumn, categoricalColumn, type DriftColumn } from '../src/core/monitoring/feature-drift.ts';
import { normalDraw, seededRandom } from '../src/core/monitoring/seeded-random.ts';

const ROUNDS = Math.max(1, Number(process.env.LOOPLINE_BENCH_ROUNDS ?? '3') || 3);
const CSV_MB = Math.max(1, Number(process.env.LOOPLINE_BENCH_CSV_MB ?? '200') || 200);
const FEATURES = 20;
const ROWS = 100_000;
const AIM_DRIFT_MS = 1000;

const best = async (fn: () => Promise<number> | number): Promise<number> => {
  let b = Infinity;
  for (let r = 0; r < ROUNDS; r++) b = Math.min(b, await fn());
  return b;
};
const ms = (x: number) => `${x.toFixed(0)} ms`;

console.log(`machine: ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}, best of ${ROUNDS}`);

// ---- drift: 20 features x 100,000 rows (16 numeric, 4 categorical), reference vs current ----
const rnd = seededRandom(1);
const numericData = (shift: number) => Float64Array.from({ length: ROWS }, () => normalDraw(rnd) + shift);
const catData = () => Array.from({ length: ROWS }, () => ['a', 'b', 'c', 'd', 'e'][Math.floor(rnd() * 5)]!);
const reference: DriftColumn[] = [];
const current: DriftColumn[] = [];
for (let f = 0; f < FEATURES; f++) {
  if (f < 16) {
    reference.push(numericColumn(`f${f}`, numericData(0)));
    current.push(numericColumn(`f${f}`, numericData(f === 3 ? 0.5 : 0)));
  } else {
    reference.push(categoricalColumn(`f${f}`, catData()));
    current.push(categoricalColumn(`f${f}`, catData()));
  }
}
// Baseline: sorting every numeric column once (the least any rank/distance test must do).
const sortMs = await best(() => {
  const t = performance.now();
  for (const c of [...reference, ...current]) if (c.values) Float64Array.from(c.values).sort();
  return performance.now() - t;
});
let drifted: string[] = [];
// Fresh arrays every round: sorted columns are cached per array, and a cold run must not profit.
const fresh = (cols: DriftColumn[]): DriftColumn[] => cols.map((c) => (c.values ? { ...c, values: Float64Array.from(c.values) } : c));
const driftMs = await best(() => {
  const ref = fresh(reference);
  const cur = fresh(current);
  const t = performance.now();
  const r = datasetDrift(ref, cur);
  drifted = r.features.filter((f) => f.drifted).map((f) => `${f.name} (${f.test})`);
  return performance.now() - t;
});
// The monitoring case: one reference (sorted on first use) against a new window of traffic.
const warmRef = fresh(reference);
datasetDrift(warmRef, fresh(current));
const windowMs = await best(() => {
  const cur = fresh(current);
  const t = performance.now();
  datasetDrift(warmRef, cur);
  return performance.now() - t;
});
console.log(`\ndrift, ${FEATURES} features x ${ROWS.toLocaleString('en-US')} rows (reference and current each; tests: Wasserstein + PSI, Jensen–Shannon + PSI)`);
console.log(`  datasetDrift           ${ms(driftMs)}   aim < ${AIM_DRIFT_MS} ms: ${driftMs < AIM_DRIFT_MS ? 'met' : 'NOT met'}`);
console.log(`  baseline: sort columns ${ms(sortMs)}   ratio ${(driftMs / sortMs).toFixed(2)}x`);
console.log(`  reference already sorted (a new window vs the same reference) ${ms(windowMs)}`);
console.log(`  drifted: ${drifted.join(', ') || 'none'} (f3 was shifted by 0.5 sd)`);

// ---- profiling a large CSV vs reading its bytes ----
const dir = mkdtempSync(join(tmpdir(), 'loopline-bench-monitor-'));
try {
  const path = join(dir, 'big.csv');
  const target = CSV_MB * 1024 * 1024;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(path);
    out.on('error', reject);
    const r = seededRandom(2);
    let written = 0;
    let i = 0;
    out.write('id,age,income,score,ratio,city,segment,active,note\n');
    const pump = () => {
      while (written < target) {
        let chunk = '';
        for (let k = 0; k < 5000; k++, i++) {
          const age = (40 + 12 * normalDraw(r)).toFixed(1);
          chunk += `${i},${i % 50 === 0 ? '' : age},${(50000 + 15000 * normalDraw(r)).toFixed(2)},${r().toFixed(6)},${(normalDraw(r) * 3).toFixed(4)},${['Oslo', 'Bergen', 'Tromsø', 'Stavanger', 'Trondheim'][i % 5]},${'ABC'[Math.floor(r() * 3)]},${r() < 0.3 ? 'true' : 'false'},"free text, row ${i}"\n`;
        }
        written += Buffer.byteLength(chunk);
        if (!out.write(chunk)) {
          out.once('drain', pump);
          return;
        }
      }
      out.end(resolve);
    };
    pump();
  });
  const bytes = statSync(path).size;
  console.log(`\nprofiling a ${(bytes / 1024 / 1024).toFixed(0)} MB CSV (9 columns; generated in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const readMs = await best(async () => {
    const t = performance.now();
    let n = 0;
    for await (const c of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) n += c.length;
    if (n !== bytes) throw new Error('short read');
    return performance.now() - t;
  });
  const hashMs = await best(async () => {
    const t = performance.now();
    const h = createHash('sha256');
    for await (const c of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) h.update(c);
    h.digest();
    return performance.now() - t;
  });
  let rows = 0;
  let peakRss = 0;
  const rssStart = process.memoryUsage().rss;
  const profileMs = await best(async () => {
    const t = performance.now();
    const p = await profileFile(path, { onProgress: () => (peakRss = Math.max(peakRss, process.memoryUsage().rss)) });
    rows = p.rows;
    return performance.now() - t;
  });
  const mbps = (t: number) => `${(bytes / 1024 / 1024 / (t / 1000)).toFixed(0)} MB/s`;
  console.log(`  read bytes only        ${ms(readMs)}  (${mbps(readMs)})`);
  console.log(`  read + sha256          ${ms(hashMs)}  (${mbps(hashMs)})`);
  console.log(`  profileFile            ${ms(profileMs)}  (${mbps(profileMs)}, ${rows.toLocaleString('en-US')} rows, ${Math.round(rows / (profileMs / 1000)).toLocaleString('en-US')} rows/s)`);
  console.log(`  ratio profile / read   ${(profileMs / readMs).toFixed(1)}x   (profile / read+hash ${(profileMs / hashMs).toFixed(1)}x)`);
  console.log(`  peak RSS while profiling ${(peakRss / 1024 / 1024).toFixed(0)} MB (started at ${(rssStart / 1024 / 1024).toFixed(0)} MB; the file is ${(bytes / 1024 / 1024).toFixed(0)} MB)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
