import { spawn } from 'node:child_process';
import type { LaunchedProcess, LaunchSpec, ProcessExit, RunBackend } from './run-backend.ts';

/**
 * Runs the command as a child process in its own process group (stdin is passed on only when it
 * is not a terminal: a background process group reading the terminal would be stopped), , so Ctrl-C in the terminal
 * reaches the launcher once and the launcher decides how to stop the whole group (the script
 * and anything it spawned, such as data-loader workers).
 */
export class LocalProcessBackend implements RunBackend {
  readonly name = 'local';

  launch(spec: LaunchSpec): LaunchedProcess {
    const [program, ...args] = spec.command;
    if (!program) throw new Error('No command to run.');
    const child = spawn(program, args, { cwd: spec.cwd, env: spec.env, stdio: [process.stdin.isTTY ? 'ignore' : 'inherit', 'pipe', 'pipe'], detached: true });
    child.stdout.on('data', (c: Buffer) => spec.onOutput(c, 'stdout'));
    child.stderr.on('data', (c: Buffer) => spec.onOutput(c, 'stderr'));
    const exited = new Promise<ProcessExit>((resolve) => {
      child.once('error', (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'ENOENT'
            ? `Command '${program}' not found: check the spelling, or that it is on PATH.`
            : err.code === 'EACCES'
              ? `Command '${program}' is not executable (permission denied).`
              : `Could not start '${program}': ${err.message}`;
        resolve({ exitCode: err.code === 'ENOENT' ? 127 : 126, signal: null, startError: why });
      });
      // 'close' (not 'exit') so every byte of output has been delivered first.
      child.once('close', (code, signal) => resolve({ exitCode: code, signal }));
    });
    let closed = false;
    child.once('close', () => (closed = true));
    // Signal the whole group until 'close': the script may have exited while processes it started
    // (still holding its output) live on, and stopping the run must stop them too.
    const signalGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined || closed) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the group is gone already
      }
    };
    return {
      pid: child.pid,
      exited,
      get mainExited() {
        return child.exitCode !== null || child.signalCode !== null;
      },
      interrupt: () => signalGroup('SIGINT'),
      kill: () => signalGroup('SIGKILL'),
    };
  }
}
