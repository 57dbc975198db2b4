import type { XAxisMode } from '../../src/protocol/common.ts';
import { el, setText } from './dom-builders.ts';
import { buildCheckbox, buildSelect } from './vscode-elements.ts';
import { X_AXIS_LABELS } from './x-axis.ts';

/** The x-axis switch, log-scale toggle and smoothing slider that sit above metric charts. */
export interface ChartControlValues {
  xAxis: XAxisMode;
  logY: boolean;
  smoothing: number;
}

export function buildChartControls(initial: ChartControlValues, onChange: (patch: Partial<ChartControlValues>) => void): HTMLElement {
  const xAxis = buildSelect(
    'X axis',
    'x-axis-select',
    (Object.keys(X_AXIS_LABELS) as XAxisMode[]).map((m) => ({ value: m, label: X_AXIS_LABELS[m] })),
    initial.xAxis,
    (v) => {
      if (v === 'step' || v === 'relative' || v === 'wall') onChange({ xAxis: v });
    },
  );
  const log = buildCheckbox('Log scale', 'log-scale', initial.logY, (checked) => onChange({ logY: checked }));

  const slider = el('input', { id: 'smoothing', attrs: { type: 'range', min: 0, max: 0.99, step: 0.01 } });
  slider.value = String(initial.smoothing);
  const output = el('output', { className: 'smoothing-value', attrs: { for: 'smoothing' } }, initial.smoothing.toFixed(2));
  slider.addEventListener('input', () => {
    const v = Math.min(0.99, Math.max(0, Number(slider.value)));
    setText(output, v.toFixed(2));
    onChange({ smoothing: v });
  });

  return el(
    'div',
    { className: 'chart-controls', attrs: { role: 'group', 'aria-label': 'Chart options' } },
    el('span', { className: 'control' }, el('span', { className: 'control-label', attrs: { 'aria-hidden': 'true' } }, 'X axis'), xAxis),
    el('span', { className: 'control' }, log),
    el('span', { className: 'control' }, el('label', { className: 'control-label', attrs: { for: 'smoothing' } }, 'Smoothing'), slider, output),
  );
}
