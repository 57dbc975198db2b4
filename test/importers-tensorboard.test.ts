import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importRuns } from '../src/core/importers/run-import.ts';
import type { RunStore } from '../src/core/store/run-store.ts';
import type { Run } from '../src/core/store/types.ts';
import { copyFixture, fixture } from './helpers/import-fixtures.ts';
import { fileVersionRecord, recordOffsets, scalarEventRecord } from './helpers/tfevents-writer.ts';
import { tempDir, tempStore } from './helpers/temp-store.ts';

function runsByName(store: RunStore, ids: string[]): Map<string, Run> {
  return new Map(ids.map((id) => store.getRun(id)).map((r) => [r.info.name, r]));
}

function counts(r: Run): Record<string, number> {
  return Object.fromEntries(r.metrics.map((m) => [m.key, m.count]));
}

test('PyTorch Lightning log: every scalar point, hparams.yaml with a python tag and the hparams plugin as params', () => {
  const t = tempStore();
  try {
    const s = importRuns(t.store, { path: fixture('tensorboard', 'CarlSchader__labeled-contrastive-framework') });
    assert.equal(s.format, 'tensorboard');
    assert.deepEqual(s.skipped, []);
    const run = t.store.getRun(s.runIds[0]!);
    assert.equal(run.info.name, 'lightning_logs/version_0');
    assert.deepEqual(counts(run), { epoch: 7838, hp_metric: 1, train_loss: 7738, val_loss: 100 });
    const train = t.store.metricHistory(run.info.id, 'train_loss');
    assert.equal(train[0]!.step, 49);
    assert.equal(train.at(-1)!.step, 386899);
    assert.equal(run.metrics.find((m) => m.key === 'hp_metric')!.last, -1);
    const epoch = run.metrics.find((m) => m.key === 'epoch')!;
    assert.deepEqual([epoch.min, epoch.max], [0, 99]);
    assert.equal(run.params.loss_fn, '!!python/name:__main__.arcface_loss');
    assert.equal(run.params.scale, '64.0');
    assert.equal(run.params.num_classes, '91354');
    assert.equal(run.tags['loopline.import.hparams.metrics'], 'hp_metric');
    assert.ok(run.info.startTime > 1_713_700_000_000 && run.info.startTime <= train[0]!.timestamp, 'start = first wall_time');
    assert.ok(run.info.endTime! >= train.at(-1)!.timestamp);
  } finally {
    t.cleanup();
  }
});

