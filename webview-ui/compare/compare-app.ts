import type { Chart } from 'chart.js';
import type { RunMsg } from '../../src/protocol/common.ts';
import type { CompareInit, CompareToHost, HostToCompare } from '../../src/protocol/compare-protocol.ts';
import { buildChartControls, type ChartControlValues } from '../shared/chart-controls.ts';
import { el, replaceChildren, setText } from '../shared/dom-builders.ts';
import { MetricChart, registerChart, type ChartRun, type ChartView, type MetricChartHost } from '../shared/metric-chart.ts';
import { readPalette, type ThemePalette } from '../shared/theme-colors.ts';
import { VisibilityLoader } from '../shared/visibility-loader.ts';
import type { HostConnection } from '../shared/vscode-api.ts';
import { formatRunCount } from '../../src/shared/display-format.ts';
import { afterNextPaint } from '../shared/after-paint.ts';
import { loadChartEngine, type ChartEngine } from '../shared/chart-engine-loader.ts';
import { loadPageLibrary } from '../shared/page-library.ts';
import { buildButton, buildCheckbox, buildSelect } from '../shared/vscode-elements.ts';
import { buildCompareCsv } from './compare-csv.ts';
import type { CompareViewState } from './compare-state.ts';
import { buildMetricSummaryTable } from './metric-summary-table.ts';
import { summarizeMetrics } from './metric-summary.ts';
import { buildParamsDiffTable } from './params-diff-table.ts';
import { buildRunLegend } from './run-legend.ts';
import { SweepView } from './sweep-view.ts';

/** The toolbar and tables are built by then even if no chart has data yet. */
const DEFERRED_FALLBACK_MS = 500;
/** After the first chart has drawn, the others on screen are waited for this long at most. */
const DEFERRED_AFTER_DRAW_MS = 150;

declare global {
  interface Window {
    /** Chart instances by metric key (read by the webview tests). */
    __looplineCharts?: Record<string, Chart>;
    __looplineSweep?: { scatter: Chart; parallel: () => ReturnType<SweepView['parallelAxes']> } | undefined;
  }
}

/**
 * The Compare webview: metric charts for the selected runs, the params diff, the metric summary
 * and the sweep view; 'inline' mode is the compact docked variant (charts and params only).
 */
export class CompareApp {
  private readonly root: HTMLElement;
  private readonly host: HostConnection<CompareToHost>;
  private state: CompareViewState;
  private init: CompareInit | null = null;
  private runs: RunMsg[] = [];
  private live = false;
  private palette: ThemePalette;
  private readonly charts = new Map<string, MetricChart>();
  private sweep: SweepView | null = null;
  private visibility: VisibilityLoader | null = null;
  private nextRequestId = 1;
  private renderGeneration = 0;
  /** The build of everything but the charts, pending until the first chart has drawn. */
  private deferred: (() => void) | null = null;
  private deferredTimer: ReturnType<typeof setTimeout> | undefined;
  private firstDrawSeen = false;
  private chartGrid: HTMLElement | null = null;
  private readonly legendBox = el('div', { className: 'legend-box' });
  private readonly paramsBox = el('div', { className: 'params-box' });
  private readonly summaryBox = el('div', { className: 'summary-box' });
  private readonly errorBox = el('div', { className: 'banner', attrs: { role: 'alert', hidden: true } });
  private readonly liveBadge = el('span', { className: 'status-badge live-badge', attrs: { hidden: true } }, '● live');

  /** Says `ready` to the extension (again, when an init it posted never came). */
  private readonly sayReady: () => void;
  /** This page's id, as `ready` gave it (see main.ts). */
  private readonly page: string;

  constructor(root: HTMLElement, host: HostConnection<CompareToHost>, state: CompareViewState, sayReady: () => void, page: string) {
    this.root = root;
    this.host = host;
    this.state = state;
    this.sayReady = sayReady;
    this.page = page;
    this.palette = readPalette();
    window.__looplineCharts = {};
    replaceChildren(this.root, el('p', { className: 'muted' }, 'Loading…'));
  }

