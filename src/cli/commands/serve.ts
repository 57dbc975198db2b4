import { TrackingServer } from '../../core/tracking/tracking-server.ts';
import { removeServerAdvert, writeServerAdvert } from '../../core/tracking/server-file.ts';
import { option, parseArgs, UsageError } from '../args.ts';
import { openStore } from './open-store.ts';

export async function serveCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { options: ['port', 'token', 'store'] });
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
  });
  removeServerAdvert(store.path, process.pid);
  await server.close();
  store.close();
  return 0;
}
