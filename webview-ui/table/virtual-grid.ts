import { afterNextPaint } from '../shared/after-paint.ts';
import { GridHeader, type HeaderResizeEvents } from './grid-header.ts';

/**
 * A virtualised ARIA grid: a sticky header row and a fixed-height body in one scroll container.
 * Rows are virtualised vertically (only the rows in view plus a small overscan are in the DOM) and
 * columns horizontally (a row holds cells for the columns in view plus overscan). Row elements are
 * recycled: a row leaving the window is reused for one entering it, and only rows whose position
 * changed are redrawn. A new order (sort, filter) keeps every row element where it is and rewrites
 * only the cells whose text changed; the cells' last texts are kept here, so nothing is read back
 * from the DOM. The first column is frozen: its cells live in one sticky pane (one sticky
 * element, not one per row, which keeps scrolling cheap) and belong to their rows through aria-owns.
 * Cells get their text through text nodes (never HTML). Events are delegated: one listener per kind
 * on the header, the body and the grid, none per cell.
 */

export const ROW_HEIGHT = 24;
const OVERSCAN = 6;
/** Columns this far (px) outside the viewport are rendered too. */
const OVERSCAN_PX = 200;

export interface GridColumn {
  id: string;
  label: string;
  /** Small caption above the label ("param", "metric"); null for none. */
  caption: string | null;
  width: number;
  numeric: boolean;
  /** Cells carry their text as data-status for a status dot. */
  status: boolean;
  sort: 'ascending' | 'descending' | 'none';
  /** Metric columns: the aggregate shown, as a button in the header; null for other columns. */
  aggregate: string | null;
}

/** Where the grid gets its rows from; `view` is the row's position in the current order. */
export interface GridSource {
  rowCount(): number;
  /** Cell text; null when the value is missing. */
  cell(view: number, col: number): string | null;
  tooltip(view: number, col: number): string | null;
  selected(view: number): boolean;
}

export interface GridEvents extends HeaderResizeEvents {
  sort(col: number): void;
  aggregate(col: number): void;
  rowClick(view: number, e: MouseEvent): void;
  rowOpen(view: number): void;
  /** keydown on the grid itself (not on a header button). */
  key(e: KeyboardEvent): void;
  focus(): void;
  scrolled(scrollTop: number): void;
}

interface PoolRow {
  el: HTMLDivElement;
  /** cells[0] is the frozen first-column cell (in the frozen pane); then the window's cells. */
  cells: HTMLDivElement[];
  texts: Text[];
  /** The column each cell shows. */
  cols: number[];
  /** What each cell shows: its text, null when missing (the 'missing' class), undefined when unknown. */
  shown: Array<string | null | undefined>;
  /** Each cell's title ('' for none). */
  tips: string[];
  /** Position shown; -1: a new row, not painted yet; -2: hidden. */
  view: number;
  /** Its position is right but its cells are to be read again (the order or the values changed). */
  dirty: boolean;
  /** Painted for the eye only (see refresh): the cells out of view and the tooltips are still to do. */
  partial: boolean;
  /** The column layout its cells are set up for. */
  layout: number;
  /** Position its transform and aria-rowindex are set for (-1: none). */
  placed: number;
  selected: boolean;
  active: boolean;
}

const ACTIVE_ROW_ID = 'loopline-table-active-row';

export class VirtualGrid {
  readonly root: HTMLDivElement;
  private readonly header: GridHeader;
  private readonly body: HTMLDivElement;
  private readonly frozen: HTMLDivElement;
  private columns: GridColumn[] = [];
  private lefts: number[] = [];
  private pool: PoolRow[] = [];
  private hovered: PoolRow | null = null;
  private headHeight = 0;
  private viewportWidth = 0;
  private viewportHeight = 0;
  /** Scroll position as last read (on scroll/resize) or set; render() never reads layout. */
  private scrollTop = 0;
  private scrollLeft = 0;
  /** scrollLeft the column window was computed for. */
  private windowLeft = -1;
  private colFirst = 1;
  private colLast = 0;
  private layoutVersion = 0;
  private active = -1;
  private bodyHeight = '';
  /** Until the next frame is done, render() paints only the rows in view (see refresh). */
  private overscanLater = false;
  private readonly source: GridSource;
  private readonly events: GridEvents;

