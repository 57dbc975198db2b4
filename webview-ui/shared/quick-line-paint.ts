import { niceTicks } from './nice-ticks.ts';

/**
 * A metric chart's first paint without chart.js: its axes, grid, tick labels and lines drawn
 * straight onto the canvas from the same datasets, laid out as chart.js lays them out. chart.js's
 * first run in a new page costs 100-250 ms of cold code before anything shows; this costs a few ms,
 * so the first chart shows its data at once and chart.js takes over the canvas (hover, zoom, live
 * updates) in a task after that frame. Linear y only: a log axis waits for chart.js.
 */

export interface QuickLine {
  /** x and y per point, in x order; a null y is a gap. */
  xs: ArrayLike<number>;
  ys: ArrayLike<number | null>;
  color: string;
  dash: number[];
  width: number;
  /** chart.js's `order`: higher is drawn first (underneath); then the first line is drawn last (on top), as chart.js does. */
  order: number;
}

/** A legend entry (chart.js's legend at the bottom: a short line in the run's style, then its name). */
export interface QuickLegendItem {
  text: string;
  color: string;
  dash: number[];
}

export interface QuickPaint {
  lines: QuickLine[];
  font: { family: string; size: number };
  colors: { ticks: string; grid: string; title: string };
  /** The zoom window, or null to fit the data. */
  xMin: number | null;
  xMax: number | null;
  maxXTicks: number;
  maxYTicks: number;
  formatX(v: number, span: number): string;
  formatY(v: number): string;
  /** Round time ticks for time axes (as the chart's afterBuildTicks), or undefined for nice ticks. */
  timeTicks(min: number, max: number): number[] | undefined;
  /** The x axis title, or null (compact charts). */
  xTitle: string | null;
  /** The legend's entries, or null for none. */
  legend: QuickLegendItem[] | null;
}

/** chart.js's defaults that decide the layout: tick label padding (counted on both sides of a label), tick mark length, title padding. */
const TICK_PADDING = 3;
const TICK_LENGTH = 8;
const TITLE_PADDING = 4;
const LINE_HEIGHT = 1.2;
/** chart.js's legend: padding around items, and the box (boxWidth/boxHeight as the chart sets them). */
const LEGEND_PADDING = 10;
const LEGEND_BOX_WIDTH = 14;
const LEGEND_BOX_HEIGHT = 3;

interface LegendRow {
  items: Array<{ item: QuickLegendItem; width: number }>;
  width: number;
}

/** Items in rows as chart.js fills a horizontal legend: a new row when the next would not fit. */
function legendRows(ctx: CanvasRenderingContext2D, items: QuickLegendItem[], maxWidth: number, fontSize: number): LegendRow[] {
  const rows: LegendRow[] = [];
  for (const item of items) {
    const width = LEGEND_BOX_WIDTH + fontSize / 2 + ctx.measureText(item.text).width;
    let row = rows[rows.length - 1];
    if (!row || row.width + width + 2 * LEGEND_PADDING > maxWidth) rows.push((row = { items: [], width: 0 }));
    row.items.push({ item, width });
    row.width += width + LEGEND_PADDING;
  }
  return rows;
}

/** Where a quick paint put the plot and its ticks (css px; chart.js's chartArea and tick values, to compare). */
export interface QuickLayout {
  left: number;
  right: number;
  top: number;
  bottom: number;
  xTicks: number[];
  yTicks: number[];
}

