/**
 * The Experiment Table: toolbar (filter, metric aggregate, columns, compare), the virtualised grid of
 * runs, and the status line. Owns the view state (sort, filter, columns, aggregates, selection) and
 * persists it through the host's getState/setState.
 */
import type { ExtraAggregate, HostToTable, MetricAggregate } from '../../src/protocol/table-protocol.ts';
import { formatCount, formatRunCount } from '../../src/shared/display-format.ts';
import { ColumnPicker, type PickerColumn } from './column-picker.ts';
import { clampColumnWidth, columnWidth } from './column-layout.ts';
import { AggregateSwitch } from './aggregate-switch.ts';
import type { VscodeButton } from './elements.ts';
import { FilterBox } from './filter-box.ts';
import { firstRows, identityOrder, positionsOf, receivedRows, sortRows, WARM_ROUNDS, warmOrderRound, type SortDirection } from './row-order.ts';
import { RowSelection } from './row-selection.ts';
import { NAME_COLUMN, TableData, type ColumnDef } from './table-data.ts';
import { emptyViewState, parseViewState, type TableViewState } from './table-state.ts';
import { VirtualGrid, type GridColumn } from './virtual-grid.ts';
import { afterNextPaint } from '../shared/after-paint.ts';
import type { TableHost } from './vscode-api.ts';

type InitMsg = Extract<HostToTable, { type: 'init' }>;
type RowsMsg = Extract<HostToTable, { type: 'rows' }>;
type AggregateMsg = Extract<HostToTable, { type: 'aggregateRows' }>;

/** The protocol accepts up to 100 runs in one `compare`. */
export const MAX_COMPARE = 100;
const AGGREGATES: readonly MetricAggregate[] = ['last', 'min', 'max'];
const SCROLL_SAVE_MS = 200;

let warmed = false;
/** Once per page, as the first rows are in, in idle time: see `warmOrderRound`. */
function warmSoon(): void {
  if (warmed) return;
  warmed = true;
  const idle = (f: () => void) => (typeof requestIdleCallback === 'function' ? requestIdleCallback(f, { timeout: 500 }) : setTimeout(f, 20));
  let round = 0;
  const next = () => {
    warmOrderRound(round++);
    if (round < WARM_ROUNDS) idle(next);
  };
  idle(next);
}

export class TableApp {
  private readonly host: TableHost;
  private readonly title: HTMLHeadingElement;
  private readonly hostError: HTMLDivElement;
  private readonly filter: FilterBox;
  private readonly aggregateSwitch: AggregateSwitch;
  private readonly picker: ColumnPicker;
  private readonly compareButton: VscodeButton;
  private readonly grid: VirtualGrid;
  private readonly emptyMessage: HTMLDivElement;
  private readonly statusLine: HTMLDivElement;

  private data: TableData | null = null;
  private state: TableViewState = emptyViewState('');
  private readonly selection = new RowSelection();
  /** Rows the host's filter matched, in its order; null: no filter. */
  private filterRows: Uint32Array | null = null;
  /** More rows are on their way (`rows` messages). */
  private streaming = false;
  /** Row indices in display order; while `pendingOrder` is set, only the first screenful of it. */
  private order: Uint32Array = new Uint32Array(0);
  /** Rows in the display order (all of them, whether `order` holds them yet or not). */
  private get orderLength(): number {
    return this.pendingOrder?.base.length ?? this.order.length;
  }
  /** The whole order, still to be built (see applyOrder); `fullOrder()` builds it. */
  private pendingOrder: { base: Uint32Array; keys: Float64Array; dir: SortDirection } | null = null;
  private positions: Int32Array | null = null;
  private columns: ColumnDef[] = [];
  private columnAggs: MetricAggregate[] = [];
  private readonly widths = new Map<string, number>();
  private scrollTimer: ReturnType<typeof setTimeout> | undefined;
  /** Scroll position to return to once a restored filter is answered. */
  private pendingScroll: number | null = null;

