// The Python client (clients/python/loopline.py) as a training script uses it: a real python3
// process logging to a real tracking server over a temp SQLite store, checked in the store after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunStore } from '../src/core/store/run-store.ts';
import type { MetricSummary } from '../src/core/store/types.ts';
import { importSpool } from '../src/core/tracking/spool-import.ts';
import { TrackingServer } from '../src/core/tracking/tracking-server.ts';
import { IRIS_EXAMPLE, PYTHON_CLIENT_DIR } from './helpers/paths.ts';
import { tempDir, tempServer, tempStore } from './helpers/temp-store.ts';

const TOKEN = 'test-token';

interface PyResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** A running python3 process; `stop` kills it if it is still alive. */
interface Py {
  out: () => string;
  waitFor: (text: string) => Promise<void>;
  send: (line: string) => void;
  done: Promise<PyResult>;
  stop: () => void;
}

/** python3 with only our LOOPLINE_* variables, the client on PYTHONPATH and no .pyc written into the repo. */
function startPy(args: string[], cwd: string, extraEnv: Record<string, string>): Py {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('LOOPLINE_') || k.startsWith('MLFLOW_')) delete env[k];
  Object.assign(env, { PYTHONPATH: PYTHON_CLIENT_DIR, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' }, extraEnv);
  const child: ChildProcess = spawn('python3', args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  let exited = false;
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  child.stdin!.on('error', () => {}); // the script may exit before reading what we send
  const timer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), 20_000);
  const done = new Promise<PyResult>((resolve) => {
    child.on('error', (err) => (stderr += `spawn error: ${err.message}`));
    child.on('close', (code) => {
      exited = true;
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
  const waitFor = async (text: string) => {
    for (const t0 = Date.now(); !stdout.includes(text); await new Promise((r) => setTimeout(r, 20))) {
      if (exited || Date.now() - t0 > 15_000) throw new Error(`python did not print '${text}'\n${stdout}\n${stderr}`);
    }
  };
  return {
    out: () => stdout,
    waitFor,
    send: (line) => child.stdin!.write(`${line}\n`),
    done,
    stop: () => {
      clearTimeout(timer);
      if (!exited) child.kill('SIGKILL');
    },
  };
}

/** Runs python3 to the end (it is killed after 20 s). */
async function runPy(cwd: string, args: string[], env: Record<string, string>): Promise<PyResult> {
  const r = await startPy(args, cwd, env).done;
  assert.ok(!r.timedOut, `python3 ${args.join(' ')} timed out\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Writes a script into `dir` and runs it there. */
function runScript(dir: string, name: string, code: string, env: Record<string, string>, args: string[] = []): Promise<PyResult> {
  writeFileSync(join(dir, name), code);
  return runPy(dir, [name, ...args], env);
}

function metric(store: RunStore, runId: string, key: string): MetricSummary {
  const m = store.getRun(runId).metrics.find((s) => s.key === key);
  assert.ok(m, `run ${runId} has no metric '${key}'`);
  return m;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');
const field = (out: string, name: string) => new RegExp(`^${name} (.*)$`, 'm').exec(out)?.[1]?.split(' ') ?? [];

test('logging into an existing run: params, metrics (NaN and ±inf kept), tags and artifacts; the run is not ended', async () => {
  const t = await tempServer(TOKEN);
  const d = tempDir();
  try {
    const run = t.store.createRun({ name: 'launched' });
    const small = randomBytes(300_000);
    const big = randomBytes(9 * 1024 * 1024); // above the client's 8 MB single-send limit: streamed
    writeFileSync(join(d.dir, 'weights v1.bin'), small);
    writeFileSync(join(d.dir, 'big.bin'), big);
    const r = await runScript(
      d.dir,
      'train.py',
      `import json, os, sys
import loopline
with loopline.start_run(params={"lr": 0.01, "layers": [64, 32]}, tags={"team": "vision"}) as run:
    assert run.run_id == os.environ["LOOPLINE_RUN_ID"] and not run.owns_run
    for i, v in enumerate([float("nan"), float("inf"), float("-inf"), 1.5]):
        run.log_metric("odd", v, step=i)
    for i in range(50):
        run.log_metric("loss", 1.0 / (i + 1))
    run.log_metrics({"acc": 0.75, "f1": 0.5}, step=7)
    run.set_tag("stage", "dev")
    run.log_artifact(sys.argv[1], artifact_path="model/v1")
    run.log_artifact(sys.argv[2])
print("params", json.dumps(loopline.params(), sort_keys=True))
`,
      {
        LOOPLINE_TRACKING_URI: t.server.url,
        LOOPLINE_TRACKING_TOKEN: TOKEN,
        LOOPLINE_RUN_ID: run.info.id,
        LOOPLINE_SPOOL_DIR: join(d.dir, 'spool'),
        LOOPLINE_PARAMS: JSON.stringify({ batch: 32, opt: 'adam' }),
      },
      ['weights v1.bin', 'big.bin'],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no warnings when everything is delivered');
    assert.match(r.stdout, /params \{"batch": "32", "opt": "adam"\}/);
    assert.ok(!existsSync(join(d.dir, 'spool')), 'nothing was spooled');

    const got = t.store.getRun(run.info.id);
    assert.deepEqual([got.info.status, got.info.endTime], ['RUNNING', null], 'a run given by the launcher is not ended by the client');
    assert.deepEqual(got.params, { lr: '0.01', layers: '[64, 32]', batch: '32', opt: 'adam' });
    assert.deepEqual([got.tags.team, got.tags.stage], ['vision', 'dev']);

    const odd = t.store.metricHistory(run.info.id, 'odd').map((p) => [p.step, p.value]);
    assert.deepEqual(odd, [[0, NaN], [1, Infinity], [2, -Infinity], [3, 1.5]]);
    assert.deepEqual(
      { ...metric(t.store, run.info.id, 'odd'), lastTimestamp: 0 },
      { key: 'odd', last: 1.5, lastStep: 3, lastTimestamp: 0, min: -Infinity, minStep: 2, max: Infinity, maxStep: 1, count: 4 },
    );
    const loss = metric(t.store, run.info.id, 'loss');
    assert.deepEqual([loss.count, loss.lastStep, loss.last, loss.min, loss.max], [50, 49, 1 / 50, 1 / 50, 1]);
    assert.deepEqual([metric(t.store, run.info.id, 'acc').last, metric(t.store, run.info.id, 'f1').lastStep], [0.75, 7]);

    const recorded = t.store.recordedArtifacts(run.info.id);
    for (const [rel, bytes] of [['model/v1/weights v1.bin', small], ['big.bin', big]] as const) {
      const onDisk = readFileSync(join(t.store.artifactsRoot, run.info.id, ...rel.split('/')));
      assert.ok(onDisk.equals(bytes), `${rel} arrived byte for byte`);
      assert.deepEqual(recorded.find((a) => a.path === rel), { path: rel, size: bytes.length, sha256: sha256(bytes) });
    }
  } finally {
    await t.cleanup();
    d.cleanup();
  }
});

const OWN_RUN = `import sys, loopline
with loopline.start_run(params={"p": 1}, name=sys.argv[1]) as run:
    print("run", run.run_id, run.experiment_id, run.owns_run)
    for i in range(10):
        run.log_metric("m", i)
    if sys.argv[2] == "fail":
        raise RuntimeError("boom in training")
print("after the with block")
`;

test('a run the client creates lands in LOOPLINE_EXPERIMENT_ID with its name; FINISHED, or FAILED when the block raises', async () => {
  const t = await tempServer(TOKEN);
  const d = tempDir();
  try {
    const exp = t.store.createExperiment('py-client');
    const env = { LOOPLINE_TRACKING_URI: t.server.url, LOOPLINE_TRACKING_TOKEN: TOKEN, LOOPLINE_EXPERIMENT_ID: exp.id, LOOPLINE_SPOOL_DIR: join(d.dir, 'spool') };

    const ok = await runScript(d.dir, 'own.py', OWN_RUN, env, ['good-run', 'ok']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stderr, '');
    assert.match(ok.stdout, /after the with block/);
    const [okId, okExp, owns] = field(ok.stdout, 'run') as [string, string, string];
    assert.deepEqual([okExp, owns], [exp.id, 'True']);
    const good = t.store.getRun(okId);
    assert.deepEqual([good.info.experimentId, good.info.name, good.info.status], [exp.id, 'good-run', 'FINISHED']);
    assert.ok(good.info.endTime !== null && good.info.endTime >= good.info.startTime);
    assert.deepEqual([good.params.p, good.tags['mlflow.runName'], good.tags['mlflow.source.name']], ['1', 'good-run', join(d.dir, 'own.py')]);
    assert.equal(metric(t.store, okId, 'm').count, 10);

    const bad = await runScript(d.dir, 'own.py', OWN_RUN, env, ['bad-run', 'fail']);
    assert.notEqual(bad.code, 0, 'the exception still ends the script with an error');
    assert.match(bad.stderr, /RuntimeError: boom in training/);
    assert.doesNotMatch(bad.stdout, /after the with block/);
    const failed = t.store.getRun(field(bad.stdout, 'run')[0]!);
    assert.deepEqual([failed.info.name, failed.info.status, failed.info.endTime !== null], ['bad-run', 'FAILED', true]);
    assert.equal(metric(t.store, failed.info.id, 'm').count, 10, 'points logged before the exception are kept');
    assert.equal(t.store.countRuns(exp.id), 2);
  } finally {
    await t.cleanup();
    d.cleanup();
  }
});

test('100,000 log_metric calls in a loop all arrive', async () => {
  const t = await tempServer(TOKEN);
  const d = tempDir();
  try {
    const run = t.store.createRun({});
    const r = await runScript(
      d.dir,
      'many.py',
      `import time, loopline
t0 = time.perf_counter()
with loopline.start_run() as run:
    for i in range(100000):
        run.log_metric("x", i * 0.5)
    t1 = time.perf_counter()
print("timing", t1 - t0, time.perf_counter() - t0)
`,
      { LOOPLINE_TRACKING_URI: t.server.url, LOOPLINE_TRACKING_TOKEN: TOKEN, LOOPLINE_RUN_ID: run.info.id, LOOPLINE_SPOOL_DIR: join(d.dir, 'spool') },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const x = metric(t.store, run.info.id, 'x');
    assert.deepEqual(
      [x.count, x.min, x.minStep, x.max, x.maxStep, x.last, x.lastStep],
      [100_000, 0, 0, 99_999 * 0.5, 99_999, 99_999 * 0.5, 99_999],
    );
    const [loop, total] = field(r.stdout, 'timing').map(Number) as [number, number];
    console.log(
      `python client: 100000 log_metric calls in ${loop.toFixed(3)} s (${Math.round(100_000 / loop)}/s in the loop); ` +
        `all delivered after ${total.toFixed(3)} s (${Math.round(100_000 / total)} points/s end to end)`,
    );
  } finally {
    await t.cleanup();
    d.cleanup();
  }
});

test('the server going away and coming back: training goes on, spools while down, resumes live, import completes the run', async () => {
  const t = tempStore();
  const d = tempDir();
  const spoolDir = join(d.dir, 'spool');
  let server: TrackingServer | null = await TrackingServer.start({ store: t.store, token: TOKEN });
  const port = server.port;
  writeFileSync(
    join(d.dir, 'phases.py'),
    `import os, sys, loopline
N = 20000
with loopline.start_run(name="restart") as run:
    print("run", run.run_id, os.getpid(), run.spool_path)
    for phase in range(3):
        for i in range(phase * N, (phase + 1) * N):
            run.log_metric("y", float(i), step=i)
        run.flush()
        if phase == 1:
            run.log_artifact("ckpt.bin", artifact_path="ckpt")
        print("phase%d" % (phase + 1))
        if phase < 2:
            sys.stdin.readline()
print("done")
`,
  );
  const ckpt = randomBytes(10_000);
  writeFileSync(join(d.dir, 'ckpt.bin'), ckpt);
  const env = { LOOPLINE_TRACKING_URI: server.url, LOOPLINE_TRACKING_TOKEN: TOKEN, LOOPLINE_SPOOL_DIR: spoolDir, LOOPLINE_RETRY_SECONDS: '1' };
  const p = startPy(['phases.py'], d.dir, env);
  const steps = (runId: string, minStep: number, maxStep: number) => t.store.metricHistory(runId, 'y', { minStep, maxStep }).length;
  try {
    await p.waitFor('phase1');
    const [runId, pid, spool] = field(p.out(), 'run') as [string, string, string];
    assert.equal(spool, join(spoolDir, `${runId}-${pid}.jsonl`));
    assert.equal(steps(runId, 0, 19_999), 20_000, 'phase 1 arrived live');

    await server.close();
    server = null;
    p.send('go');
    await p.waitFor('phase2');
    assert.equal(steps(runId, 0, 1e9), 20_000, 'nothing arrives while the server is down');
    assert.ok(existsSync(spool), 'phase 2 went to the spool file');

    server = await TrackingServer.start({ store: t.store, port, token: TOKEN });
    p.send('go');
    const r = await p.done;
    assert.ok(!r.timedOut, `timed out\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.code, 0, `training never crashed: ${r.stderr}`);
    assert.match(r.stdout, /phase3\ndone/);
    const warnings = lines(r.stderr);
    assert.equal(warnings.length, 1, `exactly one warning line:\n${r.stderr}`);
    assert.ok(warnings[0]!.includes(`spooling to ${spool}; import later with: loopline import-spool ${spool}`), warnings[0]);

    assert.equal(steps(runId, 40_000, 59_999), 20_000, 'phase 3 arrived live after the restart');
    assert.equal(steps(runId, 20_000, 39_999), 0);
    assert.equal(t.store.getRun(runId).info.status, 'FINISHED', 'the run end arrived live too');
    const spooled = lines(readFileSync(spool, 'utf8')).map((l) => JSON.parse(l));
    const batches = spooled.filter((o) => o.op === 'log-batch');
    assert.ok(spooled.every((o) => o.v === 1 && o.run_id === runId) && batches.every((o) => o.metrics.length <= 1000));
    assert.equal(batches.reduce((n, o) => n + o.metrics.length, 0), 20_000, 'exactly phase 2 was spooled');
    assert.deepEqual(spooled.filter((o) => o.op !== 'log-batch').map((o) => [o.op, o.path]), [['artifact', 'ckpt/ckpt.bin']]);
    assert.deepEqual(t.store.recordedArtifacts(runId), []);

    for (let i = 0; i < 2; i++) {
      const res = await importSpool(t.store, spool);
      assert.deepEqual(res.problems, []);
      assert.deepEqual([res.points, res.artifacts], [20_000, 1]);
      const y = metric(t.store, runId, 'y');
      assert.deepEqual([y.count, y.min, y.max, y.last, y.lastStep], [60_000, 0, 59_999, 59_999, 59_999], `after import #${i + 1}`);
    }
    assert.equal(steps(runId, 0, 1e9), 60_000, 'every point exactly once');
    assert.ok(readFileSync(join(t.store.artifactsRoot, runId, 'ckpt', 'ckpt.bin')).equals(ckpt));
  } finally {
    p.stop();
    await server?.close();
    t.cleanup();
    d.cleanup();
  }
});

test('offline mode (no tracking URI): one warning, and import-spool recreates the run with its id, data and status', async () => {
  const t = tempStore();
  const d = tempDir();
  try {
    const exp = t.store.createExperiment('offline');
    const spoolDir = join(d.dir, 'spool');
    const art = randomBytes(50_000);
    writeFileSync(join(d.dir, 'weights.bin'), art);
    const r = await runScript(
      d.dir,
      'offline.py',
      `import os, loopline
with loopline.start_run(params={"lr": 0.1}, name="offline-run", tags={"k": "v"}) as run:
    print("run", run.run_id, os.getpid(), run.spool_path, run.offline)
    for i in range(2500):
        run.log_metric("loss", 1.0 / (i + 1))
    run.log_metric("odd", float("-inf"), step=0)
    run.log_metric("odd", float("nan"), step=1)
    run.log_artifact("weights.bin", artifact_path="model")
    with open("weights.bin", "w") as f:
        f.write("changed after logging")
print("done")
`,
      { LOOPLINE_EXPERIMENT_ID: exp.id, LOOPLINE_SPOOL_DIR: spoolDir, LOOPLINE_PARAMS: '{"seed": 7}' },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /done/);
    const [runId, pid, spool, offline] = field(r.stdout, 'run') as [string, string, string, string];
    assert.match(runId, /^[0-9a-f]{32}$/);
    assert.deepEqual([spool, offline], [join(spoolDir, `${runId}-${pid}.jsonl`), 'True']);
    const warnings = lines(r.stderr);
    assert.equal(warnings.length, 1, r.stderr);
    assert.ok(warnings[0]!.includes(`loopline import-spool ${spool}`), warnings[0]);
    assert.deepEqual(readdirSync(spoolDir).sort(), [`${runId}-${pid}.artifacts`, `${runId}-${pid}.jsonl`]);

    const res = await importSpool(t.store, spool);
    assert.deepEqual([res.problems, res.runs, res.points, res.artifacts], [[], [runId], 2502, 1]);
    const run = t.store.getRun(runId);
    assert.deepEqual([run.info.name, run.info.experimentId, run.info.status], ['offline-run', exp.id, 'FINISHED']);
    assert.ok(run.info.endTime !== null && run.info.endTime >= run.info.startTime);
    assert.deepEqual(run.params, { lr: '0.1', seed: '7' });
    assert.equal(run.tags.k, 'v');
    const loss = metric(t.store, runId, 'loss');
    assert.deepEqual([loss.count, loss.lastStep, loss.min, loss.max], [2500, 2499, 1 / 2500, 1]);
    assert.deepEqual(t.store.metricHistory(runId, 'odd').map((p) => p.value), [-Infinity, NaN]);
    const onDisk = readFileSync(join(t.store.artifactsRoot, runId, 'model', 'weights.bin'));
    assert.ok(onDisk.equals(art), 'the artifact as it was when logged, not as changed later');
    assert.deepEqual(t.store.recordedArtifacts(runId), [{ path: 'model/weights.bin', size: art.length, sha256: sha256(art) }]);
  } finally {
    t.cleanup();
    d.cleanup();
  }
});

const WRONG_TOKEN_SCRIPT = `import sys, loopline
with loopline.start_run(params={"a": 1}, name="nope") as run:
    print("offline", run.offline)
    for i in range(3000):
        run.log_metric("m", i)
    run.set_tag("t", "x")
    run.log_artifact("a.txt")
print("survived")
`;

test('a wrong token does not crash the script: one warning per distinct error, nothing stored', async () => {
  const t = await tempServer(TOKEN);
  const d = tempDir();
  try {
    const run = t.store.createRun({ name: 'launched' });
    writeFileSync(join(d.dir, 'a.txt'), 'artifact');
    const env = { LOOPLINE_TRACKING_URI: t.server.url, LOOPLINE_TRACKING_TOKEN: 'wrong-secret', LOOPLINE_SPOOL_DIR: join(d.dir, 'spool') };

    const attached = await runScript(d.dir, 'wrong.py', WRONG_TOKEN_SCRIPT, { ...env, LOOPLINE_RUN_ID: run.info.id });
    assert.equal(attached.code, 0, attached.stderr);
    assert.match(attached.stdout, /offline False\nsurvived/);
    const warnings = lines(attached.stderr);
    // The one distinct error (401) once, then a count of the requests it cost.
    assert.equal(warnings.length, 2, attached.stderr);
    assert.match(warnings[0]!, /^loopline: server rejected .* UNAUTHENTICATED Missing or wrong token/);
    assert.match(warnings[1]!, /^loopline: the server rejected \d+ requests for run .* in total/);
    assert.ok(!attached.stderr.includes('wrong-secret'), 'the token is never printed');
    const got = t.store.getRun(run.info.id);
    assert.deepEqual([got.params, got.metrics, got.info.status, got.tags.t], [{}, [], 'RUNNING', undefined]);
    assert.deepEqual(t.store.recordedArtifacts(run.info.id), []);
    assert.ok(!existsSync(join(t.store.artifactsRoot, run.info.id)));

    // A run the client would create: runs/create is refused, so it logs offline to a spool file.
    const own = await runScript(d.dir, 'wrong.py', WRONG_TOKEN_SCRIPT, env);
    assert.equal(own.code, 0, own.stderr);
    assert.match(own.stdout, /offline True\nsurvived/);
    const ownWarnings = lines(own.stderr);
    assert.equal(ownWarnings.length, 1, own.stderr);
    assert.match(ownWarnings[0]!, /rejected runs\/create \(UNAUTHENTICATED.*loopline import-spool /);
    assert.ok(!own.stderr.includes('wrong-secret'));
    assert.equal(t.store.countRuns('0', 'ALL'), 1, 'no run was created on the server');
  } finally {
    await t.cleanup();
    d.cleanup();
  }
});

test('the Iris example end to end logs 30 epochs, its params and the model artifact', async () => {
  const t = await tempServer(TOKEN);
  const d = tempDir();
  try {
    const run = t.store.createRun({ name: 'iris' });
    // cwd is a temp folder: the example writes model.json into its working folder.
    const r = await runPy(d.dir, [IRIS_EXAMPLE, '--epochs', '30'], {
      LOOPLINE_TRACKING_URI: t.server.url,
      LOOPLINE_TRACKING_TOKEN: TOKEN,
      LOOPLINE_RUN_ID: run.info.id,
      LOOPLINE_SPOOL_DIR: join(d.dir, 'spool'),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, new RegExp(`done in .*run ${run.info.id}`));
    const got = t.store.getRun(run.info.id);
    assert.equal(got.info.status, 'RUNNING');
    assert.deepEqual([got.params.lr, got.params.epochs, got.params.seed], ['0.1', '30', '0']);
    assert.equal(got.tags.dataset, 'iris');
    for (const key of ['train_loss', 'train_accuracy', 'val_loss', 'val_accuracy']) {
      const m = metric(t.store, run.info.id, key);
      assert.deepEqual([m.count, m.lastStep], [30, 30], key);
    }
    assert.ok(metric(t.store, run.info.id, 'val_accuracy').last > 0.8, 'the model learned something');
    const bytes = readFileSync(join(t.store.artifactsRoot, run.info.id, 'model', 'model.json'));
    assert.ok(bytes.equals(readFileSync(join(d.dir, 'model.json'))));
    const model = JSON.parse(bytes.toString('utf8'));
    assert.deepEqual([model.type, model.classes.length, model.params.epochs], ['softmax-regression', 3, 30]);
    assert.deepEqual(t.store.recordedArtifacts(run.info.id), [{ path: 'model/model.json', size: bytes.length, sha256: sha256(bytes) }]);
  } finally {
    await t.cleanup();
    d.cleanup();
  }
});
