// The axis ticks of a chart's first paint (webview-ui/shared/nice-ticks.ts): they must be the ticks
// chart.js shows when it takes the chart over, or the axes would jump under the user's eyes. The
// webview test compares them with chart.js's own in Chromium; these pin the cases down in plain Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { niceNum, niceTicks } from '../../webview-ui/shared/nice-ticks.ts';

test('spacings are 1, 2 or 5 times a power of ten, at or above the range asked', () => {
  assert.deepEqual([0.13, 0.2, 0.3, 7, 12, 999, 45_000].map(niceNum), [0.2, 0.2, 0.5, 10, 20, 1000, 50_000]);
});

test('y (bounds "ticks"): the axis widens to the outer ticks, with round labels', () => {
  // An accuracy curve from 0.08 to 1.06 with room for 8 ticks: 0 to 1.2 by 0.2.
  assert.deepEqual(niceTicks(0.08, 1.06, 8, 'ticks'), { min: 0, max: 1.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1, 1.2] });
  // No float noise in the labels (0.30000000000000004).
  assert.deepEqual(niceTicks(0.1, 0.35, 8, 'ticks').ticks, [0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
  // Negative values.
  assert.deepEqual(niceTicks(-3.2, 4.1, 8, 'ticks'), { min: -4, max: 6, ticks: [-4, -2, 0, 2, 4, 6] });
});

test('a flat series gets room either side, as chart.js gives it', () => {
  assert.deepEqual(niceTicks(0, 0, 8, 'ticks'), { min: -1, max: 1, ticks: [-1, -0.5, 0, 0.5, 1] });
  const t = niceTicks(2, 2, 8, 'ticks');
  assert.ok(t.min < 2 && t.max > 2, `${t.min}..${t.max} around 2`);
});

test('x (bounds "data"): counted from the first value, ending on the last', () => {
  assert.deepEqual(niceTicks(0, 999_999, 7, 'data'), { min: 0, max: 999_999, ticks: [0, 200_000, 400_000, 600_000, 800_000, 999_999] });
  assert.deepEqual(niceTicks(0, 99, 7, 'data').ticks, [0, 20, 40, 60, 80, 99]);
  // An exact multiple ends on its last tick once, not twice.
  assert.deepEqual(niceTicks(0, 100, 7, 'data').ticks, [0, 20, 40, 60, 80, 100]);
});

test('x counted from a first value with more decimals than the spacing keeps them (a run shorter than 2 s on the relative axis)', () => {
  assert.deepEqual(niceTicks(0.012, 1.7, 7, 'data').ticks, [0.012, 0.512, 1.012, 1.512, 1.7]);
});

test('a range of a few ulps gets its two ends, not seven copies of one label', () => {
  const top = 0.1 + Number.EPSILON;
  assert.deepEqual(niceTicks(0.1, top, 8, 'ticks').ticks, [0.1, top]);
});

test('a range that is not finite (no data) falls back to 0..1 instead of looping or throwing', () => {
  const t = niceTicks(Infinity, -Infinity, 8, 'ticks');
  assert.equal(t.min, 0);
  assert.equal(t.max, 1);
});
