import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectFormat } from '../src/core/importers/format-detection.ts';
import { importRuns } from '../src/core/importers/run-import.ts';
import type { RunStore } from '../src/core/store/run-store.ts';
import type { Run } from '../src/core/store/types.ts';
import { copyFixture, fixture } from './helpers/import-fixtures.ts';
import { tempDir, tempStore } from './helpers/temp-store.ts';

function imported(store: RunStore, path: string) {
  const s = importRuns(store, { path });
  const runs = new Map<string, Run>(s.runIds.map((id) => store.getRun(id)).map((r) => [r.info.name, r]));
  return { s, runs };
}

const counts = (r: Run) => Object.fromEntries(r.metrics.map((m) => [m.key, m.count]));

test('DVCLive 2.x layout (dvc.yaml at the root): nested names from the folder, steps with gaps, params, summary agrees', () => {
  const t = tempStore();
  try {
    const path = fixture('dvclive', 'dberenbaum__dvclive-fabric');
    assert.equal(detectFormat(path), 'dvclive');
    const { s, runs } = imported(t.store, path);
    assert.deepEqual(s.skipped, []);
    const run = runs.get('dvclive')!;
    assert.deepEqual(counts(run), { loss: 470, 'test/acc': 5, 'test/loss': 5 });
    const loss = t.store.metricHistory(run.info.id, 'loss').map((p) => p.step);
    assert.deepEqual([loss[0], loss.at(-1)], [1, 474]);
    for (const gap of [95, 190, 285, 380]) assert.ok(!loss.includes(gap));
    assert.deepEqual(t.store.metricHistory(run.info.id, 'test/acc').map((p) => p.step), [95, 190, 285, 380, 475]);
    assert.equal(run.metrics.find((m) => m.key === 'test/acc')!.last, 99.04999542236328);
    assert.deepEqual(run.params, { batch_size: '64', epochs: '5', lr: '1.0', gamma: '0.7', dry_run: 'false', seed: '1', log_interval: '10', save_model: 'true' });
    assert.equal(run.info.status, 'FINISHED');
  } finally {
    t.cleanup();
  }
});

test('DVCLive dvc.yaml inside dvclive/, negative values; 0.x top-level TSVs with timestamps and dvclive.json', () => {
  const t = tempStore();
  try {
    const a = imported(t.store, fixture('dvclive', 'omesser__dvclive_start'));
    const start = a.runs.get('dvclive')!;
    assert.deepEqual(counts(start), { accuracy: 9, loss: 9 });
    assert.ok(start.metrics.find((m) => m.key === 'accuracy')!.min! < 0);
    assert.equal(start.metrics.find((m) => m.key === 'accuracy')!.last, -8.767753838198734);
    assert.deepEqual(start.params, { learning_rate: '0.002', optimizer: 'Adam', epochs: '10' });

    const b = imported(t.store, fixture('dvclive', 'iterative__example-dvc-experiments'));
    const old = b.runs.get('dvclive')!;
    assert.deepEqual(counts(old), { acc: 10, loss: 10, val_acc: 10, val_loss: 10 });
    const acc = t.store.metricHistory(old.info.id, 'acc');
    assert.deepEqual([acc[0]!.step, acc[0]!.timestamp, acc[0]!.value], [0, 1644420777053, 0.9057999849319458]);
    assert.equal(old.info.startTime, 1644420777053);
    assert.deepEqual(old.params, { 'train.epochs': '10', 'model.conv_units': '16' });
    assert.deepEqual(b.s.skipped, []);
  } finally {
    t.cleanup();
  }
});

test('DVCLive legacy scalars/ with a custom dir and a stale second dir; new layout with a custom dir and uneven lengths', () => {
  const t = tempStore();
  try {
    const old = imported(t.store, fixture('dvclive', 'iterative__magnetic-tiles-defect', 'at-780786a'));
    assert.deepEqual([...old.runs.keys()].sort(), ['dvclive', 'dvclive-metrics']);
    const main = old.runs.get('dvclive-metrics')!;
    assert.deepEqual(counts(main), { dice: 16, epoch: 16, 'eval/loss': 16, jaccard_coeff: 16, 'train/loss': 16 });
    const epoch = t.store.metricHistory(main.info.id, 'epoch');
    assert.deepEqual(epoch.slice(0, 2).map((p) => [p.step, p.value]), [[0, 0], [1, 0]]);
    assert.equal(main.metrics.find((m) => m.key === 'train/loss')!.last, 0.0563247911632061);
    assert.equal(main.params['train.augmentations.max_rotate'], '10.0');
    assert.equal(main.params['data_split.test_pct'], '0.20');
    const stale = old.runs.get('dvclive')!;
    assert.deepEqual(counts(stale), { dice_multi: 11, epoch: 11, 'eval/loss': 11, 'train/loss': 11 });
    assert.ok(stale.info.startTime < main.info.startTime, 'the stale dir holds older timestamps');

    const head = imported(t.store, fixture('dvclive', 'iterative__magnetic-tiles-defect', 'at-41a057c'));
    assert.deepEqual([...head.runs.keys()], ['training']);
    const training = head.runs.get('training')!;
    assert.deepEqual(counts(training), { dice: 7, epoch: 31, 'eval/loss': 7, jaccard_coeff: 7, 'train/loss': 7 });
    assert.equal(training.params.model, 'DynamicUnet');
  } finally {
    t.cleanup();
  }
});

test('DVCLive: a bad TSV row is skipped and reported; a summary that disagrees becomes the final value and is reported; re-import adds only appended rows', () => {
  const t = tempStore();
  const src = tempDir();
  try {
    const root = copyFixture(join(src.dir, 'proj'), 'dvclive', 'omesser__dvclive_start');
    const tsv = join(root, 'dvclive', 'plots', 'metrics', 'loss.tsv');
    appendFileSync(tsv, '9\tnot-a-number\n');
    writeFileSync(join(root, 'dvclive', 'metrics.json'), JSON.stringify({ accuracy: -8.767753838198734, loss: 1.5, step: 9 }));
    const first = importRuns(t.store, { path: root });
    assert.equal(first.skipped.length, 2, JSON.stringify(first.skipped));
    const row = first.skipped.find((p) => p.file === tsv)!;
    assert.equal(row.position, 'line 11');
    const summary = first.skipped.find((p) => p.file.endsWith('metrics.json'))!;
    assert.match(summary.message, /final value 1\.5 differs from the last TSV value .* imported as the final value at step 9/);
    const run = t.store.getRun(first.runIds[0]!);
    const loss = run.metrics.find((m) => m.key === 'loss')!;
    assert.deepEqual([loss.count, loss.last, loss.lastStep], [10, 1.5, 9]);

    assert.equal(importRuns(t.store, { path: root }).metricPoints.added, 0);
    appendFileSync(join(root, 'dvclive', 'plots', 'metrics', 'accuracy.tsv'), '9\t-9.5\n10\t-10.5\n');
    const grown = importRuns(t.store, { path: root });
    assert.deepEqual([grown.runs.created, grown.metricPoints.added], [0, 2 + 1], 'two rows, plus the summary value that now differs');
    assert.equal(t.store.getRun(run.info.id).metrics.find((m) => m.key === 'accuracy')!.count, 12);
  } finally {
    t.cleanup();
    src.cleanup();
  }
});
