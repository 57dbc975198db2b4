import * as vscode from 'vscode';

/**
 * A VS Code terminal that shows a run's live output. Ctrl-C in it stops the run; closing it
 * while the run is still going asks whether to stop the run or let it continue in the background.
 */
export class RunTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private opened = false;
  private pending: string[] = [];
  private finished = false;
  private readonly decoder = new TextDecoder();
  private readonly hooks: { stop: () => void; isRunning: () => boolean; runName: string };

  constructor(hooks: { stop: () => void; isRunning: () => boolean; runName: string }) {
    this.hooks = hooks;
  }

  open(): void {
    this.opened = true;
    for (const chunk of this.pending) this.writeEmitter.fire(chunk);
    this.pending = [];
  }

  /** Terminals need CRLF; process output has LF. */
  write(data: Buffer | string): void {
    const text = (typeof data === 'string' ? data : this.decoder.decode(data, { stream: true })).replace(/\r?\n/g, '\r\n');
    if (this.opened) this.writeEmitter.fire(text);
    else this.pending.push(text);
  }

  finish(summary: string): void {
    this.finished = true;
    this.write(`\r\n\x1b[1m${summary}\x1b[0m\r\n`);
  }

  handleInput(data: string): void {
    if (data === '\x03' && this.hooks.isRunning()) {
      this.write('^C\r\nStopping the run… (Ctrl-C again to kill it now)\r\n');
      this.hooks.stop();
    }
  }

  close(): void {
    if (this.finished || !this.hooks.isRunning()) return;
    void vscode.window
      .showWarningMessage(`Run "${this.hooks.runName}" is still running. Stop it?`, 'Stop Run', 'Keep Running')
      .then((choice) => {
        if (choice === 'Stop Run') this.hooks.stop();
      });
  }

  dispose(): void {
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
