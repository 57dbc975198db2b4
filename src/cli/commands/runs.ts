import { parseArgs, UsageError } from '../args.ts';
import { ensureTrackingEndpoint } from '../../core/tracking/tracking-endpoint.ts';
import { openStore } from './open-store.ts';

/**
 * `loopline runs reattach`: follows the container runs of this store whose launcher went away
 * (logs, metrics) until they end, and records their end; removes containers of ended runs.
 */
export async function runsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'reattach') throw new UsageError(`Unknown runs subcommand '${sub ?? ''}': use loopline runs reattach.`);
  const args = parseArgs(rest, { flags: ['quiet'], options: ['store'] });
  const store = openStore(args);
  const endpoint = await ensureTrackingEndpoint(store);
  try {
    const { reattachContainerRuns } = await import('../../core/containers/container-reattach.ts');
    const quiet = args.flags.has('quiet');
    const runs = await reattachContainerRuns(store, {
      trackingUrl: endpoint.url,
      onOutput: (_runId, chunk, stream) => {
        if (!quiet) (stream === 'stdout' ? process.stdout : process.stderr).write(chunk);
      },
    });
    if (runs.length === 0) {
      console.error('loopline: no running container runs to reattach in this store.');
      return 0;
    }
    console.error(`loopline: following ${runs.length} container run(s): ${runs.map((r) => r.runId.slice(0, 8)).join(', ')}`);
    let worst = 0;
    for (const r of runs) {
      const end = await r.finished;
      console.error(`loopline: run ${r.runId} ${end.status}${end.statusReason ? ` (${end.statusReason})` : ''}`);
      if (end.status !== 'FINISHED') worst = 1;
    }
    return worst;
  } finally {
    await endpoint.close();
    store.close();
  }
}
