import {
  Chart,
  Interaction,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartType,
  type InteractionItem,
  type InteractionModeFunction,
  type Plugin,
} from 'chart.js';
import { getRelativePosition } from 'chart.js/helpers';

/**
 * The chart.js pieces the webviews use (and nothing else, to keep the bundle small), plus
 * `runsAtX`, a hover mode that picks, in every visible run whose x range covers the mouse, the
 * point nearest the mouse's x: runs logged at different steps or times still all appear in the
 * tooltip, and a run that ended earlier does not.
 */
declare module 'chart.js' {
  interface InteractionModeMap {
    runsAtX: InteractionModeFunction;
  }
  interface PluginOptionsByType<TType extends ChartType> {
    exportBackground?: { color: string; active: boolean };
  }
}

/** Datasets the webviews build carry the run they belong to and their role. */
export interface RunDatasetTag {
  runId: string;
  role: 'main' | 'raw';
}

function datasetTag(chart: Chart, datasetIndex: number): Partial<RunDatasetTag> {
  return chart.data.datasets[datasetIndex] as unknown as Partial<RunDatasetTag>;
}

/** Pixels beyond a run's first/last point that still count as inside its range. */
const RANGE_SLACK_PX = 3;

type XElement = { getProps(props: string[], final?: boolean): { x?: unknown }; skip?: boolean };

function withinRange(elements: readonly unknown[], x: number, useFinalPosition: boolean | undefined): boolean {
  const els = elements as XElement[];
  const xAt = (i: number) => els[i]!.getProps(['x'], useFinalPosition).x as number;
  let first = 0;
  while (first < els.length && els[first]!.skip) first++;
  let last = els.length - 1;
  while (last >= 0 && els[last]!.skip) last--;
  if (first > last) return false;
  return x >= xAt(first) - RANGE_SLACK_PX && x <= xAt(last) + RANGE_SLACK_PX;
}

const runsAtX: InteractionModeFunction = (chart, e, _options, useFinalPosition) => {
  const pos = getRelativePosition(e, chart as unknown as Chart);
  const area = chart.chartArea;
  if (pos.x < area.left || pos.x > area.right || pos.y < area.top || pos.y > area.bottom) return [];
  const items: InteractionItem[] = [];
  for (let d = 0; d < chart.data.datasets.length; d++) {
    if (!chart.isDatasetVisible(d)) continue;
    const tag = datasetTag(chart as unknown as Chart, d);
    if (tag.role === 'raw') continue;
    const meta = chart.getDatasetMeta(d);
    const elements = meta.data;
    let best = -1;
    let bestDist = Infinity;
    // Points are in x order: binary search, then look around for the nearest non-gap point.
    let lo = 0;
    let hi = elements.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const x = elements[mid]!.getProps(['x'], useFinalPosition).x as number;
      if (x < pos.x) lo = mid + 1;
      else hi = mid;
    }
    for (let i = Math.max(0, lo - 8); i < Math.min(elements.length, lo + 8); i++) {
      const el = elements[i]!;
      if ((el as unknown as { skip?: boolean }).skip) continue;
      const dist = Math.abs((el.getProps(['x'], useFinalPosition).x as number) - pos.x);
      if (dist < bestDist) {
        bestDist = dist;
        best = i;
      }
    }
    // A run contributes only within its own x range: hovering past the step a run ended at
    // must not show that run's last value as if it had one there.
    if (best < 0 || !withinRange(elements, pos.x, useFinalPosition)) continue;
    items.push({ element: elements[best]!, datasetIndex: d, index: best });
  }
  return items;
};

/** Paints the theme background under the chart while exporting a PNG (the canvas is transparent). */
const exportBackground: Plugin = {
  id: 'exportBackground',
  beforeDraw(chart, _args, opts: { color?: string; active?: boolean }) {
    if (!opts.active || !opts.color) return;
    const { ctx } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = opts.color;
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

let registered = false;

export function registerChartParts(): void {
  if (registered) return;
  registered = true;
  Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Legend, exportBackground);
  Interaction.modes.runsAtX = runsAtX;
}
