/** Migration 10: deployments (current state, found again by name) and their history. */
export const DEPLOY_SCHEMA_VERSION = 10;

export const DEPLOY_SCHEMA_SQL = `
CREATE TABLE deployments (
  name TEXT PRIMARY KEY,
  model TEXT NOT NULL,
  port INTEGER NOT NULL,
  network TEXT NOT NULL,
  proxy_container TEXT NOT NULL,
  strategy TEXT NOT NULL,
  generation INTEGER NOT NULL DEFAULT 0,
  -- JSON list of slots: {id, container, version, weight, role: live|candidate|previous, alias}
  slots TEXT NOT NULL DEFAULT '[]',
  created_time INTEGER NOT NULL,
  updated_time INTEGER NOT NULL
);
CREATE TABLE deployment_history (
  id INTEGER PRIMARY KEY,
  deployment TEXT NOT NULL,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  model TEXT,
  version INTEGER,
  alias TEXT,
  strategy TEXT,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX deployment_history_by_name ON deployment_history(deployment, id);
`;
