/**
 * Runs `fn` in a task after the next frame has been painted: what the user waits for shows first,
 * and work that can wait (chart.js taking a chart over, the rows just out of view) follows.
 */
export function afterNextPaint(fn: () => void): void {
  requestAnimationFrame(() => setTimeout(fn, 0));
}
