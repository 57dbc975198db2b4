import type { Chart } from 'chart.js';
import type { DatasetDrift } from '../../src/core/monitoring/feature-drift.ts';
import type { DataProfileMsg, HostToProfile, ProfileToHost } from '../../src/protocol/data-profile-protocol.ts';
import { formatBytes, formatCount } from '../../src/shared/display-format.ts';
import { el, replaceChildren, setText } from '../shared/dom-builders.ts';
import { readPalette, type ThemePalette } from '../shared/theme-colors.ts';
import { TaskStatus } from '../shared/task-status.ts';
import { buildButton } from '../shared/vscode-elements.ts';
import type { HostConnection } from '../shared/vscode-api.ts';
import { buildColumnCard } from './column-card.ts';
import { buildCorrelationMatrix } from './correlation-matrix.ts';

declare global {
  interface Window {
    /** Chart instances by column name (read by the webview tests). */
    __looplineCharts?: Record<string, Chart>;
  }
}

type View = { kind: 'profile'; profile: DataProfileMsg } | { kind: 'comparison'; reference: DataProfileMsg; current: DataProfileMsg; drift: DatasetDrift };

/** The Data Profile webview: one file's columns, or two files side by side with each column's drift. */
export class DataProfileApp {
  private readonly root: HTMLElement;
  private readonly host: HostConnection<ProfileToHost>;
  private palette: ThemePalette;
  private view: View | null = null;
  private charts: Chart[] = [];
  private readonly status: TaskStatus;
  private readonly content = el('div');

  constructor(root: HTMLElement, host: HostConnection<ProfileToHost>) {
    this.root = root;
    this.host = host;
    this.palette = readPalette();
    window.__looplineCharts = {};
    this.status = new TaskStatus({ label: 'Profiling progress', cancelTitle: 'Stop reading the file', onCancel: () => host.post({ type: 'cancel' }) });
    replaceChildren(this.root, this.status.error, this.status.progress, this.content);
    setText(this.content, 'Loading…');
  }

  handle(msg: HostToProfile): void {
    switch (msg.type) {
      case 'progress':
        this.status.showProgress(msg.fraction, `Reading ${msg.file}: ${Math.floor(msg.fraction * 100)}% · ${formatCount(msg.rows)} rows`);
        return;
      case 'profile':
        this.status.hideProgress();
        this.show({ kind: 'profile', profile: msg.profile });
        return;
      case 'comparison':
        this.status.hideProgress();
        this.show({ kind: 'comparison', reference: msg.reference, current: msg.current, drift: msg.drift });
        return;
      case 'cancelled':
        this.status.hideProgress();
        this.status.showError(`Profiling ${msg.file} was cancelled.`);
        if (!this.view) replaceChildren(this.content, el('p', { className: 'muted' }, 'Nothing to show: the file was not read to the end.'));
        return;
      case 'error':
        this.status.hideProgress();
        this.status.showError(msg.message);
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

  private show(view: View): void {
    this.teardown();
    this.view = view;
    this.status.hideError();
    const p = view.kind === 'profile' ? view.profile : view.reference;
    const describe = (x: DataProfileMsg) => `${formatCount(x.rows)} rows × ${x.columns.length} columns · ${x.source.format.toUpperCase()} · ${formatBytes(x.source.bytes)}`;
    const header =
      view.kind === 'profile'
        ? el('header', { className: 'profile-header' }, el('h1', null, p.source.name), el('span', { className: 'muted summary' }, describe(p)), el('span', { className: 'muted mono', attrs: { title: `sha256 ${p.source.sha256}` } }, `sha256 ${p.source.sha256.slice(0, 12)}`))
        : el(
            'header',
            { className: 'profile-header' },
            el('h1', null, `${view.reference.source.name} vs ${view.current.source.name}`),
            el('span', { className: 'muted summary' }, `reference: ${describe(view.reference)} · current: ${describe(view.current)}`),
          );
    const actions = el(
      'div',
      { className: 'actions' },
      view.kind === 'profile'
        ? buildButton('Compare with…', { id: 'compare-with', title: 'Compare this file (the reference) with another and test each column for drift' }, () => this.host.post({ type: 'compareWith' }))
        : buildButton('Close comparison', { id: 'close-comparison', secondary: true }, () => this.host.post({ type: 'closeComparison' })),
    );
    const section = (id: string, heading: string, ...body: Array<Node | null>) => el('section', { className: `section-${id}`, attrs: { 'aria-labelledby': `${id}-heading` } }, el('h2', { id: `${id}-heading` }, heading), ...body);
    const cards = el('div', { className: 'cards' });
    const charts: Record<string, Chart> = {};
    const features = view.kind === 'comparison' ? new Map(view.drift.features.map((f) => [f.name, f])) : undefined;
    const skipped = view.kind === 'comparison' ? new Map(view.drift.skipped.map((s) => [s.name, s.reason])) : undefined;
    const currentCols = view.kind === 'comparison' ? new Map(view.current.columns.map((c) => [c.name, c])) : undefined;
    for (const column of p.columns) {
      const card = buildColumnCard(
        column,
        this.palette,
        view.kind === 'comparison' ? { current: currentCols!.get(column.name), drift: features!.get(column.name), skipped: skipped!.get(column.name), labels: [view.reference.source.name, view.current.source.name] } : undefined,
      );
      cards.append(card.element);
      if (card.chart) {
        this.charts.push(card.chart);
        charts[column.name] = card.chart;
      }
    }
    window.__looplineCharts = charts;
    const warnings = [...p.warnings, ...(view.kind === 'comparison' ? view.current.warnings.map((w) => `${view.current.source.name}: ${w}`) : [])];
    replaceChildren(
      this.content,
      header,
      actions,
      view.kind === 'comparison' ? datasetVerdict(view.drift) : null,
      warnings.length ? el('ul', { className: 'warnings' }, ...warnings.map((w) => el('li', null, w))) : null,
      section('columns', 'Columns', cards),
      section('correlation', 'Correlations', p.rows > p.sampleRows ? el('p', { className: 'muted' }, `Pearson's r over a uniform sample of ${formatCount(p.sampleRows)} rows.`) : null, buildCorrelationMatrix(p.correlation, this.palette)),
    );
  }
}

function datasetVerdict(d: DatasetDrift): HTMLElement {
  const text =
    d.status === 'insufficient-data'
      ? 'Not enough data yet to test any column.'
      : `${d.drifted ? 'Dataset drift' : 'No dataset drift'}: ${d.driftedCount} of ${d.testedCount} columns drifted (${Math.round(d.share * 100)}%; the dataset counts as drifted at ${Math.round(d.shareThreshold * 100)}%).`;
  return el('p', { className: 'dataset-drift', attrs: { 'data-status': d.status, role: 'status' } }, text);
}
