import type { Chart } from 'chart.js';
import type { DetailToHost, HostToDetail, RunDetailMsg } from '../../src/protocol/run-detail-protocol.ts';
import { buildChartControls, type ChartControlValues } from '../shared/chart-controls.ts';
import { el, replaceChildren, setText } from '../shared/dom-builders.ts';
import { MetricChart, registerChart, type ChartView, type MetricChartHost } from '../shared/metric-chart.ts';
import { formatDuration } from '../../src/shared/display-format.ts';
import { formatStatus } from '../../src/shared/run-status.ts';
import { readPalette, type ThemePalette } from '../shared/theme-colors.ts';
import { VisibilityLoader } from '../shared/visibility-loader.ts';
import type { HostConnection } from '../shared/vscode-api.ts';
import { buildArtifactList } from './artifact-list.ts';
import { LogTail } from './log-tail.ts';
import type { RunDetailState } from './run-detail-state.ts';
import { buildGitInfo, buildParamsTable, buildSummaryTable } from './run-summary.ts';

declare global {
  interface Window {
    /** Chart instances by metric key (read by the webview tests). */
    __looplineCharts?: Record<string, Chart>;
  }
}

/**
 * The Run Detail webview: summary, git info, every metric's chart, params, tags, artifacts and
 * the tail of the log (growing while the run runs).
 */
export class RunDetailApp {
  private readonly root: HTMLElement;
  private readonly host: HostConnection<DetailToHost>;
  private state: RunDetailState;
  private run: RunDetailMsg | null = null;
  private palette: ThemePalette;
  private readonly charts = new Map<string, MetricChart>();
  private readonly counts = new Map<string, number>();
  private visibility: VisibilityLoader | null = null;
  private nextRequestId = 1;
  private durationTimer: ReturnType<typeof setInterval> | undefined;
  private readonly title = el('h1');
  private readonly statusBadge = el('span', { className: 'status-badge' });
  private readonly summaryBox = el('div');
  private readonly gitBox = el('div');
  private readonly paramsBox = el('div');
  private readonly tagsBox = el('div');
  private readonly artifactsBox = el('div');
  private readonly chartGrid = el('div', { className: 'chart-grid' });
  private readonly noMetrics = el('p', { className: 'muted', attrs: { hidden: true } }, 'No metrics logged yet.');
  private readonly logNote = el('p', { className: 'muted', attrs: { hidden: true } }, 'Showing the end of the log.');
  private readonly log = new LogTail();
  private readonly errorBox = el('div', { className: 'banner', attrs: { role: 'alert', hidden: true } });

  constructor(root: HTMLElement, host: HostConnection<DetailToHost>, state: RunDetailState) {
    this.root = root;
    this.host = host;
    this.state = state;
    this.palette = readPalette();
    window.__looplineCharts = {};
    replaceChildren(this.root, el('p', { className: 'muted' }, 'Loading…'));
  }

  handle(msg: HostToDetail): void {
    switch (msg.type) {
      case 'init':
        this.onInit(msg.run, msg.logTail, msg.logTruncated);
        return;
      case 'update':
        this.onUpdate(msg.run, msg.logAppend);
        return;
      case 'series':
        this.charts.get(msg.key)?.receive(msg);
        return;
      case 'error':
        setText(this.errorBox, msg.message);
        this.errorBox.hidden = false;
        return;
      default: {
        const never: never = msg;
        void never;
      }
    }
  }

  themeChanged(): void {
    this.palette = readPalette();
    for (const c of this.charts.values()) c.setPalette(this.palette);
  }

