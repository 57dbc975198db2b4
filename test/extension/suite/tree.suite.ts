import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { digitsFor, formatExact, formatNumber } from '../../../src/shared/display-format.ts';
import { parseFilter } from '../../../src/core/store/run-filter.ts';
import type { Run } from '../../../src/core/store/types.ts';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import type { Node } from '../../../src/extension/experiments/experiments-model.ts';
import { child, command, errorsDuring, experimentNode, labels, looplineApi, runLabels, shown, workspaceDir, workspaceStore } from './api.ts';

const SEEDED = ['lr-0.05', 'lr-0.2', 'lr-0.8'];

function seededRun(api: LooplineApi, name: string): Run {
  const { store } = workspaceStore(api);
  const exp = store.getExperimentByName('iris-sweep');
  const run = store.searchRuns({ experimentIds: [exp.id], filter: `attributes.run_name = '${name}'`, maxResults: 1 }).runs[0];
  if (!run) throw new Error(`seeded run ${name} not found`);
  return run;
}

function runNode(api: LooplineApi, name: string): Node {
  return child(api, experimentNode(api, 'iris-sweep'), name);
}

function lastOf(run: Run, key: string): number {
  const m = run.metrics.find((x) => x.key === key);
  if (!m || m.last === null) throw new Error(`run ${run.info.name} has no ${key}`);
  return m.last;
}

