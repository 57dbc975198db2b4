import type { Run } from '../../core/store/types.ts';
import { option, parseArgs } from '../args.ts';
import { digitsFor } from '../../shared/display-format.ts';
import { formatStatus } from '../../shared/run-status.ts';
import { formatAgo, formatDuration, formatNumber, table, toJson } from '../format.ts';
import { openStore } from './open-store.ts';

export async function experimentsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'deleted'], options: ['store'] });
  const store = openStore(args);
  try {
    const list = store.listExperiments(args.flags.has('deleted') ? 'ALL' : 'ACTIVE_ONLY');
    const rows = list.map((e) => ({ ...e, runs: store.countRuns(e.id) }));
    if (args.flags.has('json')) console.log(toJson(rows));
    else console.log(table(['ID', 'NAME', 'RUNS', 'CREATED', 'STAGE'], rows.map((e) => [e.id, e.name, String(e.runs), formatAgo(e.creationTime), e.lifecycleStage])));
    return 0;
  } finally {
    store.close();
  }
}

export async function lsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'deleted'], options: ['store', 'experiment', 'filter', 'order-by', 'limit'] });
  const store = openStore(args);
  try {
    const expName = option(args, 'experiment');
    const experiments = expName ? [store.getExperimentByName(expName)] : store.listExperiments();
    const limit = Number(option(args, 'limit') ?? 1000);
    const page = store.searchRuns({
      experimentIds: experiments.map((e) => e.id),
      filter: option(args, 'filter') ?? '',
      orderBy: args.options.get('order-by') ?? [],
      maxResults: limit,
      viewType: args.flags.has('deleted') ? 'DELETED_ONLY' : 'ACTIVE_ONLY',
    });
    if (args.flags.has('json')) {
      console.log(toJson(page.runs));
      return 0;
    }
    if (page.runs.length === 0) {
      console.log('No runs yet. Start one with: loopline run -- python3 train.py');
      return 0;
    }
    console.log(runsTable(page.runs, experiments.length > 1 ? new Map(experiments.map((e) => [e.id, e.name])) : undefined));
    if (page.nextPageToken) console.log(`… more runs not shown; use --limit or --filter.`);
    return 0;
  } finally {
    store.close();
  }
}

/** One row per run; a column per param and per metric (its last value) seen in any run. */
export function runsTable(runs: Run[], experimentNames?: Map<string, string>): string {
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const metricKeys = [...new Set(runs.flatMap((r) => r.metrics.map((m) => m.key)))].sort();
  const now = Date.now();
  const headers = ['RUN', 'NAME', ...(experimentNames ? ['EXPERIMENT'] : []), 'STATUS', 'STARTED', 'DURATION', ...paramKeys, ...metricKeys];
  // Per metric, as many digits as its spread across these runs needs.
  const digits = new Map(metricKeys.map((k) => [k, digitsFor(runs.map((r) => r.metrics.find((m) => m.key === k)?.last))]));
  const rows = runs.map((r) => {
    const metrics = new Map(r.metrics.map((m) => [m.key, m.last]));
    const end = r.info.endTime ?? (r.info.status === 'RUNNING' ? now : null);
    return [
      r.info.id.slice(0, 8),
      r.info.name,
      ...(experimentNames ? [experimentNames.get(r.info.experimentId) ?? r.info.experimentId] : []),
      formatStatus(r.info.status),
      formatAgo(r.info.startTime, now),
      formatDuration(end === null ? null : end - r.info.startTime),
      ...paramKeys.map((k) => r.params[k] ?? '-'),
      ...metricKeys.map((k) => (metrics.has(k) ? formatNumber(metrics.get(k)!, digits.get(k)) : '-')),
    ];
  });
  return table(headers, rows);
}
