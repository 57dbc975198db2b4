import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { captureLogFiles } from '../src/core/capture/capture-store.ts';
import { dockerBackend, type ContainerBackend } from '../src/core/containers/container-backend.ts';
import { DeploymentManager } from '../src/core/deploy/deployment-manager.ts';
import { registryWithDeployments } from '../src/core/deploy/registry-with-deployments.ts';
import type { ModelRegistry } from '../src/core/registry/model-registry.ts';
import { RunStore } from '../src/core/store/run-store.ts';
import { REPO_ROOT } from './helpers/paths.ts';
import { runCli } from './helpers/cli.ts';
import { seedIrisWorkspace } from './helpers/seed-workspace.ts';
import { tempDir } from './helpers/temp-store.ts';

// Real engine, real nginx, real HTTP. Needs `npm run docker:setup` (engine + loopline/python:bookworm).
const IMAGE = process.env.LOOPLINE_PYTHON_IMAGE ?? 'loopline/python:bookworm';
const NAME = `t${process.pid}`;
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
  t = tempDir('loopline-deploy-');
  const dir = seedIrisWorkspace(join(t.dir, 'iris'), ['0.05', '0.5'], 40);
  projectDir = dir;
  cpSync(join(REPO_ROOT, 'examples', 'iris', 'serve.py'), join(dir, 'serve.py'));
  writeFileSync(join(dir, 'loopline.yaml'), `serve:\n  image: ${IMAGE}\n  command: python3 serve.py --model /model\n  port: 8080\n  health: /ping\n`);
  store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  registry = registryWithDeployments(store);
  const runs = store.searchRuns({ experimentIds: [store.getExperimentByName('iris-sweep').id], orderBy: ['attributes.start_time ASC'] }).runs;
  for (const r of runs) registry.registerVersion({ model: 'iris', runId: r.info.id, path: 'model' });
  // Version 3 is broken: no model.json, so serve.py exits and its health check never passes.
  const broken = store.createRun({ experimentId: '0', name: 'broken' });
  mkdirSync(join(store.artifactsRoot, broken.info.id, 'model'), { recursive: true });
  writeFileSync(join(store.artifactsRoot, broken.info.id, 'model', 'README.txt'), 'no model here\n');
  registry.registerVersion({ model: 'iris', runId: broken.info.id, path: 'model' });
  // A small capture log size, so the proxy rotates it during the canary test.
  manager = new DeploymentManager(registry, backend, { proxyImage: IMAGE, health: { intervalMs: 200, retries: 25 }, captureLogMaxBytes: 16_000, captureLogKeep: 3 });
});

after(async () => {
  await manager?.undeploy(NAME).catch(() => {});
  await manager?.undeploy(`${NAME}-cli`).catch(() => {});
  await manager?.undeploy(`${NAME}-auto`).catch(() => {});
  await manager?.undeploy(`${NAME}-keep`).catch(() => {});
  await manager?.undeploy(`${NAME}-build`).catch(() => {});
  store?.close();
  t?.cleanup();
});