  handle(msg: HostToCompare): void {
    switch (msg.type) {
      case 'init':
        this.onInit(msg);
        return;
      case 'series':
        this.charts.get(msg.key)?.receive(msg);
        return;
      case 'append':
        this.charts.get(msg.key)?.append(msg.series);
        return;
      case 'runs':
        this.onRuns(msg.runs, msg.live);
        return;
      case 'initCheck':
        // The extension posted an init before this page loaded: one that reloaded meanwhile lost it.
        if (msg.page === this.page && this.init?.initId !== msg.initId) this.sayReady();
        return;
      case 'error':
        this.showError(msg.message);
        return;
      default: {
        const never: never = msg;
        void never;
      }
    }
  }

  private showError(err: unknown): void {
    setText(this.errorBox, err instanceof Error ? err.message : String(err));
    this.errorBox.hidden = false;
  }

  themeChanged(): void {
    this.palette = readPalette();
    for (const c of this.charts.values()) c.setPalette(this.palette);
    this.sweep?.setPalette(this.palette);
    this.renderLegend();
    this.renderTables();
  }

  // ---- messages ----------------------------------------------------------------------------

  private onInit(msg: CompareInit): void {
    const ids = msg.runs.map((r) => r.id);
    const sameRuns = ids.length === this.state.runIds.length && ids.every((id) => this.state.runIds.includes(id));
    if (!sameRuns) {
      this.state.zoom = {};
      this.state.runIds = ids;
    }
    if (this.state.baselineRunId && !ids.includes(this.state.baselineRunId)) this.state.baselineRunId = null;
    this.init = msg;
    this.runs = msg.runs;
    this.live = msg.live;
    this.save();
    this.render();
  }

  private onRuns(runs: RunMsg[], live: boolean): void {
    if (!this.init) return;
    this.runs = runs;
    this.live = live;
    this.liveBadge.hidden = !live;
    for (const c of this.charts.values()) c.setRuns(this.chartRuns());
    // A running run may log a metric the others have not: give it a chart too.
    const keys = new Set(runs.flatMap((r) => r.metrics.map((m) => m.key)));
    for (const k of [...keys].sort()) if (!this.charts.has(k)) this.addChart(k);
    this.renderLegend();
    this.renderTables();
    this.sweep?.update(this.runs, this.hiddenSet());
  }

  // ---- rendering ---------------------------------------------------------------------------

  private get inline(): boolean {
    return this.init?.mode === 'inline';
  }

