/**
 * Whether a lower value of this metric is better: losses and errors, and the evaluation report's
 * gaps and fairness differences (`eval.slice_gap.*`, `demographic_parity_difference`, …), so the
 * Compare view and the Evaluation Report mark the same difference the same way. Everything else: higher.
 */
export function lowerIsBetter(key: string): boolean {
  return /loss|error|err|mse|mae|rmse/i.test(key) || /(^|\.)(slice_gap\.|demographic_parity_difference$|equalized_odds_difference$)/.test(key);
}
