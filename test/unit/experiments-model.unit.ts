import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExperimentsModel, describeFilter, filterExpression, primaryMetric, type Node, type StoreRef } from '../../src/extension/experiments/experiments-model.ts';
import { parseFilter } from '../../src/core/store/run-filter.ts';
import { tempStore } from '../helpers/temp-store.ts';

// The Experiments view's logic in plain Node, on a real SQLite store.
function seeded() {
  const t = tempStore();
  const exp = t.store.createExperiment('sweep');
  const runs = [0.01, 0.1, 0.5].map((lr, i) => {
    const r = t.store.createRun({ experimentId: exp.id, name: `lr-${lr}`, startTime: 1_000 + i * 1000, params: [{ key: 'lr', value: String(lr) }, { key: 'batch', value: '32' }] });
    t.store.logBatch(r.info.id, { metrics: [{ key: 'val_accuracy', value: 0.9 + i * 0.01 + 0.000123, timestamp: 2_000, step: 1 }, { key: 'loss', value: 1 / (i + 1), timestamp: 2_000, step: 1 }] });
    if (i < 2) t.store.updateRun(r.info.id, { status: 'FINISHED', endTime: 1_000 + i * 1000 + 65_000 });
    return r;
  });
  const ref: StoreRef = { id: 'file:///ws', name: 'ws', store: t.store };
  return { ...t, exp, runs, ref };
}

test('the empty Default experiment is hidden; experiments show their run counts', () => {
  const t = seeded();
  try {
    const model = new ExperimentsModel({ pageSize: 200, primaryMetric: '' });
    const roots = model.roots([t.ref]);
    assert.deepEqual(roots.map((n) => model.view(n).label), ['sweep']);
    assert.equal(model.view(roots[0]!).description, '3 runs');
  } finally {
    t.cleanup();
  }
});

test('a run row: primary metric first, the varying param, duration and age; running runs say so', () => {
  const t = seeded();
  try {
    const now = 1_000 + 10 * 60_000;
    const model = new ExperimentsModel({ pageSize: 200, primaryMetric: '', now: () => now });
    const runs = model.children(model.roots([t.ref])[0]!);
    const views = runs.map((n) => model.view(n));
    assert.deepEqual(views.map((v) => v.label), ['lr-0.5', 'lr-0.1', 'lr-0.01'], 'newest first');
    // val_accuracy wins over loss; digits from its range across the runs (0.9001, 0.9101, 0.9201).
    assert.match(views[2]!.description!, /^val_accuracy 0\.9001 · lr=0\.01 · 1 m 05 s · 10 m ago$/);
    assert.doesNotMatch(views[2]!.description!, /batch/, 'a param equal in every run says nothing');
    assert.match(views[0]!.description!, / · running 9 m 58 s$/);
    assert.equal(views[0]!.icon, 'sync~spin');
    assert.equal(views[1]!.icon, 'pass');
    assert.equal(views[0]!.contextValue, 'run.RUNNING.active');
    assert.match(views[1]!.tooltip!, /^lr-0\.1 — finished\n/);
  } finally {
    t.cleanup();
  }
});

test('pages of runs end in a "Load more" row that grows the page', () => {
  const t = seeded();
  try {
    const model = new ExperimentsModel({ pageSize: 2, primaryMetric: '' });
    const exp = model.roots([t.ref])[0]!;
    let kids = model.children(exp);
    assert.deepEqual(kids.map((n) => n.kind), ['run', 'run', 'more']);
    assert.equal(model.view(kids[2]!).label, 'Load more runs… (2 of 3 shown)');
    model.loadMore(t.ref, t.exp.id);
    kids = model.children(exp);
    assert.deepEqual(kids.map((n) => n.kind), ['run', 'run', 'run']);
  } finally {
    t.cleanup();
  }
});

test('sorting by a metric, filtering, and the message when nothing matches', () => {
  const t = seeded();
  try {
    const model = new ExperimentsModel({ pageSize: 200, primaryMetric: 'loss' });
    const exp = model.roots([t.ref])[0]!;
    model.sort = { by: 'metric', key: 'loss', descending: false };
    assert.deepEqual(model.children(exp).map((n) => model.view(n).label), ['lr-0.5', 'lr-0.1', 'lr-0.01']);
    assert.match(model.view(model.children(exp)[0]!).description!, /^loss 0\.333 · /, 'the configured primary metric, digits from its spread');
    model.filter = { statuses: ['FINISHED'], text: "lr-0.'1" };
    assert.ok(model.filterActive());
    const none = model.children(exp);
    assert.equal(none.length, 1);
    assert.equal((none[0] as Extract<Node, { kind: 'message' }>).label, `No runs match the filter (${describeFilter(model.filter)})`);
    model.filter = { statuses: ['FINISHED'], text: 'lr-0.1' };
    assert.deepEqual(model.children(exp).map((n) => model.view(n).label), ['lr-0.1']);
  } finally {
    t.cleanup();
  }
});

test('filter expressions quote what the user typed, so they always parse', () => {
  const expr = filterExpression({ text: "it's", statuses: ['FAILED', 'KILLED'], tag: { key: 'we`ird', value: "o'k" }, expression: 'metrics.acc > 0.5' });
  assert.equal(expr, "attributes.run_name ILIKE '%it''s%' and attributes.status IN ('FAILED', 'KILLED') and tags.`weird` = 'o''k' and metrics.acc > 0.5");
  assert.doesNotThrow(() => parseFilter(expr));
  assert.equal(filterExpression({}), '');
});

test('primaryMetric: the configured key, else a well-known one, else the first', () => {
  const run = { metrics: [{ key: 'z' }, { key: 'loss' }, { key: 'f1' }] } as never;
  assert.equal(primaryMetric(run, '')?.key, 'f1');
  assert.equal(primaryMetric(run, 'z')?.key, 'z');
  assert.equal(primaryMetric(run, 'missing'), undefined);
  assert.equal(primaryMetric({ metrics: [{ key: 'q' }] } as never, '')?.key, 'q');
});
