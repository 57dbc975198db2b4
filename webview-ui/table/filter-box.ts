/**
 * The filter box: an MLflow search expression, sent to the host (debounced) as a `filter` request.
 * Only the answer to the latest request counts; an empty expression clears the filter without
 * asking the host. The host's error is shown inline (role="alert") under the box.
 */
import type { VscodeTextfield } from './elements.ts';

export const FILTER_DEBOUNCE_MS = 250;

export interface FilterBoxEvents {
  /** Ask the host to evaluate the expression. */
  request(requestId: number, expression: string): void;
  /** The expression became empty: show all runs. */
  cleared(): void;
}

export class FilterBox {
  readonly field: VscodeTextfield;
  readonly error: HTMLDivElement;
  private readonly events: FilterBoxEvents;
  private latestRequest = 0;
  private pending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSubmitted = '';

  constructor(events: FilterBoxEvents) {
    this.events = events;
    this.field = document.createElement('vscode-textfield');
    this.field.className = 'filter-field';
    this.field.type = 'search';
    this.field.placeholder = "Filter: metrics.accuracy > 0.9 and params.lr = '0.01'";
    this.field.label = 'Filter runs (MLflow search syntax)';
    this.field.setAttribute('aria-label', 'Filter runs (MLflow search syntax)');
    this.field.spellcheck = false;
    this.error = document.createElement('div');
    this.error.className = 'filter-error';
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;

    this.field.addEventListener('input', () => this.schedule());
    this.field.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.submit();
      } else if (e.key === 'Escape' && this.field.value !== '') {
        e.preventDefault();
        e.stopPropagation();
        this.field.value = '';
        this.submit();
      }
    });
  }

  get expression(): string {
    return this.field.value.trim();
  }

  /** Restores an expression (from saved state) and submits it at once. */
  restore(expression: string): void {
    this.field.value = expression;
    this.lastSubmitted = '';
    this.submit();
  }

  /** Sends the current expression now (again, e.g. after new data arrived). */
  resubmit(): void {
    this.lastSubmitted = '';
    this.submit();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.submit(), FILTER_DEBOUNCE_MS);
  }

  private submit(): void {
    clearTimeout(this.timer);
    const expression = this.expression;
    if (expression === this.lastSubmitted) return;
    this.lastSubmitted = expression;
    this.latestRequest++;
    if (expression === '') {
      this.setPending(false);
      this.showError(null);
      this.events.cleared();
      return;
    }
    this.setPending(true);
    this.events.request(this.latestRequest, expression);
  }

  /** Whether a `filterResult` answers the latest request (older answers are dropped). */
  isLatest(requestId: number): boolean {
    return requestId === this.latestRequest && this.expression !== '';
  }

  answered(error: string | null): void {
    this.setPending(false);
    this.showError(error);
  }

  private setPending(pending: boolean): void {
    this.pending = pending;
    this.field.toggleAttribute('data-pending', pending);
    this.field.setAttribute('aria-busy', String(pending));
  }

  get isPending(): boolean {
    return this.pending;
  }

  private showError(message: string | null): void {
    this.field.invalid = message !== null;
    if (message === null) {
      this.error.replaceChildren();
    } else {
      const lead = document.createElement('strong');
      lead.textContent = 'Filter not applied: ';
      this.error.replaceChildren(lead, document.createTextNode(message));
    }
    this.error.hidden = message === null;
  }
}
