import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import type { DeploymentNode } from '../../../src/extension/deployments/deployments-tree.ts';
import type { ModelNode } from '../../../src/extension/models/models-tree.ts';
import type { ModelVersion } from '../../../src/core/registry/registry-types.ts';
import type { DeployResult } from '../../../src/core/deploy/deployment-manager.ts';
import { child, commandWithin, experimentNode, looplineApi, repoRoot, workspaceDir } from './api.ts';

const MODEL = 'iris-ext';
const NAME = 'iris-ext-prod';

function label(api: LooplineApi, n: DeploymentNode): { text: string; desc: string; ctx: string } {
  const it = api.services.deployments.getTreeItem(n);
  return { text: typeof it.label === 'string' ? it.label : (it.label?.label ?? ''), desc: String(it.description ?? ''), ctx: it.contextValue ?? '' };
}

function versionNode(api: LooplineApi, version: number): ModelNode {
  const model = api.services.models.getChildren().find((m) => m.kind === 'model' && m.model.name === MODEL)!;
  const n = api.services.models.getChildren(model).find((v) => v.kind === 'version' && v.version.version === version);
  if (!n) throw new Error(`no version ${version}`);
  return n;
}

export function registerDeploymentsTests(): void {
  describe('Deployments view and deploy commands (real Docker engine)', () => {
    let api: LooplineApi;
    before(async () => {
      api = await looplineApi();
      copyFileSync(join(repoRoot(), 'examples', 'iris', 'serve.py'), join(workspaceDir(), 'serve.py'));
      writeFileSync(join(workspaceDir(), 'loopline.yaml'), `serve:\n  image: ${process.env.LOOPLINE_PYTHON_IMAGE ?? 'loopline/python:bookworm'}\n  command: python3 serve.py --model /model\n  port: 8080\n  health: /ping\n`);
    });
    after(async () => {
      await vscode.commands.executeCommand('loopline.undeploy', NAME, { confirmed: true }).then(undefined, () => undefined);
      rmSync(join(workspaceDir(), 'serve.py'), { force: true });
      rmSync(join(workspaceDir(), 'loopline.yaml'), { force: true });
    });

    it('Deploy…, a blue/green switch, Send Test Request, Rollback and Undeploy', async () => {
      const deployed = await commandWithin<DeployResult>(120_000, 'loopline.deployModelVersion', versionNode(api, 2), { name: NAME });
      assert.ok(deployed, `errors: ${api.errors.join(' | ')}`);
      const [root] = api.services.deployments.getChildren();
      assert.ok(root && root.kind === 'deployment');
      assert.equal(label(api, root).text, NAME);
      assert.match(label(api, root).desc, new RegExp(`^${MODEL} · v2 100% · http://127\\.0\\.0\\.1:\\d+$`));

      const reply = await commandWithin<{ status: number; body: string }>(20_000, 'loopline.sendTestRequest', NAME, '{"instances": [[5.1, 3.5, 1.4, 0.2]]}');
      assert.equal(reply.status, 200);
      assert.deepEqual(JSON.parse(reply.body), { predictions: ['setosa'] });

      // A third version, deployed to the same name: blue/green, v2 stays warm.
      const v3 = await commandWithin<ModelVersion>(20_000, 'loopline.registerModel', child(api, experimentNode(api, 'iris-sweep'), 'lr-0.2'), undefined, { name: MODEL, path: 'model' });
      await commandWithin(120_000, 'loopline.deployModelVersion', versionNode(api, v3.version), { name: NAME });
      const [after] = api.services.deployments.getChildren();
      const slotRows = api.services.deployments.getChildren(after).filter((n) => n.kind === 'slot').map((n) => `${label(api, n).text} ${label(api, n).desc}`);
      // Each row: version, share and role, then its traffic (request count, errors, latency) from the proxy log.
      const slots = slotRows.map((r) => r.split(' · ').slice(0, 2).join(' · '));
      assert.deepEqual(slots, [`${MODEL} v${v3.version} 100% · live`, `${MODEL} v2 0% · warm (rollback target)`]);
      for (const r of slotRows) assert.match(r.split(' · ').slice(2).join(' · '), /^(no requests yet|\d+ req · \d+(\.\d+)?% err)/, r);
      assert.equal(label(api, after!).ctx, 'deployment.warm');

      // Open Endpoint Logs: each version's server output, the proxy's, and the newest access-log lines, in an editor.
      const logs = await commandWithin<string>(30_000, 'loopline.openEndpointLogs', NAME);
      assert.match(logs, new RegExp(`==== ${MODEL} v${v3.version} · live · 100%[^\\n]*\\n[\\s\\S]*serving /model on 0\\.0\\.0\\.0:8080`));
      assert.match(logs, /==== proxy · http:\/\/127\.0\.0\.1:\d+/);
      assert.match(logs, /==== access log [^\n]*\n[\s\S]*"status":200/);
      assert.equal(vscode.window.activeTextEditor?.document.getText(), logs);
      const warmRow = api.services.deployments.getChildren(after).find((n) => n.kind === 'slot' && n.slot.role === 'previous')!;
      const one = await commandWithin<string>(30_000, 'loopline.openEndpointLogs', warmRow);
      assert.match(one, /^==== iris-ext v2 · previous · 0%/);
      assert.doesNotMatch(one, /==== proxy|==== access log/);

      await commandWithin(20_000, 'loopline.rollbackDeployment', after);
      const [back] = api.services.deployments.getChildren();
      assert.match(label(api, back!).desc, /· v2 100% ·/);
      const history = api.services.deployments.getChildren(back).find((n) => n.kind === 'historyGroup')!;
      assert.deepEqual(api.services.deployments.getChildren(history).map((n) => label(api, n).text), ['rollback v2', `switch v${v3.version}`, 'deploy v2']);

      const port = deployed.deployment.port;
      assert.equal(await commandWithin(60_000, 'loopline.undeploy', back, { confirmed: true }), true);
      assert.deepEqual(api.services.deployments.getChildren(), []);
      await assert.rejects(fetch(`http://127.0.0.1:${port}/ping`));
    });

    it('a version whose error rate rises after the switch is rolled back by itself, with a warning; clients see no error', async () => {
      const auto = `${NAME}-auto`;
      const conf = vscode.workspace.getConfiguration('loopline');
      await conf.update('deploy.settleSeconds', 40, vscode.ConfigurationTarget.Workspace);
      await conf.update('deploy.maxErrorRate', 0.2, vscode.ConfigurationTarget.Workspace);
      const yaml = join(workspaceDir(), 'loopline.yaml');
      const image = process.env.LOOPLINE_PYTHON_IMAGE ?? 'loopline/python:bookworm';
      try {
        // The failing version: the same model, served with --fail-after 3 (500 after three predictions).
        writeFileSync(yaml, `serve:\n  image: ${image}\n  command: python3 serve.py --model /model --fail-after 3\n  port: 8080\n  health: /ping\n`);
        const failing = await commandWithin<ModelVersion>(20_000, 'loopline.registerModel', child(api, experimentNode(api, 'iris-sweep'), 'lr-0.2'), undefined, { name: MODEL, path: 'model' });
        writeFileSync(yaml, `serve:\n  image: ${image}\n  command: python3 serve.py --model /model\n  port: 8080\n  health: /ping\n`);
        const first = await commandWithin<DeployResult>(120_000, 'loopline.deployModelVersion', versionNode(api, 2), { name: auto });
        const res = await commandWithin<DeployResult & { settled?: Promise<string | undefined> }>(120_000, 'loopline.deployModelVersion', versionNode(api, failing.version), { name: auto });
        assert.ok(res.settled, 'a blue/green switch is watched');
        const failures: string[] = [];
        for (let i = 0; i < 30; i++) {
          const r = await fetch(`${first.endpoint}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"instances": [[5.1, 3.5, 1.4, 0.2]]}' });
          if (r.status !== 200) failures.push(`HTTP ${r.status} ${await r.text()}`);
          else await r.arrayBuffer();
        }
        const warning = await res.settled;
        assert.match(warning ?? '(no warning)', new RegExp(`^Automatic rollback of ${auto}: version ${failing.version} error rate \\d+% \\(\\d+/\\d+\\) above 20%`));
        assert.deepEqual(failures, [], 'the warm previous version answered what the failing one refused');
        const node = api.services.deployments.getChildren().find((n) => n.kind === 'deployment' && n.deployment.name === auto)!;
        assert.match(label(api, node).desc, /· v2 100% ·/);
        const history = api.services.deployments.getChildren(node).find((n) => n.kind === 'historyGroup')!;
        const newest = api.services.deployments.getChildren(history)[0]!;
        assert.equal(label(api, newest).text, 'rollback v2');
        assert.match(label(api, newest).desc, /^automatic rollback: error rate/);
      } finally {
        await vscode.commands.executeCommand('loopline.undeploy', auto, { confirmed: true }).then(undefined, () => undefined);
        await conf.update('deploy.settleSeconds', undefined, vscode.ConfigurationTarget.Workspace);
        await conf.update('deploy.maxErrorRate', undefined, vscode.ConfigurationTarget.Workspace);
      }
    });
  });
}
