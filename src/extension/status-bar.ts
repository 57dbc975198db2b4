import * as vscode from 'vscode';
import type { ActiveRunsTreeProvider } from './runs/active-runs-tree.ts';
import type { ServerController } from './tracking/server-controller.ts';

/** `$(beaker) 2 running · tracking :5123` — running runs and the tracking server's port; click focuses the Runs view. */
export class LooplineStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('loopline.status', vscode.StatusBarAlignment.Left, 50);
  private running = 0;
  private readonly subs: vscode.Disposable[];
  private readonly servers: ServerController;

  constructor(runs: ActiveRunsTreeProvider, servers: ServerController) {
    this.servers = servers;
    this.item.name = 'Loopline';
    this.item.command = 'loopline.runs.focus';
    this.subs = [
      runs.onDidChangeCount((n) => {
        this.running = n;
        this.render();
      }),
      servers.onDidChange(() => this.render()),
    ];
    this.render();
  }

  render(): void {
    const ports = this.servers.running().map((s) => `:${s.port}`);
    if (this.running === 0 && ports.length === 0) {
      this.item.hide();
      return;
    }
    const parts = [this.running ? `${this.running} running` : 'Loopline', ...(ports.length ? [`tracking ${ports.join(' ')}`] : [])];
    this.item.text = `$(beaker) ${parts.join(' · ')}`;
    this.item.tooltip = `Loopline: ${this.running} run(s) running${ports.length ? `; tracking server on 127.0.0.1${ports.join(', ')}` : ''}. Click to show the Runs view.`;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    for (const s of this.subs) s.dispose();
  }
}
