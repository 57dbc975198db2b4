import type { CorrelationMatrix } from '../../src/core/monitoring/profile-types.ts';
import { el } from '../shared/dom-builders.ts';
import { withAlpha } from '../shared/color-values.ts';
import type { ThemePalette } from '../shared/theme-colors.ts';

/** Pearson's r as a table; cell shade by |r| (blue positive, red negative) set through the CSSOM. */
export function buildCorrelationMatrix(m: CorrelationMatrix, p: ThemePalette): HTMLElement {
  if (m.columns.length < 2) return el('p', { className: 'muted' }, 'Fewer than two numeric columns: no correlations to show.');
  const table = el(
    'table',
    { className: 'correlation', attrs: { 'aria-label': "Pearson correlation between numeric columns" } },
    el('thead', null, el('tr', null, el('th', null, ''), ...m.columns.map((c) => el('th', { attrs: { scope: 'col', title: c } }, c)))),
    el(
      'tbody',
      null,
      ...m.columns.map((row, i) =>
        el(
          'tr',
          null,
          el('th', { attrs: { scope: 'row', title: row } }, row),
          ...m.columns.map((col, j) => {
            const r = m.values[i]?.[j] ?? null;
            const td = el('td', { attrs: { title: `${row} ~ ${col}` } }, r === null ? '–' : r.toFixed(2));
            if (r !== null) td.style.backgroundColor = withAlpha(r >= 0 ? p.series[1]! : p.series[0]!, Math.min(0.85, Math.abs(r)));
            return td;
          }),
        ),
      ),
    ),
  );
  return el('div', { className: 'correlation-scroll' }, table);
}
