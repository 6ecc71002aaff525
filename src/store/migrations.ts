/**
 * Versioned schema migrations, applied in order at start. Never edit a released migration: add one.
 * The SQL is SQLite's, kept to what PostgreSQL also runs once `postgresDialect` has respelled its column
 * types (below); a statement that cannot be written so gets a hand-written `postgres` variant.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** The migration for PostgreSQL when respelling `sql` cannot express it. */
  postgres?: string;
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
  {
    version: 3,
    name: 'incidents, outbox, SLA events and maintenance',
    sql: `
      CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        severity TEXT NOT NULL CHECK (severity IN ('sev1', 'sev2', 'sev3', 'sev4')),
        state TEXT NOT NULL CHECK (state IN ('triage', 'investigating', 'mitigated', 'monitoring', 'resolved')),
        reported_at TEXT NOT NULL,
        version INTEGER NOT NULL,
        sla_swept_to TEXT NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE INDEX incidents_state ON incidents (state);
      CREATE INDEX incidents_reported ON incidents (reported_at);

      CREATE TABLE incident_keys (
        key TEXT NOT NULL,
        incident_id TEXT NOT NULL REFERENCES incidents (id),
        PRIMARY KEY (key, incident_id)
      );

      CREATE TABLE signal_routes (
        signal_id TEXT PRIMARY KEY,
        action TEXT NOT NULL,
        incident_id TEXT,
        routed_at TEXT NOT NULL
      );

      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        subject_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        notification TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'held', 'delivered', 'failed')),
        attempts INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        next_attempt_at TEXT NOT NULL,
        delivered_at TEXT,
        last_error TEXT,
        lease_owner TEXT,
        lease_until TEXT
      );
      CREATE INDEX outbox_open ON outbox (status, next_attempt_at);
      CREATE INDEX outbox_subject ON outbox (subject_id, channel, seq);

      CREATE TABLE channel_refs (
        subject_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        refs TEXT NOT NULL,
        PRIMARY KEY (subject_id, channel)
      );

      CREATE TABLE sla_events (
        id TEXT PRIMARY KEY,
        incident_id TEXT NOT NULL REFERENCES incidents (id),
        clock TEXT NOT NULL,
        severity TEXT NOT NULL,
        kind TEXT NOT NULL,
        threshold REAL NOT NULL,
        at TEXT NOT NULL,
        due_at TEXT NOT NULL
      );
      CREATE INDEX sla_events_incident ON sla_events (incident_id, at);

      CREATE TABLE maintenance (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('scheduled', 'in_progress', 'completed', 'cancelled')),
        starts_at TEXT NOT NULL,
        ends_at TEXT NOT NULL,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE INDEX maintenance_status ON maintenance (status, starts_at);
    `,
  },
  {
    version: 4,
    name: 'probe states and observations',
    sql: `
      CREATE TABLE probe_state (
        name TEXT PRIMARY KEY,
        state TEXT NOT NULL
      );

      CREATE TABLE probe_observations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        probe TEXT NOT NULL,
        at TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('up', 'degraded', 'down')),
        doc TEXT NOT NULL
      );
      CREATE INDEX probe_observations_at ON probe_observations (at, probe);
    `,
  },
  {
    version: 5,
    name: 'API tokens',
    // Only the SHA-256 of a token is kept; revoked tokens stay, so every recorded `api:<name>` actor
    // still names one token, and their names are never reused.
    sql: `
      CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('oncall', 'ops', 'auditor', 'admin')),
        hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        revoked_at TEXT,
        revoked_by TEXT,
        revoke_reason TEXT,
        last_used_at TEXT
      );
    `,
  },
  {
    version: 6,
    name: 'evidence ledger',
    // Append-only by convention and proven by the chain: each row's hash covers its content and the
    // previous row's hash (src/evidence/ledger.ts). `data` is the record as canonical JSON, so the
    // verifier hashes the stored text as it is. seq is assigned by the writer inside its transaction.
    sql: `
      CREATE TABLE ledger (
        seq INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        subject TEXT NOT NULL,
        data TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX ledger_at ON ledger (at);
      CREATE INDEX ledger_kind ON ledger (kind, seq);
    `,
  },
  {
    version: 7,
    name: 'attestations, waivers, and the index evidence reports count from',
    // Append-only: a waiver is revoked by adding a revocation, never by editing the waiver, so a report
    // over any past period sees the waivers as they stood then. A file attested is kept by its owner;
    // only its name, size and SHA-256 are recorded.
    sql: `
      CREATE TABLE attestations (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        control TEXT NOT NULL,
        owner TEXT NOT NULL,
        reason TEXT NOT NULL,
        file_name TEXT,
        file_sha256 TEXT,
        file_bytes INTEGER,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        expires_at TEXT
      );
      CREATE INDEX attestations_control ON attestations (control, at);

      CREATE TABLE waivers (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        check_id TEXT NOT NULL,
        resource TEXT NOT NULL,
        reason TEXT NOT NULL,
        until_at TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT NOT NULL
      );
      CREATE INDEX waivers_check ON waivers (check_id, until_at);

      CREATE TABLE waiver_revocations (
        waiver_id TEXT PRIMARY KEY REFERENCES waivers (id),
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        reason TEXT NOT NULL
      );

      -- Reports count a period's results from this index alone (a year of hourly checks is a million
      -- rows; the table's rows carry facts and messages ten times the size), and a month's report over
      -- a store holding years reads only that month.
      CREATE INDEX check_results_evaluated ON check_results (evaluated_at, check_id, status, run_id, account_id, region);
    `,
  },
  {
    version: 8,
    name: 'replicas and leases',
    // Several `vigil serve` replicas on one database (src/store/cluster-types.ts). A replica's leases
    // expire with it: every heartbeat moves both. Finished leases are kept a month (who ran each
    // occurrence, who took what over); the job runs they point to are kept for good.
    sql: `
      CREATE TABLE replicas (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        version TEXT NOT NULL,
        incarnation TEXT NOT NULL,
        started_at TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        stopped_at TEXT,
        detail TEXT NOT NULL
      );

      CREATE TABLE leases (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        due_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'held', 'done')),
        owner TEXT,
        claimed_at TEXT,
        heartbeat_at TEXT,
        expires_at TEXT,
        claims INTEGER NOT NULL,
        previous_owner TEXT,
        outcome TEXT,
        finished_at TEXT,
        created_at TEXT NOT NULL,
        detail TEXT NOT NULL
      );
      CREATE INDEX leases_status ON leases (kind, status, subject, due_at);
      CREATE INDEX leases_subject ON leases (kind, subject, due_at);
      CREATE INDEX leases_owner ON leases (owner, status);
      CREATE INDEX leases_finished ON leases (status, finished_at);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export type Dialect = 'sqlite' | 'postgres';

/** The SQL a store of `dialect` runs for `migration`. */
export function migrationSql(migration: Migration, dialect: Dialect): string {
  if (dialect === 'sqlite') return migration.sql;
  return migration.postgres ?? postgresDialect(migration.sql);
}

/**
 * SQLite's column types as PostgreSQL spells them, so both stores behave alike:
 * - `INTEGER PRIMARY KEY AUTOINCREMENT` (a never-reused rowid) is an identity column;
 * - `INTEGER` is SQLite's 64-bit integer, BIGINT (the pool parses it back to a number);
 * - `REAL` is SQLite's 8-byte float; PostgreSQL's REAL has 4 bytes;
 * - `TEXT` compares byte by byte as in SQLite (ISO instants, ids and ORDER BY), whatever collation the
 *   database was created with: en_US would sort `rds-backups` before `rds-backup-retention`.
 */
export function postgresDialect(sql: string): string {
  return sql
    .replace(/\bINTEGER PRIMARY KEY AUTOINCREMENT\b/g, 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bREAL\b/g, 'DOUBLE PRECISION')
    .replace(/\bTEXT\b/g, 'TEXT COLLATE "C"');
}

const SCHEMA_MIGRATIONS_SQL = 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)';

/** The bookkeeping table of applied migrations, created before the first migration runs. */
export const SCHEMA_MIGRATIONS_TABLE: Record<Dialect, string> = { sqlite: SCHEMA_MIGRATIONS_SQL, postgres: postgresDialect(SCHEMA_MIGRATIONS_SQL) };
