import type { Chart, ChartOptions, Scale, TooltipItem } from 'chart.js';
import type { RunMsg } from '../../src/protocol/common.ts';
import type { ChartEngine } from '../shared/chart-engine-loader.ts';
import { formatNumber as formatValue } from '../../src/shared/display-format.ts';
import { seriesStyle, type ThemePalette } from '../shared/theme-colors.ts';
import { paddedBounds, type SweepAxis } from './sweep-axes.ts';

/** A param (x) against a metric's last value (y), one point per run in its colour. */
type ScatterPoint = { x: number; y: number };
type ScatterDataset = { label: string; runId: string; data: ScatterPoint[]; backgroundColor: string; borderColor: string; pointRadius: number; pointHoverRadius: number; hidden: boolean };

export function scatterDatasets(runs: RunMsg[], xAxis: SweepAxis, yAxis: SweepAxis, hidden: ReadonlySet<string>, palette: ThemePalette): ScatterDataset[] {
  return runs.flatMap((run) => {
    const x = xAxis.valueOf(run);
    const y = yAxis.valueOf(run);
    if (x === null || y === null) return [];
    const color = seriesStyle(palette, run.colorIndex).color;
    return [{ label: run.name, runId: run.id, data: [{ x, y }], backgroundColor: color, borderColor: color, pointRadius: 5, pointHoverRadius: 7, hidden: hidden.has(run.id) }];
  });
}

export function scatterOptions(xAxis: SweepAxis, yAxis: SweepAxis, palette: ThemePalette): ChartOptions<'scatter'> {
  const font = { family: palette.fontFamily, size: 11 };
  const categorical = xAxis.kind === 'categorical';
  const pad = categorical ? 0.5 : 0;
  // Explicit padded bounds (chart.js's `grace` pads past zero); log x for params over 2 decades.
  const xb = categorical ? { min: -pad, max: xAxis.categories.length - 1 + pad } : paddedBounds(xAxis.min, xAxis.max, xAxis.log);
  const yb = paddedBounds(yAxis.min, yAxis.max, false);
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    scales: {
      x: {
        type: xAxis.log ? 'logarithmic' : 'linear',
        min: xb.min,
        max: xb.max,
        grid: { color: palette.grid },
        border: { color: palette.grid },
        title: { display: true, text: xAxis.label, color: palette.muted, font },
        // Categorical params: one tick per category, at its index.
        afterBuildTicks: (scale: Scale) => {
          if (categorical) scale.ticks = xAxis.categories.map((_, i) => ({ value: i }));
        },
        ticks: {
          color: palette.foreground,
          font,
          callback(this: Scale, v: number | string) {
            const n = Number(v);
            // Log axes: label the powers of ten only (chart.js puts ticks at 2..9 x 10^k too).
            if (xAxis.log) return Math.abs(Math.log10(n) - Math.round(Math.log10(n))) < 1e-9 ? formatValue(n) : '';
            if (!categorical) return formatValue(n);
            const c = Number.isInteger(n) ? xAxis.categories[n] : undefined;
            return c === undefined ? '' : c.length > 16 ? `${c.slice(0, 15)}…` : c;
          },
        },
      },
      y: {
        type: 'linear',
        min: yb.min,
        max: yb.max,
        grid: { color: palette.grid },
        border: { color: palette.grid },
        title: { display: true, text: yAxis.label, color: palette.muted, font },
        ticks: { color: palette.foreground, font, callback: (v: number | string) => formatValue(Number(v)) },
      },
    },
    plugins: {
      legend: { display: false },
      tooltip: {
        backgroundColor: palette.background,
        titleColor: palette.foreground,
        bodyColor: palette.foreground,
        borderColor: palette.border,
        borderWidth: 1,
        callbacks: {
          label: (item: TooltipItem<'scatter'>) => {
            const x = categorical ? (xAxis.categories[item.parsed.x ?? -1] ?? '') : formatValue(item.parsed.x);
            const name = item.dataset.label ?? '';
            return `${name.length > 40 ? `${name.slice(0, 39)}…` : name}: ${xAxis.label} = ${x}, ${yAxis.label} = ${formatValue(item.parsed.y)}`;
          },
        },
      },
    },
  };
}

export function createScatter(engine: ChartEngine, canvas: HTMLCanvasElement): Chart<'scatter', ScatterPoint[]> {
  return new engine.Chart<'scatter', ScatterPoint[]>(canvas, { type: 'scatter', data: { datasets: [] }, options: { animation: false, responsive: true, maintainAspectRatio: false } });
}
