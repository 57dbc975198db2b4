// The store watcher (src/core/store/store-watcher.ts), on a real store written by another
// connection: a commit is noticed and reported; a burst of commits (a script logging through the
// server) makes a few change events and a few store checks, not one per file event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunStore } from '../src/core/store/run-store.ts';
import { StoreWatcher } from '../src/core/store/store-watcher.ts';
import { tempStore } from './helpers/temp-store.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a commit by another connection is reported; a burst of commits makes few events and few store checks', async () => {
  const t = tempStore();
  const reader = RunStore.open(t.dbPath, { readonly: true });
  let checks = 0;
  const dataVersion = reader.dataVersion.bind(reader);
  reader.dataVersion = () => {
    checks++;
    return dataVersion();
  };
  const watcher = new StoreWatcher(reader, { debounceMs: 250, pollMs: 60_000 });
  let events = 0;
  watcher.onDidChange(() => events++);
  try {
    const exp = t.store.createExperiment('live').id;
    const run = t.store.createRun({ experimentId: exp, name: 'r', startTime: 1 }).info.id;
    for (let i = 0; i < 100 && events === 0; i++) await sleep(20);
    assert.ok(events >= 1, 'the commit was reported');
    // A second of logging: a commit every ~2 ms, each moving the WAL (many file events).
    await sleep(300);
    events = 0;
    checks = 0;
    const until = Date.now() + 1000;
    let commits = 0;
    for (let step = 0; Date.now() < until; step++) {
      t.store.logBatch(run, { metrics: [{ key: 'loss', value: 1 / (step + 1), step, timestamp: step }] });
      commits++;
      if (step % 20 === 0) await sleep(1);
    }
    await sleep(400);
    assert.ok(commits > 100, `the burst made ${commits} commits`);
    assert.ok(events >= 2 && events <= 7, `${events} change events for a second of commits (one per 250 ms window)`);
    assert.ok(checks <= 60, `${checks} store checks for ${commits} commits (at most one per 30 ms)`);
  } finally {
    watcher.dispose();
    reader.close();
    t.cleanup();
  }
});
