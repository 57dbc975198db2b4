// The Experiments view's filter searches run in the store's read worker (not on the extension
// host's thread): the view shows "Searching…" until the first answer, then the matching page; a
// store change keeps the old rows until the new answer; a changed filter cancels what is queued.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ExperimentsModel, type Node, type StoreRef } from '../src/extension/experiments/experiments-model.ts';
import { OffThreadRunSearch } from '../src/extension/experiments/run-id-search.ts';
import { StoreReader } from '../src/core/store/store-reader.ts';
import { tempStore } from './helpers/temp-store.ts';

let t: ReturnType<typeof tempStore>;
let reader: StoreReader;
let search: OffThreadRunSearch;
let found = 0;
let expId = '';
const N = 450;

before(() => {
  t = tempStore();
  expId = t.store.createExperiment('sweep').id;
  t.store.db.transaction(() => {
    for (let i = 0; i < N; i++) {
      t.store.createRun({ experimentId: expId, name: `trial-${i}`, startTime: 1_000 + i, params: [{ key: 'lr', value: String(i % 3) }] });
    }
  })();
  reader = new StoreReader(t.dbPath);
  search = new OffThreadRunSearch(reader.channel(), () => found++);
});

after(async () => {
  search.dispose();
  await reader.close();
  t.cleanup();
});

const labels = (model: ExperimentsModel, nodes: Node[]) => nodes.map((n) => model.view(n).label);

test('a filter is answered by the read worker; the view pages the answer and says when nothing matches', async () => {
  const ref: StoreRef = { id: 'file:///ws', name: 'ws', store: t.store, search };
  const model = new ExperimentsModel({ pageSize: 100, primaryMetric: '' });
  const exp = model.roots([ref])[0]!;
  model.filter = { expression: "params.lr = '1'" };
  assert.deepEqual(labels(model, model.children(exp)), ['Searching…'], 'nothing read on this thread');
  await search.settled();
  assert.equal(found, 1, 'the answer asks the view to render again');
  const kids = model.children(exp);
  // lr = 1 for i % 3 == 1: 150 runs, newest first; a page of 100 and "Load more".
  assert.deepEqual(kids.slice(0, 2).map((n) => model.view(n).label), ['trial-448', 'trial-445']);
  assert.deepEqual(kids.map((n) => n.kind).filter((k) => k === 'run').length, 100);
  assert.equal(kids.at(-1)!.kind, 'more');

  model.filter = { expression: "params.lr = '7'" };
  model.children(exp);
  await search.settled();
  assert.deepEqual(labels(model, model.children(exp)), ["No runs match the filter (params.lr = '7')"]);

  // A bad comparison that only the store can find comes back as a message row, not a crash.
  model.filter = { expression: "attributes.run_name < 5" };
  model.children(exp);
  await search.settled();
  const [err] = model.children(exp);
  assert.equal(err!.kind, 'message');
  assert.match(model.view(err!).label, /attributes are strings and support =/);
});

test('after a store change the previous rows stay until the new answer; a reset cancels queued searches', async () => {
  const ref: StoreRef = { id: 'file:///ws', name: 'ws', store: t.store, search };
  const model = new ExperimentsModel({ pageSize: 500, primaryMetric: '' });
  const exp = model.roots([ref])[0]!;
  model.filter = { text: 'trial-44' };
  model.children(exp);
  await search.settled();
  const before = labels(model, model.children(exp));
  assert.equal(before.length, 11); // trial-44 and trial-440..449
  t.store.createRun({ experimentId: expId, name: 'trial-4400', startTime: 9_999 });
  search.invalidate();
  assert.deepEqual(labels(model, model.children(exp)), before, 'no flicker to "Searching…"');
  await search.settled();
  assert.equal(labels(model, model.children(exp))[0], 'trial-4400');

  // A new filter drops the old answers and cancels what is still queued in the worker.
  model.filter = { text: 'trial-1' };
  model.children(exp);
  search.reset();
  await search.settled();
  assert.deepEqual(labels(model, model.children(exp)), ['Searching…'], 'the cancelled search left no answer');
  await search.settled();
  assert.ok(labels(model, model.children(exp)).every((l) => l.startsWith('trial-1')));
});
