import { el } from '../shared/dom-builders.ts';

/** Enough for any panel: the grid's columns are at least 380 px wide. */
const MAX_CHARTS = 8;

/**
 * The plot width of a chart in the panel's grid when it holds 1, 2, … charts (its columns follow
 * their number), measured on hidden copies of the grid with the same classes, so the same CSS
 * decides: one copy per count, all laid out at once (one layout, not one per count). Cut where
 * another chart no longer narrows them (every column is in use). Sent with `ready`: the extension
 * starts reading the first chart before the page has built it.
 */
export function probeChartWidths(root: HTMLElement): number[] {
  const grids = Array.from({ length: MAX_CHARTS }, (_, i) => el('div', { className: 'chart-grid' }, ...Array.from({ length: i + 1 }, () => el('section', { className: 'chart-card' }, el('div', { className: 'chart-box' })))));
  const probe = el('div', { className: 'mode-panel chart-probe', attrs: { 'aria-hidden': 'true' } }, ...grids);
  root.appendChild(probe);
  const widths: number[] = [];
  try {
    for (const [i, grid] of grids.entries()) {
      const w = (grid.querySelector('.chart-box') as HTMLElement).clientWidth;
      if (i > 0 && w === widths[i - 1]) break;
      widths.push(w);
    }
  } finally {
    probe.remove();
  }
  return widths;
}
