import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { join } from 'node:path';
import type { RunOutcome } from '../../../src/core/runs/run-launcher.ts';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import type { LaunchedRun } from '../../../src/extension/runs/run-controller.ts';
import { child, command, commandWithin, errorsDuring, experimentNode, looplineApi, runLabels, shown, waitFor, workspaceDir, workspaceStore } from './api.ts';

const EXP = 'ext-commands';

async function finishedWithin(launched: LaunchedRun, ms: number): Promise<RunOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`run ${launched.runId} did not end within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([launched.finished, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerCommandTests(): void {
  describe('Commands', () => {
    let api: LooplineApi;
    let trainId = '';
    let rerunId = '';
    const store = () => workspaceStore(api).store;
    before(async () => {
      api = await looplineApi();
    });

    it('Run Training Script runs train.py in a "Loopline: <name>" terminal and records it', async () => {
      const launched = await command<LaunchedRun>('loopline.runTrainingScript', {
        script: join(workspaceDir(), 'train.py'),
        args: ['--lr', '0.3', '--epochs', '20'],
        experiment: EXP,
        name: 'cmd-train',
        cwd: workspaceDir(),
      });
      assert.ok(launched?.runId, `no run launched; errors: ${api.errors.join(' | ')}`);
      trainId = launched.runId;
      assert.equal(launched.terminal.name, 'Loopline: cmd-train');
      assert.ok(vscode.window.terminals.some((t) => t.name === 'Loopline: cmd-train'), vscode.window.terminals.map((t) => t.name).join(', '));
      const outcome = await finishedWithin(launched, 30_000);
      assert.equal(outcome.status, 'FINISHED', `exit ${outcome.exitCode}`);

      const run = store().getRun(trainId);
      assert.equal(run.info.status, 'FINISHED');
      assert.equal(run.info.command, 'python3 train.py --lr 0.3 --epochs 20');
      assert.equal(run.params.lr, '0.3');
      assert.equal(run.params.epochs, '20');
      assert.equal(run.metrics.find((m) => m.key === 'val_accuracy')?.count, 20);

      assert.ok(experimentNode(api, EXP), 'the new experiment is in the view');
      assert.deepEqual(runLabels(api, EXP), ['cmd-train']);
      assert.match(shown(api, child(api, experimentNode(api, EXP), 'cmd-train')).desc, /^val_accuracy [\d.]+ · /);
    });

    it('Stop Run stops a long run once it is RUNNING and records KILLED', async () => {
      const launched = await command<LaunchedRun>('loopline.runTrainingScript', {
        script: join(workspaceDir(), 'train.py'),
        args: ['--lr', '0.1', '--epochs', '200000'],
        experiment: EXP,
        name: 'cmd-long',
      });
      assert.ok(launched?.runId);
      await waitFor('the long run to log its first epochs', () => {
        const r = store().getRun(launched.runId);
        return r.info.status === 'RUNNING' && r.metrics.length > 0;
      });
      const active = api.services.activeRuns.getChildren().map((i) => i.run.info.name);
      assert.ok(active.includes('cmd-long'), `Runs view: ${active.join(', ')}`);
      await command('loopline.stopRun', launched.runId);
      const outcome = await finishedWithin(launched, 20_000);
      assert.equal(outcome.status, 'KILLED');
      assert.equal(store().getRun(launched.runId).info.status, 'KILLED');
      assert.equal(shown(api, child(api, experimentNode(api, EXP), 'cmd-long')).contextValue, 'run.KILLED.git.active');
      assert.ok(!api.services.activeRuns.getChildren().some((i) => i.run.info.id === launched.runId));
    });

    it('Rerun with Params launches a new run with the edited command and params', async () => {
      const launched = await command<LaunchedRun>('loopline.rerunWithParams', trainId, undefined, 'python3 train.py --lr 0.5 --epochs 5');
      assert.ok(launched?.runId, `errors: ${api.errors.join(' | ')}`);
      rerunId = launched.runId;
      assert.notEqual(rerunId, trainId);
      assert.equal((await finishedWithin(launched, 30_000)).status, 'FINISHED');
      const run = store().getRun(rerunId);
      assert.equal(run.info.command, 'python3 train.py --lr 0.5 --epochs 5');
      assert.equal(run.params.lr, '0.5');
      assert.equal(run.params.epochs, '5');
      assert.equal(store().getExperiment(run.info.experimentId).name, EXP);
      assert.ok(runLabels(api, EXP).includes(run.info.name));
    });

    it('New Experiment adds an empty experiment; a duplicate name is refused with the clash named', async () => {
      const id = await command<string>('loopline.newExperiment', 'ext-new-exp');
      assert.ok(id);
      const node = experimentNode(api, 'ext-new-exp');
      assert.ok(node);
      assert.equal(shown(api, node).desc, '0 runs');
      const errors = await errorsDuring(api, () => command('loopline.newExperiment', 'ext-new-exp'));
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /'ext-new-exp' already exists/);
    });

    it('Rename Run changes the name in the store and the view', async () => {
      await command('loopline.renameRun', trainId, undefined, 'cmd-train-renamed');
      assert.equal(store().getRun(trainId).info.name, 'cmd-train-renamed');
      assert.ok(runLabels(api, EXP).includes('cmd-train-renamed'));
      assert.ok(!runLabels(api, EXP).includes('cmd-train'));
    });

    it('Add Tag tags the run (key=value, or a bare key meaning true)', async () => {
      await command('loopline.addTag', trainId, undefined, 'stage=candidate');
      await command('loopline.addTag', trainId, undefined, 'reviewed');
      const run = store().getRun(trainId);
      assert.equal(run.tags.stage, 'candidate');
      assert.equal(run.tags.reviewed, 'true');
      const tags = child(api, child(api, experimentNode(api, EXP), 'cmd-train-renamed'), 'Tags');
      assert.equal(shown(api, child(api, tags, 'stage')).desc, 'candidate');
      assert.equal(shown(api, child(api, tags, 'reviewed')).desc, 'true');
    });

    it('Delete Run moves the run to the trash without waiting for the Undo notification', async () => {
      // If the command awaited the "Undo" notification, it would never return here.
      await commandWithin(5_000, 'loopline.deleteRun', trainId);
      assert.equal(store().getRun(trainId).info.lifecycleStage, 'deleted');
      assert.ok(!runLabels(api, EXP).includes('cmd-train-renamed'), 'deleted runs are hidden');
      await command('loopline.showTrash');
      try {
        const item = shown(api, child(api, experimentNode(api, EXP), 'cmd-train-renamed'));
        assert.equal(item.contextValue, 'run.FINISHED.git.deleted');
        assert.equal((item.iconPath as vscode.ThemeIcon).id, 'trash');
      } finally {
        await command('loopline.showTrash');
      }
      assert.ok(!runLabels(api, EXP).includes('cmd-train-renamed'));
    });

    it('Restore Run brings a deleted run back', async () => {
      await command('loopline.restoreRun', trainId);
      assert.equal(store().getRun(trainId).info.lifecycleStage, 'active');
      assert.ok(runLabels(api, EXP).includes('cmd-train-renamed'));
    });

    it('Copy Run Id puts the id on the clipboard', async () => {
      const copied = await command<string>('loopline.copyRunId', trainId);
      assert.equal(copied, trainId);
      assert.equal(await vscode.env.clipboard.readText(), trainId);
    });

    it('Compare Selected Runs opens the Compare panel for those runs, reusing it for the next comparison', async () => {
      const panel = await command<{ panel: vscode.WebviewPanel }>('loopline.compareSelectedRuns', [trainId, rerunId]);
      assert.ok(panel, `errors: ${api.errors.join(' | ')}`);
      assert.equal(panel.panel.title, 'Compare 2 runs');
      assert.equal(panel.panel.viewType, 'loopline.compare');
      assert.ok(panel.panel.visible);
      const again = await command<{ panel: vscode.WebviewPanel }>('loopline.compareSelectedRuns', [trainId]);
      assert.equal(again, panel, 'one Compare panel, reused');
      assert.equal(again!.panel.title, 'Compare 1 run');
      panel.panel.dispose();
    });

    it('Open Experiment Table and Open Run Details open their panels', async () => {
      const table = await command<{ panel: vscode.WebviewPanel }>('loopline.openExperimentTable', EXP);
      assert.ok(table, `errors: ${api.errors.join(' | ')}`);
      assert.equal(table.panel.title, `Table: ${EXP}`);
      table.panel.dispose();
      const detail = await command<{ panel: vscode.WebviewPanel }>('loopline.openRunDetail', trainId);
      assert.ok(detail);
      assert.match(detail.panel.title, /^Run /);
      detail.panel.dispose();
    });

    it('Open Run Details opens one panel per selected run, up to five, and says how many it left out', async () => {
      const detailTabs = () =>
        vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('loopline.runDetail'));
      const ids = [...new Set([trainId, rerunId, ...store().searchRuns({ experimentIds: store().listExperiments().map((e) => e.id), maxResults: 20 }).runs.map((r) => r.info.id)])];
      assert.ok(ids.length >= 6, `${ids.length} runs in the workspace`);
      const before = detailTabs().length;
      await command('loopline.openRunDetail', ids.slice(0, 3));
      await waitFor('three Run Details panels', () => detailTabs().length === before + 3);
      const names = new Set(ids.slice(0, 3).map((id) => `Run ${store().getRun(id).info.name}`));
      assert.deepEqual(new Set(detailTabs().slice(-3).map((t) => t.label)), names);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await waitFor('the panels closed', () => detailTabs().length === 0);
      await command('loopline.openRunDetail', ids.slice(0, 6));
      await waitFor('five Run Details panels', () => detailTabs().length === 5);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(detailTabs().length, 5, 'no more than the limit');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('commands given a run id that does not exist report it instead of prompting', async () => {
      const errors = await errorsDuring(api, () => command('loopline.renameRun', '0123456789abcdef0123456789abcdef', undefined, 'x'));
      assert.deepEqual(errors, ['Run 0123456789abcdef0123456789abcdef is not in any store of this workspace.']);
    });
  });
}
