import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import type { Node } from '../../../src/extension/experiments/experiments-model.ts';
import type { LaunchedRun } from '../../../src/extension/runs/run-controller.ts';
import { child, command, experimentNode, looplineApi, repoRoot, shown, waitFor, workspaceDir, workspaceStore } from './api.ts';

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

    it('a script started from the palette that logs for 20 s: the run shows at once as running, its elapsed time ticks every second, its latest metric follows within a second', async function () {
      this.timeout(90_000);
      const EXP_LIVE = 'live-20s';
      writeFileSync(
        join(workspaceDir(), 'live_20s.py'),
        'import time\nimport loopline\n\nif __name__ == "__main__":\n    with loopline.start_run() as run:\n        for i in range(200):\n            run.log_metric("tick", i, step=i)\n            time.sleep(0.1)\n',
      );
      let fullRefreshes = 0;
      let lastFullRefresh = 0;
      const treeTicks: string[] = [];
      const runsTicks: number[] = [];
      let runNode: Node | undefined;
      const subs = [
        api.services.experiments.onDidChangeTreeData((e) => {
          if (e === undefined) {
            fullRefreshes++;
            lastFullRefresh = Date.now();
          } else if (Array.isArray(e) && runNode && e.some((n) => n.kind === 'run' && runNode?.kind === 'run' && n.run.info.id === runNode.run.info.id)) {
            treeTicks.push(String(shown(api, e.find((n) => n.kind === 'run' && runNode?.kind === 'run' && n.run.info.id === runNode.run.info.id)!).description));
          }
        }),
        api.services.activeRuns.onDidChangeTreeData((e) => Array.isArray(e) && runsTicks.push(Date.now())),
      ];
      // The ticks run while the view is visible, as for a user looking at it.
      await vscode.commands.executeCommand('loopline.experiments.focus');
      await waitFor('the Experiments view to be visible', () => api.services.experimentsView.visible, 5000);
      const launched = await command<LaunchedRun>('loopline.runTrainingScript', { command: ['python3', 'live_20s.py'], experiment: EXP_LIVE, name: 'live-20s', cwd: workspaceDir() });
      assert.ok(launched?.runId, api.errors.join(' | '));
      const launchedAt = Date.now();
      try {
        // At once: the tree re-reads (a full refresh) and lists the run with its running icon.
        const appeared = await waitFor('the new run in the Experiments view with its running icon', () => {
          const exp = experimentNode(api, EXP_LIVE);
          const n = exp && api.services.experiments.getChildren(exp).find((x) => x.kind === 'run' && x.run.info.id === launched.runId);
          return n && (shown(api, n).iconPath as vscode.ThemeIcon | undefined)?.id === 'sync~spin' && lastFullRefresh >= launchedAt - 50 && n;
        }, 1500);
        runNode = appeared;
        // The latest metric the tree holds, re-read on every full refresh as VS Code does.
        const lags: number[] = [];
        let shownTs = 0;
        const readShown = () => {
          const exp = experimentNode(api, EXP_LIVE);
          const n = exp && api.services.experiments.getChildren(exp).find((x) => x.kind === 'run' && x.run.info.id === launched.runId);
          const m = n && n.kind === 'run' ? n.run.metrics.find((x) => x.key === 'tick') : undefined;
          if (m) shownTs = Math.max(shownTs, m.lastTimestamp);
          return n;
        };
        let seenRefreshes = fullRefreshes;
        const firstMetricBy = Date.now() + 15_000;
        while (workspaceStore(api).store.getRun(launched.runId).info.status === 'RUNNING') {
          if (fullRefreshes !== seenRefreshes) {
            seenRefreshes = fullRefreshes;
            readShown();
          }
          if (shownTs) lags.push(Date.now() - shownTs);
          else assert.ok(Date.now() < firstMetricBy, 'no metric shown 15 s after the start');
          await new Promise((r) => setTimeout(r, 200));
        }
        const elapsed = (Date.now() - launchedAt) / 1000;
        lags.sort((a, b) => a - b);
        const p95 = lags[Math.floor(lags.length * 0.95)] ?? NaN;
        const max = lags[lags.length - 1] ?? NaN;
        const figures = { seconds: elapsed, treeTicks: treeTicks.length, runsViewTicks: runsTicks.length, metricLagP50: lags[Math.floor(lags.length / 2)], metricLagP95: p95, metricLagMax: max };
        mkdirSync(join(repoRoot(), 'test-results'), { recursive: true });
        writeFileSync(join(repoRoot(), 'test-results', 'live-views.json'), JSON.stringify(figures, null, 2));
        assert.ok(elapsed > 18, `the script logged for ${elapsed.toFixed(1)} s`);
        // Elapsed time re-renders about once a second in both views while the run is visible.
        assert.ok(treeTicks.length >= elapsed * 0.6, `Experiments view ticks: ${treeTicks.length} in ${elapsed.toFixed(0)} s`);
        // The Runs view ticks from when VS Code has drawn the run there (it may be collapsed at first).
        const runsSpan = runsTicks.length ? (runsTicks[runsTicks.length - 1]! - runsTicks[0]!) / 1000 : 0;
        assert.ok(runsTicks.length >= 3 && runsTicks.length >= runsSpan * 0.6, `Runs view ticks: ${runsTicks.length} over ${runsSpan.toFixed(0)} s`);
        assert.ok(new Set(treeTicks).size >= treeTicks.length * 0.5, `the tick changes what the row says: ${treeTicks.slice(0, 5).join(' | ')}`);
        assert.ok(treeTicks.every((d) => /(^| · )running \d/.test(d)), treeTicks.find((d) => !/(^| · )running \d/.test(d)));
        // Latest metric within a second of being logged (the client flushes every 0.5 s); the bound
        // here is loose so a loaded machine does not fail it, the figures are in test-results/.
        assert.ok(max < 3000, `the tree showed a metric ${max} ms old (p95 ${p95} ms)`);
        assert.equal((await launched.finished).status, 'FINISHED');
      } finally {
        for (const s of subs) s.dispose();
        await launched.finished.catch(() => undefined);
        rmSync(join(workspaceDir(), 'live_20s.py'), { force: true });
      }
    });

    it('relative times re-render on a timer while the view is visible, without reading the store', async function () {
      this.timeout(30_000);
      // The extension's own class (not this bundle's copy): shorten its once-a-minute refresh.
      const cls = api.services.experiments.constructor as unknown as { relativeTimeRefreshMs: number };
      const saved = cls.relativeTimeRefreshMs;
      cls.relativeTimeRefreshMs = 400;
      // The tree's store reads: the rows of the root, a folder or an experiment.
      const model = api.services.experiments.model;
      const original = { roots: model.roots.bind(model), children: model.children.bind(model) };
      let reads = 0;
      model.roots = (refs) => {
        reads++;
        return original.roots(refs);
      };
      model.children = (node) => {
        if (node.kind === 'folder' || node.kind === 'experiment') reads++;
        return original.children(node);
      };
      let rerenders = 0;
      let fullRefreshes = 0;
      const sub = api.services.experiments.onDidChangeTreeData((e) => (e === undefined ? fullRefreshes++ : Array.isArray(e) && e.length > 0 && rerenders++));
      try {
        // Hidden then shown again: the timers restart with the new period.
        await vscode.commands.executeCommand('workbench.view.explorer');
        await waitFor('the Experiments view hidden', () => !api.services.experimentsView.visible, 5000);
        await vscode.commands.executeCommand('loopline.experiments.focus');
        await waitFor('the Experiments view visible', () => api.services.experimentsView.visible, 5000);
        const exp = experimentNode(api, 'live-ext');
        assert.ok(exp);
        api.services.experiments.getChildren(exp); // rows VS Code holds
        // Let the view's own re-read on becoming visible land before counting.
        await new Promise((r) => setTimeout(r, 1500));
        reads = 0;
        rerenders = 0;
        fullRefreshes = 0;
        await new Promise((r) => setTimeout(r, 2500));
        assert.ok(rerenders >= 3, `${rerenders} re-renders in 2.5 s with a 400 ms period`);
        // Reads come only with a full refresh (another writer's change), never from the timer.
        assert.ok(reads === 0 || fullRefreshes > 0, `${reads} store reads during ${rerenders} timer re-renders and no store change`);
        await vscode.commands.executeCommand('workbench.view.explorer');
        await waitFor('the Experiments view hidden', () => !api.services.experimentsView.visible, 5000);
        rerenders = 0;
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(rerenders, 0, 'no re-renders while the view is hidden');
      } finally {
        sub.dispose();
        model.roots = original.roots;
        model.children = original.children;
        cls.relativeTimeRefreshMs = saved;
        await vscode.commands.executeCommand('loopline.experiments.focus');
      }
    });

    it('a burst of 5,000 points refreshes the tree a handful of times, not thousands', async function () {
      this.timeout(90_000);
      let events = 0;
      // Full refreshes only: the one-second tick of running rows re-renders without reading the store.
      const sub = api.services.experiments.onDidChangeTreeData((e) => e === undefined && events++);
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