/** Paints `o` onto `canvas`, sized to its box as chart.js sizes it. Null when there is nothing to draw (chart.js decides then). */
export function paintQuickLines(canvas: HTMLCanvasElement, o: QuickPaint): QuickLayout | null {
  const box = canvas.parentElement;
  const width = box?.clientWidth ?? 0;
  const height = box?.clientHeight ?? 0;
  if (width <= 0 || height <= 0) return null;

  // The x extent: the zoom's window, else every point's (a gap's x counts, as chart.js counts it).
  let xLo = Infinity;
  let xHi = -Infinity;
  for (const l of o.lines) {
    for (let i = 0; i < l.xs.length; i++) {
      if (l.xs[i]! < xLo) xLo = l.xs[i]!;
      if (l.xs[i]! > xHi) xHi = l.xs[i]!;
    }
  }
  const xMin = o.xMin ?? xLo;
  const xMax = o.xMax ?? xHi;
  if (!Number.isFinite(xMin) || !Number.isFinite(xMax)) return null;
  let yLo = Infinity;
  let yHi = -Infinity;
  for (const l of o.lines) {
    for (let i = 0; i < l.xs.length; i++) {
      const v = l.ys[i];
      if (v === null || v === undefined || l.xs[i]! < xMin || l.xs[i]! > xMax) continue;
      if (v < yLo) yLo = v;
      if (v > yHi) yHi = v;
    }
  }
  if (!Number.isFinite(yLo)) return null;

  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.floor(width * dpr);
  canvas.height = Math.floor(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const lineHeight = o.font.size * LINE_HEIGHT;
  ctx.font = `${o.font.size}px ${o.font.family}`;

  // The legend's and the x axis' heights decide the plot's, which decides how many y ticks fit
  // (chart.js: one per line of text).
  const rows = o.legend?.length ? legendRows(ctx, o.legend, width, o.font.size) : [];
  const legendHeight = rows.length ? LEGEND_PADDING + rows.length * (o.font.size + LEGEND_PADDING) : 0;
  const xAxisHeight = TICK_LENGTH + 2 * TICK_PADDING + lineHeight + (o.xTitle ? lineHeight + 2 * TITLE_PADDING : 0);
  // Room above for the top y label's upper half and a label padding.
  const top = lineHeight / 2 + TICK_PADDING;
  const bottom = height - legendHeight - xAxisHeight;
  const y = niceTicks(yLo, yHi, Math.max(2, Math.min(o.maxYTicks, Math.ceil((bottom - top) / lineHeight))), 'ticks');
  const yLabels = y.ticks.map((v) => o.formatY(v));
  const yLabelWidth = Math.max(0, ...yLabels.map((t) => ctx.measureText(t).width));
  const left = yLabelWidth + 2 * TICK_PADDING + TICK_LENGTH;

  // The axis: the data's ends, widened as chart.js widens a single x (every point at step 0).
  const xAxis = niceTicks(xMin, xMax, Math.max(2, Math.min(o.maxXTicks, Math.ceil((width - left) / 40))), 'data');
  const xSpan = xAxis.max - xAxis.min;
  const xTickValues = o.timeTicks(xAxis.min, xAxis.max) ?? xAxis.ticks;
  const xLabels = xTickValues.map((v) => o.formatX(v, xSpan));
  // The last label is centred on its tick: room for its right half and a label padding, less what
  // the plot already has beyond that tick (a time axis' last round tick can be well inside). The
  // room r solves r = half + padding - (1 - f) * (width - left - r), f being the tick's place in the plot.
  const lastTick = xTickValues[xTickValues.length - 1];
  const lastLabel = xLabels.length ? ctx.measureText(xLabels[xLabels.length - 1]!).width : 0;
  const f = lastTick === undefined ? 1 : Math.min(1, Math.max(0, (lastTick - xAxis.min) / xSpan));
  const need = lastLabel / 2 + TICK_PADDING;
  const room = f === 0 ? 0 : Math.max(0, (need - (1 - f) * (width - left)) / f);
  const right = width - room;
  if (right - left < 10 || bottom - top < 10) return null;

  const px = (v: number) => left + ((v - xAxis.min) / xSpan) * (right - left);
  const py = (v: number) => bottom - ((v - y.min) / (y.max - y.min || 1)) * (bottom - top);

  // Grid, tick marks and labels.
  ctx.lineWidth = 1;
  ctx.strokeStyle = o.colors.grid;
  ctx.beginPath();
  for (const v of y.ticks) {
    const yy = Math.round(py(v)) + 0.5;
    ctx.moveTo(left - TICK_LENGTH, yy);
    ctx.lineTo(right, yy);
  }
  for (const v of xTickValues) {
    const xx = Math.round(px(v)) + 0.5;
    ctx.moveTo(xx, top);
    ctx.lineTo(xx, bottom + TICK_LENGTH);
  }
  ctx.moveTo(Math.round(left) + 0.5, top);
  ctx.lineTo(Math.round(left) + 0.5, bottom);
  ctx.lineTo(right, bottom);
  ctx.stroke();
  ctx.fillStyle = o.colors.ticks;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  y.ticks.forEach((v, i) => ctx.fillText(yLabels[i]!, left - TICK_LENGTH - TICK_PADDING, py(v)));
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  xTickValues.forEach((v, i) => ctx.fillText(xLabels[i]!, px(v), bottom + TICK_LENGTH + TICK_PADDING));
  if (o.xTitle) {
    ctx.fillStyle = o.colors.title;
    ctx.fillText(o.xTitle, (left + right) / 2, bottom + TICK_LENGTH + 2 * TICK_PADDING + lineHeight + TITLE_PADDING);
  }

  // The legend, each row centred.
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  rows.forEach((row, r) => {
    let x = (width - row.width + LEGEND_PADDING) / 2;
    const rowTop = height - legendHeight + LEGEND_PADDING + r * (o.font.size + LEGEND_PADDING);
    for (const { item, width: w } of row.items) {
      ctx.fillStyle = item.color;
      ctx.strokeStyle = item.color;
      ctx.lineWidth = LEGEND_BOX_HEIGHT;
      ctx.setLineDash(item.dash);
      ctx.beginPath();
      ctx.moveTo(x, rowTop + o.font.size / 2);
      ctx.lineTo(x + LEGEND_BOX_WIDTH, rowTop + o.font.size / 2);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = o.colors.ticks;
      ctx.fillText(item.text, x + LEGEND_BOX_WIDTH + o.font.size / 2, rowTop + o.font.size / 2);
      x += w + LEGEND_PADDING;
    }
  });

  // The lines, clipped to the plot; a null value breaks the line (spanGaps off).
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, right - left, bottom - top);
  ctx.clip();
  ctx.lineJoin = 'miter';
  const drawOrder = o.lines.map((l, i) => ({ l, i })).sort((a, b) => b.l.order - a.l.order || b.i - a.i);
  for (const { l } of drawOrder) {
    ctx.strokeStyle = l.color;
    ctx.fillStyle = l.color;
    ctx.lineWidth = l.width;
    ctx.setLineDash(l.dash);
    const { xs, ys } = l;
    const only = ys[0];
    if (xs.length === 1 && only !== null && only !== undefined) {
      // chart.js shows a lone point as a dot.
      ctx.beginPath();
      ctx.arc(px(xs[0]!), py(only), 3, 0, Math.PI * 2);
      ctx.fill();
      continue;
    }
    ctx.beginPath();
    if (l.dash.length) traceLine(ctx, xs, ys, px, py);
    else traceByPixelColumn(ctx, xs, ys, px, py);
    ctx.stroke();
  }
  ctx.restore();
  return { left, right, top, bottom, xTicks: xTickValues, yTicks: y.ticks };
}

