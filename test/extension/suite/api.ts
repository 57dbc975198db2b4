import * as vscode from 'vscode';
import { resolve } from 'node:path';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import type { Node } from '../../../src/extension/experiments/experiments-model.ts';
import type { WorkspaceStore } from '../../../src/extension/workspace-stores.ts';

/** The activated extension's API (its services), as the tests drive it. */
export async function looplineApi(): Promise<LooplineApi> {
  const ext = vscode.extensions.getExtension<LooplineApi>('loopline.loopline');
  if (!ext) throw new Error('extension loopline.loopline is not installed in this host');
  return ext.isActive ? ext.exports : ext.activate();
}

export function workspaceDir(): string {
  const dir = process.env.LOOPLINE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!dir) throw new Error('no test workspace');
  return dir;
}

/** The Loopline checkout under test (the bundle lives in <repo>/dist/test/). */
export function repoRoot(): string {
  return process.env.LOOPLINE_REPO_ROOT ?? resolve(__dirname, '..', '..');
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The seeded workspace's store, as the extension holds it. */
export function workspaceStore(api: LooplineApi): WorkspaceStore {
  const ws = api.services.stores.allExisting()[0];
  if (!ws) throw new Error('the workspace has no Loopline store');
  return ws;
}

/** What the Experiments view shows for a node. */
export function shown(api: LooplineApi, node: Node): vscode.TreeItem & { text: string; desc: string } {
  const item = api.services.experiments.getTreeItem(node);
  const text = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
  return Object.assign(item, { text, desc: item.description === undefined ? '' : String(item.description) });
}

export function labels(api: LooplineApi, nodes: Node[]): string[] {
  return nodes.map((n) => shown(api, n).text);
}

export function child(api: LooplineApi, parent: Node | undefined, label: string): Node {
  const nodes = api.services.experiments.getChildren(parent);
  const n = nodes.find((x) => shown(api, x).text === label);
  if (!n) throw new Error(`no "${label}" under ${parent ? shown(api, parent).text : 'the root'}; saw: ${labels(api, nodes).join(', ')}`);
  return n;
}

/** The experiment node named `name` at the root of the Experiments view, if shown. */
export function experimentNode(api: LooplineApi, name: string): Node | undefined {
  return api.services.experiments.getChildren().find((n) => n.kind === 'experiment' && n.experiment.name === name);
}

/** Run rows (labels) under an experiment, in the order the view shows them. */
export function runLabels(api: LooplineApi, experiment: string): string[] {
  const exp = experimentNode(api, experiment);
  if (!exp) throw new Error(`experiment ${experiment} is not in the view`);
  return labels(api, api.services.experiments.getChildren(exp).filter((n) => n.kind === 'run'));
}

/** Runs a command, failing (rather than hanging the suite) if it does not settle in time. */
export async function command<T>(id: string, ...args: unknown[]): Promise<T> {
  return commandWithin<T>(15_000, id, ...args);
}

export async function commandWithin<T>(ms: number, id: string, ...args: unknown[]): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${id} did not return within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([vscode.commands.executeCommand<T>(id, ...args), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Errors the extension reported while `fn` ran. */
export async function errorsDuring(api: LooplineApi, fn: () => Promise<unknown>): Promise<string[]> {
  const before = api.errors.length;
  await fn();
  return api.errors.slice(before);
}
