/**
 * Pearson's r for every pair of columns, over the rows where both are present (NaN = missing).
 * null where a column is constant on those rows (r undefined) or fewer than 3 rows pair up.
 */
export function pearsonMatrix(columns: number[][]): Array<Array<number | null>> {
  const k = columns.length;
  const out: Array<Array<number | null>> = Array.from({ length: k }, () => new Array<number | null>(k).fill(null));
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      const r = pearson(columns[a]!, columns[b]!);
      out[a]![b] = r;
      out[b]![a] = r;
    }
  }
  return out;
}

function pearson(x: number[], y: number[]): number | null {
  let n = 0;
  let mx = 0;
  let my = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const b = y[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    n++;
    const dx = a - mx;
    const dy = b - my;
    mx += dx / n;
    my += dy / n;
    sxx += dx * (a - mx);
    syy += dy * (b - my);
    sxy += dx * (b - my);
  }
  if (n < 3 || sxx <= 0 || syy <= 0) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}
