import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Emitter, type Disposable, type Event } from '../events.ts';
import type { RunStore } from './run-store.ts';

export interface StoreWatcherOptions {
  /** Changes closer together than this fire one event (ms). A run logging 10,000 points/s refreshes the UI a few times a second, not 10,000 times. */
  debounceMs?: number;
  /** Safety net for file systems where fs.watch misses events (ms). */
  pollMs?: number;
}

/** File events closer together than this make one store check (ms). */
const CHECK_MS = 30;

/**
 * Tells when anyone (this process, a CLI run, another window, a training script through the
 * server) commits to the store. File events on the store's folder (the WAL grows on every commit)
 * trigger a `PRAGMA data_version` check, which changes exactly when another connection committed;
 * writes through this connection are reported with `notifyLocalWrite`.
 */
export class StoreWatcher implements Disposable {
  private readonly changed = new Emitter<void>();
  readonly onDidChange: Event<void> = this.changed.event;
  private readonly watcher: FSWatcher | undefined;
  private readonly poll: NodeJS.Timeout;
  private timer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private lastVersion: number;
  private lastFire = 0;
  private disposed = false;
  private readonly debounceMs: number;
  private readonly store: RunStore;

  constructor(store: RunStore, opts: StoreWatcherOptions = {}) {
    this.store = store;
    this.debounceMs = opts.debounceMs ?? 250;
    this.lastVersion = store.dataVersion();
    const prefix = basename(store.path);
    try {
      this.watcher = watch(dirname(store.path), (_event, file) => {
        if (!file || file.toString().startsWith(prefix)) this.checkSoon();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = undefined; // the poll below still notices changes
    }
    this.poll = setInterval(() => this.check(), opts.pollMs ?? 2000);
    this.poll.unref();
  }

  /** This process wrote through the same connection; data_version does not change for that. */
  notifyLocalWrite(): void {
    this.schedule();
  }

  private check(): void {
    if (this.disposed) return;
    let v: number;
    try {
      v = this.store.dataVersion();
    } catch {
      return; // store closed meanwhile
    }
    if (v !== this.lastVersion) {
      this.lastVersion = v;
      this.schedule();
    }
  }

  /**
   * A script logging through the server makes the WAL move hundreds of times a second: the store is
   * asked once per CHECK_MS, not once per file event (which kept 10% of the editor's thread busy).
   */
  private checkSoon(): void {
    if (this.checkTimer || this.disposed) return;
    this.checkTimer = setTimeout(() => {
      this.checkTimer = undefined;
      this.check();
    }, CHECK_MS);
  }

  /** Leading edge after a quiet period, then at most one event per debounce window. */
  private schedule(): void {
    if (this.timer || this.disposed) return;
    const wait = Math.max(0, this.lastFire + this.debounceMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastFire = Date.now();
      if (!this.disposed) this.changed.fire();
    }, wait);
  }

  dispose(): void {
    this.disposed = true;
    this.watcher?.close();
    clearInterval(this.poll);
    if (this.timer) clearTimeout(this.timer);
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.changed.dispose();
  }
}
