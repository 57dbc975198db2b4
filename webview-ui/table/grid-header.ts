/**
 * The header row of the grid: a column header per column with a sort button (kind caption, label,
 * sort arrow), for metric columns the aggregate it shows (last, min, max) as a button inside the
 * header on the caption line, and a resize handle on its right edge (drag, arrow keys, double-click
 * to fit). The full label is the header's tooltip, so a narrow column never hides its name.
 * Updates to the sort or aggregate patch the existing elements, so keyboard focus stays put.
 */
import type { GridColumn } from './virtual-grid.ts';

interface HeaderCell {
  cell: HTMLDivElement;
  sort: HTMLButtonElement;
  indicator: HTMLSpanElement;
  aggregate: HTMLButtonElement | null;
  handle: HTMLDivElement;
  /** The sort and aggregate its elements show ('' before the first update). */
  shown: string;
}

const NEXT_SORT: Record<GridColumn['sort'], string> = { none: 'ascending', ascending: 'descending', descending: 'unsorted' };
const KEY_RESIZE_PX = 16;

export interface HeaderResizeEvents {
  /** The user dragged (or keyed) column `col` to `width` px. */
  resize(col: number, width: number): void;
  /** Double-click on the handle: fit the column to its header and values. */
  fit(col: number): void;
  /** A drag or key resize ended (persist the width). */
  resized(): void;
}

export class GridHeader {
  readonly row: HTMLDivElement;
  private cells: HeaderCell[] = [];
  private widths: number[] = [];
  private readonly events: HeaderResizeEvents;

  constructor(events: HeaderResizeEvents) {
    this.events = events;
    this.row = document.createElement('div');
    this.row.className = 'grid-row head-row';
    this.row.setAttribute('role', 'row');
    this.row.setAttribute('aria-rowindex', '1');
  }

  build(columns: GridColumn[]): void {
    // Set by update() below, with each handle's aria-valuenow.
    this.widths = [];
    this.cells = columns.map((c, i) => {
      const cell = document.createElement('div');
      cell.className = `grid-hcell${c.numeric ? ' num' : ''}${i === 0 ? ' frozen' : ''}`;
      cell.setAttribute('role', 'columnheader');
      cell.setAttribute('aria-colindex', String(i + 1));
      cell.dataset.columnId = c.id;
      const sort = document.createElement('button');
      sort.className = 'sort-button';
      sort.dataset.col = String(i);
      sort.dataset.action = 'sort';
      const labels = document.createElement('span');
      labels.className = 'labels';
      const captionRow = document.createElement('span');
      captionRow.className = 'caption-row';
      if (c.caption) {
        const caption = document.createElement('span');
        caption.className = 'caption';
        caption.textContent = c.caption;
        captionRow.append(caption);
      }
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = c.label;
      labels.append(captionRow, label);
      const indicator = document.createElement('span');
      indicator.className = 'sort-indicator';
      indicator.setAttribute('aria-hidden', 'true');
      sort.append(labels, indicator);
      cell.append(sort);
      let aggregate: HTMLButtonElement | null = null;
      if (c.aggregate !== null) {
        // Inside this column's header, on its caption line: it belongs to this column only.
        aggregate = document.createElement('button');
        aggregate.className = 'aggregate-button';
        aggregate.dataset.col = String(i);
        aggregate.dataset.action = 'aggregate';
        cell.append(aggregate);
        cell.classList.add('has-aggregate');
      }
      const handle = this.buildHandle(i, c.label);
      cell.append(handle);
      return { cell, sort, indicator, aggregate, handle, shown: '' };
    });
    this.row.replaceChildren(...this.cells.map((h) => h.cell));
    this.update(columns);
  }

  /** Patches sort state and aggregates (same columns as built); headers whose state did not change are not touched. */
  update(columns: GridColumn[]): void {
    columns.forEach((c, i) => {
      const h = this.cells[i];
      if (!h) return;
      if (this.widths[i] !== c.width) {
        this.widths[i] = c.width;
        h.handle.setAttribute('aria-valuenow', String(c.width));
      }
      const shown = `${c.sort}\u0000${c.aggregate}`;
      if (h.shown === shown) return;
      h.shown = shown;
      h.cell.setAttribute('aria-sort', c.sort);
      h.indicator.textContent = c.sort === 'ascending' ? '▲' : c.sort === 'descending' ? '▼' : '';
      const what = `${c.caption ? `${c.caption} ` : ''}${c.label}${c.aggregate ? ` (${c.aggregate})` : ''}`;
      h.sort.title = `${what}\nClick to sort ${NEXT_SORT[c.sort]}`;
      h.cell.title = what;
      if (h.aggregate && c.aggregate !== null) {
        h.aggregate.textContent = c.aggregate;
        h.aggregate.title = `Showing the ${c.aggregate} value of ${c.label}: click for the next of last, min, max`;
        h.aggregate.setAttribute('aria-label', `${c.label}: ${c.aggregate} value. Switch between last, min and max`);
      }
    });
  }

  private buildHandle(col: number, label: string): HTMLDivElement {
    const handle = document.createElement('div');
    handle.className = 'resize-handle';
    handle.setAttribute('role', 'separator');
    handle.setAttribute('aria-orientation', 'vertical');
    handle.setAttribute('aria-label', `Resize column ${label}`);
    handle.title = `Drag to resize ${label}; double-click to fit`;
    handle.tabIndex = -1;
    handle.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      e.stopPropagation();
      const startX = e.clientX;
      const startWidth = this.widths[col] ?? 100;
      handle.setPointerCapture(e.pointerId);
      handle.classList.add('dragging');
      const move = (m: PointerEvent) => this.events.resize(col, startWidth + m.clientX - startX);
      const up = () => {
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
        handle.removeEventListener('pointercancel', up);
        handle.classList.remove('dragging');
        this.events.resized();
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
      handle.addEventListener('pointercancel', up);
    });
    handle.addEventListener('click', (e) => e.stopPropagation());
    handle.addEventListener('dblclick', (e) => {
      e.stopPropagation();
      this.events.fit(col);
      this.events.resized();
    });
    handle.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? KEY_RESIZE_PX : e.key === 'ArrowLeft' ? -KEY_RESIZE_PX : 0;
      if (step === 0) return;
      e.preventDefault();
      e.stopPropagation();
      this.events.resize(col, (this.widths[col] ?? 100) + step);
      this.events.resized();
    });
    return handle;
  }
}
