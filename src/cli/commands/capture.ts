import { readFileSync } from 'node:fs';
import { dockerBackend } from '../../core/containers/container-backend.ts';
import { monitorReport, parseWindow, referenceProfile, type MonitorReport, type MonitorWindow } from '../../core/capture/deployment-monitor.ts';
import { DeploymentManager } from '../../core/deploy/deployment-manager.ts';
import { invalid } from '../../core/errors.ts';
import { refreshDriftHistory, type DriftState } from '../../core/capture/deployment-watch.ts';
import type { RetrainResult } from '../../core/capture/retrain.ts';
import { onDriftRetrainDue } from '../../core/capture/retrain-records.ts';
import { runRetrain } from './retrain.ts';
import { driftSparkline, driftStatusWord } from '../../shared/drift-sparkline.ts';
import { formatDuration, formatLiveAccuracy } from '../../shared/display-format.ts';
import { CsvParser } from '../../core/monitoring/csv-parser.ts';
import { monitoringSettings } from '../../core/monitoring/monitoring-settings.ts';
import type { ModelRegistry } from '../../core/registry/model-registry.ts';
import { option, parseArgs, UsageError, type ParsedArgs } from '../args.ts';
import { formatNumber, table, toJson } from '../format.ts';
import { withRegistry } from './registry.ts';

async function withManager<T>(args: ParsedArgs, fn: (m: DeploymentManager, r: ModelRegistry) => Promise<T>): Promise<T> {
  return withRegistry(args, async (r) => fn(new DeploymentManager(r, await dockerBackend()), r));
}

/** `--window 1h | --last N`, else loopline.yaml monitoring.window / monitoring.last, else the last 1000 requests. */
function windowOf(args: ParsedArgs, raw: Record<string, unknown> | undefined): MonitorWindow {
  const w = option(args, 'window');
  const last = option(args, 'last');
  if (w && last) throw new UsageError('Give --window DURATION or --last N, not both.');
  if (last !== undefined) {
    if (!/^\d+$/.test(last) || Number(last) < 1) throw new UsageError(`--last must be a whole number of requests, not '${last}'.`);
    return { last: Number(last) };
  }
  if (w) return { sinceMs: parseWindow(w) };
  if (typeof raw?.window === 'string') return { sinceMs: parseWindow(raw.window) };
  if (typeof raw?.last === 'number') return { last: raw.last };
  return { last: 1000 };
}

const fmt = (x: number | null | undefined) => (x === null || x === undefined ? '-' : formatNumber(x));

/** `loopline monitor NAME [--json] [--window 1h | --last N] [--reference FILE] [--history N]` */
export async function monitorCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: ['store', 'window', 'last', 'reference', 'history'] });
  const name = args.positionals[0];
  if (!name || args.positionals.length > 1) throw new UsageError('Usage: loopline monitor NAME [--json] [--window 1h | --last N] [--reference FILE] [--history N]');
  const shown = option(args, 'history') ?? '10';
  if (!/^\d+$/.test(shown)) throw new UsageError(`--history is how many drift windows to show, a whole number (got '${shown}').`);
  return withManager(args, async (m, r) => {
    const d = m.records.get(name);
    const live = d.slots.find((s) => s.role === 'live');
    const version = live ? r.getVersion(d.model, live.version) : null;
    if (!version) throw invalid(`Deployment '${name}' has no live version, so there is nothing to compare its traffic with. Deploy one with loopline deploy MODEL/VERSION --name ${name}, or loopline rollback ${name}.`);
    // Profiled (and saved as the version's reference) once; the drift windows below read it back.
    const reference = await referenceProfile(r, version, option(args, 'reference'));
    // Ingests the capture log and computes the drift windows completed since the last call.
    const state = await refreshDriftHistory(r, name, { show: Number(shown) });
    const project = r.projectConfig();
    const settings = monitoringSettings(project);
    const window = windowOf(args, project.raw.monitoring as Record<string, unknown> | undefined);
    const captured = m.capture.requests(name, window.sinceMs !== undefined ? { since: Date.now() - window.sinceMs } : { last: window.last ?? 1000 });
    const report = monitorReport({ deployment: name, model: d.model, version, reference, captured, stored: m.capture.count(name), feedback: m.capture.feedback(name), capture: m.capture.settings(name), settings, window });
    const history = { settings: state.settings, windows: state.windows, episode: state.episode };
    const json = args.flags.has('json');
    if (!json) console.log(`${renderMonitor(report)}\n\n${renderHistory(state)}`);
    // monitoring.retrain: on-drift — once per episode, once it has lasted retrain_after windows.
    const due = onDriftRetrainDue(r, state);
    let retrain: RetrainResult | { error: string } | null = null;
    if (due !== null) {
      console.error(`loopline: drift episode ${due} has lasted ${state.episode!.windows} windows (monitoring.retrain: on-drift, retrain_after: ${state.settings.retrainAfter}): retraining.`);
      retrain = await runRetrain(r, name, { deploy: false, json: false, print: json ? false : true, trigger: 'on-drift', episode: due }).catch((err: Error) => {
        console.error(`loopline: the on-drift retrain failed: ${err.message}`);
        return { error: err.message };
      });
    }
    if (json) console.log(toJson({ ...report, history, ...(due !== null ? { retrain } : {}) }));
    return 0;
  });
}

