// Metrics from inside a container while it runs: through the spool file with --network none, over
// HTTP (the gateway relay, Host-checked, token required) from an unchanged MLflow-style script, and
// after the launching process is SIGKILLed mid-run (`loopline runs reattach`: nothing lost).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../src/core/store/run-store.ts';
import { gitRepo, runCli } from './helpers/cli.ts';
import { CLI } from './helpers/paths.ts';
import { containersWithLabel, testEngine } from './helpers/docker-engine.ts';
import { tempDir } from './helpers/temp-store.ts';

const { engine, skip } = testEngine();
const opts = { skip: skip ?? false, timeout: 120_000 };

const TRAIN = `
import os, sys, time, loopline
steps = int(sys.argv[1]); pause = float(sys.argv[2])
with loopline.start_run() as run:
    for step in range(steps):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
        print("step", step, flush=True)
        time.sleep(pause)
print("trained", flush=True)
`;

const MLFLOW_STYLE = `
# Uses only what MLflow's client reads and MLflow's REST API; no Loopline code.
import json, os, urllib.request, urllib.error
uri, token, run_id = os.environ["MLFLOW_TRACKING_URI"], os.environ["MLFLOW_TRACKING_TOKEN"], os.environ["MLFLOW_RUN_ID"]
def post(path, body, headers):
    req = urllib.request.Request(uri + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        return urllib.request.urlopen(req, timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code
auth = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
for step in range(10):
    post("/api/2.0/mlflow/runs/log-metric", {"run_id": run_id, "key": "acc", "value": step / 10, "timestamp": 0, "step": step}, auth)
print("no-token", post("/api/2.0/mlflow/runs/log-metric", {"run_id": run_id, "key": "x", "value": 1, "timestamp": 0, "step": 0}, {"Content-Type": "application/json"}))
print("bad-host", post("/api/2.0/mlflow/runs/log-metric", {"run_id": run_id, "key": "x", "value": 1, "timestamp": 0, "step": 0}, dict(auth, Host="evil.example")))
print("uri", uri)
`;

function store(dir: string): RunStore {
  return RunStore.open(join(dir, '.loopline', 'loopline.db'));
}

function lossCount(dir: string): number {
  const s = store(dir);
  try {
    const run = s.searchRuns({ experimentIds: ['0'] }).runs[0];
    return run ? (s.getRun(run.info.id).metrics.find((m) => m.key === 'loss')?.count ?? 0) : 0;
  } finally {
    s.close();
  }
}

test('--network none: metrics arrive while the container runs (spool tailed live), all of them by the end', opts, async () => {
  const t = tempDir();
  try {
    gitRepo(t.dir, { 'train.py': TRAIN, '.gitignore': '.loopline/\n' });
    const child = spawn(CLI, ['run', '--container', '--image', engine!.pythonImage, '--network', 'none', '--', 'python3', 'train.py', '30', '0.1'], { cwd: t.dir, env: { ...process.env, DOCKER_HOST: engine!.dockerHost }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const done = new Promise<number | null>((r) => child.on('close', r));
    let liveCount = 0;
    while (!out.includes('trained')) {
      await new Promise((r) => setTimeout(r, 200));
      const n = lossCount(t.dir);
      if (n > 0 && !out.includes('trained')) liveCount = n;
      if (child.exitCode !== null) break;
    }
    assert.equal(await done, 0, out);
    assert.ok(liveCount > 0 && liveCount < 30, `points were in the store while it ran (${liveCount})`);
    assert.equal(lossCount(t.dir), 30);
    assert.doesNotMatch(out, /offline|import later/);
  } finally {
    t.cleanup();
  }
});

test('bridge network: an unchanged MLflow-style script logs over HTTP through the gateway; token and Host are checked', opts, async () => {
  const t = tempDir();
  try {
    gitRepo(t.dir, { 'mlf.py': MLFLOW_STYLE, '.gitignore': '.loopline/\n' });
    const r = await runCli(['run', '--container', '--image', engine!.pythonImage, '--network', 'bridge', '--', 'python3', 'mlf.py'], { cwd: t.dir, env: { DOCKER_HOST: engine!.dockerHost }, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /uri http:\/\/\d+\.\d+\.\d+\.\d+:\d+/);
    assert.doesNotMatch(r.stdout, /uri http:\/\/127\./);
    assert.match(r.stdout, /no-token 401/);
    assert.match(r.stdout, /bad-host 403/);
    const s = store(t.dir);
    try {
      const run = s.getRun(s.searchRuns({ experimentIds: ['0'] }).runs[0]!.info.id);
      const acc = run.metrics.find((m) => m.key === 'acc');
      assert.equal(acc?.count, 10);
      assert.equal(acc?.last, 0.9);
      assert.equal(run.metrics.find((m) => m.key === 'x'), undefined);
    } finally {
      s.close();
    }
  } finally {
    t.cleanup();
  }
});

test('the launcher SIGKILLed mid-run: loopline runs reattach follows the container, loses no metric and records the end', opts, async () => {
  const t = tempDir();
  try {
    gitRepo(t.dir, { 'train.py': TRAIN, '.gitignore': '.loopline/\n' });
    const child = spawn(CLI, ['run', '--container', '--image', engine!.pythonImage, '--network', 'none', '--', 'python3', 'train.py', '40', '0.1'], { cwd: t.dir, env: { ...process.env, DOCKER_HOST: engine!.dockerHost }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    while (!out.includes('step 5')) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const s = store(t.dir);
    const runId = s.searchRuns({ experimentIds: ['0'] }).runs[0]!.info.id;
    assert.equal(s.getRun(runId).info.status, 'RUNNING');
    const storePath = s.path;
    s.close();
    assert.equal(containersWithLabel(engine!, `loopline.run=${runId}`).length, 1, 'the container kept running');
    const r = await runCli(['runs', 'reattach'], { cwd: t.dir, env: { DOCKER_HOST: engine!.dockerHost }, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`run ${runId} FINISHED`));
    const s2 = store(t.dir);
    try {
      const run = s2.getRun(runId);
      assert.equal(run.info.status, 'FINISHED');
      assert.equal(run.info.exitCode, 0);
      assert.equal(run.metrics.find((m) => m.key === 'loss')?.count, 40);
      assert.equal(run.tags['loopline.container.exitCode'], '0');
      const log = readFileSync(join(s2.artifactsRoot, runId, 'logs', 'output.log'), 'utf8');
      assert.match(log, /step 0\n[\s\S]*step 39\ntrained/);
    } finally {
      s2.close();
    }
    assert.deepEqual(containersWithLabel(engine!, `loopline.store=${storePath}`), []);
  } finally {
    t.cleanup();
  }
});
