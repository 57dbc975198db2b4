import type { Chart } from 'chart.js';
import type { EvaluationMsg, EvaluationToHost, HostToEvaluation } from '../../src/protocol/evaluation-protocol.ts';
import { formatCount, formatDateTime, formatDelta, formatNumber } from '../../src/shared/display-format.ts';
import { el, replaceChildren, setText } from '../shared/dom-builders.ts';
import { readPalette, type ThemePalette } from '../shared/theme-colors.ts';
import { buildButton, buildCheckbox } from '../shared/vscode-elements.ts';
import { TaskStatus } from '../shared/task-status.ts';
import type { HostConnection } from '../shared/vscode-api.ts';
import { buildConfusionHeatmap } from './confusion-heatmap.ts';
import { calibrationChart, evaluationLabel, importanceChart, perClassChart } from './evaluation-charts.ts';
import { lowerIsBetter } from '../shared/metric-direction.ts';
import { verdict } from './metric-direction.ts';

declare global {
  interface Window {
    /** Chart instances by name (read by the webview tests). */
    __looplineCharts?: Record<string, Chart>;
  }
}

type Metric = { key: string; label: string; value: (e: EvaluationMsg) => number | null | undefined };

const n = (v: number | null | undefined) => (v === undefined ? null : v);

/** The headline numbers, by the names the eval.* metrics use. */
function headlineMetrics(evals: EvaluationMsg[]): Metric[] {
  const task = evals[0]!.task;
  const list: Metric[] =
    task === 'classification'
      ? [
          { key: 'accuracy', label: 'accuracy', value: (e) => (e.metrics.task === 'classification' ? e.metrics.accuracy : null) },
          { key: 'precision_macro', label: 'precision (macro)', value: (e) => (e.metrics.task === 'classification' ? e.metrics.precisionMacro : null) },
          { key: 'recall_macro', label: 'recall (macro)', value: (e) => (e.metrics.task === 'classification' ? e.metrics.recallMacro : null) },
          { key: 'f1_macro', label: 'F1 (macro)', value: (e) => (e.metrics.task === 'classification' ? e.metrics.f1Macro : null) },
          { key: 'f1_weighted', label: 'F1 (weighted)', value: (e) => (e.metrics.task === 'classification' ? e.metrics.f1Weighted : null) },
          { key: 'log_loss', label: 'log loss', value: (e) => (e.metrics.task === 'classification' ? n(e.metrics.logLoss) : null) },
          { key: 'roc_auc', label: 'ROC AUC (one-vs-rest)', value: (e) => (e.metrics.task === 'classification' ? n(e.metrics.rocAuc) : null) },
          { key: 'calibration_error', label: 'calibration error (ECE)', value: (e) => (e.metrics.task === 'classification' ? n(e.metrics.calibration?.expectedCalibrationError) : null) },
        ]
      : [
          { key: 'mae', label: 'MAE', value: (e) => (e.metrics.task === 'regression' ? e.metrics.mae : null) },
          { key: 'rmse', label: 'RMSE', value: (e) => (e.metrics.task === 'regression' ? e.metrics.rmse : null) },
          { key: 'r2', label: 'R²', value: (e) => (e.metrics.task === 'regression' ? e.metrics.r2 : null) },
        ];
  const gaps = [...new Set(evals.flatMap((e) => Object.keys(e.sliceGaps)))];
  for (const g of gaps) list.push({ key: `slice_gap.${g}`, label: `largest slice gap in ${g}`, value: (e) => e.sliceGaps[g]?.gap ?? null });
  if (evals.some((e) => e.fairness)) {
    list.push({ key: 'demographic_parity_difference', label: 'demographic parity difference', value: (e) => e.fairness?.demographicParityDifference ?? null });
    list.push({ key: 'equalized_odds_difference', label: 'equalized odds difference', value: (e) => e.fairness?.equalizedOddsDifference ?? null });
  }
  return list.filter((m) => evals.some((e) => m.value(e) !== null && m.value(e) !== undefined));
}

/** The Evaluation Report webview: one evaluation, or two side by side with their differences marked. */
export class EvaluationApp {
  private readonly root: HTMLElement;
  private readonly host: HostConnection<EvaluationToHost>;
  private palette: ThemePalette;
  private evals: EvaluationMsg[] | null = null;
  private heatmapMode: 'counts' | 'normalized' = 'counts';
  private charts: Chart[] = [];
  private readonly status: TaskStatus;
  private readonly content = el('div');

