import type Database from 'better-sqlite3';
import { closeSync, fstatSync, openSync, readFileSync, readdirSync, readSync, rmSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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
   * Reads the proxy's capture logs (`capture.jsonl.N` … `.1` beside `logFile`, oldest first, then
   * `logFile` itself) from where the last call stopped in each: request lines become captured requests
   * (with the answer nginx stored under `responses/REQUEST_ID`, taken in and deleted; the ring keeps
   * the newest `ring`), feedback lines labels. Only whole lines are taken, so a line being written is
   * picked up next time. Each file is read in chunks, each committed with its position, so a long gap
   * (gigabytes of log) never sits in memory at once and a crash loses nothing. Lines that are not
   * records (a torn write) are counted in `skipped`, the rest is kept. `version` names the version
   * behind an upstream address at a time; a number (or null) labels lines that name no upstream.
   */
  ingest(deployment: string, logFile: string, version: number | null | VersionOf, chunkBytes = 4 << 20): { requests: number; feedback: number; skipped: number } {
    const total = { requests: 0, feedback: 0, skipped: 0 };
    const versionOf: VersionOf = typeof version === 'function' ? version : () => version;
    const logDir = dirname(logFile);
    const files = captureLogFiles(logDir, basename(logFile));
    const row = this.db.prepare('SELECT log_positions FROM capture_settings WHERE deployment = ?').get(deployment) as { log_positions: string } | undefined;
    const before = JSON.parse(row?.log_positions ?? '{}') as Record<string, number>;
    const legacy = (this.db.prepare('SELECT log_offset FROM capture_settings WHERE deployment = ?').get(deployment) as { log_offset: number } | undefined)?.log_offset ?? 0;
    const current = files.at(-1);
    if (legacy > 0 && current?.path === logFile && Object.keys(before).length === 0) {
      // A store from before rotation kept one offset into capture.jsonl: continue from there.
      before[current.key] = legacy;
      this.db.prepare('UPDATE capture_settings SET log_offset = 0 WHERE deployment = ?').run(deployment);
    }
    const positions: Record<string, number> = {};
    // A position past the end means the inode was reused by a new file: read that one from the start.
    for (const f of files) positions[f.key] = (before[f.key] ?? 0) > f.size ? 0 : (before[f.key] ?? 0);
    const save = this.db.prepare('INSERT INTO capture_settings (deployment, log_positions) VALUES (?, ?) ON CONFLICT (deployment) DO UPDATE SET log_positions = excluded.log_positions');
    for (const f of files) {
      let fd: number;
      try {
        fd = openSync(f.path, 'r');
      } catch {
        continue; // rotated away meanwhile: its lines are gone
      }
      try {
        const st = fstatSync(fd);
        if (fileKey(st) !== f.key) continue; // renamed meanwhile: read under its new name next time
        let want = chunkBytes;
        for (;;) {
          const offset = positions[f.key]!;
          const size = fstatSync(fd).size;
          if (size <= offset) break;
          const buf = Buffer.alloc(Math.min(want, size - offset));
          const got = readSync(fd, buf, 0, buf.length, offset);
          const end = buf.subarray(0, got).lastIndexOf(0x0a) + 1;
          if (end === 0) {
            if (offset + got >= size) break; // an unfinished last line: next time
            want *= 2; // one line longer than a chunk (a large request body)
            continue;
          }
          want = chunkBytes;
          const n = this.ingestLines(deployment, buf.subarray(0, end).toString('utf8'), logDir, versionOf, () => {
            positions[f.key] = offset + end;
            save.run(deployment, JSON.stringify(positions));
          });
          total.requests += n.requests;
          total.feedback += n.feedback;
          total.skipped += n.skipped;
        }
      } finally {
        closeSync(fd);
      }
    }
    save.run(deployment, JSON.stringify(positions)); // forgets files rotated away
    return total;
  }

  private ingestLines(deployment: string, text: string, logDir: string, versionOf: VersionOf, commit: () => void): { requests: number; feedback: number; skipped: number } {
    const insertReq = this.db.prepare('INSERT INTO captured_requests (deployment, request_id, time, version, status, latency_ms, request, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    let requests = 0;
    let feedback = 0;
    let skipped = 0;
    const answered: string[] = [];
    this.db.transaction(() => {
      for (const line of text.split('\n')) {
        if (!line) continue;
        const e = parseJsonObject(line);
        const timeSec = Number(e?.time);
        if (!e || !Number.isFinite(timeSec)) {
          skipped++; // a torn line from a crashed writer: skipped, the rest is kept
          continue;
        }
        const time = Math.round(timeSec * 1000);
        if (e.type === 'request' && typeof e.request_id === 'string') {
          // nginx logs request_time (s) and stores the answer apart; the older relay wrote latency_ms and the answer inline.
          const latencyMs = e.latency_ms !== undefined ? Number(e.latency_ms) : Number(e.request_time) * 1000;
          if (!Number.isFinite(Number(e.status)) || !Number.isFinite(latencyMs)) {
            skipped++;
            continue;
          }
          let response = typeof e.response === 'string' ? e.response : '';
          if (e.response === undefined && REQUEST_ID.test(e.request_id)) {
            const stored = readAnswer(join(logDir, 'responses', e.request_id));
            if (stored !== null) {
              response = stored;
              answered.push(e.request_id);
            }
          }
          const tried = String(e.upstream ?? '').split(/\s*[,:]\s+/).filter(Boolean);
          insertReq.run(deployment, e.request_id, time, versionOf(tried.at(-1) ?? '', timeSec), Number(e.status), latencyMs, String(e.request ?? ''), response);
          requests++;
        } else if (e.type === 'feedback') {
          // nginx logs the accepted body; the older relay wrote request_id and label inline.
          const body = typeof e.body === 'string' ? parseJsonObject(e.body) : e;
          if (!body || typeof body.request_id !== 'string' || !('label' in body)) {
            skipped++;
            continue;
          }
          this.addFeedback(deployment, body.request_id, body.label, 'endpoint', time);
          feedback++;
        } else skipped++; // JSON, but not a whole record (a torn line completed by a later write)
      }
      commit();
      this.trim(deployment, this.settings(deployment).ring);
    })();
    for (const id of answered) rmSync(join(logDir, 'responses', id), { force: true });
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

  /** A new proxy starts new capture logs. */
  resetLog(deployment: string): void {
    this.db.prepare("UPDATE capture_settings SET log_offset = 0, log_positions = '{}' WHERE deployment = ?").run(deployment);
  }

  /** Forgets a deployment's captures (undeploy keeps them; this is explicit). */
  clear(deployment: string): void {
    this.db.prepare('DELETE FROM captured_requests WHERE deployment = ?').run(deployment);
    this.db.prepare('DELETE FROM capture_feedback WHERE deployment = ?').run(deployment);
    this.db.prepare("UPDATE capture_settings SET log_offset = 0, log_positions = '{}' WHERE deployment = ?").run(deployment);
  }
}

/** The version behind an upstream address (`ip:port`) at a time (seconds), or null when unknown. */
export type VersionOf = (upstream: string, timeSec: number) => number | null;

/** nginx's $request_id: also the name of the stored answer, so nothing else is ever opened. */
const REQUEST_ID = /^[0-9a-f]{32}$/;

function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The stored answer of a captured request; null when nginx stored none (not a 200). */
function readAnswer(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** A file is known by its inode and birth time, which stay the same when the proxy renames it to rotate. */
function fileKey(st: Stats): string {
  return `${st.ino}-${Math.round(st.birthtimeMs)}`;
}

/** The capture logs in a folder, oldest first: NAME.N … NAME.1, NAME (default capture.jsonl). */
export function captureLogFiles(logDir: string, name = 'capture.jsonl'): Array<{ path: string; key: string; size: number }> {
  let names: string[];
  try {
    names = readdirSync(logDir);
  } catch {
    return [];
  }
  const rank = (n: string) => (n === name ? 0 : Number(n.slice(name.length + 1)));
  return names
    .filter((n) => n === name || (n.startsWith(`${name}.`) && /^[1-9]\d*$/.test(n.slice(name.length + 1))))
    .sort((a, b) => rank(b) - rank(a))
    .flatMap((n) => {
      try {
        const st = statSync(join(logDir, n));
        return [{ path: join(logDir, n), key: fileKey(st), size: st.size }];
      } catch {
        return [];
      }
    });
}
