import type { RunMsg } from '../../src/protocol/common.ts';
import { el } from '../shared/dom-builders.ts';
import { seriesStyle, type ThemePalette } from '../shared/theme-colors.ts';

/**
 * The runs being compared, as toggle buttons with their colour: pressing one hides that run in
 * every chart (the keyboard-reachable twin of clicking a chart legend).
 */
export function buildRunLegend(runs: RunMsg[], hidden: ReadonlySet<string>, palette: ThemePalette, onToggle: (runId: string) => void): HTMLElement {
  const list = el('ul', { className: 'run-legend', attrs: { 'aria-label': 'Runs (press to hide or show in the charts)' } });
  for (const run of runs) {
    const style = seriesStyle(palette, run.colorIndex);
    const swatch = el('span', { className: `swatch${style.dash.length ? ' swatch-dashed' : ''}`, attrs: { 'aria-hidden': 'true' } });
    swatch.style.backgroundColor = style.color;
    const isHidden = hidden.has(run.id);
    const button = el(
      'button',
      { className: `run-chip${isHidden ? ' is-hidden' : ''}`, attrs: { type: 'button', 'aria-pressed': String(!isHidden), 'data-run-id': run.id, title: isHidden ? 'Show this run in the charts' : 'Hide this run in the charts' } },
      swatch,
      el('span', { className: 'run-chip-name' }, run.name),
      run.status === 'RUNNING' ? el('span', { className: 'run-chip-status' }, '● running') : run.status === 'FAILED' || run.status === 'KILLED' ? el('span', { className: 'run-chip-status' }, run.status.toLowerCase()) : null,
    );
    button.addEventListener('click', () => onToggle(run.id));
    list.appendChild(el('li', null, button));
  }
  return list;
}
