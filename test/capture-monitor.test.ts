import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dockerBackend, type ContainerBackend } from '../src/core/containers/container-backend.ts';
import { DeploymentManager } from '../src/core/deploy/deployment-manager.ts';
import { registryWithDeployments } from '../src/core/deploy/registry-with-deployments.ts';
import type { ModelRegistry } from '../src/core/registry/model-registry.ts';
import { RunStore } from '../src/core/store/run-store.ts';
import { REPO_ROOT } from './helpers/paths.ts';
import { runCli } from './helpers/cli.ts';
import { seedIrisWorkspace } from './helpers/seed-workspace.ts';
import { tempDir } from './helpers/temp-store.ts';

// Real engine, real nginx + capture relay, real HTTP, the example's own traffic generator.
const IMAGE = process.env.LOOPLINE_PYTHON_IMAGE ?? 'loopline/python:bookworm';
const NAME = `cap${process.pid}`;
const run = promisify(execFile);
let t: ReturnType<typeof tempDir>;
let store: RunStore;
let registry: ModelRegistry;
let backend: ContainerBackend;
let manager: DeploymentManager;
let endpoint = '';
let projectDir = '';

before(async () => {
  backend = await dockerBackend();
  await backend.ping();
  assert.ok(await backend.inspectImage(IMAGE), `image ${IMAGE} is missing: run npm run docker:setup`);
  t = tempDir('loopline-capture-');
  projectDir = seedIrisWorkspace(join(t.dir, 'iris'), ['0.5'], 40);
  cpSync(join(REPO_ROOT, 'examples', 'iris', 'serve.py'), join(projectDir, 'serve.py'));
  writeFileSync(join(projectDir, 'loopline.yaml'), `serve:\n  image: ${IMAGE}\n  command: python3 serve.py --model /model\n  port: 8080\n  health: /ping\ndata:\n  train: iris.csv\n`);
  store = RunStore.open(join(projectDir, '.loopline', 'loopline.db'));
  registry = registryWithDeployments(store);
  const r = store.searchRuns({ experimentIds: [store.getExperimentByName('iris-sweep').id] }).runs[0]!;
  registry.registerVersion({ model: 'iris', runId: r.info.id, path: 'model' });
  manager = new DeploymentManager(registry, backend, { proxyImage: IMAGE, health: { intervalMs: 200, retries: 50 } });
  endpoint = (await manager.deploy('iris/1', { name: NAME })).endpoint;
});

after(async () => {
  await manager?.undeploy(NAME).catch(() => {});
  store?.close();
  t?.cleanup();
});

const cli = (...a: string[]) => runCli(a, { cwd: projectDir, timeoutMs: 120_000 });

