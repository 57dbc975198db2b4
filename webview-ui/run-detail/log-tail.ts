import { el } from '../shared/dom-builders.ts';

/**
 * The tail of a run's log as plain text in a <pre>. Appends keep the view pinned to the bottom
 * if the reader was there, and the text is capped so a chatty run cannot grow the page forever.
 */
const MAX_CHARS = 1_000_000;

export class LogTail {
  readonly element: HTMLPreElement;
  private length = 0;

  constructor() {
    this.element = el('pre', { className: 'log-tail', attrs: { tabindex: 0, 'aria-label': 'Log output (end of the log)' } });
  }

  set(text: string): void {
    this.element.replaceChildren(document.createTextNode(text));
    this.length = text.length;
    this.trim();
    this.scrollToBottom();
  }

  append(text: string): void {
    if (!text) return;
    const pre = this.element;
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.appendChild(document.createTextNode(text));
    this.length += text.length;
    if (pre.childNodes.length > 200) pre.normalize();
    this.trim();
    if (atBottom) this.scrollToBottom();
  }

  get text(): string {
    return this.element.textContent ?? '';
  }

  private scrollToBottom(): void {
    this.element.scrollTop = this.element.scrollHeight;
  }

  private trim(): void {
    if (this.length <= MAX_CHARS) return;
    const all = this.text;
    let cut = all.length - MAX_CHARS;
    const nl = all.indexOf('\n', cut);
    if (nl >= 0 && nl - cut < 10_000) cut = nl + 1;
    const kept = all.slice(cut);
    this.element.replaceChildren(document.createTextNode(kept));
    this.length = kept.length;
  }
}