/** A client sending requests continuously (bounded) until stopped: a fresh connection each, or keep-alive. */
function loadClient(keepAlive = false) {
  const conn: Record<string, string> = keepAlive ? {} : { Connection: 'close' };
  let stop = false;
  const seen: string[] = [];
  const failures: string[] = [];
  let sent = 0;
  const done = (async () => {
    const deadline = Date.now() + 120_000;
    while (!stop && Date.now() < deadline && sent < 20_000) {
      sent++;
      try {
        const r = await fetch(`${endpoint}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...conn }, body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }) });
        const body = (await r.json()) as { predictions?: string[] };
        if (r.status !== 200 || body.predictions?.[0] !== 'setosa') failures.push(`HTTP ${r.status} ${JSON.stringify(body)}`);
        const v = await fetch(`${endpoint}/version`, { headers: conn });
        seen.push(((await v.json()) as { model_version: string }).model_version);
      } catch (err) {
        failures.push(String((err as Error).cause ?? err));
      }
    }
  })();
  return {
    seen,
    failures,
    get sent() {
      return sent;
    },
    stop: async () => {
      stop = true;
      await done;
    },
  };
}

/** A GET with a chosen Host header (fetch would not send one). */
function rawGet(base: string, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = httpRequest({ host: u.hostname, port: u.port, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function versionNow(): Promise<string> {
  const r = await fetch(`${endpoint}/version`, { headers: { Connection: 'close' } });
  return ((await r.json()) as { model_version: string }).model_version;
}

test('deploy serves a version behind the proxy; blue/green switch and rollback drop no request; a failing health check never switches', { timeout: 300_000 }, async () => {
  const first = await manager.deploy('iris/1', { name: NAME });
  endpoint = first.endpoint;
  assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  const r = await fetch(`${endpoint}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ instances: [[6.9, 3.1, 5.4, 2.1]] }) });
  assert.deepEqual(await r.json(), { predictions: ['virginica'] });
  assert.equal(await versionNow(), '1');
  // Only requests addressed to 127.0.0.1 / localhost are served (a DNS-rebinding page cannot reach it).
  assert.equal((await rawGet(endpoint, '/version', 'localhost')).status, 200);
  const rebound = await rawGet(endpoint, '/version', 'evil.example');
  assert.equal(rebound.status, 421);
  assert.match(rebound.body, /only requests to 127\.0\.0\.1 or localhost/);

  // Blue/green while two clients send requests: one on a new connection each time, one keeping its
  // connection alive (the front nginx is never reloaded, so that connection outlives every switch).
  const load = loadClient();
  const keepAlive = loadClient(true);
  await new Promise((res) => setTimeout(res, 500));
  await manager.deploy('iris/2', { name: NAME });
  await new Promise((res) => setTimeout(res, 500));
  const t0 = performance.now();
  await manager.rollback(NAME);
  const rollbackMs = performance.now() - t0;
  await new Promise((res) => setTimeout(res, 500));
  await load.stop();
  await keepAlive.stop();
  assert.deepEqual(load.failures, [], `${load.failures.length} of ${load.sent} requests failed during the switch and rollback`);
  assert.deepEqual(keepAlive.failures, [], `${keepAlive.failures.length} of ${keepAlive.sent} keep-alive requests failed during the switch and rollback`);
  assert.ok(load.seen.includes('1') && load.seen.includes('2'), `versions seen: ${[...new Set(load.seen)].join(', ')}`);
  assert.equal(await versionNow(), '1');
  assert.ok(rollbackMs < 5000, `rollback took ${rollbackMs} ms`);

  // The broken version 3: refused with its log lines, live version untouched, its container gone.
  await assert.rejects(manager.deploy('iris/3', { name: NAME }), /Version 3 failed its health check[\s\S]*no model\.json/);
  assert.equal(await versionNow(), '1');
  const containers = await backend.find({ 'loopline.deployment': NAME });
  assert.deepEqual(containers.map((c) => c.labels['loopline.version'] ?? 'proxy').sort(), ['1', '2', 'proxy'].sort());

  // Deployed versions cannot be archived; the model cannot be deleted.
  assert.throws(() => registry.archiveVersion('iris', 2), /is deployed/);
  assert.throws(() => registry.deleteModel('iris'), /deployed versions \(1, 2\)/);
});

