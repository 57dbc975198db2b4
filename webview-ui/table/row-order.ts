/** Orders of rows as index arrays: the filtered base order, and that order sorted by a key column. */

export type SortDirection = 'asc' | 'desc';

export function identityOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** The rows of `matched` (the host's filter answer, in its order) that are below `rowCount` (received). */
export function receivedRows(matched: Uint32Array, rowCount: number): Uint32Array {
  const rows = new Uint32Array(matched.length);
  let k = 0;
  for (let i = 0; i < matched.length; i++) {
    const r = matched[i]!;
    if (r < rowCount) rows[k++] = r;
  }
  return rows.subarray(0, k);
}

/**
 * `rows` sorted by `keys[row]`, ascending or descending; rows whose key is NaN (missing) come last in
 * either direction. Stable: ties keep their order in `rows`, in both directions.
 *
 * No comparator function (a call per comparison is what made 100,000 rows slow): each key becomes
 * a 64-bit unsigned integer that orders as the number does (descending: its complement), split in
 * a high and a low 32-bit word, read straight from the keys' bytes. An LSD radix sort on the high
 * word's two 16-bit digits (both counted in one pass) places the rows, stable by construction; a
 * digit all rows share costs no pass. Then only the runs of rows that share a high word (the same
 * sign, exponent and first 20 bits of the mantissa: rare for measured values, common for
 * timestamps or repeated values) are ordered by the low word, so most columns cost two passes
 * moving two arrays.
 */
export function sortRows(rows: Uint32Array, keys: Float64Array, dir: SortDirection): Uint32Array {
  const n = rows.length;
  const out = new Uint32Array(n);
  // The keys' 32-bit words, low word first (little-endian: every engine a webview runs on).
  const words = new Uint32Array(keys.buffer, keys.byteOffset, keys.length * 2);
  const flip = dir === 'desc' ? 0xffffffff : 0;
  let idx = new Uint32Array(n);
  let hi = new Uint32Array(n);
  const count0 = new Uint32Array(65536);
  const count1 = new Uint32Array(65536);
  let p = 0;
  let m = n;
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    let h = words[2 * r + 1]!;
    if ((h & 0x7ff00000) === 0x7ff00000 && ((h & 0xfffff) !== 0 || words[2 * r] !== 0)) {
      // NaN: missing, placed after the others in their order (filled from the end, reversed below).
      out[--m] = r;
      continue;
    }
    if (h === 0x80000000 && words[2 * r] === 0) h = 0; // -0 and 0 are one key
    h = ((h & 0x80000000 ? ~h : h | 0x80000000) ^ flip) >>> 0;
    idx[p] = r;
    hi[p] = h;
    count0[h & 0xffff]!++;
    count1[h >>> 16]!++;
    p++;
  }
  out.subarray(m).reverse();
  let idx2 = new Uint32Array(p);
  let hi2 = new Uint32Array(p);
  for (let shift = 0; shift <= 16; shift += 16) {
    const count = shift === 0 ? count0 : count1;
    if (p === 0 || count[(hi[0]! >>> shift) & 0xffff] === p) continue; // one digit: already in order
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < p; i++) {
      const h = hi[i]!;
      const at = count[(h >>> shift) & 0xffff]!++;
      idx2[at] = idx[i]!;
      hi2[at] = h;
    }
    [idx, idx2] = [idx2, idx];
    [hi, hi2] = [hi2, hi];
  }
  // Runs that share a high word, ordered by the low word (stably: their rows are in input order).
  let lo: Uint32Array | null = null;
  let lo2: Uint32Array | null = null;
  const small = new Uint32Array(256);
  for (let s = 0; s < p; ) {
    const h = hi[s]!;
    let e = s + 1;
    while (e < p && hi[e] === h) e++;
    if (e - s > 1) {
      lo ??= new Uint32Array(p);
      lo2 ??= new Uint32Array(p);
      // The low word, complemented with the high one for a negative number, then for descending.
      const negative = (h ^ flip) & 0x80000000 ? 0 : 0xffffffff;
      for (let j = s; j < e; j++) lo[j] = (words[2 * idx[j]!]! ^ negative ^ flip) >>> 0;
      sortRun(idx, lo, s, e, idx2, lo2, small);
    }
    s = e;
  }
  out.set(idx.subarray(0, p), 0);
  return out;
}