  constructor(root: HTMLElement, host: TableHost) {
    this.host = host;
    root.classList.add('table-app');

    const toolbar = document.createElement('div');
    toolbar.className = 'toolbar';
    this.title = document.createElement('h1');
    this.title.className = 'experiment-name';
    this.filter = new FilterBox({
      request: (requestId, expression) => {
        this.state.filter = expression;
        this.save();
        this.host.post({ type: 'filter', requestId, expression });
      },
      cleared: () => {
        this.state.filter = '';
        this.filterRows = null;
        this.applyOrder(this.activeRunId(), true);
        this.save();
      },
    });
    this.aggregateSwitch = new AggregateSwitch((agg) => this.setDefaultAggregate(agg));
    this.picker = new ColumnPicker({ columns: () => this.pickerColumns(), change: (ids, visible) => this.setColumnsVisible(ids, visible) });
    this.compareButton = document.createElement('vscode-button');
    this.compareButton.className = 'compare-button';
    this.compareButton.addEventListener('click', () => this.compare());
    const filterWrap = document.createElement('div');
    filterWrap.className = 'filter-wrap';
    filterWrap.append(this.filter.field, this.filter.error);
    toolbar.append(this.title, filterWrap, this.aggregateSwitch.root, this.picker.root, this.compareButton);

    this.hostError = document.createElement('div');
    this.hostError.className = 'host-error';
    this.hostError.setAttribute('role', 'alert');
    this.hostError.hidden = true;

    this.grid = new VirtualGrid(
      {
        rowCount: () => this.orderLength,
        cell: (v, c) => this.data!.text(this.columns[c]!, this.columnAggs[c]!, this.rowAt(v)),
        tooltip: (v, c) => this.data!.tooltip(this.columns[c]!, this.columnAggs[c]!, this.rowAt(v)),
        selected: (v) => this.selection.has(this.data!.runId(this.rowAt(v))),
      },
      {
        sort: (c) => this.cycleSort(c),
        aggregate: (c) => this.cycleAggregate(c),
        rowClick: (v, e) => this.clickRow(v, e),
        rowOpen: (v) => this.openRun(v),
        key: (e) => this.onKey(e),
        focus: () => {
          if (this.grid.activeView < 0 && this.orderLength > 0) this.grid.setActive(this.grid.visibleRange()[0], false);
        },
        scrolled: () => this.saveScrollSoon(),
        resize: (c, width) => this.resizeColumn(c, width),
        fit: (c) => this.fitColumn(c),
        resized: () => this.save(),
      },
      'Runs',
    );
    const gridWrap = document.createElement('div');
    gridWrap.className = 'grid-wrap';
    this.emptyMessage = document.createElement('div');
    this.emptyMessage.className = 'empty-message';
    this.emptyMessage.textContent = 'Loading runs…';
    gridWrap.append(this.grid.root, this.emptyMessage);

    this.statusLine = document.createElement('div');
    this.statusLine.className = 'status-line';
    this.statusLine.setAttribute('role', 'status');

    root.append(toolbar, this.hostError, gridWrap, this.statusLine);
    document.addEventListener('copy', (e) => this.copySelection(e));
    this.updateCompareButton();
  }

  /** A message from the extension. */
  receive(msg: HostToTable): void {
    switch (msg.type) {
      case 'init':
        this.init(msg);
        break;
      case 'rows':
        this.moreRows(msg);
        break;
      case 'aggregateRows':
        this.aggregateRows(msg);
        break;
      case 'filterResult':
        if (!this.filter.isLatest(msg.requestId)) return;
        this.filter.answered(msg.error);
        if (msg.error === null) {
          this.filterRows = msg.rows instanceof Uint32Array ? msg.rows : msg.rows ? Uint32Array.from(msg.rows) : null;
          this.applyOrder(this.activeRunId(), true);
          this.grid.scrollTo(this.pendingScroll ?? 0);
          this.pendingScroll = null;
        }
        break;
      case 'error':
        this.hostError.textContent = msg.message;
        this.hostError.hidden = false;
        break;
      default: {
        const unknown: never = msg;
        void unknown;
      }
    }
  }

