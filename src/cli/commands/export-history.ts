import { exportToMlflow } from '../../core/importers/mlflow-export.ts';
import { option, parseArgs, UsageError } from '../args.ts';
import { toJson } from '../format.ts';
import { openStore } from './open-store.ts';

const USAGE = 'loopline export mlflow RUN_ID... --to DIR   (or --experiment NAME instead of run ids)';

/** `loopline export mlflow`: writes runs as an MLflow file store. */
export async function exportCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { options: ['store', 'to', 'experiment'], flags: ['json'] });
  const [format, ...ids] = args.positionals;
  if (format !== 'mlflow') throw new UsageError(`The only export format is mlflow: ${USAGE}`);
  const to = option(args, 'to');
  if (!to) throw new UsageError(`Say where to write the MLflow store with --to DIR: ${USAGE}`);
  const experiment = option(args, 'experiment');
  if (ids.length === 0 && !experiment) throw new UsageError(`Give the run ids to export, or --experiment NAME: ${USAGE}`);
  const store = openStore(args);
  try {
    const runIds = [...ids];
    if (experiment) runIds.push(...store.searchRunIds({ experimentIds: [store.getExperimentByName(experiment).id], viewType: 'ALL' }));
    const s = exportToMlflow(store, runIds, to);
    if (args.flags.has('json')) console.log(toJson(s));
    else {
      console.log(`Exported ${s.runs} runs (${s.experiments.join(', ')}) to the MLflow store ${s.destination}`);
      console.log(`  params: ${s.params}, tags: ${s.tags}, metric points: ${s.metricPoints}, artifacts: ${s.artifacts}`);
      for (const p of s.skipped) console.log(`  skipped: ${p.file}: ${p.message}`);
      console.log(`Open it with: mlflow ui --backend-store-uri ${s.destination}`);
    }
    return 0;
  } finally {
    store.close();
  }
}
