import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CAPTURE_RELAY_PY } from '../capture/capture-relay-source.ts';
import { CaptureStore, type CaptureSettings } from '../capture/capture-store.ts';
import type { ContainerBackend } from '../containers/container-backend.ts';
import { LooplineError, invalid } from '../errors.ts';
import { GateFailedError, parseModelRef, type ModelRegistry } from '../registry/model-registry.ts';
import type { AuditOutcome } from '../registry/audit-log.ts';
import type { ModelVersion } from '../registry/registry-types.ts';
import type { GateReport } from '../registry/validation-gates.ts';
import { deploymentMetrics, readTailText, upstreamVersions, type VersionMetrics } from './access-metrics.ts';
import { DeploymentRecords, type DeploymentRecord, type Strategy } from './deployment-records.ts';
import { PROXY_PORT, renderFrontConfig, renderNginxConfig, type Slot } from './nginx-config.ts';
import { freePort, serveImage, servingContainer } from './serving-spec.ts';

export interface HealthCheck {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
}

export interface DeploymentManagerOptions {
  /** Image with nginx for the proxy (built by `npm run docker:setup`). */
  proxyImage?: string;
  health?: Partial<HealthCheck>;
  now?: () => number;
  /** The proxy rotates capture.jsonl past this size (default 64 MB), keeping `captureLogKeep` older files (default 4). */
  captureLogMaxBytes?: number;
  captureLogKeep?: number;
}

export interface DeployOptions {
  name: string;
  port?: number;
  strategy?: Strategy;
  /** Canary share in percent (1..99). */
  percent?: number;
  force?: boolean;
  reason?: string;
  /** How long the previous version stays warm after a switch (default 10 min). */
  keepPreviousMs?: number;
}

export interface SettleOptions {
  /** How long to watch the new version after a switch (0: not at all). */
  settleMs: number;
  /** Roll back when the 5xx share exceeds this (0..1; default 0.05). */
  maxErrorRate?: number;
  /** Requests needed before the error rate counts (default 5). */
  minRequests?: number;
  /** Consecutive failed health checks that trigger a rollback (default 3). */
  healthFailures?: number;
  intervalMs?: number;
}

export interface SettleResult {
  rolledBack: boolean;
  reason: string;
  version?: number;
  metrics?: VersionMetrics;
}

export interface DeployResult {
  deployment: DeploymentRecord;
  endpoint: string;
  version: number;
  gates: GateReport;
}

const LABEL = 'loopline.deployment';
export const DEFAULT_KEEP_PREVIOUS_MS = 10 * 60_000;
export const DEFAULT_PROXY_IMAGE = 'loopline/python:bookworm';

function slotId(): string {
  return randomBytes(4).toString('hex');
}

export function checkDeploymentName(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(name)) throw invalid(`Deployment name '${name}' must be lowercase letters, digits and '-' (at most 41), e.g. iris-prod.`);
  return name;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Deployments on a container engine: each version in its own container (files mounted read-only at
 * /model), an nginx reverse proxy in front (the only published port), blue/green and canary by
 * weighted upstreams switched with graceful reloads, rollback to the warm previous version.
 */
export class DeploymentManager {
  readonly records: DeploymentRecords;
  readonly capture: CaptureStore;
  private readonly registry: ModelRegistry;
  private readonly backend: ContainerBackend;
  private readonly proxyImage: string;
  private readonly health: HealthCheck;
  private readonly now: () => number;
  private readonly captureLog_: { maxBytes: number; keep: number };

  constructor(registry: ModelRegistry, backend: ContainerBackend, opts: DeploymentManagerOptions = {}) {
    this.registry = registry;
    this.backend = backend;
    this.records = new DeploymentRecords(registry.store.db);
    this.capture = new CaptureStore(registry.store.db);
    this.proxyImage = opts.proxyImage ?? process.env.LOOPLINE_PROXY_IMAGE ?? DEFAULT_PROXY_IMAGE;
    this.health = { path: '/ping', intervalMs: 250, timeoutMs: 2000, retries: 60, ...opts.health };
    this.now = opts.now ?? Date.now;
    this.captureLog_ = { maxBytes: opts.captureLogMaxBytes ?? 64 * 1024 * 1024, keep: opts.captureLogKeep ?? 4 };
  }

  private dir(name: string): string {
    return join(dirname(this.registry.store.path), 'deployments', name);
  }

