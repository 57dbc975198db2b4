import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, INTERNAL_COMMANDS, type CommandId } from '../../src/extension/command-ids.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
const ids = new Set<string>(Object.values(COMMANDS));
const contributed: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);
const viewIds = new Set<string>(Object.values(pkg.contributes.views as Record<string, Array<{ id: string }>>).flatMap((vs) => vs.map((v) => v.id)));

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Built-in command forms Loopline may call by name: a contributed view's focus, context keys. */
const isViewCommand = (id: string) => /\.focus$/.test(id) && viewIds.has(id.slice(0, -'.focus'.length));

test('every command in package.json is in the typed list, and every listed command is contributed', () => {
  assert.deepEqual(contributed.filter((c) => !ids.has(c)), [], 'contributed but not in src/extension/command-ids.ts');
  assert.deepEqual([...ids].filter((c) => !INTERNAL_COMMANDS.has(c as CommandId) && !contributed.includes(c)), [], 'listed but not in contributes.commands');
  assert.equal(new Set(contributed).size, contributed.length, 'a command is contributed twice');
});

test('every menu entry names a listed command', () => {
  const bad: string[] = [];
  for (const [menu, entries] of Object.entries(pkg.contributes.menus as Record<string, Array<{ command?: string }>>)) {
    for (const e of entries) if (e.command && !ids.has(e.command)) bad.push(`${menu}: ${e.command}`);
  }
  assert.deepEqual(bad, []);
});

test('command: links in welcome views and walkthroughs name listed commands or view focus commands', () => {
  const text = JSON.stringify([pkg.contributes.viewsWelcome ?? [], pkg.contributes.walkthroughs ?? []]);
  const links = [...text.matchAll(/command:(loopline\.[\w.]+)/g)].map((m) => m[1]!);
  assert.ok(links.length > 0);
  assert.deepEqual(links.filter((l) => !ids.has(l) && !isViewCommand(l)), []);
});

test('every listed command is registered, through the list, and no code names a command by a string literal', () => {
  const sources = tsFiles(join(REPO_ROOT, 'src', 'extension')).map((f) => ({ f, text: readFileSync(f, 'utf8') }));
  const all = sources.map((s) => s.text).join('\n');
  const unregistered = (Object.keys(COMMANDS) as Array<keyof typeof COMMANDS>).filter((k) => !new RegExp(`register(Command)?\\(\\s*COMMANDS\\.${k}\\b`).test(all));
  assert.deepEqual(unregistered, [], 'listed but never registered');
  const literals: string[] = [];
  for (const { f, text } of sources) {
    for (const m of text.matchAll(/(?:registerCommand\(|executeCommand\(|command:\s*|\bid:\s*)'(loopline\.[\w.]+)'/g)) {
      if (!isViewCommand(m[1]!)) literals.push(`${f.slice(REPO_ROOT.length + 1)}: '${m[1]}'`);
    }
    for (const m of text.matchAll(/registerCommand\(\s*(?!COMMANDS\.|id\b)([^,)]+)/g)) literals.push(`${f.slice(REPO_ROOT.length + 1)}: registerCommand(${m[1]}`);
  }
  assert.deepEqual(literals, [], 'use COMMANDS.<name> from src/extension/command-ids.ts');
});
