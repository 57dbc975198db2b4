import type { NumberArray } from './drift-tests.ts';

const cache = new WeakMap<object, Float64Array>();

/**
 * Sorted copy of `values`, computed once per array: a reference column is compared with every
 * window of captured traffic and by several statistics (KS or Wasserstein, and PSI's bins), and
 * sorting is the dominant cost of all of them.
 */
export function sortedOnce(values: NumberArray): Float64Array {
  let s = cache.get(values);
  if (!s) {
    s = Float64Array.from(values).sort();
    cache.set(values, s);
  }
  return s;
}
