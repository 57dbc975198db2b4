import { TrackingServer } from '../../core/tracking/tracking-server.ts';
import { removeServerAdvert, writeServerAdvert } from '../../core/tracking/server-file.ts';
import { liveServerUsers } from '../../core/tracking/server-users.ts';
import { option, parseArgs, UsageError } from '../args.ts';
import { openStore } from './open-store.ts';

/** How long a server started for windows waits with no window using it (a reload) before it stops. */
const UNUSED_GRACE_MS = Number(process.env.LOOPLINE_SERVER_UNUSED_GRACE_MS) || 10_000;

export async function serveCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { options: ['port', 'token', 'store'], flags: ['stop-when-unused'] });
  const portText = option(args, 'port') ?? '0';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not '${portText}'.`);
  const store = openStore(args);
  const token = option(args, 'token') ?? process.env.LOOPLINE_TRACKING_TOKEN;
  const server = await TrackingServer.start({ store, port, ...(token ? { token } : {}), log: (l) => console.error(`loopline serve: ${l}`) });
  writeServerAdvert(store.path, { url: server.url, port: server.port, token: server.token, pid: process.pid, store: store.path });
  console.log(`MLFLOW_TRACKING_URI=${server.url}`);
  console.log(`MLFLOW_TRACKING_TOKEN=${server.token}`);
  console.error(`loopline: serving ${store.path} on ${server.url} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // Started by the extension: stop with the last window that uses it (see server-users.ts).
    if (args.flags.has('stop-when-unused')) {
      let unusedSince: number | undefined;
      const check = setInterval(() => {
        if (liveServerUsers(store.path).length > 0) unusedSince = undefined;
        else if ((unusedSince ??= Date.now()) + UNUSED_GRACE_MS <= Date.now()) {
          clearInterval(check);
          console.error('loopline: no window uses this server any more; stopping');
          resolve();
        }
      }, Math.min(1000, UNUSED_GRACE_MS));
    }
  });
  removeServerAdvert(store.path, process.pid);
  await server.close();
  store.close();
  return 0;
}
