import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { DeploymentRecord } from './deployment-records.ts';
import { formatDuration } from '../../shared/display-format.ts';
import type { Slot } from './nginx-config.ts';

/** One line of the proxy's JSON access log (see `log_format loopline` in nginx-config.ts). */
export interface AccessEntry {
  /** Seconds since the epoch, with milliseconds. */
  time: number;
  status: number;
  /** The upstream that answered last (`ip:port`); nginx lists every one it tried, comma-separated. */
  upstream: string;
  /** Seconds, as nginx measured the whole request. */
  requestTime: number;
  /**
   * Every upstream nginx tried, in order, with its status and time (seconds) when logged: a version
   * that failed (5xx) before another answered counts that error, the client saw the other's answer.
   */
  tries?: Array<{ upstream: string; status: number; time: number }>;
}

export interface VersionMetrics {
  version: number;
  slot: string;
  requests: number;
  errors: number;
  /** errors / requests, 0 when there were none. */
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** Parses one log line; null for lines that are not ours (partial last line, other formats). */
export function parseAccessLine(line: string): AccessEntry | null {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  const time = Number(raw.time);
  const status = Number(raw.status);
  const requestTime = Number(raw.request_time);
  if (!Number.isFinite(time) || !Number.isFinite(status) || !Number.isFinite(requestTime)) return null;
  const split = (v: unknown) => String(v ?? '').split(/\s*[,:]\s+/).map((s) => s.trim()).filter(Boolean);
  const tried = split(raw.upstream);
  const entry: AccessEntry = { time, status, upstream: tried[tried.length - 1] ?? '', requestTime };
  if (tried.length > 1) {
    const statuses = split(raw.upstream_status);
    const times = split(raw.upstream_time);
    entry.tries = tried.map((upstream, i) => ({ upstream, status: i === tried.length - 1 ? status : Number(statuses[i]) || 502, time: Number(times[i]) || 0 }));
  }
  return entry;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Request count, error rate (5xx answers, including the proxy's own 502/504 for a dead upstream) and
 * p50/p95 latency per version, attributing each request to the slot whose address answered it.
 * `sinceSec` limits the window (e.g. the settle period after a switch).
 */
export function summarizeAccess(entries: Iterable<AccessEntry>, slots: Slot[], sinceSec = 0): VersionMetrics[] {
  const bySlot = new Map<string, { slot: Slot; times: number[]; errors: number }>();
  const byAddress = new Map<string, string>();
  for (const s of slots) {
    bySlot.set(s.id, { slot: s, times: [], errors: 0 });
    if (s.address) byAddress.set(`${s.address}:8080`, s.id);
  }
  for (const e of entries) {
    if (e.time < sinceSec) continue;
    for (const t of e.tries ?? [{ upstream: e.upstream, status: e.status, time: e.requestTime }]) {
      const id = byAddress.get(t.upstream);
      const acc = id ? bySlot.get(id) : undefined;
      if (!acc || e.time * 1000 < (acc.slot.startedTime ?? 0)) continue;
      acc.times.push((e.tries ? t.time : e.requestTime) * 1000);
      if (t.status >= 500) acc.errors++;
    }
  }
  return [...bySlot.values()].map(({ slot, times, errors }) => {
    times.sort((a, b) => a - b);
    return { version: slot.version, slot: slot.id, requests: times.length, errors, errorRate: times.length ? errors / times.length : 0, p50Ms: percentile(times, 50), p95Ms: percentile(times, 95) };
  });
}

/** The version behind an upstream address (`ip:8080`) at a time (s): a slot's address, once it started. */
export function upstreamVersions(slots: Slot[]): (upstream: string, timeSec: number) => number | null {
  const byAddress = new Map(slots.filter((s) => s.address).map((s) => [`${s.address}:8080`, s]));
  return (upstream, timeSec) => {
    const s = byAddress.get(upstream);
    return s && timeSec * 1000 >= (s.startedTime ?? 0) ? s.version : null;
  };
}

/** The last `maxBytes` of a file as text, from a line start ('' when it does not exist). */
export function readTailText(file: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    const text = buf.toString('utf8');
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    closeSync(fd);
  }
}

/** The last `maxBytes` of the access log, as entries (a log that does not exist yet has none). */
export function readAccessLog(file: string, maxBytes = 4 * 1024 * 1024): AccessEntry[] {
  return readTailText(file, maxBytes).split('\n').map(parseAccessLine).filter((e): e is AccessEntry => e !== null);
}

/** Metrics of a deployment's slots; `loopDir` is the folder holding the store (`.loopline`). */
export function deploymentMetrics(loopDir: string, d: DeploymentRecord, sinceMs = 0): VersionMetrics[] {
  return summarizeAccess(readAccessLog(join(loopDir, 'deployments', d.name, 'logs', 'access.log')), d.slots, sinceMs / 1000);
}

/** `12 req · 8% err · p50 3 ms · p95 9 ms` */
export function formatMetrics(m: VersionMetrics | undefined): string {
  if (!m || m.requests === 0) return 'no requests yet';
  return `${m.requests} req · ${(m.errorRate * 100).toFixed(m.errorRate > 0 && m.errorRate < 0.01 ? 2 : 0)}% err · p50 ${formatDuration(m.p50Ms)} · p95 ${formatDuration(m.p95Ms)}`;
}
