import type { Chart } from 'chart.js';
import type { DriftWindow, WindowFeature } from '../../src/core/capture/drift-history.ts';
import type { HostToMonitoring, MonitoringToHost, MonitoringView } from '../../src/protocol/monitoring-protocol.ts';
import { formatClock, formatCount, formatDateTime, formatLiveAccuracy, formatNumber } from '../../src/shared/display-format.ts';
import { driftSparkline, driftStatusWord } from '../../src/shared/drift-sparkline.ts';
import { buildDistributionChart } from '../data-profile/distribution-chart.ts';
import { el, replaceChildren, setText } from '../shared/dom-builders.ts';
import { readPalette, type ThemePalette } from '../shared/theme-colors.ts';
import { buildButton } from '../shared/vscode-elements.ts';
import type { HostConnection } from '../shared/vscode-api.ts';
import { buildTrendChart, type TrendSeries } from './drift-trend-chart.ts';

declare global {
  interface Window {
    /** Chart instances by name (read by the webview tests). */
    __looplineCharts?: Record<string, Chart>;
  }
}

const isStat = (f: WindowFeature) => f.test === 'ks' || f.test === 'chi-squared' || f.test === 'z-test';
/** The value a chart plots for one window's result: the p-value or the distance (null: not tested). */
const score = (f: WindowFeature | undefined) => (!f || f.status === 'insufficient-data' ? null : isStat(f) ? (f.pValue ?? null) : (f.distance ?? null));
const timeLabel = (w: DriftWindow) => formatClock(w.to, 0);

/** The Monitoring webview: drift over time per feature, prediction drift, live accuracy, distributions. */
export class MonitoringApp {
  private readonly root: HTMLElement;
  private readonly host: HostConnection<MonitoringToHost>;
  private palette: ThemePalette;
  private view: MonitoringView | null = null;
  private charts: Chart[] = [];
  private selected: string | null = null;
  private readonly errorBox = el('div', { className: 'banner', attrs: { role: 'alert', hidden: true } });
  private readonly content = el('div');

  constructor(root: HTMLElement, host: HostConnection<MonitoringToHost>) {
    this.root = root;
    this.host = host;
    this.palette = readPalette();
    window.__looplineCharts = {};
    const saved = host.loadState();
    if (saved && typeof saved === 'object' && typeof (saved as { feature?: unknown }).feature === 'string') this.selected = (saved as { feature: string }).feature;
    replaceChildren(this.root, this.errorBox, this.content);
    setText(this.content, 'Loading…');
  }

  handle(msg: HostToMonitoring): void {
    switch (msg.type) {
      case 'view':
        this.errorBox.hidden = true;
        this.show(msg.view);
        return;
      case 'error':
        setText(this.errorBox, msg.message);
        this.errorBox.hidden = false;
        if (!this.view) replaceChildren(this.content);
        return;
      default: {
        const never: never = msg;
        void never;
      }
    }
  }

  themeChanged(): void {
    this.palette = readPalette();
    if (this.view) this.show(this.view);
  }

  private teardown(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    window.__looplineCharts = {};
  }

  private chartBox(name: string, title: string, build: (canvas: HTMLCanvasElement) => Chart): HTMLElement {
    const canvas = el('canvas', { attrs: { role: 'img', 'aria-label': title } });
    const box = el('figure', { className: 'chart-box', attrs: { 'data-chart': name } }, el('figcaption', null, title), el('div', { className: 'chart-area' }, canvas));
    queueMicrotask(() => {
      const chart = build(canvas);
      this.charts.push(chart);
      window.__looplineCharts![name] = chart;
    });
    return box;
  }