type ToPixel = (v: number) => number;

/** The line through every point; a gap (null) lifts the pen. */
function traceLine(ctx: CanvasRenderingContext2D, xs: ArrayLike<number>, ys: ArrayLike<number | null>, px: ToPixel, py: ToPixel): void {
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const v = ys[i];
    if (v === null || v === undefined) {
      pen = false;
      continue;
    }
    if (pen) ctx.lineTo(px(xs[i]!), py(v));
    else ctx.moveTo(px(xs[i]!), py(v));
    pen = true;
  }
}

/**
 * The same line with the points that fall in one pixel column drawn as one vertical stroke over
 * their range, at their mean x (then on to the column's last value): what chart.js draws for a
 * solid line, so the first paint and chart.js's look alike; also far fewer segments to raster.
 */
function traceByPixelColumn(ctx: CanvasRenderingContext2D, xs: ArrayLike<number>, ys: ArrayLike<number | null>, px: ToPixel, py: ToPixel): void {
  let pen = false;
  let column = NaN;
  let meanX = 0;
  let inColumn = 0;
  let lo = 0;
  let hi = 0;
  let last = 0;
  const closeColumn = () => {
    if (lo === hi) return;
    ctx.lineTo(meanX, hi);
    ctx.lineTo(meanX, lo);
    ctx.lineTo(meanX, last);
  };
  for (let i = 0; i < xs.length; i++) {
    const v = ys[i];
    if (v === null || v === undefined) {
      if (pen) closeColumn();
      pen = false;
      column = NaN;
      continue;
    }
    const x = px(xs[i]!);
    const y = py(v);
    if (pen && (x | 0) === column) {
      if (y < lo) lo = y;
      else if (y > hi) hi = y;
      meanX = (meanX * inColumn + x) / (inColumn + 1);
      inColumn++;
    } else {
      if (pen) {
        closeColumn();
        ctx.lineTo(x, y);
      } else ctx.moveTo(x, y);
      pen = true;
      column = x | 0;
      meanX = x;
      inColumn = 1;
      lo = hi = y;
    }
    last = y;
  }
  if (pen) closeColumn();
}
