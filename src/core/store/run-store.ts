import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { LooplineError, invalid, notFound } from '../errors.ts';
import { migrate } from './migrations.ts';
import { compileSearch, encodePageToken, mlflowLike, MAX_RESULTS_LIMIT, nonNumericParamSql, paramNumber, type CompiledSearch } from './run-search.ts';
import { generateRunName } from './run-names.ts';
import { MetricWriter, type HistoryQuery, type SeriesRow } from './metric-writer.ts';
import { checkBatchSize, checkKey, checkName, checkParam, checkTag } from './validation.ts';
import type {
  Experiment,
  GitSnapshot,
  KeyValue,
  LifecycleStage,
  LogBatch,
  MetricPoint,
  MetricSummary,
  NewRun,
  Run,
  RunInfo,
  RunStatus,
  RunUpdate,
  SearchRunsPage,
  SearchRunsQuery,
  ViewType,
} from './types.ts';
import { RUN_STATUSES } from './types.ts';

export interface RunStoreOptions {
  /** Folder for run artifacts; default `artifacts/` beside the database file. */
  artifactsRoot?: string;
  /** How long a writer waits for another process's transaction, ms. */
  busyTimeoutMs?: number;
  readonly?: boolean;
  now?: () => number;
}

interface RunRow {
  pk: number;
  uuid: string;
  experiment_id: number;
  name: string;
  status: RunStatus;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: LifecycleStage;
  user_id: string;
  command: string | null;
  source_file: string | null;
  git_is_repo: number | null;
  git_commit: string | null;
  git_branch: string | null;
  git_dirty: number | null;
  git_patch: string | null;
  git_patch_truncated: number | null;
  exit_code: number | null;
  backend: string | null;
}

interface ExperimentRow {
  id: number;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  creation_time: number;
  last_update_time: number;
}

const RUN_COLUMNS = `pk, uuid, experiment_id, name, status, start_time, end_time, lifecycle_stage, user_id, command,
  source_file, git_is_repo, git_commit, git_branch, git_dirty, git_patch, git_patch_truncated, exit_code, backend`;

/**
 * The experiment store: one SQLite file per workspace, WAL mode, safe for several processes
 * writing at once (short IMMEDIATE transactions plus busy_timeout).
 */
/**
 * Creates the store's folder; a new `.loopline` folder gets its own `.gitignore` (`*`), as Python's
 * venv does, so nobody commits a database by accident. A folder that exists is left as it is.
 */
function createStoreFolder(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true });
  if (dir.endsWith('.loopline')) {
    try {
      writeFileSync(join(dir, '.gitignore'), '# Created by Loopline: the store is local to this machine.\n*\n', { flag: 'wx' });
    } catch {
      // written meanwhile by another process
    }
  }
}

export class RunStore {
  readonly path: string;
  readonly artifactsRoot: string;
  readonly db: Database.Database;
  private readonly now: () => number;
  private readonly metrics: MetricWriter;
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(path: string, db: Database.Database, opts: RunStoreOptions) {
    this.path = path;
    this.db = db;
    this.now = opts.now ?? Date.now;
    this.artifactsRoot = opts.artifactsRoot ?? join(dirname(path), 'artifacts');
    this.metrics = new MetricWriter(db);
  }

