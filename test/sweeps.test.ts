import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../src/core/store/run-store.ts';
import type { Run } from '../src/core/store/types.ts';
import { SweepQueue } from '../src/core/sweeps/sweep-queue.ts';
import { gitRepo, runCli } from './helpers/cli.ts';
import { CLI, PYTHON_CLIENT_DIR } from './helpers/paths.ts';
import { tempDir } from './helpers/temp-store.ts';
import { containersWithLabel, testEngine } from './helpers/docker-engine.ts';

// A trial: logs val_loss = 10 + slope * step once per step through the Loopline client, and
// appends "start"/"end" lines with times to events.log so the test sees real process lifetimes.
const TRAIN = `
import os, sys, time
sys.path.insert(0, ${JSON.stringify(PYTHON_CLIENT_DIR)})
import loopline
slope, steps, delay = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
trial = os.environ.get("LOOPLINE_TRIAL")
def mark(what):
    with open("events.log", "a") as f:
        f.write("%s %s %s %f\\n" % (what, trial, os.environ["LOOPLINE_RUN_ID"], time.time()))
mark("start")
with loopline.start_run() as run:
    for s in range(steps):
        run.log_metric("val_loss", 10 + slope * s, step=s)
        time.sleep(delay)
print("trained slope", slope)
mark("end")
`;

function project(): { dir: string; cleanup: () => void; store: () => RunStore } {
  const t = tempDir('loopline-sweep-');
  gitRepo(t.dir, { 'train.py': TRAIN, '.gitignore': '.loopline/\nevents.log\n' });
  return { ...t, store: () => RunStore.open(join(t.dir, '.loopline', 'loopline.db')) };
}

function children(store: RunStore, sweepId: string): Run[] {
  const exps = store.listExperiments().map((e) => e.id);
  return store.searchRuns({ experimentIds: exps, filter: `tags.mlflow.parentRunId = '${sweepId}'`, maxResults: 1000 }).runs;
}

function sweepIdFrom(stderr: string): string {
  const m = /sweep ([0-9a-f]{32})/.exec(stderr);
  assert.ok(m, `no sweep id in:\n${stderr}`);
  return m[1]!;
}

function events(dir: string): Array<{ what: string; trial: number; runId: string; t: number }> {
  let text = '';
  try {
    text = readFileSync(join(dir, 'events.log'), 'utf8');
  } catch {
    return [];
  }
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [what, trial, runId, t] = l.split(' ');
      return { what: what!, trial: Number(trial), runId: runId!, t: Number(t) };
    });
}

function maxConcurrent(intervals: Array<[number, number]>): number {
  const points = intervals.flatMap(([a, b]) => [[a, 1] as const, [b, -1] as const]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of points) max = Math.max(max, (cur += d));
  return max;
}

async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a 6-trial grid sweep with --parallel 2 never runs more than 2 trials, nests them under the sweep and reports the best', async () => {
  const p = project();
  try {
    const r = await runCli(
      ['sweep', '--name', 'grid', '--experiment', 'tune', '--param', 'slope=-1,-0.5,0.5', '--param', 'steps=6,8', '--parallel', '2', '--', 'python3', 'train.py', '{slope}', '{steps}', '0.1'],
      { cwd: p.dir, timeoutMs: 90_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const sweepId = sweepIdFrom(r.stderr);
    assert.match(r.stdout, /\[\d\] trained slope/);
    const store = p.store();
    try {
      const parent = store.getRun(sweepId);
      assert.equal(parent.info.status, 'FINISHED');
      assert.equal(parent.info.name, 'grid');
      assert.equal(store.getExperiment(parent.info.experimentId).name, 'tune');
      const def = JSON.parse(parent.tags['loopline.sweep']!);
      assert.deepEqual(def.params.map((x: { name: string }) => x.name), ['slope', 'steps']);
      assert.equal(def.parallel, 2);
      const trials = children(store, sweepId);
      assert.equal(trials.length, 6);
      assert.deepEqual(
        trials.map((t) => `${t.params.slope}/${t.params.steps}`).sort(),
        ['-0.5/6', '-0.5/8', '-1/6', '-1/8', '0.5/6', '0.5/8'],
      );
      for (const t of trials) {
        assert.equal(t.info.status, 'FINISHED', t.info.name);
        assert.equal(t.tags['mlflow.parentRunId'], sweepId);
        assert.equal(t.info.command, `python3 train.py ${t.params.slope} ${t.params.steps} 0.1`);
        assert.equal(t.metrics.find((m) => m.key === 'val_loss')!.count, Number(t.params.steps));
      }
      // Never more than 2 at once: by the processes' own clocks and by the recorded run times.
      const ev = events(p.dir);
      const byRun = new Map<string, [number, number]>();
      for (const e of ev) {
        const iv = byRun.get(e.runId) ?? [0, 0];
        iv[e.what === 'start' ? 0 : 1] = e.t;
        byRun.set(e.runId, iv);
      }
      assert.equal(byRun.size, 6);
      assert.equal(maxConcurrent([...byRun.values()]), 2);
      assert.equal(maxConcurrent(trials.map((t) => [t.info.startTime, t.info.endTime!])), 2);
      // Best: slope -1 with 8 steps reaches 10 - 7 = 3.
      const best = trials.find((t) => t.params.slope === '-1' && t.params.steps === '8')!;
      assert.equal(parent.tags['loopline.sweep.bestRun'], best.info.id);
      assert.equal(parent.tags['loopline.sweep.bestValue'], 'val_loss=3');
      assert.match(r.stderr, new RegExp(`best trial: run ${best.info.id}.*val_loss=3 with slope=-1 steps=8`));
    } finally {
      store.close();
    }
  } finally {
    p.cleanup();
  }
});

