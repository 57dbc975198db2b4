import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { DATA_FILE_EXTENSIONS } from '../../core/monitoring/data-format.ts';
import { profileDrift } from '../../core/monitoring/feature-drift.ts';
import { monitoringSettings } from '../../core/monitoring/monitoring-settings.ts';
import { loadProjectConfig } from '../../core/project/project-config.ts';
import type { DataProfile } from '../../core/monitoring/profile-types.ts';
import { parseProfileToHost, toProfileMsg, type HostToProfile, type ProfileToHost } from '../../protocol/data-profile-protocol.ts';
import { log } from '../log.ts';
import { renderWebview, webviewOptions } from '../webviews/webview-resources.ts';
import { startProfileJob, type ProfileJob } from './profile-job.ts';

/** Open panels (reference and compared file), kept host-side so a window reload can restore them. */
const STATE_KEY = 'loopline.dataProfile.open';
interface SavedPanel {
  reference: string;
  current?: string;
}

/**
 * The Data Profile panel of one file (and optionally a second one it is compared with). Profiling
 * runs in a worker; the panel shows progress, can cancel, and keeps the last view so a webview that
 * says `ready` late (or again after being hidden) gets it.
 */
export class DataProfilePanel implements vscode.Disposable {
  static readonly viewType = 'loopline.dataProfile';
  private static readonly open = new Map<string, DataProfilePanel>();
  private readonly subs: vscode.Disposable[] = [];
  private readonly jobs = new Set<ProfileJob>();
  private readonly profiles = new Map<string, DataProfile>();
  private view: HostToProfile | undefined;
  private ready = false;
  private disposed = false;
  private currentPath: string | undefined;
  readonly panel: vscode.WebviewPanel;
  private readonly ctx: vscode.ExtensionContext;
  private readonly referencePath: string;

