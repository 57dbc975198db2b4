import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../src/core/store/run-store.ts';
import { gitRepo, runCli } from './helpers/cli.ts';
import { PYTHON_CLIENT_DIR } from './helpers/paths.ts';
import { tempDir } from './helpers/temp-store.ts';

// A training script that logs through the Loopline client and prints what the launcher gave it.
const TRAIN = `
import os, sys, json
sys.path.insert(0, ${JSON.stringify(PYTHON_CLIENT_DIR)})
import loopline
print("env", json.dumps({k: os.environ.get(k) for k in ["MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "LOOPLINE_RUN_ID"]}))
with loopline.start_run() as run:
    run.log_params({"lr": sys.argv[1] if len(sys.argv) > 1 else "0.1"})
    for step in range(50):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
    run.log_metric("acc", 0.93, step=49)
print("done training")
sys.exit(int(os.environ.get("EXIT_WITH", "0")))
`;

function openStoreIn(dir: string): RunStore {
  return RunStore.open(join(dir, '.loopline', 'loopline.db'));
}

test('loopline run records params, metrics, code, output and exit status; ls and show print them', async () => {
  const t = tempDir();
  try {
    const commit = gitRepo(t.dir, { 'train.py': TRAIN, '.gitignore': '.loopline/\n' });
    writeFileSync(join(t.dir, 'notes.txt'), 'uncommitted idea\n'); // untracked: must be in the patch
    writeFileSync(join(t.dir, 'train.py'), TRAIN + '\n# tweak\n'); // tracked change
    const r = await runCli(['run', '--experiment', 'iris', '--name', 'first', '--param', 'batch=32', '--', 'python3', 'train.py', '0.05'], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /done training/);
    assert.match(r.stderr, /run [0-9a-f]{32} finished/);
    const env = JSON.parse(/env (\{.*\})/.exec(r.stdout)![1]!);
    assert.match(env.MLFLOW_TRACKING_URI, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(env.MLFLOW_RUN_ID, env.LOOPLINE_RUN_ID);

    const store = openStoreIn(t.dir);
    try {
      const exp = store.getExperimentByName('iris');
      const run = store.getRun(env.MLFLOW_RUN_ID);
      assert.equal(run.info.experimentId, exp.id);
      assert.equal(env.MLFLOW_EXPERIMENT_ID, exp.id);
      assert.equal(run.info.name, 'first');
      assert.equal(run.info.status, 'FINISHED');
      assert.equal(run.info.exitCode, 0);
      assert.ok(run.info.endTime! >= run.info.startTime);
      assert.equal(run.info.command, 'python3 train.py 0.05');
      assert.equal(run.info.sourceFile, 'train.py');
      assert.deepEqual(run.params, { lr: '0.05', batch: '32' });
      const loss = run.metrics.find((m) => m.key === 'loss')!;
      assert.equal(loss.count, 50);
      assert.equal(loss.min, 1 / 50);
      assert.equal(loss.max, 1);
      assert.equal(loss.lastStep, 49);
      assert.equal(run.info.git?.commit, commit);
      assert.equal(run.info.git?.branch, 'main');
      assert.equal(run.info.git?.dirty, true);
      assert.match(run.info.git?.patch ?? '', /\+uncommitted idea/);
      assert.match(run.info.git?.patch ?? '', /\+# tweak/);
      assert.equal(run.tags['mlflow.source.git.commit'], commit);
      const log = readFileSync(join(store.artifactsRoot, run.info.id, 'logs', 'output.log'), 'utf8');
      assert.match(log, /done training/);
      assert.ok(store.recordedArtifacts(run.info.id).some((a) => a.path === 'logs/output.log'));
    } finally {
      store.close();
    }
    const ls = await runCli(['ls'], { cwd: t.dir });
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /first\s+iris\s+✓ finished/);
    assert.match(ls.stdout, /lr/);
    assert.match(ls.stdout, /0\.05/);
    // Numeric param filters (an extension of MLflow's syntax): lr = 0.05 here.
    const below = await runCli(['ls', '--filter', 'params.lr < 0.1'], { cwd: t.dir });
    assert.equal(below.code, 0, below.stderr);
    assert.match(below.stdout, /first\s+iris\s+✓ finished/);
    const above = await runCli(['ls', '--filter', 'params.lr > 0.1'], { cwd: t.dir });
    assert.equal(above.code, 0, above.stderr);
    assert.doesNotMatch(above.stdout, /first\s+iris/);
    const show = await runCli(['show', env.MLFLOW_RUN_ID.slice(0, 8), '--json'], { cwd: t.dir });
    assert.equal(show.code, 0, show.stderr);
    const shown = JSON.parse(show.stdout);
    assert.equal(shown.info.id, env.MLFLOW_RUN_ID);
    assert.ok(shown.artifacts.some((a: { path: string; sha256: string }) => a.path === 'logs/output.log' && /^[0-9a-f]{64}$/.test(a.sha256)));
  } finally {
    t.cleanup();
  }
});

test('a non-zero exit marks the run FAILED and loopline exits with the same code', async () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, 'train.py'), TRAIN);
    const r = await runCli(['run', '--', 'python3', 'train.py'], { cwd: t.dir, env: { EXIT_WITH: '3' } });
    assert.equal(r.code, 3);
    const store = openStoreIn(t.dir);
    try {
      const [run] = store.searchRuns({ experimentIds: ['0'] }).runs;
      assert.equal(run!.info.status, 'FAILED');
      assert.equal(run!.info.exitCode, 3);
      assert.equal(run!.info.git?.isRepo, false, 'outside git the run records that there was no repository');
      assert.equal(run!.metrics.find((m) => m.key === 'loss')?.count, 50, 'metrics logged before the failure are kept');
    } finally {
      store.close();
    }
  } finally {
    t.cleanup();
  }
});

