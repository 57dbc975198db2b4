import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import * as vscode from 'vscode';
import { findLiveServer } from '../../core/tracking/server-file.ts';
import { registerServerUser, unregisterServerUser } from '../../core/tracking/server-users.ts';
import { log } from '../log.ts';
import { readSettings } from '../settings.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';

export interface Endpoint {
  url: string;
  token: string;
  /** True when this window started it. */
  own: boolean;
}

interface OwnServer {
  ws: WorkspaceStore;
  url: string;
  port: number;
  token: string;
  child: ChildProcess;
}

const START_TIMEOUT_MS = 20_000;

/**
 * The tracking server writes what training scripts log; the editor must stay responsive while
 * they log at full speed. On a busy machine the OS then gives the editor (and the scripts) the CPU
 * first, and the server the rest: its writes wait a little, the editor does not.
 */
const SERVER_NICENESS = 10;

function lowerPriority(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    setPriority(child.pid, SERVER_NICENESS);
  } catch {
    // Not allowed here (some sandboxes): the server runs at the editor's priority, as before.
  }
}

/**
 * The tracking server of each workspace store, in a process of its own (`dist/server.cjs`, i.e.
 * `loopline serve`, on VS Code's Node via ELECTRON_RUN_AS_NODE), so HTTP parsing and SQLite writes
 * of training scripts never run on the extension host's thread. A server that `loopline serve` or
 * another window already runs for the store is reused (found through `server.json`). Every window
 * that uses a server registers itself (server-users.ts); the server stops with the last of them.
 */
export class ServerController implements vscode.Disposable {
  private readonly servers = new Map<string, OwnServer>();
  /** Servers this window uses but did not start (`loopline serve`, another window, before a reload). */
  private readonly attached = new Map<string, { ws: WorkspaceStore; url: string; port: number }>();
  private readonly used = new Set<string>();
  private readonly starting = new Map<string, Promise<Endpoint>>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly script: string;

  constructor(serverScript: string) {
    this.script = serverScript;
  }

  running(): Array<{ ws: WorkspaceStore; url: string; port: number }> {
    return [...this.servers.values(), ...this.attached.values()].map((s) => ({ ws: s.ws, url: s.url, port: s.port }));
  }

  async ensure(ws: WorkspaceStore): Promise<Endpoint> {
    const own = this.servers.get(ws.store.path);
    if (own && own.child.exitCode === null) return { url: own.url, token: own.token, own: true };
    return this.start(ws);
  }

  /** The store's server: this window's, else a live advertised one (reused), else a new process. */
  async start(ws: WorkspaceStore): Promise<Endpoint> {
    const key = ws.store.path;
    const existing = this.servers.get(key);
    if (existing && existing.child.exitCode === null) return { url: existing.url, token: existing.token, own: true };
    const live = await findLiveServer(key);
    if (live) {
      this.use(key);
      if (!this.attached.has(key)) {
        this.attached.set(key, { ws, url: live.url, port: live.port });
        this.fireChanged();
      }
      return { url: live.url, token: live.token, own: false };
    }
    this.attached.delete(key);
    let pending = this.starting.get(key);
    if (!pending) {
      pending = this.spawnServer(ws).finally(() => this.starting.delete(key));
      this.starting.set(key, pending);
    }
    return pending;
  }

  private use(storePath: string): void {
    registerServerUser(storePath, process.pid);
    this.used.add(storePath);
  }

  private async spawnServer(ws: WorkspaceStore): Promise<Endpoint> {
    const key = ws.store.path;
    const wantedPort = readSettings(ws.folder).serverPort;
    this.use(key);
    const child = spawn(process.execPath, [this.script, 'serve', '--store', key, '--port', String(wantedPort), '--stop-when-unused'], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', LOOPLINE_TRACKING_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: it outlives this window while another window still uses it.
      detached: true,
      windowsHide: true,
    });
    lowerPriority(child);
    const { url, token } = await new Promise<{ url: string; token: string }>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => fail(`it did not answer within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill();
        reject(new Error(`The tracking server for ${ws.folder.name} did not start: ${why}${err.trim() ? ` (${err.trim().split('\n').pop()})` : ''}`));
      };
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const u = /^MLFLOW_TRACKING_URI=(\S+)$/m.exec(out)?.[1];
        const t = /^MLFLOW_TRACKING_TOKEN=(\S+)$/m.exec(out)?.[1];
        if (u && t) {
          clearTimeout(timer);
          resolve({ url: u, token: t });
        }
      });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.once('error', (e) => fail(e.message));
      child.once('exit', (code, signal) => fail(`it exited (${code ?? signal})`));
    });
    // From here on its stderr lines (failed requests) go to the log; the token is never in them.
    child.stdout!.removeAllListeners('data').resume();
    child.stderr!.removeAllListeners('data').on('data', (d: string) => {
      for (const line of d.split('\n')) if (line.trim()) log().warn(`tracking server: ${line.trim()}`);
    });
    child.unref();
    const port = Number(new URL(url).port);
    const own: OwnServer = { ws, url, port, token, child };
    this.servers.set(key, own);
    child.once('exit', () => {
      if (this.servers.get(key) !== own) return;
      this.servers.delete(key);
      log().info(`Tracking server for ${ws.folder.name} stopped`);
      this.fireChanged();
    });
    log().info(`Tracking server for ${ws.folder.name} on ${url} (process ${child.pid})`);
    this.fireChanged();
    return { url, token, own: true };
  }

  /**
   * Stops the servers this window started (all, or the one of `ws`) and stops using the ones it
   * reused (a `loopline serve` in a terminal keeps running); returns how many.
   */
  async stop(ws?: WorkspaceStore): Promise<number> {
    const reused = [...this.attached.values()].filter((a) => !ws || a.ws === ws);
    for (const a of reused) this.release(a.ws);
    const targets = [...this.servers.entries()].filter(([, s]) => !ws || s.ws === ws);
    await Promise.all(
      targets.map(async ([key, s]) => {
        this.servers.delete(key);
        unregisterServerUser(key, process.pid);
        this.used.delete(key);
        if (s.child.exitCode !== null) return;
        const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
        s.child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (s.child.exitCode === null) s.child.kill('SIGKILL');
        log().info(`Tracking server for ${s.ws.folder.name} stopped`);
      }),
    );
    this.fireChanged();
    return targets.length + reused.length;
  }

  /** This window no longer uses the store's server; it stops once no window does. */
  release(ws: WorkspaceStore): void {
    unregisterServerUser(ws.store.path, process.pid);
    this.used.delete(ws.store.path);
    this.servers.delete(ws.store.path);
    this.attached.delete(ws.store.path);
    this.fireChanged();
  }

  private fireChanged(): void {
    void vscode.commands.executeCommand('setContext', 'loopline.serverRunning', this.servers.size + this.attached.size > 0);
    this.changed.fire();
  }

  dispose(): void {
    // Not stopped here: another window may use them; each stops when its last user is gone.
    for (const key of this.used) unregisterServerUser(key, process.pid);
    this.used.clear();
    this.changed.dispose();
  }
}