  constructor(source: GridSource, events: GridEvents, label: string) {
    this.source = source;
    this.events = events;
    this.header = new GridHeader(events);
    this.root = document.createElement('div');
    this.root.className = 'grid';
    this.root.setAttribute('role', 'grid');
    this.root.setAttribute('aria-multiselectable', 'true');
    this.root.setAttribute('aria-label', label);
    this.root.tabIndex = 0;
    const head = document.createElement('div');
    head.className = 'grid-head';
    head.setAttribute('role', 'rowgroup');
    head.append(this.header.row);
    this.body = document.createElement('div');
    this.body.className = 'grid-body';
    this.body.setAttribute('role', 'rowgroup');
    this.frozen = document.createElement('div');
    this.frozen.className = 'grid-frozen';
    this.body.append(this.frozen);
    this.root.append(head, this.body);

    head.addEventListener('click', (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>('button[data-col]');
      if (!button) return;
      const col = Number(button.dataset.col);
      if (button.dataset.action === 'aggregate') this.events.aggregate(col);
      else this.events.sort(col);
    });
    this.body.addEventListener('click', (e) => {
      const r = this.rowOf(e.target);
      if (r) this.events.rowClick(r.view, e);
    });
    this.body.addEventListener('dblclick', (e) => {
      const r = this.rowOf(e.target);
      if (r) this.events.rowOpen(r.view);
    });
    // Shift-click extends the selection; keep the browser from selecting text at the same time.
    this.body.addEventListener('mousedown', (e) => {
      if (e.shiftKey) e.preventDefault();
    });
    // Hover is a class on both parts of the row (its frozen cell lives in another pane).
    this.body.addEventListener('mouseover', (e) => this.setHovered(this.rowOf(e.target)));
    this.body.addEventListener('mouseleave', () => this.setHovered(null));
    this.root.addEventListener('keydown', (e) => {
      if (e.target === this.root) this.events.key(e);
    });
    this.root.addEventListener('focus', () => this.events.focus());
    this.root.addEventListener(
      'scroll',
      () => {
        this.scrollTop = this.root.scrollTop;
        this.scrollLeft = this.root.scrollLeft;
        this.render();
        this.events.scrolled(this.scrollTop);
      },
      { passive: true },
    );
    new ResizeObserver(() => {
      this.measure();
      this.render();
    }).observe(this.root);
  }

  setColumns(columns: GridColumn[]): void {
    this.columns = columns;
    this.applyWidths();
    this.root.setAttribute('aria-colcount', String(columns.length));
    this.header.build(columns);
    for (const r of this.pool) {
      r.el.remove();
      r.cells[0]!.remove();
    }
    this.pool = [];
    this.hovered = null;
    this.measure();
    this.windowLeft = -1;
    this.render();
  }

  private applyWidths(): void {
    let x = 0;
    this.lefts = this.columns.map((c) => {
      const left = x;
      x += c.width;
      return left;
    });
    this.root.style.setProperty('--grid-columns', this.columns.map((c) => `${c.width}px`).join(' '));
    this.root.style.setProperty('--grid-width', `${x}px`);
    this.root.style.setProperty('--frozen-width', `${this.columns[0]?.width ?? 0}px`);
  }

  /** One column's width changed (a resize drag): re-place the cells without rebuilding anything. */
  setColumnWidth(col: number, width: number): void {
    const c = this.columns[col];
    if (!c || c.width === width) return;
    this.columns = this.columns.map((x, i) => (i === col ? { ...x, width } : x));
    this.applyWidths();
    this.header.update(this.columns);
    this.layoutVersion++;
    for (const r of this.pool) {
      r.cols.fill(-1);
      r.dirty = true;
    }
    this.windowLeft = -1;
    this.render();
  }

  /** Redraws the header only (sort or aggregate changed; same columns). */
  updateHeader(columns: GridColumn[]): void {
    this.columns = columns;
    this.header.update(columns);
  }

