import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatNumber } from '../../../src/shared/display-format.ts';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import { looplineApi, waitFor, workspaceDir, workspaceStore } from './api.ts';

async function lensesOf(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  await vscode.workspace.openTextDocument(uri);
  return (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 10)) ?? [];
}

/** Runs of train.py, newest first, straight from the store. */
function trainRuns(api: LooplineApi) {
  const { store } = workspaceStore(api);
  const ids = store.listExperiments().map((e) => e.id);
  return store.searchRuns({ experimentIds: ids, filter: "attributes.source_file = 'train.py'", maxResults: 10 }).runs;
}

export function registerCodeLensTests(): void {
  describe('CodeLens', () => {
    let api: LooplineApi;
    const plain = () => join(workspaceDir(), 'plain_script.py');
    before(async () => {
      api = await looplineApi();
    });
    after(() => rmSync(plain(), { force: true }));

    it('offers Run, the last run, Compare with previous run and Compare runs on the first line after the docstring and above the entry point', async () => {
      const uri = vscode.Uri.file(join(workspaceDir(), 'train.py'));
      const all = await waitFor('eight lenses on train.py', async () => {
        const l = await lensesOf(uri);
        return l.length === 8 && l;
      });
      const doc = await vscode.workspace.openTextDocument(uri);
      const text = doc.getText().split('\n');
      const guardLine = text.findIndex((l) => /^if __name__ == ["']__main__["']:/.test(l));
      const firstCode = text.findIndex((l) => /^(import|from) /.test(l));
      assert.ok(guardLine > 0 && firstCode > 0 && firstCode < 20, `first code line ${firstCode}, entry point ${guardLine}`);
      assert.deepEqual(all.map((l) => l.range.start.line), [firstCode, firstCode, firstCode, firstCode, guardLine, guardLine, guardLine, guardLine], 'visible when the file opens, and at the entry point');
      assert.deepEqual(all.slice(0, 4).map((l) => l.command?.title), all.slice(4).map((l) => l.command?.title), 'the same lenses in both places');
      const lenses = all.slice(0, 4);

      const [run, last, previous, compare] = lenses.map((l) => l.command!);
      assert.equal(run!.title, '$(play) Run');
      assert.equal(run!.command, 'loopline.runTrainingScript');
      assert.equal((run!.arguments?.[0] as vscode.Uri).fsPath, uri.fsPath);

      const runs = trainRuns(api);
      const newest = runs[0]!;
      const acc = newest.metrics.find((m) => m.key === 'val_accuracy')!;
      assert.match(last!.title, new RegExp(`^Last run: val_accuracy ${formatNumber(acc.last).replace('.', '\\.')}, \\d+ [smhd] ago$`));
      assert.equal(last!.command, 'loopline.revealRun');
      assert.deepEqual(last!.arguments, [newest.info.id]);

      assert.equal(previous!.title, 'Compare with previous run');
      assert.equal(previous!.command, 'loopline.compareSelectedRuns');
      assert.deepEqual(previous!.arguments, [[runs[0]!.info.id, runs[1]!.info.id]]);

      assert.equal(compare!.title, 'Compare runs');
      assert.equal(compare!.command, 'loopline.compareSelectedRuns');
      assert.deepEqual(compare!.arguments, [runs.map((r) => r.info.id)]);
    });

    it('the Last run lens reveals that run without an error', async () => {
      const lenses = await lensesOf(vscode.Uri.file(join(workspaceDir(), 'train.py')));
      assert.ok(lenses.length > 0);
      const last = lenses.find((l) => l.command?.command === 'loopline.revealRun')!.command!;
      const before = api.errors.length;
      await vscode.commands.executeCommand(last.command, ...(last.arguments ?? []));
      assert.deepEqual(api.errors.slice(before), []);
      const selected = await waitFor('the run selected in the Experiments view', () => api.services.experimentsView.selection[0]);
      assert.equal(selected.kind === 'run' && selected.run.info.id, last.arguments?.[0]);
    });

    it('shows nothing above a Python file that does not track', async () => {
      writeFileSync(plain(), 'import json\n\nif __name__ == "__main__":\n    print(json.dumps({"lr": 0.1}))\n');
      const lenses = await lensesOf(vscode.Uri.file(plain()));
      assert.deepEqual(lenses.map((l) => l.command?.title), []);
    });
  });
}
