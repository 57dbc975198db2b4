import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataProfilePanel } from '../../../src/extension/monitoring/data-profile-panel.ts';
import { command, waitFor, workspaceDir } from './api.ts';

function writeCsv(name: string, rows: number, shift: number): vscode.Uri {
  const lines = ['x,colour'];
  for (let i = 0; i < rows; i++) lines.push(`${i % 7 === 0 ? '' : (((i * 7919) % 1000) / 100 + shift).toFixed(2)},${['red', 'green', 'blue'][i % 3]}`);
  const path = join(workspaceDir(), name);
  writeFileSync(path, lines.join('\n') + '\n');
  return vscode.Uri.file(path);
}

export function registerDataProfileTests(): void {
  describe('Data profile', () => {
    after(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('Open Data Profile profiles a CSV in a worker and shows it in a panel', async () => {
      const uri = writeCsv('profile-me.csv', 900, 0);
      const panel = await command<DataProfilePanel>('loopline.openDataProfile', uri);
      assert.ok(panel, 'the command returns the panel');
      const shown = await waitFor('the profile', () => (panel.shown?.type === 'profile' || panel.shown?.type === 'error' ? panel.shown : undefined));
      assert.equal(shown.type, 'profile', JSON.stringify(shown).slice(0, 300));
      if (shown.type !== 'profile') return;
      assert.equal(shown.profile.rows, 900);
      assert.deepEqual(shown.profile.columns.map((c) => [c.name, c.type, c.missing]), [['x', 'numeric', 129], ['colour', 'categorical', 0]]);
      assert.equal(panel.panel.title, 'Profile: profile-me.csv');
    });

    it('two files selected in the Explorer open the comparison with each column drift', async () => {
      const a = writeCsv('reference.csv', 900, 0);
      const b = writeCsv('current.csv', 900, 3);
      const panel = await command<DataProfilePanel>('loopline.openDataProfile', a, [a, b]);
      const shown = await waitFor('the comparison', () => (panel.shown?.type === 'comparison' || panel.shown?.type === 'error' ? panel.shown : undefined));
      assert.equal(shown.type, 'comparison', JSON.stringify(shown).slice(0, 300));
      if (shown.type !== 'comparison') return;
      assert.deepEqual(shown.drift.features.map((f) => [f.name, f.test, f.status]), [['x', 'ks', 'drift'], ['colour', 'chi-squared', 'ok']]);
      assert.equal(panel.panel.title, 'Profile: reference.csv vs current.csv');
    });

    it('a file that is not data gets a clear error in the panel', async () => {
      const path = join(workspaceDir(), 'broken.parquet');
      writeFileSync(path, 'not parquet');
      const panel = await command<DataProfilePanel>('loopline.openDataProfile', vscode.Uri.file(path));
      const shown = await waitFor('the error', () => (panel.shown?.type === 'error' ? panel.shown : undefined));
      assert.match(shown.type === 'error' ? shown.message : '', /not a readable Parquet file/);
    });
  });
}
