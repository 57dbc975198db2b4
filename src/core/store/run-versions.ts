/**
 * A version on every run row that moves whenever what the experiment table shows of the run moves
 * (its name, status, times, lifecycle, a param, a metric summary). The table keeps a columnar copy
 * of a large experiment in a file (series/table-snapshot.ts); on the next open only the runs whose
 * version differs from the copy's are read again from SQLite, instead of every value of every run.
 *
 * Triggers keep it for runs and params, whoever writes them. Metric summaries are written in one
 * place (metric-writer.ts), which moves it once per batch: a trigger fires per key, and live logging
 * is many small batches of a few keys (a trigger per key made such logging 30% slower). A new run
 * starts at a random version so a run that reuses the pk of a purged one never matches the copy's
 * row of the old run.
 */
export const RUN_VERSIONS_VERSION = 17;
const BUMP = (run: string) => `UPDATE runs SET row_version = row_version + 1 WHERE pk = ${run};`;
export const BUMP_RUN_VERSION = BUMP('?');
export const RUN_VERSIONS_SQL = `
ALTER TABLE runs ADD COLUMN row_version INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER runs_version_new AFTER INSERT ON runs BEGIN
  UPDATE runs SET row_version = abs(random() % 4503599627370496) WHERE pk = NEW.pk;
END;
CREATE TRIGGER runs_version_row AFTER UPDATE OF name, status, start_time, end_time, lifecycle_stage, experiment_id ON runs BEGIN ${BUMP('NEW.pk')} END;
CREATE TRIGGER runs_version_param_insert AFTER INSERT ON params BEGIN ${BUMP('NEW.run')} END;
CREATE TRIGGER runs_version_param_update AFTER UPDATE ON params BEGIN ${BUMP('NEW.run')} ${BUMP('OLD.run')} END;
CREATE TRIGGER runs_version_param_delete AFTER DELETE ON params BEGIN ${BUMP('OLD.run')} END;
CREATE TRIGGER runs_version_series_insert AFTER INSERT ON series WHEN NEW.count > 0 BEGIN ${BUMP('NEW.run')} END;
CREATE TRIGGER runs_version_series_delete AFTER DELETE ON series BEGIN ${BUMP('OLD.run')} END;
`;
