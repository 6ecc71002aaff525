/**
 * Versioned schema migrations, applied in order at start. Never edit a released migration: add one.
 * The SQL is kept to the common subset of SQLite and PostgreSQL so both stores share it.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs and check results',
    sql: `
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        trigger TEXT NOT NULL,
        actor TEXT,
        reason TEXT,
        summary TEXT NOT NULL
      );
      CREATE INDEX runs_kind_started ON runs (kind, started_at);

      CREATE TABLE check_results (
        run_id TEXT NOT NULL REFERENCES runs (id),
        seq INTEGER NOT NULL,
        check_id TEXT NOT NULL,
        account_id TEXT,
        region TEXT,
        resource TEXT NOT NULL,
        resource_name TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'error', 'not_applicable', 'manual')),
        message TEXT NOT NULL,
        facts TEXT NOT NULL,
        params TEXT NOT NULL,
        remediation TEXT NOT NULL,
        evaluated_at TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
      CREATE INDEX check_results_check ON check_results (check_id, evaluated_at);
      CREATE INDEX check_results_scope ON check_results (account_id, region);
    `,
  },
  {
    version: 2,
    name: 'restore drills and signals',
    sql: `
      CREATE TABLE drills (
        id TEXT PRIMARY KEY,
        target TEXT NOT NULL,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'aborted')),
        trigger TEXT NOT NULL,
        actor TEXT,
        reason TEXT,
        owner TEXT NOT NULL,
        started_at TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL,
        finished_at TEXT,
        recovery_point TEXT,
        restored_resource TEXT,
        phases TEXT NOT NULL,
        verification TEXT NOT NULL,
        measures TEXT NOT NULL,
        failure TEXT
      );
      CREATE INDEX drills_target_started ON drills (target, started_at);
      CREATE INDEX drills_status ON drills (status);

      CREATE TABLE signals (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        source TEXT NOT NULL,
        raised_at TEXT NOT NULL,
        summary TEXT NOT NULL,
        payload TEXT NOT NULL
      );
      CREATE INDEX signals_key ON signals (key, raised_at);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
