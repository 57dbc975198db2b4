import type { Chart, ChartDataset, ChartOptions, LegendItem, Scale, TooltipItem } from 'chart.js';
import { chartBuckets, type SeriesMsg, type StepRange, type XAxisMode } from '../../src/protocol/common.ts';
import type { FirstSeries } from '../../src/protocol/compare-protocol.ts';
import { chartEngine, loadChartEngine, type ChartEngine } from './chart-engine-loader.ts';
import type { RunDatasetTag } from './chart-registration.ts';
import { afterNextPaint } from './after-paint.ts';
import { withAlpha } from './color-values.ts';
import { paintQuickLines, type QuickLayout, type QuickLine } from './quick-line-paint.ts';
import { el, setText } from './dom-builders.ts';
import { attachDragZoom } from './drag-zoom.ts';
import { emaSmooth } from './ema-smoothing.ts';
import { formatCount, formatExact, formatNumber } from '../../src/shared/display-format.ts';
import { seriesStyle, type ThemePalette } from './theme-colors.ts';
import { axisTitle, formatX, formatXExact, stepRangeForWindow, timeTicks, xExtentOfRange, xOf, type PointColumns } from './x-axis.ts';

/**
 * One metric's line chart: one series per run (raw, or smoothed over a faint raw copy), x by
 * step / relative time / wall time, log or linear y, drag-to-zoom with exact points re-requested
 * for the window, live appends that keep the zoom, and a note when the host downsampled.
 */
export interface ChartRun {
  id: string;
  name: string;
  colorIndex: number;
  startTime: number;
}

export interface ChartView {
  xAxis: XAxisMode;
  logY: boolean;
  /** EMA weight 0..0.99; 0 draws the raw series only. */
  smoothing: number;
  hidden: ReadonlySet<string>;
}

/** A zoomed x window and the step range it was requested as. xMin/xMax null: fit the data. */
export interface ZoomWindow {
  xAxis: XAxisMode;
  xMin: number | null;
  xMax: number | null;
  range: StepRange;
}

export interface SeriesRequest {
  key: string;
  xAxis: XAxisMode;
  buckets: number;
  range: StepRange | null;
}

export interface SeriesAnswer {
  requestId: number;
  key: string;
  series: SeriesMsg[];
}

export interface MetricChartHost {
  /** Posts the request; returns its requestId. */
  requestSeries(req: SeriesRequest): number;
  zoomChanged(key: string, zoom: ZoomWindow | null): void;
  toggleRun(runId: string): void;
  /** Called once, when the chart has drawn its first data. */
  firstDrawn?(key: string): void;
  /** Without it the chart has no PNG button. */
  savePng?(key: string, dataUrl: string): void;
}

export interface MetricChartOptions {
  key: string;
  runs: ChartRun[];
  view: ChartView;
  zoom: ZoomWindow | null;
  palette: ThemePalette;
  compact: boolean;
  /** Draw chart.js's legend (click toggles the run everywhere). */
  legend: boolean;
  /** This chart's whole series, sent with the page's first message: drawn without asking when it is for the axis and width the chart would ask for. */
  initial?: FirstSeries;
  host: MetricChartHost;
}

interface LoadedSeries extends PointColumns {
  values: Array<number | null>;
  downsampled: boolean;
  sourcePoints: number;
}

type Point = { x: number; y: number | null };
export type RunDataset = ChartDataset<'line', Point[]> & RunDatasetTag & { rawValues: Array<number | null> };

/** A value column entry as the chart draws it: null for a gap (NaN, infinite, or null on the wire). */
const gapOf = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : v);

/** A series message's columns (Float64Array, or plain arrays with null gaps) as growable arrays. */
function loadedOf(s: SeriesMsg): LoadedSeries {
  const n = s.steps.length;
  const steps = new Array<number>(n);
  const times = new Array<number>(n);
  const values = new Array<number | null>(n);
  const vs = s.values as ArrayLike<number | null>;
  for (let i = 0; i < n; i++) {
    steps[i] = s.steps[i]!;
    times[i] = s.times[i]!;
    values[i] = gapOf(vs[i]);
  }
  return { steps, times, values, downsampled: s.downsampled, sourcePoints: s.sourcePoints };
}

