// The demo's first screen (test/ui/demo-opening.ts): what a new user sees after `npm start`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDemo } from './ui/demo-opening.ts';

test('npm start opens on Loopline: the view with the runs, train.py with its CodeLens, the two best runs compared; no Welcome or Chat', { timeout: 300_000 }, async (t) => {
  const s = await openDemo();
  t.diagnostic(`screenshot: ${s.screenshot}`);
  const where = `\n${JSON.stringify(s, null, 2)}`;
  assert.ok(s.loopline.visible, `the Loopline view is not the side bar${where}`);
  for (const lr of ['0.02', '0.1', '0.4', '0.8']) assert.ok(s.loopline.rows.some((r) => r.startsWith(`lr-${lr} `)), `run lr-${lr} not listed${where}`);
  assert.ok(s.loopline.rows.some((r) => r.startsWith('iris-sweep')), where);
  assert.ok(s.editorTabs.some((t) => /^train\.py/.test(t)), `train.py is not open${where}`);
  assert.ok(s.editorTabs.some((t) => /^Compare 2 runs/.test(t)), `no comparison${where}`);
  assert.ok(s.compareCharts > 0, `the comparison drew no chart${where}`);
  assert.ok(!s.editorTabs.some((t) => /welcome|walkthrough|get started/i.test(t)), `a Welcome page is open${where}`);
  assert.equal(s.secondarySideBarVisible, false, `the secondary side bar (Chat) is showing${where}`);
  // The lens was lost in loaded runs before the overview asked for it again after the split.
  assert.ok(s.codeLens.texts.some((x) => /Run/.test(x) && /Last run: val_accuracy/.test(x)), `no Run CodeLens on screen${where}`);
  assert.ok(s.codeLens.line !== null && s.codeLens.line < 25, `the CodeLens is not near the top of train.py (above line ${s.codeLens.line})${where}`);
});
