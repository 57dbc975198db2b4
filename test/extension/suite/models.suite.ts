import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import type { ModelNode } from '../../../src/extension/models/models-tree.ts';
import type { ModelVersion } from '../../../src/core/registry/registry-types.ts';
import type { AliasResult } from '../../../src/extension/commands/model-commands.ts';
import { ModelRegistry } from '../../../src/core/registry/model-registry.ts';
import { child, command, commandWithin, errorsDuring, experimentNode, looplineApi, workspaceDir, workspaceStore } from './api.ts';

const MODEL = 'iris-ext';

function item(api: LooplineApi, node: ModelNode): vscode.TreeItem & { text: string; desc: string } {
  const it = api.services.models.getTreeItem(node);
  const text = typeof it.label === 'string' ? it.label : (it.label?.label ?? '');
  return Object.assign(it, { text, desc: it.description === undefined ? '' : String(it.description) });
}

function modelNode(api: LooplineApi): ModelNode {
  const n = api.services.models.getChildren().find((m) => m.kind === 'model' && m.model.name === MODEL);
  if (!n) throw new Error(`no ${MODEL} in the Models view`);
  return n;
}

function versionNode(api: LooplineApi, version: number): ModelNode {
  const n = api.services.models.getChildren(modelNode(api)).find((v) => v.kind === 'version' && v.version.version === version);
  if (!n) throw new Error(`no version ${version} of ${MODEL} in the Models view`);
  return n;
}

export function registerModelsTests(): void {
  describe('Models view and registry commands', () => {
    let api: LooplineApi;
    const yaml = () => join(workspaceDir(), 'loopline.yaml');
    before(async () => {
      api = await looplineApi();
    });
    after(() => {
      rmSync(yaml(), { force: true });
    });

    it('Register Model… on a run adds a version with its lineage to the Models view', async () => {
      const exp = experimentNode(api, 'iris-sweep');
      const low = child(api, exp, 'lr-0.05');
      const high = child(api, exp, 'lr-0.8');
      const v1 = await command<ModelVersion>('loopline.registerModel', low, undefined, { name: MODEL, path: 'model' });
      assert.ok(v1, `errors: ${api.errors.join(' | ')}`);
      assert.equal(v1.version, 1);
      const v2 = await command<ModelVersion>('loopline.registerModel', high, undefined, { name: MODEL, path: 'model' });
      assert.equal(v2.version, 2);
      assert.equal(v2.lineage.registeredBy, 'Loopline Demo <demo@loopline.dev>');
      const m = item(api, modelNode(api));
      assert.equal(m.desc, '2 versions');
      const versions = api.services.models.getChildren(modelNode(api)).map((n) => item(api, n).text);
      assert.deepEqual(versions, ['Version 2', 'Version 1']);
      // The source run is a link that reveals it in the Experiments view.
      const [runLink, card] = api.services.models.getChildren(versionNode(api, 1));
      const link = item(api, runLink!);
      assert.equal(link.text, 'Run lr-0.05');
      assert.equal(link.command?.command, 'loopline.revealRun');
      assert.deepEqual(link.command?.arguments, [v1.runId]);
      assert.equal(item(api, card!).command?.command, 'loopline.openModelCard');
    });

    it('Set Alias runs the gates: a failing gate refuses with the report, an override with a reason sets it', async () => {
      writeFileSync(yaml(), 'gates:\n  - {metric: val_accuracy, min: 2}\n');
      const refused = await command<AliasResult>('loopline.setModelAlias', versionNode(api, 1), 'champion');
      assert.equal(refused.set, false);
      assert.equal(refused.report.results[0]!.verdict, 'fail');
      assert.doesNotMatch(item(api, versionNode(api, 1)).desc, /@champion/);
      const forced = await command<AliasResult>('loopline.setModelAlias', versionNode(api, 1), 'champion', { force: true, reason: 'extension-host test' });
      assert.equal(forced.set, true);
      const v = item(api, versionNode(api, 1));
      assert.match(v.desc, /^@champion · val_accuracy /);
      assert.equal(v.contextValue, 'modelVersion.active.aliased');
      assert.match(item(api, modelNode(api)).desc, /@champion v1/);
      writeFileSync(yaml(), 'gates:\n  - {metric: val_accuracy, min: 0}\n');
      const ok = await command<AliasResult>('loopline.setModelAlias', versionNode(api, 2), 'challenger');
      assert.equal(ok.set, true);
      assert.equal(ok.report.passed, true);
    });

    it('Open Model Card opens the prefilled MODEL_CARD.md as a normal editor', async () => {
      const editor = await commandWithin<vscode.TextEditor>(60_000, 'loopline.openModelCard', versionNode(api, 2));
      assert.ok(editor, `errors: ${api.errors.join(' | ')}`);
      assert.match(editor.document.uri.fsPath, /registry\/models\/iris-ext\/2\/MODEL_CARD\.md$/);
      assert.match(editor.document.getText(), /# Model card: iris-ext version 2/);
      assert.match(editor.document.getText(), /\| val_accuracy \|/);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it('Compare Versions opens the compare panel on the versions\' source runs', async () => {
      const panel = await command<{ panel: vscode.WebviewPanel }>('loopline.compareModelVersions', modelNode(api));
      assert.ok(panel, `errors: ${api.errors.join(' | ')}`);
      assert.equal(panel.panel.title, 'Compare 2 runs');
      panel.panel.dispose();
    });

    it('Archive is refused while the version holds an alias; an archived version is dimmed', async () => {
      const errors = await errorsDuring(api, () => command('loopline.archiveModelVersion', versionNode(api, 1)));
      assert.match(errors.join(' '), /holds alias @champion/);
      const moved = await command<AliasResult>('loopline.setModelAlias', versionNode(api, 2), 'champion');
      assert.equal(moved?.set, true, `errors: ${api.errors.join(' | ')}; report ${JSON.stringify(moved?.report)}`);
      await vscode.commands.executeCommand('loopline.refreshModels');
      assert.equal(item(api, versionNode(api, 1)).contextValue, 'modelVersion.active');
      const archived = await command<ModelVersion>('loopline.archiveModelVersion', versionNode(api, 1));
      assert.equal(archived.archived, true);
      const v = item(api, versionNode(api, 1));
      assert.match(v.desc, /archived$/);
      assert.equal(v.contextValue, 'modelVersion.archived');
      assert.equal(((v.iconPath as vscode.ThemeIcon).color as vscode.ThemeColor).id, 'disabledForeground');
      // Every action is in the audit log, with who did it.
      const audit = new ModelRegistry(workspaceStore(api).store).audit.list({ model: MODEL });
      assert.deepEqual(
        audit.map((e) => `${e.action}:${e.outcome}`),
        ['register:ok', 'register:ok', 'alias.set:refused', 'gate.override:ok', 'alias.set:ok', 'alias.set:ok', 'archive:refused', 'alias.set:ok', 'archive:ok'],
      );
      assert.ok(audit.every((e) => e.actor === 'Loopline Demo <demo@loopline.dev>'));
      const card = readFileSync(join(workspaceDir(), '.loopline', 'registry', 'models', MODEL, '1', 'MODEL_CARD.md'), 'utf8');
      assert.match(card, /iris-ext version 1/);
    });
  });
}
