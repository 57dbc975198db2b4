import { activeRunOrderWithVersions } from '../store/experiment-queries.ts';
import type { RunStore } from '../store/run-store.ts';
import { ExperimentColumns } from './experiment-columns.ts';
import { readTableSnapshot, SNAPSHOT_MIN_ROWS, snapshotFile, writeTableSnapshot } from './table-snapshot.ts';

/**
 * Brings the columnar copy of an experiment's table up to date (series/table-snapshot.ts): what a
 * bulk writer (an import) calls when it is done, so that the table's first open afterwards reads
 * one file and not millions of values. Reads only the runs whose version moved since the copy.
 * Returns the rows and how many were read from SQLite, or null for an experiment too small to copy.
 */
export function refreshTableCopy(store: RunStore, experimentId: string): { rows: number; fresh: number } | null {
  const { order, versions } = activeRunOrderWithVersions(store, experimentId);
  if (order.length < SNAPSHOT_MIN_ROWS) return null;
  const file = snapshotFile(store.path, experimentId);
  const columns = new ExperimentColumns(order, Date.now(), versions);
  const copy = readTableSnapshot(file, experimentId);
  const current = copy ? columns.adopt(copy, { owned: true }) : 0;
  columns.readNext(store, order.length);
  // At the end of an import even a few changed runs are worth it: nothing else is waiting.
  if (current < order.length) writeTableSnapshot(file, columns.snapshot(experimentId)!);
  return { rows: order.length, fresh: columns.fresh };
}

/** When `current` of a table's `rows` rows are in its copy as they are: whether writing the copy again pays. */
export function copyIsWorthRewriting(rows: number, current: number): boolean {
  return rows >= SNAPSHOT_MIN_ROWS && rows - current >= Math.max(500, rows * 0.02);
}
