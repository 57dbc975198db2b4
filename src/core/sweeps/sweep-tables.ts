/**
 * Migration 5 (owned by sweeps): the persistent run queue. A sweep's parent run and its trials
 * are ordinary runs; these tables hold what only the queue needs: order, leases, cancel requests.
 */
export const SWEEP_TABLES_SQL = `
CREATE TABLE sweeps (
  run INTEGER PRIMARY KEY REFERENCES runs(pk),
  definition TEXT NOT NULL,
  parallel INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active','finished','cancelled')),
  created INTEGER NOT NULL,
  -- When the parent run was given its final status (NULL while trials may still run).
  ended INTEGER,
  -- The scheduler working on the sweep ("host:pid:nonce") and until when it holds it.
  owner TEXT,
  lease_until INTEGER
);
CREATE TABLE sweep_trials (
  run INTEGER PRIMARY KEY REFERENCES runs(pk),
  sweep INTEGER NOT NULL REFERENCES sweeps(run),
  position INTEGER NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 1,
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','running','done','cancelled')),
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  owner TEXT,
  lease_until INTEGER,
  pid INTEGER,
  host TEXT
);
CREATE INDEX sweep_trials_by_state ON sweep_trials(sweep, state, position);
`;