export function registerTreeTests(): void {
  describe('Experiments view', () => {
    let api: LooplineApi;
    before(async () => {
      api = await looplineApi();
    });
    afterEach(async () => {
      await command('loopline.clearFilter');
      await command('loopline.sortRuns', { by: 'startTime' });
    });

    it('shows the seeded experiment with its runs, primary metric, duration, age and key params', () => {
      const exp = experimentNode(api, 'iris-sweep');
      assert.ok(exp, `roots: ${labels(api, api.services.experiments.getChildren()).join(', ')}`);
      assert.equal(shown(api, exp).desc, '3 runs');
      assert.equal(shown(api, exp).contextValue, 'experiment');
      assert.deepEqual(runLabels(api, 'iris-sweep').sort(), SEEDED);
      for (const name of SEEDED) {
        const run = seededRun(api, name);
        const item = shown(api, runNode(api, name));
        const acc = formatNumber(lastOf(run, 'val_accuracy'), digitsFor(SEEDED.map((n) => lastOf(seededRun(api, n), 'val_accuracy'))));
        // What a user reads at a glance, whatever the layout: the primary metric, the param that
        // varies across the sweep, how long it took and how long ago it started.
        assert.ok(item.desc.startsWith(`val_accuracy ${acc}`), `primary metric first: ${item.desc}`);
        assert.match(item.desc, new RegExp(`\\blr=${name.slice(3).replace('.', '\\.')}(\\s|$)`), item.desc);
        assert.match(item.desc, /\b\d+(\.\d)? (ms|s)\b(?! ago)/, `duration: ${item.desc}`);
        assert.match(item.desc, /\b\d+ [smhd] ago\b/, `age: ${item.desc}`);
        assert.equal(item.contextValue, 'run.FINISHED.git.active');
        assert.match(String(item.tooltip), new RegExp(`^${name} — finished \\(exit 0\\)`));
        assert.match(String(item.tooltip), /Command: python3 train\.py --lr/);
      }
    });

    it('lists Params, Metrics, Tags, Artifacts and Code under a run, with their values', () => {
      const run = seededRun(api, 'lr-0.2');
      const node = runNode(api, 'lr-0.2');
      const sections = api.services.experiments.getChildren(node);
      assert.deepEqual(labels(api, sections), ['Params', 'Metrics', 'Tags', 'Artifacts', 'Code']);
      const params = child(api, node, 'Params');
      assert.equal(shown(api, params).desc, String(Object.keys(run.params).length));
      assert.equal(shown(api, child(api, params, 'lr')).desc, '0.2');
      assert.equal(shown(api, child(api, params, 'epochs')).desc, '60');
      assert.equal(shown(api, child(api, params, 'model')).desc, 'softmax-regression');

      const metrics = child(api, node, 'Metrics');
      assert.deepEqual(labels(api, api.services.experiments.getChildren(metrics)), ['train_accuracy', 'train_loss', 'val_accuracy', 'val_loss']);
      const loss = run.metrics.find((m) => m.key === 'val_loss')!;
      const lossItem = shown(api, child(api, metrics, 'val_loss'));
      // The row shows last, min and max; the tooltip spells out where each was and how many points.
      assert.ok(lossItem.desc.startsWith(formatNumber(loss.last)), lossItem.desc);
      for (const v of [loss.min, loss.max]) assert.ok(lossItem.desc.includes(formatNumber(v)), lossItem.desc);
      const tip = String(lossItem.tooltip);
      assert.ok(tip.includes(`last ${formatExact(loss.last)} at step 60`), tip);
      assert.ok(tip.includes(`min ${formatExact(loss.min)} at step ${loss.minStep}`), tip);
      assert.ok(tip.includes(`max ${formatExact(loss.max)} at step ${loss.maxStep}`), tip);
      assert.match(tip, /\n60 points$/);

      const tags = child(api, node, 'Tags');
      const tagLabels = labels(api, api.services.experiments.getChildren(tags));
      assert.ok(tagLabels.includes('dataset'), tagLabels.join(', '));
      assert.ok(!tagLabels.some((t) => t.startsWith('mlflow.') || t.startsWith('loopline.')), `system tags are hidden: ${tagLabels.join(', ')}`);
      assert.equal(shown(api, child(api, tags, 'dataset')).desc, 'iris');
    });

    it('shows the run output log and model as artifacts that open on click', () => {
      const run = seededRun(api, 'lr-0.05');
      const artifacts = child(api, runNode(api, 'lr-0.05'), 'Artifacts');
      assert.deepEqual(labels(api, api.services.experiments.getChildren(artifacts)), ['logs', 'model']);
      const log = shown(api, child(api, child(api, artifacts, 'logs'), 'output.log'));
      assert.equal(log.contextValue, 'artifact');
      assert.match(log.desc, /^\d+(\.\d)? (B|KB)$/);
      assert.deepEqual(log.command && { id: log.command.command, args: log.command.arguments }, { id: 'loopline.openArtifact', args: [run.info.id, 'logs/output.log'] });
      const model = shown(api, child(api, child(api, artifacts, 'model'), 'model.json'));
      assert.deepEqual(model.command?.arguments, [run.info.id, 'model/model.json']);
    });

    it('shows the code a run used: commit, branch, clean tree, and a diff action', () => {
      const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: workspaceDir(), encoding: 'utf8' }).trim();
      const run = seededRun(api, 'lr-0.8');
      const code = child(api, runNode(api, 'lr-0.8'), 'Code');
      assert.deepEqual(labels(api, api.services.experiments.getChildren(code)), ['Commit', 'Branch', 'Uncommitted changes', 'Show Code Diff']);
      assert.equal(shown(api, child(api, code, 'Commit')).desc, head.slice(0, 12));
      assert.equal(shown(api, child(api, code, 'Commit')).tooltip, head);
      assert.equal(shown(api, child(api, code, 'Branch')).desc, 'main');
      assert.equal(shown(api, child(api, code, 'Uncommitted changes')).desc, 'none');
      const diff = shown(api, child(api, code, 'Show Code Diff'));
      assert.deepEqual({ id: diff.command?.command, args: diff.command?.arguments }, { id: 'loopline.showCodeDiff', args: [run.info.id] });
    });

    it('sorts runs by a metric, both ways, and back by start time', async () => {
      const byLoss = SEEDED.map((n) => seededRun(api, n)).sort((a, b) => lastOf(a, 'val_loss') - lastOf(b, 'val_loss'));
      const ascending = byLoss.map((r) => r.info.name);
      assert.equal(new Set(byLoss.map((r) => lastOf(r, 'val_loss'))).size, 3, 'the seeded runs have distinct val_loss');
      await command('loopline.sortRuns', { by: 'metric', key: 'val_loss', descending: false });
      assert.deepEqual(runLabels(api, 'iris-sweep'), ascending);
      assert.match(String(api.services.experimentsView.description), /val_loss/, 'the view says how it is sorted');
      await command('loopline.sortRuns', { by: 'metric', key: 'val_loss', descending: true });
      assert.deepEqual(runLabels(api, 'iris-sweep'), [...ascending].reverse());
      await command('loopline.sortRuns', { by: 'name' });
      assert.deepEqual(runLabels(api, 'iris-sweep'), SEEDED);
      await command('loopline.sortRuns', { by: 'startTime' });
      assert.deepEqual(runLabels(api, 'iris-sweep'), [...SEEDED].reverse(), 'newest first');
    });

    it('filters runs by name text, status, tag and MLflow expression', async () => {
      await command('loopline.filterRuns', { text: '0.2' });
      assert.deepEqual(runLabels(api, 'iris-sweep'), ['lr-0.2']);
      assert.equal(api.services.experimentsView.description, 'name contains "0.2"');
      await command('loopline.clearFilter');
      assert.equal(api.services.experimentsView.description, undefined);
      assert.equal(runLabels(api, 'iris-sweep').length, 3);

      await command('loopline.filterRuns', { statuses: ['FAILED', 'KILLED'] });
      const exp = experimentNode(api, 'iris-sweep')!;
      assert.deepEqual(labels(api, api.services.experiments.getChildren(exp)), ['No runs match the filter (status FAILED/KILLED)']);
      await command('loopline.clearFilter');
      await command('loopline.filterRuns', { statuses: ['FINISHED'] });
      assert.equal(runLabels(api, 'iris-sweep').length, 3);
      await command('loopline.clearFilter');

      const ws = workspaceStore(api);
      ws.store.logBatch(seededRun(api, 'lr-0.05').info.id, { tags: [{ key: 'tree-review', value: 'keep' }] });
      api.services.stores.wrote(ws);
      await command('loopline.filterRuns', { tag: { key: 'tree-review', value: 'keep' } });
      assert.deepEqual(runLabels(api, 'iris-sweep'), ['lr-0.05']);
      assert.equal(api.services.experimentsView.description, 'tag tree-review=keep');
      await command('loopline.clearFilter');
      ws.store.deleteTag(seededRun(api, 'lr-0.05').info.id, 'tree-review');

      await command('loopline.filterRuns', { expression: "params.lr = '0.8'" });
      assert.deepEqual(runLabels(api, 'iris-sweep'), ['lr-0.8']);
      await command('loopline.clearFilter');
      const threshold = lastOf(seededRun(api, 'lr-0.05'), 'val_loss');
      await command('loopline.filterRuns', { expression: `metrics.val_loss < ${threshold}` });
      assert.deepEqual(runLabels(api, 'iris-sweep').sort(), ['lr-0.2', 'lr-0.8'].filter((n) => lastOf(seededRun(api, n), 'val_loss') < threshold));
    });

    it('reports a filter syntax error with the parser message and keeps the view as it was', async () => {
      const bad = 'metrics.val_loss <<< 1';
      let parserMessage = '';
      try {
        parseFilter(bad);
      } catch (err) {
        parserMessage = (err as Error).message;
      }
      assert.ok(parserMessage, 'the expression is invalid');
      const errors = await errorsDuring(api, () => command('loopline.filterRuns', { expression: bad }));
      assert.deepEqual(errors, [parserMessage]);
      assert.equal(api.services.experiments.model.filterActive(), false);
      assert.equal(runLabels(api, 'iris-sweep').length, 3);
    });

    it('pages long run lists: 200 first, then "Load more runs…" shows 200 more', async function () {
      this.timeout(60_000);
      const ws = workspaceStore(api);
      const exp = ws.store.createExperiment('paging-ext');
      const t0 = Date.now() - 3_600_000;
      ws.store.db.transaction(() => {
        for (let i = 0; i < 450; i++) ws.store.createRun({ experimentId: exp.id, name: `page-${String(i).padStart(3, '0')}`, status: 'FINISHED', startTime: t0 + i * 1000 });
      })();
      api.services.stores.wrote(ws);
      try {
        const node = experimentNode(api, 'paging-ext');
        assert.ok(node);
        assert.equal(shown(api, node).desc, '450 runs');
        let rows = api.services.experiments.getChildren(node);
        assert.equal(rows.length, 201);
        assert.equal(rows.filter((n) => n.kind === 'run').length, 200);
        assert.equal(shown(api, rows[0]!).text, 'page-449', 'newest first');
        const more = shown(api, rows[200]!);
        assert.equal(more.text, 'Load more runs… (200 of 450 shown)');
        assert.ok(more.command);
        await command(more.command.command, ...(more.command.arguments ?? []));
        rows = api.services.experiments.getChildren(experimentNode(api, 'paging-ext'));
        assert.equal(rows.filter((n) => n.kind === 'run').length, 400);
        assert.equal(shown(api, rows.at(-1)!).text, 'Load more runs… (400 of 450 shown)');
        assert.equal(shown(api, rows[399]!).text, 'page-050');
      } finally {
        ws.store.setExperimentLifecycle(exp.id, 'deleted');
        api.services.stores.wrote(ws);
      }
      assert.equal(experimentNode(api, 'paging-ext'), undefined);
    });
  });
}
