import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './helpers/paths.ts';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] ?? m[2] ?? m[3] ?? '',
  );

test('src/core never imports vscode or the layers above it', () => {
  const offenders: string[] = [];
  for (const file of tsFiles(join(REPO_ROOT, 'src', 'core'))) {
    for (const spec of importsOf(file)) {
      if (spec === 'vscode' || /\/(cli|extension|protocol)\//.test(spec) || spec.startsWith('../../cli') || spec.startsWith('../../extension')) {
        offenders.push(`${relative(REPO_ROOT, file)} imports '${spec}'`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});

test('src/cli does not import vscode', () => {
  const offenders = tsFiles(join(REPO_ROOT, 'src', 'cli')).filter((f) => importsOf(f).includes('vscode'));
  assert.deepEqual(offenders, []);
});

test('src/shared imports nothing outside itself (the extension, the CLI and the webviews all load it)', () => {
  const offenders: string[] = [];
  for (const file of tsFiles(join(REPO_ROOT, 'src', 'shared'))) {
    for (const spec of importsOf(file)) if (!spec.startsWith('./')) offenders.push(`${relative(REPO_ROOT, file)} imports '${spec}'`);
    if (/\b(document|window)\./.test(readFileSync(file, 'utf8'))) offenders.push(`${relative(REPO_ROOT, file)} touches the DOM`);
  }
  assert.deepEqual(offenders, []);
});

test('SQL lives in src/core: none in the extension, the CLI or the webviews, and src/core/series only downsamples', () => {
  const sql = /\.prepare\(\s*[^)\s]|\.exec\(\s*['"`]|\bSELECT\s+[\w*(]|\bINSERT\s+INTO\b|\bDELETE\s+FROM\b/;
  const offenders: string[] = [];
  for (const dir of [join('src', 'extension'), join('src', 'cli'), join('src', 'protocol'), join('src', 'shared'), 'webview-ui', join('src', 'core', 'series')]) {
    for (const file of tsFiles(join(REPO_ROOT, dir))) if (sql.test(readFileSync(file, 'utf8'))) offenders.push(relative(REPO_ROOT, file));
  }
  assert.deepEqual(offenders, []);
});