  /**
   * Re-read every shown row (after the order, the row count or the cell values changed).
   * `overscanLater`: a new order the user waits for (a sort, a filter): only what is in view is
   * painted now, and the rest once the frame that shows the answer is done: the rows kept just
   * outside the view (for smooth scrolling) are hidden until then, the columns just outside it keep
   * their old text, and the cells' tooltips are written then (a title change restyles its cell).
   * That is a quarter fewer cells to lay out and paint before the user sees the answer.
   */
  refresh(overscanLater = false): void {
    const n = this.source.rowCount();
    this.root.setAttribute('aria-rowcount', String(n + 1));
    // Writing the same height would still lay the body out again.
    const height = `${n * ROW_HEIGHT}px`;
    if (this.bodyHeight !== height) {
      this.bodyHeight = height;
      this.body.style.height = height;
    }
    for (const r of this.pool) r.dirty = true;
    if (this.active >= n) this.active = n - 1;
    if (overscanLater && !this.overscanLater) {
      this.overscanLater = true;
      afterNextPaint(() => {
        this.overscanLater = false;
        this.render();
      });
    }
    this.render();
  }

  /** Re-read the selection state of the shown rows. */
  refreshSelection(): void {
    for (const r of this.pool) if (r.view >= 0) this.paintState(r);
  }

  get currentScrollTop(): number {
    return this.scrollTop;
  }

  get activeView(): number {
    return this.active;
  }

  setActive(view: number, scroll = true): void {
    this.active = view;
    if (scroll && view >= 0) this.scrollToView(view);
    this.render();
    for (const r of this.pool) if (r.view >= 0) this.paintState(r);
  }

  /** Rows the viewport shows, a partly shown one included. */
  rowsInView(): number {
    return Math.max(1, Math.ceil((this.viewportHeight - this.headHeight) / ROW_HEIGHT) + 1);
  }

  /** Rows that fit in the viewport (for PageUp/PageDown). */
  pageSize(): number {
    return Math.max(1, Math.floor((this.viewportHeight - this.headHeight) / ROW_HEIGHT) - 1);
  }

  scrollToView(view: number): void {
    const top = view * ROW_HEIGHT;
    const visible = this.viewportHeight - this.headHeight;
    if (top < this.scrollTop) this.setScrollTop(top);
    else if (top + ROW_HEIGHT > this.scrollTop + visible) this.setScrollTop(top + ROW_HEIGHT - visible);
  }

  scrollTo(scrollTop: number): void {
    this.setScrollTop(scrollTop);
    this.render();
  }

  /** Sets scrollTop, clamped as the browser will, without reading layout back. */
  private setScrollTop(top: number): void {
    const max = Math.max(0, this.source.rowCount() * ROW_HEIGHT + this.headHeight - this.viewportHeight);
    const next = Math.max(0, Math.min(max, Math.round(top)));
    // Writing (or reading) scrollTop lays the page out at once: not when it stays where it is (a
    // table's first paint). A scroll the browser made meanwhile comes as a scroll event and renders.
    if (next === this.scrollTop) return;
    this.scrollTop = next;
    this.root.scrollTop = next;
  }

  /** First and last positions in view (not counting overscan). */
  visibleRange(scrollTop = this.scrollTop): [number, number] {
    const n = this.source.rowCount();
    const first = Math.floor(scrollTop / ROW_HEIGHT);
    const last = Math.ceil((scrollTop + this.viewportHeight - this.headHeight) / ROW_HEIGHT) - 1;
    return [Math.min(first, n - 1), Math.min(last, n - 1)];
  }

  /** Reads the sizes render() works with (forces layout: only on resize and column changes). */
  private measure(): void {
    this.headHeight = this.header.row.offsetHeight;
    this.viewportWidth = this.root.clientWidth;
    this.viewportHeight = this.root.clientHeight;
    this.scrollTop = this.root.scrollTop;
    this.scrollLeft = this.root.scrollLeft;
  }

