// The Experiment Table's row order (webview-ui/table/row-order.ts): what a user sees after clicking
// a column header — ascending, descending, missing values last, ties in their previous order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstRows, identityOrder, positionsOf, receivedRows, sortRows, WARM_ROUNDS, warmOrderRound } from '../../webview-ui/table/row-order.ts';

const keysOf = (xs: number[]) => Float64Array.from(xs);

/** The order a user expects, written the slow obvious way: stable sort, NaN last in both directions. */
function expected(rows: number[], keys: Float64Array, dir: 'asc' | 'desc'): number[] {
  const present = rows.filter((r) => !Number.isNaN(keys[r]!));
  const missing = rows.filter((r) => Number.isNaN(keys[r]!));
  present.sort((a, b) => (dir === 'asc' ? keys[a]! - keys[b]! : keys[b]! - keys[a]!) || 0);
  return [...present, ...missing];
}

test('ascending and descending by value, missing (NaN) values last either way', () => {
  const keys = keysOf([3, NaN, -1, 10, NaN, 0.5, -Infinity, Infinity]);
  assert.deepEqual([...sortRows(identityOrder(8), keys, 'asc')], [6, 2, 5, 0, 3, 7, 1, 4]);
  assert.deepEqual([...sortRows(identityOrder(8), keys, 'desc')], [7, 3, 0, 5, 2, 6, 1, 4]);
});

test('numbers that differ only in their last bits, or by sign, sort exactly', () => {
  const eps = 2 ** -52;
  const keys = keysOf([1 + eps, 1, -1 - eps, -1, 1e-300, -1e-300, 0, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324]);
  const rows = identityOrder(keys.length);
  assert.deepEqual([...sortRows(rows, keys, 'asc')], expected([...rows], keys, 'asc'));
  assert.deepEqual([...sortRows(rows, keys, 'asc')], [8, 2, 3, 5, 6, 9, 4, 1, 0, 7]);
  assert.deepEqual([...sortRows(rows, keys, 'desc')], expected([...rows], keys, 'desc'));
});

test('ties keep their previous order in both directions (a second sort refines the first)', () => {
  // Rows 0, 2, 4 share the key 1 and rows 1, 3 the key 2; -0 and 0 are equal.
  const keys = keysOf([1, 2, 1, 2, 1, 0, -0]);
  const rows = Uint32Array.from([4, 3, 2, 1, 0, 6, 5]);
  assert.deepEqual([...sortRows(rows, keys, 'asc')], [6, 5, 4, 2, 0, 3, 1]);
  assert.deepEqual([...sortRows(rows, keys, 'desc')], [3, 1, 4, 2, 0, 6, 5]);
});

test('only the rows given (a filtered view) are ordered, and an all-missing column keeps the order', () => {
  const keys = keysOf([5, 4, 3, 2, 1]);
  assert.deepEqual([...sortRows(Uint32Array.from([0, 2, 4]), keys, 'asc')], [4, 2, 0]);
  const none = keysOf([NaN, NaN, NaN]);
  assert.deepEqual([...sortRows(Uint32Array.from([2, 0, 1]), none, 'desc')], [2, 0, 1]);
  assert.deepEqual([...sortRows(new Uint32Array(0), none, 'asc')], []);
});

test('string columns sort by their dictionary ranks (ranked once), missing strings last', () => {
  // Codes into a dictionary ['b', 'a', 'c'] ranked by collation: a=0, b=1, c=2; -1 = not logged.
  const rankOfCode = [1, 0, 2];
  const codes = [0, 2, -1, 1, 0, 1];
  const keys = keysOf(codes.map((c) => (c < 0 ? NaN : rankOfCode[c]!)));
  assert.deepEqual([...sortRows(identityOrder(6), keys, 'asc')], [3, 5, 0, 4, 1, 2]);
  assert.deepEqual([...sortRows(identityOrder(6), keys, 'desc')], [1, 0, 4, 3, 5, 2]);
});

test('random keys with many ties and gaps: same order as a stable comparator sort', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (const n of [1, 2, 17, 1000, 5000]) {
    const keys = keysOf(Array.from({ length: n }, () => (rnd() < 0.15 ? NaN : Math.floor(rnd() * 40) - 20 + (rnd() < 0.1 ? rnd() : 0))));
    const rows = Array.from({ length: n }, (_, i) => i).sort(() => rnd() - 0.5);
    for (const dir of ['asc', 'desc'] as const) assert.deepEqual([...sortRows(Uint32Array.from(rows), keys, dir)], expected(rows, keys, dir), `n=${n} ${dir}`);
  }
});