  constructor(root: HTMLElement, host: HostConnection<EvaluationToHost>) {
    this.root = root;
    this.host = host;
    this.palette = readPalette();
    window.__looplineCharts = {};
    this.status = new TaskStatus({ label: 'Evaluation progress', cancelTitle: 'Stop the evaluation and its model container', onCancel: () => host.post({ type: 'cancel' }) });
    replaceChildren(this.root, this.status.error, this.status.progress, this.content);
    setText(this.content, 'Loading…');
  }

  handle(msg: HostToEvaluation): void {
    switch (msg.type) {
      case 'progress':
        this.status.showProgress(msg.fraction, msg.message);
        return;
      case 'report':
        this.status.hideProgress();
        this.show(msg.evaluations);
        return;
      case 'error':
        this.status.hideProgress();
        this.status.showError(msg.message);
        if (!this.evals) replaceChildren(this.content);
        return;
      default: {
        const never: never = msg;
        void never;
      }
    }
  }

  themeChanged(): void {
    this.palette = readPalette();
    if (this.evals) this.show(this.evals);
  }

  private show(evals: EvaluationMsg[]): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    window.__looplineCharts = {};
    this.evals = evals;
    this.status.hideError();
    if (evals.length === 0) {
      replaceChildren(this.content, el('p', { className: 'muted' }, 'No evaluation to show.'));
      return;
    }
    const [a, b] = evals as [EvaluationMsg, EvaluationMsg | undefined];
    const dataName = (e: EvaluationMsg) => e.data.file.split(/[\\/]/).pop() ?? e.data.file;
    const header = el(
      'header',
      { className: 'report-header' },
      el('h1', null, b ? `${evaluationLabel(a)} vs ${evaluationLabel(b)}` : `${evaluationLabel(a)} on ${dataName(a)}`),
      el('span', { className: 'muted summary' }, ...evals.map((e, i) => `${i ? ' · ' : ''}${evaluationLabel(e)}: ${formatCount(e.data.rows)} rows of ${dataName(e)}, label '${e.labelColumn}', ${e.task}, ${formatDateTime(e.createdTime)}`)),
    );
    const sameData = !b || a.data.sha256 === b.data.sha256;
    const actions = el(
      'div',
      { className: 'actions' },
      b
        ? buildButton('Close comparison', { id: 'close-comparison', secondary: true }, () => this.host.post({ type: 'closeComparison' }))
        : buildButton('Compare with…', { id: 'compare-with', title: 'Show another evaluation (e.g. the champion on the same data) beside this one' }, () => this.host.post({ type: 'compareWith' })),
      a.task === 'classification'
        ? buildCheckbox('Row-normalised confusion matrix', 'normalize', this.heatmapMode === 'normalized', (on) => {
            this.heatmapMode = on ? 'normalized' : 'counts';
            this.show(evals);
          })
        : null,
    );
    const section = (id: string, heading: string, ...body: Array<Node | null>) => el('section', { className: `section-${id}`, attrs: { 'aria-labelledby': `${id}-heading` } }, el('h2', { id: `${id}-heading` }, heading), ...body);
    const canvasBox = (name: string) => {
      const canvas = el('canvas', { attrs: { 'aria-label': name, role: 'img' } });
      return { canvas, box: el('div', { className: 'chart-box', attrs: { 'data-chart': name } }, canvas) };
    };
    const charts: Record<string, Chart> = {};
    const later: Array<() => void> = [];
    const chartSection = (id: string, heading: string, build: (c: HTMLCanvasElement) => Chart, note?: Node | null) => {
      const { canvas, box } = canvasBox(id);
      later.push(() => {
        const c = build(canvas);
        this.charts.push(c);
        charts[id] = c;
      });
      return section(id, heading, note ?? null, box);
    };
    const classification = evals.every((e) => e.task === 'classification');
    replaceChildren(
      this.content,
      header,
      actions,
      sameData ? null : el('p', { className: 'warning', attrs: { role: 'note' } }, 'The two evaluations used different data files (their SHA-256 differ): differences mix the model and the data.'),
      section('metrics', 'Metrics', this.metricsTable(evals)),
      classification
        ? section(
            'confusion',
            `Confusion matrix${this.heatmapMode === 'normalized' ? ' (each row divided by its total)' : ' (counts)'}`,
            el('div', { className: 'heatmaps' }, ...evals.map((e) => (e.metrics.task === 'classification' ? buildConfusionHeatmap(e.metrics.confusionMatrix, this.heatmapMode, this.palette, evaluationLabel(e)) : null))),
          )
        : null,
      classification ? chartSection('perClass', 'Per class', (c) => perClassChart(c, evals, this.palette)) : null,
      !classification ? section('residuals', 'Residuals (label − prediction)', this.residualTable(evals)) : null,
      evals.some((e) => e.slices.length) ? section('slices', 'Slices (columns sorted by their largest gap; worst slice first)', this.sliceTable(evals)) : null,
      evals.some((e) => e.fairness) ? section('fairness', 'Fairness', this.fairnessTable(evals)) : null,
      evals.some((e) => e.importance)
        ? chartSection(
            'importance',
            'Permutation importance',
            (c) => importanceChart(c, evals, this.palette),
            el('p', { className: 'muted' }, ...evals.filter((e) => e.importance).map((e, i) => `${i ? ' · ' : ''}${evaluationLabel(e)}: drop of ${e.importance!.scoring} when a feature is shuffled, ${e.importance!.repeats} repeats, seed ${e.importance!.seed}`)),
          )
        : null,
      evals.some((e) => e.metrics.task === 'classification' && e.metrics.calibration) ? chartSection('calibration', 'Calibration', (c) => calibrationChart(c, evals, this.palette)) : null,
    );
    for (const f of later) f();
    window.__looplineCharts = charts;
  }

  private metricsTable(evals: EvaluationMsg[]): HTMLElement {
    const metrics = headlineMetrics(evals);
    const two = evals.length === 2;
    return el(
      'table',
      { className: 'metrics', attrs: { 'aria-label': 'Headline metrics' } },
      el('thead', null, el('tr', null, el('th', { attrs: { scope: 'col' } }, 'metric'), ...evals.map((e) => el('th', { attrs: { scope: 'col' } }, evaluationLabel(e))), two ? el('th', { attrs: { scope: 'col' } }, 'difference') : null)),
      el(
        'tbody',
        null,
        ...metrics.map((m) => {
          const values = evals.map((e) => m.value(e) ?? null);
          return el(
            'tr',
            { attrs: { 'data-metric': m.key } },
            el('th', { attrs: { scope: 'row', title: `eval.${m.key}${lowerIsBetter(m.key) ? ' (lower is better)' : ''}` } }, m.label),
            ...values.map((v) => el('td', { className: 'num' }, formatNumber(v, 4))),
            two ? this.deltaCell(m.key, values[0]!, values[1]!) : null,
          );
        }),
      ),
    );
  }

  private deltaCell(metric: string, a: number | null, b: number | null): HTMLElement {
    const v = verdict(metric, a, b);
    const text = a === null || b === null ? '–' : v === 'same' ? '=' : formatDelta(b - a, 4);
    return el('td', { className: `num delta ${v}`, attrs: { 'data-verdict': v, title: v === 'na' ? 'not in both' : `${v} (${lowerIsBetter(metric) ? 'lower' : 'higher'} is better)` } }, v === 'better' ? `▲ ${text}` : v === 'worse' ? `▼ ${text}` : text);
  }

  private sliceTable(evals: EvaluationMsg[]): HTMLElement {
    const primary = evals[0]!.task === 'classification' ? 'accuracy' : 'mae';
    const worstFirst = (x: number | null, y: number | null) => (x ?? Infinity) - (y ?? Infinity);
    const columns = [...new Set(evals.flatMap((e) => e.slices.map((s) => s.column)))];
    const gapOf = (col: string) => Math.max(...evals.map((e) => e.slices.find((s) => s.column === col)?.gap[primary] ?? -Infinity));
    columns.sort((x, y) => gapOf(y) - gapOf(x));
    const two = evals.length === 2;
    const body: HTMLElement[] = [];
    for (const col of columns) {
      const reports = evals.map((e) => e.slices.find((s) => s.column === col));
      const first = reports.find((r) => r)!;
      const gaps = reports.map((r) => r?.gap[primary] ?? null);
      body.push(
        el(
          'tr',
          { className: 'slice-column', attrs: { 'data-column': col } },
          el('th', { attrs: { scope: 'rowgroup', colspan: 2 } }, `${col}${first.binned ? ' (quantile bins)' : ''}`),
          ...gaps.map((g, i) => el('td', { className: 'num gap' }, `gap ${formatNumber(g, 4)}${reports[i]?.worst[primary] ? ` · worst ${reports[i]!.worst[primary]!.value}` : ''}`)),
          two ? this.deltaCell(`slice_gap.${primary}`, gaps[0]!, gaps[1]!) : null,
        ),
      );
      const values = [...new Set(reports.flatMap((r) => r?.slices.map((s) => s.value) ?? []))];
      const val = (i: number, v: string) => reports[i]?.slices.find((s) => s.value === v)?.metrics[primary] ?? null;
      const sign = lowerIsBetter(primary) ? -1 : 1;
      values.sort((x, y) => worstFirst(sign * (val(0, x) ?? NaN), sign * (val(0, y) ?? NaN)));
      for (const v of values) {
        const isWorst = reports[0]?.worst[primary]?.value === v;
        body.push(
          el(
            'tr',
            { className: isWorst ? 'slice worst' : 'slice', attrs: { 'data-column': col, 'data-slice': v } },
            el('td', { className: 'slice-value', attrs: { title: v } }, v),
            el('td', { className: 'num' }, formatCount(reports[0]?.slices.find((s) => s.value === v)?.n ?? 0)),
            ...evals.map((_, i) => el('td', { className: 'num' }, formatNumber(val(i, v), 4))),
            two ? this.deltaCell(primary, val(0, v), val(1, v)) : null,
          ),
        );
      }
    }
    return el(
      'table',
      { className: 'slices', attrs: { 'aria-label': `Slices by ${primary}` } },
      el('thead', null, el('tr', null, el('th', { attrs: { scope: 'col' } }, 'slice'), el('th', { attrs: { scope: 'col' } }, 'rows'), ...evals.map((e) => el('th', { attrs: { scope: 'col' } }, `${primary} ${evaluationLabel(e)}`)), two ? el('th', { attrs: { scope: 'col' } }, 'difference') : null)),
      el('tbody', null, ...body),
    );
  }

  private fairnessTable(evals: EvaluationMsg[]): HTMLElement {
    const parts: HTMLElement[] = [];
    for (const e of evals) {
      const f = e.fairness;
      if (!f) continue;
      parts.push(
        el('p', null, `${evaluationLabel(e)} by '${f.sensitiveColumn}' (favourable outcome '${f.positiveLabel}'): demographic parity difference ${formatNumber(f.demographicParityDifference, 4)}, equalized odds difference ${formatNumber(f.equalizedOddsDifference, 4)}.`),
        el(
          'table',
          { className: 'fairness', attrs: { 'aria-label': `Rates per group of ${f.sensitiveColumn}` } },
          el('thead', null, el('tr', null, ...['group', 'rows', 'selection rate', 'true positive rate', 'false positive rate'].map((h) => el('th', { attrs: { scope: 'col' } }, h)))),
          el('tbody', null, ...f.groups.map((g) => el('tr', { attrs: { 'data-group': g.group } }, el('td', null, g.group), el('td', { className: 'num' }, formatCount(g.n)), el('td', { className: 'num' }, formatNumber(g.selectionRate, 4)), el('td', { className: 'num' }, formatNumber(g.truePositiveRate, 4)), el('td', { className: 'num' }, formatNumber(g.falsePositiveRate, 4))))),
        ),
      );
    }
    return el('div', null, ...parts);
  }

  private residualTable(evals: EvaluationMsg[]): HTMLElement {
    const qs = evals[0]!.metrics.task === 'regression' ? evals[0]!.metrics.residualQuantiles.map((q) => q.q) : [];
    return el(
      'table',
      { className: 'residuals' },
      el('thead', null, el('tr', null, el('th', { attrs: { scope: 'col' } }, 'quantile'), ...evals.map((e) => el('th', { attrs: { scope: 'col' } }, evaluationLabel(e))))),
      el('tbody', null, ...qs.map((q) => el('tr', null, el('th', { attrs: { scope: 'row' } }, String(q)), ...evals.map((e) => el('td', { className: 'num' }, formatNumber(e.metrics.task === 'regression' ? (e.metrics.residualQuantiles.find((x) => x.q === q)?.value ?? null) : null, 4)))))),
    );
  }
}
