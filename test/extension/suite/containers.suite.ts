import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ContainerRunOptions } from '../../../src/core/containers/container-options.ts';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import type { LaunchedRun } from '../../../src/extension/runs/run-controller.ts';
import { command, looplineApi, waitFor, workspaceStore } from './api.ts';

/** A container run started from Run Training Script: its terminal, the Runs view, its tags. */
export function registerContainerTests(): void {
  describe('Container runs', () => {
    let api: LooplineApi;
    before(async function () {
      api = await looplineApi();
      // The engine scripts/docker-setup.sh starts (.ci/run exports DOCKER_HOST for it; without it the
      // extension finds that engine's socket in the cache folder, as checked here).
      const host = process.env.DOCKER_HOST ?? (existsSync('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : `unix://${join(process.env.LOOPLINE_CACHE ?? join(homedir(), '.cache', 'loopline'), 'docker', 'engine', 'docker.sock')}`);
      const r = spawnSync('/usr/bin/docker', ['image', 'inspect', 'loopline/busybox:local'], { env: { ...process.env, DOCKER_HOST: host }, encoding: 'utf8' });
      if (r.status !== 0) {
        console.log(`skipping container runs: no engine with loopline/busybox:local at ${host} (${(r.stderr || String(r.error)).trim()}); run npm run docker:setup`);
        this.skip();
      }
    });

    it('a container run appears in the Runs view and its terminal, and records the container tags', async () => {
      const container: ContainerRunOptions = { image: 'loopline/busybox:local', network: 'none', env: {}, mounts: [], stopTimeoutSec: 2 };
      const launched = await command<LaunchedRun>('loopline.runTrainingScript', {
        command: ['sh', '-c', 'echo container-hello; sleep 3; echo bye > /outputs/result.txt'],
        container,
        experiment: 'ext-containers',
        name: 'in-container',
      });
      assert.ok(launched?.runId, `no run launched; errors: ${api.errors.join(' | ')}`);
      assert.equal(launched.terminal.name, 'Loopline: in-container');
      assert.ok(vscode.window.terminals.some((t) => t.name === 'Loopline: in-container'));
      await waitFor('the container run in the Runs view', () => api.services.activeRuns.getChildren().some((i) => i.run.info.name === 'in-container'));
      await waitFor('the container id tag', () => workspaceStore(api).store.getRun(launched.runId).tags['loopline.container.id']);
      const outcome = await launched.finished;
      assert.equal(outcome.status, 'FINISHED');
      const run = workspaceStore(api).store.getRun(launched.runId);
      assert.equal(run.tags['loopline.container.image'], 'loopline/busybox:local');
      assert.equal(run.tags['loopline.container.exitCode'], '0');
      assert.ok(workspaceStore(api).store.recordedArtifacts(launched.runId).some((a) => a.path === 'result.txt'));
      assert.ok(!api.services.activeRuns.getChildren().some((i) => i.run.info.id === launched.runId));
    });
  });
}