test('a random sweep is reproducible with --seed, samples within its distributions, and bad definitions say what to do', async () => {
  const p = project();
  try {
    const sweep = async (seed: string) => {
      const r = await runCli(
        ['sweep', '--random', '4', '--seed', seed, '--parallel', '4', '--param', 'slope=uniform:-2:-1', '--param', 'steps=int:2:4', '--param', 'lr=loguniform:1e-4:1e-1', '--param', 'opt=choice:adam,sgd', '--', 'python3', 'train.py', '{slope}', '{steps}', '0'],
        { cwd: p.dir, timeoutMs: 60_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`4 random trials \\(seed ${seed}\\)`));
      const store = p.store();
      try {
        return children(store, sweepIdFrom(r.stderr))
          .sort((a, b) => Number(a.tags['loopline.sweep.trial']) - Number(b.tags['loopline.sweep.trial']))
          .map((t) => t.params);
      } finally {
        store.close();
      }
    };
    const a = await sweep('42');
    const b = await sweep('42');
    const c = await sweep('7');
    assert.equal(a.length, 4);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    for (const params of [...a, ...c]) {
      assert.ok(Number(params.slope) >= -2 && Number(params.slope) <= -1, params.slope);
      assert.ok(['2', '3', '4'].includes(params.steps!), params.steps);
      assert.ok(Number(params.lr) >= 1e-4 && Number(params.lr) <= 1e-1, params.lr);
      assert.ok(['adam', 'sgd'].includes(params.opt!), params.opt);
    }

    const bad = async (args: string[], message: RegExp) => {
      const r = await runCli(['sweep', ...args], { cwd: p.dir });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
    };
    await bad(['--param', 'lr=loguniform:1e-4:1e-1', '--', 'python3', 'train.py', '{lr}'], /distribution \(loguniform\); add --random N/);
    await bad(['--param', 'lr=0.1', '--', 'python3', 'train.py', '{lr}', '{epochs}'], /uses \{epochs\} but no --param epochs/);
    await bad(['--random', '3', '--param', 'lr=loguniform:0:1', '--', 'python3', 'train.py'], /loguniform bounds must be greater than 0/);
    await bad(['--param', 'lr', '--', 'python3', 'train.py'], /--param needs name=values/);
    await bad(['--param', 'lr=0.1', '--early-stop', 'mode=min', '--', 'python3', 'train.py'], /--early-stop needs metric=NAME/);
    await bad(['--param', 'lr=0.1'], /Give the training command after --/);
    // Nothing was queued by the rejected sweeps.
    const store = p.store();
    try {
      assert.equal(new SweepQueue(store).allSweepIds().length, 3);
    } finally {
      store.close();
    }
  } finally {
    p.cleanup();
  }
});