  endpoint(d: DeploymentRecord): string {
    return `http://127.0.0.1:${d.port}`;
  }

  /** `MODEL@ALIAS` or `MODEL/VERSION`: start it beside the live version and switch once healthy. */
  async deploy(ref: string, opts: DeployOptions): Promise<DeployResult> {
    const name = checkDeploymentName(opts.name);
    const strategy = opts.strategy ?? 'blue-green';
    if (strategy === 'canary' && (opts.percent === undefined || opts.percent < 1 || opts.percent > 99)) throw invalid('--strategy canary needs --percent N (1-99): the share of requests the new version gets.');
    if (this.backend.remote) throw new LooplineError('INVALID_STATE', `Deployments mount the model's files into containers, which a remote engine (${this.backend.endpoint}) cannot see; use a local engine.`);
    const alias = parseModelRef(ref).alias ?? null;
    const v = this.registry.resolve(ref);
    if (v.archived) throw new LooplineError('INVALID_STATE', `${v.model}/${v.version} is archived; restore it (loopline archive ${v.model}/${v.version} --undo) to deploy it.`);
    const gates = this.checkGates(v, name, opts);
    const existing = this.records.find(name);
    if (existing && existing.model !== v.model) throw invalid(`Deployment '${name}' serves model '${existing.model}', not '${v.model}'; pick another --name.`);
    if (existing && existing.slots.some((s) => s.role === 'candidate')) throw new LooplineError('INVALID_STATE', `Deployment '${name}' has a canary in progress; loopline promote ${name} or loopline rollback ${name} first.`);
    try {
      if (existing) await this.reapExpired(existing);
      const d = existing ? await this.rollOut(existing, v, alias, strategy, opts.percent ?? 100, opts.keepPreviousMs ?? DEFAULT_KEEP_PREVIOUS_MS) : await this.create(name, v, alias, opts.port);
      this.record(d, existing ? (strategy === 'canary' ? 'canary' : 'switch') : 'deploy', v, alias, 'ok', { strategy, ...(strategy === 'canary' ? { percent: opts.percent } : {}) });
      return { deployment: d, endpoint: this.endpoint(d), version: v.version, gates };
    } catch (err) {
      this.registry.audit.append({ action: 'deploy', outcome: 'failed', model: v.model, version: v.version, deployment: name, detail: { error: (err as Error).message } });
      this.records.addHistory({ deployment: name, time: this.now(), actor: this.registry.actor, action: 'deploy', model: v.model, version: v.version, alias, strategy, outcome: 'failed', detail: { error: (err as Error).message } });
      throw err;
    }
  }

  private checkGates(v: ModelVersion, name: string, opts: DeployOptions): GateReport {
    const report = this.registry.checkVersionGates(v);
    if (report.passed) return report;
    if (!opts.force) {
      this.registry.audit.append({ action: 'deploy', outcome: 'refused', model: v.model, version: v.version, deployment: name, detail: { report } });
      throw new GateFailedError(report, `deploying ${v.model}/${v.version}`);
    }
    if (!opts.reason?.trim()) throw invalid('--force needs --reason TEXT: a gate override is recorded with its reason.');
    this.registry.audit.append({ action: 'gate.override', outcome: 'ok', model: v.model, version: v.version, deployment: name, detail: { reason: opts.reason, report } });
    return report;
  }

