import { importRuns } from '../../core/importers/run-import.ts';
import { IMPORT_FORMATS, type ImportFormat, type ImportSummary } from '../../core/importers/import-types.ts';
import { option, parseArgs, UsageError } from '../args.ts';
import { toJson } from '../format.ts';
import { openStore } from './open-store.ts';

const USAGE = 'loopline import [mlflow|tensorboard|dvclive|wandb] PATH [--experiment NAME] [--artifacts-from DIR] [--dry-run] [--json]';

/** `loopline import [FORMAT] PATH`: brings runs from other tools' files into the store. */
export async function importCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { options: ['store', 'experiment', 'artifacts-from'], flags: ['dry-run', 'json'] });
  let format: ImportFormat | undefined;
  let path: string | undefined;
  const [a, b, ...extra] = args.positionals;
  if (a && (IMPORT_FORMATS as readonly string[]).includes(a) && b !== undefined) (format = a as ImportFormat), (path = b);
  else if (a && b === undefined) path = a;
  if (!path || extra.length) throw new UsageError(`Give one folder to import: ${USAGE}`);
  const dryRun = args.flags.has('dry-run');
  const json = args.flags.has('json');
  const store = dryRun ? undefined : openStore(args);
  try {
    const summary = importRuns(store, {
      path,
      format,
      experiment: option(args, 'experiment'),
      dryRun,
      artifactsFrom: args.options.get('artifacts-from'),
      onProgress: json || !process.stderr.isTTY ? undefined : (p) => process.stderr.write(`\r${p.runsRead} runs, ${p.pointsRead} points read…`),
    });
    if (!json && process.stderr.isTTY) process.stderr.write('\n');
    if (json) console.log(toJson(summary));
    else printSummary(summary);
    return 0;
  } finally {
    store?.close();
  }
}

function printSummary(s: ImportSummary): void {
  const verb = s.dryRun ? 'Would import' : 'Imported';
  console.log(`${verb} ${s.format} runs from ${s.source}`);
  console.log(`  experiments: ${s.experiments.join(', ') || '-'}`);
  console.log(`  runs: ${s.runs.read} read, ${s.runs.created} new, ${s.runs.updated} updated, ${s.runs.unchanged} unchanged`);
  console.log(`  params: ${s.params}${s.dryRun ? '' : ' new'}, tags: ${s.tags}`);
  console.log(`  metric points: ${s.metricPoints.read} read${s.dryRun ? '' : `, ${s.metricPoints.added} new`}`);
  const notCopied = [
    s.artifacts.refused ? `${s.artifacts.refused} refused (outside the imported folder)` : '',
    s.artifacts.failed ? `${s.artifacts.failed} could not be copied` : '',
  ].filter(Boolean);
  console.log(
    `  artifacts: ${s.artifacts.copied} ${s.dryRun ? 'to copy' : 'copied'}, ${s.artifacts.missing} runs with artifacts not on this machine${notCopied.length ? `, ${notCopied.join(', ')} (listed below)` : ''}`,
  );
  const other = Object.entries(s.notImported);
  if (other.length) console.log(`  not imported as metrics: ${other.map(([k, n]) => `${n} ${k}`).join(', ')}`);
  if (s.skipped.length) {
    console.log(`  skipped: ${s.skipped.length}`);
    for (const p of s.skipped) console.log(`    ${p.file}${p.position ? ` (${p.position})` : ''}: ${p.message}`);
  }
}