  private constructor(panel: vscode.WebviewPanel, ctx: vscode.ExtensionContext, referencePath: string) {
    this.panel = panel;
    this.ctx = ctx;
    this.referencePath = referencePath;
    panel.webview.html = renderWebview(panel.webview, ctx.extensionUri, 'data-profile', `Profile ${basename(referencePath)}`);
    panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'loopline.svg');
    this.subs.push(panel.webview.onDidReceiveMessage((m) => this.receive(m)));
    panel.onDidDispose(() => this.dispose());
    DataProfilePanel.open.set(referencePath, this);
  }

  /** Restores the panels open before a window reload (each serialized panel takes the next saved file). */
  static serializer(ctx: vscode.ExtensionContext): vscode.WebviewPanelSerializer {
    return {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
        const saved = ctx.workspaceState.get<SavedPanel[]>(STATE_KEY, []);
        const next = saved.find((s) => typeof s?.reference === 'string' && !DataProfilePanel.open.has(s.reference) && existsSync(s.reference));
        if (!next) {
          panel.dispose();
          return;
        }
        panel.webview.options = webviewOptions(ctx.extensionUri);
        const p = new DataProfilePanel(panel, ctx, next.reference);
        void p.load(typeof next.current === 'string' && existsSync(next.current) ? next.current : undefined);
      },
    };
  }

  private remember(): void {
    const saved = this.ctx.workspaceState.get<SavedPanel[]>(STATE_KEY, []).filter((s) => s?.reference !== this.referencePath);
    if (!this.disposed) saved.push({ reference: this.referencePath, ...(this.currentPath ? { current: this.currentPath } : {}) });
    void this.ctx.workspaceState.update(STATE_KEY, saved.slice(-20));
  }

  /** Opens (or reveals) the profile of `file`; with `compareTo`, the comparison of the two. */
  static show(ctx: vscode.ExtensionContext, file: vscode.Uri, compareTo?: vscode.Uri): DataProfilePanel {
    let p = DataProfilePanel.open.get(file.fsPath);
    if (p) p.panel.reveal();
    else {
      const panel = vscode.window.createWebviewPanel(DataProfilePanel.viewType, `Profile: ${basename(file.fsPath)}`, vscode.ViewColumn.Active, webviewOptions(ctx.extensionUri));
      p = new DataProfilePanel(panel, ctx, file.fsPath);
    }
    void p.load(compareTo?.fsPath);
    return p;
  }

  /** The last profile or comparison shown (read by the extension-host tests). */
  get shown(): HostToProfile | undefined {
    return this.view;
  }

  private post(msg: HostToProfile): void {
    if (msg.type !== 'progress') this.view = msg;
    if (this.ready) void this.panel.webview.postMessage(msg);
  }

  private profile(path: string): Promise<DataProfile> {
    const cached = this.profiles.get(path);
    if (cached) return Promise.resolve(cached);
    const script = vscode.Uri.joinPath(this.ctx.extensionUri, 'dist', 'profile-worker.cjs').fsPath;
    const name = basename(path);
    const job = startProfileJob(script, path, (p) => this.post({ type: 'progress', file: name, fraction: p.totalBytes ? p.bytesRead / p.totalBytes : 1, rows: p.rows }));
    this.jobs.add(job);
    return job.result.then(
      (profile) => {
        this.jobs.delete(job);
        this.profiles.set(path, profile);
        return profile;
      },
      (err: unknown) => {
        this.jobs.delete(job);
        throw err;
      },
    );
  }

  private async load(compareWith?: string): Promise<void> {
    this.currentPath = compareWith;
    this.remember();
    try {
      this.post({ type: 'progress', file: basename(this.referencePath), fraction: 0, rows: 0 });
      const reference = await this.profile(this.referencePath);
      if (!compareWith) {
        this.post({ type: 'profile', profile: toProfileMsg(reference) });
        return;
      }
      const current = await this.profile(compareWith);
      if (this.currentPath !== compareWith) return;
      this.panel.title = `Profile: ${basename(this.referencePath)} vs ${basename(compareWith)}`;
      // Thresholds from the loopline.yaml of the reference's workspace folder (monitoring:).
      const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(this.referencePath));
      const settings = folder ? monitoringSettings(loadProjectConfig(folder.uri.fsPath)) : {};
      this.post({ type: 'comparison', reference: toProfileMsg(reference), current: toProfileMsg(current), drift: profileDrift(reference, current, settings) });
    } catch (err) {
      if (this.disposed) return;
      const message = err instanceof Error ? err.message : String(err);
      if (/cancelled/.test(message)) this.post({ type: 'cancelled', file: basename(compareWith ?? this.referencePath) });
      else this.post({ type: 'error', message });
    }
  }

  private receive(raw: unknown): void {
    const msg = parseProfileToHost(raw);
    if (!msg) {
      log().warn(`data profile webview sent an invalid message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    void this.handle(msg);
  }

  private async handle(msg: ProfileToHost): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        if (this.view) void this.panel.webview.postMessage(this.view);
        return;
      case 'cancel':
        for (const j of this.jobs) j.cancel();
        return;
      case 'compareWith': {
        const picked = await pickDataFile('Compare with', vscode.Uri.file(this.referencePath));
        if (picked) await this.load(picked.fsPath);
        return;
      }
      case 'closeComparison':
        this.panel.title = `Profile: ${basename(this.referencePath)}`;
        await this.load(undefined);
        return;
      default: {
        const never: never = msg;
        void never;
      }
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.remember();
    for (const j of this.jobs) j.cancel();
    DataProfilePanel.open.delete(this.referencePath);
    for (const d of this.subs) d.dispose();
  }
}

/** A CSV/TSV/JSON Lines/Parquet file: from the workspace (quick pick) or anywhere (open dialog). */
export async function pickDataFile(title: string, near?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const glob = `**/*{${DATA_FILE_EXTENSIONS.join(',')}}`;
  const found = await vscode.workspace.findFiles(glob, '**/{node_modules,.git,.loopline}/**', 500);
  const browse = { label: '$(folder-opened) Browse…', uri: undefined as vscode.Uri | undefined };
  const items = [...found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })), browse];
  const picked = found.length ? await vscode.window.showQuickPick(items, { placeHolder: `${title}: a CSV, TSV, JSON Lines or Parquet file` }) : browse;
  if (!picked) return undefined;
  if (picked.uri) return picked.uri;
  const chosen = await vscode.window.showOpenDialog({
    title,
    canSelectMany: false,
    defaultUri: near,
    filters: { 'Data files': DATA_FILE_EXTENSIONS.map((e) => e.slice(1)) },
  });
  return chosen?.[0];
}