/** Whether (ah, al, ap) comes after (bh, bl, bp) in the order: high word, low word, then place in rows. */
function comesAfter(ah: number, al: number, ap: number, bh: number, bl: number, bp: number): boolean {
  return ah > bh || (ah === bh && (al > bl || (al === bl && ap > bp)));
}

/**
 * Moves heap entries up from the top of `firstRows`' max-heap (the worst kept row on top) until
 * (h, l, p) fits; returns where it goes (the caller writes it there).
 */
function siftDown(hh: Uint32Array, hl: Uint32Array, hp: Uint32Array, size: number, h: number, l: number, p: number): number {
  let at = 0;
  for (;;) {
    let c = 2 * at + 1;
    if (c >= size) return at;
    if (c + 1 < size && comesAfter(hh[c + 1]!, hl[c + 1]!, hp[c + 1]!, hh[c]!, hl[c]!, hp[c]!)) c++;
    if (!comesAfter(hh[c]!, hl[c]!, hp[c]!, h, l, p)) return at;
    hh[at] = hh[c]!;
    hl[at] = hl[c]!;
    hp[at] = hp[c]!;
    at = c;
  }
}

/**
 * The first `k` rows of `sortRows(rows, keys, dir)`, exactly (the same keys, ties and missing
 * values), in one pass with a heap of `k`: what a screenful of a new order needs before the whole
 * order is built. The keys are compared as `sortRows` orders them (their 64-bit form), ties by
 * their place in `rows`.
 */
export function firstRows(rows: Uint32Array, keys: Float64Array, dir: SortDirection, k: number): Uint32Array {
  const n = rows.length;
  k = Math.max(0, Math.min(k, n));
  const words = new Uint32Array(keys.buffer, keys.byteOffset, keys.length * 2);
  const flip = dir === 'desc' ? 0xffffffff : 0;
  // A max-heap (the worst kept row on top) of (high word, low word, place in rows).
  const hh = new Uint32Array(k);
  const hl = new Uint32Array(k);
  const hp = new Uint32Array(k);
  let size = 0;
  // Missing keys: the first k of them in their order, for a column with fewer than k values.
  const missing = new Uint32Array(k);
  let nMissing = 0;
  for (let i = 0; i < n && k > 0; i++) {
    const r = rows[i]!;
    let h = words[2 * r + 1]!;
    let l = words[2 * r]!;
    if ((h & 0x7ff00000) === 0x7ff00000 && ((h & 0xfffff) !== 0 || l !== 0)) {
      if (nMissing < k) missing[nMissing++] = r;
      continue;
    }
    if (h === 0x80000000 && l === 0) h = 0;
    if (h & 0x80000000) {
      h = ~h;
      l = ~l;
    } else h |= 0x80000000;
    h = (h ^ flip) >>> 0;
    l = (l ^ flip) >>> 0;
    let at: number;
    if (size < k) {
      // Sift up from the end.
      at = size++;
      while (at > 0) {
        const up = (at - 1) >> 1;
        if (!comesAfter(h, l, i, hh[up]!, hl[up]!, hp[up]!)) break;
        hh[at] = hh[up]!;
        hl[at] = hl[up]!;
        hp[at] = hp[up]!;
        at = up;
      }
    } else {
      if (!comesAfter(hh[0]!, hl[0]!, hp[0]!, h, l, i)) continue;
      // Replaces the worst kept row.
      at = siftDown(hh, hl, hp, size, h, l, i);
    }
    hh[at] = h;
    hl[at] = l;
    hp[at] = i;
  }
  // The kept rows in order: repeatedly take the worst off the heap, filling from the end.
  const out = new Uint32Array(k);
  const present = size;
  for (let end = size - 1; end >= 0; end--) {
    out[end] = rows[hp[0]!]!;
    const h = hh[end]!;
    const l = hl[end]!;
    const i = hp[end]!;
    size = end;
    const at = siftDown(hh, hl, hp, size, h, l, i);
    hh[at] = h;
    hl[at] = l;
    hp[at] = i;
  }
  out.set(missing.subarray(0, k - present), present);
  return out;
}

