import { el } from '../shared/dom-builders.ts';

/** Enough for any panel: the grid's columns are at least 380 px wide. */
const MAX_CHARTS = 8;

/**
 * The plot width of a chart in the panel's grid when it holds 1, 2, … charts (its columns follow
 * their number), measured on a hidden copy of the grid with the same classes, so the same CSS
 * decides. Stops once another chart no longer narrows them (every column is in use). Sent with
 * `ready`: the extension starts reading the first chart before the page has built it.
 */
export function probeChartWidths(root: HTMLElement): number[] {
  const grid = el('div', { className: 'chart-grid' });
  const probe = el('div', { className: 'mode-panel chart-probe', attrs: { 'aria-hidden': 'true' } }, grid);
  root.appendChild(probe);
  const widths: number[] = [];
  try {
    for (let n = 1; n <= MAX_CHARTS; n++) {
      const box = el('div', { className: 'chart-box' });
      grid.appendChild(el('section', { className: 'chart-card' }, box));
      const w = (grid.querySelector('.chart-box') as HTMLElement).clientWidth;
      if (n > 1 && w === widths[n - 2]) break;
      widths.push(w);
    }
  } finally {
    probe.remove();
  }
  return widths;
}