test('tensor-valued TF2 scalars, tags with spaces, repeated steps, several files per run, non-scalars counted', () => {
  const t = tempStore();
  try {
    const gan = importRuns(t.store, { path: fixture('tensorboard', 'BozzoloLu__GAN') });
    const g = runsByName(t.store, gan.runIds);
    assert.deepEqual(counts(g.get('logs/GAN/20221120-123722')!), { 'Discriminator loss': 376, 'Generator loss': 376 });
    assert.deepEqual(counts(g.get('logs/GAN/20221120-125007')!), { 'Discriminator loss': 26, 'Generator loss': 26 });
    const steps = t.store.metricHistory(g.get('logs/GAN/20221120-123722')!.info.id, 'Generator loss').map((p) => p.step);
    assert.equal(Math.max(...steps), 105, 'repeated steps are all kept');

    const keras = importRuns(t.store, { path: fixture('tensorboard', 'yuanjun0416__tensorboard_use') });
    const k = runsByName(t.store, keras.runIds);
    const colab = k.get('loop_noise5_cbamconcat_rms10_batchsize512/validation')!;
    for (const key of ['epoch_loss', 'epoch_Euclidean', 'epoch_cosine_similarity']) assert.equal(counts(colab)[key], 1000);
    const evalSteps = t.store.metricHistory(colab.info.id, 'evaluation_loss_vs_iterations').map((p) => p.step);
    assert.deepEqual([evalSteps.length, evalSteps[0], evalSteps.at(-1)], [1000, 5, 5000]);
    const windows = k.get('loop_noise5_cbamconcat_rms1_batchsize512/validation')!;
    assert.deepEqual(counts(windows), { epoch_Euclidean: 1000, epoch_cosine_similarity: 1000, epoch_loss: 1000 });

    const study = importRuns(t.store, { path: fixture('tensorboard', 'ZeroToMax-ZYZ__study_tensorboard') });
    const z = runsByName(t.store, study.runIds);
    assert.deepEqual(counts(z.get('runs/experiment_lr_0.1')!), { 'Train/Loss': 50 });
    assert.deepEqual(counts(z.get('runs/my_first_experiment')!), { 'Metrics/Accuracy': 200, 'Metrics/Loss': 200 });
    const hp = z.get('runs/hparams_search_exp_1/1771595857.3236299')!;
    assert.deepEqual(counts(hp), { 'hparam/Final_Val_Accuracy': 1, 'hparam/Final_Val_Loss': 1 });
    assert.deepEqual(hp.params, { batch_size: '32', lr: '0.1', optimizer: 'SGD' });
    assert.equal(hp.tags['loopline.import.hparams.metrics'], 'hparam/Final_Val_Accuracy,hparam/Final_Val_Loss');
    assert.equal(study.notImported.histograms, 10);
    assert.equal(study.notImported['pr_curves tensors'], 5);
    assert.equal(study.notImported.graphs, 1);
    assert.equal(z.get('runs/histogram_experiment')!.metrics.length, 0);

    const fit = importRuns(t.store, { path: fixture('tensorboard', 'pedramfekri__OCTTextureDetector') });
    const f = runsByName(t.store, fit.runIds);
    assert.deepEqual(counts(f.get('Train/logs/fit/20220106-123415/train')!), { epoch_accuracy: 50, epoch_loss: 50 });
    assert.equal(fit.notImported['graph_keras_model tensors'], 1);
    const val = t.store.metricHistory(f.get('Train/logs/fit/20220106-123415/validation')!.info.id, 'evaluation_loss_vs_iterations');
    assert.deepEqual([val[0]!.step, val.at(-1)!.step], [210, 10500]);

    const dup = importRuns(t.store, { path: fixture('tensorboard', 'janosh__tensorboard-reducer') });
    const d = runsByName(t.store, dup.runIds);
    const dupRun = d.get('tests/runs/duplicate_steps/run_1')!;
    assert.deepEqual(counts(dupRun), { 'dup_steps/bar': 210, 'dup_steps/foo': 210 });
    const at95 = t.store.metricHistory(dupRun.info.id, 'dup_steps/foo').filter((p) => p.step === 95);
    assert.equal(at95.length, 2, 'a step written twice is kept twice');
    assert.deepEqual(Object.keys(counts(d.get('tests/runs/lax/run_2')!)).sort(), ['lax/bar_2', 'lax/bar_3', 'lax/foo']);
    assert.equal(counts(d.get('tests/runs/lax/run_3')!)['lax/foo'], 130);

    const tiny = importRuns(t.store, { path: fixture('tensorboard', 'dfalbel__tfevents-js') });
    const hello = t.store.getRun(tiny.runIds[0]!);
    assert.deepEqual(hello.metrics.map((m) => [m.key, m.last, m.lastStep]), [['hello', 1, 0]]);
  } finally {
    t.cleanup();
  }
});

function copyDupSteps(dir: string): string {
  const runDir = copyFixture(join(dir, 'logs', 'run_1'), 'tensorboard', 'janosh__tensorboard-reducer', 'tests', 'runs', 'duplicate_steps', 'run_1');
  return join(runDir, readdirSync(runDir)[0]!);
}

test('a bit-flipped record and a damaged length header are skipped and counted; the rest imports', () => {
  const t = tempStore();
  const src = tempDir();
  try {
    const file = copyDupSteps(src.dir);
    const bytes = readFileSync(file);
    const offsets = recordOffsets(bytes);
    assert.equal(offsets.length, 421);
    bytes[offsets[100]! + 20]! ^= 0x04; // inside record 100's data
    bytes[offsets[300]! + 2]! ^= 0x01; // record 300's length
    writeFileSync(file, bytes);
    const s = importRuns(t.store, { path: join(src.dir, 'logs') });
    assert.equal(s.skipped.length, 2, JSON.stringify(s.skipped));
    assert.match(s.skipped[0]!.message, /record 100: data checksum mismatch/);
    assert.equal(s.skipped[0]!.position, `byte ${offsets[100]}`);
    assert.match(s.skipped[1]!.message, /record 300: damaged length header/);
    assert.equal(s.skipped[0]!.file, file);
    const run = t.store.getRun(s.runIds[0]!);
    const total = run.metrics.reduce((n, m) => n + m.count, 0);
    assert.equal(total, 418, '420 points less the two damaged records');
  } finally {
    t.cleanup();
    src.cleanup();
  }
});

test('a truncated event file imports every whole record and reports the cut one', () => {
  const t = tempStore();
  const src = tempDir();
  try {
    const file = copyDupSteps(src.dir);
    const bytes = readFileSync(file);
    const offsets = recordOffsets(bytes);
    writeFileSync(file, bytes.subarray(0, offsets[250]! + 30));
    const s = importRuns(t.store, { path: join(src.dir, 'logs') });
    assert.equal(s.skipped.length, 1);
    assert.match(s.skipped[0]!.message, /record 250: truncated/);
    const run = t.store.getRun(s.runIds[0]!);
    assert.equal(run.metrics.reduce((n, m) => n + m.count, 0), 249, 'records 1..249 (record 0 is file_version)');
  } finally {
    t.cleanup();
    src.cleanup();
  }
});

