import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import type { ActiveRunItem } from '../../../src/extension/runs/active-runs-tree.ts';
import type { StartedSweep } from '../../../src/extension/sweeps/sweep-controller.ts';
import { commandWithin, experimentNode, looplineApi, repoRoot, shown, waitFor } from './api.ts';

// A trial: val_loss = 10 + slope * step for 6 steps, slow enough to be seen running.
const TRIAL = [
  'import sys, time',
  `sys.path.insert(0, ${JSON.stringify(join(repoRoot(), 'clients', 'python'))})`,
  'import loopline',
  'slope = float(sys.argv[1])',
  'with loopline.start_run() as run:',
  '    for s in range(6):',
  '        run.log_metric("val_loss", 10 + slope * s, step=s)',
  '        time.sleep(0.25)',
].join('\n');

export function registerSweepTests(): void {
  describe('Sweeps', () => {
    let api: LooplineApi;
    before(async () => {
      api = await looplineApi();
    });

    it('a sweep started from the command shows its trials in the Runs view, then as one Experiments row with its trials and the best marked', async function () {
      this.timeout(120_000);
      const started = await commandWithin<StartedSweep>(60_000, 'loopline.startSweep', {
        command: ['python3', '-c', TRIAL, '{slope}'],
        params: ['slope=-1,0.5,-0.5'],
        parallel: 2,
        earlyStop: '',
        name: 'sweep-ui',
        experiment: 'sweeps',
      });
      assert.ok(started?.sweepId, 'the command returns the sweep');

      // While it runs: the Runs view groups the queued and running trials under the sweep.
      const group = await waitFor('the sweep in the Runs view', () =>
        api.services.activeRuns.getChildren().find((i: ActiveRunItem) => i.sweep && i.run.info.id === started.sweepId),
      );
      assert.equal(api.services.activeRuns.getTreeItem(group).contextValue, 'sweep.active');
      const trialsShown = api.services.activeRuns.getChildren(group);
      assert.ok(trialsShown.length >= 2 && trialsShown.length <= 3, `trials under the sweep: ${trialsShown.length}`);
      assert.ok(trialsShown.every((t) => /^trial\.(RUNNING|SCHEDULED)$/.test(String(api.services.activeRuns.getTreeItem(t).contextValue))));
      assert.ok(!api.services.activeRuns.getChildren().some((i) => i.run.tags['mlflow.parentRunId'] === started.sweepId), 'trials are not listed at the top level');

      const summary = await started.finished;
      assert.equal(summary.status, 'FINISHED');

      // After: one row for the sweep in its experiment, its trials beneath it, the best one marked.
      const exp = await waitFor('the sweeps experiment', () => experimentNode(api, 'sweeps'));
      const rows = api.services.experiments.getChildren(exp);
      assert.equal(rows.length, 1, `rows: ${rows.map((r) => shown(api, r).text).join(', ')}`);
      const row = rows[0]!;
      assert.equal(row.kind, 'sweep');
      const item = shown(api, row);
      assert.equal(item.text, 'sweep-ui');
      assert.match(item.desc, /sweep of 3 trials/);
      assert.match(item.desc, /best val_loss 5 \(sweep-ui-1\)/);
      const trials = api.services.experiments.getChildren(row);
      assert.deepEqual(
        trials.map((t) => shown(api, t).text),
        ['sweep-ui-1', 'sweep-ui-2', 'sweep-ui-3'],
      );
      const marked = trials.filter((t) => shown(api, t).desc.startsWith('★ best'));
      assert.deepEqual(marked.map((t) => shown(api, t).text), ['sweep-ui-1']);
      assert.equal(api.services.experiments.getParent(trials[0]!)?.kind, 'sweep');

      // Compare on the sweep opens the Compare panel on its trials.
      const panel = await commandWithin<{ dispose(): void } | undefined>(30_000, 'loopline.compareSweep', row);
      assert.ok(panel, 'the compare panel opened');
    });
  });
}
