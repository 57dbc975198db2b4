import type Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LooplineError, invalid, notFound } from '../errors.ts';
import { loadProjectConfig, type ProjectConfig } from '../project/project-config.ts';
import { resolveArtifactPath } from '../store/artifact-files.ts';
import type { RunStore } from '../store/run-store.ts';
import type { Run } from '../store/types.ts';
import { currentActor, headCommit } from './actor.ts';
import { AuditLog } from './audit-log.ts';
import { renderModelCard } from './model-card.ts';
import { contentDir, copyIntoRegistry } from './registry-files.ts';
import type { DataLineage, DeployedVersionsLookup, Lineage, MetricSnapshot, ModelVersion, RegisteredModel } from './registry-types.ts';
import { evaluateGates, parseGates, type Gate, type GateReport, type GateSubject } from './validation-gates.ts';

/** Tag on an evaluation run naming the version it evaluated (MODEL/VERSION). */
export const EVALUATES_TAG = 'loopline.evaluates';

export interface ModelRegistryOptions {
  /** Where loopline.yaml and git live; default: the folder holding `.loopline/`. */
  projectDir?: string;
  /** Default: `registry/` beside the database file (`.loopline/registry/`). */
  registryRoot?: string;
  now?: () => number;
  /** Who acts; default the git user of the project, else the OS user. */
  actor?: string;
  deployedVersions?: DeployedVersionsLookup;
}

export interface RegisterSpec {
  model: string;
  runId: string;
  /** Path inside the run's artifacts (a folder or one file); '' for all of them. */
  path: string;
  /** As the client gave it (runs:/…, mlflow-artifacts:/…); default `runs:/RUN/PATH`. */
  source?: string;
  description?: string;
  tags?: Record<string, string>;
}

export interface AliasOptions {
  force?: boolean;
  reason?: string;
}

/** A refused alias or deploy: the error carries the report of every gate. */
export class GateFailedError extends LooplineError {
  readonly report: GateReport;
  constructor(report: GateReport, action: string) {
    const failed = report.results.filter((r) => r.verdict === 'fail').map((r) => `${r.gate}: ${r.reason}`);
    super('INVALID_STATE', `Validation gates failed for ${report.subject}, so ${action} was refused: ${failed.join('; ')}. Fix the model, or override with --force --reason TEXT (recorded in the audit log).`);
    this.report = report;
  }
}

interface ModelRow {
  id: number;
  name: string;
  description: string;
  creation_time: number;
  last_updated_time: number;
  next_version: number;
}

interface VersionRow {
  id: number;
  model: number;
  version: number;
  creation_time: number;
  last_updated_time: number;
  description: string;
  user_id: string;
  source: string;
  run_id: string | null;
  artifact_path: string;
  content_hash: string;
  file_count: number;
  size: number;
  archived: number;
  lineage: string;
}

const NAME_MAX = 256;
const ALIAS_RE = /^[\w-]{1,255}$/;

export function checkModelName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') throw invalid('Registered model name cannot be empty.');
  if (name.length > NAME_MAX) throw invalid(`Registered model name is longer than ${NAME_MAX} characters.`);
  if (/[/@\u0000-\u001f]/.test(name)) throw invalid(`Registered model name '${name}' may not contain '/', '@' or control characters (they separate version and alias in iris/3 and iris@champion).`);
  return name;
}

export function checkAlias(alias: unknown): string {
  if (typeof alias !== 'string' || !ALIAS_RE.test(alias)) throw invalid(`Invalid alias name '${String(alias)}': use letters, digits, '_' and '-' (at most 255).`);
  if (alias.toLowerCase() === 'latest') throw invalid("'latest' alias name (case insensitive) is reserved.");
  if (/^v\d+$/i.test(alias)) throw invalid(`Version alias name '${alias}' is reserved.`);
  return alias;
}

export function parseVersion(v: unknown): number {
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string' || !/^\d+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s))) {
    throw invalid(`Model version must be a positive integer, got '${String(v)}'.`);
  }
  return Number(s);
}