  private init(msg: InitMsg): void {
    const first = this.data === null;
    const previousActive = first ? null : this.activeRunId();
    const data = new TableData(msg.total, msg.version);
    if (msg.rows) data.append(msg.rows);
    // Aggregates these rows stream with them (asked for before a re-read): not asked again.
    for (const a of msg.rows?.aggregates ?? []) data.requested.add(a);
    this.data = data;
    this.streaming = !msg.done;
    this.title.textContent = msg.experiment.name;
    this.title.title = msg.experiment.name;
    this.grid.root.setAttribute('aria-label', `Runs of ${msg.experiment.name}`);
    this.hostError.hidden = true;
    const sameExperiment = this.state.experimentId === msg.experiment.id;
    if (first) {
      const saved = parseViewState(this.host.getState());
      this.state = saved && saved.experimentId === msg.experiment.id ? saved : emptyViewState(msg.experiment.id);
      this.selection.replace(this.state.selection);
    } else if (!sameExperiment) {
      this.state = emptyViewState(msg.experiment.id);
      this.selection.clear();
      this.widths.clear();
      this.filterRows = null;
    } else {
      // Fresh data of the same experiment (runs added or changed): keep the view as it is.
      this.state.activeRunId = previousActive;
    }
    // Selected runs and the sorted column may be in rows still to come: check once all are here.
    if (msg.done) this.dropVanished();
    warmSoon();
    this.aggregateSwitch.value = this.state.defaultAggregate;

    // A saved view that shows min or max asks for them at once (its cells say they are loading).
    this.requestAggregates();
    this.updateColumns(true);
    const activeRun = this.state.activeRunId;
    this.applyOrder(activeRun);
    if (first || !sameExperiment) {
      this.grid.scrollTo(this.state.scrollTop);
      this.pendingScroll = this.state.filter !== '' ? this.state.scrollTop : null;
      this.filter.restore(this.state.filter);
    } else if (this.filter.expression !== '') {
      // New runs may match: ask again, and stay where we are when the answer comes.
      this.pendingScroll = this.grid.currentScrollTop;
      this.filter.resubmit();
    }
    this.save();
  }

  /** A further chunk of rows: shown at once (kept in the current sort; the filter is re-asked at the end). */
  private moreRows(msg: RowsMsg): void {
    const data = this.data;
    if (!data || !msg.rows) return;
    const previousActive = this.activeRunId();
    const newColumns = data.append(msg.rows);
    this.streaming = !msg.done;
    if (msg.done) this.dropVanished();
    if (newColumns) this.updateColumns(true);
    this.applyOrder(previousActive);
    if (msg.done && this.filter.expression !== '') {
      this.pendingScroll = this.grid.currentScrollTop;
      this.filter.resubmit();
    }
  }

  /**
   * Values of an aggregate the page asked for. Only for the rows they were asked for: an answer for
   * an older `init` (the store changed meanwhile) is dropped, and the page has asked the new rows.
   */
  private aggregateRows(msg: AggregateMsg): void {
    const data = this.data;
    if (!data || msg.version !== data.version || !msg.rows) return;
    const previousActive = this.activeRunId();
    const newColumns = data.appendAggregate(msg.aggregate, msg.rows);
    if (newColumns) this.updateColumns(true);
    const sortCol = this.state.sort ? data.column(this.state.sort.columnId) : undefined;
    // Sorted by this aggregate: ordered again once all of it is here (rows waiting for it sort last meanwhile).
    if (sortCol?.kind === 'metric' && this.aggregateOf(sortCol) === msg.aggregate && (msg.done || newColumns)) this.applyOrder(previousActive);
    else {
      this.grid.refresh();
      if (msg.done) this.updateStatus(this.selectedInView().length);
    }
  }

  /** The aggregates the view shows besides `last` (by default or in a column). */
  private shownAggregates(): Set<ExtraAggregate> {
    const out = new Set<ExtraAggregate>();
    for (const a of [this.state.defaultAggregate, ...Object.values(this.state.aggregates)]) if (a !== 'last') out.add(a);
    return out;
  }

