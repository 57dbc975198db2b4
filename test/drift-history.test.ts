// Drift history over sliding windows of captured requests, drift episodes (warned once), chunked
// capture-log reading and bad inputs: a real store, a real iris run, the real CLI. The capture log
// is written in the proxy relay's line format (the relay itself is tested in capture-monitor.test.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureStore } from '../src/core/capture/capture-store.ts';
import { captureLogPath } from '../src/core/capture/deployment-watch.ts';
import { DriftHistory } from '../src/core/capture/drift-history.ts';
import { commandWithData } from '../src/core/capture/retrain.ts';
import { Retrains } from '../src/core/capture/retrain-records.ts';
import { exportLabelledTraffic } from '../src/core/capture/retrain-data.ts';
import { DeploymentRecords } from '../src/core/deploy/deployment-records.ts';
import { registryWithDeployments } from '../src/core/deploy/registry-with-deployments.ts';
import { seededRandom } from '../src/core/monitoring/seeded-random.ts';
import { RunStore } from '../src/core/store/run-store.ts';
import { runCli } from './helpers/cli.ts';
import { seedIrisWorkspace } from './helpers/seed-workspace.ts';
import { tempDir } from './helpers/temp-store.ts';

let t: ReturnType<typeof tempDir>;
let dir = '';
let log = '';
let iris: Array<{ x: number[]; species: string }> = [];
const rnd = seededRandom(11);
let seq = 0;
const truth = new Map<string, string>();

const YAML = 'data:\n  train: iris.csv\nmonitoring:\n  window_requests: 100\n  window_step: 50\n';

before(() => {
  t = tempDir('loopline-drift-history-');
  dir = seedIrisWorkspace(join(t.dir, 'iris'), ['0.5'], 20);
  writeFileSync(join(dir, 'loopline.yaml'), YAML);
  iris = readFileSync(join(dir, 'iris.csv'), 'utf8').trim().split('\n').slice(1).map((l) => {
    const c = l.split(',');
    return { x: c.slice(0, 4).map(Number), species: c[4]! };
  });
  const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  try {
    const registry = registryWithDeployments(store);
    const run = store.searchRuns({ experimentIds: [store.getExperimentByName('iris-sweep').id] }).runs[0]!;
    registry.registerVersion({ model: 'iris', runId: run.info.id, path: 'model' });
    const now = Date.now();
    new DeploymentRecords(store.db).save({
      name: 'web', model: 'iris', port: 1, network: 'none', proxyContainer: 'none', strategy: 'blue-green', generation: 1,
      slots: [{ id: 'a', container: 'none', containerId: 'none', version: 1, alias: null, weight: 100, role: 'live' }],
      createdTime: now, updatedTime: now,
    });
    log = captureLogPath(store.path, 'web');
    mkdirSync(join(log, '..'), { recursive: true });
  } finally {
    store.close();
  }
});
after(() => t?.cleanup());

/** Requests as the relay logs them: iris rows drawn with replacement (shifted on request), answered with their species. */
function traffic(n: number, shift = 0): string[] {
  const ids: string[] = [];
  let out = '';
  for (let i = 0; i < n; i++) {
    const r = iris[Math.floor(rnd() * iris.length)]!;
    const x = r.x.map((v, j) => (j === 2 ? +(v + shift).toFixed(1) : v));
    const id = `req${++seq}`;
    ids.push(id);
    truth.set(id, r.species);
    const pred = shift ? 'virginica' : r.species;
    out += JSON.stringify({ type: 'request', time: Date.now() / 1000, request_id: id, status: 200, latency_ms: 2, request: JSON.stringify({ instances: [x] }), response: JSON.stringify({ predictions: [pred] }) }) + '\n';
  }
  appendFileSync(log, out);
  return ids;
}

async function monitor(...extra: string[]): Promise<any> {
  const res = await runCli(['monitor', 'web', '--json', '--history', '100', ...extra], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout);
}