test('TensorBoard re-import is idempotent; after the writer appended, only the new points and new run arrive', () => {
  const t = tempStore();
  const src = tempDir();
  try {
    const logdir = join(src.dir, 'tb');
    mkdirSync(join(logdir, 'a'), { recursive: true });
    const file = join(logdir, 'a', 'events.out.tfevents.1700000000.host.1.0');
    const recs = [fileVersionRecord(1700000000)];
    for (let step = 0; step < 100; step++) recs.push(scalarEventRecord(1700000000 + step, step, 'loss', 1 / (step + 1)));
    writeFileSync(file, Buffer.concat(recs));
    const first = importRuns(t.store, { path: logdir, experiment: 'mine' });
    assert.equal(first.metricPoints.added, 100);
    assert.equal(t.store.getRun(first.runIds[0]!).info.experimentId, t.store.getExperimentByName('mine').id);
    const again = importRuns(t.store, { path: logdir, experiment: 'mine' });
    assert.deepEqual([again.runs.created, again.runs.unchanged, again.metricPoints.added], [0, 1, 0]);

    const more = [];
    for (let step = 100; step < 150; step++) more.push(scalarEventRecord(1700000000 + step, step, 'loss', 1 / (step + 1)));
    appendFileSync(file, Buffer.concat(more));
    mkdirSync(join(logdir, 'b'));
    writeFileSync(join(logdir, 'b', 'events.out.tfevents.1700000500.host.2.0'), scalarEventRecord(1700000500, 0, 'loss', 0.5));
    const grown = importRuns(t.store, { path: logdir, experiment: 'mine' });
    assert.deepEqual([grown.runs.created, grown.runs.updated, grown.metricPoints.added], [1, 1, 51]);
    const loss = t.store.getRun(first.runIds[0]!).metrics[0]!;
    assert.deepEqual([loss.count, loss.lastStep], [150, 149]);
    assert.equal(loss.last, Math.fround(1 / 150));
  } finally {
    t.cleanup();
    src.cleanup();
  }
});

test('a run bigger than one write chunk imports exactly, re-imports as unchanged, and a cancel after chunks were written leaves nothing', () => {
  const src = tempDir();
  const t = tempStore();
  try {
    // 2 tags x 200,000 points: each tag's first 131,328 points (growing buffers, then a full
    // 65,536-point chunk) are written while the file is still being read.
    const dir = join(src.dir, 'big');
    mkdirSync(dir, { recursive: true });
    const records: Buffer[] = [fileVersionRecord(1_700_000_000)];
    for (let step = 0; step < 200_000; step++) {
      records.push(scalarEventRecord(1_700_000_000 + step * 0.01, step, 'loss', Math.fround(1 / (step + 1))));
      records.push(scalarEventRecord(1_700_000_000 + step * 0.01, step, 'acc', Math.fround(step / 200_000)));
    }
    writeFileSync(join(dir, 'events.out.tfevents.1700000000.host.1.0'), Buffer.concat(records));

    // Cancelled once the reader is past the first written chunks (the reader asks every 1,024
    // records): the run must not appear at all.
    let checks = 0;
    const cancelled = importRuns(t.store, { path: src.dir, isCancelled: () => ++checks > 350 });
    assert.equal(cancelled.cancelled, true);
    assert.equal(t.store.db.prepare('SELECT COUNT(*) FROM runs').pluck().get(), 0, 'a cancelled run leaves no run behind');
    assert.equal(t.store.db.prepare('SELECT COUNT(*) FROM metric_blocks').pluck().get(), 0, 'nor any of its points');

    const s = importRuns(t.store, { path: src.dir });
    assert.equal(s.metricPoints.added, 400_000);
    const run = t.store.getRun(s.runIds[0]!);
    assert.deepEqual(counts(run), { acc: 200_000, loss: 200_000 });
    const loss = t.store.metricHistory(run.info.id, 'loss');
    assert.equal(loss.length, 200_000);
    assert.ok(loss.every((p, i) => p.step === i && p.value === Math.fround(1 / (i + 1))), 'every point in order with its value');
    assert.equal(run.info.startTime, 1_700_000_000_000);

    const again = importRuns(t.store, { path: src.dir });
    assert.equal(again.metricPoints.added, 0);
    assert.equal(again.runs.unchanged, 1);
    assert.deepEqual(counts(t.store.getRun(run.info.id)), { acc: 200_000, loss: 200_000 });
  } finally {
    t.cleanup();
    src.cleanup();
  }
});
