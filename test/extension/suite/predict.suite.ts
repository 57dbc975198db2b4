import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PredictionJobResult } from '../../../src/core/predict/prediction-job.ts';
import type { ModelVersion } from '../../../src/core/registry/registry-types.ts';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import { registryOf } from '../../../src/extension/models/models-tree.ts';
import { child, commandWithin, experimentNode, looplineApi, repoRoot, waitFor, workspaceDir, workspaceStore } from './api.ts';

const MODEL = 'iris-score';
const IMAGE = process.env.LOOPLINE_PYTHON_IMAGE ?? 'loopline/python:bookworm';

function csv(rows: number, bad: number): string {
  let text = 'id,sepal_length,sepal_width,petal_length,petal_width\n';
  for (let i = 0; i < rows; i++) text += `r${i},${4 + ((i * 7) % 40) / 10},${2 + ((i * 3) % 25) / 10},${i === bad ? 'tall' : 1 + ((i * 11) % 60) / 10},${0.1 + ((i * 13) % 24) / 10}\n`;
  return text;
}

/** *Score File with Model…*: the job in its worker, the model in its container, the files and the audit entry. */
export function registerPredictTests(): void {
  describe('Score File with Model… (real Docker engine)', () => {
    let api: LooplineApi;
    let host: string;
    const files: string[] = [];
    before(async function () {
      api = await looplineApi();
      host = process.env.DOCKER_HOST ?? (existsSync('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : `unix://${join(process.env.LOOPLINE_CACHE ?? join(homedir(), '.cache', 'loopline'), 'docker', 'engine', 'docker.sock')}`);
      const r = spawnSync('/usr/bin/docker', ['image', 'inspect', IMAGE], { env: { ...process.env, DOCKER_HOST: host }, encoding: 'utf8' });
      if (r.status !== 0) {
        console.log(`skipping batch scoring: no engine with ${IMAGE} at ${host}; run npm run docker:setup`);
        this.skip();
      }
      copyFileSync(join(repoRoot(), 'examples', 'iris', 'serve.py'), join(workspaceDir(), 'serve.py'));
      writeFileSync(join(workspaceDir(), 'loopline.yaml'), `serve:\n  image: ${IMAGE}\n  command: python3 serve.py --model /model\n  port: 8080\n  health: /ping\n`);
      files.push('serve.py', 'loopline.yaml');
      const v = await commandWithin<ModelVersion>(20_000, 'loopline.registerModel', child(api, experimentNode(api, 'iris-sweep'), 'lr-0.2'), undefined, { name: MODEL, path: 'model' });
      assert.equal(v.model, MODEL);
    });
    after(() => {
      for (const f of files) rmSync(join(workspaceDir(), f), { force: true });
    });

    it('scores a CSV with the chosen version: predictions beside it, the refused row in rejected.csv, audited, no container left', async () => {
      writeFileSync(join(workspaceDir(), 'to-score.csv'), csv(3000, 1234));
      files.push('to-score.csv', 'to-score.predictions.csv', 'rejected.csv');
      const output = join(workspaceDir(), 'to-score.predictions.csv');
      const r = await commandWithin<PredictionJobResult>(120_000, 'loopline.scoreFileWithModel', vscode.Uri.file(join(workspaceDir(), 'to-score.csv')), { ref: `${MODEL}/1`, output, batchSize: 250 });
      assert.ok(r, `errors: ${api.errors.join(' | ')}`);
      assert.deepEqual([r.status, r.model, r.version, r.scored, r.rejected, r.partial], ['finished', MODEL, 1, 2999, 1, false]);
      const lines = readFileSync(output, 'utf8').trim().split('\n');
      assert.equal(lines[0], 'id,sepal_length,sepal_width,petal_length,petal_width,prediction');
      assert.equal(lines.length, 3000);
      assert.match(lines[1]!, /^r0,4,2,1,0\.1,(setosa|versicolor|virginica)$/);
      const rejected = readFileSync(join(workspaceDir(), 'rejected.csv'), 'utf8').trim().split('\n');
      assert.match(rejected[1]!, /^1235,r1234,.*tall.*must be a finite number/);
      const entry = registryOf(workspaceStore(api)).audit.list({ model: MODEL }).at(-1)!;
      assert.equal(entry.action, 'predict');
      assert.equal(entry.outcome, 'ok');
      assert.equal((entry.detail as { scored: number }).scored, 2999);
      const left = spawnSync('/usr/bin/docker', ['ps', '-aq', '--filter', 'label=loopline.role=scorer', '--filter', `label=loopline.model=${MODEL}`], { env: { ...process.env, DOCKER_HOST: host }, encoding: 'utf8' });
      assert.equal(left.stdout.trim(), '', 'the scoring container is removed');
    });

    it('Cancel stops the job: the model container goes, the rows scored so far stay in the .partial file', async () => {
      writeFileSync(join(workspaceDir(), 'big-score.csv'), csv(300_000, -1));
      files.push('big-score.csv', 'big-score.predictions.csv.partial');
      const output = join(workspaceDir(), 'big-score.predictions.csv');
      const cts = new vscode.CancellationTokenSource();
      const job = commandWithin<PredictionJobResult>(120_000, 'loopline.scoreFileWithModel', join(workspaceDir(), 'big-score.csv'), { ref: `${MODEL}/1`, output, token: cts.token, batchSize: 500 });
      await waitFor('rows in the partial output', () => existsSync(`${output}.partial`) && statSync(`${output}.partial`).size > 20_000, 90_000);
      cts.cancel();
      const r = await job;
      assert.ok(r, `errors: ${api.errors.join(' | ')}`);
      assert.equal(r.status, 'cancelled');
      assert.equal(r.output, `${output}.partial`);
      assert.ok(r.scored > 0 && r.scored < 300_000, `scored ${r.scored}`);
      assert.equal(readFileSync(r.output, 'utf8').trim().split('\n').length - 1, r.scored);
      assert.ok(!existsSync(output), 'no file under the final name');
      assert.equal(registryOf(workspaceStore(api)).audit.list({ model: MODEL }).at(-1)!.outcome, 'failed');
    });
  });
}
