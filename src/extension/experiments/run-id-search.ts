import type { ReadChannel } from '../../core/store/store-reader.ts';
import { ReadCancelled } from '../../core/store/store-reader.ts';
import type { SearchRunsQuery } from '../../core/store/types.ts';

/** A search the Experiments view runs: one experiment's page of runs with a filter. */
export type RunIdQuery = Omit<SearchRunsQuery, 'pageToken'>;

/**
 * Answers the Experiments view's filtered searches from the store's read worker, so a filter over
 * 100,000 runs never runs on the extension host's thread. The tree asks synchronously: it gets the
 * ids when they are known, the last answer for the same search while a newer one is read (after a
 * store change, so rows do not flicker to "Searching…" while a run logs), or undefined while the
 * first answer is read; `onFound` asks the tree to render again when an answer arrives.
 */
export interface RunIdSearch {
  ids(q: RunIdQuery): string[] | Error | undefined;
}

interface Entry {
  /** The last answer (ids, or the error to show). */
  value?: string[] | Error;
  /** The store generation `value` was read at. */
  gen: number;
  inFlight: boolean;
}

export class OffThreadRunSearch implements RunIdSearch {
  private readonly reads: ReadChannel;
  private readonly onFound: () => void;
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Set<Promise<void>>();
  private gen = 0;

  constructor(reads: ReadChannel, onFound: () => void) {
    this.reads = reads;
    this.onFound = onFound;
  }

  ids(q: RunIdQuery): string[] | Error | undefined {
    const key = JSON.stringify(q);
    let e = this.entries.get(key);
    if (!e) this.entries.set(key, (e = { gen: -1, inFlight: false }));
    if (e.gen !== this.gen && !e.inFlight) this.start(key, e, q);
    return e.value;
  }

  /** The store changed: answers are re-read on next use (the old ones are shown meanwhile). */
  invalidate(): void {
    this.gen++;
  }

  /** The filter or the order changed: drop every answer and stop the reads still queued. */
  reset(): void {
    this.reads.cancel();
    this.entries.clear();
    this.gen++;
  }

  /** Resolves when every search started so far has its answer (or was cancelled). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  dispose(): void {
    this.reads.dispose();
    this.entries.clear();
  }

  private start(key: string, e: Entry, q: RunIdQuery): void {
    const gen = this.gen;
    e.inFlight = true;
    const p = this.reads.searchRunIds(q).then(
      (ids) => this.answer(key, e, gen, ids),
      (err: unknown) => {
        if (err instanceof ReadCancelled) return;
        this.answer(key, e, gen, err instanceof Error ? err : new Error(String(err)));
      },
    );
    const tracked = p.finally(() => {
      e.inFlight = false;
      this.pending.delete(tracked);
    });
    this.pending.add(tracked);
  }

  private answer(key: string, e: Entry, gen: number, value: string[] | Error): void {
    // A reset meanwhile replaced this entry: the answer is for a search nobody shows any more.
    if (this.entries.get(key) !== e) return;
    e.value = value;
    e.gen = gen;
    this.onFound();
  }
}
