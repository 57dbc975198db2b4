// Taking over a trial from a launcher that looks dead: a live launcher on this machine keeps its
// trials even when its lease ran out (late heartbeat), and only the caller that wins the
// compare-and-set kills what is left of the trial's process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { processAlive, SweepQueue } from '../../src/core/sweeps/sweep-queue.ts';
import { parseParamSpec, type SweepDefinition } from '../../src/core/sweeps/sweep-definition.ts';
import { tempStore } from '../helpers/temp-store.ts';

const def: SweepDefinition = { version: 1, command: ['t', '{x}'], cwd: '/', params: [parseParamSpec('x=1,2')], strategy: 'grid', seed: 1, parallel: 2, backend: { kind: 'local' } };

/** A real process in its own group, standing in for a launcher or a trial's command. */
function sleeper() {
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  return { pid: child.pid!, gone, kill: () => child.kill('SIGKILL') };
}

test('an expired lease of a live launcher on this machine is not stale; its death is, at once; elsewhere only the lease tells', async () => {
  const s = tempStore();
  let now = 1_000_000;
  const queue = new SweepQueue(s.store, () => now);
  const launcher = sleeper();
  try {
    const { sweepId } = queue.createSweep(def, { git: null, sourceFile: null, backendName: 'local' });
    const here = `${hostname()}|${launcher.pid}|abcd`;
    const elsewhere = 'another-machine|4242|ef01';
    assert.ok(queue.claimNext(sweepId, here, 15_000));
    assert.ok(queue.claimNext(sweepId, elsewhere, 15_000));
    assert.deepEqual(queue.staleTrials(sweepId), []);
    now += 60_000; // both leases ran out
    assert.deepEqual(queue.staleTrials(sweepId).map((t) => t.owner), [elsewhere], 'the live local launcher keeps its trial');
    launcher.kill();
    await launcher.gone;
    assert.deepEqual(queue.staleTrials(sweepId).map((t) => t.owner).sort(), [elsewhere, here].sort());
  } finally {
    launcher.kill();
    s.cleanup();
  }
});

test('recovering a stale trial: compare-and-set first, then kill; a trial renewed meanwhile keeps its process', async () => {
  const s = tempStore();
  let now = 1_000_000;
  const queue = new SweepQueue(s.store, () => now);
  const trialProcess = sleeper();
  try {
    const { sweepId } = queue.createSweep(def, { git: null, sourceFile: null, backendName: 'local' });
    const owner = 'another-machine|4242|ef01';
    const claimed = queue.claimNext(sweepId, owner, 15_000)!;
    queue.setTrialProcess(claimed.runId, trialProcess.pid, hostname());
    s.store.updateRun(claimed.runId, { status: 'RUNNING' });
    now += 60_000;
    const [stale] = queue.staleTrials(sweepId);
    assert.equal(stale?.runId, claimed.runId);

    // Its launcher comes back and renews before we act on the old view: nothing is taken, nothing killed.
    queue.renew(sweepId, owner, 15_000);
    assert.deepEqual(queue.recoverStale(stale!), {});
    assert.ok(processAlive(trialProcess.pid), 'the trial of a launcher that renewed keeps running');
    assert.equal(s.store.getRun(claimed.runId).info.status, 'RUNNING');

    // Now it is really gone: the winner of the compare-and-set ends the run and kills the leftover.
    now += 60_000;
    const [again] = queue.staleTrials(sweepId);
    const r = queue.recoverStale(again!);
    assert.ok(r.retryRunId, 'retried as a new run');
    await trialProcess.gone;
    assert.equal(s.store.getRun(claimed.runId).info.status, 'FAILED');
    // A second caller with the same old view wins nothing.
    assert.deepEqual(queue.recoverStale(again!), {});
  } finally {
    trialProcess.kill();
    s.cleanup();
  }
});
