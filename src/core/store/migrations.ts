import type Database from 'better-sqlite3';
import { backfillTiles, TILES_TABLE_SQL } from './series-tiles.ts';
import { REGISTRY_SCHEMA_SQL, REGISTRY_SCHEMA_VERSION } from '../registry/registry-schema.ts';
import { DEPLOY_SCHEMA_SQL, DEPLOY_SCHEMA_VERSION } from '../deploy/deploy-schema.ts';
import { CAPTURE_ROTATION_SCHEMA_SQL, CAPTURE_ROTATION_SCHEMA_VERSION, CAPTURE_SCHEMA_SQL, CAPTURE_SCHEMA_VERSION } from '../capture/capture-schema.ts';
import { DRIFT_HISTORY_SCHEMA_SQL, DRIFT_HISTORY_SCHEMA_VERSION } from '../capture/drift-history-schema.ts';
import { SWEEP_TABLES_SQL } from '../sweeps/sweep-tables.ts';
import { METRIC_BLOCKS_SQL, METRIC_BLOCKS_VERSION } from './metric-blocks.ts';
import { RUN_VERSIONS_SQL, RUN_VERSIONS_VERSION } from './run-versions.ts';

/**
 * Numbered schema migrations, applied in order at open inside one transaction each.
 * Never edit a released migration; add the next number instead.
 *
 * Runs have an integer `pk` used by the hot tables (metrics, series) so their rows and
 * indexes stay small; the 32-hex `uuid` is the id users and MLflow clients see.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; sql: string; run?: (db: Database.Database) => void }> = [
  {
    version: 1,
    sql: `
CREATE TABLE experiments (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  artifact_location TEXT NOT NULL DEFAULT '',
  lifecycle_stage TEXT NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active','deleted')),
  creation_time INTEGER NOT NULL,
  last_update_time INTEGER NOT NULL
);
CREATE TABLE experiment_tags (
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (experiment_id, key)
) WITHOUT ROWID;
CREATE TABLE runs (
  pk INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('RUNNING','SCHEDULED','FINISHED','FAILED','KILLED')),
  start_time INTEGER NOT NULL,
  end_time INTEGER,
  lifecycle_stage TEXT NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active','deleted')),
  deleted_time INTEGER,
  user_id TEXT NOT NULL DEFAULT '',
  command TEXT,
  source_file TEXT,
  git_is_repo INTEGER,
  git_commit TEXT,
  git_branch TEXT,
  git_dirty INTEGER,
  git_patch TEXT,
  git_patch_truncated INTEGER,
  exit_code INTEGER,
  backend TEXT
);
CREATE INDEX runs_by_experiment ON runs(experiment_id, lifecycle_stage, start_time);
CREATE TABLE params (
  run INTEGER NOT NULL REFERENCES runs(pk),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run, key)
) WITHOUT ROWID;
CREATE TABLE tags (
  run INTEGER NOT NULL REFERENCES runs(pk),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run, key)
) WITHOUT ROWID;
-- One row per (run, metric key): the summary, kept current at insert time.
CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  run INTEGER NOT NULL REFERENCES runs(pk),
  key TEXT NOT NULL,
  last_value REAL,
  last_is_nan INTEGER NOT NULL DEFAULT 0,
  last_step INTEGER,
  last_timestamp INTEGER,
  min_value REAL,
  min_step INTEGER,
  max_value REAL,
  max_step INTEGER,
  count INTEGER NOT NULL DEFAULT 0,
  UNIQUE (run, key)
);
CREATE INDEX series_by_key ON series(key, last_value);
-- Points clustered by (series, step): a chart's range query is one sequential scan.
-- NaN cannot be stored in SQLite REAL, so it is value 0 with is_nan 1 (as MLflow's SQL store does).
CREATE TABLE metrics (
  series INTEGER NOT NULL,
  step INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  value REAL NOT NULL,
  is_nan INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (series, step, timestamp, value, is_nan)
) WITHOUT ROWID;
CREATE TABLE artifacts (
  run INTEGER NOT NULL REFERENCES runs(pk),
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  PRIMARY KEY (run, path)
) WITHOUT ROWID;
`,
  },
  {
    // Pre-aggregated tiles for fast, exact chart downsampling (see series-tiles.ts).
    version: 2,
    sql: TILES_TABLE_SQL,
    run: backfillTiles,
  },
  // Sweeps' persistent run queue (see sweeps/sweep-tables.ts).
  { version: 5, sql: SWEEP_TABLES_SQL },
  // Model registry and audit log (src/core/registry).
  { version: REGISTRY_SCHEMA_VERSION, sql: REGISTRY_SCHEMA_SQL },
  // Deployments and their history (src/core/deploy).
  { version: DEPLOY_SCHEMA_VERSION, sql: DEPLOY_SCHEMA_SQL },
  { version: CAPTURE_SCHEMA_VERSION, sql: CAPTURE_SCHEMA_SQL },
  // Drift history, episodes and retrains of deployments (src/core/capture).
  { version: DRIFT_HISTORY_SCHEMA_VERSION, sql: DRIFT_HISTORY_SCHEMA_SQL },
  // Capture logs rotate: a read position per file (src/core/capture).
  { version: CAPTURE_ROTATION_SCHEMA_VERSION, sql: CAPTURE_ROTATION_SCHEMA_SQL },
  // Metric points of bulk loads stored in blocks (see metric-blocks.ts).
  { version: METRIC_BLOCKS_VERSION, sql: METRIC_BLOCKS_SQL },
  {
    // Runs in the order every list shows them (newest first, then by id) straight from the index:
    // the old index left the id tie-break to a sort of the whole experiment (0.3 s at 100,000 runs).
    version: 16,
    sql: `
CREATE INDEX runs_by_experiment_order ON runs(experiment_id, lifecycle_stage, start_time DESC, uuid);
DROP INDEX runs_by_experiment;
`,
  },
  // A version per run row, moved by triggers: the table's columnar copy re-reads only changed runs.
  { version: RUN_VERSIONS_VERSION, sql: RUN_VERSIONS_SQL },
  // The running and scheduled runs, for the Runs view (RunStore.activeRuns): an index of only those.
  { version: 18, sql: `CREATE INDEX runs_active ON runs(start_time) WHERE status IN ('RUNNING', 'SCHEDULED');` },
];

export function migrate(db: Database.Database, now: () => number): void {
  // One IMMEDIATE transaction: two processes opening a new store at once must not both migrate.
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const applied = new Set(db.prepare('SELECT version FROM schema_version').pluck().all() as number[]);
    const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
    // Versions are handed out to features ahead of time and land in any order, so a newer build can
    // have added a version below this build's highest one: any version this build does not know
    // means tables it would not keep right.
    const known = new Set(MIGRATIONS.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v)).sort((a, b) => a - b);
    if (unknown.length > 0) {
      throw new Error(
        `This store was written by a newer Loopline (schema ${unknown.join(', ')}; this build knows up to ${latest}). Upgrade Loopline to open it.`,
      );
    }
    // Apply every version this store lacks, not only those above its highest.
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      db.exec(m.sql);
      m.run?.(db);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
    }
    // Experiment 0 "Default" always exists, as in MLflow.
    const t = now();
    db.prepare(
      `INSERT OR IGNORE INTO experiments (id, name, artifact_location, creation_time, last_update_time)
       VALUES (0, 'Default', '', ?, ?)`,
    ).run(t, t);
  }).immediate();
}
