import type { CompareToHost, HostToCompare } from '../../src/protocol/compare-protocol.ts';
import '../shared/base.css';
import { watchTheme } from '../shared/theme-colors.ts';
import { connectToHost, onHostMessage } from '../shared/vscode-api.ts';
import { probeChartWidths } from './chart-width-probe.ts';
import { CompareApp } from './compare-app.ts';
import { parseCompareState } from './compare-state.ts';
import './compare.css';

/** Entry of the Compare webview: restore state, listen, then say `ready` (init comes, or was posted as the panel opened). */
const host = connectToHost<CompareToHost>();
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
const state = parseCompareState(host.loadState());
// This page's id: a check meant for the page before a reload is not this page's to answer.
const page = Math.random().toString(36).slice(2);
// With how wide the charts will be, so the extension can read the first one while init is on its way.
const sayReady = (): void => host.post({ type: 'ready', firstChart: { xAxis: state.xAxis, widths: probeChartWidths(root), zoomed: Object.keys(state.zoom) }, page });
const app = new CompareApp(root, host, state, sayReady, page);
onHostMessage<HostToCompare>((msg) => app.handle(msg));
watchTheme(() => app.themeChanged());
sayReady();
