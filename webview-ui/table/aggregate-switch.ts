/**
 * The toolbar switch choosing which value every metric column shows (last, min, max): a radio group
 * of three buttons with a roving tab stop (arrow keys move the choice, as for any radio group).
 */
import type { MetricAggregate } from '../../src/protocol/table-protocol.ts';

const CHOICES: readonly MetricAggregate[] = ['last', 'min', 'max'];

export class AggregateSwitch {
  readonly root: HTMLDivElement;
  private readonly buttons: HTMLButtonElement[];
  private current: MetricAggregate = 'last';

  constructor(onChange: (agg: MetricAggregate) => void) {
    this.root = document.createElement('div');
    this.root.className = 'aggregate-switch';
    this.root.setAttribute('role', 'radiogroup');
    this.root.setAttribute('aria-label', 'Metric values to show');
    this.root.title = 'Which value every metric column shows: the last logged, the minimum or the maximum (each column header can override it)';
    const label = document.createElement('span');
    label.className = 'switch-label';
    label.textContent = 'Metrics';
    label.setAttribute('aria-hidden', 'true');
    this.buttons = CHOICES.map((agg) => {
      const b = document.createElement('button');
      b.setAttribute('role', 'radio');
      b.dataset.aggregate = agg;
      b.textContent = agg;
      return b;
    });
    this.root.append(label, ...this.buttons);
    const choose = (agg: MetricAggregate, focus: boolean) => {
      this.value = agg;
      if (focus) this.buttons[CHOICES.indexOf(agg)]!.focus();
      onChange(agg);
    };
    this.root.addEventListener('click', (e) => {
      const agg = (e.target as HTMLElement).closest<HTMLElement>('[data-aggregate]')?.dataset.aggregate as MetricAggregate | undefined;
      if (agg) choose(agg, false);
    });
    this.root.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : 0;
      if (step === 0) return;
      e.preventDefault();
      choose(CHOICES[(CHOICES.indexOf(this.current) + step + CHOICES.length) % CHOICES.length]!, true);
    });
    this.value = 'last';
  }

  get value(): MetricAggregate {
    return this.current;
  }

  set value(agg: MetricAggregate) {
    this.current = agg;
    for (const b of this.buttons) {
      const on = b.dataset.aggregate === agg;
      b.setAttribute('aria-checked', String(on));
      b.tabIndex = on ? 0 : -1;
    }
  }
}
