import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import { child, command, errorsDuring, experimentNode, labels, looplineApi, shown, waitFor, workspaceDir, workspaceStore } from './api.ts';

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: workspaceDir(), encoding: 'utf8', stdio: 'pipe' }).trim();
}

function branchExists(name: string): boolean {
  try {
    git('rev-parse', '--verify', '-q', `refs/heads/${name}`);
    return true;
  } catch {
    return false;
  }
}

export function registerCodeTests(): void {
  describe('Run code (git)', () => {
    let api: LooplineApi;
    let seededId = '';
    before(async () => {
      api = await looplineApi();
      const { store } = workspaceStore(api);
      const exp = store.getExperimentByName('iris-sweep');
      seededId = store.searchRuns({ experimentIds: [exp.id], filter: "attributes.run_name = 'lr-0.8'", maxResults: 1 }).runs[0]!.info.id;
    });
    after(() => {
      // Leave the repository clean for later suites whatever happened here.
      git('checkout', '-q', '--', 'train.py');
    });

    it('Show Code Diff opens the run ↔ working tree diff when train.py was edited', async () => {
      assert.equal(git('status', '--porcelain'), '', 'the workspace starts clean');
      appendFileSync(join(workspaceDir(), 'train.py'), '\n# tuned by hand after the sweep\n');
      const changed = await command<number>('loopline.showCodeDiff', seededId);
      assert.equal(changed, 1, `errors: ${api.errors.join(' | ')}`);
      const tab = await waitFor('the diff editor', () => {
        const t = vscode.window.tabGroups.activeTabGroup.activeTab;
        return t?.label.includes('↔ Working Tree') && t;
      });
      assert.match(tab.label, /^Run "lr-0\.8" ↔ Working Tree \(1 file\)$/);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it('Check Out Run Code refuses a dirty working tree and says why', async () => {
      const errors = await errorsDuring(api, () => command('loopline.checkoutRunCode', seededId, undefined, 'loopline/ext-dirty'));
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /uncommitted changes/);
      assert.equal(branchExists('loopline/ext-dirty'), false);
      assert.equal(git('branch', '--show-current'), 'main');
    });

    it('Show Code Diff reports no changes (0) once the working tree matches the run again', async () => {
      git('checkout', '-q', '--', 'train.py');
      assert.equal(git('status', '--porcelain'), '');
      const before = api.errors.length;
      assert.equal(await command<number>('loopline.showCodeDiff', seededId), 0);
      assert.equal(api.errors.length, before);
    });

    it('Check Out Run Code creates a branch with the run code on a clean tree; the diff is then empty', async () => {
      git('checkout', '-q', '--', 'train.py');
      const branch = await command<string>('loopline.checkoutRunCode', seededId, undefined, 'loopline/ext-checkout');
      assert.equal(branch, 'loopline/ext-checkout', `errors: ${api.errors.join(' | ')}`);
      assert.ok(branchExists('loopline/ext-checkout'));
      assert.equal(git('branch', '--show-current'), 'loopline/ext-checkout');
      assert.equal(git('rev-parse', 'HEAD'), workspaceStore(api).store.getRun(seededId).info.git?.commit);
      const before = api.errors.length;
      assert.equal(await command<number>('loopline.showCodeDiff', seededId), 0);
      assert.equal(api.errors.length, before);
      // The same name again is refused rather than overwriting the branch.
      const errors = await errorsDuring(api, () => command('loopline.checkoutRunCode', seededId, undefined, 'loopline/ext-checkout'));
      assert.deepEqual(errors, ["Branch 'loopline/ext-checkout' already exists; delete it or choose another name."]);
    });

    it('a run started outside git shows "Not a git repository" and Show Code Diff explains why it cannot', async () => {
      const ws = workspaceStore(api);
      const exp = ws.store.ensureExperiment('ext-nogit');
      const run = ws.store.createRun({
        experimentId: exp.id,
        name: 'no-git-run',
        status: 'FINISHED',
        git: { isRepo: false, commit: null, branch: null, dirty: false, patch: null },
      });
      api.services.stores.wrote(ws);
      const node = child(api, experimentNode(api, 'ext-nogit'), 'no-git-run');
      assert.equal(shown(api, node).contextValue, 'run.FINISHED.active', 'no ".git": the code menu items are hidden');
      assert.deepEqual(labels(api, api.services.experiments.getChildren(child(api, node, 'Code'))), ['Not a git repository']);
      const errors = await errorsDuring(api, () => command('loopline.showCodeDiff', run.info.id));
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /not started in a git repository/);
    });
  });
}
