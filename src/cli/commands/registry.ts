import { addPredictionReference } from '../../core/capture/prediction-reference.ts';
import { referenceProfile } from '../../core/capture/deployment-monitor.ts';
import { resolve } from 'node:path';
import { registryWithDeployments } from '../../core/deploy/registry-with-deployments.ts';
import { GateFailedError, parseModelRef, parseVersion, type ModelRegistry } from '../../core/registry/model-registry.ts';
import { formatGateReport, type GateReport } from '../../core/registry/validation-gates.ts';
import type { ModelVersion } from '../../core/registry/registry-types.ts';
import { option, parseArgs, UsageError, type ParsedArgs } from '../args.ts';
import { formatAgo, formatNumber, table, toJson } from '../format.ts';
import { openStore } from './open-store.ts';

export async function withRegistry<T>(args: ParsedArgs, fn: (r: ModelRegistry) => Promise<T> | T): Promise<T> {
  const store = openStore(args);
  try {
    return await fn(registryWithDeployments(store));
  } finally {
    store.close();
  }
}

/** The metric shown per version: the first one the gates check, else the first logged. */
function versionRow(v: ModelVersion, primary: string | undefined): string[] {
  const m = primary ? v.lineage.metrics[primary] : undefined;
  const metric = m && primary ? ([primary, m] as const) : Object.entries(v.lineage.metrics)[0];
  return [
    String(v.version),
    v.aliases.map((a) => `@${a}`).join(' ') || '-',
    v.runId ? v.runId.slice(0, 8) : '-',
    metric ? `${metric[0]}=${formatNumber(metric[1].last)}` : '-',
    formatAgo(v.creationTime),
    v.userId,
    v.archived ? 'archived' : '',
  ];
}

/** `loopline register RUN_ID --path model --name iris`: prints the new version number on stdout. */
export async function registerCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: ['store', 'path', 'name', 'description'] });
  const runId = args.positionals[0];
  const name = option(args, 'name');
  if (!runId || !name) throw new UsageError('Usage: loopline register RUN_ID --name MODEL [--path PATH_IN_ARTIFACTS] [--description TEXT] [--json]');
  return withRegistry(args, async (r) => {
    const desc = option(args, 'description');
    const v = r.registerVersion({ model: name, runId, path: option(args, 'path') ?? '', ...(desc ? { description: desc } : {}) });
    // The version's reference profile for loopline monitor, from loopline.yaml data: {train: …}.
    if ((r.projectConfig().raw.data as { train?: unknown } | undefined)?.train) {
      const profiled = await referenceProfile(r, v).then(
        () => true,
        (err: Error) => (console.error(`Registered, but no reference profile yet: ${err.message}`), false),
      );
      // With data.validation and a serving spec: the model's own predictions as the prediction reference.
      if (profiled)
        await addPredictionReference(r, v).then(
          (added) => added && console.error(`Prediction reference: ${added.source} (${added.rows} rows).`),
          (err: Error) => console.error(`Registered; prediction drift will compare with the training labels (the validation data was not scored: ${err.message})`),
        );
    }
    if (args.flags.has('json')) console.log(toJson({ ...v, modelCard: r.modelCardPath(v.model, v.version) }));
    else {
      console.error(`Registered ${v.model}/${v.version} from run ${v.runId} (${v.fileCount} files, sha256 ${v.contentHash.slice(0, 12)}). Model card: ${r.modelCardPath(v.model, v.version)}`);
      console.log(String(v.version));
    }
    return 0;
  });
}

export async function modelsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: ['store'] });
  return withRegistry(args, (r) => {
    const models = r.listModels();
    if (args.flags.has('json')) console.log(toJson(models));
    else if (models.length === 0) console.log('No registered models yet. Register one with: loopline register RUN_ID --path model --name NAME');
    else
      console.log(
        table(
          ['NAME', 'VERSIONS', 'LATEST', 'ALIASES', 'UPDATED'],
          models.map((m) => [m.name, String(m.versionCount), m.latestVersion === null ? '-' : String(m.latestVersion), Object.entries(m.aliases).map(([a, v]) => `@${a}=${v}`).join(' ') || '-', formatAgo(m.lastUpdatedTime)]),
        ),
      );
    return 0;
  });
}

export async function versionsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'all'], options: ['store'] });
  const name = args.positionals[0];
  if (!name) throw new UsageError('Usage: loopline versions MODEL [--all] [--json]');
  return withRegistry(args, (r) => {
    const list = r.listVersions(name, { includeArchived: args.flags.has('all') || args.flags.has('json') });
    if (args.flags.has('json')) console.log(toJson(list));
    else {
      let primary: string | undefined;
      try {
        primary = r.gates()[0]?.metric;
      } catch {
        primary = undefined; // a broken loopline.yaml is reported by the commands that need it
      }
      console.log(table(['VERSION', 'ALIASES', 'RUN', 'METRIC', 'CREATED', 'BY', ''], list.map((v) => versionRow(v, primary))));
    }
    return 0;
  });
}

function printReport(report: GateReport, json: boolean, extra: Record<string, unknown> = {}): void {
  if (json) console.log(toJson({ ...extra, ...report }));
  else console.log(formatGateReport(report));
}

