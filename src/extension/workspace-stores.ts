import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { RunStore } from '../core/store/run-store.ts';
import { StoreReader } from '../core/store/store-reader.ts';
import { StoreWatcher } from '../core/store/store-watcher.ts';
import { resolveStorePath } from '../core/store/store-location.ts';
import { log } from './log.ts';
import { readSettings } from './settings.ts';


/** After a store opens, its read worker boots this much later (after activation's own work). */
const READ_WORKER_WARM_DELAY_MS = 2000;
export interface WorkspaceStore {
  readonly folder: vscode.WorkspaceFolder;
  readonly store: RunStore;
  readonly watcher: StoreWatcher;
  /**
   * The store's read worker (its own read-only connection), started by the first read: the
   * experiment table, chart series, CSV exports and tree searches with a filter run there, off the
   * extension host's thread. Closed with the store.
   */
  readonly reader: StoreReader;
}

/**
 * One store per workspace folder (multi-root works), opened on first use. A folder whose store
 * file does not exist yet is left alone until something is written, so merely opening the
 * sidebar never creates `.loopline/` in a repository.
 */
export class WorkspaceStores implements vscode.Disposable {
  private readonly open = new Map<string, WorkspaceStore>();
  private readonly changed = new vscode.EventEmitter<WorkspaceStore | undefined>();
  /** A store's data changed (any writer), or the set of stores changed (undefined). */
  readonly onDidChange = this.changed.event;
  private readonly closing = new vscode.EventEmitter<WorkspaceStore>();
  /** A store is about to close (folder removed, store path changed): stop what uses it. */
  readonly onWillClose = this.closing.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed, this.closing];

  constructor() {
    this.subscriptions.push(
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        for (const [key, ws] of this.open) {
          if (!vscode.workspace.workspaceFolders?.some((f) => f.uri.toString() === key)) this.close(key, ws);
        }
        this.changed.fire(undefined);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('loopline.storePath')) {
          for (const [key, ws] of this.open) this.close(key, ws);
          this.changed.fire(undefined);
        }
      }),
    );
  }

  folders(): readonly vscode.WorkspaceFolder[] {
    return vscode.workspace.workspaceFolders ?? [];
  }

  storePath(folder: vscode.WorkspaceFolder): string {
    return resolveStorePath({ explicit: readSettings(folder).storePath || undefined, cwd: folder.uri.fsPath });
  }

  /** The folder's store if its file exists (opening it if needed), else undefined. */
  existing(folder: vscode.WorkspaceFolder): WorkspaceStore | undefined {
    const ws = this.open.get(folder.uri.toString());
    if (ws) return ws;
    return existsSync(this.storePath(folder)) ? this.get(folder) : undefined;
  }

  /** The folder's store, created if needed. Throws a LooplineError that says what to do. */
  get(folder: vscode.WorkspaceFolder): WorkspaceStore {
    const key = folder.uri.toString();
    let ws = this.open.get(key);
    if (!ws) {
      const path = this.storePath(folder);
      // A short busy timeout: a write waiting on another process blocks the extension host.
      const store = RunStore.open(path, { busyTimeoutMs: 2000 });
      const watcher = new StoreWatcher(store);
      const entry: WorkspaceStore = { folder, store, watcher, reader: new StoreReader(path) };
      watcher.onDidChange(() => this.changed.fire(entry));
      this.open.set(key, entry);
      // The read worker boots once the window has settled, not with the first panel: a panel's
      // first chart or table then waits only for its read (its thread and connection take ~100 ms
      // to start, more while the page loads beside them).
      setTimeout(() => void entry.reader.warm(), READ_WORKER_WARM_DELAY_MS).unref?.();
      ws = entry;
      log().info(`Opened store ${path}`);
    }
    return ws;
  }

  /** Tell listeners this window wrote to the store (its own connection does not bump data_version). */
  wrote(ws: WorkspaceStore): void {
    ws.watcher.notifyLocalWrite();
  }

  allExisting(): WorkspaceStore[] {
    return this.folders().flatMap((f) => {
      try {
        const ws = this.existing(f);
        return ws ? [ws] : [];
      } catch (err) {
        log().error(`Cannot open the store of ${f.name}: ${String(err)}`);
        return [];
      }
    });
  }

  /** The store holding this run, among the open ones. */
  findRun(runId: string): WorkspaceStore | undefined {
    return this.allExisting().find((ws) => {
      try {
        ws.store.getRun(runId);
        return true;
      } catch {
        return false;
      }
    });
  }

  private close(key: string, ws: WorkspaceStore): void {
    this.closing.fire(ws);
    ws.watcher.dispose();
    // No worker thread (and its connection) outlives the store it reads.
    ws.reader.close().catch((err) => log().error(`Closing the read worker of ${ws.store.path}: ${String(err)}`));
    ws.store.close();
    this.open.delete(key);
  }

  dispose(): void {
    for (const [key, ws] of this.open) this.close(key, ws);
    for (const d of this.subscriptions) d.dispose();
  }
}