  private onInit(run: RunDetailMsg, logTail: string, logTruncated: boolean): void {
    if (this.state.runId !== run.id) {
      this.state.zoom = {};
      this.state.runId = run.id;
      this.save();
    }
    this.teardown();
    this.run = run;
    const controls = buildChartControls({ xAxis: this.state.xAxis, logY: this.state.logY, smoothing: this.state.smoothing }, (patch) => this.changeView(patch));
    const section = (id: string, heading: string, ...body: Array<Node | null>) =>
      el('section', { className: `section-${id}`, attrs: { 'aria-labelledby': `${id}-heading` } }, el('h2', { id: `${id}-heading` }, heading), ...body);
    replaceChildren(
      this.root,
      el('header', { className: 'run-header' }, this.title, this.statusBadge),
      this.errorBox,
      el('div', { className: 'overview' }, section('summary', 'Summary', this.summaryBox), section('code', 'Code', this.gitBox)),
      section('metrics', 'Metrics', el('div', { className: 'toolbar' }, controls), el('p', { className: 'muted hint' }, 'Drag across a chart to zoom, double-click to reset.'), this.noMetrics, this.chartGrid),
      el('div', { className: 'overview' }, section('params', 'Params', this.paramsBox), section('tags', 'Tags', this.tagsBox)),
      section('artifacts', 'Artifacts', this.artifactsBox),
      section('log', 'Log', this.logNote, this.log.element),
    );
    this.visibility = new VisibilityLoader((el) => {
      const chart = this.charts.get(el.dataset.metric ?? '');
      if (chart && !chart.hasRequested) chart.load();
    });
    this.renderRun(run);
    this.logNote.hidden = !logTruncated;
    this.log.set(logTail);
  }

  private onUpdate(run: RunDetailMsg, logAppend: string): void {
    if (!this.run || run.id !== this.run.id) return;
    this.run = run;
    this.renderRun(run);
    this.log.append(logAppend);
  }

  private renderRun(run: RunDetailMsg): void {
    setText(this.title, run.name);
    setText(this.statusBadge, formatStatus(run.status));
    this.statusBadge.className = `status-badge status-${run.status.toLowerCase()}`;
    document.title = run.name;
    replaceChildren(this.summaryBox, buildSummaryTable(run));
    replaceChildren(this.gitBox, buildGitInfo(run.git, () => this.host.post({ type: 'showCodeDiff' })));
    replaceChildren(this.paramsBox, buildParamsTable(run.params, 'Param'));
    replaceChildren(this.tagsBox, buildParamsTable(run.tags, 'Tag'));
    replaceChildren(this.artifactsBox, buildArtifactList(run.artifacts, (path) => this.host.post({ type: 'openArtifact', path })));
    this.syncCharts(run);
    clearInterval(this.durationTimer);
    if (run.endTime === null && run.status === 'RUNNING') {
      this.durationTimer = setInterval(() => {
        const d = this.summaryBox.querySelector('.run-duration');
        if (d && this.run) setText(d as HTMLElement, formatDuration((this.run.endTime ?? Date.now()) - this.run.startTime));
      }, 1000);
    }
  }

  /** A chart per metric; metrics that got new points are reloaded (the host has no appends here). */
  private syncCharts(run: RunDetailMsg): void {
    const chartRuns = [{ id: run.id, name: run.name, colorIndex: run.colorIndex, startTime: run.startTime }];
    const added: MetricChart[] = [];
    for (const m of [...run.metrics].sort((a, b) => a.key.localeCompare(b.key))) {
      let chart = this.charts.get(m.key);
      if (!chart) {
        chart = new MetricChart(this.chartGrid, { key: m.key, runs: chartRuns, view: this.view(), zoom: this.state.zoom[m.key] ?? null, palette: this.palette, compact: false, legend: false, host: this.chartHost });
        this.charts.set(m.key, chart);
        registerChart(m.key, chart);
        added.push(chart);
      } else {
        chart.setRuns(chartRuns);
        if (chart.hasRequested && this.counts.get(m.key) !== m.count) chart.load();
      }
      this.counts.set(m.key, m.count);
    }
    // Observed once all exist: a chart measures its width for the request, and the grid reflows as charts come.
    for (const c of added) this.visibility?.observe(c.element);
    this.noMetrics.hidden = run.metrics.length > 0;
  }

  private teardown(): void {
    this.visibility?.disconnect();
    this.visibility = null;
    clearInterval(this.durationTimer);
    for (const c of this.charts.values()) c.destroy();
    this.charts.clear();
    this.counts.clear();
    window.__looplineCharts = {};
  }

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
    toggleRun: () => undefined,
  };

  private changeView(patch: Partial<ChartControlValues>): void {
    Object.assign(this.state, patch);
    this.save();
    const view = this.view();
    for (const c of this.charts.values()) c.setView(view);
  }

  private view(): ChartView {
    return { xAxis: this.state.xAxis, logY: this.state.logY, smoothing: this.state.smoothing, hidden: new Set() };
  }

  private save(): void {
    this.host.saveState(this.state);
  }
}
