/** Entry of the Experiment Table webview: wires the host API and messages to the TableApp. */
import './table.css';
import './elements.ts';
import { isObject } from '../../src/protocol/common.ts';
import { isPackedStrings } from '../../src/shared/packed-strings.ts';
import type { HostToTable } from '../../src/protocol/table-protocol.ts';
import { TableApp } from './table-app.ts';
import { connectTableHost } from './vscode-api.ts';

function isChunk(c: unknown): boolean {
  return isObject(c) && typeof c.offset === 'number' && isPackedStrings(c.runIds) && isPackedStrings(c.names);
}

function isHostMessage(m: unknown): m is HostToTable {
  if (!isObject(m)) return false;
  switch (m.type) {
    case 'init':
      return isObject(m.experiment) && typeof m.total === 'number' && typeof m.version === 'number' && isChunk(m.rows);
    case 'rows':
      return isChunk(m.rows);
    case 'aggregateRows':
      return typeof m.version === 'number' && (m.aggregate === 'min' || m.aggregate === 'max') && isObject(m.rows) && typeof m.rows.offset === 'number' && typeof m.rows.count === 'number' && isObject(m.rows.metrics);
    case 'filterResult':
      return typeof m.requestId === 'number' && (m.rows === null || m.rows instanceof Uint32Array || Array.isArray(m.rows)) && (m.error === null || typeof m.error === 'string');
    case 'error':
      return typeof m.message === 'string';
    default:
      return false;
  }
}

const host = connectTableHost();
const app = new TableApp(document.getElementById('app')!, host);
window.addEventListener('message', (e: MessageEvent) => {
  if (isHostMessage(e.data)) app.receive(e.data);
});
host.post({ type: 'ready' });
