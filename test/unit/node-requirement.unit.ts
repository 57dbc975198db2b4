import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MIN_VSCODE, extensionHostNodeProblem } from '../../src/extension/node-requirement.ts';

test('an extension host on Node 20 (VS Code 1.100 and older) gets a message that says to update VS Code', () => {
  const msg = extensionHostNodeProblem('20.19.0', '1.100.3');
  assert.match(msg ?? '', /needs VS Code 1\.101 or newer/);
  assert.match(msg ?? '', /This VS Code \(1\.100\.3\) runs Node\.js 20\.19\.0/);
  assert.match(msg ?? '', /Update VS Code/);
  assert.equal(extensionHostNodeProblem('22.15.1', '1.101.0'), undefined);
  assert.equal(extensionHostNodeProblem('v24.9.0', '1.139.1'), undefined);
});

test('engines.vscode, @types/vscode and the message agree on the oldest VS Code with Node 22', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(pkg.engines.vscode, `^${MIN_VSCODE}.0`);
  assert.equal(pkg.devDependencies['@types/vscode'], `~${MIN_VSCODE}.0`);
  const esbuild = readFileSync(new URL('../../esbuild.mjs', import.meta.url), 'utf8');
  assert.match(esbuild, /outfile: 'dist\/extension\.cjs',[\s\S]*?target: 'node22\.15'/, 'the extension bundle targets the Node of VS Code 1.101');
});
