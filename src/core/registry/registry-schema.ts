/**
 * Migration 7: the model registry and the audit log. Versions keep a snapshot of their lineage
 * (params, metrics, commit, patch) so they stay complete after their source run is deleted.
 */
export const REGISTRY_SCHEMA_VERSION = 7;

export const REGISTRY_SCHEMA_SQL = `
CREATE TABLE registered_models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  creation_time INTEGER NOT NULL,
  last_updated_time INTEGER NOT NULL,
  -- Version numbers are never reused, even after a delete (as in MLflow).
  next_version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE registered_model_tags (
  model INTEGER NOT NULL REFERENCES registered_models(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model, key)
) WITHOUT ROWID;
CREATE TABLE model_versions (
  id INTEGER PRIMARY KEY,
  model INTEGER NOT NULL REFERENCES registered_models(id),
  version INTEGER NOT NULL,
  creation_time INTEGER NOT NULL,
  last_updated_time INTEGER NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL,
  run_id TEXT,
  artifact_path TEXT NOT NULL DEFAULT '',
  content_hash TEXT NOT NULL,
  file_count INTEGER NOT NULL,
  size INTEGER NOT NULL,
  archived INTEGER NOT NULL DEFAULT 0,
  lineage TEXT NOT NULL DEFAULT '{}',
  git_patch TEXT,
  UNIQUE (model, version)
);
CREATE INDEX model_versions_by_run ON model_versions(run_id);
CREATE TABLE model_version_tags (
  version_id INTEGER NOT NULL REFERENCES model_versions(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (version_id, key)
) WITHOUT ROWID;
-- One version per alias per model, as in MLflow 2.9+.
CREATE TABLE model_aliases (
  model INTEGER NOT NULL REFERENCES registered_models(id),
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (model, alias)
) WITHOUT ROWID;
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  model TEXT,
  version INTEGER,
  deployment TEXT,
  git_commit TEXT,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'The audit log is append-only: entries cannot be changed.'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'The audit log is append-only: entries cannot be deleted.'); END;
`;
