import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerBackend } from '../src/core/containers/container-backend.ts';
import { spawn } from 'node:child_process';
import { runCli } from './helpers/cli.ts';
import { CLI } from './helpers/paths.ts';
import { IRIS_SERVE, SERVING_IMAGE, scoringProject, serveYaml } from './helpers/scoring-project.ts';

// `loopline evaluate` end to end: the real CLI, the real engine, the Iris example's serve.py in its
// container. Each call starts (and stops) its own container.
let p: ReturnType<typeof scoringProject>;
const cli = (...args: string[]) => runCli(args, { cwd: p.dir, timeoutMs: 120_000 });

before(async () => {
  const backend = await dockerBackend();
  await backend.ping();
  assert.ok(await backend.inspectImage(SERVING_IMAGE), `image ${SERVING_IMAGE} is missing: run npm run docker:setup`);
  p = scoringProject();
  // The test set: Iris plus a text column `site` (two values) to slice by and use as the sensitive attribute.
  const lines = readFileSync(join(p.dir, 'iris.csv'), 'utf8').trim().split('\n');
  writeFileSync(join(p.dir, 'test.csv'), [`${lines[0]},site`, ...lines.slice(1).map((l, i) => `${l},${i % 3 === 0 ? 'north' : 'south'}`)].join('\n') + '\n');
  const bad = lines.slice(0, 21);
  bad[13] = bad[13]!.replace(/^([^,]*),([^,]*),([^,]*)/, '$1,$2,tall');
  writeFileSync(join(p.dir, 'refused.csv'), bad.join('\n') + '\n');
});

after(() => p?.cleanup());

const evaluationRuns = () => {
  const exp = p.store.findExperimentByName('evaluations');
  return exp ? p.store.searchRuns({ experimentIds: [exp.id] }).runs : [];
};

test('evaluate runs the version as served, prints and records the report; gates read its eval.* metrics', async () => {
  writeFileSync(join(p.dir, 'loopline.yaml'), serveYaml(IRIS_SERVE, 'gates:\n  - {metric: eval.accuracy, min: 0.5}\n  - {metric: eval.f1_macro, max: 0.2}\n'));
  const before = await cli('gate', 'iris/1', '--json');
  assert.match(before.stdout, /metric 'eval.accuracy' was not logged/, 'no evaluation yet: the gate has nothing to read');

  const r = await cli('evaluate', 'iris@champion', '--data', 'test.csv', '--label', 'species', '--slice-by', 'site', '--slice-by', 'sepal_length', '--sensitive', 'site', '--positive', 'setosa', '--importance', '--repeats', '2', '--seed', '7', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const rep = out.report;
  assert.equal(out.version, 1);
  assert.equal(rep.n, 150);
  // The confusion matrix accounts for every row, and accuracy is its diagonal.
  const cm = rep.metrics.confusionMatrix;
  assert.deepEqual(cm.classes, ['setosa', 'versicolor', 'virginica']);
  assert.equal(cm.matrix.flat().reduce((a: number, b: number) => a + b, 0), 150);
  assert.deepEqual(cm.matrix.map((row: number[]) => row.reduce((a, b) => a + b, 0)), [50, 50, 50]);
  const diagonal = cm.matrix.reduce((a: number, row: number[], i: number) => a + row[i]!, 0);
  assert.equal(out.metrics['eval.accuracy'], diagonal / 150);
  assert.ok(out.metrics['eval.accuracy'] > 0.9, `trained Iris scores well: ${out.metrics['eval.accuracy']}`);
  // Probabilities came back: log loss, ROC AUC and a calibration table.
  assert.ok(out.metrics['eval.log_loss'] > 0 && out.metrics['eval.roc_auc'] > 0.9);
  assert.ok(rep.metrics.calibration.bins.length > 0);
  // Slices: site (2 values, 50 + 100 rows) and sepal_length in quantile bins; gaps as metrics.
  const site = rep.slices.find((s: { column: string }) => s.column === 'site');
  assert.deepEqual(site.slices.map((s: { value: string; n: number }) => [s.value, s.n]).sort(), [['north', 50], ['south', 100]]);
  assert.equal(rep.slices.find((s: { column: string }) => s.column === 'sepal_length').binned, true);
  assert.equal(typeof out.metrics['eval.slice_gap.accuracy'], 'number');
  assert.equal(typeof out.metrics['eval.demographic_parity_difference'], 'number');
  // Importance: a petal measurement matters most for Iris; repeats and seed recorded.
  assert.equal(rep.importance.repeats, 2);
  assert.equal(rep.importance.seed, 7);
  assert.match(rep.importance.features[0].feature, /^petal_/);
  assert.ok(!rep.importance.features.some((f: { feature: string }) => f.feature === 'species'), 'the label is never a feature');

  // The run: tagged with the version, eval.* metrics, the report as evaluation.json.
  const runs = evaluationRuns();
  assert.equal(runs.length, 1);
  const run = runs[0]!;
  assert.equal(run.info.id, out.runId);
  assert.equal(run.info.status, 'FINISHED');
  assert.equal(run.tags['loopline.evaluates'], 'iris/1');
  assert.equal(run.params['importance_seed'], '7');
  assert.equal(run.metrics.find((m) => m.key === 'eval.accuracy')?.last, out.metrics['eval.accuracy']);
  const artifact = JSON.parse(readFileSync(out.artifact, 'utf8'));
  assert.equal(artifact.schema, 'loopline.evaluation/1');
  assert.equal(artifact.runId, out.runId);

  const gate = await cli('gate', 'iris@champion', '--json');
  const results = JSON.parse(gate.stdout).results;
  assert.deepEqual(results.map((x: { gate: string; verdict: string }) => [x.gate, x.verdict]), [['eval.accuracy >= 0.5', 'pass'], ['eval.f1_macro <= 0.2', 'fail']]);
  assert.equal(results[0].value, out.metrics['eval.accuracy']);
  assert.equal(gate.code, 1);

  // The human form prints the same numbers.
  const text = await cli('evaluate', 'iris/1', '--data', 'test.csv', '--label', 'species', '--slice-by', 'site');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Evaluation of iris\/1 on 150 rows/);
  assert.match(text.stdout, /Confusion matrix/);
  assert.match(text.stdout, /Slices by 'site'/);
  assert.equal(evaluationRuns().length, 2);
});

