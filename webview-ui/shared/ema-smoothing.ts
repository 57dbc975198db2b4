/**
 * Exponential moving average with TensorBoard's debiasing (the first points are not pulled
 * towards 0). Gaps (null) stay gaps and do not reset the average. weight 0 returns the input.
 */
export function emaSmooth(values: ReadonlyArray<number | null>, weight: number): Array<number | null> {
  const w = Math.min(0.999, Math.max(0, weight));
  if (w === 0) return values.slice();
  const out: Array<number | null> = new Array(values.length);
  let acc = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    acc = acc * w + (1 - w) * v;
    n++;
    out[i] = acc / (1 - Math.pow(w, n));
  }
  return out;
}
