import { createHash, randomUUID } from 'node:crypto';
import { closeSync, copyFileSync, openSync, readSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { ensureParentDir, resolveArtifactPath, safeRelative } from '../store/artifact-files.ts';
import { MetricWriter, type SeriesPoints } from '../store/metric-writer.ts';
import type { RunStore } from '../store/run-store.ts';
import type { KeyValue } from '../store/types.ts';
import type { ArtifactSources } from './artifact-sources.ts';
import { IMPORT_TAGS, type ImportFormat, type RunStub, type SourceExperiment, type SourceRun } from './import-types.ts';

const BATCH_POINTS = 250_000;
const BATCH_MS = 250;

export interface WrittenRun {
  runId: string;
  created: boolean;
  params: number;
  tags: number;
  pointsAdded: number;
  artifactsCopied: number;
  /** Artifact files not copied, with why; the rest of the run is written. */
  artifactsSkipped: Array<{ file: string; kind: 'outside' | 'unreadable'; reason: string }>;
  /** Params the source now gives another value than the store holds (kept as stored). */
  paramConflicts: string[];
}

/**
 * Writes imported runs: one IMMEDIATE transaction per run (so a run appears whole or not at all),
 * and finds runs of an earlier import of the same source through their import tags, so a
 * re-import adds only what is new.
 */
export class ImportWriter {
  private readonly db: Database.Database;
  private readonly metrics: MetricWriter;
  /** source id -> run uuid of runs imported from this source before. */
  private readonly existing = new Map<string, string>();
  private readonly st: ReturnType<typeof prepareStatements>;
  private pendingPoints = 0;
  private batchStart = 0;
  private beginBatch: (() => void) | undefined;
  private readonly store: RunStore;
  private readonly format: ImportFormat;
  private readonly source: string;

  private readonly sources: ArtifactSources;

  constructor(store: RunStore, format: ImportFormat, source: string, sources: ArtifactSources) {
    this.store = store;
    this.sources = sources;
    this.format = format;
    this.source = source;
    this.db = store.db;
    this.metrics = new MetricWriter(this.db);
    const rows = this.db
      .prepare(
        `SELECT r.uuid AS uuid, s.value AS sourceId FROM tags s
           JOIN tags src ON src.run = s.run AND src.key = ? AND src.value = ?
           JOIN tags f ON f.run = s.run AND f.key = ? AND f.value = ?
           JOIN runs r ON r.pk = s.run
         WHERE s.key = ?`,
      )
      .all(IMPORT_TAGS.source, source, IMPORT_TAGS.format, format, IMPORT_TAGS.sourceId) as Array<{ uuid: string; sourceId: string }>;
    for (const r of rows) this.existing.set(r.sourceId, r.uuid);
    this.st = prepareStatements(this.db);
  }

  /** Whether a run of this source was imported before (for dry runs). */
  knows(sourceId: string): boolean {
    return this.existing.has(sourceId);
  }

  /** A run whose points are being written while it is still read (see `spill`), inside savepoint `import_run`. */
  private open: { sourceId: string; pk: number; uuid: string; created: boolean; pointsAdded: number } | undefined;

  /**
   * Writes a full chunk of a run still being read: the run's row is found or created (its
   * details are filled in by `write` once read) inside a savepoint that `write` releases, so
   * the run still appears whole or not at all.
   */
  spill(stub: RunStub, key: string, points: SeriesPoints): void {
    if (this.open?.sourceId !== stub.sourceId) {
      this.abandonOpenRun();
      if (this.beginBatch) this.beginBatch();
      else if (!this.db.inTransaction) this.db.exec('BEGIN IMMEDIATE');
      this.db.exec('SAVEPOINT import_run');
      const placeholder: SourceRun = { ...stub, status: 'RUNNING', startTime: Date.now(), endTime: null, lifecycleStage: 'active', userId: '', params: [], tags: [], points: undefined as never, artifacts: [] };
      const row = this.findOrCreateRun(placeholder, this.experimentId(stub.experiment));
      this.open = { sourceId: stub.sourceId, ...row, pointsAdded: 0 };
    }
    this.open.pointsAdded += this.metrics.insertSeries(this.open.pk, [{ key, points }]);
  }

  /** Drops what `spill` wrote of a run that was never read in full (cancelled, or the reader gave up on it). */
  abandonOpenRun(): void {
    if (!this.open) return;
    this.open = undefined;
    if (this.db.inTransaction) {
      this.db.exec('ROLLBACK TO import_run');
      this.db.exec('RELEASE import_run');
    }
  }

  private findOrCreateRun(run: SourceRun, experimentId: number): { pk: number; uuid: string; created: boolean } {
    let pk: number | undefined;
    let uuid = this.existing.get(run.sourceId);
    if (uuid !== undefined) pk = (this.st.runByUuid.get(uuid) as { pk: number } | undefined)?.pk;
    if (pk === undefined && run.preferredId) {
      // The same run imported from another copy of the source (a moved folder) keeps its id.
      const other = this.st.runByUuid.get(run.preferredId) as { pk: number } | undefined;
      const otherSource = other && (this.st.tagOf.get(other.pk, IMPORT_TAGS.sourceId) as { value: string } | undefined)?.value;
      if (other && otherSource === run.sourceId) (pk = other.pk), (uuid = run.preferredId);
    }
    if (pk !== undefined) return { pk, uuid: uuid!, created: false };
    uuid = run.preferredId && /^[0-9a-f]{32}$/.test(run.preferredId) && !this.st.runByUuid.get(run.preferredId) ? run.preferredId : newRunId();
    const deletedTime = run.lifecycleStage === 'deleted' ? (run.endTime ?? run.startTime) : null;
    const info = this.st.insertRun.run(uuid, experimentId, run.name, run.status, run.startTime, run.endTime, run.lifecycleStage, deletedTime, run.userId);
    return { pk: Number(info.lastInsertRowid), uuid, created: true };
  }

  write(run: SourceRun): WrittenRun {
    const out: WrittenRun = { runId: '', created: false, params: 0, tags: 0, pointsAdded: 0, artifactsCopied: 0, artifactsSkipped: [], paramConflicts: [] };
    const open = this.open?.sourceId === run.sourceId ? this.open : undefined;
    if (!open) {
      this.abandonOpenRun();
      this.beginBatch?.();
    }
    const body = () => {
      const experimentId = this.experimentId(run.experiment);
      let pk: number;
      let uuid: string;
      if (open) {
        ({ pk, uuid, created: out.created } = open);
        const deletedTime = run.lifecycleStage === 'deleted' ? (run.endTime ?? run.startTime) : null;
        if (open.created) this.st.fillRun.run(run.name, run.status, run.startTime, run.endTime, run.lifecycleStage, deletedTime, run.userId, pk);
        else this.st.updateRun.run(run.status, run.endTime, pk);
      } else {
        ({ pk, uuid, created: out.created } = this.findOrCreateRun(run, experimentId));
        if (!out.created) this.st.updateRun.run(run.status, run.endTime, pk);
      }
      out.runId = uuid;
      for (const p of run.params) {
        const prev = this.st.paramOf.get(pk, p.key) as { value: string } | undefined;
        if (!prev) {
          this.st.insertParam.run(pk, p.key, p.value);
          out.params++;
        } else if (prev.value !== p.value) out.paramConflicts.push(p.key);
      }
      const tags: KeyValue[] = [
        ...run.tags.filter((t) => t.key !== 'mlflow.runName'),
        { key: 'mlflow.runName', value: run.name },
        { key: IMPORT_TAGS.format, value: this.format },
        { key: IMPORT_TAGS.source, value: this.source },
        { key: IMPORT_TAGS.sourceId, value: run.sourceId },
      ];
      for (const t of tags) {
        if (out.created || (this.st.tagOf.get(pk, t.key) as { value: string } | undefined)?.value !== t.value) {
          this.st.putTag.run(pk, t.key, t.value);
          out.tags++;
        }
      }
      out.pointsAdded = (open?.pointsAdded ?? 0) + this.metrics.insertSeries(pk, run.points.series());
      for (const a of run.artifacts) {
        const r = this.copyArtifact(pk, uuid, a.path, a.file);
        if (r === 'copied') out.artifactsCopied++;
        else if (r !== 'unchanged') out.artifactsSkipped.push({ file: a.file, ...r });
      }
    };
    if (open) {
      // Inside the savepoint `spill` opened: release it with the rest of the run, or drop it all.
      this.open = undefined;
      try {
        body();
        this.db.exec('RELEASE import_run');
      } catch (err) {
        if (this.db.inTransaction) {
          this.db.exec('ROLLBACK TO import_run');
          this.db.exec('RELEASE import_run');
        }
        throw err;
      }
    } else {
      // A savepoint inside the batch transaction (see `batch`), or a transaction of its own.
      this.db.transaction(body)();
    }
    this.existing.set(run.sourceId, out.runId);
    this.pendingPoints += run.points.length + 100;
    if (this.db.inTransaction && (this.pendingPoints >= BATCH_POINTS || performance.now() - this.batchStart >= BATCH_MS)) {
      this.db.exec('COMMIT');
      this.pendingPoints = 0;
    }
    return out;
  }

  /**
   * Runs `fn` (which calls `write` per run) with runs grouped into IMMEDIATE transactions of about
   * BATCH_POINTS points or BATCH_MS: commits per small run would dominate an import of thousands
   * of runs. Each run is still a savepoint of its own, so a failing run leaves no trace, and the
   * lock is released often enough that a live training run logging meanwhile only waits briefly.
   */
  batch<T>(fn: () => T): T {
    const begin = () => {
      if (!this.db.inTransaction) {
        this.db.exec('BEGIN IMMEDIATE');
        this.batchStart = performance.now();
      }
    };
    this.beginBatch = begin;
    try {
      const result = fn();
      this.abandonOpenRun();
      if (this.db.inTransaction) this.db.exec('COMMIT');
      return result;
    } catch (err) {
      this.open = undefined;
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    } finally {
      this.beginBatch = undefined;
      this.pendingPoints = 0;
    }
  }

  ensureExperiment(e: SourceExperiment): void {
    this.db.transaction(() => this.experimentId(e)).immediate();
  }

  private experimentId(e: SourceExperiment): number {
    const row = this.st.experimentByName.get(e.name) as { id: number } | undefined;
    if (row) return row.id;
    const t = Date.now();
    return Number(this.st.insertExperiment.run(e.name, '', e.deleted ? 'deleted' : 'active', t, t).lastInsertRowid);
  }

  /**
   * Copies one artifact unless the same bytes are already recorded. A file that leads outside the
   * import's folders is refused; one that cannot be read is reported; neither stops the run.
   */
  private copyArtifact(pk: number, uuid: string, rel: string, file: string): 'copied' | 'unchanged' | { kind: 'outside' | 'unreadable'; reason: string } {
    const check = this.sources.check(file);
    if (!check.ok) return { kind: check.kind, reason: check.reason };
    try {
      const clean = safeRelative(rel);
      const { size, sha256 } = hashFile(check.real);
      const prev = this.st.artifactOf.get(pk, clean) as { size: number; sha256: string } | undefined;
      if (prev && prev.sha256 === sha256) return 'unchanged';
      const dest = resolveArtifactPath(this.store.artifactsRoot, uuid, clean);
      ensureParentDir(dest);
      copyFileSync(check.real, dest);
      this.st.putArtifact.run(pk, clean, size, sha256);
      return 'copied';
    } catch (err) {
      if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('SQLITE')) throw err;
      return { kind: 'unreadable', reason: `could not be copied: ${(err as Error).message}` };
    }
  }
}