test('a command that does not exist fails with a clear message and a FAILED run', async () => {
  const t = tempDir();
  try {
    const r = await runCli(['run', '--', 'no-such-program-xyz', '--flag'], { cwd: t.dir });
    assert.equal(r.code, 127);
    assert.match(r.stderr, /Command 'no-such-program-xyz' not found/);
    const store = openStoreIn(t.dir);
    try {
      const [run] = store.searchRuns({ experimentIds: ['0'] }).runs;
      assert.equal(run!.info.status, 'FAILED');
      assert.match(readFileSync(join(store.artifactsRoot, run!.info.id, 'logs', 'output.log'), 'utf8'), /not found/);
    } finally {
      store.close();
    }
  } finally {
    t.cleanup();
  }
});

test('Ctrl-C (SIGINT) stops the training process and marks the run KILLED', async () => {
  const t = tempDir();
  try {
    writeFileSync(
      join(t.dir, 'slow.py'),
      `import sys, time\nsys.path.insert(0, ${JSON.stringify(PYTHON_CLIENT_DIR)})\nimport loopline\nwith loopline.start_run() as run:\n    for i in range(10000):\n        run.log_metric("x", i, step=i)\n        if i == 3: print("started", flush=True)\n        time.sleep(0.05)\n`,
    );
    const { CLI } = await import('./helpers/paths.ts');
    const child = spawn(CLI, ['run', '--', 'python3', 'slow.py'], { cwd: t.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never started: ${out} ${err}`)), 20_000);
      child.stdout.on('data', (c) => {
        out += c;
        if (out.includes('started')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.notEqual(code, 0);
    const store = openStoreIn(t.dir);
    try {
      const [run] = store.searchRuns({ experimentIds: ['0'] }).runs;
      assert.equal(run!.info.status, 'KILLED', err);
      assert.ok(run!.info.endTime);
      assert.ok((run!.metrics.find((m) => m.key === 'x')?.count ?? 0) >= 4, 'points logged before the stop are kept');
    } finally {
      store.close();
    }
  } finally {
    t.cleanup();
  }
});

test('loopline serve prints MLflow variables and loopline run logs into that server', async () => {
  const t = tempDir();
  const { CLI } = await import('./helpers/paths.ts');
  const serve = spawn(CLI, ['serve', '--port', '0', '--token', 'tok-123'], { cwd: t.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve printed nothing: ${out}`)), 15_000);
      serve.stdout.on('data', (c) => {
        out += c;
        const m = /MLFLOW_TRACKING_URI=(\S+)\n[^]*MLFLOW_TRACKING_TOKEN=tok-123/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    assert.ok(existsSync(join(t.dir, '.loopline', 'server.json')));
    writeFileSync(join(t.dir, 'train.py'), TRAIN);
    const r = await runCli(['run', '--', 'python3', 'train.py'], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stderr.includes(`tracking at ${url}`), r.stderr);
    const res = await fetch(`${url}/api/2.0/mlflow/runs/search`, {
      method: 'POST',
      headers: { Authorization: 'Bearer tok-123' },
      body: JSON.stringify({ experiment_ids: ['0'] }),
    });
    const body = (await res.json()) as { runs: Array<{ data: { metrics: Array<{ key: string }> } }> };
    assert.equal(body.runs.length, 1);
    assert.ok(body.runs[0]!.data.metrics.some((m) => m.key === 'loss'));
  } finally {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.on('close', r));
    assert.ok(!existsSync(join(t.dir, '.loopline', 'server.json')), 'serve removes its advert when it stops');
    t.cleanup();
  }
});

