import { lowerIsBetter } from '../shared/metric-direction.ts';

/** 'better' | 'worse' | 'same' for b compared with a (the baseline). */
export function verdict(metric: string, a: number | null | undefined, b: number | null | undefined): 'better' | 'worse' | 'same' | 'na' {
  if (a === null || a === undefined || b === null || b === undefined) return 'na';
  if (Math.abs(b - a) <= 1e-12 * Math.max(1, Math.abs(a))) return 'same';
  return (b < a) === lowerIsBetter(metric) ? 'better' : 'worse';
}