  private async create(name: string, v: ModelVersion, alias: string | null, port?: number): Promise<DeploymentRecord> {
    const network = `loopline-${name}`;
    const labels = { [LABEL]: name, 'loopline.model': v.model };
    await this.backend.ensureNetwork(network, labels);
    const d: DeploymentRecord = { name, model: v.model, port: port ?? (await freePort()), network, proxyContainer: '', strategy: 'blue-green', generation: 0, slots: [], createdTime: this.now(), updatedTime: this.now() };
    let slot: Slot | undefined;
    try {
      slot = await this.startSlot(d, v, alias);
      d.slots = [{ ...slot, weight: 100, role: 'live' }];
      const dir = this.dir(name);
      mkdirSync(join(dir, 'proxy'), { recursive: true });
      // nginx's workers (nobody) store captured answers here.
      for (const sub of ['logs', 'logs/responses', 'logs/capture-tmp']) {
        mkdirSync(join(dir, sub), { recursive: true });
        chmodSync(join(dir, sub), 0o777);
      }
      writeFileSync(join(dir, 'proxy', 'capture_relay.py'), CAPTURE_RELAY_PY);
      writeFileSync(join(dir, 'proxy', 'front.conf'), renderFrontConfig());
      this.capture.resetLog(name);
      this.writeConfig(d);
      d.proxyContainer = await this.backend.startService({
        name: `loopline-${name}-proxy`,
        image: this.proxyImage,
        // The back nginx is PID 1 (SIGHUP reloads it, SIGUSR1 reopens its logs); the front nginx (never
        // reloaded, see nginx-config.ts) and the capture helper run beside it. nginx starts once the
        // helper listens (it touches /tmp/relay.ready), so no first feedback finds it missing.
        command: ['sh', '-c', "python3 /etc/loopline-proxy/capture_relay.py & for i in $(seq 100); do [ -e /tmp/relay.ready ] && break; sleep 0.05; done; nginx -c /etc/loopline-proxy/front.conf && exec nginx -c /etc/loopline-proxy/nginx.conf -g 'daemon off;'"],
        workingDir: '/',
        env: {},
        labels: { ...labels, 'loopline.role': 'proxy' },
        binds: [
          { source: join(dir, 'proxy'), target: '/etc/loopline-proxy', readOnly: true },
          { source: join(dir, 'logs'), target: '/var/log/loopline', readOnly: false },
        ],
        copyIn: [],
        network,
        ports: [{ containerPort: PROXY_PORT, hostPort: d.port, hostIp: '127.0.0.1' }],
      });
      await this.waitGeneration(d);
      await this.waitHealthy(d, slot);
      this.records.save(d);
      return d;
    } catch (err) {
      if (d.proxyContainer) await this.backend.removeContainer(d.proxyContainer).catch(() => {});
      if (slot) await this.backend.removeContainer(slot.containerId).catch(() => {});
      await this.backend.removeNetwork(network).catch(() => {});
      throw err;
    }
  }

  /** Blue/green or canary on a live deployment: the live version is untouched until the new one is healthy. */
  private async rollOut(d: DeploymentRecord, v: ModelVersion, alias: string | null, strategy: Strategy, percent: number, keepPreviousMs: number): Promise<DeploymentRecord> {
    const slot = await this.startSlot(d, v, alias);
    // Make the new slot reachable for its health check; traffic unchanged.
    const before = d.slots;
    d.slots = [...before, { ...slot, weight: 0, role: 'candidate' }];
    try {
      await this.reload(d);
      await this.waitHealthy(d, slot);
    } catch (err) {
      d.slots = before;
      await this.reload(d).catch(() => {});
      await this.backend.removeContainer(slot.containerId).catch(() => {});
      this.records.save(d);
      throw err;
    }
    // Drop a previous warm version: only the live one stays warm behind the new one.
    const stale = before.filter((s) => s.role === 'previous');
    const live = before.filter((s) => s.role === 'live');
    if (strategy === 'canary') {
      d.strategy = 'canary';
      d.slots = [...live.map((s) => ({ ...s, weight: 100 - percent })), { ...slot, weight: percent, role: 'candidate' as const }, ...stale];
    } else {
      d.strategy = 'blue-green';
      d.slots = [{ ...slot, weight: 100, role: 'live' }, ...live.map((s) => ({ ...s, weight: 0, role: 'previous' as const, expiresTime: this.now() + keepPreviousMs }))];
    }
    this.ingestBefore(d, stale);
    await this.reload(d);
    if (strategy !== 'canary') for (const s of stale) await this.backend.removeContainer(s.containerId).catch(() => {});
    this.records.save(d);
    return d;
  }

  /** Canary → 100% to the new version; the old one stays warm for rollback. */
  async promote(name: string, opts: { keepPreviousMs?: number } = {}): Promise<DeploymentRecord> {
    const d = this.records.get(name);
    const cand = d.slots.find((s) => s.role === 'candidate');
    if (!cand) throw new LooplineError('INVALID_STATE', `Deployment '${name}' has no canary to promote.`);
    const live = d.slots.filter((s) => s.role === 'live');
    const stale = d.slots.filter((s) => s.role === 'previous');
    const expiresTime = this.now() + (opts.keepPreviousMs ?? DEFAULT_KEEP_PREVIOUS_MS);
    this.ingestBefore(d, stale);
    d.slots = [{ ...cand, weight: 100, role: 'live' }, ...live.map((s) => ({ ...s, weight: 0, role: 'previous' as const, expiresTime }))];
    d.strategy = 'blue-green';
    await this.reload(d);
    for (const s of stale) await this.backend.removeContainer(s.containerId).catch(() => {});
    this.records.save(d);
    this.record(d, 'promote', null, cand.alias, 'ok', {}, cand.version);
    return d;
  }

