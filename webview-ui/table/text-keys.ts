/**
 * Sort keys for a column of mostly distinct strings (run names), in the table's collation (numeric,
 * case-insensitive): a Float64Array where a smaller key means earlier, equal keys for strings the
 * collation finds equal. Comparing 100,000 names with Intl.Collator takes about a second; names
 * made of a digit-free prefix and a number (`trial-12`, `Run 7`) need only their few distinct
 * prefixes collated, then the number decides.
 */
const PREFIX_NUMBER = /^(\D*)(\d{1,15})$/;

export function textSortKeys(texts: readonly string[], collator: Intl.Collator): Float64Array {
  return prefixNumberKeys(texts, collator) ?? collatedKeys(texts, collator);
}

/** Every string collated (the general case). */
function collatedKeys(texts: readonly string[], collator: Intl.Collator): Float64Array {
  const order = Array.from({ length: texts.length }, (_, i) => i).sort((a, b) => collator.compare(texts[a]!, texts[b]!));
  const keys = new Float64Array(texts.length);
  let rank = 0;
  order.forEach((row, i) => {
    if (i > 0 && collator.compare(texts[order[i - 1]!]!, texts[row]!) !== 0) rank = i;
    keys[row] = rank;
  });
  return keys;
}

/**
 * Prefix rank x (largest number + 1) + number, when every string is a digit-free prefix and a
 * number. Prefixes are collated with a digit after them: where one prefix ends inside the other,
 * the names compare a digit with the other's character there, whatever the digit.
 */
function prefixNumberKeys(texts: readonly string[], collator: Intl.Collator): Float64Array | null {
  const n = texts.length;
  const prefixOf = new Int32Array(n);
  const numbers = new Float64Array(n);
  const prefixes = new Map<string, number>();
  let maxNumber = 0;
  for (let i = 0; i < n; i++) {
    const m = PREFIX_NUMBER.exec(texts[i]!);
    if (!m) return null;
    let p = prefixes.get(m[1]!);
    if (p === undefined) prefixes.set(m[1]!, (p = prefixes.size));
    prefixOf[i] = p;
    const x = Number(m[2]);
    numbers[i] = x;
    if (x > maxNumber) maxNumber = x;
  }
  const distinct = [...prefixes.keys()];
  if (distinct.length * (maxNumber + 1) >= Number.MAX_SAFE_INTEGER) return null;
  const byCollation = distinct.map((_, i) => i).sort((a, b) => collator.compare(`${distinct[a]}0`, `${distinct[b]}0`));
  const rankOf = new Float64Array(distinct.length);
  let rank = 0;
  byCollation.forEach((p, i) => {
    if (i > 0 && collator.compare(`${distinct[byCollation[i - 1]!]}0`, `${distinct[p]}0`) !== 0) rank = i;
    rankOf[p] = rank;
  });
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = rankOf[prefixOf[i]!]! * (maxNumber + 1) + numbers[i]!;
  return keys;
}
