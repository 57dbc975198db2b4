import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { DeploymentRecords } from '../deploy/deployment-records.ts';
import { LooplineError, invalid } from '../errors.ts';
import { fingerprintFile } from '../monitoring/data-fingerprint.ts';
import { readTrainingConfig } from '../project/training-config.ts';
import type { ModelRegistry } from '../registry/model-registry.ts';
import type { ModelVersion } from '../registry/registry-types.ts';
import { evaluateGates, type GateReport } from '../registry/validation-gates.ts';
import { joinCommandLine, splitCommandLine } from '../runs/command-line.ts';
import { launchRun } from '../runs/run-launcher.ts';
import type { RunBackend } from '../runs/run-backend.ts';
import { ensureTrackingEndpoint } from '../tracking/tracking-endpoint.ts';
import { CaptureStore } from './capture-store.ts';
import { referenceProfile } from './deployment-monitor.ts';
import { Retrains, type RetrainStatus, type RetrainTrigger } from './retrain-records.ts';
import { exportLabelledTraffic } from './retrain-data.ts';

export interface RetrainOptions {
  registry: ModelRegistry;
  deployment: string;
  /** A data file to train on; default: the captured requests that have labels, exported as CSV. */
  data?: string;
  trigger?: RetrainTrigger;
  episode?: number | null;
  /** Blue/green deploy of the new version when it passes its gates (the CLI's --deploy). */
  deploy?: (ref: string) => Promise<{ endpoint: string }>;
  onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  log?: (line: string) => void;
  now?: () => number;
}

export interface RetrainResult {
  id: number;
  deployment: string;
  trigger: RetrainTrigger;
  from: { model: string; version: number };
  data: { file: string; source: 'captured' | 'file'; rows: number; sha256: string; bytes: number };
  command: string;
  backend: 'local' | 'container';
  runId: string | null;
  runStatus: string | null;
  status: Exclude<RetrainStatus, 'running'>;
  version: number | null;
  gates: GateReport | null;
  deployed: boolean;
  endpoint: string | null;
  error: string | null;
}

/** Validation metrics the implicit "beats the live version" gate compares, in order of preference. */
const VALIDATION_METRICS = ['val_accuracy', 'validation_accuracy', 'val_acc', 'accuracy', 'val_loss', 'validation_loss'];

/**
 * The command with its training data replaced: the token naming loopline.yaml's `data.train`, else
 * the value of `--data`, else `--data PATH` appended (the option the example's train.py reads).
 */
export function commandWithData(command: string[], data: string, declaredTrain: string | undefined): string[] {
  const out = [...command];
  if (declaredTrain) {
    const i = out.findIndex((t) => t === declaredTrain || t === `./${declaredTrain}`);
    if (i >= 0) {
      out[i] = data;
      return out;
    }
  }
  const eq = out.findIndex((t) => t.startsWith('--data='));
  if (eq >= 0) {
    out[eq] = `--data=${data}`;
    return out;
  }
  const opt = out.indexOf('--data');
  if (opt >= 0 && opt + 1 < out.length) {
    out[opt + 1] = data;
    return out;
  }
  return [...out, '--data', data];
}

/**
 * Retrains a deployment's live version: the same recorded command, params and container image on
 * newer data, as a new tracked run; registers its model as a new version, checks the gates plus
 * "beats the live version" on the validation metric, and deploys it blue/green when asked and
 * passed. Every step is in the audit log; at most one retrain per deployment runs at a time.
 */