test('keys that share their high bits (timestamps, values a hair apart, long and short runs of them) sort exactly, stably', () => {
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const cases: Record<string, () => number> = {
    // Start times within a few minutes: the same sign, exponent and top 20 mantissa bits, distinct low words.
    timestamps: () => 1_700_000_000_000 + Math.floor(rnd() * 300_000),
    // Values a few ulps apart around 1, with repeats: runs of every length, ties inside them.
    hair: () => 1 + Math.floor(rnd() * 60) * 2 ** -50,
    mixed: () => (rnd() < 0.5 ? 1_700_000_000_000 + Math.floor(rnd() * 40) : rnd() < 0.1 ? NaN : -0.5 - Math.floor(rnd() * 30) * 2 ** -45),
  };
  for (const [name, key] of Object.entries(cases)) {
    for (const n of [30, 3000]) {
      const keys = keysOf(Array.from({ length: n }, key));
      const rows = Array.from({ length: n }, (_, i) => i).sort(() => rnd() - 0.5);
      for (const dir of ['asc', 'desc'] as const) assert.deepEqual([...sortRows(Uint32Array.from(rows), keys, dir)], expected(rows, keys, dir), `${name} n=${n} ${dir}`);
    }
  }
});

test('positions map each row to its place in the order', () => {
  const pos = positionsOf(Uint32Array.from([2, 0]), 3);
  assert.deepEqual([...pos], [1, -1, 0]);
});

test("a filter's answer keeps its order and only the rows received so far (the rest are still streaming)", () => {
  const matched = Uint32Array.from([7, 2, 9, 0, 4]);
  assert.deepEqual([...receivedRows(matched, 5)], [2, 0, 4]);
  assert.deepEqual([...receivedRows(matched, 10)], [7, 2, 9, 0, 4]);
  assert.deepEqual([...receivedRows(matched, 0)], []);
});

test('warming the ordering code up changes no later sort (it works on made-up keys of its own)', () => {
  const keys = keysOf([0.3, NaN, -2, 0.3, 7, 1e-9]);
  const rows = Uint32Array.from([5, 4, 3, 2, 1, 0]);
  const before = [...sortRows(rows, keys, 'desc')];
  for (let r = 0; r < WARM_ROUNDS; r++) warmOrderRound(r);
  assert.deepEqual([...sortRows(rows, keys, 'desc')], before);
  assert.deepEqual(before, expected([...rows], keys, 'desc'));
  assert.deepEqual([...rows], [5, 4, 3, 2, 1, 0], 'the rows given are not reordered in place');
});

test('the first k rows of an order, taken alone, are exactly the first k of the whole sort (ties, missing, both directions)', () => {
  let seed = 5;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const families: Record<string, () => number> = {
    spread: () => (rnd() < 0.1 ? NaN : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 8)),
    ties: () => (rnd() < 0.2 ? NaN : Math.floor(rnd() * 5) - 2 + (rnd() < 0.3 ? -0 : 0)),
    hair: () => 1 + Math.floor(rnd() * 30) * 2 ** -50,
    mostlyMissing: () => (rnd() < 0.97 ? NaN : rnd()),
  };
  for (const [name, key] of Object.entries(families)) {
    for (const n of [0, 1, 7, 300, 3000]) {
      const keys = keysOf(Array.from({ length: n }, key));
      const rows = Uint32Array.from(Array.from({ length: n }, (_, i) => i).sort(() => rnd() - 0.5));
      for (const dir of ['asc', 'desc'] as const) {
        const whole = [...sortRows(rows, keys, dir)];
        for (const k of [0, 1, 5, 40, n, n + 3]) assert.deepEqual([...firstRows(rows, keys, dir, k)], whole.slice(0, k), `${name} n=${n} ${dir} k=${k}`);
      }
    }
  }
  // Keys already in the opposite order (the worst case for a heap): still exact.
  const rising = keysOf(Array.from({ length: 2000 }, (_, i) => i));
  assert.deepEqual([...firstRows(identityOrder(2000), rising, 'desc', 33)], [...sortRows(identityOrder(2000), rising, 'desc')].slice(0, 33));
});
