import type { RunStore } from '../store/run-store.ts';
import { findLiveServer } from './server-file.ts';
import { TrackingServer } from './tracking-server.ts';

export interface TrackingEndpoint {
  url: string;
  token: string;
  /** True when this process started the server (and so stops it in `close`). */
  ownServer: boolean;
  close(): Promise<void>;
}

/**
 * The tracking server a run should log to: the one `loopline serve` advertises for this store
 * if it is alive, otherwise a new one in this process for as long as the caller needs it.
 */
export async function ensureTrackingEndpoint(store: RunStore): Promise<TrackingEndpoint> {
  const live = await findLiveServer(store.path);
  if (live) return { url: live.url, token: live.token, ownServer: false, close: async () => {} };
  const server = await TrackingServer.start({ store });
  return { url: server.url, token: server.token, ownServer: true, close: () => server.close() };
}