  private render(): void {
    const init = this.init;
    if (!init) return;
    this.teardown();
    this.root.classList.toggle('mode-inline', this.inline);
    this.root.classList.toggle('mode-panel', !this.inline);
    this.liveBadge.hidden = !this.live;
    this.errorBox.hidden = true;

    // Only the charts are built before the charts on screen ask for their data; the toolbar's
    // controls, the params/summary controls (web components, Lit) and the tables below are built
    // once the first chart has drawn (see renderDeferred), in place of these placeholders.
    const controls = el('span', { className: 'chart-controls-pending' });
    const exports = el('span', { className: 'exports-pending' });
    const header = this.inline
      ? el('div', { className: 'toolbar' }, controls, this.liveBadge, el('span', { className: 'spacer' }), exports)
      : el('div', { className: 'toolbar sticky' }, el('h1', null, `Compare ${formatRunCount(init.runs.length)}`), this.liveBadge, el('span', { className: 'spacer' }), controls, exports);

    this.chartGrid = el('div', { className: 'chart-grid' });
    const metricsSection = el(
      'section',
      { className: 'metrics', attrs: { 'aria-labelledby': 'metrics-heading' } },
      el('h2', { id: 'metrics-heading', className: this.inline ? 'visually-hidden' : '' }, 'Metrics'),
      init.runs.length === 0 ? el('p', { className: 'muted' }, 'No runs selected. Select runs in the Experiments view to compare them.') : null,
      init.runs.length > 0 && init.metricKeys.length === 0 ? el('p', { className: 'muted' }, 'These runs have not logged any metrics yet.') : null,
      el('p', { className: 'muted hint' }, 'Drag across a chart to zoom, double-click to reset. Click a run to hide it.'),
      this.chartGrid,
    );

    const hideEqualSlot = el('span', { className: 'control-pending' });
    const paramsSection = el('section', { className: 'params', attrs: { 'aria-labelledby': 'params-heading' } }, el('div', { className: 'section-head' }, el('h2', { id: 'params-heading' }, 'Params'), hideEqualSlot), this.paramsBox);
    const baselineSlot = el('span', { className: 'control-pending' });
    const summarySection = this.inline
      ? null
      : el('section', { className: 'summary', attrs: { 'aria-labelledby': 'summary-heading' } }, el('div', { className: 'section-head' }, el('h2', { id: 'summary-heading' }, 'Metric summary'), baselineSlot), this.summaryBox);

    const sweepBox = el('div', { className: 'sweep-box' });
    // Another comparison's tables must not show under these charts until they are rebuilt.
    replaceChildren(this.paramsBox);
    replaceChildren(this.summaryBox);
    // The run legend (plain buttons above the charts) is built now, so the charts do not move down later.
    this.renderLegend();
    replaceChildren(this.root, header, this.legendBox, this.errorBox, metricsSection, paramsSection, summarySection, sweepBox);

    this.visibility = new VisibilityLoader((el) => {
      const chart = this.charts.get(el.dataset.metric ?? '');
      if (chart && !chart.hasRequested) chart.load();
    });
    // Create every chart before any measures its width for a request (the grid reflows as they come).
    for (const key of init.metricKeys) this.addChart(key, false);
    for (const c of this.charts.values()) this.visibility.observe(c.element);

    // The rest waits for the charts on screen to draw (a message handler that draws one would
    // otherwise queue behind it): until none is still loading, at most DEFERRED_AFTER_DRAW_MS after
    // the first has drawn, or DEFERRED_FALLBACK_MS when the data is slow or no chart asked.
    const generation = ++this.renderGeneration;
    const steps: Array<() => void | Promise<void>> = [
      () => this.renderToolbar(controls, exports),
      () => this.renderSectionControls(hideEqualSlot, baselineSlot),
      () => this.renderTables(),
      // The sweep's scatter is a chart.js chart: it waits for chart.js (loaded after the first chart).
      async () => {
        const engine = await loadChartEngine();
        if (generation === this.renderGeneration) this.renderSweep(sweepBox, engine);
      },
    ];
    // One part per task, so that a chart's data arriving meanwhile is drawn between them.
    const next = () => {
      if (generation !== this.renderGeneration) return;
      Promise.resolve(steps.shift()?.()).then(() => {
        if (generation !== this.renderGeneration) return;
        if (steps.length) setTimeout(next, 0);
        else this.root.removeAttribute('aria-busy');
      }, (err: unknown) => this.showError(err));
    };
    // Assistive technology (and the tests) know the page is still being built.
    this.root.setAttribute('aria-busy', 'true');
    this.deferred = () => {
      if (generation !== this.renderGeneration) return;
      this.deferred = null;
      clearTimeout(this.deferredTimer);
      // The controls are web components, loaded after the first chart.
      loadPageLibrary('elements').then(next, (err: unknown) => this.showError(err));
    };
    this.firstDrawSeen = false;
    const anyRequested = [...this.charts.values()].some((c) => c.hasRequested);
    this.deferredTimer = setTimeout(() => this.runDeferred(), anyRequested ? DEFERRED_FALLBACK_MS : 0);
    // A chart drawn already (its series came with init) said so before there was anything to defer.
    if ([...this.charts.values()].some((c) => c.hasDrawn)) this.chartDrawn();
  }

  /** A chart drew its first data: build the rest once the charts on screen are all drawn. */
  private chartDrawn(): void {
    if (!this.deferred) return;
    if ([...this.charts.values()].some((c) => c.isLoading)) {
      if (this.firstDrawSeen) return;
      this.firstDrawSeen = true;
      clearTimeout(this.deferredTimer);
      this.deferredTimer = setTimeout(() => this.runDeferred(), DEFERRED_AFTER_DRAW_MS);
      return;
    }
    this.runDeferred();
  }

  /** Runs the deferred build after the next paint (so a chart just drawn shows first). */
  private runDeferred(): void {
    const run = this.deferred;
    if (!run) return;
    afterNextPaint(run);
  }