function renderHistory(s: DriftState): string {
  const { windowRequests, windowStep } = s.settings;
  if (!s.windows.length) return `Drift history: no complete window yet (a window is ${windowRequests} requests, a new one every ${windowStep}).`;
  const lines = [`Drift history (windows of ${windowRequests} requests, every ${windowStep}): ${driftSparkline(s.windows)}  ${driftStatusWord(s.windows[s.windows.length - 1], s.episode)}`];
  if (s.episode) lines.push(`WARNING: drift episode ${s.episode.episode} began ${new Date(s.episode.startedTime).toISOString()} (${s.episode.drifted.join(', ') || 'prediction'}) and has lasted ${s.episode.windows} window(s).`);
  lines.push(
    table(
      ['WINDOW', 'TO', 'VERSION', 'REQUESTS', 'STATUS', 'DRIFTED FEATURES', 'PREDICTION', 'ACCURACY', 'EPISODE'],
      s.windows.map((w) => [
        String(w.id),
        new Date(w.to).toISOString().replace('T', ' ').slice(0, 19),
        w.version === null ? '-' : `v${w.version}`,
        String(w.requests),
        w.status,
        w.features.filter((f) => f.drifted).map((f) => f.name).join(', ') || '-',
        w.prediction?.status ?? '-',
        formatLiveAccuracy(w.accuracy.value, w.accuracy.labelled),
        w.episode === null ? '-' : String(w.episode),
      ]),
    ),
  );
  return lines.join('\n');
}

function renderMonitor(rep: MonitorReport): string {
  const verdict = rep.status === 'insufficient-data' ? 'not enough data yet' : rep.drifted ? `DRIFTED (${(rep.share * 100).toFixed(0)}% of features)` : 'no drift';
  const lines = [`${rep.deployment}: ${rep.model}/${rep.version}  ${rep.requests.window} requests in the window  ${verdict}`, ''];
  lines.push(
    table(
      ['FEATURE', 'TEST', 'STATISTIC', 'P-VALUE/DIST', 'THRESHOLD', 'N', 'DRIFTED', 'STATUS'],
      rep.features.map((f) => [
        f.name,
        f.test,
        fmt(f.statistic),
        fmt(f.pValue ?? f.distance),
        fmt(f.threshold),
        String(f.sampleSize),
        f.drifted ? 'yes' : 'no',
        f.status === 'insufficient-data' ? `insufficient-data (${f.neededMore ?? '?'} more)` : f.status,
      ]),
    ),
  );
  const p = rep.prediction;
  lines.push('', 'status' in p && p.status === 'unavailable' ? `Prediction drift: unavailable (${(p as { reason: string }).reason})` : `Prediction drift vs '${(p as FeatureDriftLike).reference}': ${(p as FeatureDriftLike).test} ${fmt((p as FeatureDriftLike).pValue ?? (p as FeatureDriftLike).distance)} -> ${(p as FeatureDriftLike).status}`);
  const a = rep.accuracy;
  lines.push(`Live accuracy: ${a.value === null ? 'no labelled feedback yet' : formatLiveAccuracy(a.value, a.labelled)}${a.validation !== null ? `  (validation ${a.validationMetric} ${fmt(a.validation)})` : ''}`);
  const q = rep.requests;
  lines.push(`Requests: ${q.window} in the window, ${q.stored} stored (ring ${q.capture.ring}, sampling ${q.capture.sampling}, capture ${q.capture.enabled ? 'on' : 'off'}), ${q.errors} errors, ${fmt(q.perMinute)}/min, latency p50 ${formatDuration(q.latencyMs.p50)} p95 ${formatDuration(q.latencyMs.p95)}`);
  return lines.join('\n');
}

