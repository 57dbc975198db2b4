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
   * so a line being written is picked up next time. The log is read in chunks, each committed with
   * its offset, so a long gap (gigabytes of log) never sits in memory at once and a crash loses
   * nothing. Lines that are not JSON (a torn write) are counted in `skipped`, the rest is kept.
   */
  ingest(deployment: string, logFile: string, version: number | null, chunkBytes = 4 << 20): { requests: number; feedback: number; skipped: number } {
    const total = { requests: 0, feedback: 0, skipped: 0 };
    if (!existsSync(logFile)) return total;
    const row = this.db.prepare('SELECT log_offset FROM capture_settings WHERE deployment = ?').get(deployment) as { log_offset: number } | undefined;
    let offset = row?.log_offset ?? 0;
    const size = statSync(logFile).size;
    if (size < offset) offset = 0; // the log was recreated (redeployed under the same name)
    if (size === offset) return total;
    const fd = openSync(logFile, 'r');
    try {
      let want = chunkBytes;
      while (offset < size) {
        const buf = Buffer.alloc(Math.min(want, size - offset));
        const got = readSync(fd, buf, 0, buf.length, offset);
        const end = buf.subarray(0, got).lastIndexOf(0x0a) + 1;
        if (end === 0) {
          if (offset + got >= size) break; // an unfinished last line: next time
          want *= 2; // one line longer than a chunk (a large request body)
          continue;
        }
        want = chunkBytes;
        const n = this.ingestLines(deployment, buf.subarray(0, end).toString('utf8'), version, offset + end);
        total.requests += n.requests;
        total.feedback += n.feedback;
        total.skipped += n.skipped;
        offset += end;
      }
    } finally {
      closeSync(fd);
    }
    return total;
  }

  private ingestLines(deployment: string, text: string, version: number | null, newOffset: number): { requests: number; feedback: number; skipped: number } {
    const insertReq = this.db.prepare('INSERT INTO captured_requests (deployment, request_id, time, version, status, latency_ms, request, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    let requests = 0;
    let feedback = 0;
    let skipped = 0;
    this.db.transaction(() => {
      for (const line of text.split('\n')) {
        if (!line) continue;
        let e: Record<string, unknown>;
        try {
          e = JSON.parse(line) as Record<string, unknown>;
        } catch {
          skipped++; // a torn line from a crashed relay: skipped, the rest is kept
          continue;
        }
        if (!e || typeof e !== 'object') {
          skipped++;
          continue;
        }
        const time = Math.round(Number(e.time) * 1000);
        if (!Number.isFinite(time) || typeof e.request_id !== 'string') {
          skipped++; // JSON, but not a whole record (a torn line completed by a later write)
          continue;
        }
        if (e.type === 'request') {
          if (!Number.isFinite(Number(e.status)) || !Number.isFinite(Number(e.latency_ms))) {
            skipped++;
            continue;
          }
          insertReq.run(deployment, String(e.request_id ?? ''), time, version, Number(e.status), Number(e.latency_ms), String(e.request ?? ''), String(e.response ?? ''));
          requests++;
        } else if (e.type === 'feedback') {
          this.addFeedback(deployment, String(e.request_id), e.label, 'endpoint', time);
          feedback++;
        } else skipped++;
      }
      this.db
        .prepare('INSERT INTO capture_settings (deployment, log_offset) VALUES (?, ?) ON CONFLICT (deployment) DO UPDATE SET log_offset = excluded.log_offset')
        .run(deployment, newOffset);
      this.trim(deployment, this.settings(deployment).ring);
    })();
    return { requests, feedback, skipped };
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

  /** Up to `limit` captured requests from id `fromId` on, oldest first (a drift-history window). */
  requestsFrom(deployment: string, fromId: number, limit: number): CapturedRequest[] {
    return (this.db.prepare('SELECT * FROM captured_requests WHERE deployment = ? AND id >= ? ORDER BY id LIMIT ?').all(deployment, fromId, limit) as Row[]).map(toCaptured);
  }

  /** Ids of the stored requests from `fromId` on, oldest first (ids only: cheap to count and step through). */
  idsFrom(deployment: string, fromId: number): number[] {
    return this.db.prepare('SELECT id FROM captured_requests WHERE deployment = ? AND id >= ? ORDER BY id').pluck().all(deployment, fromId) as number[];
  }

  /** When the newest label arrived (0 when none). */
  latestFeedbackTime(deployment: string): number {
    return (this.db.prepare('SELECT MAX(time) AS t FROM capture_feedback WHERE deployment = ?').get(deployment) as { t: number | null }).t ?? 0;
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
