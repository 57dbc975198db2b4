import type { Chart } from 'chart.js';
import { loadPageLibrary } from './page-library.ts';

/** chart.js as chart-engine.js hands it over: its parts registered (see chart-registration.ts). */
export interface ChartEngine {
  Chart: typeof Chart;
}

declare global {
  interface Window {
    __looplineChartEngine?: ChartEngine;
  }
}

/** chart.js once chart-engine.js has run, else undefined (see loadChartEngine). */
export function chartEngine(): ChartEngine | undefined {
  return window.__looplineChartEngine;
}

/** Loads chart-engine.js (once): pages draw their first chart without it and load it after. */
export async function loadChartEngine(): Promise<ChartEngine> {
  const ready = chartEngine();
  if (ready) return ready;
  await loadPageLibrary('chart-engine');
  const engine = chartEngine();
  if (!engine) throw new Error('chart-engine.js loaded but did not start: close the view and open it again.');
  return engine;
}
