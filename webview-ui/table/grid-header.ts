/**
 * The header row of the grid: a column header per column with a sort button (label, kind caption,
 * sort arrow) and, for metric columns, a button switching between last, min and max. Updates to the
 * sort or aggregate patch the existing elements, so keyboard focus stays where it is.
 */
import type { GridColumn } from './virtual-grid.ts';

interface HeaderCell {
  cell: HTMLDivElement;
  sort: HTMLButtonElement;
  indicator: HTMLSpanElement;
  aggregate: HTMLButtonElement | null;
}

const NEXT_SORT: Record<GridColumn['sort'], string> = { none: 'ascending', ascending: 'descending', descending: 'unsorted' };

export class GridHeader {
  readonly row: HTMLDivElement;
  private cells: HeaderCell[] = [];

  constructor() {
    this.row = document.createElement('div');
    this.row.className = 'grid-row head-row';
    this.row.setAttribute('role', 'row');
    this.row.setAttribute('aria-rowindex', '1');
  }

  build(columns: GridColumn[]): void {
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
      if (c.caption) {
        const caption = document.createElement('span');
        caption.className = 'caption';
        caption.textContent = c.caption;
        labels.append(caption);
      }
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = c.label;
      labels.append(label);
      const indicator = document.createElement('span');
      indicator.className = 'sort-indicator';
      indicator.setAttribute('aria-hidden', 'true');
      sort.append(labels, indicator);
      cell.append(sort);
      let aggregate: HTMLButtonElement | null = null;
      if (c.aggregate !== null) {
        aggregate = document.createElement('button');
        aggregate.className = 'aggregate-button';
        aggregate.dataset.col = String(i);
        aggregate.dataset.action = 'aggregate';
        cell.append(aggregate);
      }
      return { cell, sort, indicator, aggregate };
    });
    this.row.replaceChildren(...this.cells.map((h) => h.cell));
    this.update(columns);
  }

  /** Patches sort state and aggregates (same columns as built). */
  update(columns: GridColumn[]): void {
    columns.forEach((c, i) => {
      const h = this.cells[i];
      if (!h) return;
      h.cell.setAttribute('aria-sort', c.sort);
      h.indicator.textContent = c.sort === 'ascending' ? '▲' : c.sort === 'descending' ? '▼' : '';
      h.sort.title = `${c.caption ? `${c.caption} ` : ''}${c.label}: click to sort ${NEXT_SORT[c.sort]}`;
      if (h.aggregate && c.aggregate !== null) {
        h.aggregate.textContent = c.aggregate;
        h.aggregate.title = `Showing the ${c.aggregate} value of ${c.label}: click for the next of last, min, max`;
        h.aggregate.setAttribute('aria-label', `${c.label}: ${c.aggregate} value. Switch between last, min and max`);
      }
    });
  }
}
