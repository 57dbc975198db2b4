import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import type { ImportSummary } from '../../../src/core/importers/import-types.ts';
import { fileVersionRecord, scalarEventRecord } from '../../helpers/tfevents-writer.ts';
import { commandWithin, experimentNode, looplineApi, workspaceStore } from './api.ts';

const RUNS = 60;
const POINTS = 3000;

/** A TensorBoard log dir with RUNS run folders of POINTS points each: long enough to cancel midway. */
function writeLogdir(dir: string): void {
  for (let r = 0; r < RUNS; r++) {
    const run = join(dir, `trial-${String(r).padStart(3, '0')}`);
    mkdirSync(run, { recursive: true });
    const recs = [fileVersionRecord(1_700_000_000)];
    for (let i = 0; i < POINTS; i++) recs.push(scalarEventRecord(1_700_000_000 + i, i, 'loss', 1 / (i + 1 + r)));
    writeFileSync(join(run, 'events.out.tfevents.1700000000.host.1.0'), Buffer.concat(recs));
  }
}

export function registerImportTests(): void {
  describe('Import Runs… (worker thread, progress, cancel)', () => {
    let api: LooplineApi;
    let dir: string;
    before(async () => {
      api = await looplineApi();
      dir = mkdtempSync(join(tmpdir(), 'loopline-import-ext-'));
      writeLogdir(join(dir, 'tb-sweep'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('reports progress with counts, stops on cancel keeping whole runs, and a second import brings the rest', async () => {
      const ws = workspaceStore(api);
      const folder = ws.folder;
      const cancel = new vscode.CancellationTokenSource();
      const messages: string[] = [];
      // The extension host keeps answering while the worker imports: a timer ticks meanwhile.
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 20);
      const first = await commandWithin<ImportSummary>(120_000, 'loopline.importRuns', {
        path: join(dir, 'tb-sweep'),
        format: 'tensorboard',
        folder,
        cancellation: cancel.token,
        onProgress: (m: string) => {
          messages.push(m);
          // At the first report: imports are fast enough that waiting longer can let them finish.
          if (messages.length === 1) cancel.cancel();
        },
      });
      clearInterval(ticker);
      assert.ok(first, `errors: ${api.errors.join(' | ')}`);
      assert.match(messages[0]!, /^\d+ runs, [\d,]+ points — trial-\d{3}$/);
      assert.equal(first.cancelled, true);
      assert.ok(first.runs.created > 0 && first.runs.created < RUNS, `cancelled midway: ${first.runs.created} of ${RUNS}`);
      assert.ok(ticks > 5, `the extension host thread was not blocked (${ticks} ticks)`);
      const exp = ws.store.getExperimentByName('tb-sweep');
      const stored = ws.store.searchRuns({ experimentIds: [exp.id], maxResults: 1000 }).runs;
      assert.equal(stored.length, first.runs.created);
      for (const r of stored) assert.equal(r.metrics[0]!.count, POINTS, `run ${r.info.name} is whole`);

      const second = await commandWithin<ImportSummary>(120_000, 'loopline.importRuns', { path: join(dir, 'tb-sweep'), format: 'tensorboard', folder });
      assert.equal(second.cancelled, false);
      assert.equal(second.runs.created, RUNS - first.runs.created);
      assert.equal(second.runs.unchanged, first.runs.created);
      assert.equal(ws.store.countRuns(exp.id), RUNS);
      // The Experiments view shows the imported experiment.
      api.services.experiments.refresh();
      assert.ok(experimentNode(api, 'tb-sweep'), 'tb-sweep is in the Experiments view');
    });
  });
}