  /**
   * Watches the live version after a switch for `settleMs`: rolls back by itself to the warm previous
   * version when its error rate (5xx share in the proxy's access log since the watch began, once it has
   * `minRequests`) exceeds `maxErrorRate`, or its health check fails `healthFailures` times in a row.
   * Stops early when someone else changes the deployment.
   */
  async watchAfterSwitch(name: string, opts: SettleOptions): Promise<SettleResult> {
    const o = { maxErrorRate: 0.05, minRequests: 5, healthFailures: 3, intervalMs: 500, ...opts };
    const start = this.now();
    const first = this.records.get(name);
    const watched = first.slots.find((s) => s.role === 'live');
    if (!watched || !first.slots.some((s) => s.role === 'previous')) return { rolledBack: false, reason: 'no warm previous version to return to' };
    let failures = 0;
    while (this.now() - start < o.settleMs) {
      await sleep(o.intervalMs);
      const d = this.records.find(name);
      if (!d || d.slots.find((s) => s.role === 'live')?.id !== watched.id) return { rolledBack: false, reason: 'the deployment changed meanwhile' };
      const m = this.metrics(d, start).find((x) => x.slot === watched.id);
      let why: string | undefined;
      if (m && m.requests >= o.minRequests && m.errorRate > o.maxErrorRate) why = `error rate ${(m.errorRate * 100).toFixed(0)}% (${m.errors}/${m.requests}) above ${(o.maxErrorRate * 100).toFixed(0)}%`;
      else {
        const ok = await fetch(`${this.endpoint(d)}/__loopline/slot/${watched.id}${this.health.path}`, { signal: AbortSignal.timeout(this.health.timeoutMs) }).then((r) => r.status === 200, () => false);
        failures = ok ? 0 : failures + 1;
        if (failures >= o.healthFailures) why = `health check GET ${this.health.path} failed ${failures} times in a row`;
      }
      if (why) {
        await this.rollback(name, `automatic rollback: version ${watched.version} ${why}`, `automatic rollback: ${why}`);
        return { rolledBack: true, reason: why, version: watched.version, ...(m ? { metrics: m } : {}) };
      }
    }
    return { rolledBack: false, reason: 'settled', ...(watched ? { version: watched.version } : {}) };
  }

  /** Ends a canary, or returns to the warm previous version (a reload: well under a second). */
  async rollback(name: string, reason = 'manual', outcome: 'ok' | `automatic rollback: ${string}` = 'ok'): Promise<DeploymentRecord> {
    const d = await this.reapExpired(this.records.get(name));
    const cand = d.slots.find((s) => s.role === 'candidate');
    const prev = d.slots.find((s) => s.role === 'previous');
    const live = d.slots.find((s) => s.role === 'live');
    if (cand) {
      this.ingestBefore(d, [cand]);
      d.slots = d.slots.filter((s) => s !== cand).map((s) => (s.role === 'live' ? { ...s, weight: 100 } : s));
      d.strategy = 'blue-green';
      await this.reload(d);
      await this.backend.removeContainer(cand.containerId).catch(() => {});
      this.records.save(d);
      this.record(d, 'rollback', null, cand.alias, 'ok', { reason, ended: 'canary', removedVersion: cand.version }, live?.version ?? null);
      return d;
    }
    if (!prev || !live) throw new LooplineError('INVALID_STATE', `Deployment '${name}' has no previous version to roll back to (it was removed or this is the first deployment).`);
    d.slots = [{ ...prev, weight: 100, role: 'live', expiresTime: undefined }, { ...live, weight: 0, role: 'previous', expiresTime: this.now() + DEFAULT_KEEP_PREVIOUS_MS }];
    await this.reload(d);
    this.records.save(d);
    this.record(d, 'rollback', null, prev.alias, outcome, { reason, from: live.version }, prev.version);
    return d;
  }