export async function retrainDeployment(o: RetrainOptions): Promise<RetrainResult> {
  const { registry } = o;
  const now = o.now ?? Date.now;
  const log = o.log ?? (() => {});
  const d = new DeploymentRecords(registry.store.db).get(o.deployment);
  const slot = d.slots.find((s) => s.role === 'live');
  if (!slot) throw invalid(`Deployment '${o.deployment}' has no live version to retrain. Deploy one with loopline deploy MODEL/VERSION --name ${o.deployment}, or loopline rollback ${o.deployment}.`);
  const live = registry.getVersion(d.model, slot.version);
  const command = live.lineage.command ?? (live.runId ? registry.store.getRun(live.runId).info.command : null);
  if (!command) throw invalid(`${live.model}/${live.version} has no recorded command (its run was logged by a script, not started by loopline run), so it cannot be re-run. Train it again with loopline run, register that version and deploy it.`);
  const run = live.runId ? registry.store.getRun(live.runId) : null;
  const taggedCwd = run?.tags['loopline.cwd'];
  const cwd = taggedCwd && existsSync(taggedCwd) && statSync(taggedCwd).isDirectory() ? taggedCwd : registry.projectDir;
  const trigger = o.trigger ?? 'manual';
  const retrains = new Retrains(registry.store.db);
  const rec = retrains.begin(o.deployment, trigger, o.episode ?? null, now());
  const audit = (action: string, outcome: 'ok' | 'refused' | 'failed', detail: Record<string, unknown>, version = live.version) =>
    registry.audit.append({ action, outcome, model: d.model, version, deployment: o.deployment, detail: { retrain: rec.id, trigger, ...(o.episode ? { episode: o.episode } : {}), ...detail } });
  let result: RetrainResult | undefined;
  try {
    // The data: a given file, or the labelled captured traffic exported as CSV.
    let dataFile: string;
    let source: 'captured' | 'file';
    let rows: number;
    if (o.data) {
      dataFile = isAbsolute(o.data) ? o.data : resolve(o.data);
      if (!existsSync(dataFile)) throw invalid(`--data ${o.data}: no such file.`);
      source = 'file';
      rows = -1;
    } else {
      const reference = await referenceProfile(registry, live);
      const capture = new CaptureStore(registry.store.db);
      const dir = join(dirname(registry.store.path), 'retrain');
      mkdirSync(dir, { recursive: true });
      dataFile = join(dir, `${o.deployment}-${rec.id}.csv`);
      const exported = exportLabelledTraffic(dataFile, reference, capture.requests(o.deployment, { last: capture.settings(o.deployment).ring }), capture.feedback(o.deployment));
      source = 'captured';
      rows = exported.rows;
      log(`Exported ${exported.rows} labelled captured rows (target '${exported.target}') to ${dataFile}`);
    }
    const fp = await fingerprintFile(dataFile);
    rows = fp.rows;
    retrains.update(rec.id, { data: dataFile });
    const train = (registry.projectConfig().raw.data as { train?: unknown } | undefined)?.train;
    const dataArg = relative(cwd, dataFile).startsWith('..') ? dataFile : relative(cwd, dataFile);
    const argv = commandWithData(splitCommandLine(command), dataArg, typeof train === 'string' ? train : undefined);
    const training = readTrainingConfig(registry.projectDir);
    const image = run?.tags['loopline.container.image'];
    let backend: RunBackend | undefined;
    let stopGraceMs: number | undefined;
    if (run?.info.backend === 'container' || image) {
      const { containerOptionsFrom } = await import('../containers/container-options.ts');
      const { ContainerRunBackend } = await import('../containers/container-run-backend.ts');
      const opts = training?.container ?? containerOptionsFrom({ image }, cwd, 'container.');
      const b = new ContainerRunBackend(opts);
      backend = b;
      stopGraceMs = b.stopGraceMs;
    }
    const data = { file: dataFile, source, rows, sha256: fp.sha256, bytes: fp.bytes };
    audit('retrain.start', 'ok', { command: joinCommandLine(argv), data, backend: backend ? 'container' : 'local' });
    log(`Retraining ${live.model}/${live.version}: ${joinCommandLine(argv)}${backend ? ' (in a container)' : ''}`);

    const store = registry.store;
    const endpoint = await ensureTrackingEndpoint(store);
    let outcome;
    try {
      const active = await launchRun({
        store,
        command: argv,
        cwd,
        tracking: endpoint,
        experiment: run ? store.getExperiment(run.info.experimentId).name : undefined,
        name: `retrain-${o.deployment}-${rec.id}`,
        params: Object.entries(live.lineage.params).map(([key, value]) => ({ key, value })),
        ...(backend ? { backend, stopGraceMs } : {}),
        spoolDir: join(dirname(store.path), 'spool'),
        recordData: false,
        ...(o.onOutput ? { onOutput: o.onOutput } : {}),
      });
      retrains.update(rec.id, { runId: active.runId });
      store.logBatch(active.runId, {
        tags: [
          { key: 'loopline.retrain.from', value: `${live.model}/${live.version}` },
          { key: 'loopline.retrain.deployment', value: o.deployment },
          { key: 'loopline.retrain.trigger', value: trigger },
          { key: 'loopline.data.train.name', value: fp.name },
          { key: 'loopline.data.train.sha256', value: fp.sha256 },
          { key: 'loopline.data.train.rows', value: String(fp.rows) },
          { key: 'loopline.data.train.bytes', value: String(fp.bytes) },
        ],
      });
      outcome = await active.finished;
    } finally {
      await endpoint.close();
    }
    const base = { id: rec.id, deployment: o.deployment, trigger, from: { model: live.model, version: live.version }, data, command: joinCommandLine(argv), backend: backend ? ('container' as const) : ('local' as const), runId: outcome.runId, runStatus: outcome.status };
    if (outcome.status !== 'FINISHED') {
      const error = `the training run ${outcome.runId} ended ${outcome.status}${outcome.exitCode !== null ? ` (exit ${outcome.exitCode})` : ''}${outcome.startError ? `: ${outcome.startError}` : ''}`;
      result = { ...base, status: 'failed', version: null, gates: null, deployed: false, endpoint: null, error };
      return result;
    }
    const v = registry.registerVersion({ model: live.model, runId: outcome.runId, path: live.artifactPath, description: `Retrained from ${live.model}/${live.version} (deployment ${o.deployment}, ${trigger})`, tags: { 'loopline.retrain.from': String(live.version) } });
    retrains.update(rec.id, { version: v.version });
    const gates = retrainGates(registry, v, live);
    if (!gates.passed) {
      result = { ...base, status: 'gated', version: v.version, gates, deployed: false, endpoint: null, error: null };
      return result;
    }
    let endpointUrl: string | null = null;
    if (o.deploy) {
      log(`${v.model}/${v.version} passed its gates; deploying it blue/green to '${o.deployment}'`);
      endpointUrl = (await o.deploy(`${v.model}/${v.version}`)).endpoint;
    }
    result = { ...base, status: 'passed', version: v.version, gates, deployed: !!o.deploy, endpoint: endpointUrl, error: null };
    return result;
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    retrains.finish(rec.id, 'failed', { error }, now());
    audit('retrain', 'failed', { error });
    throw err;
  } finally {
    if (result) {
      retrains.finish(rec.id, result.status, { runId: result.runId, version: result.version, gates: result.gates, deployed: result.deployed, error: result.error }, now());
      audit('retrain', result.status === 'passed' ? 'ok' : result.status === 'gated' ? 'refused' : 'failed', { runId: result.runId, newVersion: result.version, gates: result.gates?.results.map((g) => `${g.gate}: ${g.verdict}`) ?? [], deployed: result.deployed, error: result.error });
    }
  }
}

/** The project's gates plus "beats the live version" on the first validation metric both logged. */
export function retrainGates(registry: ModelRegistry, candidate: ModelVersion, live: ModelVersion): GateReport {
  const metric = VALIDATION_METRICS.find((m) => candidate.lineage.metrics[m] && live.lineage.metrics[m]);
  const gates = [...registry.gates()];
  if (metric) gates.push({ metric, beats: 'live', by: 0, ...(metric.includes('loss') ? { direction: 'minimize' as const } : {}) });
  const metrics = (v: ModelVersion) => Object.fromEntries(Object.entries(v.lineage.metrics).map(([k, m]) => [k, m.last]));
  return evaluateGates(gates, { label: `${candidate.model}/${candidate.version}`, metrics: metrics(candidate) }, (alias) => {
    if (alias === 'live') return { label: `${live.model}/${live.version}`, metrics: metrics(live) };
    try {
      const champ = registry.getByAlias(candidate.model, alias);
      return champ.version === candidate.version ? 'self' : { label: `${champ.model}/${champ.version}`, metrics: metrics(champ) };
    } catch {
      return null;
    }
  });
}
