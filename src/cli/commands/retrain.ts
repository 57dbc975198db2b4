import { retrainDeployment, type RetrainResult } from '../../core/capture/retrain.ts';
import { dockerBackend } from '../../core/containers/container-backend.ts';
import { DeploymentManager } from '../../core/deploy/deployment-manager.ts';
import type { ModelRegistry } from '../../core/registry/model-registry.ts';
import { option, parseArgs, UsageError } from '../args.ts';
import { toJson } from '../format.ts';
import { withRegistry } from './registry.ts';

/** Runs a retrain and prints its outcome; shared by `loopline retrain` and monitor's on-drift trigger. */
export async function runRetrain(r: ModelRegistry, name: string, o: { data?: string; deploy: boolean; json: boolean; print?: boolean; trigger?: 'manual' | 'on-drift'; episode?: number | null }): Promise<RetrainResult> {
  const res = await retrainDeployment({
    registry: r,
    deployment: name,
    ...(o.data ? { data: o.data } : {}),
    trigger: o.trigger ?? 'manual',
    episode: o.episode ?? null,
    ...(o.deploy ? { deploy: async (ref: string) => new DeploymentManager(r, await dockerBackend()).deploy(ref, { name }) } : {}),
    // Training output goes to stderr so --json stays one document on stdout.
    onOutput: (chunk) => process.stderr.write(chunk),
    log: (line) => console.error(`loopline: ${line}`),
  });
  if (o.print === false) return res;
  if (o.json) console.log(toJson(res));
  else {
    const gates = res.gates?.results.map((g) => `  ${g.verdict.toUpperCase().padEnd(4)} ${g.gate}: ${g.reason}`).join('\n') ?? '';
    const verdict =
      res.status === 'failed'
        ? `Retrain failed: ${res.error}`
        : res.status === 'gated'
          ? `${res.from.model}/${res.version} was registered but did not pass its gates, so it was not deployed:\n${gates}`
          : `${res.from.model}/${res.version} passed its gates:\n${gates}\n${res.deployed ? `Deployed blue/green to '${name}' (${res.endpoint}).` : `Deploy it with: loopline deploy ${res.from.model}/${res.version} --name ${name}  (or retrain with --deploy)`}`;
    console.log(`Retrained ${res.from.model}/${res.from.version} on ${res.data.source === 'captured' ? 'the labelled captured traffic' : res.data.file} (${res.data.rows} rows, sha256 ${res.data.sha256.slice(0, 12)}) as run ${res.runId}.\n${verdict}`);
  }
  return res;
}

/** `loopline retrain NAME [--data PATH] [--deploy] [--json]` */
export async function retrainCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'deploy'], options: ['store', 'data', 'on-drift-episode'] });
  const name = args.positionals[0];
  if (!name || args.positionals.length > 1) throw new UsageError('Usage: loopline retrain NAME [--data PATH] [--deploy] [--json]  (default data: the captured requests that have labels)');
  return withRegistry(args, async (r) => {
    // --on-drift-episode N: started by the drift watcher (VS Code) for that episode; refused if it already had one.
    const episode = option(args, 'on-drift-episode');
    if (episode !== undefined && !/^\d+$/.test(episode)) throw new UsageError(`--on-drift-episode is a drift episode number (got '${episode}').`);
    const res = await runRetrain(r, name, { data: option(args, 'data'), deploy: args.flags.has('deploy'), json: args.flags.has('json'), ...(episode !== undefined ? { trigger: 'on-drift' as const, episode: Number(episode) } : {}) });
    return res.status === 'failed' ? 1 : res.status === 'gated' ? 3 : 0;
  });
}
