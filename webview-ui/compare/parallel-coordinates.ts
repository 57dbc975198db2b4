import type { RunMsg } from '../../src/protocol/common.ts';
import { withAlpha } from '../shared/color-values.ts';
import { formatNumber as formatValue } from '../../src/shared/display-format.ts';
import { seriesStyle, type ThemePalette } from '../shared/theme-colors.ts';
import type { SweepAxis } from './sweep-axes.ts';

/**
 * Parallel coordinates drawn on a canvas: one vertical axis per varying param and the chosen
 * metric last, one polyline per run in its colour. Labels are canvas text (never markup).
 */
const MARGIN = { top: 34, bottom: 26, left: 16, right: 16 };

function fit(ctx: CanvasRenderingContext2D, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

export function drawParallelCoordinates(canvas: HTMLCanvasElement, axes: SweepAxis[], runs: RunMsg[], palette: ThemePalette): void {
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx || width === 0 || height === 0) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  if (axes.length < 2) return;

  const font = `11px ${palette.fontFamily}`;
  ctx.font = font;
  const left = MARGIN.left + 40;
  const right = width - MARGIN.right - 40;
  const top = MARGIN.top;
  const bottom = height - MARGIN.bottom;
  const gap = (right - left) / (axes.length - 1);
  const xAt = (i: number) => left + i * gap;
  const yAt = (pos: number) => bottom - pos * (bottom - top);

  // Lines first, axes over them.
  for (const run of runs) {
    const style = seriesStyle(palette, run.colorIndex);
    ctx.strokeStyle = withAlpha(style.color, 0.9);
    ctx.lineWidth = 2;
    ctx.setLineDash(style.dash);
    ctx.beginPath();
    let drawing = false;
    axes.forEach((axis, i) => {
      const pos = axis.positionOf(run);
      if (pos === null) {
        drawing = false;
        return;
      }
      if (drawing) ctx.lineTo(xAt(i), yAt(pos));
      else ctx.moveTo(xAt(i), yAt(pos));
      drawing = true;
    });
    ctx.stroke();
  }
  ctx.setLineDash([]);

  // Tick labels get a halo in the background colour so lines crossing them stay readable.
  const label = (text: string, x: number, y: number) => {
    ctx.lineWidth = 3;
    ctx.strokeStyle = palette.background;
    ctx.lineJoin = 'round';
    ctx.strokeText(text, x, y);
    ctx.fillText(text, x, y);
  };
  axes.forEach((axis, i) => {
    const x = xAt(i);
    ctx.strokeStyle = palette.foreground;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.stroke();
    ctx.fillStyle = palette.foreground;
    ctx.textAlign = i === 0 ? 'left' : i === axes.length - 1 ? 'right' : 'center';
    ctx.textBaseline = 'bottom';
    ctx.font = `600 ${font}`;
    const labelX = i === 0 ? x - 20 : i === axes.length - 1 ? x + 20 : x;
    ctx.fillText(fit(ctx, axis.label, Math.max(40, gap - 8)), labelX, top - 12);
    ctx.font = font;
    ctx.fillStyle = palette.muted;
    ctx.textBaseline = 'middle';
    const tickAlign: CanvasTextAlign = i === axes.length - 1 ? 'right' : 'left';
    const tickX = i === axes.length - 1 ? x - 5 : x + 5;
    ctx.textAlign = tickAlign;
    const tickWidth = Math.max(30, gap / 2 - 8);
    if (axis.kind === 'numeric') {
      label(fit(ctx, formatValue(axis.max), tickWidth), tickX, yAt(axis.positionOfValue(axis.max)));
      if (axis.max !== axis.min) label(fit(ctx, formatValue(axis.min), tickWidth), tickX, yAt(axis.positionOfValue(axis.min)));
    } else {
      const n = axis.categories.length;
      const step = Math.max(1, Math.ceil(n / Math.max(1, Math.floor((bottom - top) / 14))));
      axis.categories.forEach((c, k) => {
        if (k % step !== 0 && k !== n - 1) return;
        label(fit(ctx, c, tickWidth), tickX, yAt(axis.positionOfValue(k)));
      });
    }
  });
}
