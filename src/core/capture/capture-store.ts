import type Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { invalid } from '../errors.ts';

export interface CaptureSettings {
  enabled: boolean;
  /** Share of scoring requests captured, 0..1 (1: every request; lower only for high traffic). */
  sampling: number;
  /** Most captured requests kept per deployment; the oldest go first. */
  ring: number;
}

export const DEFAULT_CAPTURE: CaptureSettings = { enabled: true, sampling: 1, ring: 100_000 };

export interface CapturedRequest {
  id: number;
  requestId: string;
  time: number;
  version: number | null;
  status: number;
  latencyMs: number;
  request: string;
  response: string;
}

export interface Feedback {
  requestId: string;
  label: string;
  time: number;
  source: string;
}

interface Row {
  id: number;
  request_id: string;
  time: number;
  version: number | null;
  status: number;
  latency_ms: number;
  request: string;
  response: string;
}

const toCaptured = (r: Row): CapturedRequest => ({ id: r.id, requestId: r.request_id, time: r.time, version: r.version, status: r.status, latencyMs: r.latency_ms, request: r.request, response: r.response });

/** A label as stored: strings as they are, anything else as its JSON (so 1 and "1" compare equal to predictions alike). */
export function labelText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Captured requests and feedback of deployments, in the workspace store (never sent anywhere). */
export class CaptureStore {
  private readonly db: Database.Database;
  constructor(db: Database.Database) {
    this.db = db;
  }

  settings(deployment: string): CaptureSettings {
    const r = this.db.prepare('SELECT enabled, sampling, ring FROM capture_settings WHERE deployment = ?').get(deployment) as { enabled: number; sampling: number; ring: number } | undefined;
    return r ? { enabled: r.enabled === 1, sampling: r.sampling, ring: r.ring } : { ...DEFAULT_CAPTURE };
  }

  setSettings(deployment: string, patch: Partial<CaptureSettings>): CaptureSettings {
    const s = { ...this.settings(deployment), ...patch };
    if (!(s.sampling > 0 && s.sampling <= 1)) throw invalid(`Capture sampling must be above 0 and at most 1 (a share of requests, e.g. 0.1), not ${patch.sampling}.`);
    if (!Number.isInteger(s.ring) || s.ring < 1) throw invalid(`The capture ring must hold at least 1 request (a whole number), not ${patch.ring}.`);
    this.db
      .prepare(
        `INSERT INTO capture_settings (deployment, enabled, sampling, ring) VALUES (?, ?, ?, ?)
         ON CONFLICT (deployment) DO UPDATE SET enabled = excluded.enabled, sampling = excluded.sampling, ring = excluded.ring`,
      )
      .run(deployment, s.enabled ? 1 : 0, s.sampling, s.ring);
    this.trim(deployment, s.ring);
    return s;
  }

  /**
   * Reads the proxy's capture log from where the last call stopped: request lines become captured
   * requests (the ring keeps the newest `ring`), feedback lines labels. Only whole lines are taken,
   * so a line being written is picked up next time.
   */
  ingest(deployment: string, logFile: string, version: number | null): { requests: number; feedback: number } {
    if (!existsSync(logFile)) return { requests: 0, feedback: 0 };
    const row = this.db.prepare('SELECT log_offset FROM capture_settings WHERE deployment = ?').get(deployment) as { log_offset: number } | undefined;
    let offset = row?.log_offset ?? 0;
    const size = statSync(logFile).size;
    if (size < offset) offset = 0; // the log was recreated (redeployed under the same name)
    if (size === offset) return { requests: 0, feedback: 0 };
    const fd = openSync(logFile, 'r');
    const buf = Buffer.alloc(size - offset);
    try {
      readSync(fd, buf, 0, buf.length, offset);
    } finally {
      closeSync(fd);
    }
    const end = buf.lastIndexOf(0x0a) + 1;
    const text = buf.subarray(0, end).toString('utf8');
    const insertReq = this.db.prepare('INSERT INTO captured_requests (deployment, request_id, time, version, status, latency_ms, request, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    let requests = 0;
    let feedback = 0;
    this.db.transaction(() => {
      for (const line of text.split('\n')) {
        if (!line) continue;
        let e: Record<string, unknown>;
        try {
          e = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue; // a torn line from a crashed relay: skipped, the rest is kept
        }
        const time = Math.round(Number(e.time) * 1000);
        if (e.type === 'request') {
          insertReq.run(deployment, String(e.request_id ?? ''), time, version, Number(e.status), Number(e.latency_ms), String(e.request ?? ''), String(e.response ?? ''));
          requests++;
        } else if (e.type === 'feedback') {
          this.addFeedback(deployment, String(e.request_id), e.label, 'endpoint', time);
          feedback++;
        }
      }
      this.db
        .prepare('INSERT INTO capture_settings (deployment, log_offset) VALUES (?, ?) ON CONFLICT (deployment) DO UPDATE SET log_offset = excluded.log_offset')
        .run(deployment, offset + end);
      this.trim(deployment, this.settings(deployment).ring);
    })();
    return { requests, feedback };
  }

  private trim(deployment: string, ring: number): void {
    this.db
      .prepare('DELETE FROM captured_requests WHERE deployment = ? AND id <= (SELECT id FROM captured_requests WHERE deployment = ? ORDER BY id DESC LIMIT 1 OFFSET ?)')
      .run(deployment, deployment, ring);
  }

  addFeedback(deployment: string, requestId: string, label: unknown, source: string, time = Date.now()): void {
    this.db
      .prepare('INSERT INTO capture_feedback (deployment, request_id, label, time, source) VALUES (?, ?, ?, ?, ?) ON CONFLICT (deployment, request_id) DO UPDATE SET label = excluded.label, time = excluded.time, source = excluded.source')
      .run(deployment, requestId, labelText(label), time, source);
  }

  /** The newest captured requests: the last `last`, or those since `since` (ms), oldest first. */
  requests(deployment: string, opts: { last?: number; since?: number } = {}): CapturedRequest[] {
    const rows = (
      opts.since !== undefined
        ? this.db.prepare('SELECT * FROM captured_requests WHERE deployment = ? AND time >= ? ORDER BY id DESC').all(deployment, opts.since)
        : this.db.prepare('SELECT * FROM captured_requests WHERE deployment = ? ORDER BY id DESC LIMIT ?').all(deployment, opts.last ?? -1)
    ) as Row[];
    return rows.reverse().map(toCaptured);
  }

  count(deployment: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM captured_requests WHERE deployment = ?').get(deployment) as { n: number }).n;
  }

  feedback(deployment: string): Map<string, Feedback> {
    const rows = this.db.prepare('SELECT request_id, label, time, source FROM capture_feedback WHERE deployment = ?').all(deployment) as Array<{ request_id: string; label: string; time: number; source: string }>;
    return new Map(rows.map((r) => [r.request_id, { requestId: r.request_id, label: r.label, time: r.time, source: r.source }]));
  }

  /** A new proxy starts a new capture log. */
  resetLog(deployment: string): void {
    this.db.prepare('UPDATE capture_settings SET log_offset = 0 WHERE deployment = ?').run(deployment);
  }

  /** Forgets a deployment's captures (undeploy keeps them; this is explicit). */
  clear(deployment: string): void {
    this.db.prepare('DELETE FROM captured_requests WHERE deployment = ?').run(deployment);
    this.db.prepare('DELETE FROM capture_feedback WHERE deployment = ?').run(deployment);
    this.db.prepare('UPDATE capture_settings SET log_offset = 0 WHERE deployment = ?').run(deployment);
  }
}
