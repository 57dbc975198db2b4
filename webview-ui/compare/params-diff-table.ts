import type { RunMsg } from '../../src/protocol/common.ts';
import { el } from '../shared/dom-builders.ts';
import { seriesStyle, type ThemePalette } from '../shared/theme-colors.ts';

/**
 * Params side by side: a row per param, a column per run. Rows whose values differ across the
 * runs are marked (cells highlighted, "≠" on the row header) and "hide equal" keeps only those.
 */
export interface ParamsDiffOptions {
  runs: RunMsg[];
  paramKeys: string[];
  hideEqual: boolean;
  palette: ThemePalette;
  onOpenRun(runId: string): void;
  onShowCodeDiff(runId: string): void;
}

const MISSING = '\u0000missing';

export function paramDiffers(runs: RunMsg[], key: string): boolean {
  return runs.length > 1 && new Set(runs.map((r) => (Object.hasOwn(r.params, key) ? r.params[key] : MISSING))).size > 1;
}

export function buildParamsDiffTable(o: ParamsDiffOptions): HTMLElement {
  const differing = o.paramKeys.filter((k) => paramDiffers(o.runs, k));
  const caption = el(
    'caption',
    null,
    o.paramKeys.length === 0 ? 'These runs have no params.' : `${differing.length} of ${o.paramKeys.length} params differ across the runs${o.hideEqual ? ' (equal ones hidden)' : ''}.`,
  );
  const headRow = el('tr', null, el('th', { attrs: { scope: 'col' } }, 'Param'));
  for (const run of o.runs) {
    const swatch = el('span', { className: 'swatch', attrs: { 'aria-hidden': 'true' } });
    swatch.style.backgroundColor = seriesStyle(o.palette, run.colorIndex).color;
    const open = el('button', { className: 'link-button', attrs: { type: 'button', title: 'Open this run' } }, run.name);
    open.addEventListener('click', () => o.onOpenRun(run.id));
    headRow.appendChild(el('th', { attrs: { scope: 'col', 'data-run-id': run.id } }, swatch, open));
  }
  const body = el('tbody');
  for (const key of o.paramKeys) {
    const differs = differing.includes(key);
    const row = el(
      'tr',
      { className: differs ? 'differs' : 'equal', attrs: { 'data-param': key, hidden: o.hideEqual && !differs } },
      el('th', { attrs: { scope: 'row' } }, key, differs ? el('span', { className: 'diff-mark', attrs: { title: 'differs across runs' } }, ' ≠') : null, differs ? el('span', { className: 'visually-hidden' }, ' (differs)') : null),
    );
    for (const run of o.runs) {
      const has = Object.hasOwn(run.params, key);
      row.appendChild(el('td', { className: [differs ? 'differs' : '', has ? '' : 'missing'].filter(Boolean).join(' ') }, has ? (run.params[key] ?? '') : '—'));
    }
    body.appendChild(row);
  }
  if (o.runs.length > 0) {
    const codeRow = el('tr', { className: 'code-row' }, el('th', { attrs: { scope: 'row' } }, 'Code'));
    for (const run of o.runs) {
      const b = el('button', { className: 'link-button', attrs: { type: 'button', title: 'Show the code diff of this run' } }, 'Show code diff');
      b.addEventListener('click', () => o.onShowCodeDiff(run.id));
      codeRow.appendChild(el('td', null, b));
    }
    body.appendChild(codeRow);
  }
  return el('div', { className: 'table-scroll' }, el('table', { className: 'data-table params-table' }, caption, el('thead', null, headRow), body));
}
