import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { formatNumber } from '../../src/shared/display-format.ts';
import type { ThemePalette } from '../shared/theme-colors.ts';

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  Chart.register(LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);
}

export interface TrendSeries {
  label: string;
  values: Array<number | null>;
  /** Index into the palette's chart colours. */
  color: number;
  dashed?: boolean;
}

/**
 * A value per drift window (a p-value, a distance, an accuracy) with its threshold as a dashed
 * line; windows where the test could not run are gaps. Theme colours, no animation, text only.
 */
export function buildTrendChart(canvas: HTMLCanvasElement, labels: string[], series: TrendSeries[], yTitle: string, p: ThemePalette, yMax?: number): Chart {
  register();
  return new Chart(canvas, {
    type: 'line',
    data: {
      labels,
      datasets: series.map((s) => ({
        label: s.label,
        data: s.values,
        borderColor: p.series[s.color % p.series.length]!,
        backgroundColor: p.series[s.color % p.series.length]!,
        borderDash: s.dashed ? [6, 4] : [],
        pointRadius: s.dashed ? 0 : 2,
        borderWidth: s.dashed ? 1 : 2,
        spanGaps: false,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      color: p.foreground,
      font: { family: p.fontFamily },
      plugins: { legend: { display: true, labels: { color: p.foreground, boxWidth: 12 } }, tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${formatNumber(c.parsed.y)}` } } },
      scales: {
        x: { title: { display: true, text: 'window (newest right)', color: p.muted }, ticks: { color: p.muted, maxRotation: 0, autoSkip: true }, grid: { color: p.grid } },
        y: { beginAtZero: true, ...(yMax !== undefined ? { max: yMax } : {}), title: { display: true, text: yTitle, color: p.muted }, ticks: { color: p.muted }, grid: { color: p.grid } },
      },
    },
  });
}
