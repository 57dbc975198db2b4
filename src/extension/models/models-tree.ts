import * as vscode from 'vscode';
import { formatAgo, formatNumber } from '../../shared/display-format.ts';
import type { ModelRegistry } from '../../core/registry/model-registry.ts';
import { registryWithDeployments } from '../../core/deploy/registry-with-deployments.ts';
import type { ModelVersion, RegisteredModel } from '../../core/registry/registry-types.ts';
import { COMMANDS } from '../command-ids.ts';
import { PREFERRED_METRICS } from '../experiments/experiments-model.ts';
import { log } from '../log.ts';
import { readSettings } from '../settings.ts';
import type { WorkspaceStore, WorkspaceStores } from '../workspace-stores.ts';

export type ModelNode =
  | { kind: 'model'; ws: WorkspaceStore; model: RegisteredModel }
  | { kind: 'version'; ws: WorkspaceStore; version: ModelVersion }
  | { kind: 'versionRun'; ws: WorkspaceStore; version: ModelVersion }
  | { kind: 'versionCard'; ws: WorkspaceStore; version: ModelVersion }
  | { kind: 'message'; label: string };

const registries = new WeakMap<WorkspaceStore, ModelRegistry>();

/** One registry per open store (its actor and paths are worked out once). */
export function registryOf(ws: WorkspaceStore): ModelRegistry {
  let r = registries.get(ws);
  if (!r) {
    r = registryWithDeployments(ws.store);
    registries.set(ws, r);
  }
  return r;
}

/** The metric a version shows: the configured primary metric, else the first gated one, else a usual one. */
function shownMetric(ws: WorkspaceStore, v: ModelVersion): [string, number] | undefined {
  let gated: string | undefined;
  try {
    gated = registryOf(ws).gates()[0]?.metric;
  } catch {
    gated = undefined; // a broken loopline.yaml is reported when gates run
  }
  const keys = [readSettings().primaryMetric, gated, ...PREFERRED_METRICS].filter((k): k is string => !!k);
  const key = keys.find((k) => v.lineage.metrics[k]) ?? Object.keys(v.lineage.metrics)[0];
  return key ? [key, v.lineage.metrics[key]!.last] : undefined;
}


/** Thin adapter: registered models → versions (aliases as @badges, archived dimmed) → source run and card. */
export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private readonly stores: WorkspaceStores;

  constructor(stores: WorkspaceStores) {
    this.stores = stores;
    this.disposables.push(stores.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(node?: ModelNode): ModelNode[] {
    try {
      if (!node) {
        const out: ModelNode[] = [];
        for (const ws of this.stores.allExisting()) for (const model of registryOf(ws).listModels()) out.push({ kind: 'model', ws, model });
        return out;
      }
      if (node.kind === 'model') return registryOf(node.ws).listVersions(node.model.name).map((version) => ({ kind: 'version', ws: node.ws, version }));
      if (node.kind === 'version') {
        return [
          ...(node.version.runId ? [{ kind: 'versionRun' as const, ws: node.ws, version: node.version }] : []),
          { kind: 'versionCard', ws: node.ws, version: node.version },
        ];
      }
      return [];
    } catch (err) {
      log().error(`Models view: ${String(err)}`);
      return [{ kind: 'message', label: `Cannot read the registry: ${err instanceof Error ? err.message : String(err)}` }];
    }
  }

  getParent(): undefined {
    return undefined;
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    switch (node.kind) {
      case 'model': {
        const m = node.model;
        const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.Collapsed);
        const aliases = Object.entries(m.aliases).map(([a, v]) => `@${a} v${v}`);
        item.description = [`${m.versionCount} version${m.versionCount === 1 ? '' : 's'}`, ...aliases].join(' · ');
        item.tooltip = m.description || undefined;
        item.iconPath = new vscode.ThemeIcon('package');
        item.contextValue = 'model';
        item.id = `model:${node.ws.folder.uri.toString()}:${m.name}`;
        return item;
      }
      case 'version': {
        const v = node.version;
        const item = new vscode.TreeItem(`Version ${v.version}`, vscode.TreeItemCollapsibleState.Collapsed);
        const metric = shownMetric(node.ws, v);
        item.description = [...v.aliases.map((a) => `@${a}`), ...(metric ? [`${metric[0]} ${formatNumber(metric[1])}`] : []), formatAgo(v.creationTime), ...(v.archived ? ['archived'] : [])].join(' · ');
        item.iconPath = v.archived ? new vscode.ThemeIcon('archive', new vscode.ThemeColor('disabledForeground')) : new vscode.ThemeIcon(v.aliases.length ? 'verified-filled' : 'versions');
        item.contextValue = `modelVersion.${v.archived ? 'archived' : 'active'}${v.aliases.length ? '.aliased' : ''}`;
        const tip = new vscode.MarkdownString();
        tip.appendText(`${v.model} version ${v.version}\nRegistered by ${v.userId}, ${new Date(v.creationTime).toISOString()}\nsha256 ${v.contentHash}\n`);
        if (v.lineage.git?.commit) tip.appendText(`Commit ${v.lineage.git.commit}${v.lineage.git.dirty ? ' (with uncommitted changes)' : ''}\n`);
        item.tooltip = tip;
        item.id = `version:${node.ws.folder.uri.toString()}:${v.model}:${v.version}`;
        return item;
      }
      case 'versionRun': {
        const v = node.version;
        const item = new vscode.TreeItem(`Run ${v.lineage.runName ?? v.runId}`, vscode.TreeItemCollapsibleState.None);
        item.description = v.lineage.experimentName ?? undefined;
        item.iconPath = new vscode.ThemeIcon('link');
        item.command = { command: COMMANDS.revealRun, title: 'Reveal Source Run', arguments: [v.runId] };
        item.tooltip = `Source run ${v.runId}`;
        item.contextValue = 'modelVersionRun';
        return item;
      }
      case 'versionCard': {
        const item = new vscode.TreeItem('MODEL_CARD.md', vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('book');
        item.command = { command: COMMANDS.openModelCard, title: 'Open Model Card', arguments: [{ kind: 'version', ws: node.ws, version: node.version }] };
        item.contextValue = 'modelCard';
        return item;
      }
      case 'message':
        return new vscode.TreeItem(node.label);
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