/**
 * Orders idx[s, e) by lo[s, e), stably: insertion for a short run, else an LSD radix sort on the
 * low word's four bytes (256 counters, so a run costs in proportion to its length), through the
 * scratch arrays `idxTmp`/`loTmp`.
 */
function sortRun(idx: Uint32Array, lo: Uint32Array, s: number, e: number, idxTmp: Uint32Array, loTmp: Uint32Array, count: Uint32Array): void {
  // Equal keys (a value repeated): already in order.
  const l0 = lo[s]!;
  let k = s + 1;
  while (k < e && lo[k] === l0) k++;
  if (k === e) return;
  if (e - s <= 24) {
    for (let i = s + 1; i < e; i++) {
      const l = lo[i]!;
      const r = idx[i]!;
      let j = i - 1;
      while (j >= s && lo[j]! > l) {
        lo[j + 1] = lo[j]!;
        idx[j + 1] = idx[j]!;
        j--;
      }
      lo[j + 1] = l;
      idx[j + 1] = r;
    }
    return;
  }
  let fromIdx = idx;
  let fromLo = lo;
  let toIdx = idxTmp;
  let toLo = loTmp;
  for (let shift = 0; shift < 32; shift += 8) {
    count.fill(0);
    for (let i = s; i < e; i++) count[(fromLo[i]! >>> shift) & 0xff]!++;
    if (count[(fromLo[s]! >>> shift) & 0xff] === e - s) continue;
    let sum = s;
    for (let d = 0; d < 256; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = s; i < e; i++) {
      const at = count[(fromLo[i]! >>> shift) & 0xff]!++;
      toIdx[at] = fromIdx[i]!;
      toLo[at] = fromLo[i]!;
    }
    [fromIdx, toIdx] = [toIdx, fromIdx];
    [fromLo, toLo] = [toLo, fromLo];
  }
  // An odd number of passes left the run in the scratch arrays: back where the caller reads it.
  if (fromIdx !== idx) {
    idx.set(fromIdx.subarray(s, e), s);
    lo.set(fromLo.subarray(s, e), s);
  }
}

/** position[row] = index of the row in `order`, -1 when the row is not in it. */
export function positionsOf(order: Uint32Array, rowCount: number): Int32Array {
  const pos = new Int32Array(rowCount).fill(-1);
  for (let i = 0; i < order.length; i++) pos[order[i]!] = i;
  return pos;
}

/** Rounds of `warmOrderRound` that get the ordering code compiled (measured in Node and Chromium). */
export const WARM_ROUNDS = 8;
const WARM_ROWS = 4096;
let warmKeys: Float64Array | null = null;

/**
 * One round of running the ordering code on made-up keys (never the table's values), so that the
 * user's first sort or filter runs it compiled rather than in V8's interpreter: a first sort of
 * 100,000 rows took 45-100 ms cold against 7-14 ms warm. Rounds are small (a few ms each), so a
 * click that comes meanwhile waits for one at most. Together they cover the paths of `sortRows` a
 * table's sort takes (missing keys, long runs of keys equal in their high word, both directions;
 * not the insertion sort of short runs), `firstRows`, `receivedRows` and
 * `positionsOf`.
 */
export function warmOrderRound(round: number): void {
  const n = WARM_ROWS;
  if (!warmKeys) {
    warmKeys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // A spread of magnitudes and signs, some missing, and runs of values equal in their high word.
      const x = Math.sin(i * 12.9898) * 43758.5453;
      warmKeys[i] = i % 97 === 0 ? NaN : i % 5 === 0 ? 1 + (i % 64) * 2 ** -40 : i % 3 === 0 ? Math.round(x) : x - Math.floor(x) - 0.5;
    }
  }
  const base = receivedRows(identityOrder(n), n - round);
  const dir = round % 2 === 0 ? 'asc' : 'desc';
  firstRows(base, warmKeys, dir, 40);
  positionsOf(sortRows(base, warmKeys, dir), n);
  if (round === WARM_ROUNDS - 1) warmKeys = null;
}
