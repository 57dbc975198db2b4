import { serveCommand } from './commands/serve.ts';

/**
 * `loopline serve` alone, bundled beside the extension (dist/server.cjs) so the extension runs its
 * tracking server in a process of its own: VS Code's Node (`process.execPath` with
 * ELECTRON_RUN_AS_NODE=1) and the same better-sqlite3 build as the extension.
 */
serveCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`loopline serve: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
