/**
 * Entry of dist/webview/chart-engine.js: chart.js with the parts the Compare and Run Details charts
 * use, loaded by those pages after their first chart is painted (see page-library.ts).
 */
import { Chart } from 'chart.js';
import type { ChartEngine } from './chart-engine-loader.ts';
import { registerChartParts } from './chart-registration.ts';

registerChartParts();
window.__looplineChartEngine = { Chart } satisfies ChartEngine;
