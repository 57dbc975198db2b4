import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerBackend, type ContainerBackend } from '../src/core/containers/container-backend.ts';
import type { ModelRegistry } from '../src/core/registry/model-registry.ts';
import { ModelScorer, ScoringError, type ScoredBatch } from '../src/core/scoring/model-scorer.ts';
import { IRIS_FEATURES, SERVING_IMAGE, scoringProject } from './helpers/scoring-project.ts';

// The Iris example's serve.py in loopline/python:bookworm on the real engine (npm run docker:setup),
// started by the scorer from the version's serve spec. One container shared by the tests below.
let p: ReturnType<typeof scoringProject>;
let registry: ModelRegistry;
let backend: ContainerBackend;
let scorer: ModelScorer;
let irisRows: string[][] = [];
let irisLabels: string[] = [];
const COLUMNS = IRIS_FEATURES;

before(async () => {
  backend = await dockerBackend();
  await backend.ping();
  assert.ok(await backend.inspectImage(SERVING_IMAGE), `image ${SERVING_IMAGE} is missing: run npm run docker:setup`);
  p = scoringProject();
  ({ registry, irisRows, irisLabels } = p);
  scorer = await ModelScorer.start(registry, 'iris@champion');
});

after(async () => {
  await scorer?.stop();
  p?.cleanup();
});

async function collect(gen: AsyncIterable<ScoredBatch>): Promise<ScoredBatch[]> {
  const out: ScoredBatch[] = [];
  for await (const b of gen) out.push(b);
  return out;
}

test('the alias resolves to the version, served in its container on 127.0.0.1 only; a stream of CSV text rows is scored in order', async () => {
  assert.equal(scorer.version.version, 1);
  assert.match(scorer.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  // Source batches of 7 re-batched to 40: 150 rows → 40, 40, 40, 30, in input order.
  const source = (async function* () {
    for (let i = 0; i < irisRows.length; i += 7) yield irisRows.slice(i, i + 7);
  })();
  const batches = await collect(scorer.score(COLUMNS, source, { batchSize: 40, concurrency: 3 }));
  assert.deepEqual(batches.map((b) => [b.offset, b.rows.length]), [[0, 40], [40, 40], [80, 40], [120, 30]]);
  const predictions = batches.flatMap((b) => b.output!.predictions);
  const accuracy = predictions.filter((p, i) => p === irisLabels[i]).length / irisLabels.length;
  assert.ok(accuracy > 0.9, `a trained Iris model is right on most rows, got ${accuracy}`);
  const probs = batches.flatMap((b) => b.output!.probabilities!);
  assert.equal(probs.length, 150);
  for (const [i, p] of probs.entries()) {
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9, 'each row of probabilities sums to 1');
    assert.equal(['setosa', 'versicolor', 'virginica'][p.indexOf(Math.max(...p))], predictions[i], 'the most probable class is the prediction');
  }
});

test('rows the model refuses are isolated with its error; the other rows of the batch are scored', async () => {
  const rows = irisRows.slice(0, 20).map((r) => [...r]);
  rows[13]![2] = 'tall';
  const batches = await collect(scorer.score(COLUMNS, [rows], { batchSize: 10, isolateRefusedRows: true }));
  const failed = batches.filter((b) => b.failure);
  assert.deepEqual(failed.map((b) => [b.offset, b.rows.length]), [[13, 1]]);
  assert.equal(failed[0]!.failure!.status, 400);
  assert.match(failed[0]!.failure!.message, /petal_length must be a finite number, got "tall"/);
  assert.equal(batches.filter((b) => b.output).reduce((n, b) => n + b.output!.predictions.length, 0), 19);
  // Without isolation the whole batch is reported, and predict() throws naming the rows.
  const whole = await collect(scorer.score(COLUMNS, [rows], { batchSize: 10 }));
  assert.deepEqual(whole.map((b) => [b.offset, !!b.failure]), [[0, false], [10, true]]);
  const predict = scorer.predictFn({ exclude: ['species'], batchSize: 10 });
  const objects = rows.map((r) => ({ ...Object.fromEntries(COLUMNS.map((c, i) => [c, r[i]])), species: 'x' }));
  await assert.rejects(predict(objects), (err: unknown) => err instanceof ScoringError && /iris\/1 refused 1 of 20 rows \(row 14: HTTP 400: .*petal_length must be a finite number/.test((err as Error).message));
});

test('a model answering the wrong number of predictions is reported as such; stop() removes the container', async () => {
  const short = await ModelScorer.start(registry, 'iris/2');
  try {
    const batches = await collect(short.score(COLUMNS, [irisRows.slice(0, 6)], { batchSize: 3 }));
    assert.equal(batches[0]!.output!.predictions.length, 3, 'small batches are answered in full');
    const long = await collect(short.score(COLUMNS, [irisRows.slice(0, 10)], { batchSize: 5, isolateRefusedRows: true }));
    assert.equal(long[0]!.failure!.kind, 'answer');
    assert.match(long[0]!.failure!.message, /returned 4 predictions for 5 rows; it must return exactly one per row/);
  } finally {
    await short.stop();
  }
  const left = await backend.find({ 'loopline.role': 'scorer', 'loopline.version': '2' });
  assert.deepEqual(left.filter((c) => c.id === short.containerId), []);
  await assert.rejects(short.scoreRows(COLUMNS, irisRows.slice(0, 1)), /stopped/);
});

test('aborting (Ctrl-C) stops the container; a missing image or a bad ref says what to do', async () => {
  const ctl = new AbortController();
  const s = await ModelScorer.start(registry, 'iris/1', { signal: ctl.signal });
  ctl.abort();
  await s.stop();
  assert.deepEqual((await backend.find({ 'loopline.role': 'scorer' })).filter((c) => c.id === s.containerId), []);
  await assert.rejects(ModelScorer.start(registry, 'iris@nope'), /alias/i);
  writeFileSync(join(registry.projectDir, 'loopline.yaml'), `serve:\n  image: loopline/none:missing\n  command: python3 serve.py --model /model\n`);
  const v3 = registry.registerVersion({ model: 'iris', runId: registry.getVersion('iris', 1).runId!, path: 'model' });
  await assert.rejects(ModelScorer.start(registry, `iris/${v3.version}`), /serving image 'loopline\/none:missing' .* is not on the engine .*docker:setup/);
});