test('bad input: missing label or slice column fails before any container starts; refused rows and wrong-length answers are named; nothing is recorded', async () => {
  writeFileSync(join(p.dir, 'loopline.yaml'), serveYaml(IRIS_SERVE));
  const runsBefore = evaluationRuns().length;
  const noLabel = await cli('evaluate', 'iris/1', '--data', 'test.csv', '--label', 'label');
  assert.notEqual(noLabel.code, 0);
  assert.match(noLabel.stderr, /label column 'label' is not in the data \(columns: sepal_length, sepal_width, petal_length, petal_width, species, site\)/);
  assert.doesNotMatch(noLabel.stderr, /Starting/);
  const noSlice = await cli('evaluate', 'iris/1', '--data', 'test.csv', '--label', 'species', '--slice-by', 'region');
  assert.match(noSlice.stderr, /slice column 'region' is not in the data .*--slice-by/);
  const noFile = await cli('evaluate', 'iris/1', '--data', 'missing.csv', '--label', 'species');
  assert.match(noFile.stderr, /No such file: 'missing.csv'/);
  const usage = await cli('evaluate', 'iris/1', '--data', 'test.csv');
  assert.match(usage.stderr, /Usage: loopline evaluate/);

  const refused = await cli('evaluate', 'iris/1', '--data', 'refused.csv', '--label', 'species');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /iris\/1 refused 1 of 20 rows \(row 13: HTTP 400: dataframe_split\.data\[0\]\.petal_length must be a finite number, got "tall"\)\. Fix or drop those rows/);
  const short = await cli('evaluate', 'iris/2', '--data', 'test.csv', '--label', 'species');
  assert.notEqual(short.code, 0);
  assert.match(short.stderr, /iris\/2 failed on rows 1-150: the model returned 149 predictions for 150 rows; it must return exactly one per row/);
  assert.equal(evaluationRuns().length, runsBefore, 'a failed evaluation records no run');
  assert.ok(!existsSync(join(p.dir, '.loopline', 'artifacts', 'undefined')));
  // Containers of CLI processes that have exited (other test files may be scoring right now).
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const left = await (await dockerBackend()).find({ 'loopline.role': 'scorer', 'loopline.model': 'iris' });
  assert.deepEqual(left.filter((c) => c.running && !alive(Number(c.labels['loopline.scorer.pid']))), [], 'every scoring container was stopped');
});

test('Ctrl-C while scoring stops the model container and records nothing', async () => {
  const lines = readFileSync(join(p.dir, 'test.csv'), 'utf8').trim().split('\n');
  writeFileSync(join(p.dir, 'big.csv'), [lines[0], ...Array.from({ length: 200 }, () => lines.slice(1)).flat()].join('\n') + '\n');
  const runsBefore = evaluationRuns().length;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('LOOPLINE_')) delete env[k];
  const child = spawn(CLI, ['evaluate', 'iris/1', '--data', 'big.csv', '--label', 'species', '--batch-size', '50'], { cwd: p.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`never started scoring: ${stderr}`)), 90_000);
    child.stderr.on('data', (c) => {
      stderr += c;
      if (/Scoring 30000 rows/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const running = await (await dockerBackend()).find({ 'loopline.role': 'scorer', 'loopline.scorer.pid': String(child.pid) });
  assert.equal(running.filter((c) => c.running).length, 1, 'the evaluation scores through its own container');
  child.kill('SIGINT');
  const code = await exited;
  assert.notEqual(code, 0);
  assert.match(stderr, /cancelling; stopping the model container/);
  assert.match(stderr, /cancelled/);
  const mine = await (await dockerBackend()).find({ 'loopline.role': 'scorer', 'loopline.scorer.pid': String(child.pid) });
  assert.deepEqual(mine, [], 'the container of the interrupted evaluation is gone');
  assert.equal(evaluationRuns().length, runsBefore);
});
