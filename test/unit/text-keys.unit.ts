// Sorting the Experiment Table by Name (webview-ui/table/text-keys.ts): the order must be the
// collation's (numeric, case-insensitive) whether names take the fast prefix+number path or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textSortKeys } from '../../webview-ui/table/text-keys.ts';
import { identityOrder, sortRows } from '../../webview-ui/table/row-order.ts';

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Names in the order a user expects: a stable sort with the collator. */
function collated(names: string[]): string[] {
  return names.map((s, i) => [s, i] as const).sort((a, b) => collator.compare(a[0], b[0]) || a[1] - b[1]).map(([s]) => s);
}

function sortedBy(names: string[], dir: 'asc' | 'desc' = 'asc'): string[] {
  return [...sortRows(identityOrder(names.length), textSortKeys(names, collator), dir)].map((r) => names[r]!);
}

test('trial-N names sort by number, not as text (trial-2 before trial-10)', () => {
  assert.deepEqual(sortedBy(['trial-10', 'trial-2', 'trial-1', 'trial-100']), ['trial-1', 'trial-2', 'trial-10', 'trial-100']);
  assert.deepEqual(sortedBy(['trial-10', 'trial-2', 'trial-1'], 'desc'), ['trial-10', 'trial-2', 'trial-1']);
});

test('prefix+number names give the collation order: prefixes that end inside others, case, accents, leading zeros', () => {
  const sets = [
    ['trial5', 'trial-3', 'trial_4', 'trial 2', 'Trial-1', 'trial-01', 'trialb7', 'TRIAL-3', 'trial-003', 'a9', 'b1', 'é2', 'e3', 'zz0', ''.padEnd(3, 'x') + '1'],
    ['run 10', 'run 9', 'Run 9', 'run9', 'run-9', 'run.9', 'run/9', 'run:9', 'r 1', 'ru 1'],
    Array.from({ length: 300 }, (_, i) => `${['a-', 'b-', 'A-', 'a_', 'a'][i % 5]}${(i * 37) % 101}`),
  ];
  for (const names of sets) assert.deepEqual(sortedBy(names), collated(names), names.slice(0, 4).join(','));
});

test('other names (digits inside, no number, empty) take the general path and give the same order', () => {
  const names = ['lr0.1-bs32', 'lr0.01-bs32', 'baseline', '', 'lr0.1-bs8', 'Baseline', 'ab12cd', 'ab2cd', '4f2a91c0'];
  assert.deepEqual(sortedBy(names), collated(names));
  // Descending: the collation reversed, names it finds equal (baseline, Baseline) still in their order.
  const desc = names.map((s, i) => [s, i] as const).sort((a, b) => collator.compare(b[0], a[0]) || a[1] - b[1]).map(([s]) => s);
  assert.deepEqual(sortedBy(names, 'desc'), desc);
});

test('numbers too long to be exact take the general path', () => {
  const names = ['n-12345678901234567890', 'n-12345678901234567891', 'n-9'];
  assert.deepEqual(sortedBy(names), collated(names));
});
