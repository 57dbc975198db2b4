// The UI walkthrough (test/ui/ui-walkthrough.ts) in a real VS Code (code-server 4.139) driven by
// headless Chromium: one subtest per step, screenshots in test-results/ui/. Takes about a minute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runUiWalkthrough, SHOTS_DIR, type StepResult } from './ui/ui-walkthrough.ts';

test('Loopline UI walkthrough in code-server', { timeout: 420_000 }, async (t) => {
  const t0 = Date.now();
  const steps: StepResult[] = await runUiWalkthrough();
  t.diagnostic(`walkthrough took ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${SHOTS_DIR}`);
  assert.ok(steps.length > 0, 'the walkthrough returned no steps');
  for (const s of steps) {
    await t.test(s.name, () => {
      t.diagnostic(`${s.ok ? 'ok' : 'FAILED'} ${s.name} (${((s.ms ?? 0) / 1000).toFixed(1)} s): ${s.detail.split('\n')[0]}`);
      assert.ok(s.ok, `UI step "${s.name}" failed: ${s.detail}\nscreenshot: ${s.screenshot}`);
    });
  }
  const failed = steps.filter((s) => !s.ok).map((s) => s.name);
  assert.deepEqual(failed, [], `failed UI steps: ${failed.join(', ')} (screenshots in ${SHOTS_DIR}, code-server log in ${SHOTS_DIR}/code-server.log)`);
  // The first step provisions and opens the workbench; if it fails the rest never run.
  assert.equal(steps.length, 9, `expected 9 steps, got ${steps.map((s) => s.name).join(', ')}`);
});