  /** The columns (after the frozen first one) in view plus overscan; true when that changed. */
  private updateColumnWindow(scrollLeft: number): boolean {
    const n = this.columns.length;
    const frozen = this.columns[0]?.width ?? 0;
    const x0 = scrollLeft + frozen - OVERSCAN_PX;
    const x1 = scrollLeft + this.viewportWidth + OVERSCAN_PX;
    let first = 1;
    while (first < n && this.lefts[first]! + this.columns[first]!.width <= x0) first++;
    let last = first - 1;
    while (last + 1 < n && this.lefts[last + 1]! < x1) last++;
    if (first === this.colFirst && last === this.colLast) return false;
    this.colFirst = first;
    this.colLast = last;
    this.layoutVersion++;
    return true;
  }

  /**
   * Assigns pool rows to the positions in view; paints only rows whose position (or column window)
   * changed. Works from the cached scroll position and sizes, so it never forces a layout.
   */
  render(): void {
    if (this.scrollLeft !== this.windowLeft) {
      this.windowLeft = this.scrollLeft;
      if (this.updateColumnWindow(this.scrollLeft)) for (const r of this.pool) r.dirty = true;
    }
    const n = this.source.rowCount();
    const [first0, last0] = this.visibleRange();
    const first = Math.max(0, first0 - (this.overscanLater ? 0 : OVERSCAN));
    const last = Math.min(n - 1, last0 + (this.overscanLater ? 0 : OVERSCAN));
    const shown = new Uint8Array(Math.max(0, last - first + 1));
    const free: PoolRow[] = [];
    for (const r of this.pool) {
      if (r.view >= first && r.view <= last) {
        shown[r.view - first] = 1;
        if (r.dirty || (r.partial && !this.overscanLater)) this.paintRow(r, r.view);
      } else if (r.view >= 0 && !r.dirty && this.overscanLater) {
        // In the overscan, showing what is still right: kept as it is.
      } else free.push(r);
    }
    for (let v = first; v <= last; v++) {
      if (shown[v - first]) continue;
      const r = free.pop() ?? this.newRow();
      this.paintRow(r, v);
    }
    for (const r of free) {
      if (r.view !== -2) {
        r.view = -2;
        r.el.hidden = true;
        r.cells[0]!.hidden = true;
        r.el.removeAttribute('aria-rowindex');
        r.placed = -1;
        if (r.active) {
          r.active = false;
          r.el.classList.remove('active');
          r.cells[0]!.classList.remove('active');
          r.el.removeAttribute('id');
        }
      }
    }
    if (this.active >= first && this.active <= last) this.root.setAttribute('aria-activedescendant', ACTIVE_ROW_ID);
    else this.root.removeAttribute('aria-activedescendant');
  }

  private newRow(): PoolRow {
    const el = document.createElement('div');
    el.className = 'grid-row';
    el.setAttribute('role', 'row');
    el.setAttribute('aria-selected', 'false');
    const frozenCell = this.newCell();
    frozenCell.id = `loopline-table-frozen-${this.pool.length}`;
    el.setAttribute('aria-owns', frozenCell.id);
    this.body.append(el);
    this.frozen.append(frozenCell);
    const row: PoolRow = { el, cells: [frozenCell], texts: [frozenCell.firstChild as Text], cols: [-1], shown: [undefined], tips: [''], view: -1, dirty: true, partial: false, layout: -1, placed: -1, selected: false, active: false };
    this.pool.push(row);
    return row;
  }

  private newCell(): HTMLDivElement {
    const cell = document.createElement('div');
    cell.setAttribute('role', 'gridcell');
    cell.append(document.createTextNode(''));
    return cell;
  }

  /** Sets up a row's cells for the current column window. */
  private layoutCells(r: PoolRow): void {
    const want = 1 + Math.max(0, this.colLast - this.colFirst + 1);
    while (r.cells.length < want) {
      const cell = this.newCell();
      r.el.append(cell);
      r.cells.push(cell);
      r.texts.push(cell.firstChild as Text);
      r.cols.push(-1);
      r.shown.push(undefined);
      r.tips.push('');
    }
    while (r.cells.length > want) {
      r.cells.pop()!.remove();
      r.texts.pop();
      r.cols.pop();
      r.shown.pop();
      r.tips.pop();
    }
    for (let k = 0; k < want; k++) {
      const c = k === 0 ? 0 : this.colFirst + k - 1;
      if (r.cols[k] === c) continue;
      r.cols[k] = c;
      const col = this.columns[c]!;
      const cell = r.cells[k]!;
      // The frozen cell also carries its row's state, which paintState writes only when it changes.
      const state = k === 0 ? `${r.selected ? ' selected' : ''}${r.active ? ' active' : ''}${r === this.hovered ? ' hover' : ''}` : '';
      cell.className = `grid-cell${k === 0 ? ' frozen' : ''}${state}${col.numeric ? ' num' : ''}${col.status ? ' status' : ''}`;
      cell.setAttribute('aria-colindex', String(c + 1));
      cell.style.width = `${col.width}px`;
      if (k > 0) cell.style.left = `${this.lefts[c]}px`;
      delete cell.dataset.status;
      // The class name was reset ('missing' with it): the text is written again too.
      r.shown[k] = undefined;
    }
    r.layout = this.layoutVersion;
  }