  static open(path: string, opts: RunStoreOptions = {}): RunStore {
    if (!opts.readonly) createStoreFolder(dirname(path));
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { timeout: opts.busyTimeoutMs ?? 10_000, readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
      if (!opts.readonly) db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a committed transaction survives a process crash (not a power cut).
      db.pragma('synchronous = NORMAL');
      // Checkpoint the WAL less often: the automatic checkpoint runs inside whichever write
      // happens to commit, so a bigger interval keeps it off most logging requests.
      if (!opts.readonly) db.pragma('wal_autocheckpoint = 10000');
      db.function('mlflow_like', { deterministic: true }, mlflowLike);
      db.function('loopline_number', { deterministic: true }, paramNumber);
      if (!opts.readonly) migrate(db, opts.now ?? Date.now);
      return new RunStore(path, db, opts);
    } catch (err) {
      db?.close();
      throw explainOpenError(path, err);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Changes when another connection commits; cheap enough to poll for live refresh. */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string;
  }

  // ---- experiments ------------------------------------------------------------------------

  createExperiment(name: string, opts: { artifactLocation?: string; tags?: KeyValue[] } = {}): Experiment {
    checkName('Experiment', name);
    for (const t of opts.tags ?? []) checkTag(t);
    const id = this.db
      .transaction(() => {
        const existing = this.db.prepare('SELECT id, lifecycle_stage FROM experiments WHERE name = ?').get(name) as
          | { id: number; lifecycle_stage: string }
          | undefined;
        if (existing) {
          throw new LooplineError(
            'RESOURCE_ALREADY_EXISTS',
            existing.lifecycle_stage === 'deleted'
              ? `Experiment '${name}' already exists in deleted state (id ${existing.id}). Restore it, or pick another name.`
              : `Experiment '${name}' already exists (id ${existing.id}).`,
          );
        }
        const t = this.now();
        const info = this.db
          .prepare('INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES (?, ?, ?, ?)')
          .run(name, opts.artifactLocation ?? '', t, t);
        const newId = Number(info.lastInsertRowid);
        for (const tag of opts.tags ?? []) this.putExperimentTag(newId, tag);
        return newId;
      })
      .immediate();
    return this.getExperiment(String(id));
  }

  getExperiment(id: string): Experiment {
    const row = this.db.prepare('SELECT * FROM experiments WHERE id = ?').get(parseExperimentId(id)) as ExperimentRow | undefined;
    if (!row) throw notFound(`No experiment with id '${id}'. List them with \`loopline experiments\`.`);
    return this.toExperiment(row);
  }

  findExperimentByName(name: string): Experiment | undefined {
    const row = this.db.prepare('SELECT * FROM experiments WHERE name = ?').get(name) as ExperimentRow | undefined;
    return row ? this.toExperiment(row) : undefined;
  }

  getExperimentByName(name: string): Experiment {
    const e = this.findExperimentByName(name);
    if (!e) throw notFound(`No experiment named '${name}'. List them with \`loopline experiments\`.`);
    return e;
  }

  /** The experiment with this name, created if missing (what `loopline run --experiment` wants). */
  ensureExperiment(name: string): Experiment {
    const e = this.findExperimentByName(name);
    if (e) {
      if (e.lifecycleStage === 'deleted') {
        throw new LooplineError('INVALID_STATE', `Experiment '${name}' is deleted. Restore it first or use another name.`);
      }
      return e;
    }
    try {
      return this.createExperiment(name);
    } catch (err) {
      // Another process created it between our read and our write.
      if (err instanceof LooplineError && err.code === 'RESOURCE_ALREADY_EXISTS') return this.getExperimentByName(name);
      throw err;
    }
  }

  listExperiments(view: ViewType = 'ACTIVE_ONLY'): Experiment[] {
    const where = view === 'ALL' ? '' : `WHERE lifecycle_stage = '${view === 'DELETED_ONLY' ? 'deleted' : 'active'}'`;
    const rows = this.db.prepare(`SELECT * FROM experiments ${where} ORDER BY id`).all() as ExperimentRow[];
    return rows.map((r) => this.toExperiment(r));
  }

  renameExperiment(id: string, newName: string): void {
    checkName('Experiment', newName);
    this.db
      .transaction(() => {
        this.getExperiment(id);
        const clash = this.db.prepare('SELECT id FROM experiments WHERE name = ? AND id != ?').get(newName, Number(id));
        if (clash) throw new LooplineError('RESOURCE_ALREADY_EXISTS', `Experiment '${newName}' already exists.`);
        this.db.prepare('UPDATE experiments SET name = ?, last_update_time = ? WHERE id = ?').run(newName, this.now(), Number(id));
      })
      .immediate();
  }

  setExperimentLifecycle(id: string, stage: LifecycleStage): void {
    if (stage === 'deleted' && parseExperimentId(id) === 0) throw invalid('The Default experiment (id 0) cannot be deleted.');
    this.db
      .transaction(() => {
        this.getExperiment(id);
        this.db.prepare('UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE id = ?').run(stage, this.now(), Number(id));
      })
      .immediate();
  }

  setExperimentTag(id: string, tag: KeyValue): void {
    checkTag(tag);
    this.getExperiment(id);
    this.putExperimentTag(Number(id), tag);
  }

  private putExperimentTag(id: number, tag: KeyValue): void {
    this.db.prepare('INSERT OR REPLACE INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)').run(id, tag.key, tag.value);
  }

  private toExperiment(row: ExperimentRow): Experiment {
    const tags = this.db.prepare('SELECT key, value FROM experiment_tags WHERE experiment_id = ?').all(row.id) as KeyValue[];
    return {
      id: String(row.id),
      name: row.name,
      artifactLocation: row.artifact_location || `mlflow-artifacts:/${row.id}`,
      lifecycleStage: row.lifecycle_stage,
      creationTime: row.creation_time,
      lastUpdateTime: row.last_update_time,
      tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
    };
  }

  // ---- runs -------------------------------------------------------------------------------

  createRun(spec: NewRun = {}): Run {
    const experimentId = spec.experimentId ?? '0';
    const exp = this.getExperiment(experimentId);
    if (exp.lifecycleStage !== 'active') {
      throw new LooplineError('INVALID_STATE', `Experiment '${exp.name}' (id ${exp.id}) is deleted; restore it before creating runs in it.`);
    }
    const status = spec.status ?? 'RUNNING';
    if (!RUN_STATUSES.includes(status)) throw invalid(`Unknown run status '${String(status)}'.`);
    for (const t of spec.tags ?? []) checkTag(t);
    for (const p of spec.params ?? []) checkParam(p);
    const id = spec.id ?? randomUUID().replace(/-/g, '');
    if (!/^[0-9a-f]{32}$/.test(id)) throw invalid(`Run id '${id}' is not valid; run ids are 32 lowercase hex characters.`);
    const nameTag = spec.tags?.find((t) => t.key === 'mlflow.runName')?.value;
    const name = checkName('Run', spec.name || nameTag || generateRunName());
    const git = spec.git ?? null;
    this.db
      .transaction(() => {
        const info = this.db
          .prepare(
            `INSERT INTO runs (uuid, experiment_id, name, status, start_time, user_id, command, source_file,
               git_is_repo, git_commit, git_branch, git_dirty, git_patch, git_patch_truncated, backend)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            id,
            Number(exp.id),
            name,
            status,
            spec.startTime ?? this.now(),
            spec.userId ?? currentUser(),
            spec.command ?? null,
            spec.sourceFile ?? null,
            git ? (git.isRepo ? 1 : 0) : null,
            git?.commit ?? null,
            git?.branch ?? null,
            git ? (git.dirty ? 1 : 0) : null,
            git?.patch ?? null,
            git?.patchTruncated ? 1 : 0,
            spec.backend ?? null,
          );
        const pk = Number(info.lastInsertRowid);
        const tags = (spec.tags ?? []).filter((t) => t.key !== 'mlflow.runName');
        tags.push({ key: 'mlflow.runName', value: name });
        for (const t of tags) this.putTag(pk, t);
        for (const p of spec.params ?? []) this.putParam(pk, id, p);
      })
      .immediate();
    return this.getRun(id);
  }

  getRun(id: string): Run {
    const row = this.runRow(id);
    return this.hydrate([row])[0]!;
  }

  /** These runs, in this order (ids that are not in the store are left out): one page of search results. */
  getRuns(ids: readonly string[]): Run[] {
    if (ids.length === 0) return [];
    const rows = this.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE uuid IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as RunRow[];
    const byId = new Map(rows.map((r) => [r.uuid, r]));
    return this.hydrate(ids.map((id) => byId.get(id)).filter((r): r is RunRow => r !== undefined));
  }

  /** Run ids may be abbreviated (like git hashes) when the prefix is unambiguous. */
  resolveRunId(idOrPrefix: string): string {
    if (/^[0-9a-f]{32}$/.test(idOrPrefix)) return idOrPrefix;
    if (!/^[0-9a-f]{4,31}$/.test(idOrPrefix)) throw invalid(`'${idOrPrefix}' is not a run id (32 hex characters, or a unique prefix of at least 4).`);
    const rows = this.db.prepare('SELECT uuid FROM runs WHERE uuid >= ? AND uuid < ? LIMIT 2').all(idOrPrefix, idOrPrefix + 'g') as { uuid: string }[];
    if (rows.length === 0) throw notFound(`No run id starts with '${idOrPrefix}'.`);
    if (rows.length > 1) throw invalid(`Run id prefix '${idOrPrefix}' is ambiguous; give more characters.`);
    return rows[0]!.uuid;
  }

  updateRun(id: string, update: RunUpdate): RunInfo {
    if (update.status !== undefined && !RUN_STATUSES.includes(update.status)) {
      throw invalid(`Unknown run status '${String(update.status)}'; use one of ${RUN_STATUSES.join(', ')}.`);
    }
    if (update.name !== undefined) checkName('Run', update.name, { required: false });
    this.db
      .transaction(() => {
        const row = this.runRow(id);
        const sets: string[] = [];
        const args: unknown[] = [];
        if (update.status !== undefined) sets.push('status = ?'), args.push(update.status);
        if (update.startTime !== undefined) sets.push('start_time = ?'), args.push(update.startTime);
        if (update.endTime !== undefined) sets.push('end_time = ?'), args.push(update.endTime);
        if (update.exitCode !== undefined) sets.push('exit_code = ?'), args.push(update.exitCode);
        if (update.name !== undefined && update.name !== '') {
          sets.push('name = ?');
          args.push(update.name);
          this.putTag(row.pk, { key: 'mlflow.runName', value: update.name });
        }
        if (sets.length) this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE pk = ?`).run(...args, row.pk);
      })
      .immediate();
    return this.getRun(id).info;
  }

  /** Records the code snapshot of a run created before its snapshot was ready (container runs take it while the container starts). */
  setRunGit(id: string, git: GitSnapshot): void {
    const info = this.db
      .prepare('UPDATE runs SET git_is_repo = ?, git_commit = ?, git_branch = ?, git_dirty = ?, git_patch = ?, git_patch_truncated = ? WHERE uuid = ?')
      .run(git.isRepo ? 1 : 0, git.commit, git.branch, git.dirty ? 1 : 0, git.patch, git.patchTruncated ? 1 : 0, id);
    if (info.changes === 0) throw notFound(`Run '${id}' not found.`);
  }

  setRunLifecycle(id: string, stage: LifecycleStage): void {
    const info = this.db
      .prepare('UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE uuid = ?')
      .run(stage, stage === 'deleted' ? this.now() : null, id);
    if (info.changes === 0) throw notFound(`Run '${id}' not found.`);
  }

  /**
   * Log metrics, params and tags atomically: a bad item anywhere (or a param whose value would
   * change) rejects the whole batch and changes nothing.
   */
  logBatch(id: string, batch: LogBatch, opts: { enforceLimits?: boolean } = {}): void {
    const metrics = batch.metrics ?? [];
    const params = batch.params ?? [];
    const tags = batch.tags ?? [];
    if (opts.enforceLimits ?? true) checkBatchSize(metrics.length, params.length, tags.length);
    for (const p of params) checkParam(p);
    for (const t of tags) {
      checkTag(t);
      if (t.key === 'mlflow.runName') checkName('Run', t.value, { required: false });
    }
    this.metrics.check(metrics);
    const seen = new Map<string, string>();
    for (const p of params) {
      const prev = seen.get(p.key);
      if (prev !== undefined && prev !== p.value) {
        throw invalid(`Duplicate param key '${p.key}' with different values ('${prev}' and '${p.value}') in one batch.`);
      }
      seen.set(p.key, p.value);
    }
    this.metrics.run(() => {
      const row = this.runRow(id);
      if (row.lifecycle_stage !== 'active') {
        throw new LooplineError('INVALID_STATE', `Run '${id}' is deleted; restore it before logging to it.`);
      }
      for (const p of params) this.putParam(row.pk, id, p);
      for (const t of tags) {
        this.putTag(row.pk, t);
        if (t.key === 'mlflow.runName' && t.value) this.db.prepare('UPDATE runs SET name = ? WHERE pk = ?').run(t.value, row.pk);
      }
      this.metrics.insert(row.pk, metrics);
    });
  }

  deleteTag(id: string, key: string): void {
    checkKey('Tag', key);
    const row = this.runRow(id);
    const info = this.db.prepare('DELETE FROM tags WHERE run = ? AND key = ?').run(row.pk, key);
    if (info.changes === 0) throw notFound(`No tag with key '${key}' in run '${id}'.`);
  }

  metricHistory(id: string, key: string, q: HistoryQuery = {}): MetricPoint[] {
    const row = this.runRow(id);
    return this.metrics.history(row.pk, key, q);
  }

  metricSummaries(id: string): MetricSummary[] {
    return this.getRun(id).metrics;
  }

  /**
   * Running and scheduled runs of the active experiments, newest first: what the Runs view reads on
   * every store change while scripts log. Straight from a partial index of those runs (schema 18),
   * not a filtered search over every run of every experiment (12 ms a time at 10,000 runs).
   */
  activeRuns(limit = 500): Run[] {
    const rows = this.stmt(
      // INDEXED BY: left to itself the planner walks the experiments' index, every run of each.
      `SELECT ${RUN_COLUMNS} FROM runs INDEXED BY runs_active WHERE status IN ('RUNNING', 'SCHEDULED') AND lifecycle_stage = 'active'
         AND experiment_id IN (SELECT id FROM experiments WHERE lifecycle_stage = 'active') ORDER BY start_time DESC, uuid LIMIT ?`,
    ).all(limit) as RunRow[];
    return this.hydrate(rows);
  }

  searchRuns(q: SearchRunsQuery): SearchRunsPage {
    const c = this.compileChecked(q);
    const pks = (this.db.prepare(c.sql).all(...c.args) as { pk: number }[]).map((r) => r.pk);
    const hasMore = pks.length > c.limit;
    const page = hasMore ? pks.slice(0, c.limit) : pks;
    const rows = page.length
      ? (this.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE pk IN (SELECT value FROM json_each(?))`).all(JSON.stringify(page)) as RunRow[])
      : [];
    const byPk = new Map(rows.map((r) => [r.pk, r]));
    const ordered = page.map((pk) => byPk.get(pk)).filter((r): r is RunRow => r !== undefined);
    return { runs: this.hydrate(ordered), nextPageToken: hasMore ? encodePageToken(c.offset + c.limit) : null };
  }

  /**
   * Only the ids of matching runs, in order (no params/metrics read): for filters over big
   * experiments. At most `maxResults + 1` ids when given (one more tells a next page exists).
   */
  searchRunIds(q: Omit<SearchRunsQuery, 'pageToken'>): string[] {
    const c = this.compileChecked({ ...q, maxResults: q.maxResults ?? MAX_RESULTS_LIMIT });
    const sql = c.sql.replace('SELECT r.pk AS pk FROM runs r', 'SELECT r.uuid FROM runs r');
    return this.db.prepare(sql).pluck().all(...c.args) as string[];
  }

  /** Pks of every matching run, in order, with no page limit: for filtering a whole table. */
  matchingRunPks(q: Omit<SearchRunsQuery, 'maxResults' | 'pageToken'>): number[] {
    const c = this.compileChecked({ ...q, maxResults: MAX_RESULTS_LIMIT });
    // compileSearch ends with the paging clause and its two arguments; drop both.
    const sql = c.sql.replace(/ LIMIT \? OFFSET \?$/, '');
    return this.db.prepare(sql).pluck().all(...c.args.slice(0, -2)) as number[];
  }

  private compileChecked(q: SearchRunsQuery): CompiledSearch {
    const c = compileSearch(q);
    for (const key of c.numericParams) {
      const bad = this.db.prepare(nonNumericParamSql(c.experimentIds)).pluck().get(...c.experimentIds, key) as string | undefined;
      if (bad !== undefined) {
        const shown = bad.length > 40 ? `${bad.slice(0, 40)}…` : bad;
        throw invalid(`params.${key} is compared as a number, but some runs have a value that is not a number ('${shown.replace(/'/g, "''")}'); compare it as a string instead, e.g. params.${key} = '${shown.replace(/'/g, "''")}'.`);
      }
    }
    return c;
  }

  countRuns(experimentId: string, view: ViewType = 'ACTIVE_ONLY'): number {
    const stage = view === 'ALL' ? '' : `AND lifecycle_stage = '${view === 'DELETED_ONLY' ? 'deleted' : 'active'}'`;
    const row = this.db.prepare(`SELECT COUNT(*) AS n FROM runs WHERE experiment_id = ? ${stage}`).get(parseExperimentId(experimentId)) as { n: number };
    return row.n;
  }

  // ---- artifacts --------------------------------------------------------------------------

  recordArtifact(id: string, relPath: string, size: number, sha256: string): void {
    const row = this.runRow(id);
    this.db.prepare('INSERT OR REPLACE INTO artifacts (run, path, size, sha256) VALUES (?, ?, ?, ?)').run(row.pk, relPath, size, sha256);
  }

  recordedArtifacts(id: string): Array<{ path: string; size: number; sha256: string }> {
    const row = this.runRow(id);
    return this.db.prepare('SELECT path, size, sha256 FROM artifacts WHERE run = ? ORDER BY path').all(row.pk) as Array<{
      path: string;
      size: number;
      sha256: string;
    }>;
  }

  // ---- internals --------------------------------------------------------------------------

  /** Prepared once per connection: logging paths run these for every request. */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  private runRow(id: string): RunRow {
    if (typeof id !== 'string' || !id) throw invalid('A run id is required (run_id).');
    const row = this.stmt(`SELECT ${RUN_COLUMNS} FROM runs WHERE uuid = ?`).get(id) as RunRow | undefined;
    if (!row) throw notFound(`Run '${id}' not found.`);
    return row;
  }

  private putParam(pk: number, runId: string, p: KeyValue): void {
    const existing = this.stmt('SELECT value FROM params WHERE run = ? AND key = ?').get(pk, p.key) as { value: string } | undefined;
    if (existing) {
      if (existing.value === p.value) return;
      throw invalid(
        `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${existing.value}' for run ID='${runId}'. Attempted logging new value '${p.value}'. Start a new run to try another value.`,
      );
    }
    this.stmt('INSERT INTO params (run, key, value) VALUES (?, ?, ?)').run(pk, p.key, p.value);
  }

  private putTag(pk: number, t: KeyValue): void {
    this.stmt('INSERT OR REPLACE INTO tags (run, key, value) VALUES (?, ?, ?)').run(pk, t.key, t.value);
  }

  /** Params, tags and metric summaries for many runs in three queries, not three per run. */
  private hydrate(rows: RunRow[]): Run[] {
    if (rows.length === 0) return [];
    const pkList = JSON.stringify(rows.map((r) => r.pk));
    const params = new Map<number, Record<string, string>>();
    const tags = new Map<number, Record<string, string>>();
    const series = new Map<number, MetricSummary[]>();
    for (const r of rows) {
      params.set(r.pk, {});
      tags.set(r.pk, {});
      series.set(r.pk, []);
    }
    const inList = 'run IN (SELECT value FROM json_each(?))';
    for (const p of this.db.prepare(`SELECT run, key, value FROM params WHERE ${inList}`).all(pkList) as Array<{ run: number } & KeyValue>) {
      params.get(p.run)![p.key] = p.value;
    }
    for (const t of this.db.prepare(`SELECT run, key, value FROM tags WHERE ${inList}`).all(pkList) as Array<{ run: number } & KeyValue>) {
      tags.get(t.run)![t.key] = t.value;
    }
    for (const s of this.db.prepare(`SELECT * FROM series WHERE ${inList} AND count > 0 ORDER BY key`).all(pkList) as SeriesRow[]) {
      series.get(s.run)!.push(toSummary(s));
    }
    return rows.map((r) => ({
      info: toRunInfo(r),
      params: params.get(r.pk)!,
      tags: tags.get(r.pk)!,
      metrics: series.get(r.pk)!,
    }));
  }
}

function toSummary(s: SeriesRow): MetricSummary {
  return {
    key: s.key,
    last: s.last_is_nan ? NaN : (s.last_value ?? NaN),
    lastStep: s.last_step ?? 0,
    lastTimestamp: s.last_timestamp ?? 0,
    min: s.min_value,
    minStep: s.min_step,
    max: s.max_value,
    maxStep: s.max_step,
    count: s.count,
  };
}

function toRunInfo(r: RunRow): RunInfo {
  return {
    id: r.uuid,
    experimentId: String(r.experiment_id),
    name: r.name,
    status: r.status,
    startTime: r.start_time,
    endTime: r.end_time,
    lifecycleStage: r.lifecycle_stage,
    userId: r.user_id,
    command: r.command,
    sourceFile: r.source_file,
    git:
      r.git_is_repo === null
        ? null
        : {
            isRepo: r.git_is_repo === 1,
            commit: r.git_commit,
            branch: r.git_branch,
            dirty: r.git_dirty === 1,
            patch: r.git_patch,
            patchTruncated: r.git_patch_truncated === 1,
          },
    exitCode: r.exit_code,
    backend: r.backend,
  };
}

function parseExperimentId(id: string): number {
  if (!/^\d+$/.test(String(id))) throw invalid(`Experiment id '${id}' is not valid; experiment ids are numbers.`);
  return Number(id);
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? '';
  }
}

function explainOpenError(path: string, err: unknown): Error {
  const code = (err as { code?: string }).code ?? '';
  const msg = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new LooplineError(
      'INVALID_STATE',
      `The store at ${path} is not a Loopline database or is damaged (${code}). Move it aside and Loopline will create a new one, or point --store / LOOPLINE_STORE at another file.`,
    );
  }
  if (code === 'SQLITE_BUSY') {
    return new LooplineError('INVALID_STATE', `The store at ${path} is locked by another process that holds a long transaction; try again, or close that process.`);
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY') {
    return new LooplineError('INVALID_STATE', `Cannot open the store at ${path} (${code}): check that the folder exists and is writable, or set --store / LOOPLINE_STORE.`);
  }
  if (err instanceof LooplineError) return err;
  return new LooplineError('INTERNAL_ERROR', `Cannot open the store at ${path}: ${msg}`);
}