test('sliding windows: calm traffic never alerts; a shift opens one episode, warned once, that ends when traffic is normal again', { timeout: 120_000 }, async () => {
  const first = traffic(60);
  let m = await monitor();
  assert.deepEqual(m.history.windows, [], 'no complete window of 100 requests yet');
  assert.equal(m.history.episode, null);

  traffic(340); // 400 calm requests: windows start at 0, 50, ..., 300
  m = await monitor();
  const calm = m.history.windows;
  assert.equal(calm.length, 7);
  for (const w of calm) {
    assert.equal(w.requests, 100);
    assert.equal(w.version, 1);
    assert.equal(w.alert, false, `calm window ${w.id} alerted: ${JSON.stringify(w.features)}`);
    assert.deepEqual(w.features.map((f: any) => f.name), ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    assert.equal(w.prediction.reference, 'species');
  }
  assert.equal(m.history.episode, null);
  // Windows overlap by half: each starts 50 requests after the one before.
  assert.equal(calm[1].firstRequest - calm[0].firstRequest, 50);

  traffic(200, 1.5);
  m = await monitor();
  const all = m.history.windows;
  assert.equal(all.length, 11, 'four more windows, none computed twice');
  const shifted = all.at(-1);
  assert.equal(shifted.alert, true);
  assert.deepEqual(shifted.features.filter((f: any) => f.drifted).map((f: any) => f.name), ['petal_length'], 'only the shifted feature drifts');
  assert.equal(shifted.prediction.status, 'drift');
  const ep = m.history.episode;
  assert.equal(ep.episode, 1);
  assert.ok(ep.windows >= 2, `episode windows ${ep.windows}`);
  assert.ok(ep.drifted.includes('petal_length') || ep.drifted.includes('prediction'), ep.drifted.join(','));
  assert.ok(all.filter((w: any) => w.alert).every((w: any) => w.episode === 1), 'all alerting windows of the persistent shift belong to one episode');

  // The warning is shown once per episode, whoever asks first.
  const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  try {
    const h = new DriftHistory(store.db);
    assert.equal(h.markAnnounced('web', 1), true);
    assert.equal(h.markAnnounced('web', 1), false);
    assert.equal(h.episodes('web').length, 1);
  } finally {
    store.close();
  }
  const human = await runCli(['monitor', 'web'], { cwd: dir });
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /Drift history \(windows of 100 requests, every 50\): \S{10} {2}drifting/);
  assert.match(human.stdout, /WARNING: drift episode 1 began/);

  // Back to normal: the episode ends; a second shift is a second episode.
  traffic(200);
  m = await monitor();
  assert.equal(m.history.windows.at(-1).alert, false);
  assert.equal(m.history.episode, null);
  traffic(200, 1.5);
  m = await monitor();
  assert.equal(m.history.episode.episode, 2);

  // Labels that arrive later update the accuracy of windows already computed.
  const csv = join(t.dir, 'labels.csv');
  writeFileSync(csv, `request_id,label\n${first.map((id) => `${id},wrong`).join('\n')}\n`);
  assert.equal((await runCli(['feedback', 'web', '--csv', csv], { cwd: dir })).code, 0);
  m = await monitor();
  const w0 = m.history.windows[0];
  assert.equal(w0.accuracy.labelled, 60);
  assert.equal(w0.accuracy.value, 0);

  // A label file saved by Excel (byte-order mark, CRLF line ends) imports the same way.
  const excel = join(t.dir, 'labels-excel.csv');
  writeFileSync(excel, `\ufeffrequest_id,label\r\n${first.map((id) => `${id},wrong`).join('\r\n')}\r\n`);
  const again = await runCli(['feedback', 'web', '--csv', excel], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Imported 60 labels into web/);
});

test('the capture log is read in chunks: long lines, a torn line and junk are handled, nothing twice', () => {
  const store = RunStore.open(join(t.dir, 'chunks.db'));
  try {
    const cap = new CaptureStore(store.db);
    const file = join(t.dir, 'capture.jsonl');
    const line = (i: number, body = 'x') => JSON.stringify({ type: 'request', time: 1, request_id: `r${i}`, status: 200, latency_ms: 1, request: JSON.stringify({ instances: [[body]] }), response: '{}' }) + '\n';
    writeFileSync(file, line(1) + line(2, 'y'.repeat(500)) + 'not json\n' + line(3) + '{"type":"requ');
    const a = cap.ingest('d', file, 1, 64);
    assert.deepEqual(a, { requests: 3, feedback: 0, skipped: 1 });
    appendFileSync(file, 'est"}\n' + line(4) + JSON.stringify({ type: 'feedback', time: 2, request_id: 'r4', label: 'ok' }) + '\n');
    const b = cap.ingest('d', file, 1, 64);
    assert.deepEqual(b, { requests: 1, feedback: 1, skipped: 1 }, 'the torn line, completed, is not a known record: skipped once');
    assert.deepEqual(cap.requests('d', { last: 10 }).map((r) => r.requestId), ['r1', 'r2', 'r3', 'r4']);
    assert.equal(cap.requests('d', { last: 10 })[1]!.request.length > 500, true);
    assert.deepEqual(cap.ingest('d', file, 1, 64), { requests: 0, feedback: 0, skipped: 0 });
  } finally {
    store.close();
  }
});