  private renderSectionControls(hideEqualSlot: HTMLElement, baselineSlot: HTMLElement): void {
    const init = this.init;
    if (!init) return;
    hideEqualSlot.replaceWith(
      buildCheckbox('Hide equal', 'hide-equal', this.state.hideEqualParams, (checked) => {
        this.state.hideEqualParams = checked;
        this.save();
        this.renderTables();
      }),
    );
    if (this.inline || init.runs.length === 0) {
      baselineSlot.remove();
      return;
    }
    baselineSlot.replaceWith(
      el(
        'span',
        { className: 'control' },
        el('span', { className: 'control-label', attrs: { 'aria-hidden': 'true' } }, 'Baseline'),
        buildSelect('Baseline run', 'baseline-select', init.runs.map((r) => ({ value: r.id, label: r.name })), this.baselineId() ?? '', (v) => {
          this.state.baselineRunId = v;
          this.save();
          this.renderTables();
        }),
      ),
    );
  }

  private renderToolbar(controlsSlot: HTMLElement, exportsSlot: HTMLElement): void {
    controlsSlot.replaceWith(buildChartControls({ xAxis: this.state.xAxis, logY: this.state.logY, smoothing: this.state.smoothing }, (patch) => this.changeView(patch)));
    exportsSlot.replaceWith(
      el(
        'span',
        { className: 'control exports' },
        buildButton('CSV', { id: 'export-csv', secondary: true, title: 'Save the summary and params tables as CSV' }, () => this.saveCsv()),
        buildButton('Export data', { id: 'export-data', secondary: true, title: 'Export every point of these metrics (full resolution)' }, () => this.host.post({ type: 'exportData', keys: [...this.charts.keys()] })),
      ),
    );
  }

  private renderSweep(sweepBox: HTMLElement, engine: ChartEngine): void {
    const init = this.init;
    if (!init) return;
    if (!this.inline && init.sweepParams.length > 0 && init.metricKeys.length > 0) {
      const sel = {
        metric: this.pick(this.state.sweepMetric, init.metricKeys),
        scatterParam: this.pick(this.state.scatterParam, init.paramKeys, init.sweepParams[0]),
        scatterMetric: this.pick(this.state.scatterMetric, init.metricKeys),
      };
      this.sweep = new SweepView(sweepBox, {
        sweepParams: init.sweepParams,
        paramKeys: init.paramKeys,
        metricKeys: init.metricKeys,
        selection: sel,
        palette: this.palette,
        engine,
        onSelectionChange: (s) => {
          this.state.sweepMetric = s.metric;
          this.state.scatterParam = s.scatterParam;
          this.state.scatterMetric = s.scatterMetric;
          this.save();
        },
      });
      this.sweep.update(this.runs, this.hiddenSet());
      const sweep = this.sweep;
      window.__looplineSweep = { scatter: sweep.scatter as unknown as Chart, parallel: () => sweep.parallelAxes() };
    } else {
      window.__looplineSweep = undefined;
    }
  }

  private pick(saved: string | null, options: string[], fallback?: string): string {
    if (saved !== null && options.includes(saved)) return saved;
    return fallback ?? options[0] ?? '';
  }

  private addChart(key: string, observe = true): void {
    if (!this.chartGrid) return;
    const chart = new MetricChart(this.chartGrid, {
      key,
      runs: this.chartRuns(),
      view: this.view(),
      zoom: this.state.zoom[key] ?? null,
      palette: this.palette,
      compact: this.inline,
      legend: !this.inline && this.runs.length <= 10,
      initial: this.init?.firstSeries?.key === key ? this.init.firstSeries : undefined,
      host: this.chartHost,
    });
    this.charts.set(key, chart);
    registerChart(key, chart);
    if (observe) this.visibility?.observe(chart.element);
  }

  private renderLegend(): void {
    const focused = document.activeElement instanceof HTMLElement && this.legendBox.contains(document.activeElement) ? document.activeElement.dataset.runId : undefined;
    replaceChildren(this.legendBox, this.runs.length ? buildRunLegend(this.runs, this.hiddenSet(), this.palette, (id) => this.toggleRun(id)) : null);
    // Live updates rebuild the legend: keep keyboard focus on the same run.
    if (focused) this.legendBox.querySelector<HTMLElement>(`button[data-run-id="${CSS.escape(focused)}"]`)?.focus();
  }