async function traffic(...extra: string[]): Promise<{ sent: number; ok: number; labelled: number }> {
  const { stdout } = await run('python3', [join(REPO_ROOT, 'examples', 'iris', 'simulate_traffic.py'), '--url', endpoint, '--rate', '0', ...extra], { timeout: 120_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

async function monitor(...extra: string[]): Promise<any> {
  const res = await cli('monitor', NAME, '--json', ...extra);
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout);
}

test('answers carry a request id; normal traffic: no alarm; shifted petal_length: alarm on that feature only; feedback joins by request id', { timeout: 300_000 }, async () => {
  const r = await fetch(`${endpoint}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ instances: [[6.9, 3.1, 5.4, 2.1]] }) });
  assert.deepEqual(await r.json(), { predictions: ['virginica'] });
  const rid = r.headers.get('x-request-id');
  assert.match(rid ?? '', /^[0-9a-f]{32}$/);

  const normal = await traffic('--count', '300', '--seed', '1', '--feedback');
  assert.deepEqual(normal, { ...normal, sent: 300, ok: 300, labelled: 300 });
  const calm = await monitor('--last', '300');
  assert.deepEqual(calm.features.map((f: any) => f.name), ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
  assert.deepEqual(calm.features.map((f: any) => f.status), ['ok', 'ok', 'ok', 'ok'], JSON.stringify(calm.features));
  assert.equal(calm.drifted, false);
  for (const f of calm.features) {
    assert.equal(f.test, 'ks');
    assert.equal(f.sampleSize, 300);
    assert.equal(f.threshold, 0.05);
    assert.ok(f.pValue > 0.05);
  }
  assert.equal(calm.prediction.reference, 'species');
  assert.equal(calm.prediction.status, 'ok');
  assert.equal(calm.accuracy.labelled, 300);
  assert.ok(calm.accuracy.value > 0.8, `live accuracy ${calm.accuracy.value}`);
  assert.equal(calm.accuracy.validationMetric, 'val_accuracy');
  assert.equal(calm.requests.window, 300);
  assert.equal(calm.requests.errors, 0);
  // The first request (before the generator) is stored with its id and answer.
  assert.equal(manager.capture.requests(NAME, { last: 10_000 }).find((c) => c.requestId === rid)?.response, '{"predictions": ["virginica"]}');

  const shifted = await traffic('--count', '300', '--seed', '2', '--shift', 'petal_length=+1.5');
  assert.equal(shifted.ok, 300);
  const alarm = await monitor('--last', '300');
  const byName = Object.fromEntries(alarm.features.map((f: any) => [f.name, f]));
  assert.equal(byName.petal_length.drifted, true);
  assert.equal(byName.petal_length.status, 'drift');
  assert.ok(byName.petal_length.pValue < 1e-6);
  for (const n of ['sepal_length', 'sepal_width', 'petal_width']) assert.equal(byName[n].drifted, false, `${n} flagged: ${JSON.stringify(byName[n])}`);
  // One feature of four is below Evidently's 50% share: the dataset verdict stays "no drift".
  assert.equal(alarm.drifted, false);
  assert.equal(alarm.accuracy.labelled, 0);

  // A small window says how many more requests it needs instead of alarming.
  const small = await monitor('--last', '30');
  assert.equal(small.status, 'insufficient-data');
  for (const f of small.features) {
    assert.equal(f.status, 'insufficient-data');
    assert.equal(f.neededMore, 70);
  }

  // Labels from a CSV replace endpoint feedback: every label wrong → live accuracy 0 over those.
  const ids = manager.capture.requests(NAME, { last: 10_000 }).slice(1, 21).map((c) => c.requestId);
  const csv = join(t.dir, 'labels.csv');
  writeFileSync(csv, `request_id,label\n${ids.map((id) => `${id},"not a species"`).join('\n')}\n`);
  const imp = await cli('feedback', NAME, '--csv', csv);
  assert.equal(imp.code, 0, imp.stderr);
  const relabelled = await monitor('--last', '601');
  assert.equal(relabelled.accuracy.labelled, 300);
  assert.ok(relabelled.accuracy.correct <= 280);
});

test('capture: sampling, the ring cap, switched off; bad feedback and bad windows get clear errors', { timeout: 300_000 }, async () => {
  manager.ingestCapture(NAME);
  const before = manager.capture.count(NAME);
  let res = await cli('capture', NAME, '--sampling', '0.5', '--json');
  assert.equal(res.code, 0, res.stderr);
  assert.equal(JSON.parse(res.stdout).sampling, 0.5);
  await new Promise((r) => setTimeout(r, 1500)); // the relay re-reads its settings every second
  await traffic('--count', '400', '--seed', '3');
  manager.ingestCapture(NAME);
  const sampled = manager.capture.count(NAME) - before;
  assert.ok(sampled > 140 && sampled < 260, `captured ${sampled} of 400 at sampling 0.5`);

  res = await cli('capture', NAME, '--ring', '100', '--sampling', '1');
  assert.equal(res.code, 0, res.stderr);
  assert.equal(manager.capture.count(NAME), 100);
  await new Promise((r) => setTimeout(r, 1500));
  await traffic('--count', '50', '--seed', '4');
  manager.ingestCapture(NAME);
  assert.equal(manager.capture.count(NAME), 100);
  const newest = manager.capture.requests(NAME, { last: 100 });
  assert.ok(newest[99]!.id - newest[0]!.id === 99, 'the ring keeps the newest requests');

  res = await cli('capture', NAME, '--off');
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /capture off/);
  const idsBefore = newest.map((c) => c.requestId).join();
  const off = await fetch(`${endpoint}/invocations`, { method: 'POST', body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }) });
  assert.equal(off.status, 200);
  assert.match(off.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
  await traffic('--count', '20', '--seed', '5');
  manager.ingestCapture(NAME);
  assert.equal(manager.capture.requests(NAME, { last: 100 }).map((c) => c.requestId).join(), idsBefore);

  const bad = await fetch(`${endpoint}/feedback`, { method: 'POST', body: JSON.stringify({ label: 'setosa' }) });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { message: string }).message, /request_id/);
  const w = await cli('monitor', NAME, '--window', '5x');
  assert.equal(w.code, 1);
  assert.match(w.stderr, /duration such as 30m, 1h/);
  const s = await cli('capture', NAME, '--sampling', '2');
  assert.equal(s.code, 2);
  assert.match(s.stderr, /above 0 and at most 1/);
  const csv = join(t.dir, 'bad.csv');
  writeFileSync(csv, 'id,label\nx,y\n');
  const f = await cli('feedback', NAME, '--csv', csv);
  assert.equal(f.code, 1);
  assert.match(f.stderr, /must name the columns request_id and label/);
  // Registering through the CLI computes the version's reference profile from data: {train: iris.csv}.
  const runId = store.searchRuns({ experimentIds: [store.getExperimentByName('iris-sweep').id] }).runs[0]!.info.id;
  const reg = await cli('register', runId, '--name', 'iris-ref', '--path', 'model');
  assert.equal(reg.code, 0, reg.stderr);
  const ref = JSON.parse(readFileSync(join(projectDir, '.loopline', 'reference-profiles', 'iris-ref-v1.json'), 'utf8'));
  assert.equal(ref.rows, 150);
  assert.deepEqual(ref.columns.map((c: any) => c.name), ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species']);
  const none = await cli('monitor', 'no-such-deployment');
  assert.equal(none.code, 1);
  assert.match(none.stderr, /No deployment named 'no-such-deployment'/);
});

test('retrain from the deployment: the live version retrained on given data, gated against it, deployed blue/green through the real proxy', { timeout: 300_000 }, async () => {
  // The same data and params as v1: the same val_accuracy, a tie, which "beats the live version" passes.
  const res = await cli('retrain', NAME, '--data', 'iris.csv', '--deploy', '--json');
  assert.equal(res.code, 0, res.stderr);
  const out = JSON.parse(res.stdout);
  assert.equal(out.status, 'passed', JSON.stringify(out.gates));
  assert.equal(out.runStatus, 'FINISHED');
  assert.equal(out.deployed, true);
  assert.equal(out.endpoint, endpoint);
  const d = manager.records.get(NAME);
  assert.deepEqual(d.slots.filter((s) => s.role === 'live').map((s) => s.version), [out.version]);
  assert.deepEqual(d.slots.filter((s) => s.role === 'previous').map((s) => s.version), [1], 'the old version stays warm for a rollback');
  const r = await fetch(`${endpoint}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ instances: [[6.9, 3.1, 5.4, 2.1]] }) });
  assert.deepEqual(await r.json(), { predictions: ['virginica'] });
  const actions = registry.audit.list({ limit: 20 }).map((a) => a.action);
  for (const a of ['retrain.start', 'register', 'switch', 'retrain']) assert.ok(actions.includes(a), `audit has ${a}: ${actions.join(', ')}`);
});