  /** Stops and removes the deployment's containers and network; the port is free afterwards. */
  async undeploy(name: string): Promise<void> {
    const d = this.records.find(name);
    const found = await this.backend.find({ [LABEL]: name });
    if (!d && found.length === 0) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', `No deployment named '${name}'; list them with loopline deployments.`);
    for (const c of found) await this.backend.removeContainer(c.id);
    await this.backend.removeNetwork(`loopline-${name}`);
    rmSync(this.dir(name), { recursive: true, force: true });
    if (d) {
      this.records.remove(name);
      this.record(d, 'undeploy', null, null, 'ok', { versions: d.slots.map((s) => s.version) });
    }
  }

  /** Removes warm previous versions whose --keep-previous time ran out (checked whenever Loopline acts on or lists deployments). */
  async reapExpired(d: DeploymentRecord): Promise<DeploymentRecord> {
    const expired = d.slots.filter((s) => s.role === 'previous' && s.expiresTime !== undefined && s.expiresTime <= this.now());
    if (expired.length === 0) return d;
    this.ingestBefore(d, expired);
    d.slots = d.slots.filter((s) => !expired.includes(s));
    await this.reload(d);
    for (const s of expired) await this.backend.removeContainer(s.containerId).catch(() => {});
    this.records.save(d);
    for (const s of expired) this.record(d, 'expire-previous', null, s.alias, 'ok', { reason: '--keep-previous ran out' }, s.version);
    return d;
  }

  /** Per-version request count, error rate and latency from the proxy's access log. */
  metrics(d: DeploymentRecord, sinceMs = 0): VersionMetrics[] {
    return deploymentMetrics(dirname(this.registry.store.path), d, sinceMs);
  }

  /** Deployments with whether their containers are running (found again by label). */
  async list(): Promise<Array<DeploymentRecord & { endpoint: string; running: boolean; metrics: VersionMetrics[] }>> {
    const out = [];
    for (const rec of this.records.list()) {
      const d = await this.reapExpired(rec).catch(() => rec);
      const found = await this.backend.find({ [LABEL]: d.name }).catch(() => []);
      const running = found.some((c) => c.id === d.proxyContainer && c.running);
      out.push({ ...d, endpoint: this.endpoint(d), running, metrics: this.metrics(d) });
    }
    return out;
  }

  /**
   * What the endpoint's containers printed (the proxy's errors, each version's server output; the
   * last `lines` of each) and the newest access-log lines: one text to read when something is wrong.
   * `slotId` narrows it to one version's container.
   */
  async endpointLogs(name: string, opts: { slotId?: string; lines?: number } = {}): Promise<string> {
    const d = this.records.get(name);
    const lines = opts.lines ?? 200;
    const parts: string[] = [];
    const take = async (title: string, id: string) => {
      const text = await this.backend.containerLogs(id, lines).catch((err: Error) => `(no logs: ${err.message})`);
      parts.push(`==== ${title} (last ${lines} lines) ====`, text.trimEnd() || '(nothing printed)', '');
    };
    for (const s of d.slots.filter((x) => !opts.slotId || x.id === opts.slotId)) await take(`${d.model} v${s.version} · ${s.role} · ${s.weight}% · container ${s.container}`, s.containerId);
    if (!opts.slotId) {
      await take(`proxy · http://127.0.0.1:${d.port} · container loopline-${d.name}-proxy`, d.proxyContainer);
      const access = join(this.dir(name), 'logs', 'access.log');
      const tail = readTailText(access, 64 * 1024).split('\n').filter(Boolean).slice(-lines);
      parts.push(`==== access log ${access} (last ${tail.length} requests) ====`, ...(tail.length ? tail : ['(no requests yet)']), '');
    }
    return parts.join('\n');
  }

  /** The proxy's capture log (on the host; read by CaptureStore.ingest). */
  captureLog(name: string): string {
    return join(this.dir(name), 'logs', 'capture.jsonl');
  }

  /** Moves new captures and feedback from the proxy's logs into the store, each request labelled with the version that answered it. */
  ingestCapture(name: string, d: DeploymentRecord = this.records.get(name)): { requests: number; feedback: number } {
    return this.capture.ingest(name, this.captureLog(name), upstreamVersions(d.slots));
  }

  /** Captures answered by slots about to go are ingested while their addresses still name them. */
  private ingestBefore(d: DeploymentRecord, leaving: Slot[]): void {
    if (leaving.length === 0) return;
    try {
      this.ingestCapture(d.name, d);
    } catch {
      // best effort: the lines stay in the log and are ingested later, without a version
    }
  }

