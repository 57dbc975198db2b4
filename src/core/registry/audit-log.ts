import type Database from 'better-sqlite3';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';

export type AuditOutcome = 'ok' | 'refused' | 'failed' | `automatic rollback: ${string}`;

export interface AuditEntry {
  id: number;
  time: number;
  actor: string;
  action: string;
  model: string | null;
  version: number | null;
  deployment: string | null;
  commit: string | null;
  outcome: AuditOutcome;
  detail: Record<string, unknown>;
}

export type NewAuditEntry = Pick<AuditEntry, 'action' | 'outcome'> & Partial<Pick<AuditEntry, 'model' | 'version' | 'deployment' | 'detail'>>;

interface AuditRow {
  id: number;
  time: number;
  actor: string;
  action: string;
  model: string | null;
  version: number | null;
  deployment: string | null;
  git_commit: string | null;
  outcome: AuditOutcome;
  detail: string;
}

/**
 * Append-only record of every registry and deployment action (governance). The table's triggers
 * refuse UPDATE and DELETE, so not even a bug here can rewrite history.
 */
export class AuditLog {
  private readonly db: Database.Database;
  private readonly who: () => string;
  private readonly commit: () => string | null;
  private readonly now: () => number;

  constructor(db: Database.Database, ctx: { actor: () => string; commit: () => string | null; now: () => number }) {
    this.db = db;
    this.who = ctx.actor;
    this.commit = ctx.commit;
    this.now = ctx.now;
  }

  append(e: NewAuditEntry): AuditEntry {
    const time = this.now();
    const actor = this.who();
    const commit = this.commit();
    const detail = e.detail ?? {};
    const info = this.db
      .prepare('INSERT INTO audit_log (time, actor, action, model, version, deployment, git_commit, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(time, actor, e.action, e.model ?? null, e.version ?? null, e.deployment ?? null, commit, e.outcome, JSON.stringify(detail));
    return { id: Number(info.lastInsertRowid), time, actor, action: e.action, model: e.model ?? null, version: e.version ?? null, deployment: e.deployment ?? null, commit, outcome: e.outcome, detail };
  }

  /** Oldest first; `afterId` pages through long logs. */
  list(opts: { limit?: number; afterId?: number; model?: string; deployment?: string } = {}): AuditEntry[] {
    const where: string[] = ['id > ?'];
    const args: unknown[] = [opts.afterId ?? 0];
    if (opts.model !== undefined) where.push('model = ?'), args.push(opts.model);
    if (opts.deployment !== undefined) where.push('deployment = ?'), args.push(opts.deployment);
    const rows = this.db.prepare(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`).all(...args, opts.limit ?? -1) as AuditRow[];
    return rows.map(toEntry);
  }

  /** JSON Lines, one entry per line, streamed in pages so a long log never sits in memory at once. */
  async exportJsonl(file: string): Promise<number> {
    const out = createWriteStream(file);
    let after = 0;
    let count = 0;
    for (;;) {
      const page = this.list({ afterId: after, limit: 1000 });
      if (page.length === 0) break;
      const text = page.map((e) => JSON.stringify(e)).join('\n') + '\n';
      if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
      count += page.length;
      after = page[page.length - 1]!.id;
    }
    out.end();
    await finished(out);
    return count;
  }
}

function toEntry(r: AuditRow): AuditEntry {
  let detail: Record<string, unknown> = {};
  try {
    detail = JSON.parse(r.detail) as Record<string, unknown>;
  } catch {
    // kept as empty: the row itself is never rewritten
  }
  return { id: r.id, time: r.time, actor: r.actor, action: r.action, model: r.model, version: r.version, deployment: r.deployment, commit: r.git_commit, outcome: r.outcome, detail };
}
