import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectFormat } from '../src/core/importers/format-detection.ts';
import { importRuns } from '../src/core/importers/run-import.ts';
import type { Run } from '../src/core/store/types.ts';
import { copyFixture, fixture } from './helpers/import-fixtures.ts';
import { tempDir, tempStore } from './helpers/temp-store.ts';

const counts = (r: Run) => Object.fromEntries(r.metrics.map((m) => [m.key, m.count]));

test('W&B offline and online run folders: binary history, config.yaml params, summary, metadata tags', () => {
  const t = tempStore();
  try {
    const path = fixture('wandb', 'rishabhg97__robust-cartpole');
    assert.equal(detectFormat(path), 'wandb');
    const s = importRuns(t.store, { path });
    assert.deepEqual(s.skipped, []);
    assert.deepEqual(s.experiments, ['ppo-qlearn-cartpole'], 'the project named in the run log');
    const runs = new Map(s.runIds.map((id) => t.store.getRun(id)).map((r) => [r.tags['wandb.run_id'], r]));

    const offline = runs.get('ohlnfnqx')!;
    const c = counts(offline);
    assert.equal(c.adversary_reward, 10_000, 'only in the binary .wandb file');
    for (let i = 0; i < 25; i++) {
      assert.equal(c[`Eval/${i}/internal_agent_return`], 100);
      assert.equal(c[`Eval/${i}/episodic_return`], 1);
    }
    assert.equal(c.ppo_agent_mean_reward_orig, 1);
    assert.equal(offline.metrics.length, 52);
    assert.ok(!('_step' in c) && !('_runtime' in c) && !('_timestamp' in c));
    assert.equal(offline.info.status, 'FINISHED', 'the log has an exit record even though the metadata says running');
    assert.equal(offline.tags['mlflow.source.git.commit'], '73bc76e5509d75116076bd165bff316a25e3158c');
    assert.equal(offline.tags['wandb.host'], 'Rishabhs-MacBook-Pro.local');
    assert.equal(offline.tags['wandb.program'], 'main.py');
    assert.equal(offline.info.startTime, Date.parse('2023-11-30T02:56:20.582Z'));
    assert.equal(offline.params.ppo_train_steps, '10000', 'the offline run has its config in the log');

    const online = runs.get('9bpuap22')!;
    const summary = JSON.parse(readFileSync(join(path, 'wandb', 'run-20231211_132319-9bpuap22', 'files', 'wandb-summary.json'), 'utf8'));
    assert.equal(Object.keys(summary).length, 56);
    assert.equal(counts(online).adversary_reward, 1000);
    for (const [k, v] of Object.entries(summary)) {
      if (k.startsWith('_')) continue;
      const m = online.metrics.find((x) => x.key === k)!;
      assert.equal(m.last, v, k);
      assert.equal(m.lastStep <= 1275, true);
    }
    assert.equal(online.params.seed, '42');
    assert.equal(online.params.learning_rate, '0.1');
    assert.equal(online.params.log, 'true');
    assert.ok(!('_wandb' in online.params));
    assert.match(online.tags['wandb.config._wandb']!, /python_version/);
    const hist = t.store.metricHistory(online.info.id, 'adversary_reward');
    assert.ok(hist[0]!.timestamp > Date.parse('2023-12-11T18:23:00Z') && hist[0]!.timestamp < Date.parse('2023-12-11T18:40:00Z'), 'history keeps _timestamp');
  } finally {
    t.cleanup();
  }
});

test('W&B: a damaged chunk of the .wandb log is skipped and reported, the rest imported; re-import adds nothing', () => {
  const t = tempStore();
  const src = tempDir();
  try {
    const root = copyFixture(join(src.dir, 'wandb'), 'wandb', 'rishabhg97__robust-cartpole', 'wandb');
    const log = join(root, 'run-20231211_132319-9bpuap22', 'run-9bpuap22.wandb');
    const bytes = readFileSync(log);
    bytes[32768 * 3 + 500]! ^= 0xff; // inside the fourth 32 KiB block
    writeFileSync(log, bytes);
    const s = importRuns(t.store, { path: root });
    const problems = s.skipped.filter((p) => p.file === log);
    assert.equal(problems.length, 1, JSON.stringify(s.skipped));
    assert.match(problems[0]!.message, /checksum mismatch/);
    const online = s.runIds.map((id) => t.store.getRun(id)).find((r) => r.tags['wandb.run_id'] === '9bpuap22')!;
    const total = online.metrics.reduce((sum, m) => sum + m.count, 0);
    const intact = tempStore();
    try {
      const all = importRuns(intact.store, { path: fixture('wandb', 'rishabhg97__robust-cartpole') });
      const whole = all.runIds.map((id) => intact.store.getRun(id)).find((r) => r.tags['wandb.run_id'] === '9bpuap22')!;
      const wholeTotal = whole.metrics.reduce((sum, m) => sum + m.count, 0);
      assert.ok(total <= wholeTotal && total >= wholeTotal - 5, `only the damaged record is lost (${total} of ${wholeTotal})`);
    } finally {
      intact.cleanup();
    }
    const again = importRuns(t.store, { path: root });
    assert.deepEqual([again.runs.created, again.metricPoints.added], [0, 0]);
  } finally {
    t.cleanup();
    src.cleanup();
  }
});
