// The Python client outside this repository: `loopline run` makes `import loopline` work in a fresh
// repository with no install (appended to PYTHONPATH), and the wheel installs into a fresh venv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../src/core/store/run-store.ts';
import { TrackingServer } from '../src/core/tracking/tracking-server.ts';
import { gitRepo, runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp-store.ts';

const TRAIN = `
import os, sys, loopline
print("client", loopline.__file__)
print("pythonpath", os.environ.get("PYTHONPATH"))
with loopline.start_run() as run:
    for step in range(5):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
print("done")
`;

test('loopline run: a script in a fresh repository imports loopline with no install, and a user PYTHONPATH comes first', async () => {
  const t = tempDir();
  try {
    gitRepo(t.dir, { 'train.py': TRAIN, '.gitignore': '.loopline/\n' });
    mkdirSync(join(t.dir, 'mine'));
    const r = await runCli(['run', '--', 'python3', 'train.py'], { cwd: t.dir, env: { PYTHONPATH: join(t.dir, 'mine') } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /done/);
    const pythonPath = /pythonpath (.*)/.exec(r.stdout)![1]!.split(':');
    assert.equal(pythonPath[0], join(t.dir, 'mine'), 'the user PYTHONPATH stays first');
    assert.match(pythonPath.at(-1)!, /(clients|dist)\/python$/);
    const store = RunStore.open(join(t.dir, '.loopline', 'loopline.db'));
    try {
      const [run] = store.searchRuns({ experimentIds: ['0'] }).runs;
      assert.equal(run!.info.status, 'FINISHED');
      assert.equal(run!.metrics.find((m) => m.key === 'loss')?.count, 5);
    } finally {
      store.close();
    }
    // An installed client wins over the bundled one: put a fake 'loopline' module first.
    writeFileSync(join(t.dir, 'mine', 'loopline.py'), '__version__ = "user"\nraise SystemExit("user client loaded")\n');
    const mine = await runCli(['run', '--', 'python3', 'train.py'], { cwd: t.dir, env: { PYTHONPATH: join(t.dir, 'mine') } });
    assert.match(mine.stderr + mine.stdout, /user client loaded/);
  } finally {
    t.cleanup();
  }
});

test('python-client --install puts the wheel into a fresh venv, which then logs a run; errors say what to do', async () => {
  const t = tempDir();
  try {
    execFileSync('python3', ['-m', 'venv', join(t.dir, 'venv')]);
    const py = join(t.dir, 'venv', 'bin', 'python');
    const wheel = await runCli(['python-client', '--wheel', 'wheels'], { cwd: t.dir });
    assert.equal(wheel.code, 0, wheel.stderr);
    assert.match(wheel.stdout.trim(), /wheels\/loopline-\d+\.\d+\.\d+-py3-none-any\.whl$/);
    assert.ok(existsSync(wheel.stdout.trim()));
    const r = await runCli(['python-client', '--install', '--python', py], { cwd: t.dir, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /installed the Loopline client/);
    // Outside any Loopline process: a plain venv python, no PYTHONPATH.
    const server = await TrackingServer.start({ store: RunStore.open(join(t.dir, 's', 'loopline.db')) });
    try {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LOOPLINE_TRACKING_URI: server.url, LOOPLINE_TRACKING_TOKEN: server.token };
      // Async: the server answers from this process's event loop.
      const out = await promisify(execFile)(py, ['-c', 'import loopline,sys; r=loopline.start_run(name="from-venv"); r.log_metric("acc", 0.5, step=1); r.end(); print(loopline.__file__)'], { cwd: t.dir, env, encoding: 'utf8' });
      assert.doesNotMatch(out.stderr, /offline/, out.stderr);
      assert.match(out.stdout, /venv\/lib\/python3[.\d]*\/site-packages\/loopline\.py/);
      const store = RunStore.open(join(t.dir, 's', 'loopline.db'));
      try {
        const runs = store.searchRuns({ experimentIds: ['0'] }).runs;
        assert.equal(runs[0]?.info.name, 'from-venv');
        assert.equal(runs[0]?.metrics.find((m) => m.key === 'acc')?.last, 0.5);
      } finally {
        store.close();
      }
    } finally {
      await server.close();
    }
    const bad = await runCli(['python-client', '--install', '--python', join(t.dir, 'no-such-python')], { cwd: t.dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /was not found: pass --python PATH/);
  } finally {
    t.cleanup();
  }
});
