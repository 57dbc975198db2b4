import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import type { EvaluationPanel } from '../../../src/extension/evaluate/evaluation-panel.ts';
import type { ModelNode } from '../../../src/extension/models/models-tree.ts';
import type { EvaluationRecord } from '../../../src/core/evaluate/evaluation-record.ts';
import type { ModelVersion } from '../../../src/core/registry/registry-types.ts';
import { child, commandWithin, experimentNode, looplineApi, repoRoot, workspaceDir, workspaceStore } from './api.ts';

const MODEL = 'iris-eval';

function versionNode(api: LooplineApi, version: number): ModelNode {
  const model = api.services.models.getChildren().find((m) => m.kind === 'model' && m.model.name === MODEL)!;
  const n = api.services.models.getChildren(model).find((v) => v.kind === 'version' && v.version.version === version);
  if (!n) throw new Error(`no version ${version}`);
  return n;
}

export function registerEvaluateTests(): void {
  describe('Evaluate Model… and the Evaluation Report (real Docker engine)', () => {
    let api: LooplineApi;
    let version: ModelVersion;
    let data = '';
    before(async () => {
      api = await looplineApi();
      copyFileSync(join(repoRoot(), 'examples', 'iris', 'serve.py'), join(workspaceDir(), 'serve.py'));
      writeFileSync(join(workspaceDir(), 'loopline.yaml'), `serve:\n  image: ${process.env.LOOPLINE_PYTHON_IMAGE ?? 'loopline/python:bookworm'}\n  command: python3 serve.py --model /model --probabilities\n  port: 8080\n  health: /ping\n`);
      const lines = readFileSync(join(workspaceDir(), 'iris.csv'), 'utf8').trim().split('\n');
      data = join(workspaceDir(), 'iris-test.csv');
      writeFileSync(data, [`${lines[0]},site`, ...lines.slice(1).map((l, i) => `${l},${i % 2 ? 'a' : 'b'}`)].join('\n') + '\n');
      version = await commandWithin<ModelVersion>(20_000, 'loopline.registerModel', child(api, experimentNode(api, 'iris-sweep'), 'lr-0.2'), undefined, { name: MODEL, path: 'model' });
    });
    after(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      for (const f of ['serve.py', 'loopline.yaml', 'iris-test.csv']) rmSync(join(workspaceDir(), f), { force: true });
    });

    it('evaluates a version from the Models view as served, records the run, and opens the report; two evaluations side by side', async () => {
      const rec = await commandWithin<EvaluationRecord | undefined>(120_000, 'loopline.evaluateModel', versionNode(api, version.version), { data, label: 'species', sliceBy: ['site'] });
      assert.ok(rec, `errors: ${api.errors.join(' | ')}`);
      assert.equal(rec.model, MODEL);
      assert.equal(rec.n, 150);
      assert.ok(rec.metrics.task === 'classification' && rec.metrics.accuracy > 0.8, 'a trained Iris model');
      assert.deepEqual(rec.slices.map((s) => s.column), ['site']);
      const ws = workspaceStore(api);
      const run = ws.store.getRun(rec.runId);
      assert.equal(run.tags['loopline.evaluates'], `${MODEL}/${version.version}`);
      assert.equal(run.metrics.find((m) => m.key === 'eval.accuracy')?.last, rec.metrics.accuracy);

      // The Experiments view marks the run as an evaluation, and Open Evaluation Report shows it.
      const second = await commandWithin<EvaluationRecord | undefined>(120_000, 'loopline.evaluateModel', undefined, { ref: `${MODEL}/${version.version}`, data, label: 'species' });
      assert.ok(second, `errors: ${api.errors.join(' | ')}`);
      const panel = await commandWithin<EvaluationPanel>(20_000, 'loopline.openEvaluationReport', [rec.runId, second.runId]);
      const shown = panel.shown;
      assert.ok(shown && shown.type === 'report', JSON.stringify(shown).slice(0, 200));
      assert.deepEqual(shown.evaluations.map((e) => e.runId), [rec.runId, second.runId]);
      assert.equal(panel.panel.title, `Evaluation: ${MODEL}/${version.version} vs ${MODEL}/${version.version}`);
      panel.panel.dispose();
    });

    it('bad input says what to do and records nothing', async () => {
      const before = workspaceStore(api).store.findExperimentByName('evaluations');
      const count = before ? workspaceStore(api).store.countRuns(before.id) : 0;
      const errors = api.errors.length;
      const res = await commandWithin<EvaluationRecord | undefined>(60_000, 'loopline.evaluateModel', versionNode(api, version.version), { data, label: 'nope' });
      assert.equal(res, undefined);
      assert.match(api.errors.slice(errors).join(' | '), /label column 'nope' is not in the data \(columns: sepal_length, sepal_width, petal_length, petal_width, species, site\)/);
      const exp = workspaceStore(api).store.findExperimentByName('evaluations');
      assert.equal(exp ? workspaceStore(api).store.countRuns(exp.id) : 0, count);
    });
  });
}