  /**
   * Paints a row of the pool for view row `view`, writing only what differs from what it shows: a
   * repaint of the same rows (a chunk of runs arrived below them) then changes nothing in the DOM,
   * so the page does not lay out and paint the grid again.
   */
  private paintRow(r: PoolRow, view: number): void {
    if (r.layout !== this.layoutVersion) this.layoutCells(r);
    if (r.view === -2 || r.placed === -1) {
      r.el.hidden = false;
      r.cells[0]!.hidden = false;
    }
    r.view = view;
    r.dirty = false;
    // In view only: the columns whose cells show (the frozen one always), and no tooltips.
    const partial = this.overscanLater;
    r.partial = partial;
    const x0 = this.scrollLeft + (this.columns[0]?.width ?? 0);
    const x1 = this.scrollLeft + this.viewportWidth;
    if (r.placed !== view) {
      r.placed = view;
      const y = `translateY(${view * ROW_HEIGHT}px)`;
      r.el.style.transform = y;
      r.cells[0]!.style.transform = y;
      r.el.setAttribute('aria-rowindex', String(view + 2));
    }
    for (let k = 0; k < r.cells.length; k++) {
      const c = r.cols[k]!;
      if (partial && k > 0 && (this.lefts[c]! >= x1 || this.lefts[c]! + this.columns[c]!.width <= x0)) continue;
      const text = this.source.cell(view, c);
      const was = r.shown[k];
      if (was !== text) {
        const cell = r.cells[k]!;
        if (was === undefined || (was === null) !== (text === null)) cell.classList.toggle('missing', text === null);
        r.texts[k]!.nodeValue = text ?? '';
        r.shown[k] = text;
        if (this.columns[c]!.status) cell.dataset.status = text ?? '';
      }
      if (partial) continue;
      const tip = this.source.tooltip(view, c) ?? '';
      if (r.tips[k] !== tip) {
        r.tips[k] = tip;
        if (tip) r.cells[k]!.title = tip;
        else r.cells[k]!.removeAttribute('title');
      }
    }
    this.paintState(r);
  }

  private paintState(r: PoolRow): void {
    const selected = this.source.selected(r.view);
    const active = r.view === this.active;
    if (selected !== r.selected) {
      r.selected = selected;
      r.el.classList.toggle('selected', selected);
      r.cells[0]!.classList.toggle('selected', selected);
      r.el.setAttribute('aria-selected', String(selected));
    }
    if (active !== r.active) {
      r.active = active;
      r.el.classList.toggle('active', active);
      r.cells[0]!.classList.toggle('active', active);
      if (active) r.el.id = ACTIVE_ROW_ID;
      else r.el.removeAttribute('id');
    }
  }

  private setHovered(r: PoolRow | null): void {
    if (r === this.hovered) return;
    for (const el of this.hovered ? [this.hovered.el, this.hovered.cells[0]!] : []) el.classList.remove('hover');
    this.hovered = r;
    for (const el of r ? [r.el, r.cells[0]!] : []) el.classList.add('hover');
  }

  private rowOf(target: EventTarget | null): PoolRow | null {
    const el = (target as Element | null)?.closest?.('.grid-row, .grid-cell.frozen');
    if (!el) return null;
    const r = this.pool.find((p) => p.el === el || p.cells[0] === el);
    return r && r.view >= 0 ? r : null;
  }
}
