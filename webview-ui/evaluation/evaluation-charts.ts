import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type TooltipItem } from 'chart.js';
import { formatNumber } from '../../src/shared/display-format.ts';
import type { EvaluationMsg } from '../../src/protocol/evaluation-protocol.ts';
import { withAlpha } from '../shared/color-values.ts';
import type { ThemePalette } from '../shared/theme-colors.ts';

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);
}

function options(p: ThemePalette, legend: boolean, yTitle: string, yMax?: number) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    color: p.foreground,
    font: { family: p.fontFamily },
    plugins: {
      legend: { display: legend, labels: { color: p.foreground, boxWidth: 12 } },
      // Values as the report's tables print them (chart.js's own format rounds to 3 decimals).
      tooltip: { enabled: true, callbacks: { label: (c: TooltipItem<'bar'>) => `${c.dataset.label}: ${Array.isArray(c.raw) ? c.raw.map((v) => formatNumber(v as number)).join(' – ') : formatNumber(c.parsed.y)}` } },
    },
    scales: {
      x: { ticks: { color: p.muted, maxRotation: 45, autoSkip: false }, grid: { color: p.grid } },
      y: { beginAtZero: true, ...(yMax !== undefined ? { max: yMax } : {}), title: { display: true, text: yTitle, color: p.muted }, ticks: { color: p.muted, callback: (v: number | string) => formatNumber(Number(v)) }, grid: { color: p.grid } },
    },
  };
}

export const evaluationLabel = (e: EvaluationMsg) => `${e.model}/${e.version}${e.alias ? ` @${e.alias}` : ''}`;

/** Precision, recall and F1 per class; with two evaluations, F1 per class of each. */
export function perClassChart(canvas: HTMLCanvasElement, evals: EvaluationMsg[], p: ThemePalette): Chart {
  register();
  const classes = [...new Set(evals.flatMap((e) => (e.metrics.task === 'classification' ? e.metrics.classes : [])))];
  const value = (e: EvaluationMsg, cls: string, k: 'precision' | 'recall' | 'f1') => (e.metrics.task === 'classification' ? (e.metrics.perClass.find((c) => c.label === cls)?.[k] ?? null) : null);
  const datasets =
    evals.length === 1
      ? (['precision', 'recall', 'f1'] as const).map((k, i) => ({ label: k === 'f1' ? 'F1' : k, data: classes.map((c) => value(evals[0]!, c, k)), backgroundColor: withAlpha(p.series[[1, 4, 3][i]!]!, 0.75), borderWidth: 0 }))
      : evals.map((e, i) => ({ label: `F1 ${evaluationLabel(e)}`, data: classes.map((c) => value(e, c, 'f1')), backgroundColor: withAlpha(p.series[i === 0 ? 1 : 3]!, 0.75), borderWidth: 0 }));
  return new Chart(canvas, { type: 'bar', data: { labels: classes, datasets }, options: options(p, true, 'score', 1) });
}

/** Mean drop per feature as bars, the spread (mean ± std over the repeats) as a thin floating bar. */
export function importanceChart(canvas: HTMLCanvasElement, evals: EvaluationMsg[], p: ThemePalette): Chart {
  register();
  const withImportance = evals.filter((e) => e.importance);
  const features = withImportance[0]!.importance!.features.map((f) => f.feature);
  for (const e of withImportance.slice(1)) for (const f of e.importance!.features) if (!features.includes(f.feature)) features.push(f.feature);
  const datasets = withImportance.flatMap((e, i) => {
    const color = p.series[i === 0 ? 1 : 3]!;
    const by = new Map(e.importance!.features.map((f) => [f.feature, f]));
    const tag = withImportance.length > 1 ? ` ${evaluationLabel(e)}` : '';
    return [
      { label: `mean drop${tag}`, data: features.map((f) => by.get(f)?.mean ?? null), backgroundColor: withAlpha(color, 0.7), borderWidth: 0, ...(withImportance.length > 1 ? { stack: `s${i}` } : {}) },
      { label: `± std${tag}`, data: features.map((f) => { const x = by.get(f); return x ? [x.mean - x.std, x.mean + x.std] : null; }), backgroundColor: withAlpha(p.foreground, 0.55), borderWidth: 0, barPercentage: 0.15, ...(withImportance.length > 1 ? { stack: `spread${i}` } : { grouped: false }) },
    ];
  });
  const o = options(p, true, `drop of ${withImportance[0]!.importance!.scoring}`);
  return new Chart(canvas, { type: 'bar', data: { labels: features, datasets: datasets as never }, options: { ...o, scales: { ...o.scales, x: { ...o.scales.x, stacked: false }, y: { ...o.scales.y, beginAtZero: true } } } });
}

/** Reliability diagram: mean predicted probability vs observed frequency per bin, and the diagonal. */
export function calibrationChart(canvas: HTMLCanvasElement, evals: EvaluationMsg[], p: ThemePalette): Chart {
  register();
  const datasets: object[] = [{ label: 'perfectly calibrated', data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: withAlpha(p.foreground, 0.4), borderDash: [4, 4], pointRadius: 0, borderWidth: 1 }];
  evals.forEach((e, i) => {
    const cal = e.metrics.task === 'classification' ? e.metrics.calibration : undefined;
    if (!cal) return;
    const color = p.series[i === 0 ? 1 : 3]!;
    datasets.push({
      label: `${evaluationLabel(e)} (${cal.kind === 'top-label' ? 'confidence vs correct' : `P(${cal.positiveLabel})`})`,
      data: cal.bins.filter((b) => b.count > 0 && b.meanPredicted !== null && b.fractionPositive !== null).map((b) => ({ x: b.meanPredicted!, y: b.fractionPositive! })),
      borderColor: color,
      backgroundColor: color,
      pointRadius: 3,
      borderWidth: 2,
      borderDash: i === 1 ? [6, 3] : [],
    });
  });
  const o = options(p, true, 'observed frequency', 1);
  return new Chart(canvas, { type: 'line', data: { datasets: datasets as never }, options: { ...o, scales: { x: { type: 'linear' as const, min: 0, max: 1, title: { display: true, text: 'mean predicted probability', color: p.muted }, ticks: { color: p.muted }, grid: { color: p.grid } }, y: { ...o.scales.y, min: 0 } } } });
}
