import { dockerBackend } from '../../core/containers/container-backend.ts';
import { DeploymentManager } from '../../core/deploy/deployment-manager.ts';
import type { Strategy } from '../../core/deploy/deployment-records.ts';
import { GateFailedError } from '../../core/registry/model-registry.ts';
import { formatGateReport } from '../../core/registry/validation-gates.ts';
import { option, parseArgs, UsageError, type ParsedArgs } from '../args.ts';
import { formatAgo, table, toJson } from '../format.ts';
import { withRegistry } from './registry.ts';

/** `60s`, `2m`, `500ms`, `0` → milliseconds. */
function durationOption(args: ParsedArgs, key: string, fallbackMs: number): number {
  const v = option(args, key);
  if (v === undefined) return fallbackMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new UsageError(`--${key} must be a duration such as 60s, 10m or 0, not '${v}'.`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

/** After a switch: watch the new version and roll back by itself if it fails (see watchAfterSwitch). */
async function settle(m: DeploymentManager, name: string, args: ParsedArgs): Promise<number> {
  const settleMs = durationOption(args, 'settle', 60_000);
  if (settleMs <= 0) return 0;
  const rate = option(args, 'max-error-rate');
  if (rate !== undefined && !(Number(rate) >= 0 && Number(rate) <= 1)) throw new UsageError(`--max-error-rate must be a share between 0 and 1 (e.g. 0.05), not '${rate}'.`);
  console.log(`Watching ${name} for ${settleMs / 1000} s (--settle); it rolls back by itself if the new version fails. Ctrl-C stops watching, not the deployment.`);
  const res = await m.watchAfterSwitch(name, { settleMs, ...(rate !== undefined ? { maxErrorRate: Number(rate) } : {}) });
  if (res.rolledBack) {
    console.error(`loopline: automatic rollback of ${name}: version ${res.version} ${res.reason}; the previous version serves again.`);
    return 3;
  }
  console.log(`${name}: ${res.reason === 'settled' ? `version ${res.version} settled` : res.reason}.`);
  return 0;
}

async function withManager<T>(args: ParsedArgs, fn: (m: DeploymentManager) => Promise<T>): Promise<T> {
  return withRegistry(args, async (r) => fn(new DeploymentManager(r, await dockerBackend(), { ...(option(args, 'proxy-image') ? { proxyImage: option(args, 'proxy-image')! } : {}) })));
}

/** `deploy MODEL@ALIAS|MODEL/VERSION --name NAME`: prints ENDPOINT=… as its last line. */
export async function deployCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'force'], options: ['store', 'name', 'port', 'strategy', 'percent', 'reason', 'proxy-image', 'settle', 'max-error-rate', 'keep-previous'] });
  const ref = args.positionals[0];
  const name = option(args, 'name');
  if (!ref || !name) throw new UsageError('Usage: loopline deploy MODEL@ALIAS|MODEL/VERSION --name NAME [--port P] [--strategy blue-green|canary] [--percent N] [--force --reason TEXT] [--settle 60s] [--max-error-rate 0.05] [--keep-previous 10m] [--json]');
  const strategy = (option(args, 'strategy') ?? 'blue-green') as Strategy;
  if (strategy !== 'blue-green' && strategy !== 'canary') throw new UsageError(`--strategy must be blue-green or canary, not '${strategy}'.`);
  const num = (k: string) => {
    const v = option(args, k);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new UsageError(`--${k} must be a whole number, not '${v}'.`);
    return Number(v);
  };
  if (args.flags.has('force') && !option(args, 'reason')) throw new UsageError('--force needs --reason TEXT: the override is recorded in the audit log.');
  return withManager(args, async (m) => {
    try {
      const port = num('port');
      const percent = num('percent');
      const reason = option(args, 'reason');
      const res = await m.deploy(ref, { name, strategy, force: args.flags.has('force'), keepPreviousMs: durationOption(args, 'keep-previous', 10 * 60_000), ...(port !== undefined ? { port } : {}), ...(percent !== undefined ? { percent } : {}), ...(reason ? { reason } : {}) });
      if (args.flags.has('json')) console.log(toJson({ name, version: res.version, strategy, endpoint: res.endpoint, slots: res.deployment.slots, gates: res.gates }));
      else {
        console.log(formatGateReport(res.gates));
        console.log(`Deployed ${res.deployment.model}/${res.version} as ${name} (${strategy}${strategy === 'canary' ? ` ${percent}%` : ''}).`);
      }
      const code = strategy === 'blue-green' && res.deployment.slots.some((s) => s.role === 'previous') ? await settle(m, name, args) : 0;
      console.log(`ENDPOINT=${res.endpoint}`);
      return code;
    } catch (err) {
      if (!(err instanceof GateFailedError)) throw err;
      console.log(formatGateReport(err.report));
      console.error(`loopline deploy: refused by the validation gates; override with --force --reason TEXT.`);
      return 1;
    }
  });
}