  private renderTables(): void {
    const init = this.init;
    if (!init) return;
    replaceChildren(
      this.paramsBox,
      buildParamsDiffTable({
        runs: this.runs,
        paramKeys: this.paramKeys(),
        hideEqual: this.state.hideEqualParams,
        palette: this.palette,
        onOpenRun: (runId) => this.host.post({ type: 'openRun', runId }),
        onShowCodeDiff: (runId) => this.host.post({ type: 'showCodeDiff', runId }),
      }),
    );
    if (!this.inline) replaceChildren(this.summaryBox, buildMetricSummaryTable(summarizeMetrics(this.runs, this.metricKeys(), this.baselineId()), this.runs, this.palette));
  }

  private teardown(): void {
    clearTimeout(this.deferredTimer);
    this.deferred = null;
    this.visibility?.disconnect();
    this.visibility = null;
    for (const c of this.charts.values()) c.destroy();
    this.charts.clear();
    this.sweep?.destroy();
    this.sweep = null;
    window.__looplineCharts = {};
  }

  // ---- state and actions -------------------------------------------------------------------

  private readonly chartHost: MetricChartHost = {
    requestSeries: (req) => {
      const requestId = this.nextRequestId++;
      this.host.post({ type: 'requestSeries', requestId, key: req.key, xAxis: req.xAxis, buckets: req.buckets, range: req.range });
      return requestId;
    },
    zoomChanged: (key, zoom) => {
      if (zoom) this.state.zoom[key] = zoom;
      else delete this.state.zoom[key];
      this.save();
    },
    toggleRun: (runId) => this.toggleRun(runId),
    firstDrawn: () => this.chartDrawn(),
    savePng: (key, dataUrl) => this.host.post({ type: 'savePng', fileName: `${key.replace(/[^\w.-]+/g, '_') || 'chart'}.png`, dataUrl }),
  };

  private changeView(patch: Partial<ChartControlValues>): void {
    Object.assign(this.state, patch);
    this.save();
    const view = this.view();
    for (const c of this.charts.values()) c.setView(view);
  }

  private toggleRun(runId: string): void {
    const hidden = this.hiddenSet();
    if (hidden.has(runId)) hidden.delete(runId);
    else hidden.add(runId);
    this.state.hiddenRuns = [...hidden];
    this.save();
    const view = this.view();
    for (const c of this.charts.values()) c.setView(view);
    this.sweep?.update(this.runs, hidden);
    // Update the legend buttons in place so keyboard focus stays where it was.
    for (const b of this.legendBox.querySelectorAll<HTMLButtonElement>('button[data-run-id]')) {
      const isHidden = hidden.has(b.dataset.runId ?? '');
      b.setAttribute('aria-pressed', String(!isHidden));
      b.classList.toggle('is-hidden', isHidden);
      b.title = isHidden ? 'Show this run in the charts' : 'Hide this run in the charts';
    }
  }

  private saveCsv(): void {
    const summaries = summarizeMetrics(this.runs, this.metricKeys(), this.baselineId());
    this.host.post({ type: 'saveCsv', fileName: 'loopline-compare.csv', csv: buildCompareCsv(this.runs, this.paramKeys(), summaries, this.baselineId()) });
  }

  private hiddenSet(): Set<string> {
    return new Set(this.state.hiddenRuns);
  }

  private baselineId(): string | null {
    const id = this.state.baselineRunId;
    return id && this.runs.some((r) => r.id === id) ? id : (this.runs[0]?.id ?? null);
  }

  private metricKeys(): string[] {
    return this.charts.size ? [...this.charts.keys()] : (this.init?.metricKeys ?? []);
  }

  private paramKeys(): string[] {
    const keys = new Set(this.init?.paramKeys ?? []);
    for (const r of this.runs) for (const k of Object.keys(r.params)) keys.add(k);
    return [...keys].sort();
  }

  private chartRuns(): ChartRun[] {
    return this.runs.map((r) => ({ id: r.id, name: r.name, colorIndex: r.colorIndex, startTime: r.startTime }));
  }

  private view(): ChartView {
    return { xAxis: this.state.xAxis, logY: this.state.logY, smoothing: this.state.smoothing, hidden: this.hiddenSet() };
  }

  private save(): void {
    this.host.saveState(this.state);
  }
}
