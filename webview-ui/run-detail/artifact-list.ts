import type { RunDetailMsg } from '../../src/protocol/run-detail-protocol.ts';
import { el } from '../shared/dom-builders.ts';
import { formatBytes } from '../../src/shared/display-format.ts';

/** The run's artifacts; activating one asks the extension to open it. */
export function buildArtifactList(artifacts: RunDetailMsg['artifacts'], onOpen: (path: string) => void): HTMLElement {
  if (artifacts.length === 0) return el('p', { className: 'muted' }, 'This run has no artifacts.');
  const list = el('ul', { className: 'artifact-list' });
  for (const a of artifacts) {
    const b = el('button', { className: 'link-button', attrs: { type: 'button', title: 'Open this artifact', 'data-path': a.path } }, a.path);
    b.addEventListener('click', () => onOpen(a.path));
    list.appendChild(el('li', null, b, a.size === null ? null : el('span', { className: 'muted artifact-size' }, formatBytes(a.size))));
  }
  return list;
}