test('early stopping (median rule) stops a trial whose loss is worse than the others at the same step', async () => {
  const p = project();
  try {
    const r = await runCli(
      ['sweep', '--param', 'slope=-1,-0.8,1', '--parallel', '1', '--early-stop', 'metric=val_loss,mode=min,min-steps=5', '--', 'python3', 'train.py', '{slope}', '40', '0.05'],
      { cwd: p.dir, timeoutMs: 90_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const store = p.store();
    try {
      const trials = children(store, sweepIdFrom(r.stderr));
      const bad = trials.find((t) => t.params.slope === '1')!;
      assert.equal(bad.info.status, 'KILLED');
      assert.match(bad.tags['loopline.statusReason']!, /stopped early \(median stopping rule\): best val_loss 10 by step \d+ is worse than the median/);
      const last = bad.metrics.find((m) => m.key === 'val_loss')!.lastStep;
      assert.ok(last >= 5 && last < 39, `stopped at step ${last}`);
      for (const good of trials.filter((t) => t.params.slope !== '1')) {
        assert.equal(good.info.status, 'FINISHED');
        assert.equal(good.metrics.find((m) => m.key === 'val_loss')!.lastStep, 39);
      }
      assert.ok(!events(p.dir).some((e) => e.what === 'end' && e.runId === bad.info.id), 'the stopped trial did not run to its end');
    } finally {
      store.close();
    }
  } finally {
    p.cleanup();
  }
});

test('the queue survives a launcher killed mid-sweep: a new launcher picks it up and every trial ends exactly once', async () => {
  const p = project();
  try {
    const launcher = spawn(CLI, ['sweep', '--param', 'slope=-1,-0.9,-0.8,-0.7,-0.6,-0.5', '--parallel', '2', '--', 'python3', 'train.py', '{slope}', '15', '0.1'], {
      cwd: p.dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    launcher.stderr.on('data', (c) => (stderr += c));
    const exited = new Promise((r) => launcher.on('close', r));
    const sweepId = await waitFor('the sweep to start', () => /sweep ([0-9a-f]{32})/.exec(stderr)?.[1]);
    // Kill it while two trials are running and some are still queued.
    await waitFor('two running trials', () => events(p.dir).filter((e) => e.what === 'start').length >= 3 && events(p.dir).some((e) => e.what === 'end'));
    launcher.kill('SIGKILL');
    await exited;
    let interrupted: string[] = [];
    {
      const store = p.store();
      try {
        interrupted = children(store, sweepId).filter((t) => t.info.status === 'RUNNING').map((t) => t.info.id);
        assert.ok(interrupted.length >= 1, 'a trial was running when the launcher died');
        assert.ok(children(store, sweepId).some((t) => t.info.status === 'SCHEDULED'), 'trials were still queued');
      } finally {
        store.close();
      }
    }
    const listed = await runCli(['queue'], { cwd: p.dir });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /SCHEDULED/);

    const t0 = Date.now();
    const resumed = await runCli(['queue', 'resume'], { cwd: p.dir, timeoutMs: 90_000 });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /lost its launcher; retrying as run/);
    assert.ok(Date.now() - t0 < 60_000);

    const store = p.store();
    try {
      const trials = children(store, sweepId);
      assert.equal(store.getRun(sweepId).info.status, 'FINISHED');
      for (const t of trials) assert.ok(['FINISHED', 'FAILED'].includes(t.info.status), `${t.info.name} ended ${t.info.status}`);
      // Each of the 6 trials has exactly one FINISHED run; each interrupted run ended FAILED with the reason and was retried.
      const finished = trials.filter((t) => t.info.status === 'FINISHED').map((t) => t.tags['loopline.sweep.trial']);
      assert.deepEqual(finished.sort(), ['1', '2', '3', '4', '5', '6']);
      for (const id of interrupted) {
        const run = store.getRun(id);
        assert.equal(run.info.status, 'FAILED');
        assert.match(run.tags['loopline.statusReason']!, /its launcher \(pid \d+ on .*\) stopped during the trial; retried as run [0-9a-f]{32}/);
        assert.ok(trials.some((t) => t.tags['loopline.sweep.retryOf'] === id && t.info.status === 'FINISHED'));
      }
      // By the processes themselves: every trial ran to its end exactly once (no orphan finished a second copy).
      const ends = events(p.dir).filter((e) => e.what === 'end');
      assert.deepEqual(ends.map((e) => e.trial).sort(), [1, 2, 3, 4, 5, 6]);
      assert.equal(new SweepQueue(store).pending().length, 0);
    } finally {
      store.close();
    }
  } finally {
    p.cleanup();
  }
});

test('loopline queue lists queued and running trials; cancel stops one trial, then the whole sweep', async () => {
  const p = project();
  try {
    const plain = await runCli(['run', '--', 'python3', 'train.py', '-1', '1', '0'], { cwd: p.dir });
    assert.equal(plain.code, 0, plain.stderr);
    const plainId = /run ([0-9a-f]{32})/.exec(plain.stderr)![1]!;
    const launcher = spawn(CLI, ['sweep', '--param', 'slope=-1,-0.9,-0.8,-0.7', '--', 'python3', 'train.py', '{slope}', '300', '0.1'], { cwd: p.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    launcher.stderr.on('data', (c) => (stderr += c));
    const exited = new Promise<number | null>((r) => launcher.on('close', r));
    const sweepId = await waitFor('the sweep to start', () => /sweep ([0-9a-f]{32})/.exec(stderr)?.[1]);
    const first = await waitFor('trial 1 to start', () => events(p.dir).find((e) => e.what === 'start' && e.trial === 1));

    const listed = await runCli(['queue'], { cwd: p.dir });
    assert.equal(listed.code, 0);
    const lines = listed.stdout.trim().split('\n');
    assert.equal(lines.length, 5, listed.stdout);
    assert.equal(lines.filter((l) => /RUNNING/.test(l)).length, 1);
    assert.equal(lines.filter((l) => /SCHEDULED/.test(l)).length, 3);

    const notTrial = await runCli(['queue', 'cancel', plainId.slice(0, 8)], { cwd: p.dir });
    assert.equal(notTrial.code, 1);
    assert.match(notTrial.stderr, /is not a sweep trial\. A run started with loopline run stops with Ctrl-C/);

    const c1 = await runCli(['queue', 'cancel', first.runId.slice(0, 10)], { cwd: p.dir });
    assert.equal(c1.code, 0, c1.stderr);
    await waitFor('trial 2 to start', () => events(p.dir).some((e) => e.what === 'start' && e.trial === 2));
    const c2 = await runCli(['queue', 'cancel', sweepId], { cwd: p.dir });
    assert.equal(c2.code, 0, c2.stderr);
    assert.match(c2.stderr, /cancelled 2 queued trial\(s\); stopping 1 running/);
    await exited;
    const store = p.store();
    try {
      const parent = store.getRun(sweepId);
      assert.equal(parent.info.status, 'KILLED');
      assert.equal(parent.tags['loopline.statusReason'], 'cancelled by the user');
      const trials = children(store, sweepId).sort((a, b) => Number(a.tags['loopline.sweep.trial']) - Number(b.tags['loopline.sweep.trial']));
      assert.deepEqual(trials.map((t) => t.info.status), ['KILLED', 'KILLED', 'KILLED', 'KILLED']);
      assert.deepEqual(trials.map((t) => t.tags['loopline.statusReason']), [
        'cancelled by the user',
        'cancelled by the user',
        'cancelled by the user before it started',
        'cancelled by the user before it started',
      ]);
      assert.ok(trials.every((t) => t.info.endTime !== null));
      assert.equal(events(p.dir).filter((e) => e.what === 'start' && e.runId !== plainId).length, 2);
      assert.equal(new SweepQueue(store).pending().length, 0);
      const again = await runCli(['queue', 'cancel', sweepId], { cwd: p.dir });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /has already ended \(cancelled\)/);
    } finally {
      store.close();
    }
  } finally {
    p.cleanup();
  }
});

/** The Docker engine `npm run docker:setup` provides (DOCKER_HOST, else its own socket), with the python3 image. */
function dockerEngine(): { host: string; image: string } | undefined {
  const image = process.env.LOOPLINE_PYTHON_IMAGE ?? 'loopline/python:bookworm';
  const candidates = [process.env.DOCKER_HOST, `unix://${join(homedir(), '.cache', 'loopline', 'docker', 'engine', 'docker.sock')}`].filter((h): h is string => !!h);
  for (const host of candidates) {
    try {
      execFileSync('docker', ['image', 'inspect', image], { env: { ...process.env, DOCKER_HOST: host }, stdio: 'ignore', timeout: 10_000 });
      return { host, image };
    } catch {
      // not this one
    }
  }
  return undefined;
}

test('a sweep with --container runs its trials in containers through the same launcher as loopline run', async (t) => {
  const engine = dockerEngine();
  if (!engine) {
    t.skip('no Docker engine with the python3 image: run npm run docker:setup');
    return;
  }
  const p = project();
  try {
    writeFileSync(
      join(p.dir, 'ctrain.py'),
      ['import sys, time', 'import loopline', 'slope = float(sys.argv[1])', 'with loopline.start_run() as run:', '    for s in range(5):', '        run.log_metric("val_loss", 10 + slope * s, step=s)', '        time.sleep(0.05)', 'print("in container", slope)'].join('\n'),
    );
    const r = await runCli(['sweep', '--param', 'slope=-1,1', '--parallel', '2', '--container', '--image', engine.image, '--network', 'none', '--', 'python3', 'ctrain.py', '{slope}'], {
      cwd: p.dir,
      env: { DOCKER_HOST: engine.host },
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[1\] in container -1\.0/);
    const store = p.store();
    try {
      const sweepId = sweepIdFrom(r.stderr);
      assert.equal(JSON.parse(store.getRun(sweepId).tags['loopline.sweep']!).backend.kind, 'container');
      const trials = children(store, sweepId);
      assert.equal(trials.length, 2);
      for (const trial of trials) {
        assert.equal(trial.info.status, 'FINISHED');
        assert.equal(trial.info.backend, 'container');
        assert.equal(trial.tags['loopline.container.image'], engine.image);
        assert.equal(trial.metrics.find((m) => m.key === 'val_loss')!.count, 5);
      }
      assert.equal(store.getRun(sweepId).tags['loopline.sweep.bestRun'], trials.find((x) => x.params.slope === '-1')!.info.id);
    } finally {
      store.close();
    }
  } finally {
    p.cleanup();
  }
});

test('a container trial taken over after its launcher died is stopped by cancel: KILLED with the reason, no container left', async (t) => {
  const { engine, skip } = testEngine();
  if (!engine) {
    t.skip(skip ?? 'no Docker engine');
    return;
  }
  const p = project();
  // Killed in `finally`: a launcher left running after a failed wait would keep this file from ending.
  const spawned: ChildProcess[] = [];
  try {
    const env = { ...process.env, DOCKER_HOST: engine.dockerHost };
    const cmd = ['sh', '-c', 'trap "exit 143" TERM; echo started {x}; while true; do sleep 0.2; done'];
    const launcher = spawn(CLI, ['sweep', '--param', 'x=1', '--container', '--image', engine.busyboxImage, '--network', 'none', '--', ...cmd], { cwd: p.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    spawned.push(launcher);
    let out = '';
    launcher.stdout.on('data', (c) => (out += c));
    launcher.stderr.on('data', (c) => (out += c));
    const exited = new Promise((r) => launcher.on('close', r));
    const sweepId = await waitFor('the sweep to start', () => /sweep ([0-9a-f]{32})/.exec(out)?.[1]);
    await waitFor('the trial to start in its container', () => out.includes('started 1'));
    // Its output can come before the launcher has recorded the container on the run (a loaded
    // machine): the takeover follows a recorded container, so wait for that record.
    await waitFor('the container to be recorded on the trial', () => {
      const store = p.store();
      try {
        return children(store, sweepId)[0]?.tags['loopline.container.id'];
      } finally {
        store.close();
      }
    });
    launcher.kill('SIGKILL');
    await exited;
    const trialId = (() => {
      const store = p.store();
      try {
        const [trial] = children(store, sweepId);
        assert.equal(trial!.info.status, 'RUNNING');
        return trial!.info.id;
      } finally {
        store.close();
      }
    })();

    // A new launcher takes the trial over (its container runs on) and follows it.
    const resume = spawn(CLI, ['queue', 'resume'], { cwd: p.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    spawned.push(resume);
    let resumed = '';
    resume.stdout.on('data', (c) => (resumed += c));
    resume.stderr.on('data', (c) => (resumed += c));
    const resumeDone = new Promise<number | null>((r) => resume.on('close', r));
    // A loaded CI machine can take over 30 s to inspect the container and take the trial over.
    await waitFor('the trial to be taken over', () => resumed.includes('following its container'), 90_000).catch((err: Error) => {
      throw new Error(`${err.message}; queue resume said:\n${resumed}`);
    });

    const cancel = await runCli(['queue', 'cancel', trialId], { cwd: p.dir, env: { DOCKER_HOST: engine.dockerHost } });
    assert.equal(cancel.code, 0, cancel.stderr);
    await Promise.race([resumeDone, new Promise((_, reject) => setTimeout(() => reject(new Error(`queue resume did not end after the cancel:\n${resumed}`)), 40_000))]);
    const store = p.store();
    try {
      const trial = store.getRun(trialId);
      assert.equal(trial.info.status, 'KILLED', resumed);
      assert.equal(trial.tags['loopline.statusReason'], 'cancelled by the user');
      assert.equal(new SweepQueue(store).pending().length, 0);
      assert.deepEqual(containersWithLabel(engine, `loopline.run=${trialId}`), []);
    } finally {
      store.close();
    }
  } finally {
    for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    p.cleanup();
  }
});
