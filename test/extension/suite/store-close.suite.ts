import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import { command, looplineApi, waitFor, workspaceStore } from './api.ts';

/**
 * Runs last: closing the workspace store (a change of loopline.storePath) must end its read worker.
 * Last, because every open view and panel then works on a reopened store.
 */
export function registerStoreCloseTests(): void {
  describe('Store close', () => {
    let api: LooplineApi;
    before(async () => {
      api = await looplineApi();
    });

    it('a store that closes ends its read worker: no worker thread outlives the store', async () => {
      const ws = workspaceStore(api);
      const exp = workspaceStore(api).store.listExperiments().find((e) => e.id !== '0')!.name;
      const table = await command<{ panel: vscode.WebviewPanel }>('loopline.openExperimentTable', exp);
      // The table's first read starts the worker thread.
      await waitFor('the read worker to start', () => ws.reader.running, 30_000);
      table.panel.dispose();
      // Any change of loopline.storePath closes the open stores (here: the same file, named explicitly).
      const config = vscode.workspace.getConfiguration('loopline');
      await config.update('storePath', ws.store.path, vscode.ConfigurationTarget.Workspace);
      try {
        await waitFor('the read worker to end with its store', () => !ws.reader.running, 10_000);
      } finally {
        await config.update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
      }
      const again = workspaceStore(api);
      assert.notEqual(again, ws, 'the store was reopened');
      assert.ok(again.store.listExperiments().some((e) => e.name === exp), 'the reopened store reads');
      // A closed reader does not boot again, even when asked; the reopened store boots its own by itself.
      await ws.reader.warm();
      assert.equal(ws.reader.running, false, 'the closed store\'s worker did not come back');
      await waitFor('the reopened store\'s read worker to boot by itself', () => again.reader.running, 10_000);
    });

  });
}
