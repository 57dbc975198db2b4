import type { RunMsg } from '../../src/protocol/common.ts';
import { el } from '../shared/dom-builders.ts';
import { digitsFor, formatDelta, formatExact, formatNumber } from '../../src/shared/display-format.ts';
import { seriesStyle, type ThemePalette } from '../shared/theme-colors.ts';
import type { MetricSummary, SummaryCell } from './metric-summary.ts';

/** The metric summary as a table: one row group per metric, one row per run. */
export function buildMetricSummaryTable(summaries: MetricSummary[], runs: RunMsg[], palette: ThemePalette): HTMLElement {
  const head = el(
    'tr',
    null,
    ...['Metric', 'Run', 'Last', 'Min', 'Max', 'Best step', 'Δ last vs baseline'].map((h) => el('th', { attrs: { scope: 'col' }, className: h === 'Metric' || h === 'Run' ? '' : 'num' }, h)),
  );
  const table = el(
    'table',
    { className: 'data-table summary-table' },
    el('caption', null, 'Best value per metric marked ★ (lower is better for losses and errors, higher otherwise).'),
    el('thead', null, head),
  );
  for (const s of summaries) {
    const body = el('tbody', { attrs: { 'data-metric': s.key } });
    // Digits from the runs' last values, as the Experiments tree and the table choose them, so a
    // value reads the same here as there (close values still stay apart).
    const digits = digitsFor(s.cells.map((c) => c.last));
    s.cells.forEach((c, i) => {
      const run = runs.find((r) => r.id === c.runId);
      if (!run) return;
      const row = el('tr', { attrs: { 'data-run-id': c.runId } });
      if (i === 0) {
        row.appendChild(
          el('th', { attrs: { scope: 'rowgroup', rowspan: s.cells.length } }, s.key, el('span', { className: 'metric-direction muted' }, s.lowerBetter ? ' (lower is better)' : ' (higher is better)')),
        );
      }
      const swatch = el('span', { className: 'swatch', attrs: { 'aria-hidden': 'true' } });
      swatch.style.backgroundColor = seriesStyle(palette, run.colorIndex).color;
      row.appendChild(el('th', { attrs: { scope: 'row' } }, swatch, run.name));
      if (!c.has) {
        row.appendChild(el('td', { className: 'num muted', attrs: { colspan: 5 } }, 'not logged'));
      } else {
        row.appendChild(el('td', { className: 'num', attrs: { 'data-col': 'last', title: formatExact(c.last) } }, formatNumber(c.last, digits)));
        row.appendChild(valueCell('min', c.min, !s.lowerBetter ? false : c.isBest, digits));
        row.appendChild(valueCell('max', c.max, s.lowerBetter ? false : c.isBest, digits));
        row.appendChild(el('td', { className: 'num', attrs: { 'data-col': 'best-step' } }, c.bestStep === null ? '—' : String(c.bestStep)));
      }
      row.appendChild(deltaCell(c, digits));
      body.appendChild(row);
    });
    table.appendChild(body);
  }
  return el('div', { className: 'table-scroll' }, table);
}

function valueCell(col: 'min' | 'max', v: number | null, best: boolean, digits: number): HTMLElement {
  const td = el('td', { className: `num${best ? ' best' : ''}`, attrs: { 'data-col': col, title: formatExact(v) } });
  if (best) td.append(el('span', { className: 'best-mark', attrs: { 'aria-hidden': 'true' } }, '★ '), el('span', { className: 'visually-hidden' }, 'best: '));
  td.append(formatNumber(v, digits));
  return td;
}

function deltaCell(c: SummaryCell, digits: number): HTMLElement {
  if (c.isBaseline) return el('td', { className: 'num muted', attrs: { 'data-col': 'delta' } }, 'baseline');
  if (c.delta === null) return el('td', { className: 'num muted', attrs: { 'data-col': 'delta' } }, '—');
  const pct = c.deltaPercent === null ? '' : ` (${c.deltaPercent >= 0 ? '+' : '−'}${Math.abs(c.deltaPercent).toFixed(1)}%)`;
  const cls = c.improved === null ? '' : c.improved ? ' better' : ' worse';
  return el('td', { className: `num${cls}`, attrs: { 'data-col': 'delta', title: c.improved === null ? '' : c.improved ? 'better than the baseline' : 'worse than the baseline' } }, formatDelta(c.delta, digits) + pct);
}