/** `alias set MODEL ALIAS VERSION [--force --reason TEXT]` and `alias delete MODEL ALIAS`. */
export async function aliasCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'force'], options: ['store', 'reason'] });
  const [verb, model, alias, version] = args.positionals;
  if (verb === 'set') {
    if (!model || !alias || !version) throw new UsageError('Usage: loopline alias set MODEL ALIAS VERSION [--force --reason TEXT] [--json]');
    if (args.flags.has('force') && !option(args, 'reason')) throw new UsageError('--force needs --reason TEXT: the override is recorded in the audit log with its reason.');
    return withRegistry(args, (r) => {
      try {
        const reason = option(args, 'reason');
        const report = r.setAlias(model, alias, parseVersion(version), { force: args.flags.has('force'), ...(reason ? { reason } : {}) });
        printReport(report, args.flags.has('json'), { alias, version: Number(version), outcome: report.passed ? 'set' : 'set (gates overridden)' });
        if (!args.flags.has('json')) console.log(`@${alias} -> ${model}/${version}${report.passed ? '' : ' (gates overridden with --force; recorded in the audit log)'}`);
        return 0;
      } catch (err) {
        if (!(err instanceof GateFailedError)) throw err;
        printReport(err.report, args.flags.has('json'), { alias, version: Number(version), outcome: 'refused' });
        console.error(`loopline alias: @${alias} was not moved. Fix the model, or override with --force --reason TEXT.`);
        return 1;
      }
    });
  }
  if (verb === 'delete') {
    if (!model || !alias) throw new UsageError('Usage: loopline alias delete MODEL ALIAS');
    return withRegistry(args, (r) => {
      r.deleteAlias(model, alias);
      console.log(`Deleted @${alias} of ${model}.`);
      return 0;
    });
  }
  throw new UsageError('Usage: loopline alias set MODEL ALIAS VERSION [--force --reason TEXT] | loopline alias delete MODEL ALIAS');
}

/** Runs the gates alone (for CI): exit 1 when one fails. */
export async function gateCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: ['store', 'model'] });
  const target = args.positionals[0];
  if (!target) throw new UsageError('Usage: loopline gate RUN_ID|MODEL/VERSION|MODEL@ALIAS [--model NAME] [--json]');
  return withRegistry(args, (r) => {
    const isRef = /[/@]/.test(target);
    const report = isRef ? r.checkVersionGates(r.resolve(target)) : r.checkRunGates(target, option(args, 'model'));
    printReport(report, args.flags.has('json'));
    return report.passed ? 0 : 1;
  });
}

/** Archive (or with --undo restore) a version; refused while it is deployed or holds an alias. */
export async function archiveCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['undo'], options: ['store'] });
  const ref = args.positionals[0];
  if (!ref) throw new UsageError('Usage: loopline archive MODEL/VERSION [--undo]');
  const { model, version } = parseModelRef(ref);
  if (version === undefined) throw new UsageError('Archive takes MODEL/VERSION (an alias would move): e.g. loopline archive iris/2');
  return withRegistry(args, (r) => {
    r.archiveVersion(model, version, !args.flags.has('undo'));
    console.log(`${args.flags.has('undo') ? 'Restored' : 'Archived'} ${model}/${version}.`);
    return 0;
  });
}

export async function auditCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: ['store', 'model', 'export', 'limit'] });
  return withRegistry(args, async (r) => {
    const file = option(args, 'export');
    if (file) {
      const n = await r.audit.exportJsonl(resolve(file));
      console.log(`Exported ${n} audit entries to ${resolve(file)} (JSON Lines).`);
      return 0;
    }
    const model = option(args, 'model');
    let entries = r.audit.list(model ? { model } : {});
    const limit = option(args, 'limit');
    if (limit) entries = entries.slice(-Number(limit));
    if (args.flags.has('json')) console.log(toJson(entries));
    else if (entries.length === 0) console.log('The audit log is empty: registry and deployment actions are recorded here.');
    else
      console.log(
        table(
          ['WHEN', 'ACTION', 'TARGET', 'OUTCOME', 'WHO', 'COMMIT', 'DETAIL'],
          entries.map((e) => [
            new Date(e.time).toISOString(),
            e.action,
            e.deployment ?? (e.model ? `${e.model}${e.version !== null ? `/${e.version}` : ''}` : '-'),
            e.outcome,
            e.actor,
            e.commit ? e.commit.slice(0, 8) : '-',
            auditDetail(e.detail),
          ]),
        ),
      );
    return 0;
  });
}

function auditDetail(d: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof d.alias === 'string') parts.push(`@${d.alias}`);
  if (typeof d.reason === 'string') parts.push(`reason: ${d.reason}`);
  if (typeof d.why === 'string') parts.push(d.why);
  if (typeof d.runId === 'string') parts.push(`run ${d.runId.slice(0, 8)}`);
  if (typeof d.from === 'string') parts.push(`from ${d.from}`);
  if (typeof d.summary === 'string') parts.push(d.summary);
  return parts.join(', ');
}
