import { walkArtifacts } from '../../core/store/artifact-files.ts';
import { parseArgs, UsageError } from '../args.ts';
import { formatExact } from '../../shared/display-format.ts';
import { formatStatus } from '../../shared/run-status.ts';
import { formatDuration, table, toJson } from '../format.ts';
import { openStore } from './open-store.ts';

export async function showCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'patch'], options: ['store'] });
  const idArg = args.positionals[0];
  if (!idArg) throw new UsageError('Give a run id: loopline show RUN_ID (a unique prefix is enough).');
  const store = openStore(args);
  try {
    const run = store.getRun(store.resolveRunId(idArg));
    const recorded = new Map(store.recordedArtifacts(run.info.id).map((a) => [a.path, a]));
    const artifacts = walkArtifacts(store.artifactsRoot, run.info.id).map((a) => ({ ...a, sha256: recorded.get(a.path)?.sha256 ?? null }));
    if (args.flags.has('json')) {
      console.log(toJson({ ...run, artifacts }));
      return 0;
    }
    const i = run.info;
    const exp = store.getExperiment(i.experimentId);
    const lines: string[] = [
      `Run ${i.id}  ${i.name}`,
      `  experiment  ${exp.name} (${exp.id})`,
      `  status      ${formatStatus(i.status)}${i.exitCode !== null ? ` (exit ${i.exitCode})` : ''}`,
      `  started     ${new Date(i.startTime).toISOString()}`,
      `  duration    ${formatDuration(i.endTime === null ? null : i.endTime - i.startTime)}`,
    ];
    if (i.command) lines.push(`  command     ${i.command}`);
    if (i.backend) lines.push(`  backend     ${i.backend}`);
    if (i.git) {
      lines.push(
        i.git.isRepo
          ? `  git         ${i.git.commit ?? '(no commits yet)'} on ${i.git.branch ?? '(detached)'}${i.git.dirty ? `, uncommitted changes${i.git.patchTruncated ? ' (patch too large to keep)' : ' recorded (show with --patch)'}` : ', clean'}`
          : '  git         not a git repository',
      );
    }
    const params = Object.entries(run.params);
    lines.push('', 'Params', params.length ? indent(table(['KEY', 'VALUE'], params.map(([k, v]) => [k, v]))) : '  (none)');
    lines.push(
      '',
      'Metrics',
      run.metrics.length
        ? indent(
            table(
              ['KEY', 'LAST', 'STEP', 'MIN', 'AT STEP', 'MAX', 'AT STEP', 'POINTS'],
              run.metrics.map((m) => [m.key, formatExact(m.last), String(m.lastStep), formatExact(m.min), String(m.minStep ?? '-'), formatExact(m.max), String(m.maxStep ?? '-'), String(m.count)]),
            ),
          )
        : '  (none)',
    );
    const tags = Object.entries(run.tags).filter(([k]) => !k.startsWith('mlflow.'));
    lines.push('', 'Tags', tags.length ? indent(table(['KEY', 'VALUE'], tags)) : '  (none)');
    lines.push(
      '',
      'Artifacts',
      artifacts.length ? indent(table(['PATH', 'SIZE', 'SHA256'], artifacts.map((a) => [a.path, String(a.size ?? ''), a.sha256 ? a.sha256.slice(0, 16) : '-']))) : '  (none)',
    );
    console.log(lines.join('\n'));
    if (args.flags.has('patch') && i.git?.patch) console.log(`\n${i.git.patch}`);
    return 0;
  } finally {
    store.close();
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
