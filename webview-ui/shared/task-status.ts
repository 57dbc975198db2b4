import { el, setText } from './dom-builders.ts';
import { buildButton } from './vscode-elements.ts';

/**
 * The progress bar with its Cancel button, and the error banner, that panels running a long task
 * (Data Profile, Evaluation Report) show above their content.
 */
export class TaskStatus {
  private readonly bar: HTMLProgressElement;
  private readonly text = el('span', { className: 'progress-text' });
  readonly progress: HTMLElement;
  readonly error = el('div', { className: 'banner', attrs: { role: 'alert', hidden: true } });

  constructor(opts: { label: string; cancelTitle: string; onCancel: () => void }) {
    this.bar = el('progress', { attrs: { max: 1, 'aria-label': opts.label } });
    this.progress = el('div', { className: 'progress', attrs: { role: 'status' } }, this.bar, this.text);
    this.progress.append(buildButton('Cancel', { id: 'cancel', secondary: true, title: opts.cancelTitle }, opts.onCancel));
    this.progress.hidden = true;
  }

  /** Shows the bar (indeterminate when `fraction` is null) and hides an earlier error. */
  showProgress(fraction: number | null, text: string): void {
    this.progress.hidden = false;
    this.error.hidden = true;
    if (fraction === null) this.bar.removeAttribute('value');
    else this.bar.value = Math.max(0, Math.min(1, fraction));
    setText(this.text, text);
  }

  hideProgress(): void {
    this.progress.hidden = true;
  }

  showError(message: string): void {
    setText(this.error, message);
    this.error.hidden = false;
  }

  hideError(): void {
    this.error.hidden = true;
  }
}