  /** Switches capture on/off or changes sampling/ring; the proxy follows with a graceful reload. */
  async setCapture(name: string, patch: Partial<CaptureSettings>): Promise<CaptureSettings> {
    const d = this.records.get(name);
    this.ingestCapture(name);
    const s = this.capture.setSettings(name, patch);
    await this.reload(d);
    this.records.save(d);
    this.record(d, 'capture', null, null, 'ok', { ...s });
    return s;
  }

  // ---- internals ------------------------------------------------------------------------

  private async startSlot(d: DeploymentRecord, v: ModelVersion, alias: string | null): Promise<Slot> {
    const id = slotId();
    const container = `loopline-${d.name}-v${v.version}-${id}`;
    const image = await serveImage(this.registry, v, this.backend);
    const { spec } = servingContainer(this.registry, v, { name: container, labels: { [LABEL]: d.name, 'loopline.role': 'model' }, network: d.network, ...(image ? { image } : {}) });
    const containerId = await this.backend.startService(spec);
    const address = (await this.backend.networkAddresses(d.network).catch(() => ({}) as Record<string, string>))[container];
    return { id, container, containerId, version: v.version, alias, weight: 0, role: 'candidate', startedTime: this.now(), ...(address ? { address } : {}) };
  }

  private writeConfig(d: DeploymentRecord): void {
    d.generation += 1;
    const file = join(this.dir(d.name), 'proxy', 'nginx.conf');
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const capture = this.capture.settings(d.name);
    // Proxies started before the front nginx existed listen publicly with this one configuration.
    const standalone = !existsSync(join(dirname(file), 'front.conf'));
    writeFileSync(tmp, renderNginxConfig(d.slots, d.generation, { enabled: capture.enabled, sampling: capture.sampling }, { standalone }));
    renameSync(tmp, file);
    writeFileSync(`${tmp}c`, JSON.stringify({ max_bytes: this.captureLog_.maxBytes, keep: this.captureLog_.keep }));
    renameSync(`${tmp}c`, join(dirname(file), 'capture.json'));
  }

  /** Graceful reload: nginx starts new workers on the new config; old ones finish their requests. */
  private async reload(d: DeploymentRecord): Promise<void> {
    this.writeConfig(d);
    await this.backend.signalContainer(d.proxyContainer, 'SIGHUP');
    await this.waitGeneration(d);
  }

  private async waitGeneration(d: DeploymentRecord): Promise<void> {
    const deadline = Date.now() + 15_000;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${this.endpoint(d)}/__loopline/generation`, { signal: AbortSignal.timeout(1000) });
        last = await res.text();
        if (res.ok && last === String(d.generation)) return;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(50);
    }
    const logs = await this.backend.containerLogs(d.proxyContainer, 20).catch(() => '');
    throw new LooplineError('INTERNAL_ERROR', `The proxy did not load configuration ${d.generation} (last answer: ${last}). Its last log lines:\n${logs}`);
  }

  private async waitHealthy(d: DeploymentRecord, slot: Slot): Promise<void> {
    const url = `${this.endpoint(d)}/__loopline/slot/${slot.id}${this.health.path}`;
    let last = '';
    for (let i = 0; i < this.health.retries; i++) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(this.health.timeoutMs) });
        if (res.status === 200) return;
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(this.health.intervalMs);
    }
    const logs = await this.backend.containerLogs(slot.containerId, 20).catch(() => '(no logs)');
    throw new LooplineError(
      'INVALID_STATE',
      `Version ${slot.version} failed its health check (GET ${this.health.path}: ${last} after ${this.health.retries} tries); the live version is untouched. Its last log lines:\n${logs.trim()}`,
    );
  }

  private record(d: DeploymentRecord, action: string, v: ModelVersion | null, alias: string | null, outcome: AuditOutcome, detail: Record<string, unknown>, version?: number | null): void {
    const ver = v?.version ?? version ?? null;
    this.records.addHistory({ deployment: d.name, time: this.now(), actor: this.registry.actor, action, model: d.model, version: ver, alias, strategy: d.strategy, outcome, detail });
    this.registry.audit.append({ action, outcome, model: d.model, version: ver, deployment: d.name, detail: { alias, ...detail } });
  }
}
