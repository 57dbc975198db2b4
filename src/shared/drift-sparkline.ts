/** One character per drift window: the drifted share of features as a bar, "·" where data was too little. */
const BARS = '▁▂▃▄▅▆▇█';

export interface SparkPoint {
  status: 'ok' | 'drift' | 'insufficient-data';
  share: number;
  alert: boolean;
}

export function driftSparkline(points: SparkPoint[], width = 20): string {
  return points
    .slice(-width)
    .map((p) => (p.status === 'insufficient-data' ? '·' : p.alert && p.share === 0 ? '!' : BARS[Math.min(BARS.length - 1, Math.round(p.share * (BARS.length - 1)))]!))
    .join('');
}

/** The word for a deployment's drift state in lists and tooltips. */
export function driftStatusWord(latest: SparkPoint | undefined, episode: { windows: number } | null): string {
  if (!latest) return 'no drift windows yet';
  if (episode) return `drifting (${episode.windows} window${episode.windows === 1 ? '' : 's'})`;
  if (latest.status === 'insufficient-data') return 'not enough data yet';
  return 'no drift';
}
