import type { Chart } from 'chart.js';
import type { RunMsg } from '../../src/protocol/common.ts';
import type { ChartEngine } from '../shared/chart-engine-loader.ts';
import { el } from '../shared/dom-builders.ts';
import type { ThemePalette } from '../shared/theme-colors.ts';
import { buildSelect } from '../shared/vscode-elements.ts';
import { drawParallelCoordinates } from './parallel-coordinates.ts';
import { createScatter, scatterDatasets, scatterOptions } from './param-scatter.ts';
import { metricAxis, paramAxis } from './sweep-axes.ts';

/**
 * The sweep view: parallel coordinates of the varying params → a chosen metric, and a scatter of
 * any param against any metric. Shown when the runs differ in some params.
 */
export interface SweepSelection {
  metric: string;
  scatterParam: string;
  scatterMetric: string;
}

export interface SweepViewOptions {
  sweepParams: string[];
  paramKeys: string[];
  metricKeys: string[];
  selection: SweepSelection;
  palette: ThemePalette;
  /** chart.js, loaded by then (the scatter is a chart.js chart). */
  engine: ChartEngine;
  onSelectionChange(selection: SweepSelection): void;
}

export class SweepView {
  readonly element: HTMLElement;
  readonly scatter: Chart<'scatter', Array<{ x: number; y: number }>>;
  private readonly parallel: HTMLCanvasElement;
  private readonly o: SweepViewOptions;
  private selection: SweepSelection;
  private runs: RunMsg[] = [];
  private hidden: ReadonlySet<string> = new Set();
  private palette: ThemePalette;
  private readonly resize: ResizeObserver;

  constructor(parent: HTMLElement, o: SweepViewOptions) {
    this.o = o;
    this.selection = o.selection;
    this.palette = o.palette;
    const metricOptions = o.metricKeys.map((k) => ({ value: k, label: k }));
    this.parallel = el('canvas', { className: 'parallel-canvas', attrs: { role: 'img', 'aria-label': 'Parallel coordinates of the varying params and the chosen metric; the params and summary tables hold the same values.' } });
    const scatterCanvas = el('canvas', { attrs: { role: 'img', 'aria-label': 'Scatter plot of a param against a metric; the params and summary tables hold the same values.' } });
    const change = (patch: Partial<SweepSelection>) => {
      this.selection = { ...this.selection, ...patch };
      this.o.onSelectionChange(this.selection);
      this.draw();
    };
    this.element = el(
      'section',
      { className: 'sweep', attrs: { 'aria-labelledby': 'sweep-heading' } },
      el('h2', { id: 'sweep-heading' }, 'Sweep'),
      el(
        'div',
        { className: 'sweep-grid' },
        el(
          'div',
          { className: 'sweep-card' },
          el('div', { className: 'toolbar' }, el('h3', null, 'Params → metric'), el('span', { className: 'spacer' }), el('span', { className: 'control' }, el('span', { className: 'control-label', attrs: { 'aria-hidden': 'true' } }, 'Metric'), buildSelect('Metric of the parallel coordinates', 'sweep-metric', metricOptions, this.selection.metric, (v) => change({ metric: v })))),
          el('div', { className: 'parallel-box' }, this.parallel),
        ),
        el(
          'div',
          { className: 'sweep-card' },
          el(
            'div',
            { className: 'toolbar' },
            el('h3', null, 'Scatter'),
            el('span', { className: 'spacer' }),
            el('span', { className: 'control' }, el('span', { className: 'control-label', attrs: { 'aria-hidden': 'true' } }, 'X'), buildSelect('Param on the x axis', 'scatter-param', o.paramKeys.map((k) => ({ value: k, label: k })), this.selection.scatterParam, (v) => change({ scatterParam: v }))),
            el('span', { className: 'control' }, el('span', { className: 'control-label', attrs: { 'aria-hidden': 'true' } }, 'Y'), buildSelect('Metric on the y axis', 'scatter-metric', metricOptions, this.selection.scatterMetric, (v) => change({ scatterMetric: v }))),
          ),
          el('div', { className: 'chart-box' }, scatterCanvas),
        ),
      ),
    );
    parent.appendChild(this.element);
    this.scatter = createScatter(o.engine, scatterCanvas);
    this.resize = new ResizeObserver(() => this.drawParallel());
    this.resize.observe(this.parallel);
  }

  update(runs: RunMsg[], hidden: ReadonlySet<string>): void {
    this.runs = runs;
    this.hidden = hidden;
    this.draw();
  }

  setPalette(palette: ThemePalette): void {
    this.palette = palette;
    this.draw();
  }

  destroy(): void {
    this.resize.disconnect();
    this.scatter.destroy();
    this.element.remove();
  }

  private draw(): void {
    this.drawParallel();
    const x = paramAxis(this.selection.scatterParam, this.runs);
    const y = metricAxis(this.selection.scatterMetric, this.runs);
    this.scatter.data.datasets = scatterDatasets(this.runs, x, y, this.hidden, this.palette);
    this.scatter.options = scatterOptions(x, y, this.palette);
    this.scatter.update('none');
  }

  /** The parallel-coordinates axes as drawn: label, log or not, each run's position (0 bottom, 1 top). */
  parallelAxes(): Array<{ label: string; log: boolean; positions: Record<string, number | null> }> {
    return this.parallelAxisList().map((a) => ({ label: a.label, log: a.log, positions: Object.fromEntries(this.runs.map((r) => [r.id, a.positionOf(r)])) }));
  }

  private parallelAxisList() {
    return [...this.o.sweepParams.map((k) => paramAxis(k, this.runs)), metricAxis(this.selection.metric, this.runs)];
  }

  private drawParallel(): void {
    const axes = this.parallelAxisList();
    drawParallelCoordinates(
      this.parallel,
      axes,
      this.runs.filter((r) => !this.hidden.has(r.id)),
      this.palette,
    );
  }
}