test('canary at 20% splits traffic by weight; promote completes it; undeploy frees everything', { timeout: 300_000 }, async () => {
  await manager.deploy('iris/2', { name: NAME, strategy: 'canary', percent: 20 });
  const versions: string[] = [];
  for (let i = 0; i < 500; i++) versions.push(await versionNow());
  const share = versions.filter((v) => v === '2').length / versions.length;
  assert.ok(share > 0.14 && share < 0.26, `canary share ${share}`);
  // The proxy's access log attributes each request to the version that answered it.
  if (process.env.LOOPLINE_DUMP_ACCESS_LOG) cpSync(join(projectDir, '.loopline', 'deployments', NAME, 'logs', 'access.log'), process.env.LOOPLINE_DUMP_ACCESS_LOG);
  const metrics = manager.metrics(manager.records.get(NAME));
  const slots = manager.records.get(NAME).slots;
  const m1 = metrics.find((m) => m.slot === slots.find((s) => s.role === 'live')!.id)!;
  const m2 = metrics.find((m) => m.slot === slots.find((s) => s.role === 'candidate')!.id)!;
  assert.ok(m2.requests >= versions.filter((v) => v === '2').length, `v2 requests ${m2.requests}`);
  assert.equal(m2.errors, 0, JSON.stringify(metrics));
  assert.ok(m1.requests > m2.requests, `v1 ${m1.requests} vs v2 ${m2.requests}`);
  assert.ok(m2.p50Ms !== null && m2.p95Ms !== null && m2.p95Ms >= m2.p50Ms);
  // Captured requests are labelled with the version that answered each one, not the live one.
  manager.ingestCapture(NAME);
  const before = manager.capture.count(NAME);
  for (let i = 0; i < 150; i++) {
    const r = await fetch(`${endpoint}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }) });
    assert.equal(r.status, 200);
    await r.arrayBuffer();
  }
  await new Promise((r) => setTimeout(r, 1500)); // the proxy checks the log size every second
  const logs = join(projectDir, '.loopline', 'deployments', NAME, 'logs');
  assert.ok(captureLogFiles(logs).length >= 2, `the capture log was rotated: ${readdirSync(logs).join(', ')}`);
  manager.ingestCapture(NAME);
  assert.deepEqual(readdirSync(join(logs, 'responses')), [], 'ingested answers are removed from the proxy folder');
  const captured = manager.capture.requests(NAME, { last: manager.capture.count(NAME) - before });
  assert.equal(captured.length, 150);
  assert.ok(captured.every((c) => c.response === '{"predictions": ["setosa"]}' && c.request.includes('5.1')), JSON.stringify(captured[0]));
  const v2 = captured.filter((c) => c.version === 2).length;
  assert.equal(captured.filter((c) => c.version === 1).length + v2, 150);
  assert.ok(v2 > 10 && v2 < 60, `v2 answered ${v2} of 150`);
  // Rotation keeps 3 older files (captureLogKeep): a request line that falls off the end takes its
  // stored answer with it, so an endpoint nobody ingests from cannot fill the disk.
  const fake = 'f'.repeat(32);
  writeFileSync(join(logs, 'responses', fake), '{"predictions": ["never ingested"]}');
  const live = join(logs, 'capture.jsonl');
  for (let i = 0; i < 4; i++) {
    const before = captureLogFiles(logs).at(-1)!.key;
    appendFileSync(live, `${JSON.stringify(i === 0 ? { type: 'request', time: Date.now() / 1000, request_id: fake, status: 200, request_time: 0.001, upstream: '', request: 'x'.repeat(17_000) } : { type: 'padding', pad: 'x'.repeat(17_000) })}\n`);
    for (let w = 0; w < 50 && captureLogFiles(logs).at(-1)?.key === before; w++) await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(captureLogFiles(logs).map((f) => f.path.slice(logs.length + 1)), ['capture.jsonl.3', 'capture.jsonl.2', 'capture.jsonl.1', 'capture.jsonl']);
  assert.ok(!readdirSync(join(logs, 'responses')).includes(fake), 'the answer of a line rotated away is deleted');
  await manager.promote(NAME);
  for (let i = 0; i < 20; i++) assert.equal(await versionNow(), '2');

  const history = manager.records.history(NAME).map((h) => `${h.action}:${h.outcome}:${h.version}`);
  assert.deepEqual(history, ['deploy:ok:1', 'switch:ok:2', 'rollback:ok:1', 'deploy:failed:3', 'canary:ok:2', 'promote:ok:2']);
  const audit = registry.audit.list({ deployment: NAME }).map((e) => `${e.action}:${e.outcome}`);
  assert.deepEqual(audit, ['deploy:ok', 'switch:ok', 'rollback:ok', 'deploy:failed', 'canary:ok', 'promote:ok']);

  const port = Number(new URL(endpoint).port);
  await manager.undeploy(NAME);
  assert.deepEqual(await backend.find({ 'loopline.deployment': NAME }), []);
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
  assert.deepEqual(manager.records.list(), []);
});

test('CLI: deploy prints the endpoint; the deployment outlives the process, is listed, refuses archive, and undeploys', { timeout: 300_000 }, async () => {
  const cli = (...a: string[]) => runCli(a, { cwd: projectDir, timeoutMs: 120_000 });
  assert.equal((await cli('alias', 'set', 'iris', 'champion', '1')).code, 0);
  const d = await cli('deploy', 'iris@champion', '--name', `${NAME}-cli`);
  assert.equal(d.code, 0, d.stderr);
  const last = d.stdout.trim().split('\n').pop()!;
  assert.match(last, /^ENDPOINT=http:\/\/127\.0\.0\.1:\d+$/);
  endpoint = last.slice('ENDPOINT='.length);
  // The CLI process has exited; the deployment keeps serving.
  assert.equal(await versionNow(), '1');
  const list = JSON.parse((await cli('deployments', '--json')).stdout);
  const mine = list.find((x: any) => x.name === `${NAME}-cli`);
  assert.equal(mine.running, true);
  assert.equal(mine.endpoint, endpoint);
  assert.deepEqual(mine.history.map((h: any) => `${h.action}:${h.version}:${h.alias}`), ['deploy:1:champion']);
  // The request above is counted for version 1 from the proxy's access log.
  assert.equal(mine.metrics.length, 1);
  assert.equal(mine.metrics[0].version, 1);
  assert.ok(mine.metrics[0].requests >= 1 && mine.metrics[0].errors === 0, JSON.stringify(mine.metrics));
  // The plain table lists each version with its traffic and the proxy's figures for it.
  const plain = (await cli('deployments')).stdout;
  assert.match(plain, /DEPLOYMENT\s+VERSION\s+ROLE\s+TRAFFIC\s+REQUESTS\s+ERRORS\s+ERROR %\s+P50 MS\s+P95 MS/);
  const row = plain.split('\n').find((l) => l.startsWith(`${NAME}-cli `) && l.includes('v1 (champion)'))!;
  assert.ok(row, plain);
  const cells = row.trim().split(/\s{2,}/);
  assert.equal(cells[2], 'live');
  assert.equal(cells[3], '100%');
  assert.ok(Number(cells[4]) >= 1, row);
  assert.equal(cells[5], '0');
  const arch = await cli('archive', 'iris/1');
  assert.equal(arch.code, 1);
  assert.match(arch.stderr, /iris\/1 is deployed/);
  const und = await cli('undeploy', `${NAME}-cli`);
  assert.equal(und.code, 0, und.stderr);
  await assert.rejects(fetch(`${endpoint}/ping`));
  assert.deepEqual(await backend.find({ 'loopline.deployment': `${NAME}-cli` }), []);
  const audit = JSON.parse((await cli('audit', '--json')).stdout).filter((e: any) => e.deployment === `${NAME}-cli`);
  assert.deepEqual(audit.map((e: any) => `${e.action}:${e.outcome}`), ['deploy:ok', 'undeploy:ok']);
});

test('automatic rollback: a version whose error rate rises after the switch is rolled back by itself while a client sends requests', { timeout: 300_000 }, async () => {
  const name = `${NAME}-auto`;
  // Version 5 serves the same model but answers 500 after 10 predictions (serve.py --fail-after).
  const yaml = join(projectDir, 'loopline.yaml');
  // It also prints what it sees of the workspace store: the project is mounted at /app, .loopline masked.
  writeFileSync(yaml, `serve:\n  image: ${IMAGE}\n  command: 'echo "store: [$(ls -A /app/.loopline)]"; python3 serve.py --model /model --fail-after 10'\n  port: 8080\n  health: /ping\n`);
  const run = store.searchRuns({ experimentIds: [store.getExperimentByName('iris-sweep').id], orderBy: ['attributes.start_time ASC'] }).runs[0]!;
  const failing = registry.registerVersion({ model: 'iris', runId: run.info.id, path: 'model' });
  writeFileSync(yaml, `serve:\n  image: ${IMAGE}\n  command: python3 serve.py --model /model\n  port: 8080\n  health: /ping\n`);
  try {
    endpoint = (await manager.deploy('iris/1', { name })).endpoint;
    await manager.deploy(`iris/${failing.version}`, { name });
    assert.equal(await versionNow(), String(failing.version));
    const client = loadClient();
    const watch = await manager.watchAfterSwitch(name, { settleMs: 15_000, intervalMs: 200, maxErrorRate: 0.2 });
    await new Promise((r) => setTimeout(r, 500));
    await client.stop();
    assert.equal(watch.rolledBack, true, watch.reason);
    assert.match(watch.reason, /error rate/);
    for (let i = 0; i < 10; i++) assert.equal(await versionNow(), '1');
    const last = manager.records.history(name).at(-1)!;
    assert.equal(last.action, 'rollback');
    assert.equal(last.version, 1);
    assert.match(last.outcome, /^automatic rollback: error rate/);
    const audit = registry.audit.list({ deployment: name }).at(-1)!;
    assert.match(audit.outcome, /^automatic rollback: error rate/);
    // What a client saw: nothing failed. The warm previous version answered what the failing one
    // refused (a 5xx is retried on the backup), while the watch counted the failing version's errors.
    assert.deepEqual(client.failures, [], `${client.failures.length} of ${client.sent} requests failed`);
    assert.ok(watch.metrics!.errors >= 1, JSON.stringify(watch.metrics));
    assert.match(await backend.containerLogs(manager.records.get(name).slots.find((s) => s.version === failing.version)!.containerId, 50), /store: \[\]/);
  } finally {
    await manager.undeploy(name).catch(() => {});
  }
});

test('--keep-previous: the warm previous version is removed once its time runs out', { timeout: 300_000 }, async () => {
  const name = `${NAME}-keep`;
  try {
    endpoint = (await manager.deploy('iris/1', { name })).endpoint;
    await manager.deploy('iris/2', { name, keepPreviousMs: 1500 });
    const warm = manager.records.get(name).slots.find((s) => s.role === 'previous')!;
    assert.equal(warm.version, 1);
    await new Promise((r) => setTimeout(r, 2000));
    const listed = (await manager.list()).find((d) => d.name === name)!;
    assert.deepEqual(listed.slots.map((s) => `${s.role}:${s.version}`), ['live:2']);
    assert.ok(!(await backend.find({ 'loopline.deployment': name })).some((c) => c.id === warm.containerId), 'the warm container is gone');
    assert.equal(await versionNow(), '2');
    await assert.rejects(manager.rollback(name), /no previous version/);
    assert.equal(manager.records.history(name).at(-1)!.action, 'expire-previous');
  } finally {
    await manager.undeploy(name).catch(() => {});
  }
});

test('serve.build: the version is served from an image built from the project (like container runs build theirs); a failing build is refused with its output', { timeout: 300_000 }, async () => {
  const name = `${NAME}-build`;
  const yaml = join(projectDir, 'loopline.yaml');
  const run = store.searchRuns({ experimentIds: [store.getExperimentByName('iris-sweep').id], orderBy: ['attributes.start_time ASC'] }).runs[0]!;
  // The server lives only in the image (/srv), not in the mounted project.
  writeFileSync(join(projectDir, 'Dockerfile'), `FROM ${IMAGE}\nCOPY serve.py /srv/serve.py\n`);
  mkdirSync(join(projectDir, 'broken'), { recursive: true });
  writeFileSync(join(projectDir, 'broken', 'Dockerfile'), `FROM ${IMAGE}\nRUN echo "no such package: sklearn-9" && exit 3\n`);
  writeFileSync(yaml, `serve:\n  build: .\n  command: python3 /srv/serve.py --model /model\n  port: 8080\n  health: /ping\n`);
  const built = registry.registerVersion({ model: 'iris', runId: run.info.id, path: 'model' });
  writeFileSync(yaml, `serve:\n  build: broken\n  command: python3 /srv/serve.py --model /model\n`);
  const broken = registry.registerVersion({ model: 'iris', runId: run.info.id, path: 'model' });
  writeFileSync(yaml, `serve:\n  image: ${IMAGE}\n  command: python3 serve.py --model /model\n  port: 8080\n  health: /ping\n`);
  try {
    endpoint = (await manager.deploy(`iris/${built.version}`, { name })).endpoint;
    // It answers, so /srv/serve.py was there: the built image, not the base one.
    assert.equal(await versionNow(), String(built.version));
    await assert.rejects(manager.deploy(`iris/${broken.version}`, { name }), /from serve\.build 'broken' failed[\s\S]*no such package: sklearn-9[\s\S]*live version is untouched/);
    assert.equal(await versionNow(), String(built.version));
  } finally {
    await manager.undeploy(name).catch(() => {});
  }
});
