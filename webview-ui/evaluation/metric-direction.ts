/** Which way is better for a report metric (for marking differences between two evaluations). */
const LOWER_IS_BETTER = /^(log_loss|calibration_error|mae|rmse|slice_gap\..*|demographic_parity_difference|equalized_odds_difference)$/;

export function lowerIsBetter(metric: string): boolean {
  return LOWER_IS_BETTER.test(metric);
}

/** 'better' | 'worse' | 'same' for b compared with a (the baseline). */
export function verdict(metric: string, a: number | null | undefined, b: number | null | undefined): 'better' | 'worse' | 'same' | 'na' {
  if (a === null || a === undefined || b === null || b === undefined) return 'na';
  if (Math.abs(b - a) <= 1e-12 * Math.max(1, Math.abs(a))) return 'same';
  return (b < a) === lowerIsBetter(metric) ? 'better' : 'worse';
}