export async function promoteCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: [], options: ['store', 'settle', 'max-error-rate', 'keep-previous'] });
  const name = args.positionals[0];
  if (!name) throw new UsageError('Usage: loopline promote NAME [--settle 60s] [--max-error-rate 0.05] [--keep-previous 10m]');
  return withManager(args, async (m) => {
    const d = await m.promote(name, { keepPreviousMs: durationOption(args, 'keep-previous', 10 * 60_000) });
    console.log(`${name}: 100% to version ${d.slots[0]!.version}; version ${d.slots[1]?.version ?? '-'} stays warm for rollback.`);
    return settle(m, name, args);
  });
}

export async function rollbackCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: [], options: ['store'] });
  const name = args.positionals[0];
  if (!name) throw new UsageError('Usage: loopline rollback NAME');
  return withManager(args, async (m) => {
    const t0 = performance.now();
    const d = await m.rollback(name);
    console.log(`${name}: back on version ${d.slots.find((s) => s.role === 'live')?.version} in ${Math.round(performance.now() - t0)} ms.`);
    return 0;
  });
}

export async function undeployCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: [], options: ['store'] });
  const name = args.positionals[0];
  if (!name) throw new UsageError('Usage: loopline undeploy NAME');
  return withManager(args, async (m) => {
    await m.undeploy(name);
    console.log(`Removed deployment ${name}: its containers and network are gone and its port is free.`);
    return 0;
  });
}

export async function deploymentsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'history'], options: ['store'] });
  return withManager(args, async (m) => {
    const list = await m.list();
    if (args.flags.has('json')) {
      console.log(toJson(list.map((d) => ({ ...d, history: m.records.history(d.name) }))));
      return 0;
    }
    if (list.length === 0) {
      console.log('No deployments. Deploy one with: loopline deploy MODEL@champion --name NAME');
      return 0;
    }
    console.log(
      table(
        ['NAME', 'MODEL', 'ENDPOINT', 'TRAFFIC', 'WARM', 'STATE', 'UPDATED'],
        list.map((d) => [
          d.name,
          d.model,
          d.endpoint,
          d.slots.filter((s) => s.weight > 0).map((s) => `v${s.version} ${s.weight}%`).join(', '),
          d.slots.filter((s) => s.role === 'previous').map((s) => `v${s.version}`).join(', ') || '-',
          d.running ? 'running' : 'stopped',
          formatAgo(d.updatedTime),
        ]),
      ),
    );
    // Per version: traffic and what the proxy's access log says about it (all requests it has logged).
    // Whole milliseconds, as formatDuration shows a latency everywhere else (the header has the unit).
    const ms = (v: number | null) => (v === null ? '-' : String(Math.round(v)));
    console.log(
      `\n${table(
        ['DEPLOYMENT', 'VERSION', 'ROLE', 'TRAFFIC', 'REQUESTS', 'ERRORS', 'ERROR %', 'P50 MS', 'P95 MS'],
        list.flatMap((d) =>
          d.slots.map((s) => {
            const mm = d.metrics.find((x) => x.slot === s.id);
            return [d.name, `v${s.version}${s.alias ? ` (${s.alias})` : ''}`, s.role, `${s.weight}%`, String(mm?.requests ?? 0), String(mm?.errors ?? 0), mm && mm.requests ? (mm.errorRate * 100).toFixed(1) : '-', ms(mm?.p50Ms ?? null), ms(mm?.p95Ms ?? null)];
          }),
        ),
      )}`,
    );
    if (args.flags.has('history')) {
      for (const d of list) {
        console.log(`\nHistory of ${d.name}`);
        console.log(table(['WHEN', 'ACTION', 'VERSION', 'ALIAS', 'STRATEGY', 'WHO', 'OUTCOME'], m.records.history(d.name).map((h) => [new Date(h.time).toISOString(), h.action, String(h.version ?? '-'), h.alias ?? '-', h.strategy ?? '-', h.actor, h.outcome])));
      }
    }
    return 0;
  });
}