function newRunId(): string {
  return randomUUID().replace(/-/g, '');
}

/** Streams the file: artifacts such as model files can be large. */
function hashFile(file: string): { size: number; sha256: string } {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, 'r');
  let size = 0;
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; size += n) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return { size, sha256: hash.digest('hex') };
}

function prepareStatements(db: Database.Database) {
  return {
    runByUuid: db.prepare('SELECT pk FROM runs WHERE uuid = ?'),
    tagOf: db.prepare('SELECT value FROM tags WHERE run = ? AND key = ?'),
    insertRun: db.prepare(
      `INSERT INTO runs (uuid, experiment_id, name, status, start_time, end_time, lifecycle_stage, deleted_time, user_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateRun: db.prepare('UPDATE runs SET status = ?, end_time = ? WHERE pk = ?'),
    fillRun: db.prepare('UPDATE runs SET name = ?, status = ?, start_time = ?, end_time = ?, lifecycle_stage = ?, deleted_time = ?, user_id = ? WHERE pk = ?'),
    paramOf: db.prepare('SELECT value FROM params WHERE run = ? AND key = ?'),
    insertParam: db.prepare('INSERT INTO params (run, key, value) VALUES (?, ?, ?)'),
    putTag: db.prepare('INSERT OR REPLACE INTO tags (run, key, value) VALUES (?, ?, ?)'),
    artifactOf: db.prepare('SELECT size, sha256 FROM artifacts WHERE run = ? AND path = ?'),
    putArtifact: db.prepare('INSERT OR REPLACE INTO artifacts (run, path, size, sha256) VALUES (?, ?, ?, ?)'),
    experimentByName: db.prepare('SELECT id FROM experiments WHERE name = ?'),
    insertExperiment: db.prepare(
      'INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?)',
    ),
  };
}
