import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { captureLogPath } from '../../../src/core/capture/deployment-watch.ts';
import { DeploymentRecords } from '../../../src/core/deploy/deployment-records.ts';
import { registryWithDeployments } from '../../../src/core/deploy/registry-with-deployments.ts';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import type { DeploymentNode } from '../../../src/extension/deployments/deployments-tree.ts';
import type { MonitoringPanel } from '../../../src/extension/monitoring/monitoring-panel.ts';
import { command, looplineApi, waitFor, workspaceDir, workspaceStore } from './api.ts';

const NAME = 'iris-mon';

/** Capture-log lines as the proxy's relay writes them: iris rows, petal_length shifted on request. */
function traffic(rows: string[][], n: number, shift: number, start: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    const r = rows[(i * 37 + start) % rows.length]!;
    const x = r.slice(0, 4).map(Number).map((v, j) => (j === 2 ? +(v + shift).toFixed(1) : v));
    out += JSON.stringify({ type: 'request', time: Date.now() / 1000, request_id: `m${start + i}`, status: 200, latency_ms: 2, request: JSON.stringify({ instances: [x] }), response: JSON.stringify({ predictions: [shift ? 'virginica' : r[4]] }) }) + '\n';
  }
  return out;
}

export function registerMonitoringTests(): void {
  describe('Deployment monitoring (drift status, warning once per episode, Open Monitoring)', () => {
    let api: LooplineApi;
    const yaml = () => join(workspaceDir(), 'loopline.yaml');
    before(async () => {
      api = await looplineApi();
      const ws = workspaceStore(api);
      writeFileSync(yaml(), 'data:\n  train: iris.csv\nmonitoring:\n  window_requests: 100\n  window_step: 100\n');
      const registry = registryWithDeployments(ws.store);
      const run = ws.store.searchRuns({ experimentIds: [ws.store.getExperimentByName('iris-sweep').id] }).runs[0]!;
      const v = registry.registerVersion({ model: 'iris-mon', runId: run.info.id, path: 'model' });
      const now = Date.now();
      // A deployment record as deploy writes it; its traffic arrives through the capture log (no engine needed here).
      new DeploymentRecords(ws.store.db).save({
        name: NAME, model: 'iris-mon', port: 9, network: 'none', proxyContainer: 'none', strategy: 'blue-green', generation: 1,
        slots: [{ id: 'a', container: 'none', containerId: 'none', version: v.version, alias: null, weight: 100, role: 'live' }],
        createdTime: now, updatedTime: now,
      });
      const rows = readFileSync(join(workspaceDir(), 'iris.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
      const log = captureLogPath(ws.store.path, NAME);
      mkdirSync(dirname(log), { recursive: true });
      writeFileSync(log, traffic(rows, 200, 0, 0) + traffic(rows, 200, 1.5, 200));
      api.services.deployments.refresh();
    });
    after(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const ws = workspaceStore(api);
      new DeploymentRecords(ws.store.db).remove(NAME);
      rmSync(dirname(dirname(captureLogPath(ws.store.path, NAME))), { recursive: true, force: true });
      rmSync(yaml(), { force: true });
      api.services.deployments.refresh();
    });

    it('the drift watcher computes the windows, the Deployments view shows a sparkline and the state, the warning appears once per episode', async () => {
      const before = api.services.drift.announced.length;
      await api.services.drift.check();
      const root = api.services.deployments.getChildren().find((n) => n.kind === 'deployment' && n.deployment.name === NAME)!;
      const row = api.services.deployments.getChildren(root)[0] as DeploymentNode;
      assert.equal(row.kind, 'drift');
      const item = api.services.deployments.getTreeItem(row);
      assert.match(String(item.label), /^Drift \S{4}$/, 'one bar per window of 100 requests');
      assert.match(String(item.description), /^drifting \(2 windows\)$/);
      assert.equal(item.command?.command, 'loopline.openMonitoring');
      const warnings = api.services.drift.announced.slice(before);
      assert.equal(warnings.length, 1, warnings.join(' | '));
      assert.match(warnings[0]!, new RegExp(`^Deployment ${NAME} is drifting: .*petal_length.* \\(drift episode 1,`));
      // The episode goes on: no second warning.
      await api.services.drift.check();
      assert.equal(api.services.drift.announced.length, before + 1);
    });

    it('Open Monitoring shows the history, the episode and the reference vs the newest window', async () => {
      const panel = await command<MonitoringPanel>('loopline.openMonitoring', NAME);
      const shown = await waitFor('the monitoring view', () => (panel.shown ? panel.shown : undefined));
      assert.equal(shown.type, 'view', JSON.stringify(shown).slice(0, 300));
      if (shown.type !== 'view') return;
      assert.equal(shown.view.windows.length, 4);
      assert.deepEqual(shown.view.windows.map((w) => w.alert), [false, false, true, true]);
      assert.equal(shown.view.episode?.episode, 1);
      assert.deepEqual(shown.view.reference.columns.map((c) => c.name), ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species']);
      assert.deepEqual(shown.view.current?.columns.map((c) => c.name), ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
      assert.equal(panel.panel.title, `Monitoring: ${NAME}`);
    });
  });
}