  private show(v: MonitoringView): void {
    this.teardown();
    this.view = v;
    const w = v.windows;
    const latest = w[w.length - 1];
    const header = el(
      'header',
      { className: 'monitoring-header' },
      el('h1', null, `${v.deployment}: ${v.model}${v.liveVersion !== null ? ` v${v.liveVersion}` : ''}`),
      el('span', { className: 'sparkline mono', attrs: { title: 'one bar per window: drifted share of features; ! prediction drift only; · not enough data' } }, driftSparkline(w, 40)),
      el('span', { className: 'status', attrs: { 'data-status': v.episode ? 'drift' : (latest?.status ?? 'none') } }, driftStatusWord(latest, v.episode)),
    );
    const actions = el(
      'div',
      { className: 'actions' },
      buildButton('Refresh', { id: 'refresh', secondary: true, title: 'Read new captures and compute new windows' }, () => this.host.post({ type: 'refresh' })),
      buildButton('Retrain from Deployment…', { id: 'retrain', title: "Re-run the live version's training on the labelled traffic" }, () => this.host.post({ type: 'retrain' })),
    );
    const settings = el('p', { className: 'muted' }, `Windows of ${formatCount(v.settings.windowRequests)} captured requests, a new one every ${formatCount(v.settings.windowStep)}; ${formatCount(w.length)} shown.`);
    const episode = v.episode
      ? el('p', { className: 'episode', attrs: { role: 'status' } }, `Drift episode ${v.episode.episode} since ${formatDateTime(v.episode.startedTime)}: ${v.episode.drifted.join(', ') || 'prediction'} (${v.episode.windows} window${v.episode.windows === 1 ? '' : 's'}).`)
      : null;
    if (!w.length) {
      replaceChildren(this.content, header, actions, settings, el('p', { className: 'muted empty' }, `No complete window yet: a window needs ${formatCount(v.settings.windowRequests)} captured requests.`));
      return;
    }
    const labels = w.map(timeLabel);
    const names = w[w.length - 1]!.features.map((f) => f.name);
    const featureCharts = el('div', { className: 'charts' });
    for (const [i, name] of names.entries()) {
      const results = w.map((x) => x.features.find((f) => f.name === name));
      const any = results.find((f) => f && f.status !== 'insufficient-data') ?? results[results.length - 1];
      const stat = any ? isStat(any) : true;
      const threshold = any?.threshold ?? null;
      const series: TrendSeries[] = [{ label: stat ? `${any?.test ?? ''} p-value` : `${any?.test ?? ''} distance`, values: results.map(score), color: i + 1 }];
      if (threshold !== null) series.push({ label: `threshold ${formatNumber(threshold)} (${stat ? 'drift below' : 'drift at or above'})`, values: w.map(() => threshold), color: 0, dashed: true });
      featureCharts.append(this.chartBox(`feature:${name}`, name, (c) => buildTrendChart(c, labels, series, stat ? 'p-value' : 'distance', this.palette, stat ? 1 : undefined)));
    }
    const pred = w.map((x) => x.prediction);
    const predAny = pred.find((p) => p && p.status !== 'insufficient-data');
    const predChart = predAny
      ? this.chartBox(`prediction`, `Predictions vs '${predAny.reference}'`, (c) =>
          buildTrendChart(
            c,
            labels,
            [
              { label: isStat(predAny) ? `${predAny.test} p-value` : `${predAny.test} distance`, values: pred.map((p) => score(p ?? undefined)), color: 5 },
              { label: `threshold ${formatNumber(predAny.threshold)}`, values: w.map(() => predAny.threshold), color: 0, dashed: true },
            ],
            isStat(predAny) ? 'p-value' : 'distance',
            this.palette,
            isStat(predAny) ? 1 : undefined,
          ),
        )
      : el('p', { className: 'muted' }, 'Prediction drift: no window could test it yet (the reference needs its target column).');
    const labelled = w.some((x) => x.accuracy.labelled > 0);
    const accChart = labelled
      ? this.chartBox('accuracy', 'Live accuracy (labelled feedback)', (c) => buildTrendChart(c, labels, [{ label: 'accuracy', values: w.map((x) => x.accuracy.value), color: 4 }], 'accuracy', this.palette, 1))
      : el('p', { className: 'muted no-accuracy' }, 'Live accuracy: no labelled feedback yet (POST /feedback on the endpoint, or loopline feedback NAME --csv FILE).');

    // Two distributions of one feature: the reference and the newest window.
    if (!this.selected || !names.includes(this.selected)) this.selected = names.find((n) => latest!.features.find((f) => f.name === n)?.drifted) ?? names[0] ?? null;
    const picker = el('select', { id: 'feature-picker', attrs: { 'aria-label': 'Feature' } }, ...names.map((n) => el('option', { attrs: { value: n } }, n)));
    picker.value = this.selected ?? '';
    const distBox = el('div', { className: 'distribution' });
    const drawDist = () => {
      const name = this.selected;
      const ref = v.reference.columns.find((c) => c.name === name);
      const cur = v.current?.columns.find((c) => c.name === name);
      const old = window.__looplineCharts?.distribution;
      if (old) {
        old.destroy();
        this.charts = this.charts.filter((c) => c !== old);
      }
      if (!ref || !cur) {
        replaceChildren(distBox, el('p', { className: 'muted' }, 'No distribution for this feature.'));
        return;
      }
      replaceChildren(distBox, this.chartBox('distribution', `${name}: ${v.reference.name} vs ${v.current!.name}`, (c) => buildDistributionChart(c, [{ label: v.reference.name, column: ref }, { label: v.current!.name, column: cur }], this.palette)));
    };
    picker.addEventListener('change', () => {
      this.selected = picker.value;
      this.host.saveState({ feature: this.selected });
      drawDist();
    });
    drawDist();

    const table = el(
      'table',
      { className: 'windows' },
      el('thead', null, el('tr', null, ...['window', 'to', 'version', 'requests', 'status', 'drifted', 'prediction', 'accuracy', 'episode'].map((h) => el('th', null, h)))),
      el(
        'tbody',
        null,
        ...w
          .slice()
          .reverse()
          .map((x) =>
            el(
              'tr',
              { attrs: { 'data-status': x.alert ? 'drift' : x.status } },
              el('td', null, String(x.id)),
              el('td', null, formatDateTime(x.to)),
              el('td', null, x.version === null ? '-' : `v${x.version}`),
              el('td', null, formatCount(x.requests)),
              el('td', null, x.status),
              el('td', null, x.features.filter((f) => f.drifted).map((f) => f.name).join(', ') || '-'),
              el('td', null, x.prediction?.status ?? '-'),
              el('td', null, formatLiveAccuracy(x.accuracy.value, x.accuracy.labelled)),
              el('td', null, x.episode === null ? '-' : String(x.episode)),
            ),
          ),
      ),
    );
    const section = (id: string, heading: string, ...body: Array<Node | null>) => el('section', { className: `section-${id}`, attrs: { 'aria-labelledby': `${id}-heading` } }, el('h2', { id: `${id}-heading` }, heading), ...body);
    replaceChildren(
      this.content,
      header,
      actions,
      settings,
      episode,
      section('features', 'Feature drift over time', featureCharts),
      section('prediction', 'Prediction drift and live accuracy', el('div', { className: 'charts' }, predChart, accChart)),
      section('distribution', 'Distributions', picker, distBox),
      section('windows', 'Windows', table),
    );
  }
}
