// Part of npm run bench:predict — `loopline evaluate` of 100,000 rows with 2 slice columns (one
// categorical, one numeric in quantile bins), the Iris model in its container (examples/iris/serve.py
// with probabilities). Printed beside baselines measured in the same run: reading the same file, and
// scoring the same rows through the same scorer with no report; the report itself (metrics,
// calibration, slices) is timed alone on the model's answers.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { runEvaluation, readEvaluationRows } from '../src/core/evaluate/evaluation-job.ts';
import { buildEvaluationReport } from '../src/core/evaluate/evaluation-report.ts';
import { seededRandom } from '../src/core/monitoring/seeded-random.ts';
import { ModelRegistry } from '../src/core/registry/model-registry.ts';
import { ModelScorer } from '../src/core/scoring/model-scorer.ts';
import { RunStore } from '../src/core/store/run-store.ts';
import { seedIrisWorkspace } from '../test/helpers/seed-workspace.ts';
import { testEngine } from '../test/helpers/docker-engine.ts';
import { tempDir } from '../test/helpers/temp-store.ts';

const ROOT = join(import.meta.dirname, '..');
const ROWS = Number(process.env.LOOPLINE_BENCH_EVAL_ROWS ?? 100_000);

// The engine and images as the tests get them (scripts/docker-setup.sh).
const { engine, skip } = testEngine();
if (!engine) {
  console.log(`evaluate bench skipped: ${skip}`);
  process.exit(0);
}
process.env.DOCKER_HOST = engine.dockerHost;
const IMAGE = engine.pythonImage;

const t = tempDir('loopline-bench-eval-');
try {
  const dir = seedIrisWorkspace(join(t.dir, 'iris'), ['0.5'], 60);
  cpSync(join(ROOT, 'examples', 'iris', 'serve.py'), join(dir, 'serve.py'));
  writeFileSync(join(dir, 'loopline.yaml'), `serve:\n  image: ${IMAGE}\n  command: python3 serve.py --model /model --probabilities\n  port: 8080\n  health: /ping\n`);
  const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  const registry = new ModelRegistry(store);
  const runId = store.searchRuns({ experimentIds: [store.getExperimentByName('iris-sweep').id] }).runs[0]!.info.id;
  registry.registerVersion({ model: 'iris', runId, path: 'model' });

  // 100,000 rows: Iris rows with noise, a categorical `site` (5 values) and a numeric `age` (binned).
  const iris = readFileSync(join(dir, 'iris.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const rnd = seededRandom(7);
  const lines = ['sepal_length,sepal_width,petal_length,petal_width,species,site,age'];
  for (let i = 0; i < ROWS; i++) {
    const r = iris[Math.floor(rnd() * iris.length)]!;
    const f = r.slice(0, 4).map((v) => (Number(v) + (rnd() - 0.5) * 0.4).toFixed(2));
    lines.push(`${f.join(',')},${r[4]},${['north', 'south', 'east', 'west', 'centre'][Math.floor(rnd() * 5)]},${18 + Math.floor(rnd() * 60)}`);
  }
  const data = join(dir, 'test.csv');
  writeFileSync(data, lines.join('\n') + '\n');

  console.log(`evaluate: ${ROWS.toLocaleString('en-US')} rows, --slice-by site --slice-by age; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  // Baseline 1: reading the file into rows (the evaluation's first step).
  let t0 = performance.now();
  const { rows } = await readEvaluationRows(data);
  const readMs = performance.now() - t0;

  // Baseline 2: the same rows through the same scorer, answers kept, no report.
  t0 = performance.now();
  const scorer = await ModelScorer.start(registry, 'iris/1');
  const startMs = performance.now() - t0;
  t0 = performance.now();
  const output = await scorer.predictFn({ exclude: ['species'] })(rows);
  const scoreMs = performance.now() - t0;
  await scorer.stop();

  // The report alone on those answers (metrics with probabilities, calibration, 2 slice columns).
  t0 = performance.now();
  buildEvaluationReport({ rows, labelColumn: 'species', sliceBy: ['site', 'age'] }, output);
  const reportMs = performance.now() - t0;

  // The whole evaluation as `loopline evaluate` runs it (read, start, score, report, record).
  const phases: Array<[string, number]> = [];
  t0 = performance.now();
  const res = await runEvaluation(registry, { ref: 'iris/1', data, label: 'species', sliceBy: ['site', 'age'], onProgress: (p) => phases.push([p.phase, performance.now() - t0]) });
  const totalMs = performance.now() - t0;
  const at = (phase: string) => phases.find((p) => p[0] === phase)?.[1] ?? NaN;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`  evaluation total              ${s(totalMs)}  (accuracy ${res.metrics['eval.accuracy']!.toFixed(3)}, slice gap ${res.metrics['eval.slice_gap.accuracy']!.toFixed(3)})`);
  console.log(`    reading                     ${s(at('starting') - at('reading'))}`);
  console.log(`    container start             ${s(at('scoring') - at('starting'))}`);
  console.log(`    scoring + report + record   ${s(totalMs - at('scoring'))}`);
  console.log(`  baselines in the same run:`);
  console.log(`    read the file               ${s(readMs)}`);
  console.log(`    container start             ${s(startMs)}`);
  console.log(`    score the rows (no report)  ${s(scoreMs)}  = ${Math.round(ROWS / (scoreMs / 1000)).toLocaleString('en-US')} rows/s through the container`);
  console.log(`    report alone                ${s(reportMs)}`);
  console.log(`  ratio: evaluation / (read + start + score) = ${(totalMs / (readMs + startMs + scoreMs)).toFixed(2)}x; the report is ${((reportMs / totalMs) * 100).toFixed(1)}% of the evaluation`);
  store.close();
} finally {
  t.cleanup();
}