  /** Asks the host for the aggregates the view shows that these rows do not have yet (once per version of the rows). */
  private requestAggregates(): void {
    const data = this.data;
    if (!data) return;
    for (const a of this.shownAggregates()) {
      if (data.requested.has(a) || data.hasAll(a)) continue;
      data.requested.add(a);
      this.host.post({ type: 'aggregate', version: data.version, aggregate: a });
    }
  }

  /** Aggregates the view shows whose values are still on their way. */
  private loadingAggregates(): ExtraAggregate[] {
    const data = this.data;
    return data ? [...this.shownAggregates()].filter((a) => !data.hasAll(a)) : [];
  }

  /** Forgets selected runs and a sort column that the (complete) data no longer has. */
  private dropVanished(): void {
    const data = this.data;
    if (!data) return;
    this.selection.retain((id) => data.rowOf(id) !== undefined);
    if (this.state.sort && !data.column(this.state.sort.columnId)) this.state.sort = null;
  }

  // ---- columns ---------------------------------------------------------------------------------

  private aggregateOf(col: ColumnDef): MetricAggregate {
    return col.kind === 'metric' ? (this.state.aggregates[col.key] ?? this.state.defaultAggregate) : 'last';
  }

  /** Recomputes the shown columns; `structural`: the set of columns changed (rebuild rows). */
  private updateColumns(structural: boolean): void {
    const data = this.data;
    if (!data) return;
    const hidden = new Set(this.state.hiddenColumns);
    this.columns = data.columns.filter((c) => c === NAME_COLUMN || !hidden.has(c.id));
    this.columnAggs = this.columns.map((c) => this.aggregateOf(c));
    const gridColumns = this.columns.map((c, i): GridColumn => {
      let width = this.state.widths[c.id] ?? this.widths.get(c.id);
      if (width === undefined) {
        width = columnWidth(data, c, this.widthAggregate(this.columnAggs[i]!));
        this.widths.set(c.id, width);
      }
      const sort = this.state.sort?.columnId === c.id ? (this.state.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none';
      return {
        id: c.id,
        label: c.label,
        caption: c.kind === 'param' ? 'param' : c.kind === 'metric' ? 'metric' : null,
        width,
        numeric: data.isNumeric(c),
        status: c.kind === 'status',
        sort,
        aggregate: c.kind === 'metric' ? this.columnAggs[i]! : null,
      };
    });
    if (structural) this.grid.setColumns(gridColumns);
    else this.grid.updateHeader(gridColumns);
  }

  /** The aggregate whose values size a column: the one shown once its sampled rows are here, else `last` (a metric's min and max are about as wide). */
  private widthAggregate(agg: MetricAggregate): MetricAggregate {
    const data = this.data!;
    return data.loadedRows(agg) >= Math.min(data.rowCount, 300) ? agg : 'last';
  }

  private resizeColumn(colIndex: number, width: number): void {
    const col = this.columns[colIndex];
    if (!col) return;
    const w = clampColumnWidth(width);
    this.state.widths[col.id] = w;
    this.grid.setColumnWidth(colIndex, w);
  }

  private fitColumn(colIndex: number): void {
    const col = this.columns[colIndex];
    if (!col || !this.data) return;
    delete this.state.widths[col.id];
    const w = columnWidth(this.data, col, this.widthAggregate(this.columnAggs[colIndex]!));
    this.widths.set(col.id, w);
    this.grid.setColumnWidth(colIndex, w);
  }

  private pickerColumns(): PickerColumn[] {
    const hidden = new Set(this.state.hiddenColumns);
    const groups: Record<string, string> = { param: 'Parameters', metric: 'Metrics' };
    return (this.data?.columns ?? [])
      .filter((c) => c !== NAME_COLUMN)
      .map((c) => ({ id: c.id, label: c.label, group: groups[c.kind] ?? 'Run', visible: !hidden.has(c.id) }));
  }

  private setColumnsVisible(ids: string[], visible: boolean): void {
    const hidden = new Set(this.state.hiddenColumns);
    for (const id of ids) {
      if (visible) hidden.delete(id);
      else hidden.add(id);
    }
    this.state.hiddenColumns = [...hidden];
    // Sorting by a column that is no longer shown would be invisible: drop it.
    if (this.state.sort && hidden.has(this.state.sort.columnId)) {
      this.state.sort = null;
      this.applyOrder();
    }
    this.updateColumns(true);
    this.save();
  }

  private setDefaultAggregate(agg: MetricAggregate): void {
    if (this.state.defaultAggregate === agg && Object.keys(this.state.aggregates).length === 0) return;
    this.state.defaultAggregate = agg;
    this.state.aggregates = {};
    this.aggregatesChanged();
  }

  private cycleAggregate(colIndex: number): void {
    const col = this.columns[colIndex];
    if (!col || col.kind !== 'metric') return;
    const next = AGGREGATES[(AGGREGATES.indexOf(this.aggregateOf(col)) + 1) % AGGREGATES.length]!;
    if (next === this.state.defaultAggregate) delete this.state.aggregates[col.key];
    else this.state.aggregates[col.key] = next;
    this.aggregatesChanged();
  }

  private aggregatesChanged(): void {
    this.requestAggregates();
    this.updateColumns(false);
    const sorted = this.state.sort && this.data?.column(this.state.sort.columnId);
    if (sorted && sorted.kind === 'metric') this.applyOrder();
    else {
      this.grid.refresh();
      this.updateStatus(this.selectedInView().length);
    }
    this.save();
  }

  // ---- order -----------------------------------------------------------------------------------

  private cycleSort(colIndex: number): void {
    const col = this.columns[colIndex];
    if (!col) return;
    const cur = this.state.sort?.columnId === col.id ? this.state.sort.dir : null;
    this.state.sort = cur === null ? { columnId: col.id, dir: 'asc' } : cur === 'asc' ? { columnId: col.id, dir: 'desc' } : null;
    this.applyOrder(this.activeRunId(), true);
    this.updateColumns(false);
    this.save();
  }

  /**
   * Rebuilds the display order from the filter and the sort, keeping the active run active.
   * `answer`: the user is waiting for this order (a sort or a filter): the rows in view first.
   */
  private applyOrder(activeRunId: string | null = this.activeRunId(), answer = false): void {
    const data = this.data;
    if (!data) return;
    // Rows not received yet (still streaming) are left out of a filter's answer until they are.
    const base = this.filterRows ? receivedRows(this.filterRows, data.rowCount) : identityOrder(data.rowCount);
    const sortCol = this.state.sort ? data.column(this.state.sort.columnId) : undefined;
    const activeRow = activeRunId === null ? undefined : data.rowOf(activeRunId);
    this.pendingOrder = null;
    this.positions = null;
    if (sortCol) {
      const keys = data.sortKeys(sortCol, this.aggregateOf(sortCol));
      const dir = this.state.sort!.dir;
      // A sort the user waits for, shown from the top, nothing selected or active that needs the
      // whole order now: the screenful in view first (one pass over the keys), the whole order
      // once that frame is shown (or as soon as anything reads past it).
      const screen = this.grid.rowsInView();
      if (answer && activeRow === undefined && this.selection.size === 0 && this.grid.currentScrollTop === 0 && base.length > 8 * screen) {
        this.order = firstRows(base, keys, dir, screen);
        this.pendingOrder = { base, keys, dir };
        const pending = this.pendingOrder;
        afterNextPaint(() => {
          if (this.pendingOrder === pending) this.fullOrder();
        });
      } else this.order = sortRows(base, keys, dir);
    } else this.order = base;
    const activeView = activeRow === undefined ? -1 : this.positionOf(activeRow);
    this.grid.refresh(answer);
    this.grid.setActive(activeView, false);
    this.updateEmptyMessage();
    this.updateCompareButton();
  }

  /** The whole display order (built now if only its first screenful was). */
  private fullOrder(): Uint32Array {
    const p = this.pendingOrder;
    if (p) {
      this.pendingOrder = null;
      this.order = sortRows(p.base, p.keys, p.dir);
    }
    return this.order;
  }

  /** The row shown at position `view`. */
  private rowAt(view: number): number {
    return (view < this.order.length ? this.order : this.fullOrder())[view]!;
  }

  private positionOf(row: number): number {
    this.positions ??= positionsOf(this.fullOrder(), this.data?.rowCount ?? 0);
    return this.positions[row] ?? -1;
  }

  private runAt(view: number): string {
    return this.data!.runId(this.rowAt(view));
  }

  private activeRunId(): string | null {
    const v = this.grid.activeView;
    return v >= 0 && v < this.orderLength ? this.runAt(v) : null;
  }

  // ---- selection and keyboard ------------------------------------------------------------------

  private clickRow(view: number, e: MouseEvent): void {
    const id = this.runAt(view);
    const anchorRow = this.selection.anchor === null ? undefined : this.data!.rowOf(this.selection.anchor);
    const anchorView = anchorRow === undefined ? -1 : this.positionOf(anchorRow);
    const toggle = e.ctrlKey || e.metaKey;
    if (e.shiftKey && anchorView >= 0) {
      const range = this.rangeIds(anchorView, view);
      if (toggle) this.selection.add(range);
      else this.selection.replace(range);
    } else if (toggle) {
      this.selection.toggle(id);
      this.selection.anchor = id;
    } else {
      this.selection.replace([id]);
      this.selection.anchor = id;
    }
    this.grid.setActive(view, false);
    this.selectionChanged();
  }

  private rangeIds(a: number, b: number): string[] {
    const ids: string[] = [];
    for (let v = Math.min(a, b); v <= Math.max(a, b); v++) ids.push(this.runAt(v));
    return ids;
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.orderLength;
    if (n === 0) return;
    const active = this.grid.activeView;
    const mod = e.ctrlKey || e.metaKey;
    let target = -1;
    switch (e.key) {
      case 'ArrowDown':
        target = Math.min(n - 1, active + 1);
        break;
      case 'ArrowUp':
        target = Math.max(0, active < 0 ? 0 : active - 1);
        break;
      case 'PageDown':
        target = Math.min(n - 1, Math.max(active, 0) + this.grid.pageSize());
        break;
      case 'PageUp':
        target = Math.max(0, active - this.grid.pageSize());
        break;
      case 'Home':
        target = 0;
        break;
      case 'End':
        target = n - 1;
        break;
      case ' ':
        if (active >= 0) {
          const id = this.runAt(active);
          if (e.shiftKey && this.selection.anchor !== null) this.extendTo(active);
          else {
            this.selection.toggle(id);
            this.selection.anchor = id;
          }
          this.selectionChanged();
        }
        e.preventDefault();
        return;
      case 'Enter':
        if (active >= 0) this.openRun(active);
        e.preventDefault();
        return;
      case 'Escape':
        if (this.selection.size > 0) {
          this.selection.clear();
          this.selectionChanged();
          e.preventDefault();
        }
        return;
      case 'a':
      case 'A':
        if (!mod) return;
        this.selection.replace(this.rangeIds(0, n - 1));
        this.selectionChanged();
        e.preventDefault();
        return;
      default:
        return;
    }
    e.preventDefault();
    this.grid.setActive(target);
    if (e.shiftKey) {
      if (this.selection.anchor === null && active >= 0) this.selection.anchor = this.runAt(active);
      this.extendTo(target);
      this.selectionChanged();
    } else {
      this.saveSoon();
    }
  }

  private extendTo(view: number): void {
    const anchorRow = this.selection.anchor === null ? undefined : this.data!.rowOf(this.selection.anchor);
    const anchorView = anchorRow === undefined ? -1 : this.positionOf(anchorRow);
    if (anchorView < 0) {
      this.selection.anchor = this.runAt(view);
      this.selection.replace([this.selection.anchor]);
    } else {
      this.selection.replace(this.rangeIds(anchorView, view));
    }
  }

  private selectionChanged(): void {
    this.grid.refreshSelection();
    this.updateCompareButton();
    this.save();
  }

  /** Selected runs that are in the current view, in view order. */
  private selectedInView(): string[] {
    const views: number[] = [];
    for (const id of this.selection.ids()) {
      const row = this.data?.rowOf(id);
      const v = row === undefined ? -1 : this.positionOf(row);
      if (v >= 0) views.push(v);
    }
    return views.sort((a, b) => a - b).map((v) => this.runAt(v));
  }

  private updateCompareButton(): void {
    const inView = this.data ? this.selectedInView().length : 0;
    this.compareButton.textContent = `Compare ${formatRunCount(inView)}`;
    this.compareButton.disabled = inView < 2 || inView > MAX_COMPARE;
    this.compareButton.title =
      inView < 2 ? 'Select two or more runs (click, Shift+click, Ctrl/Cmd+click or Space) to compare them' : inView > MAX_COMPARE ? `At most ${MAX_COMPARE} runs can be compared at once` : 'Compare the selected runs side by side';
    this.updateStatus(inView);
  }

  private updateStatus(selectedInView: number): void {
    const data = this.data;
    if (!data) {
      this.statusLine.textContent = '';
      return;
    }
    const total = formatCount(data.total);
    const parts = [this.filterRows ? `${formatCount(this.orderLength)} of ${total} runs match the filter` : formatRunCount(data.total)];
    if (this.streaming) parts.push(`loading… ${formatCount(data.rowCount)} of ${total} read`);
    const loading = this.loadingAggregates();
    if (loading.length > 0) parts.push(`loading ${loading.join(' and ')} values…`);
    if (this.selection.size > 0) {
      const hiddenSelected = this.selection.size - selectedInView;
      parts.push(`${formatCount(selectedInView)} selected${hiddenSelected > 0 ? ` (${formatCount(hiddenSelected)} more hidden by the filter)` : ''}`);
    }
    this.statusLine.textContent = parts.join(' · ');
  }

  private updateEmptyMessage(): void {
    const data = this.data;
    const message = !data ? 'Loading runs…' : data.total === 0 ? 'No runs in this experiment yet.' : this.orderLength === 0 ? 'No runs match the filter.' : '';
    this.emptyMessage.textContent = message;
    this.emptyMessage.hidden = message === '';
  }

  private compare(): void {
    const runIds = this.selectedInView();
    if (runIds.length < 2 || runIds.length > MAX_COMPARE) return;
    this.host.post({ type: 'compare', runIds });
  }

  private openRun(view: number): void {
    this.host.post({ type: 'openRun', runId: this.runAt(view) });
  }

  /** Ctrl/Cmd+C in the grid copies the selected rows (shown columns) as tab-separated text. */
  private copySelection(e: ClipboardEvent): void {
    const data = this.data;
    if (!data || document.activeElement !== this.grid.root || !e.clipboardData) return;
    const ids = this.selectedInView();
    if (ids.length === 0) return;
    // What the cells show, never a value that has not arrived: until then nothing is copied.
    const waiting = [...new Set(this.columnAggs.filter((a, i) => a !== 'last' && this.columns[i]!.kind === 'metric' && !data.hasAll(a)))];
    if (waiting.length > 0) {
      e.preventDefault();
      this.statusLine.textContent = `Nothing copied: the ${waiting.join(' and ')} values are still loading; copy again in a moment.`;
      return;
    }
    const clean = (s: string) => s.replace(/[\t\r\n]+/g, ' ');
    const lines = [this.columns.map((c) => clean(c.kind === 'metric' ? `${c.label} (${this.aggregateOf(c)})` : c.label)).join('\t')];
    for (const id of ids) {
      const row = data.rowOf(id)!;
      lines.push(this.columns.map((c, i) => clean(data.copyText(c, this.columnAggs[i]!, row))).join('\t'));
    }
    e.clipboardData.setData('text/plain', lines.join('\n'));
    e.preventDefault();
  }

  // ---- state -----------------------------------------------------------------------------------

  private save(): void {
    if (!this.data) return;
    this.state.selection = this.selection.ids();
    this.state.activeRunId = this.activeRunId();
    this.state.scrollTop = this.grid.currentScrollTop;
    this.host.setState(this.state);
  }

  private saveSoon(): void {
    clearTimeout(this.scrollTimer);
    this.scrollTimer = setTimeout(() => this.save(), SCROLL_SAVE_MS);
  }

  private saveScrollSoon(): void {
    this.saveSoon();
  }
}