interface FeatureDriftLike {
  reference: string;
  test: string;
  pValue?: number | null;
  distance?: number | null;
  status: string;
}

/** `loopline capture NAME [--on | --off] [--sampling 0.1] [--ring N] [--json]` */
export async function captureCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'on', 'off'], options: ['store', 'sampling', 'ring'] });
  const name = args.positionals[0];
  if (!name || args.positionals.length > 1) throw new UsageError('Usage: loopline capture NAME [--on | --off] [--sampling SHARE] [--ring N] [--json]');
  if (args.flags.has('on') && args.flags.has('off')) throw new UsageError('Give --on or --off, not both.');
  const patch: Record<string, unknown> = {};
  if (args.flags.has('on')) patch.enabled = true;
  if (args.flags.has('off')) patch.enabled = false;
  const sampling = option(args, 'sampling');
  if (sampling !== undefined) {
    if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(sampling) || Number(sampling) === 0) throw new UsageError(`--sampling is a share of requests above 0 and at most 1, e.g. 0.1 (got '${sampling}').`);
    patch.sampling = Number(sampling);
  }
  const ring = option(args, 'ring');
  if (ring !== undefined) {
    if (!/^\d+$/.test(ring) || Number(ring) < 1) throw new UsageError(`--ring is the most requests kept, a whole number of at least 1 (got '${ring}').`);
    patch.ring = Number(ring);
  }
  return withManager(args, async (m) => {
    m.records.get(name);
    const s = Object.keys(patch).length ? await m.setCapture(name, patch) : m.capture.settings(name);
    if (args.flags.has('json')) console.log(toJson({ deployment: name, ...s, stored: m.capture.count(name) }));
    else console.log(`${name}: capture ${s.enabled ? 'on' : 'off'}, sampling ${s.sampling}, ring ${s.ring} requests (${m.capture.count(name)} stored)`);
    return 0;
  });
}

/** `loopline feedback NAME --csv FILE`: labels by request id (columns request_id and label). */
export async function feedbackCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: ['store', 'csv'] });
  const name = args.positionals[0];
  const file = option(args, 'csv');
  if (!name || !file) throw new UsageError('Usage: loopline feedback NAME --csv FILE (a CSV with columns request_id,label; request ids are the X-Request-Id headers of the answers)');
  // The project's CSV reader: quotes, CRLF and the byte-order mark Excel writes.
  const parser = new CsvParser(',');
  const lines = [...parser.push(readFileSync(file, 'utf8')), ...parser.end()].filter((cells) => cells.some((c) => c.trim()));
  const header = lines[0] ?? [];
  const idCol = header.indexOf('request_id');
  const labelCol = header.indexOf('label');
  if (idCol < 0 || labelCol < 0) throw invalid(`${file}: the first line must name the columns request_id and label (got: ${header.join(', ') || 'an empty file'}).`);
  return withManager(args, async (m) => {
    m.records.get(name);
    const bad: number[] = [];
    const rows: Array<[string, string]> = [];
    lines.slice(1).forEach((cells, i) => {
      const id = cells[idCol]?.trim();
      const label = cells[labelCol];
      if (!id || label === undefined) bad.push(i + 2);
      else rows.push([id, label]);
    });
    if (bad.length) throw invalid(`${file}: line(s) ${bad.slice(0, 10).join(', ')} lack a request_id or label; nothing was imported. Fix them and import again.`);
    for (const [id, label] of rows) m.capture.addFeedback(name, id, label, `csv:${file}`);
    if (args.flags.has('json')) console.log(toJson({ deployment: name, imported: rows.length }));
    else console.log(`Imported ${rows.length} labels into ${name}.`);
    return 0;
  });
}