test('bad inputs: no reference profile, a window step larger than the window', async () => {
  writeFileSync(join(dir, 'loopline.yaml'), 'monitoring:\n  window_requests: 100\n');
  // A version registered later has no saved reference profile and the project declares no data.
  const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  try {
    const registry = registryWithDeployments(store);
    const run = store.searchRuns({ experimentIds: [store.getExperimentByName('iris-sweep').id] }).runs[0]!;
    registry.registerVersion({ model: 'other', runId: run.info.id, path: 'model' });
    const now = Date.now();
    new DeploymentRecords(store.db).save({
      name: 'noref', model: 'other', port: 2, network: 'none', proxyContainer: 'none', strategy: 'blue-green', generation: 1,
      slots: [{ id: 'a', container: 'none', containerId: 'none', version: 1, alias: null, weight: 100, role: 'live' }],
      createdTime: now, updatedTime: now,
    });
    mkdirSync(join(captureLogPath(store.path, 'noref'), '..'), { recursive: true });
    writeFileSync(captureLogPath(store.path, 'noref'), readFileSync(log, 'utf8'));
  } finally {
    store.close();
  }
  const noRef = await runCli(['monitor', 'noref'], { cwd: dir });
  assert.notEqual(noRef.code, 0);
  assert.match(noRef.stderr, /other\/1 has no reference profile: declare the training data in loopline\.yaml \(data: \{train: data\/train\.csv\}\) or pass --reference FILE/);

  writeFileSync(join(dir, 'loopline.yaml'), YAML.replace('window_step: 50', 'window_step: 150'));
  const step = await runCli(['monitor', 'web'], { cwd: dir });
  assert.notEqual(step.code, 0);
  assert.match(step.stderr, /monitoring\.window_step \(150\) must not exceed window_requests \(100\)/);
  writeFileSync(join(dir, 'loopline.yaml'), YAML);
});

const readDb = <T>(fn: (store: RunStore) => T): T => {
  const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  try {
    return fn(store);
  } finally {
    store.close();
  }
};

