/** Migration 11: request capture per deployment (settings, the captured exchanges, labelled feedback). */
export const CAPTURE_SCHEMA_VERSION = 11;

export const CAPTURE_SCHEMA_SQL = `
CREATE TABLE capture_settings (
  deployment TEXT PRIMARY KEY,
  enabled INTEGER NOT NULL DEFAULT 1,
  sampling REAL NOT NULL DEFAULT 1.0,
  ring INTEGER NOT NULL DEFAULT 100000,
  -- Bytes of the proxy's capture log already ingested.
  log_offset INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE captured_requests (
  id INTEGER PRIMARY KEY,
  deployment TEXT NOT NULL,
  request_id TEXT NOT NULL,
  time INTEGER NOT NULL,
  version INTEGER,
  status INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  request TEXT NOT NULL,
  response TEXT NOT NULL
);
CREATE INDEX captured_requests_by_deployment ON captured_requests(deployment, id);
CREATE INDEX captured_requests_by_request_id ON captured_requests(request_id);
CREATE TABLE capture_feedback (
  deployment TEXT NOT NULL,
  request_id TEXT NOT NULL,
  label TEXT NOT NULL,
  time INTEGER NOT NULL,
  source TEXT NOT NULL,
  PRIMARY KEY (deployment, request_id)
) WITHOUT ROWID;
`;

/**
 * Migration 14: the proxy's capture log rotates (capture.jsonl, capture.jsonl.1 … .N), so the reader
 * keeps a byte position per file (JSON `{"<inode>-<birth ms>": bytes}`) instead of one offset.
 */
export const CAPTURE_ROTATION_SCHEMA_VERSION = 14;
export const CAPTURE_ROTATION_SCHEMA_SQL = `ALTER TABLE capture_settings ADD COLUMN log_positions TEXT NOT NULL DEFAULT '{}';`;
