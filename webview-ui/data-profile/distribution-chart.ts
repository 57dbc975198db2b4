import { BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { formatNumber } from '../../src/shared/display-format.ts';
import type { ColumnProfileMsg } from '../../src/protocol/data-profile-protocol.ts';
import { withAlpha } from '../shared/color-values.ts';
import type { ThemePalette } from '../shared/theme-colors.ts';

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Filler, Tooltip, Legend);
}

const MAX_BARS = 12;

export interface Distribution {
  label: string;
  column: ColumnProfileMsg;
}

function baseOptions(p: ThemePalette, legend: boolean, yTitle: string) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    color: p.foreground,
    font: { family: p.fontFamily },
    plugins: { legend: { display: legend, labels: { color: p.foreground, boxWidth: 12 } }, tooltip: { enabled: true } },
    scales: {
      x: { ticks: { color: p.muted, maxRotation: 45, autoSkip: true }, grid: { color: p.grid } },
      y: { beginAtZero: true, title: { display: true, text: yTitle, color: p.muted }, ticks: { color: p.muted }, grid: { color: p.grid } },
    },
  };
}

/** Category bars (top categories, the rest as "other"), as shares so two files compare. */
function categoryData(dists: Distribution[]): { labels: string[]; shares: number[][] } {
  const totals = new Map<string, number>();
  for (const d of dists) for (const t of d.column.top ?? []) totals.set(t.value, (totals.get(t.value) ?? 0) + t.count / Math.max(1, d.column.count));
  const labels = [...totals].sort((a, b) => b[1] - a[1]).slice(0, MAX_BARS).map(([v]) => v);
  const shares = dists.map((d) => {
    const byValue = new Map((d.column.top ?? []).map((t) => [t.value, t.count]));
    const row = labels.map((l) => (byValue.get(l) ?? 0) / Math.max(1, d.column.count));
    const rest = 1 - row.reduce((a, b) => a + b, 0);
    return [...row, Math.max(0, rest)];
  });
  const hasOther = shares.some((s) => s[s.length - 1]! > 1e-9);
  return { labels: hasOther ? [...labels, '(other)'] : labels, shares: hasOther ? shares : shares.map((s) => s.slice(0, -1)) };
}

/**
 * One column's distribution: a histogram (numeric) or category bars. With two distributions
 * (comparison), numeric histograms are drawn as filled steps on a shared value axis (the files
 * have different bin edges) and categories as grouped bars of shares.
 */
export function buildDistributionChart(canvas: HTMLCanvasElement, dists: Distribution[], p: ThemePalette): Chart {
  register();
  const colors = [p.series[1]!, p.series[3]!];
  const numeric = dists.every((d) => d.column.numeric && d.column.numeric.histogram.counts.length > 0 && !(d.column.top && d.column.distinct <= 12));
  if (numeric && dists.length === 1) {
    const h = dists[0]!.column.numeric!.histogram;
    const labels = h.counts.map((_, i) => `${formatNumber(h.edges[i]!)} – ${formatNumber(h.edges[i + 1]!)}`);
    return new Chart(canvas, {
      type: 'bar',
      data: { labels, datasets: [{ label: dists[0]!.label, data: h.counts, backgroundColor: withAlpha(colors[0]!, 0.7), borderColor: colors[0], borderWidth: 1, barPercentage: 1, categoryPercentage: 1 }] },
      options: baseOptions(p, false, 'rows'),
    });
  }
  if (numeric) {
    const datasets = dists.map((d, k) => {
      const h = d.column.numeric!.histogram;
      const total = h.counts.reduce((a, b) => a + b, 0) || 1;
      const points = h.counts.map((c, i) => ({ x: h.edges[i]!, y: c / total }));
      points.push({ x: h.edges[h.edges.length - 1]!, y: (h.counts[h.counts.length - 1] ?? 0) / total });
      return { label: d.label, data: points, stepped: 'after' as const, borderColor: colors[k], backgroundColor: withAlpha(colors[k]!, 0.25), fill: true, pointRadius: 0, borderWidth: 1.5, borderDash: k === 1 ? [5, 3] : [] };
    });
    const opts = baseOptions(p, true, 'share of rows');
    return new Chart(canvas, { type: 'line', data: { datasets }, options: { ...opts, scales: { ...opts.scales, x: { ...opts.scales.x, type: 'linear' as const } } } });
  }
  const { labels, shares } = categoryData(dists);
  return new Chart(canvas, {
    type: 'bar',
    data: { labels, datasets: dists.map((d, k) => ({ label: d.label, data: shares[k]!, backgroundColor: withAlpha(colors[k]!, 0.7), borderColor: colors[k], borderWidth: 1 })) },
    options: baseOptions(p, dists.length > 1, 'share of rows'),
  });
}