test('loopline retrain: the live version\'s command and params on the labelled traffic, a new version behind the gates, all audited; on-drift once per episode, one at a time', { timeout: 240_000 }, async () => {
  // Correct labels for 300 recent requests: the retrain's default data.
  const ids = readDb((s) => new CaptureStore(s.db).requests('web', { last: 300 }).map((c) => c.requestId));
  const labels = join(t.dir, 'truth.csv');
  writeFileSync(labels, `request_id,label\n${ids.map((id) => `${id},${truth.get(id)}`).join('\n')}\n`);
  assert.equal((await runCli(['feedback', 'web', '--csv', labels], { cwd: dir })).code, 0);

  const res = await runCli(['retrain', 'web', '--json'], { cwd: dir, timeoutMs: 120_000 });
  assert.ok(res.code === 0 || res.code === 3, res.stderr);
  const out = JSON.parse(res.stdout);
  assert.equal(out.from.version, 1);
  assert.equal(out.data.source, 'captured');
  assert.equal(out.data.rows, 360, 'every labelled request in the ring: these 300 and the 60 labelled earlier');
  assert.match(out.command, /^python3 train\.py --lr 0\.5 --epochs 20 --data \.loopline\/retrain\/web-\d+\.csv$/);
  assert.equal(out.runStatus, 'FINISHED');
  assert.equal(out.version, 2);
  assert.equal(out.status, res.code === 0 ? 'passed' : 'gated');
  const beats = out.gates.results.find((g: any) => g.gate.startsWith('val_accuracy beats @live'));
  assert.ok(beats, JSON.stringify(out.gates));
  assert.equal(out.status === 'passed', beats.verdict !== 'fail');
  const exported = readFileSync(out.data.file, 'utf8').trim().split('\n');
  assert.equal(exported[0], 'sepal_length,sepal_width,petal_length,petal_width,species');
  assert.equal(exported.length, 361);
  readDb((s) => {
    const run = s.getRun(out.runId);
    assert.equal(run.tags['loopline.retrain.from'], 'iris/1');
    assert.equal(run.tags['loopline.data.train.sha256'], out.data.sha256);
    assert.equal(run.tags['loopline.data.train.rows'], '360');
    assert.deepEqual(Object.fromEntries(Object.entries(run.params).filter(([k]) => k === 'lr' || k === 'epochs')), { lr: '0.5', epochs: '20' });
    const audit = s.db.prepare("SELECT action, outcome, detail FROM audit_log WHERE deployment = 'web' AND action LIKE 'retrain%' ORDER BY id").all() as Array<{ action: string; outcome: string; detail: string }>;
    assert.deepEqual(audit.map((a) => a.action), ['retrain.start', 'retrain']);
    assert.equal(audit[1]!.outcome, out.status === 'passed' ? 'ok' : 'refused');
    assert.equal(JSON.parse(audit[0]!.detail).data.sha256, out.data.sha256);
  });

  // A gate the new version cannot pass: registered, not deployed, exit 3, the failing gate named.
  writeFileSync(join(dir, 'loopline.yaml'), `${YAML}gates:\n  - {metric: val_accuracy, min: 0.999}\n`);
  const gated = await runCli(['retrain', 'web', '--data', 'iris.csv'], { cwd: dir, timeoutMs: 120_000 });
  assert.equal(gated.code, 3, gated.stderr);
  assert.match(gated.stdout, /iris\/3 was registered but did not pass its gates, so it was not deployed:\n {2}FAIL val_accuracy >= 0\.999/);

  // One at a time: a running retrain (this process) refuses a second.
  const held = readDb((s) => new Retrains(s.db).begin('web', 'manual', null, Date.now()).id);
  const busy = await runCli(['retrain', 'web', '--data', 'iris.csv'], { cwd: dir });
  assert.notEqual(busy.code, 0);
  assert.match(busy.stderr, /A retrain of 'web' is already running .*only one runs at a time/);
  readDb((s) => new Retrains(s.db).finish(held, 'failed', { error: 'test' }));

  // on-drift: the ongoing episode has lasted >= 2 windows, so the next monitor retrains, once.
  writeFileSync(join(dir, 'loopline.yaml'), `${YAML}  retrain: on-drift\n  retrain_after: 2\n`);
  const m1 = await monitor();
  assert.ok(m1.history.episode?.windows >= 2, JSON.stringify(m1.history.episode));
  assert.equal(m1.retrain.trigger, 'on-drift');
  assert.equal(m1.retrain.runStatus, 'FINISHED');
  const m2 = await monitor();
  assert.equal(m2.retrain, undefined, 'one retrain per episode');
  readDb((s) => {
    const onDrift = new Retrains(s.db).list('web').filter((x) => x.trigger === 'on-drift');
    assert.equal(onDrift.length, 1);
    assert.equal(onDrift[0]!.episode, m1.history.episode.episode);
    const a = s.db.prepare("SELECT detail FROM audit_log WHERE action = 'retrain.start' ORDER BY id DESC LIMIT 1").get() as { detail: string };
    assert.equal(JSON.parse(a.detail).trigger, 'on-drift');
  });
  writeFileSync(join(dir, 'loopline.yaml'), YAML);
});

test('retrain inputs: the data argument is replaced or added; no labels is a clear error', () => {
  assert.deepEqual(commandWithData(['python3', 'train.py', 'data/train.csv'], 'new.csv', 'data/train.csv'), ['python3', 'train.py', 'new.csv']);
  assert.deepEqual(commandWithData(['python3', 'train.py', '--data', 'old.csv', '--lr', '1'], 'new.csv', undefined), ['python3', 'train.py', '--data', 'new.csv', '--lr', '1']);
  assert.deepEqual(commandWithData(['python3', 'train.py', '--data=old.csv'], 'new.csv', undefined), ['python3', 'train.py', '--data=new.csv']);
  assert.deepEqual(commandWithData(['python3', 'train.py'], 'new.csv', undefined), ['python3', 'train.py', '--data', 'new.csv']);
  const profile = { columns: [{ name: 'a', type: 'numeric' }, { name: 'y', type: 'categorical' }] } as any;
  assert.throws(() => exportLabelledTraffic(join(t.dir, 'x.csv'), profile, [], new Map()), /No captured request has a label yet.*or pass --data FILE/);
});