test('CLI errors are one clear line and a non-zero exit', async () => {
  const t = tempDir();
  try {
    const cases: Array<[string[], RegExp]> = [
      [['show', 'abcdef12'], /No run id starts with 'abcdef12'/],
      [['show'], /Give a run id/],
      [['run'], /Give the command to run after --/],
      [['ls', '--experiment', 'nope'], /No experiment named 'nope'/],
      [['ls', '--filter', 'metrics.acc >'], /Invalid search expression/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['serve', '--port', 'abc'], /--port must be a number/],
      [['run', '--param', 'novalue', '--', 'true'], /--param needs key=value/],
      [['import-spool', 'missing.jsonl'], /Spool file 'missing.jsonl' not found/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args, { cwd: t.dir });
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    }
    writeFileSync(join(t.dir, 'garbage.db'), 'this is not sqlite at all, just text '.repeat(200));
    const r = await runCli(['ls', '--store', 'garbage.db'], { cwd: t.dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a Loopline database or is damaged.*Move it aside/);
  } finally {
    t.cleanup();
  }
});

test('stopping a run whose script already exited stops what it left running, and the run stays FINISHED', async () => {
  const { RunStore: Store } = await import('../src/core/store/run-store.ts');
  const { launchRun } = await import('../src/core/runs/run-launcher.ts');
  const t = tempDir();
  const store = Store.open(join(t.dir, '.loopline', 'loopline.db'));
  try {
    // The script exits at once but leaves a child holding its output open for 20 s.
    const active = await launchRun({ store, command: ['bash', '-c', 'sleep 20 & exit 0'], cwd: t.dir, tracking: { url: 'http://127.0.0.1:9', token: 't' }, spoolDir: join(t.dir, 'spool') });
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    active.stop();
    active.stop();
    const outcome = await active.finished;
    assert.ok(Date.now() - started < 5000, 'the leftover process was stopped, not waited for');
    assert.equal(outcome.status, 'FINISHED');
    assert.equal(store.getRun(active.runId).info.status, 'FINISHED');
  } finally {
    store.close();
    t.cleanup();
  }
});

test('a run still finishes in the store when the launcher\'s own store was closed meanwhile', async () => {
  const { RunStore: Store } = await import('../src/core/store/run-store.ts');
  const { launchRun } = await import('../src/core/runs/run-launcher.ts');
  const t = tempDir();
  const dbPath = join(t.dir, '.loopline', 'loopline.db');
  const store = Store.open(dbPath);
  try {
    const active = await launchRun({ store, command: ['sleep', '1'], cwd: t.dir, tracking: { url: 'http://127.0.0.1:9', token: 't' }, spoolDir: join(t.dir, 'spool') });
    store.close(); // e.g. the window closing while the run goes on
    const outcome = await active.finished;
    assert.deepEqual(outcome.problems, []);
    const again = Store.open(dbPath);
    try {
      assert.equal(again.getRun(active.runId).info.status, 'FINISHED');
      assert.ok(again.recordedArtifacts(active.runId).some((a) => a.path === 'logs/output.log'));
    } finally {
      again.close();
    }
  } finally {
    t.cleanup();
  }
});
