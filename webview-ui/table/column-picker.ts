/**
 * The column picker: a popup listing the param and metric columns (and the hideable fixed ones)
 * with a checkbox each, a search box to narrow long lists, and show/hide for all matches.
 */
import type { VscodeButton, VscodeCheckbox, VscodeTextfield } from './elements.ts';

export interface PickerColumn {
  id: string;
  label: string;
  group: string;
  visible: boolean;
}

export interface ColumnPickerEvents {
  /** Columns to show or hide. */
  change(ids: string[], visible: boolean): void;
  /** The current columns (read when the picker opens). */
  columns(): PickerColumn[];
}

export class ColumnPicker {
  /** The button with its popup, to place in a toolbar. */
  readonly root: HTMLDivElement;
  readonly button: VscodeButton;
  readonly panel: HTMLDivElement;
  private readonly search: VscodeTextfield;
  private readonly list: HTMLDivElement;
  private readonly count: HTMLSpanElement;
  private readonly events: ColumnPickerEvents;
  private items: Array<{ column: PickerColumn; box: VscodeCheckbox; haystack: string }> = [];

  constructor(events: ColumnPickerEvents) {
    this.events = events;
    this.button = document.createElement('vscode-button');
    this.button.secondary = true;
    this.button.className = 'columns-button';
    this.button.textContent = 'Columns';
    this.button.setAttribute('aria-haspopup', 'dialog');
    this.button.setAttribute('aria-expanded', 'false');

    this.panel = document.createElement('div');
    this.panel.className = 'column-picker';
    this.panel.id = 'loopline-column-picker';
    this.panel.setAttribute('role', 'dialog');
    this.panel.setAttribute('aria-label', 'Columns');
    this.panel.hidden = true;
    this.button.setAttribute('aria-controls', this.panel.id);

    this.search = document.createElement('vscode-textfield');
    this.search.className = 'column-search';
    this.search.type = 'search';
    this.search.placeholder = 'Search columns';
    this.search.label = 'Search columns';
    this.search.setAttribute('aria-label', 'Search columns');
    const actions = document.createElement('div');
    actions.className = 'picker-actions';
    const showAll = document.createElement('vscode-button');
    showAll.secondary = true;
    showAll.textContent = 'Show all';
    showAll.className = 'show-all';
    const hideAll = document.createElement('vscode-button');
    hideAll.secondary = true;
    hideAll.textContent = 'Hide all';
    hideAll.className = 'hide-all';
    this.count = document.createElement('span');
    this.count.className = 'picker-count';
    actions.append(showAll, hideAll, this.count);
    this.list = document.createElement('div');
    this.list.className = 'picker-list';
    this.panel.append(this.search, actions, this.list);

    this.root = document.createElement('div');
    this.root.className = 'columns-anchor';
    this.root.append(this.button, this.panel);

    this.button.addEventListener('click', () => (this.panel.hidden ? this.open() : this.close(true)));
    this.search.addEventListener('input', () => this.applySearch());
    showAll.addEventListener('click', () => this.setMatching(true));
    hideAll.addEventListener('click', () => this.setMatching(false));
    this.list.addEventListener('change', (e) => {
      const item = this.items.find((i) => i.box === e.target);
      if (!item) return;
      item.column.visible = item.box.checked;
      this.events.change([item.column.id], item.box.checked);
      this.updateCount();
    });
    this.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        this.close(true);
      }
    });
    document.addEventListener('mousedown', (e) => {
      if (this.panel.hidden) return;
      const path = e.composedPath();
      if (!path.includes(this.panel) && !path.includes(this.button)) this.close(false);
    });
  }

  get isOpen(): boolean {
    return !this.panel.hidden;
  }

  open(): void {
    this.build();
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    this.search.focus();
  }

  close(returnFocus: boolean): void {
    if (this.panel.hidden) return;
    this.panel.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    if (returnFocus) this.button.focus();
  }

  private build(): void {
    const nodes: HTMLElement[] = [];
    this.items = [];
    let group = '';
    for (const column of this.events.columns()) {
      if (column.group !== group) {
        group = column.group;
        const heading = document.createElement('div');
        heading.className = 'picker-group';
        heading.textContent = group;
        nodes.push(heading);
      }
      const box = document.createElement('vscode-checkbox');
      box.className = 'picker-item';
      box.label = column.label;
      box.checked = column.visible;
      box.dataset.columnId = column.id;
      nodes.push(box);
      this.items.push({ column, box, haystack: `${column.group} ${column.label}`.toLowerCase() });
    }
    this.list.replaceChildren(...nodes);
    this.applySearch();
  }

  private matching(): typeof this.items {
    const q = this.search.value.trim().toLowerCase();
    return q === '' ? this.items : this.items.filter((i) => i.haystack.includes(q));
  }

  private applySearch(): void {
    const shown = new Set(this.matching());
    for (const item of this.items) item.box.hidden = !shown.has(item);
    // Hide group headings with no matching item.
    for (const heading of this.list.querySelectorAll<HTMLElement>('.picker-group')) {
      let el = heading.nextElementSibling as HTMLElement | null;
      let any = false;
      while (el && !el.classList.contains('picker-group')) {
        any ||= !el.hidden;
        el = el.nextElementSibling as HTMLElement | null;
      }
      heading.hidden = !any;
    }
    this.updateCount();
  }

  private setMatching(visible: boolean): void {
    const items = this.matching();
    for (const i of items) {
      i.box.checked = visible;
      i.column.visible = visible;
    }
    this.events.change(
      items.map((i) => i.column.id),
      visible,
    );
    this.updateCount();
  }

  private updateCount(): void {
    const visible = this.items.filter((i) => i.column.visible).length;
    this.count.textContent = `${visible} of ${this.items.length} shown`;
  }
}
