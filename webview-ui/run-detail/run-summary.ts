import type { RunDetailMsg } from '../../src/protocol/run-detail-protocol.ts';
import { el, type Child } from '../shared/dom-builders.ts';
import { formatDateTime, formatDuration } from '../../src/shared/display-format.ts';
import { formatStatus } from '../../src/shared/run-status.ts';
import { buildButton } from '../shared/vscode-elements.ts';

/** Key/value tables of the Run Detail panel: summary, git info, params and tags. */
export function keyValueTable(caption: string, rows: Array<[string, Child]>, headers: [string, string], className = '', showHeaders = false): HTMLElement {
  const body = el('tbody');
  for (const [k, v] of rows) body.appendChild(el('tr', null, el('th', { attrs: { scope: 'row' } }, k), el('td', null, v)));
  return el(
    'div',
    { className: 'table-scroll' },
    el(
      'table',
      { className: `data-table kv-table ${className}`.trim() },
      el('caption', { className: 'visually-hidden' }, caption),
      el('thead', { className: showHeaders ? '' : 'visually-hidden' }, el('tr', null, el('th', { attrs: { scope: 'col' } }, headers[0]), el('th', { attrs: { scope: 'col' } }, headers[1]))),
      body,
    ),
  );
}

export function buildSummaryTable(run: RunDetailMsg): HTMLElement {
  const rows: Array<[string, Child]> = [
    ['Status', el('span', { className: `status-badge status-${run.status.toLowerCase()}` }, formatStatus(run.status))],
    ['Started', formatDateTime(run.startTime)],
    ['Ended', run.endTime === null ? (run.status === 'RUNNING' ? 'still running' : '—') : formatDateTime(run.endTime)],
    ['Duration', el('span', { className: 'run-duration' }, formatDuration((run.endTime ?? Date.now()) - run.startTime))],
    ['Command', run.command ? el('code', { className: 'command' }, run.command) : '—'],
    ['Exit code', run.exitCode === null ? '—' : String(run.exitCode)],
    ['Backend', run.backend ?? '—'],
    ['Run ID', el('code', null, run.id)],
  ];
  return keyValueTable('Run summary', rows, ['Field', 'Value'], 'summary-kv');
}

export function buildGitInfo(git: RunDetailMsg['git'], onShowDiff: () => void): HTMLElement {
  if (!git || !git.isRepo) return el('p', { className: 'muted' }, 'The run did not start in a git repository, so no code snapshot was taken.');
  const rows: Array<[string, Child]> = [
    ['Commit', git.commit ? el('code', null, git.commit) : '—'],
    ['Branch', git.branch ?? '(detached)'],
    ['Uncommitted changes', git.dirty ? `yes${git.patchTruncated ? ' (patch truncated)' : ''}` : 'no'],
  ];
  return el('div', { className: 'git-info' }, keyValueTable('Git', rows, ['Field', 'Value']), buildButton('Show Code Diff', { id: 'show-code-diff', title: 'Compare the code this run used with the working tree' }, onShowDiff));
}

export function buildParamsTable(params: Record<string, string>, kind: 'Param' | 'Tag'): HTMLElement {
  const keys = Object.keys(params).sort();
  if (keys.length === 0) return el('p', { className: 'muted' }, kind === 'Param' ? 'No params logged.' : 'No tags.');
  return keyValueTable(kind === 'Param' ? 'Params' : 'Tags', keys.map((k) => [k, params[k] ?? '']), [kind, 'Value'], kind === 'Param' ? 'params-kv' : 'tags-kv', true);
}
