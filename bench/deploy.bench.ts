// npm run bench:deploy — a deployment's stable endpoint (nginx proxy) against the same model
// container reached directly, with the same concurrency in one run: requests per second and p99
// latency (aim: >= 0.8x throughput). Also: time from deploy to serving, to a blue/green switch,
// and to a rollback to the warm previous version (aim: < 1 s). Capture on vs off (aim >= 0.9x).
import { cpSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { dockerBackend } from '../src/core/containers/container-backend.ts';
import { DeploymentManager } from '../src/core/deploy/deployment-manager.ts';
import { registryWithDeployments } from '../src/core/deploy/registry-with-deployments.ts';
import { RunStore } from '../src/core/store/run-store.ts';
import { seedIrisWorkspace } from '../test/helpers/seed-workspace.ts';
import { testEngine } from '../test/helpers/docker-engine.ts';
import { tempDir } from '../test/helpers/temp-store.ts';

const ROOT = join(import.meta.dirname, '..');
const CONCURRENCY = Number(process.env.LOOPLINE_BENCH_CONCURRENCY ?? 8);
const SECONDS = Number(process.env.LOOPLINE_BENCH_SECONDS ?? 4);

// The engine and images as the tests get them (scripts/docker-setup.sh).
const { engine, skip } = testEngine();
if (!engine) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}
process.env.DOCKER_HOST = engine.dockerHost;
const IMAGE = engine.pythonImage;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Closed-loop load: CONCURRENCY workers for SECONDS; requests/s and p99 latency in ms. */
async function load(url: string): Promise<{ rps: number; p99: number; failed: number }> {
  const lat: number[] = [];
  let failed = 0;
  const end = performance.now() + SECONDS * 1000;
  const body = JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] });
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const r = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
          await r.arrayBuffer();
          if (r.status !== 200) failed++;
        } catch {
          failed++;
        }
        lat.push(performance.now() - t0);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { rps: lat.length / SECONDS, p99: lat[Math.floor(lat.length * 0.99)] ?? 0, failed };
}

const t = tempDir('loopline-bench-deploy-');
const name = `bench${process.pid}`;
const dir = seedIrisWorkspace(join(t.dir, 'iris'), ['0.1', '0.5'], 30);
cpSync(join(ROOT, 'examples', 'iris', 'serve.py'), join(dir, 'serve.py'));
writeFileSync(join(dir, 'loopline.yaml'), `serve: {image: ${IMAGE}, command: python3 serve.py --model /model, port: 8080, health: /ping}\n`);
const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
const registry = registryWithDeployments(store);
for (const r of store.searchRuns({ experimentIds: [store.getExperimentByName('iris-sweep').id], orderBy: ['attributes.start_time ASC'] }).runs) {
  registry.registerVersion({ model: 'iris', runId: r.info.id, path: 'model' });
}
const backend = await dockerBackend();
const manager = new DeploymentManager(registry, backend, { proxyImage: IMAGE, health: { intervalMs: 50, retries: 400 } });
let direct = '';
try {
  let t0 = performance.now();
  const d = await manager.deploy('iris/1', { name });
  const deployMs = performance.now() - t0;
  // The same model, same image and command, its port published directly (no proxy).
  const v1 = registry.getVersion('iris', 1);
  const port = await freePort();
  direct = await backend.startService({
    name: `${name}-direct`,
    image: IMAGE,
    command: ['python3', 'serve.py', '--model', '/model', '--host', '0.0.0.0', '--port', '8080'],
    workingDir: '/app',
    env: {},
    labels: { 'loopline.bench': name },
    binds: [
      { source: v1.dir, target: '/model', readOnly: true },
      { source: dir, target: '/app', readOnly: true },
    ],
    copyIn: [],
    network: 'bridge',
    ports: [{ containerPort: 8080, hostPort: port, hostIp: '127.0.0.1' }],
  });
  for (let i = 0; i < 200; i++) {
    if (await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // Alternated rounds (direct, endpoint with capture, endpoint without), so a change in the shared
  // machine's load hits all three alike; each figure sums its rounds.
  const rounds = Number(process.env.LOOPLINE_BENCH_ROUNDS ?? 3);
  const runs: Record<'direct' | 'on' | 'off', Array<{ rps: number; p99: number; failed: number }>> = { direct: [], on: [], off: [] };
  for (let i = 0; i < rounds; i++) {
    runs.direct.push(await load(`http://127.0.0.1:${port}`));
    runs.on.push(await load(d.endpoint));
    await manager.setCapture(name, { enabled: false });
    runs.off.push(await load(d.endpoint));
    await manager.setCapture(name, { enabled: true });
  }
  const sum = (xs: Array<{ rps: number; p99: number; failed: number }>) => ({ rps: xs.reduce((a, x) => a + x.rps, 0) / xs.length, p99: Math.max(...xs.map((x) => x.p99)), failed: xs.reduce((a, x) => a + x.failed, 0) });
  const viaDirect = sum(runs.direct);
  const viaProxy = sum(runs.on);
  const captureOff = sum(runs.off);
  manager.ingestCapture(name);
  const captured = manager.capture.count(name);
  t0 = performance.now();
  await manager.deploy('iris/2', { name });
  const switchMs = performance.now() - t0;
  t0 = performance.now();
  await manager.rollback(name);
  const rollbackMs = performance.now() - t0;
  const f = (n: number) => n.toFixed(1);
  console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; concurrency ${CONCURRENCY}, ${rounds} alternated rounds of ${SECONDS} s each (p99: worst round)`);
  console.log(`direct to the model container: ${f(viaDirect.rps)} req/s, p99 ${f(viaDirect.p99)} ms, failed ${viaDirect.failed}`);
  console.log(`through the stable endpoint:   ${f(viaProxy.rps)} req/s, p99 ${f(viaProxy.p99)} ms, failed ${viaProxy.failed}`);
  console.log(`throughput ratio (endpoint / direct): ${(viaProxy.rps / viaDirect.rps).toFixed(2)}x (aim >= 0.8x); p99 ratio ${(viaProxy.p99 / viaDirect.p99).toFixed(2)}x`);
  console.log(`capture off: ${f(captureOff.rps)} req/s, p99 ${f(captureOff.p99)} ms; capture on / off throughput ${(viaProxy.rps / captureOff.rps).toFixed(2)}x (aim >= 0.9x), p99 ${(viaProxy.p99 / captureOff.p99).toFixed(2)}x; ${captured} requests captured`);
  console.log(`deploy to serving ${f(deployMs)} ms; blue/green switch (start, health check, reload) ${f(switchMs)} ms; rollback to the warm version ${f(rollbackMs)} ms (aim < 1000 ms)`);
} finally {
  if (direct) await backend.removeContainer(direct).catch(() => {});
  await manager.undeploy(name).catch(() => {});
  store.close();
  t.cleanup();
}
