// The Compare panel's read-ahead of its first chart (src/extension/webviews/series-prefetch.ts):
// started with the page's width hint in the store's read worker, taken by the matching request
// (the same answer a request would read), and not by a request for another width, axis or zoom;
// or started as the panel opens, at the width the last page's charts had, and then sent with init.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreReader } from '../src/core/store/store-reader.ts';
import { SeriesFeed } from '../src/extension/webviews/series-feed.ts';
import { firstChartRead, SeriesPrefetch } from '../src/extension/webviews/series-prefetch.ts';
import { toCompareInit } from '../src/extension/webviews/run-messages.ts';
import { firstChartBuckets } from '../src/protocol/compare-protocol.ts';
import { tempStore } from './helpers/temp-store.ts';

let t: ReturnType<typeof tempStore>;
let reader: StoreReader;
const ids: string[] = [];

before(() => {
  t = tempStore();
  for (let r = 0; r < 3; r++) {
    const id = t.store.createRun({ name: `run-${r}` }).info.id;
    ids.push(id);
    t.store.logBatch(id, { metrics: Array.from({ length: 20_000 }, (_, s) => ({ key: 'loss', value: Math.cos(s / 300 + r), step: s, timestamp: 1_700_000_000_000 + s })) }, { enforceLimits: false });
  }
  reader = new StoreReader(t.dbPath);
});

after(async () => {
  await reader.close();
  t.cleanup();
});

test('the read-ahead answers the matching request with what that request would have read, once', async () => {
  const reads = reader.channel();
  try {
    const feed = new SeriesFeed(t.store);
    const prefetch = new SeriesPrefetch();
    prefetch.start(feed, reads, ids, 'loss', 'step', 276);
    const ahead = prefetch.take(feed, { key: 'loss', xAxis: 'step', buckets: 276, range: null });
    assert.ok(ahead, 'taken by the request it was read for');
    const direct = await new SeriesFeed(t.store).answerOffThread(reads, ids, 'loss', 'step', 276, null);
    assert.deepEqual(await ahead, direct);
    assert.equal(prefetch.take(feed, { key: 'loss', xAxis: 'step', buckets: 276, range: null }), undefined, 'only once');
  } finally {
    reads.dispose();
  }
});

test('a request for another width, axis, metric, a zoom or another selection reads for itself', async () => {
  const reads = reader.channel();
  try {
    const feed = new SeriesFeed(t.store);
    const prefetch = new SeriesPrefetch();
    const asked = { key: 'loss', xAxis: 'step' as const, buckets: 276, range: null };
    for (const other of [{ ...asked, buckets: 275 }, { ...asked, xAxis: 'wall' as const }, { ...asked, key: 'acc' }, { ...asked, range: { minStep: 0, maxStep: 99 } }]) {
      prefetch.start(feed, reads, ids, 'loss', 'step', 276);
      assert.equal(prefetch.take(feed, other), undefined, JSON.stringify(other));
    }
    prefetch.start(feed, reads, ids, 'loss', 'step', 276);
    assert.equal(prefetch.take(new SeriesFeed(t.store), asked), undefined, 'the runs changed meanwhile (a new feed)');
    prefetch.start(feed, reads, ids, 'loss', 'step', 276);
    prefetch.clear();
    assert.equal(prefetch.take(feed, asked), undefined, 'cleared');
    // A read-ahead cancelled with its channel (the panel closed) leaves nothing unhandled.
    prefetch.start(feed, reads, ids, 'loss', 'step', 276);
    reads.cancel();
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    reads.dispose();
  }
});

/** A panel opening on the runs: its feed, its init, and the widths its charts had last time. */
function openedPanel() {
  return { feed: new SeriesFeed(t.store), init: toCompareInit(ids.map((id) => t.store.getRun(id)), 'panel'), last: { xAxis: 'step' as const, widths: [1104, 552], zoomed: [] as string[] } };
}

