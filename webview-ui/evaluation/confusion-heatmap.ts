import { el } from '../shared/dom-builders.ts';
import { formatCount } from '../../src/shared/display-format.ts';
import { withAlpha } from '../shared/color-values.ts';
import type { ThemePalette } from '../shared/theme-colors.ts';

export interface ConfusionMatrix {
  classes: string[];
  matrix: number[][];
}

/**
 * The confusion matrix as a table heatmap (rows: true class, columns: predicted). Counts, or each row
 * divided by its total (recall on the diagonal). Shade by the shown value (by the largest count in
 * counts mode), set through the CSSOM; each cell carries its count and row share as data attributes.
 */
export function buildConfusionHeatmap(cm: ConfusionMatrix, mode: 'counts' | 'normalized', p: ThemePalette, caption: string): HTMLElement {
  const max = Math.max(1, ...cm.matrix.flat());
  const rowTotals = cm.matrix.map((r) => r.reduce((a, b) => a + b, 0));
  const table = el(
    'table',
    { className: 'heatmap', attrs: { 'aria-label': `${caption}: confusion matrix, rows are the true class, columns the predicted class`, 'data-mode': mode } },
    el('caption', null, caption),
    el('thead', null, el('tr', null, el('th', { className: 'corner', attrs: { scope: 'col' } }, 'true \\ predicted'), ...cm.classes.map((c) => el('th', { attrs: { scope: 'col', title: c } }, c)))),
    el(
      'tbody',
      null,
      ...cm.matrix.map((row, i) =>
        el(
          'tr',
          null,
          el('th', { attrs: { scope: 'row', title: cm.classes[i] } }, cm.classes[i]),
          ...row.map((count, j) => {
            const share = rowTotals[i] ? count / rowTotals[i]! : 0;
            const shown = mode === 'counts' ? formatCount(count) : rowTotals[i] ? share.toFixed(2) : '–';
            const td = el('td', { className: i === j ? 'diagonal' : 'off', attrs: { 'data-count': count, 'data-share': share, title: `true ${cm.classes[i]}, predicted ${cm.classes[j]}: ${formatCount(count)} of ${formatCount(rowTotals[i]!)} (${(share * 100).toFixed(1)}%)` } }, shown);
            const intensity = mode === 'counts' ? count / max : share;
            if (intensity > 0) td.style.backgroundColor = withAlpha(i === j ? p.series[1]! : p.series[0]!, 0.12 + 0.73 * intensity);
            return td;
          }),
        ),
      ),
    ),
  );
  return el('div', { className: 'heatmap-scroll' }, table);
}
