/** Whether a lower value of this metric is better: losses and errors. Everything else: higher. */
export function lowerIsBetter(key: string): boolean {
  return /loss|error|err|mse|mae|rmse/i.test(key);
}