const NO_POINTS: LoadedSeries = { steps: [], times: [], values: [], downsampled: false, sourcePoints: 0 };

const MAX_LABEL = 48;
/** A run's name in a chart's legend. */
const LEGEND_LABEL_MAX = 32;
const truncate = (s: string, n = MAX_LABEL) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export class MetricChart {
  readonly key: string;
  readonly element: HTMLElement;
  /**
   * Built on first data or first use. While chart.js has not run on the page yet, the first data is
   * painted without it (paintQuick) and chart.js is built right after that frame.
   */
  private built: Chart<'line', Point[]> | null = null;
  /** The chart has drawn data (until then it is not in the page's registry). */
  private shown = false;
  /** The canvas holds a quick paint (see quick-line-paint.ts) and chart.js takes it over after this frame. */
  private quick = false;
  /** What the chart.js options were last built from: rebuilt (and re-resolved by chart.js) only when one changed. */
  private optionInputs: readonly unknown[] = [];
  private readonly canvas: HTMLCanvasElement;
  private readonly note: HTMLElement;
  private readonly status: HTMLElement;
  private readonly resetButton: HTMLButtonElement;
  private readonly host: MetricChartHost;
  private readonly compact: boolean;
  /** The axes' font size and tick limits (chart.js and the quick paint lay out the same). */
  private readonly axes: { fontSize: number; maxXTicks: number; maxYTicks: number };
  private readonly showLegend: boolean;
  private initial: FirstSeries | undefined;
  private runs: ChartRun[];
  private view: ChartView;
  private zoom: ZoomWindow | null;
  private palette: ThemePalette;
  private readonly loaded = new Map<string, LoadedSeries>();
  private pendingRequest: number | null = null;
  private requested = false;
  private requestedBuckets = 0;
  private exporting = false;
  private destroyed = false;
  /** A draw waits for chart.js to load (see renderOnceLoaded). */
  private awaitingEngine = false;
  private resizeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly detachZoom: () => void;

  constructor(parent: HTMLElement, o: MetricChartOptions) {
    this.key = o.key;
    this.runs = o.runs;
    this.view = o.view;
    this.zoom = o.zoom;
    this.palette = o.palette;
    this.host = o.host;
    this.compact = o.compact;
    this.axes = o.compact ? { fontSize: 10, maxXTicks: 4, maxYTicks: 5 } : { fontSize: 11, maxXTicks: 7, maxYTicks: 8 };
    this.showLegend = o.legend;
    this.initial = o.initial;

    const titleId = `chart-title-${Math.random().toString(36).slice(2)}`;
    this.canvas = el('canvas', { attrs: { role: 'img', 'aria-label': `Line chart of ${o.key} per run. The summary table lists the values.` } });
    this.note = el('span', { className: 'chart-note', attrs: { hidden: true, title: 'The extension sent fewer points than it stores. Zoom in to see every point.' } });
    this.status = el('div', { className: 'chart-status', attrs: { 'aria-live': 'polite' } }, 'Loading…');
    this.resetButton = el('button', { className: 'chart-action', attrs: { type: 'button', hidden: true, title: 'Show the whole x range (or double-click the chart)' } }, 'Reset zoom');
    const pngButton = o.host.savePng ? el('button', { className: 'chart-action', attrs: { type: 'button', title: `Save this chart as a PNG image` } }, 'PNG') : null;
    const rect = el('div', { className: 'zoom-rect', attrs: { hidden: true } });
    this.element = el(
      'section',
      { className: 'chart-card', attrs: { 'aria-labelledby': titleId, 'data-metric': o.key } },
      el('header', { className: 'chart-head' }, el('h3', { className: 'chart-title', id: titleId }, o.key), this.note, el('span', { className: 'spacer' }), this.resetButton, pngButton),
      el('div', { className: 'chart-box' }, this.canvas, rect, this.status),
    );
    parent.appendChild(this.element);

    this.resetButton.addEventListener('click', () => this.resetZoom());
    pngButton?.addEventListener('click', () => this.savePng().catch((err: unknown) => this.showEngineError(err)));
    this.detachZoom = attachDragZoom(this.canvas, rect, () => this.chart ?? undefined, {
      onSelect: (a, b) => this.zoomToPixels(a, b),
      onReset: () => this.resetZoom(),
    });
    this.render();
  }

  /** The chart.js instance, built on first use; null until chart.js has loaded (asked for then). */
  get chart(): Chart<'line', Point[]> | null {
    if (this.built || this.destroyed) return this.built;
    const engine = chartEngine();
    if (engine) this.build(engine);
    else void loadChartEngine().catch(() => undefined);
    return this.built;
  }

  /** The chart.js instance once it has drawn data (for tests and the page's registry). */
  get builtChart(): Chart<'line', Point[]> | null {
    return this.shown ? this.built : null;
  }

  private build(engine: ChartEngine): void {
    if (this.quick) {
      // chart.js sizes the canvas from its box: give it back as it was (it is redrawn in this task).
      this.quick = false;
      this.canvas.removeAttribute('width');
      this.canvas.removeAttribute('height');
      this.canvas.style.width = '';
      this.canvas.style.height = '';
    }
    this.optionInputs = this.currentOptionInputs();
    this.built = new engine.Chart<'line', Point[]>(this.canvas, { type: 'line', data: { datasets: this.buildDatasets() }, options: this.buildOptions() });
    chartJsWarm = true;
  }

  /** Asks the host for this chart's data (current axis, zoom and width). */
  load(): void {
    // The box's width: the canvas follows it, but only after chart.js's resize observer ran.
    const w = this.canvas.parentElement?.clientWidth || this.canvas.clientWidth || 600;
    const buckets = chartBuckets(w);
    this.requested = true;
    this.requestedBuckets = buckets;
    const initial = this.initial;
    this.initial = undefined;
    if (initial && initial.xAxis === this.view.xAxis && initial.buckets === buckets && !this.zoom) {
      this.pendingRequest = null;
      this.show(initial.series);
      return;
    }
    this.pendingRequest = this.host.requestSeries({ key: this.key, xAxis: this.view.xAxis, buckets, range: this.zoom?.range ?? null });
    this.updateStatus();
  }

  /** The chart has drawn data. */
  get hasDrawn(): boolean {
    return this.shown;
  }

  get hasRequested(): boolean {
    return this.requested;
  }

  /** Asked for data that has not come yet. */
  get isLoading(): boolean {
    return this.pendingRequest !== null;
  }

  /** A `series` answer; ignored (false) unless it answers this chart's latest request. */
  receive(answer: SeriesAnswer): boolean {
    if (answer.key !== this.key || answer.requestId !== this.pendingRequest) return false;
    this.pendingRequest = null;
    this.show(answer.series);
    return true;
  }

  /** Shows these series in place of what the chart had. */
  private show(series: SeriesMsg[]): void {
    this.loaded.clear();
    for (const s of series) {
      if (s.key !== this.key) continue;
      this.loaded.set(s.runId, loadedOf(s));
    }
    if (this.zoom && (this.zoom.xAxis !== this.view.xAxis || this.zoom.xMin === null)) this.fitZoomToData();
    this.render();
  }

  /** New points of running runs: appended in place, zoom and scales untouched. */
  append(series: SeriesMsg[]): void {
    if (!this.requested) return;
    let changed = false;
    for (const s of series) {
      if (s.key !== this.key) continue;
      const cur = this.loaded.get(s.runId);
      if (!cur) {
        this.loaded.set(s.runId, loadedOf(s));
        changed = true;
        continue;
      }
      const lastStep = cur.steps.length ? cur.steps[cur.steps.length - 1]! : -Infinity;
      let added = 0;
      for (let i = 0; i < s.steps.length; i++) {
        if (s.steps[i]! <= lastStep) continue;
        cur.steps.push(s.steps[i]!);
        cur.times.push(s.times[i]!);
        cur.values.push(gapOf((s.values as ArrayLike<number | null>)[i]));
        added++;
      }
      if (added === 0) continue;
      cur.sourcePoints += s.downsampled ? s.sourcePoints : added;
      cur.downsampled ||= s.downsampled;
      changed = true;
    }
    if (changed) this.render();
  }

  setView(view: ChartView): void {
    const axisChanged = view.xAxis !== this.view.xAxis;
    this.view = view;
    if (axisChanged) {
      if (this.zoom) this.fitZoomToData();
      this.render();
      if (this.requested) this.load();
    } else {
      this.render();
    }
  }

  setRuns(runs: ChartRun[]): void {
    this.runs = runs;
    this.render();
  }

  setPalette(palette: ThemePalette): void {
    this.palette = palette;
    this.render();
  }

  get zoomWindow(): ZoomWindow | null {
    return this.zoom;
  }

  resetZoom(): void {
    if (!this.zoom) return;
    this.zoom = null;
    this.host.zoomChanged(this.key, null);
    this.render();
    this.load();
  }

  async savePng(): Promise<void> {
    await loadChartEngine();
    const chart = this.chart;
    if (!chart || this.destroyed) return;
    this.exporting = true;
    chart.options = this.buildOptions();
    chart.update('none');
    const dataUrl = this.canvas.toDataURL('image/png');
    this.exporting = false;
    chart.options = this.buildOptions();
    chart.update('none');
    this.host.savePng?.(this.key, dataUrl);
  }

  destroy(): void {
    this.destroyed = true;
    clearTimeout(this.resizeTimer);
    this.detachZoom();
    this.built?.destroy();
    this.element.remove();
  }

  // ---- internals ---------------------------------------------------------------------------

  private runStart(runId: string): number {
    return this.runs.find((r) => r.id === runId)?.startTime ?? 0;
  }

  private seriesForRange(): Array<{ cols: PointColumns; runStart: number }> {
    return [...this.loaded].map(([runId, cols]) => ({ cols, runStart: this.runStart(runId) }));
  }

  private zoomToPixels(leftPx: number, rightPx: number): void {
    const scale = this.chart?.scales.x;
    if (!scale) return;
    const xMin = scale.getValueForPixel(leftPx);
    const xMax = scale.getValueForPixel(rightPx);
    if (xMin === undefined || xMax === undefined || !(xMax > xMin)) return;
    const range = stepRangeForWindow(xMin, xMax, this.view.xAxis, this.seriesForRange());
    if (!range) return;
    this.zoom = { xAxis: this.view.xAxis, xMin, xMax, range };
    this.host.zoomChanged(this.key, this.zoom);
    this.render();
    this.load();
  }

  /** After an axis switch: show the zoom's step range in the new axis' units. */
  private fitZoomToData(): void {
    if (!this.zoom) return;
    const ext = xExtentOfRange(this.zoom.range, this.view.xAxis, this.seriesForRange());
    this.zoom = { xAxis: this.view.xAxis, xMin: ext?.xMin ?? null, xMax: ext?.xMax ?? null, range: this.zoom.range };
    this.host.zoomChanged(this.key, this.zoom);
  }



  /** A run's line width, and the colour of its faint raw copy while smoothing (chart.js and the quick paint draw the same). */
  private get lineWidth(): number {
    return this.compact ? 1.25 : 1.75;
  }

  private rawCopyColor(color: string): string {
    return withAlpha(color, this.palette.kind.startsWith('high-contrast') ? 0.4 : 0.25);
  }

  private buildDatasets(): RunDataset[] {
    const out: RunDataset[] = [];
    const { xAxis, logY, smoothing, hidden } = this.view;
    // No data yet (chart.js built on first use, e.g. a drag before the data came): every run, with no points.
    const skeleton = this.loaded.size === 0 && !this.shown;
    for (const run of this.runs) {
      const s = this.loaded.get(run.id) ?? (skeleton ? NO_POINTS : undefined);
      if (!s) continue;
      const style = seriesStyle(this.palette, run.colorIndex);
      const clean = (v: number | null) => (v === null || (logY && v <= 0) ? null : v);
      const xs = s.steps.map((_, i) => xOf(s, i, xAxis, run.startTime));
      const shown = smoothing > 0 ? emaSmooth(s.values, smoothing) : s.values;
      const main: Point[] = xs.map((x, i) => ({ x, y: clean(shown[i] ?? null) }));
      const isHidden = hidden.has(run.id);
      out.push({
        label: run.name,
        runId: run.id,
        role: 'main',
        rawValues: s.values,
        data: main,
        borderColor: style.color,
        backgroundColor: style.color,
        borderDash: style.dash,
        borderWidth: this.lineWidth,
        pointRadius: main.length === 1 ? 3 : 0,
        pointHoverRadius: 3,
        pointBackgroundColor: style.color,
        pointBorderColor: style.color,
        spanGaps: false,
        tension: 0,
        hidden: isHidden,
        order: 0,
      });
      // The faint raw copy exists only while smoothing: ten hidden datasets would still cost
      // chart.js a controller and an options pass each on every update.
      if (smoothing === 0) continue;
      out.push({
        label: `${run.name} (raw)`,
        runId: run.id,
        role: 'raw',
        rawValues: s.values,
        data: xs.map((x, i) => ({ x, y: clean(s.values[i] ?? null) })),
        borderColor: this.rawCopyColor(style.color),
        backgroundColor: withAlpha(style.color, 0.25),
        borderDash: style.dash,
        borderWidth: 1,
        pointRadius: 0,
        pointHoverRadius: 0,
        spanGaps: false,
        tension: 0,
        hidden: isHidden,
        order: 1,
      });
    }
    return out;
  }

  private buildOptions(): ChartOptions<'line'> {
    const p = this.palette;
    const mode = this.view.xAxis;
    const font = { family: p.fontFamily, size: this.axes.fontSize };
    const maxTicks = this.axes.maxXTicks;
    const smoothing = this.view.smoothing;
    const x: Record<string, unknown> = {
      type: 'linear',
      bounds: 'data',
      min: this.zoom?.xMin ?? undefined,
      max: this.zoom?.xMax ?? undefined,
      grid: { color: p.grid },
      border: { color: p.grid },
      title: { display: !this.compact, text: axisTitle(mode), color: p.muted, font },
      ticks: {
        color: p.foreground,
        font,
        maxRotation: 0,
        autoSkip: true,
        maxTicksLimit: maxTicks,
        callback(this: Scale, v: number | string) {
          return formatX(Number(v), mode, this.max - this.min);
        },
      },
      afterBuildTicks: (scale: Scale) => {
        const ticks = timeTicks(scale.min, scale.max, mode, maxTicks);
        if (ticks) scale.ticks = ticks.map((value) => ({ value }));
      },
    };
    const y: Record<string, unknown> = {
      type: this.view.logY ? 'logarithmic' : 'linear',
      grid: { color: p.grid },
      border: { color: p.grid },
      ticks: {
        color: p.foreground,
        font,
        maxTicksLimit: this.axes.maxYTicks,
        callback: (v: number | string) => formatNumber(Number(v)),
      },
    };
    return {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      interaction: { mode: 'runsAtX', intersect: false },
      events: ['mousemove', 'mouseout', 'click', 'touchstart', 'touchmove'],
      scales: { x, y } as ChartOptions<'line'>['scales'],
      onResize: () => this.onResize(),
      plugins: {
        exportBackground: { color: p.background, active: this.exporting },
        legend: {
          display: this.showLegend,
          position: 'bottom',
          onClick: (_e, item: LegendItem) => {
            const ds = this.built?.data.datasets[item.datasetIndex ?? -1] as RunDataset | undefined;
            if (ds) this.host.toggleRun(ds.runId);
          },
          labels: {
            color: p.foreground,
            font,
            boxWidth: 14,
            boxHeight: 3,
            filter: (item, data) => (data.datasets[item.datasetIndex ?? -1] as RunDataset | undefined)?.role === 'main',
            generateLabels: (chart) => chartEngine()!.Chart.defaults.plugins.legend.labels.generateLabels(chart).map((l) => ({ ...l, text: truncate(l.text, LEGEND_LABEL_MAX) })),
          },
        },
        tooltip: {
          backgroundColor: p.background,
          titleColor: p.foreground,
          bodyColor: p.foreground,
          borderColor: p.border,
          borderWidth: 1,
          titleFont: font,
          bodyFont: font,
          boxPadding: 3,
          callbacks: {
            title: (items: TooltipItem<'line'>[]) => (items[0] ? formatXExact(items[0].parsed.x ?? 0, mode) : ''),
            label: (item: TooltipItem<'line'>) => {
              const ds = item.dataset as RunDataset;
              const raw = ds.rawValues[item.dataIndex] ?? null;
              // Hover shows the value as logged, every digit of it.
              let text = `${truncate(ds.label ?? '')}: ${formatExact(raw)}`;
              if (smoothing > 0) text += ` (smoothed ${formatNumber(item.parsed.y)})`;
              return text;
            },
            footer: (items: TooltipItem<'line'>[]) => {
              const x0 = items[0]?.parsed.x;
              const apart = items.filter((i) => i.parsed.x !== x0);
              return apart.length ? apart.map((i) => `${truncate((i.dataset as RunDataset).label ?? '', 24)} at ${formatXExact(i.parsed.x ?? 0, mode)}`) : [];
            },
          },
        },
      },
    };
  }

  private render(): void {
    // Nothing to draw yet: keep the card's "Loading…".
    if (this.loaded.size === 0 && (!this.built || !this.shown)) {
      this.resetButton.hidden = !this.zoom;
      this.updateStatus();
      return;
    }
    if (!this.built) {
      // First data before any setup: paint it at once, chart.js takes over after this frame; or, when
      // a quick paint can't show it (a log axis), build chart.js with it (one layout and draw), once loaded.
      if (!this.paintQuick()) {
        const engine = chartEngine();
        if (!engine) {
          this.renderOnceLoaded();
          return;
        }
        this.build(engine);
      }
    } else {
      const next = this.buildDatasets();
      const cur = this.built.data.datasets as RunDataset[];
      // The same runs in the same roles: update the datasets in place, so chart.js keeps their
      // controllers and elements instead of building new ones.
      if (next.length === cur.length && next.every((d, i) => d.runId === cur[i]!.runId && d.role === cur[i]!.role)) next.forEach((d, i) => Object.assign(cur[i]!, d));
      else this.built.data.datasets = next;
      const inputs = this.currentOptionInputs();
      if (inputs.some((v, i) => v !== this.optionInputs[i])) {
        this.optionInputs = inputs;
        this.built.options = this.buildOptions();
      }
      this.built.update('none');
    }
    if (!this.shown) {
      this.shown = true;
      this.element.dataset.drawn = 'true';
      // When, on the page's clock (the UI trials read it: the editor gives no other way to see it).
      this.element.dataset.drawnAt = performance.now().toFixed(1);
      this.host.firstDrawn?.(this.key);
    }
    this.resetButton.hidden = !this.zoom;
    this.updateNote();
    this.updateStatus();
  }

  /**
   * Paints the datasets without chart.js (see quick-line-paint.ts) and has chart.js take the canvas
   * over in a task after the next frame, so the page shows the data before chart.js's cold start.
   */
  private paintQuick(): boolean {
    // Only while chart.js has not run on this page yet (then it builds in a fraction of that time).
    // A log axis, or a legend with runs struck through (hidden): chart.js draws those itself.
    if (chartJsWarm || this.view.logY || this.destroyed || (this.showLegend && this.view.hidden.size > 0)) return false;
    const { xAxis: mode, smoothing, hidden } = this.view;
    // The lines buildDatasets gives chart.js, from the columns as they are (no point objects).
    const lines: QuickLine[] = [];
    for (const run of this.runs) {
      const s = this.loaded.get(run.id);
      if (!s || hidden.has(run.id)) continue;
      const style = seriesStyle(this.palette, run.colorIndex);
      const xs = mode === 'step' ? s.steps : s.steps.map((_, i) => xOf(s, i, mode, run.startTime));
      lines.push({ xs, ys: smoothing > 0 ? emaSmooth(s.values, smoothing) : s.values, color: style.color, dash: style.dash, width: this.lineWidth, order: 0 });
      if (smoothing > 0) lines.push({ xs, ys: s.values, color: this.rawCopyColor(style.color), dash: style.dash, width: 1, order: 1 });
    }
    const layout = paintQuickLines(this.canvas, {
      lines,
      font: { family: this.palette.fontFamily, size: this.axes.fontSize },
      colors: { ticks: this.palette.foreground, grid: this.palette.grid, title: this.palette.muted },
      xMin: this.zoom?.xMin ?? null,
      xMax: this.zoom?.xMax ?? null,
      maxXTicks: this.axes.maxXTicks,
      maxYTicks: this.axes.maxYTicks,
      formatX: (v, span) => formatX(v, mode, span),
      formatY: (v) => formatNumber(v),
      timeTicks: (min, max) => timeTicks(min, max, mode, this.axes.maxXTicks),
      xTitle: this.compact ? null : axisTitle(mode),
      // As the chart's legend: one entry per run with data.
      legend: this.showLegend ? this.runs.filter((r) => this.loaded.has(r.id)).map((r) => ({ text: truncate(r.name, LEGEND_LABEL_MAX), ...seriesStyle(this.palette, r.colorIndex) })) : null,
    });
    if (!layout) return false;
    // For the webview tests: chart.js must take over with the same axes.
    ((window as unknown as { __looplineQuickPaints?: Record<string, QuickLayout> }).__looplineQuickPaints ??= {})[this.key] = layout;
    if (!this.quick) {
      this.quick = true;
      afterNextPaint(() => {
        void loadChartEngine().then((engine) => {
          if (this.quick && !this.built && !this.destroyed) this.build(engine);
        }, (err: unknown) => this.showEngineError(err));
      });
    }
    return true;
  }

  /** Draws once chart.js has loaded (a first draw the quick paint can't make); "Loading…" meanwhile. */
  private renderOnceLoaded(): void {
    setText(this.status, 'Loading…');
    this.status.hidden = false;
    if (this.awaitingEngine) return;
    this.awaitingEngine = true;
    void loadChartEngine().then(
      () => {
        this.awaitingEngine = false;
        if (!this.destroyed) this.render();
      },
      (err: unknown) => this.showEngineError(err),
    );
  }

  private showEngineError(err: unknown): void {
    this.awaitingEngine = false;
    setText(this.status, err instanceof Error ? err.message : String(err));
    this.status.hidden = false;
  }

  /** Everything buildOptions reads. */
  private currentOptionInputs(): unknown[] {
    const v = this.view;
    return [this.palette, v.xAxis, v.logY, v.smoothing, this.zoom?.xMin, this.zoom?.xMax, this.exporting];
  }

  private updateNote(): void {
    let any = false;
    let shown = 0;
    let source = 0;
    for (const s of this.loaded.values()) {
      any ||= s.downsampled;
      shown += s.values.length;
      source += s.sourcePoints;
    }
    this.note.hidden = !any;
    setText(this.note, any ? `downsampled: ${formatCount(shown)} of ${formatCount(source)} points shown` : '');
  }

  private updateStatus(): void {
    const points = [...this.loaded.values()].reduce((n, s) => n + s.values.length, 0);
    const text = points > 0 ? '' : this.pendingRequest !== null || !this.requested ? 'Loading…' : 'No data';
    setText(this.status, text);
    this.status.hidden = text === '';
  }

  private onResize(): void {
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      if (!this.requested || this.pendingRequest !== null) return;
      const buckets = Math.floor((this.canvas.parentElement?.clientWidth || 0) / 2);
      const downsampled = [...this.loaded.values()].some((s) => s.downsampled);
      if (downsampled && buckets > this.requestedBuckets * 1.25) this.load();
    }, 300);
  }
}

/** chart.js has built a chart on this page: its code has run once, so later charts need no quick paint. */
let chartJsWarm = false;

/** Exposes a chart as window.__looplineCharts[key] (read by the webview tests and the bench), once built. */
export function registerChart(key: string, chart: MetricChart): void {
  const registry = ((window as unknown as { __looplineCharts?: Record<string, unknown> }).__looplineCharts ??= {});
  Object.defineProperty(registry, key, { get: () => chart.builtChart ?? undefined, enumerable: true, configurable: true });
}
