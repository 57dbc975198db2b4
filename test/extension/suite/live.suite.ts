import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import type { Node } from '../../../src/extension/experiments/experiments-model.ts';
import { child, experimentNode, looplineApi, repoRoot, shown, waitFor, workspaceDir } from './api.ts';

interface CliRun {
  exited: Promise<number | null>;
  output: () => string;
}

/** `loopline run --experiment <exp> --name <name> -- python3 -c <body>`, in the workspace, as another process. */
function cliRun(experiment: string, name: string, body: string): CliRun {
  const script = [
    'import sys, time',
    `sys.path.insert(0, ${JSON.stringify(join(repoRoot(), 'clients', 'python'))})`,
    'import loopline',
    'with loopline.start_run() as run:',
    ...body.split('\n').map((l) => `    ${l}`),
  ].join('\n');
  const child = spawn(join(repoRoot(), 'bin', 'loopline'), ['run', '--experiment', experiment, '--name', name, '--', 'python3', '-c', script], {
    cwd: workspaceDir(),
    env: { ...process.env, LOOPLINE_STORE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  return { exited, output: () => out };
}

/** Points of `key` as the run's Metrics section shows them (tooltip ends "N points"). */
function pointsShown(api: LooplineApi, experiment: string, run: string, key: string): number {
  const exp = experimentNode(api, experiment);
  if (!exp) return 0;
  const runNode = api.services.experiments.getChildren(exp).find((n) => n.kind === 'run' && n.run.info.name === run);
  if (!runNode) return 0;
  const metrics = api.services.experiments.getChildren(runNode as Node).find((n) => shown(api, n).text === 'Metrics');
  const leaf = metrics && api.services.experiments.getChildren(metrics).find((n) => shown(api, n).text === key);
  return leaf ? Number(/(\d+) points$/.exec(String(shown(api, leaf).tooltip))?.[1] ?? 0) : 0;
}

export function registerLiveTests(): void {
  describe('Live refresh from another process', () => {
    let api: LooplineApi;
    before(async () => {
      api = await looplineApi();
    });

    it('a CLI run shows up in the Experiments and Runs views while it logs, without a refresh', async function () {
      this.timeout(60_000);
      let events = 0;
      let eventsWhenExperimentAppeared = 0;
      const sub = api.services.experiments.onDidChangeTreeData(() => {
        events++;
        if (!eventsWhenExperimentAppeared && experimentNode(api, 'live-ext')) eventsWhenExperimentAppeared = events;
      });
      assert.equal(experimentNode(api, 'live-ext'), undefined);
      const run = cliRun('live-ext', 'live-run', 'for i in range(40):\n    run.log_metric("loss", 1.0 / (i + 1), step=i)\n    time.sleep(0.1)');
      try {
        await waitFor('the tree to announce the new experiment', () => eventsWhenExperimentAppeared > 0, 20_000);
        const active = await waitFor('the run in the Runs view', () => {
          const items = api.services.activeRuns.getChildren();
          return items.some((i) => i.run.info.name === 'live-run') && items;
        });
        assert.equal(active.length, 1, 'only the live run is running');
        assert.match(String(api.services.activeRuns.getTreeItem(active[0]!).description), /\b\d+(\.\d)? (ms|s)\b/, 'elapsed time');

        const first = await waitFor('the first loss points in the tree', () => pointsShown(api, 'live-ext', 'live-run', 'loss'));
        const eventsAtFirst = events;
        const later = await waitFor('more loss points in the tree', () => {
          const n = pointsShown(api, 'live-ext', 'live-run', 'loss');
          return n > first && events > eventsAtFirst && n;
        });
        assert.ok(later > first && first < 40, `points shown went ${first} -> ${later}`);
        assert.ok(api.services.activeRuns.getChildren().some((i) => i.run.info.name === 'live-run'), 'still running while it logs');

        assert.equal(await run.exited, 0, run.output());
        await waitFor('the Runs view to empty', () => api.services.activeRuns.getChildren().length === 0, 10_000);
        const node = child(api, experimentNode(api, 'live-ext'), 'live-run');
        assert.equal(shown(api, node).contextValue, 'run.FINISHED.git.active');
        assert.equal(pointsShown(api, 'live-ext', 'live-run', 'loss'), 40);
      } finally {
        sub.dispose();
        await run.exited.catch(() => undefined);
      }
    });

    it('a burst of 5,000 points refreshes the tree a handful of times, not thousands', async function () {
      this.timeout(90_000);
      let events = 0;
      const sub = api.services.experiments.onDidChangeTreeData(() => events++);
      const t0 = Date.now();
      // flush() every 10 points: 500 separate commits, each one a change the watcher sees.
      const run = cliRun('live-ext', 'live-burst', 'for i in range(5000):\n    run.log_metric("x", i * 0.5, step=i)\n    if i % 10 == 9:\n        run.flush()');
      try {
        assert.equal(await run.exited, 0, run.output());
        await waitFor('all 5,000 points in the tree', () => pointsShown(api, 'live-ext', 'live-burst', 'x') === 5000, 10_000);
        // Let the trailing debounced event land before counting.
        await new Promise((r) => setTimeout(r, 600));
      } finally {
        sub.dispose();
      }
      const seconds = (Date.now() - t0) / 1000;
      assert.ok(events >= 2, `the tree refreshed during the burst (${events} events)`);
      assert.ok(events < 50, `${events} tree refreshes for 5,000 points in ${seconds.toFixed(1)} s`);
      assert.deepEqual(api.services.activeRuns.getChildren(), []);
    });
  });
}
