import type Database from 'better-sqlite3';
import { notFound } from '../errors.ts';
import type { Slot } from './nginx-config.ts';

export type Strategy = 'blue-green' | 'canary';

export interface DeploymentRecord {
  name: string;
  model: string;
  port: number;
  network: string;
  proxyContainer: string;
  strategy: Strategy;
  generation: number;
  slots: Slot[];
  createdTime: number;
  updatedTime: number;
}

export interface HistoryEntry {
  id: number;
  deployment: string;
  time: number;
  actor: string;
  action: string;
  model: string | null;
  version: number | null;
  alias: string | null;
  strategy: string | null;
  outcome: string;
  detail: Record<string, unknown>;
}

interface Row {
  name: string;
  model: string;
  port: number;
  network: string;
  proxy_container: string;
  strategy: Strategy;
  generation: number;
  slots: string;
  created_time: number;
  updated_time: number;
}

const toRecord = (r: Row): DeploymentRecord => ({
  name: r.name,
  model: r.model,
  port: r.port,
  network: r.network,
  proxyContainer: r.proxy_container,
  strategy: r.strategy,
  generation: r.generation,
  slots: JSON.parse(r.slots) as Slot[],
  createdTime: r.created_time,
  updatedTime: r.updated_time,
});

/** The deployments table: what is deployed where, so any process (CLI, extension) finds it again. */
export class DeploymentRecords {
  private readonly db: Database.Database;
  constructor(db: Database.Database) {
    this.db = db;
  }

  find(name: string): DeploymentRecord | undefined {
    const r = this.db.prepare('SELECT * FROM deployments WHERE name = ?').get(name) as Row | undefined;
    return r ? toRecord(r) : undefined;
  }

  get(name: string): DeploymentRecord {
    const r = this.find(name);
    if (!r) throw notFound(`No deployment named '${name}'; list them with loopline deployments.`);
    return r;
  }

  list(): DeploymentRecord[] {
    return (this.db.prepare('SELECT * FROM deployments ORDER BY name').all() as Row[]).map(toRecord);
  }

  save(d: DeploymentRecord): void {
    this.db
      .prepare(
        `INSERT INTO deployments (name, model, port, network, proxy_container, strategy, generation, slots, created_time, updated_time)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET model = excluded.model, port = excluded.port, network = excluded.network, proxy_container = excluded.proxy_container,
           strategy = excluded.strategy, generation = excluded.generation, slots = excluded.slots, updated_time = excluded.updated_time`,
      )
      .run(d.name, d.model, d.port, d.network, d.proxyContainer, d.strategy, d.generation, JSON.stringify(d.slots), d.createdTime, d.updatedTime);
  }

  remove(name: string): void {
    this.db.prepare('DELETE FROM deployments WHERE name = ?').run(name);
  }

  /** Versions of `model` that any deployment serves or keeps warm (the registry refuses to archive them). */
  deployedVersions(model: string): number[] {
    const versions = new Set<number>();
    for (const d of this.list()) if (d.model === model) for (const s of d.slots) versions.add(s.version);
    return [...versions].sort((a, b) => a - b);
  }

  addHistory(e: Omit<HistoryEntry, 'id'>): void {
    this.db
      .prepare('INSERT INTO deployment_history (deployment, time, actor, action, model, version, alias, strategy, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(e.deployment, e.time, e.actor, e.action, e.model, e.version, e.alias, e.strategy, e.outcome, JSON.stringify(e.detail));
  }

  history(name: string): HistoryEntry[] {
    const rows = this.db.prepare('SELECT * FROM deployment_history WHERE deployment = ? ORDER BY id').all(name) as Array<Omit<HistoryEntry, 'detail'> & { detail: string }>;
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }
}
