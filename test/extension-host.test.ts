import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/paths.ts';
import { runExtensionHostTests } from './extension/run-extension-tests.ts';

// The mocha suite in test/extension/suite runs inside a real VS Code extension host (code-server);
// each of its tests is reported here as a subtest so one runner shows everything.
test('extension-host suite in a real VS Code (code-server)', { timeout: 900_000 }, async (t) => {
  const code = await runExtensionHostTests();
  let results: Array<{ title: string; state: string; error?: string }> = [];
  try {
    results = JSON.parse(readFileSync(join(REPO_ROOT, 'test-results', 'extension-host.json'), 'utf8')).results;
  } catch {
    assert.fail(`the extension host wrote no results (exit ${code}); see test-results/extension-host-code-server.log and extension-host-end.png`);
  }
  for (const r of results) {
    await t.test(r.title, () => {
      if (r.state !== 'passed') assert.fail(r.error ?? 'failed');
    });
  }
  assert.ok(results.length > 0, 'the suite ran no tests');
  assert.equal(code, 0, `extension host exited with ${code}`);
});