test('read as the panel opens at the remembered width: init carries the series when the page says that width, else goes out plain and the request takes the read', async () => {
  const reads = reader.channel();
  try {
    const { feed, init, last } = openedPanel();
    const buckets = firstChartBuckets(last, init.metricKeys.length)!;

    const prefetch = new SeriesPrefetch();
    prefetch.startEarly(feed, reads, ids, init, last);
    await prefetch.current;
    // The page is as wide as last time: init goes out with the series, exactly what a request would read.
    const same = prefetch.initWithFirstChart(feed, reads, ids, init, last);
    assert.equal(same.message.firstSeries?.key, 'loss');
    assert.equal(same.message.firstSeries?.buckets, buckets);
    assert.deepEqual(same.message.firstSeries?.series, await new SeriesFeed(t.store).answerOffThread(reads, ids, 'loss', 'step', buckets, null));

    // Still in flight at ready, at this width: init goes out plain, no second read starts, and the chart's request takes this one.
    const slow = new SeriesPrefetch();
    slow.startEarly(feed, reads, ids, init, last);
    const inFlight = slow.current;
    const plainInit = slow.initWithFirstChart(feed, reads, ids, init, last);
    assert.equal(plainInit.message.firstSeries, undefined);
    plainInit.then();
    assert.equal(slow.current, inFlight, 'no second read');
    const taken = slow.take(feed, { key: 'loss', xAxis: 'step', buckets, range: null });
    assert.equal(taken, inFlight);
    await taken;

    // Resized since: init goes out plain, and the read for the new width starts after init is posted, in place of the other.
    const early = new SeriesPrefetch();
    early.startEarly(feed, reads, ids, init, last);
    await early.current;
    const wider = { ...last, widths: [1400] };
    const other = early.initWithFirstChart(feed, reads, ids, init, wider);
    assert.equal(other.message.firstSeries, undefined);
    other.then();
    const answer = early.take(feed, { key: 'loss', xAxis: 'step', buckets: firstChartBuckets(wider, 1)!, range: null });
    assert.ok(answer, 'the request for the new width takes the read started with init');
    assert.equal((await answer)[0]!.steps.length > 0, true);

    // The first chart zoomed in the page's state: no read ahead of its request, no series with init.
    const zoomed = new SeriesPrefetch();
    zoomed.startEarly(feed, reads, ids, init, { ...last, zoomed: ['loss'] });
    assert.equal(zoomed.current, undefined);
    const plain = zoomed.initWithFirstChart(feed, reads, ids, init, { ...last, zoomed: ['loss'] });
    assert.deepEqual(plain.message, init);
    // The docked view's compact grid is not measured: nothing read ahead.
    assert.equal(firstChartRead({ ...init, mode: 'inline' }, last), undefined);
  } finally {
    reads.dispose();
  }
});

test('init posted as the panel opened: at the page\'s ready, nothing is read again when it carried that chart; a page of another width gets its read started', async () => {
  const reads = reader.channel();
  try {
    const { feed, init, last } = openedPanel();
    const prefetch = new SeriesPrefetch();
    prefetch.startEarly(feed, reads, ids, init, last);
    await prefetch.current;
    const pushed = prefetch.initWithFirstChart(feed, reads, ids, init, last).message;
    const current = () => prefetch.current;
    assert.ok(pushed.firstSeries, 'the read was in: init carries it');
    assert.equal(current(), undefined, 'taken by init');

    // The page says the same width: its chart draws init's series; nothing to read.
    prefetch.readFirstChart(feed, reads, ids, pushed, last);
    assert.equal(current(), undefined, 'nothing read again');

    // The page is wider: its chart will ask for its own width; the read starts now and the request takes it.
    const wider = { ...last, widths: [1400] };
    prefetch.readFirstChart(feed, reads, ids, pushed, wider);
    const started = current();
    assert.ok(started);
    const buckets = firstChartBuckets(wider, init.metricKeys.length)!;
    assert.notEqual(buckets, pushed.firstSeries!.buckets);
    assert.equal(prefetch.take(feed, { key: 'loss', xAxis: 'step', buckets, range: null }), started);
    assert.equal((await started)[0]!.steps.length > 0, true);
  } finally {
    reads.dispose();
  }
});
