/** Entry of the Experiment Table webview: wires the host API and messages to the TableApp. */
import './table.css';
import './elements.ts';
import { isObject } from '../../src/protocol/common.ts';
import type { HostToTable } from '../../src/protocol/table-protocol.ts';
import { TableApp } from './table-app.ts';
import { connectTableHost } from './vscode-api.ts';

function isHostMessage(m: unknown): m is HostToTable {
  if (!isObject(m)) return false;
  switch (m.type) {
    case 'init':
      return isObject(m.experiment) && isObject(m.data) && Array.isArray((m.data as Record<string, unknown>).runIds);
    case 'filterResult':
      return typeof m.requestId === 'number' && (m.runIds === null || Array.isArray(m.runIds)) && (m.error === null || typeof m.error === 'string');
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
