import type { Chart } from 'chart.js';
import type { FeatureDrift } from '../../src/core/monitoring/feature-drift.ts';
import type { ColumnProfileMsg } from '../../src/protocol/data-profile-protocol.ts';
import { formatCount, formatNumber } from '../../src/shared/display-format.ts';
import { el } from '../shared/dom-builders.ts';
import type { ThemePalette } from '../shared/theme-colors.ts';
import { buildDistributionChart, type Distribution } from './distribution-chart.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function statRows(c: ColumnProfileMsg): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['values', formatCount(c.count)],
    ['missing', `${formatCount(c.missing)} (${pct(c.missingRate)})`],
    ['distinct', `${formatCount(c.distinct)}${c.distinctCapped ? '+' : ''}`],
  ];
  if (c.numeric) {
    const q = (p: number) => formatNumber(c.numeric!.quantiles.find((x) => x.p === p)?.value ?? NaN);
    rows.push(['mean', formatNumber(c.numeric.mean)], ['std', formatNumber(c.numeric.std)], ['min', formatNumber(c.numeric.min)], ['25%', q(0.25)], ['median', q(0.5)], ['75%', q(0.75)], ['max', formatNumber(c.numeric.max)], ['zeros', formatCount(c.numeric.zeros)]);
  } else if (c.top?.length) {
    rows.push(['most frequent', `${c.top[0]!.value} (${pct(c.top[0]!.count / Math.max(1, c.count))})`]);
    if (c.text) rows.push(['length', `${c.text.minLength}–${c.text.maxLength} (mean ${formatNumber(c.text.meanLength)})`]);
  }
  return rows;
}

function statsTable(c: ColumnProfileMsg, other?: ColumnProfileMsg): HTMLTableElement {
  const mine = statRows(c);
  const theirs = other ? new Map(statRows(other)) : undefined;
  return el(
    'table',
    { className: 'stats' },
    theirs ? el('thead', null, el('tr', null, el('th', null, ''), el('th', { attrs: { scope: 'col' } }, 'reference'), el('th', { attrs: { scope: 'col' } }, 'current'))) : null,
    el('tbody', null, ...mine.map(([k, v]) => el('tr', null, el('th', { attrs: { scope: 'row' } }, k), el('td', null, v), theirs ? el('td', null, theirs.get(k) ?? '–') : null))),
  );
}

function driftLine(d: FeatureDrift): HTMLElement {
  const value = d.pValue !== undefined ? (d.pValue === null ? '–' : `p ${d.pValue < 1e-12 ? '< 1e-12' : `= ${formatNumber(d.pValue)}`} (drift if < ${d.threshold})`) : d.distance === null || d.distance === undefined ? '–' : `distance ${formatNumber(d.distance)} (drift if ≥ ${d.threshold})`;
  const status =
    d.status === 'insufficient-data' ? `not enough data${d.neededMore ? `: ${formatCount(d.neededMore)} more rows needed` : d.note ? `: ${d.note}` : ''}` : d.status === 'drift' ? 'drift' : 'no drift';
  return el(
    'div',
    { className: `drift drift-${d.status}`, attrs: { 'data-status': d.status } },
    el('span', { className: 'drift-status' }, status),
    el('span', { className: 'muted' }, ` · ${d.test} · ${value} · n = ${formatCount(d.sampleSize)}${d.psi.value !== null ? ` · PSI ${formatNumber(d.psi.value)}${d.psi.level && d.psi.level !== 'none' ? ` (${d.psi.level})` : ''}` : ''}`),
  );
}

export interface ColumnCard {
  element: HTMLElement;
  chart: Chart | null;
}

/** One column: name, type, stats, its distribution (both files' in a comparison) and drift. */
export function buildColumnCard(column: ColumnProfileMsg, palette: ThemePalette, compare?: { current: ColumnProfileMsg | undefined; drift: FeatureDrift | undefined; skipped?: string; labels: [string, string] }): ColumnCard {
  const canvas = el('canvas', { attrs: { role: 'img', 'aria-label': `Distribution of ${column.name}` } });
  const chartBox = el('div', { className: 'chart-box' }, canvas);
  const card = el(
    'article',
    { className: 'column-card', attrs: { 'data-column': column.name, 'aria-label': `Column ${column.name}` } },
    el('header', { className: 'card-header' }, el('h3', { className: 'column-name' }, column.name), el('span', { className: `type-badge type-${column.type}` }, column.type)),
    compare?.drift ? driftLine(compare.drift) : compare?.skipped ? el('div', { className: 'drift muted' }, `not tested: ${compare.skipped}`) : null,
    chartBox,
    statsTable(column, compare?.current),
  );
  const dists: Distribution[] = [{ label: compare ? compare.labels[0] : column.name, column }];
  if (compare?.current) dists.push({ label: compare.labels[1], column: compare.current });
  const drawable = column.type !== 'text' || (column.top?.length ?? 0) > 0;
  let chart: Chart | null = null;
  if (drawable && column.count > 0) chart = buildDistributionChart(canvas, dists, palette);
  else chartBox.replaceChildren(el('p', { className: 'muted' }, column.count ? 'Free text: no distribution chart.' : 'All values missing.'));
  return { element: card, chart };
}
