import type { Chart } from 'chart.js';

/**
 * Drag across a chart's plot area to pick an x window (a rectangle follows the mouse); double-click
 * resets. Plain mouse events on the canvas; the rectangle is a positioned element over it.
 */
export interface DragZoomHandlers {
  /** Pixel window (CSS px, canvas coordinates), left < right. */
  onSelect(leftPx: number, rightPx: number): void;
  onReset(): void;
}

const MIN_DRAG_PX = 5;

export function attachDragZoom(canvas: HTMLCanvasElement, rect: HTMLElement, getChart: () => Chart | undefined, handlers: DragZoomHandlers): () => void {
  let startX: number | null = null;
  let currentX = 0;

  const canvasX = (e: MouseEvent) => e.clientX - canvas.getBoundingClientRect().left;
  const clamp = (x: number) => {
    const area = getChart()?.chartArea;
    return area ? Math.min(area.right, Math.max(area.left, x)) : x;
  };
  const draw = () => {
    const area = getChart()?.chartArea;
    if (startX === null || !area) return;
    const a = Math.min(startX, currentX);
    const b = Math.max(startX, currentX);
    rect.style.left = `${a}px`;
    rect.style.width = `${b - a}px`;
    rect.style.top = `${area.top}px`;
    rect.style.height = `${area.bottom - area.top}px`;
    rect.hidden = b - a < MIN_DRAG_PX;
  };
  const onDown = (e: MouseEvent) => {
    const area = getChart()?.chartArea;
    if (e.button !== 0 || !area) return;
    const x = canvasX(e);
    const y = e.clientY - canvas.getBoundingClientRect().top;
    if (x < area.left || x > area.right || y < area.top || y > area.bottom) return;
    e.preventDefault();
    startX = x;
    currentX = x;
    window.addEventListener('mousemove', onMove);
    window.addEventListener('mouseup', onUp);
  };
  const onMove = (e: MouseEvent) => {
    currentX = clamp(canvasX(e));
    draw();
  };
  const finish = () => {
    window.removeEventListener('mousemove', onMove);
    window.removeEventListener('mouseup', onUp);
    rect.hidden = true;
    startX = null;
  };
  const onUp = (e: MouseEvent) => {
    if (startX === null) return finish();
    currentX = clamp(canvasX(e));
    const a = Math.min(startX, currentX);
    const b = Math.max(startX, currentX);
    finish();
    if (b - a >= MIN_DRAG_PX) handlers.onSelect(a, b);
  };
  const onDouble = (e: MouseEvent) => {
    e.preventDefault();
    handlers.onReset();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && startX !== null) finish();
  };
  canvas.addEventListener('mousedown', onDown);
  canvas.addEventListener('dblclick', onDouble);
  window.addEventListener('keydown', onKey);
  return () => {
    finish();
    canvas.removeEventListener('mousedown', onDown);
    canvas.removeEventListener('dblclick', onDouble);
    window.removeEventListener('keydown', onKey);
  };
}
