/**
 * Migration 12: the drift history of deployments (one row per sliding window of captured
 * requests), drift episodes (consecutive alerting windows, announced once), and retrains.
 */
export const DRIFT_HISTORY_SCHEMA_VERSION = 12;

export const DRIFT_HISTORY_SCHEMA_SQL = `
CREATE TABLE drift_windows (
  id INTEGER PRIMARY KEY,
  deployment TEXT NOT NULL,
  model TEXT NOT NULL,
  version INTEGER,
  -- captured_requests ids of the window's first and last request (the ring may have dropped them since).
  first_request INTEGER NOT NULL,
  last_request INTEGER NOT NULL,
  from_time INTEGER NOT NULL,
  to_time INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'drift', 'insufficient-data')),
  share REAL NOT NULL,
  prediction_status TEXT,
  -- 1: dataset or prediction drift (the condition that opens or continues an episode).
  alert INTEGER NOT NULL,
  episode INTEGER,
  labelled INTEGER NOT NULL DEFAULT 0,
  correct INTEGER NOT NULL DEFAULT 0,
  -- JSON: {features: [...], prediction: {...}} as monitorReport computed them.
  result TEXT NOT NULL,
  computed_time INTEGER NOT NULL,
  UNIQUE (deployment, first_request)
);
CREATE TABLE drift_episodes (
  deployment TEXT NOT NULL,
  episode INTEGER NOT NULL,
  first_window INTEGER NOT NULL,
  started_time INTEGER NOT NULL,
  -- JSON list of the features (and "prediction") that drifted in the first window.
  drifted TEXT NOT NULL,
  -- Set when the warning was shown, so it is shown once per episode, not per window.
  announced_time INTEGER,
  PRIMARY KEY (deployment, episode)
) WITHOUT ROWID;
CREATE TABLE retrains (
  id INTEGER PRIMARY KEY,
  deployment TEXT NOT NULL,
  trigger TEXT NOT NULL CHECK (trigger IN ('manual', 'on-drift')),
  episode INTEGER,
  status TEXT NOT NULL CHECK (status IN ('running', 'passed', 'gated', 'failed')),
  started_time INTEGER NOT NULL,
  ended_time INTEGER,
  pid INTEGER,
  data TEXT,
  run_id TEXT,
  version INTEGER,
  detail TEXT NOT NULL DEFAULT '{}'
);
-- Never more than one retrain of a deployment at a time.
CREATE UNIQUE INDEX retrains_one_running ON retrains(deployment) WHERE status = 'running';
`;