/** `iris/3` or `iris@champion`. */
export function parseModelRef(ref: string): { model: string; version?: number; alias?: string } {
  const at = ref.lastIndexOf('@');
  if (at > 0) return { model: ref.slice(0, at), alias: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  if (slash > 0) return { model: ref.slice(0, slash), version: parseVersion(ref.slice(slash + 1)) };
  throw invalid(`'${ref}' is not a model version: write MODEL/VERSION (iris/3) or MODEL@ALIAS (iris@champion).`);
}

/** The folder holding a store's `.loopline/` folder: where loopline.yaml is. */
export function projectDirOf(storePath: string): string {
  const dir = dirname(storePath);
  return basename(dir) === '.loopline' ? dirname(dir) : dir;
}

/**
 * The model registry: registered models, their versions (files copied into a content-addressed
 * folder, lineage snapshotted), aliases, validation gates and the audit log of every action.
 */
export class ModelRegistry {
  readonly store: RunStore;
  readonly root: string;
  readonly projectDir: string;
  readonly audit: AuditLog;
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly deployed: DeployedVersionsLookup;
  private actorName: string | undefined;

  constructor(store: RunStore, opts: ModelRegistryOptions = {}) {
    this.store = store;
    this.db = store.db;
    this.now = opts.now ?? Date.now;
    this.projectDir = opts.projectDir ?? projectDirOf(store.path);
    this.root = opts.registryRoot ?? join(dirname(store.path), 'registry');
    this.actorName = opts.actor;
    this.deployed = opts.deployedVersions ?? (() => []);
    this.audit = new AuditLog(this.db, { actor: () => this.actor, commit: () => headCommit(this.projectDir), now: this.now });
  }

  get actor(): string {
    this.actorName ??= currentActor(this.projectDir);
    return this.actorName;
  }

  projectConfig(): ProjectConfig {
    return loadProjectConfig(this.projectDir);
  }

  gates(): Gate[] {
    const cfg = this.projectConfig();
    return parseGates(cfg.file ?? 'loopline.yaml', cfg.raw.gates);
  }

  // ---- models ---------------------------------------------------------------------------

  createModel(name: string, opts: { description?: string; tags?: Record<string, string> } = {}): RegisteredModel {
    checkModelName(name);
    const t = this.now();
    this.db
      .transaction(() => {
        if (this.findModelRow(name)) throw new LooplineError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
        const info = this.db.prepare('INSERT INTO registered_models (name, description, creation_time, last_updated_time) VALUES (?, ?, ?, ?)').run(name, opts.description ?? '', t, t);
        for (const [k, v] of Object.entries(opts.tags ?? {})) this.putModelTag(Number(info.lastInsertRowid), k, v);
      })
      .immediate();
    return this.getModel(name);
  }

  getModel(name: string): RegisteredModel {
    return this.toModel(this.modelRow(name));
  }

  listModels(): RegisteredModel[] {
    return (this.db.prepare('SELECT * FROM registered_models ORDER BY name').all() as ModelRow[]).map((r) => this.toModel(r));
  }

  updateModel(name: string, update: { description?: string }): RegisteredModel {
    const row = this.modelRow(name);
    if (update.description !== undefined) this.db.prepare('UPDATE registered_models SET description = ?, last_updated_time = ? WHERE id = ?').run(update.description, this.now(), row.id);
    return this.getModel(name);
  }

  renameModel(name: string, newName: string): RegisteredModel {
    checkModelName(newName);
    this.db
      .transaction(() => {
        const row = this.modelRow(name);
        if (name !== newName && this.findModelRow(newName)) throw new LooplineError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${newName}) already exists.`);
        this.db.prepare('UPDATE registered_models SET name = ?, last_updated_time = ? WHERE id = ?').run(newName, this.now(), row.id);
      })
      .immediate();
    const oldCards = this.cardsDir(name);
    if (name !== newName && existsSync(oldCards)) renameSync(oldCards, this.cardsDir(newName));
    this.audit.append({ action: 'model.rename', outcome: 'ok', model: newName, detail: { from: name } });
    return this.getModel(newName);
  }

  /** Refused while any version is deployed. The files stay in the content store (other versions may share them). */
  deleteModel(name: string): void {
    const row = this.modelRow(name);
    const live = this.deployed(name);
    if (live.length) {
      this.audit.append({ action: 'model.delete', outcome: 'refused', model: name, detail: { deployedVersions: live } });
      throw new LooplineError('INVALID_STATE', `Model '${name}' has deployed versions (${live.join(', ')}); undeploy them before deleting the model.`);
    }
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM model_version_tags WHERE version_id IN (SELECT id FROM model_versions WHERE model = ?)').run(row.id);
        this.db.prepare('DELETE FROM model_versions WHERE model = ?').run(row.id);
        this.db.prepare('DELETE FROM model_aliases WHERE model = ?').run(row.id);
        this.db.prepare('DELETE FROM registered_model_tags WHERE model = ?').run(row.id);
        this.db.prepare('DELETE FROM registered_models WHERE id = ?').run(row.id);
      })
      .immediate();
    this.audit.append({ action: 'model.delete', outcome: 'ok', model: name });
  }

  setModelTag(name: string, key: string, value: string): void {
    const row = this.modelRow(name);
    this.putModelTag(row.id, key, value);
  }

  deleteModelTag(name: string, key: string): void {
    const row = this.modelRow(name);
    this.db.prepare('DELETE FROM registered_model_tags WHERE model = ? AND key = ?').run(row.id, key);
  }

  // ---- versions -------------------------------------------------------------------------

  /** Copies the run's files into the registry and snapshots its lineage. Creates the model if needed. */
  registerVersion(spec: RegisterSpec): ModelVersion {
    checkModelName(spec.model);
    const run = this.store.getRun(this.store.resolveRunId(spec.runId));
    const src = resolveArtifactPath(this.store.artifactsRoot, run.info.id, spec.path);
    if (!existsSync(src)) {
      throw invalid(`Run ${run.info.id} has no artifact '${spec.path}'; log the model there first (e.g. mlflow.log_artifacts('model', 'model')) or pass the right --path.`);
    }
    const content = copyIntoRegistry(this.root, src);
    const t = this.now();
    const lineage = this.lineageOf(run, t);
    const source = spec.source ?? `runs:/${run.info.id}/${spec.path}`;
    let version = 0;
    let created = false;
    this.db
      .transaction(() => {
        let row = this.findModelRow(spec.model);
        if (!row) {
          this.db.prepare('INSERT INTO registered_models (name, creation_time, last_updated_time) VALUES (?, ?, ?)').run(spec.model, t, t);
          row = this.modelRow(spec.model);
          created = true;
        }
        version = row.next_version;
        const info = this.db
          .prepare(
            `INSERT INTO model_versions (model, version, creation_time, last_updated_time, description, user_id, source, run_id, artifact_path,
               content_hash, file_count, size, lineage, git_patch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(row.id, version, t, t, spec.description ?? '', this.actor, source, run.info.id, spec.path, content.hash, content.fileCount, content.size, JSON.stringify(lineage), run.info.git?.patch ?? null);
        for (const [k, v] of Object.entries(spec.tags ?? {})) this.putVersionTag(Number(info.lastInsertRowid), k, v);
        this.db.prepare('UPDATE registered_models SET next_version = ?, last_updated_time = ? WHERE id = ?').run(version + 1, t, row.id);
      })
      .immediate();
    const mv = this.getVersion(spec.model, version);
    this.writeModelCard(mv);
    this.audit.append({ action: 'register', outcome: 'ok', model: spec.model, version, detail: { runId: run.info.id, path: spec.path, contentHash: content.hash, modelCreated: created } });
    return mv;
  }

  getVersion(name: string, version: number): ModelVersion {
    const model = this.modelRow(name);
    const row = this.db.prepare('SELECT * FROM model_versions WHERE model = ? AND version = ?').get(model.id, version) as VersionRow | undefined;
    if (!row) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    return this.toVersion(model, row);
  }

  /** Newest first. */
  listVersions(name: string, opts: { includeArchived?: boolean } = {}): ModelVersion[] {
    const model = this.modelRow(name);
    const rows = this.db.prepare(`SELECT * FROM model_versions WHERE model = ? ${opts.includeArchived === false ? 'AND archived = 0' : ''} ORDER BY version DESC`).all(model.id) as VersionRow[];
    return rows.map((r) => this.toVersion(model, r));
  }

  allVersions(): ModelVersion[] {
    const models = new Map((this.db.prepare('SELECT * FROM registered_models').all() as ModelRow[]).map((m) => [m.id, m]));
    const rows = this.db.prepare('SELECT * FROM model_versions ORDER BY model, version DESC').all() as VersionRow[];
    return rows.map((r) => this.toVersion(models.get(r.model)!, r));
  }

  /** `iris/3` or `iris@champion`. */
  resolve(ref: string): ModelVersion {
    const r = parseModelRef(ref);
    return r.alias !== undefined ? this.getByAlias(r.model, r.alias) : this.getVersion(r.model, r.version!);
  }

  updateVersion(name: string, version: number, update: { description?: string }): ModelVersion {
    const v = this.getVersion(name, version);
    if (update.description !== undefined) {
      this.db.prepare('UPDATE model_versions SET description = ?, last_updated_time = ? WHERE id = ?').run(update.description, this.now(), this.versionId(name, version));
    }
    return update.description === undefined ? v : this.getVersion(name, version);
  }

  /** Refused while deployed; aliases pointing at it go with it (as in MLflow). */
  deleteVersion(name: string, version: number): void {
    this.getVersion(name, version);
    if (this.deployed(name).includes(version)) {
      this.audit.append({ action: 'version.delete', outcome: 'refused', model: name, version, detail: { why: 'deployed' } });
      throw new LooplineError('INVALID_STATE', `${name}/${version} is deployed; undeploy it (or roll forward to another version) before deleting it.`);
    }
    const id = this.versionId(name, version);
    const model = this.modelRow(name);
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM model_version_tags WHERE version_id = ?').run(id);
        this.db.prepare('DELETE FROM model_aliases WHERE model = ? AND version = ?').run(model.id, version);
        this.db.prepare('DELETE FROM model_versions WHERE id = ?').run(id);
      })
      .immediate();
    this.audit.append({ action: 'version.delete', outcome: 'ok', model: name, version });
  }

  /** Archiving hides a version from default lists and aliases; refused while it is deployed. */
  archiveVersion(name: string, version: number, archived = true): ModelVersion {
    const v = this.getVersion(name, version);
    const action = archived ? 'archive' : 'unarchive';
    if (archived && this.deployed(name).includes(version)) {
      this.audit.append({ action, outcome: 'refused', model: name, version, detail: { why: 'deployed' } });
      throw new LooplineError('INVALID_STATE', `${name}/${version} is deployed; roll out another version or undeploy before archiving it.`);
    }
    if (archived && v.aliases.length) {
      this.audit.append({ action, outcome: 'refused', model: name, version, detail: { why: 'aliased', aliases: v.aliases } });
      throw new LooplineError('INVALID_STATE', `${name}/${version} holds alias ${v.aliases.map((a) => `@${a}`).join(', ')}; move or delete the alias first (loopline alias delete ${name} ${v.aliases[0]}).`);
    }
    this.db.prepare('UPDATE model_versions SET archived = ?, last_updated_time = ? WHERE id = ?').run(archived ? 1 : 0, this.now(), this.versionId(name, version));
    this.audit.append({ action, outcome: 'ok', model: name, version });
    return this.getVersion(name, version);
  }

  setVersionTag(name: string, version: number, key: string, value: string): void {
    this.putVersionTag(this.versionId(name, version), key, value);
  }

  deleteVersionTag(name: string, version: number, key: string): void {
    this.db.prepare('DELETE FROM model_version_tags WHERE version_id = ? AND key = ?').run(this.versionId(name, version), key);
  }

  /** The patch of uncommitted changes the source run had, if any. */
  versionPatch(name: string, version: number): string | null {
    const row = this.db.prepare('SELECT git_patch FROM model_versions WHERE id = ?').get(this.versionId(name, version)) as { git_patch: string | null };
    return row.git_patch;
  }

  // ---- aliases and gates ---------------------------------------------------------------

  /**
   * Points an alias at a version after the validation gates pass. With `force` a failing gate is
   * overridden, and the override, its reason and the report go into the audit log.
   */
  setAlias(name: string, alias: string, version: number, opts: AliasOptions = {}): GateReport {
    checkAlias(alias);
    const v = this.getVersion(name, version);
    if (v.archived) throw new LooplineError('INVALID_STATE', `${name}/${version} is archived; unarchive it before giving it an alias.`);
    const report = this.checkVersionGates(v);
    const previous = this.getModel(name).aliases[alias] ?? null;
    if (!report.passed) {
      if (!opts.force) {
        this.audit.append({ action: 'alias.set', outcome: 'refused', model: name, version, detail: { alias, report } });
        throw new GateFailedError(report, `setting @${alias} to version ${version}`);
      }
      if (!opts.reason?.trim()) throw invalid('--force needs --reason TEXT: a gate override is recorded with its reason.');
      this.audit.append({ action: 'gate.override', outcome: 'ok', model: name, version, detail: { alias, reason: opts.reason, report } });
    }
    const model = this.modelRow(name);
    this.db.prepare('INSERT INTO model_aliases (model, alias, version) VALUES (?, ?, ?) ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version').run(model.id, alias, version);
    this.db.prepare('UPDATE registered_models SET last_updated_time = ? WHERE id = ?').run(this.now(), model.id);
    this.audit.append({ action: 'alias.set', outcome: 'ok', model: name, version, detail: { alias, previous, gates: report.passed ? 'passed' : 'overridden' } });
    return report;
  }

  deleteAlias(name: string, alias: string): void {
    const model = this.modelRow(name);
    const info = this.db.prepare('DELETE FROM model_aliases WHERE model = ? AND alias = ?').run(model.id, alias);
    if (info.changes === 0) throw notFound(`Registered model alias ${alias} not found.`);
    this.audit.append({ action: 'alias.delete', outcome: 'ok', model: name, detail: { alias } });
  }

  getByAlias(name: string, alias: string): ModelVersion {
    const model = this.modelRow(name);
    const row = this.db.prepare('SELECT version FROM model_aliases WHERE model = ? AND alias = ?').get(model.id, alias) as { version: number } | undefined;
    if (!row) throw notFound(`Registered model alias ${alias} not found.`);
    return this.getVersion(name, row.version);
  }

  checkVersionGates(v: ModelVersion): GateReport {
    const subject: GateSubject = { label: `${v.model}/${v.version}`, metrics: this.gateMetrics(v) };
    return evaluateGates(this.gates(), subject, (alias) => {
      const model = this.modelRow(v.model);
      const row = this.db.prepare('SELECT version FROM model_aliases WHERE model = ? AND alias = ?').get(model.id, alias) as { version: number } | undefined;
      if (!row) return null;
      if (row.version === v.version) return 'self';
      const champ = this.getVersion(v.model, row.version);
      return { label: `${v.model}/${champ.version}`, metrics: this.gateMetrics(champ) };
    });
  }

  /** What gates check for a version: its training run's metrics plus the eval.* of its latest evaluation. */
  gateMetrics(v: ModelVersion): Record<string, number> {
    const evaluation = this.latestEvaluation(v);
    return { ...lastValues(v.lineage.metrics), ...(evaluation ? Object.fromEntries(evaluation.metrics.filter((m) => m.key.startsWith('eval.')).map((m) => [m.key, m.last])) : {}) };
  }

  /** The newest finished evaluation run of a version (tagged loopline.evaluates=MODEL/VERSION), if any. */
  latestEvaluation(v: ModelVersion): Run | undefined {
    const experimentIds = this.store.listExperiments().map((e) => e.id);
    if (experimentIds.length === 0) return undefined;
    const filter = `tags.\`${EVALUATES_TAG}\` = '${`${v.model}/${v.version}`.replace(/'/g, "''")}' and attributes.status = 'FINISHED'`;
    return this.store.searchRuns({ experimentIds, filter, orderBy: ['attributes.start_time DESC'], maxResults: 1 }).runs[0];
  }

  /** Gates for a run not registered yet; `beats:` compares with `model`'s alias when given. */
  checkRunGates(runId: string, model?: string): GateReport {
    const run = this.store.getRun(this.store.resolveRunId(runId));
    const metrics = Object.fromEntries(run.metrics.map((m) => [m.key, m.last]));
    return evaluateGates(this.gates(), { label: `run ${run.info.id}`, metrics }, (alias) => {
      if (!model) return null;
      const row = this.findModelRow(model);
      if (!row) return null;
      const a = this.db.prepare('SELECT version FROM model_aliases WHERE model = ? AND alias = ?').get(row.id, alias) as { version: number } | undefined;
      if (!a) return null;
      const champ = this.getVersion(model, a.version);
      if (champ.runId === run.info.id) return 'self';
      return { label: `${model}/${champ.version}`, metrics: lastValues(champ.lineage.metrics) };
    });
  }

  // ---- model cards ----------------------------------------------------------------------

  modelCardPath(name: string, version: number): string {
    return join(this.cardsDir(name), String(version), 'MODEL_CARD.md');
  }

  /** Writes the prefilled card unless one exists (a card edited by a person is never overwritten). */
  writeModelCard(v: ModelVersion): string {
    const file = this.modelCardPath(v.model, v.version);
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, renderModelCard(v));
    }
    return file;
  }

  private cardsDir(name: string): string {
    // Percent-encode so any model name is one safe folder name ('.' too, so '..' cannot escape).
    return join(this.root, 'models', encodeURIComponent(name).replace(/\./g, '%2E').replace(/\*/g, '%2A'));
  }

  // ---- rows -----------------------------------------------------------------------------

  private findModelRow(name: string): ModelRow | undefined {
    return this.db.prepare('SELECT * FROM registered_models WHERE name = ?').get(name) as ModelRow | undefined;
  }

  private modelRow(name: string): ModelRow {
    if (typeof name !== 'string' || name === '') throw invalid('Registered model name cannot be empty.');
    const row = this.findModelRow(name);
    if (!row) throw notFound(`Registered Model with name=${name} not found`);
    return row;
  }

  private versionId(name: string, version: number): number {
    const model = this.modelRow(name);
    const row = this.db.prepare('SELECT id FROM model_versions WHERE model = ? AND version = ?').get(model.id, version) as { id: number } | undefined;
    if (!row) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    return row.id;
  }

  private putModelTag(id: number, key: string, value: string): void {
    if (!key) throw invalid('Tag key cannot be empty.');
    this.db.prepare('INSERT INTO registered_model_tags (model, key, value) VALUES (?, ?, ?) ON CONFLICT (model, key) DO UPDATE SET value = excluded.value').run(id, key, String(value));
  }

  private putVersionTag(id: number, key: string, value: string): void {
    if (!key) throw invalid('Tag key cannot be empty.');
    this.db.prepare('INSERT INTO model_version_tags (version_id, key, value) VALUES (?, ?, ?) ON CONFLICT (version_id, key) DO UPDATE SET value = excluded.value').run(id, key, String(value));
  }

  private toModel(r: ModelRow): RegisteredModel {
    const tags = Object.fromEntries((this.db.prepare('SELECT key, value FROM registered_model_tags WHERE model = ?').all(r.id) as { key: string; value: string }[]).map((t) => [t.key, t.value]));
    const aliases = Object.fromEntries((this.db.prepare('SELECT alias, version FROM model_aliases WHERE model = ? ORDER BY alias').all(r.id) as { alias: string; version: number }[]).map((a) => [a.alias, a.version]));
    const stats = this.db.prepare('SELECT MAX(version) AS latest, COUNT(*) AS n FROM model_versions WHERE model = ?').get(r.id) as { latest: number | null; n: number };
    return { name: r.name, description: r.description, creationTime: r.creation_time, lastUpdatedTime: r.last_updated_time, tags, aliases, latestVersion: stats.latest, versionCount: stats.n };
  }

  private toVersion(model: ModelRow, r: VersionRow): ModelVersion {
    const tags = Object.fromEntries((this.db.prepare('SELECT key, value FROM model_version_tags WHERE version_id = ?').all(r.id) as { key: string; value: string }[]).map((t) => [t.key, t.value]));
    const aliases = (this.db.prepare('SELECT alias FROM model_aliases WHERE model = ? AND version = ? ORDER BY alias').all(model.id, r.version) as { alias: string }[]).map((a) => a.alias);
    return {
      model: model.name,
      version: r.version,
      creationTime: r.creation_time,
      lastUpdatedTime: r.last_updated_time,
      description: r.description,
      userId: r.user_id,
      source: r.source,
      runId: r.run_id,
      artifactPath: r.artifact_path,
      contentHash: r.content_hash,
      dir: contentDir(this.root, r.content_hash),
      fileCount: r.file_count,
      size: r.size,
      archived: r.archived === 1,
      aliases,
      tags,
      lineage: JSON.parse(r.lineage) as Lineage,
    };
  }

  private lineageOf(run: Run, t: number): Lineage {
    const i = run.info;
    const metrics: Record<string, MetricSnapshot> = {};
    for (const m of run.metrics) metrics[m.key] = { last: m.last, min: m.min, max: m.max, lastStep: m.lastStep, count: m.count };
    let experimentName: string | null = null;
    try {
      experimentName = this.store.getExperiment(i.experimentId).name;
    } catch {
      experimentName = null;
    }
    let serve = null;
    try {
      serve = this.projectConfig().serve;
    } catch {
      serve = null; // a broken loopline.yaml must not block registering; deploy reports it
    }
    return {
      runId: i.id,
      runName: i.name,
      experimentId: i.experimentId,
      experimentName,
      runStatus: i.status,
      startTime: i.startTime,
      endTime: i.endTime,
      sourceFile: i.sourceFile,
      command: i.command,
      git: i.git?.isRepo ? { commit: i.git.commit, branch: i.git.branch, dirty: i.git.dirty, patchTruncated: i.git.patchTruncated ?? false } : null,
      params: { ...run.params },
      metrics,
      sweepParent: run.tags['mlflow.parentRunId'] ?? null,
      data: dataLineage(run.tags),
      serve,
      registeredBy: this.actor,
      registeredAt: t,
    };
  }
}

/** The data files a run recorded with `loopline.data.<role>.{name,sha256,rows,bytes}` tags. */
function dataLineage(tags: Record<string, string>): Record<string, DataLineage> {
  const out: Record<string, DataLineage> = {};
  for (const [key, value] of Object.entries(tags)) {
    const m = /^loopline\.data\.([\w-]+)\.sha256$/.exec(key);
    if (!m) continue;
    const role = m[1]!;
    const at = (k: string) => tags[`loopline.data.${role}.${k}`];
    out[role] = { name: at('name') ?? '', sha256: value, rows: Number(at('rows') ?? NaN), bytes: Number(at('bytes') ?? NaN) };
  }
  return out;
}

/** NaN survives JSON as null; a gate then reports the metric as missing rather than passing. */
function lastValues(metrics: Record<string, MetricSnapshot>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, m]) => [k, typeof m.last === 'number' ? m.last : Number.NaN]));
}
