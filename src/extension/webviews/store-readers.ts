import { StoreReader } from '../../core/store/store-reader.ts';
import type { RunStore } from '../../core/store/run-store.ts';

/**
 * One read worker per open store, started on first use by a panel: the experiment table, chart
 * series and CSV exports read there, off the extension host's thread.
 */
const readers = new WeakMap<RunStore, StoreReader>();

export function readerFor(store: RunStore): StoreReader {
  let r = readers.get(store);
  if (!r) readers.set(store, (r = new StoreReader(store.path)));
  return r;
}
