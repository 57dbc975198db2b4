import * as vscode from 'vscode';
import { TrackingServer } from '../../core/tracking/tracking-server.ts';
import { findLiveServer, removeServerAdvert, writeServerAdvert } from '../../core/tracking/server-file.ts';
import { log } from '../log.ts';
import { readSettings } from '../settings.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';

export interface Endpoint {
  url: string;
  token: string;
  /** True when this window serves it. */
  own: boolean;
}

/**
 * The tracking server of each workspace store, run inside the extension host. If `loopline serve`
 * (or another window) already serves the store, that one is reused.
 */
export class ServerController implements vscode.Disposable {
  private readonly servers = new Map<string, { server: TrackingServer; ws: WorkspaceStore; sub: { dispose(): void } }>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  running(): Array<{ ws: WorkspaceStore; url: string; port: number }> {
    return [...this.servers.values()].map((s) => ({ ws: s.ws, url: s.server.url, port: s.server.port }));
  }

  async ensure(ws: WorkspaceStore): Promise<Endpoint> {
    const own = this.servers.get(ws.store.path);
    if (own) return { url: own.server.url, token: own.server.token, own: true };
    const live = await findLiveServer(ws.store.path);
    if (live) return { url: live.url, token: live.token, own: false };
    return this.start(ws);
  }

  async start(ws: WorkspaceStore): Promise<Endpoint> {
    const existing = this.servers.get(ws.store.path);
    if (existing) return { url: existing.server.url, token: existing.server.token, own: true };
    const port = readSettings(ws.folder).serverPort;
    const server = await TrackingServer.start({ store: ws.store, port, log: (l) => log().warn(`tracking server: ${l}`) });
    // The server writes through this window's connection, which data_version does not report.
    const sub = server.onDidChange(() => ws.watcher.notifyLocalWrite());
    writeServerAdvert(ws.store.path, { url: server.url, port: server.port, token: server.token, pid: process.pid, store: ws.store.path });
    this.servers.set(ws.store.path, { server, ws, sub });
    log().info(`Tracking server for ${ws.folder.name} on ${server.url}`);
    void vscode.commands.executeCommand('setContext', 'loopline.serverRunning', true);
    this.changed.fire();
    return { url: server.url, token: server.token, own: true };
  }

  async stop(ws?: WorkspaceStore): Promise<number> {
    const targets = [...this.servers.entries()].filter(([, s]) => !ws || s.ws === ws);
    for (const [key, s] of targets) {
      s.sub.dispose();
      removeServerAdvert(key, process.pid);
      await s.server.close();
      this.servers.delete(key);
      log().info(`Tracking server for ${s.ws.folder.name} stopped`);
    }
    void vscode.commands.executeCommand('setContext', 'loopline.serverRunning', this.servers.size > 0);
    this.changed.fire();
    return targets.length;
  }

  dispose(): void {
    void this.stop();
    this.changed.dispose();
  }
}
