/**
 * The store on PostgreSQL, for several replicas sharing one database (`store: { postgres: { url } }`).
 * Same tables (one migration list), same records, same behaviour as SqliteStore: every multi-row write
 * is one transaction; what SQLite's single write lock serialised is serialised here by row locks
 * (`FOR UPDATE`) and advisory locks (the ledger head, `MAX(seq) + 1` ids), so replicas can write at once.
 *
 * Nothing connects until the first call (or `ready()`): commands that never touch the store never touch
 * the database. Opening applies pending migrations; a URL that does not work or a database at a newer
 * schema is a ConfigError naming `store.postgres.url`.
 */
import { canonicalJson } from '../evidence/canonical.js';
import { PostgresClusterStore } from './postgres-cluster.js';
import { actorOfTrigger, checkResultEntry, drillEntry, runEntry } from './ledger-entries.js';
import type { NewLedgerEntry } from './ledger-types.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { insertRows, PgDb, type Tx, type UrlSource } from './postgres-db.js';
import { PostgresEvidenceStore } from './postgres-evidence.js';
import { insertSignals, PostgresIncidentStore } from './postgres-incidents.js';
import { appendLedger, PostgresLedgerStore } from './postgres-ledger.js';
import { PostgresProbeStore } from './postgres-probes.js';
import { PostgresTokenStore } from './postgres-tokens.js';
import { RESULT_COLUMNS, resultValues, toDrill, toResult, toRun, toSignal, type DrillRow, type ResultRow, type RunRow, type SignalRow } from './rows.js';
import type { CheckResultRecord, DrillRecord, DrillStatus, RunFilter, RunRecord, RunStatus, Signal, Store } from './types.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/database`; `?sslmode=verify-full&sslrootcert=...` for TLS. */
  url: string;
  /** Where the URL was configured, for errors (file and line of `store.postgres.url`). */
  source?: UrlSource;
  migrations?: readonly Migration[];
  /** Connections in the pool; 10 when absent. */
  poolSize?: number;
  connectTimeoutMs?: number;
}

const DRILL_COLUMNS = [
  'id', 'target', 'account_id', 'region', 'status', 'trigger', 'actor', 'reason', 'owner', 'started_at', 'heartbeat_at', 'finished_at',
  'recovery_point', 'restored_resource', 'phases', 'verification', 'measures', 'failure',
] as const;

/** What an update may change: a drill's target, scope, trigger, owner and start are fixed when it is created. */
const UPDATED_DRILL_COLUMNS = ['status', 'heartbeat_at', 'finished_at', 'recovery_point', 'restored_resource', 'phases', 'verification', 'measures', 'failure'] as const;

/** A drill's values in the order of DRILL_COLUMNS. */
function drillValues(d: DrillRecord): unknown[] {
  return [
    d.id, d.target, d.accountId, d.region, d.status, d.trigger, d.actor ?? null, d.reason ?? null, d.owner, d.startedAt, d.heartbeatAt, d.finishedAt ?? null,
    d.recoveryPoint ? JSON.stringify(d.recoveryPoint) : null, d.restoredResource ?? null, JSON.stringify(d.phases), JSON.stringify(d.verification),
    JSON.stringify(d.measures), d.failure ?? null,
  ];
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  /** The pool and transactions, for parts built on this store (the cluster store). */
  readonly db: PgDb;
  readonly incidents: PostgresIncidentStore;
  readonly probes: PostgresProbeStore;
  readonly tokens: PostgresTokenStore;
  readonly evidence: PostgresEvidenceStore;
  readonly ledger: PostgresLedgerStore;
  readonly cluster: PostgresClusterStore;

  /** A store that opens its database on first use; see `open` to open it now. */
  constructor(options: PostgresStoreOptions) {
    this.db = new PgDb({ ...options, migrations: options.migrations ?? MIGRATIONS });
    this.incidents = new PostgresIncidentStore(this.db);
    this.probes = new PostgresProbeStore(this.db);
    this.tokens = new PostgresTokenStore(this.db);
    this.evidence = new PostgresEvidenceStore(this.db);
    this.ledger = new PostgresLedgerStore(this.db);
    this.cluster = new PostgresClusterStore(this.db.pool, () => this.db.ready());
  }

  /** Connects and migrates now: a bad URL or a newer schema fails here, with a ConfigError. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      await store.ready();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  /** Resolves once the database is reachable and migrated; rejects with the ConfigError opening met. */
  ready(): Promise<void> {
    return this.db.ready();
  }

  async schemaVersion(): Promise<number> {
    const row = await this.db.one<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    return row?.v ?? 0;
  }

  async startRun(run: Omit<RunRecord, 'status' | 'summary'> & { summary?: Record<string, unknown> }): Promise<RunRecord> {
    const record: RunRecord = { ...run, status: 'running', summary: run.summary ?? {} };
    await this.db.run('INSERT INTO runs (id, kind, started_at, finished_at, status, trigger, actor, reason, summary) VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8)', [
      record.id,
      record.kind,
      record.startedAt,
      record.status,
      record.trigger,
      record.actor ?? null,
      record.reason ?? null,
      JSON.stringify(record.summary),
    ]);
    return record;
  }

  async appendCheckResults(results: CheckResultRecord[]): Promise<void> {
    if (results.length === 0) return;
    await this.db.transaction(async (tx) => {
      // Each run's row is locked while its next seq is read, so two writers to one run cannot take the same seq.
      const runs = new Map<string, { seq: number; actor: string }>();
      for (const runId of [...new Set(results.map((r) => r.runId))].sort()) {
        const run = await tx.one<{ actor: string | null; trigger: string }>('SELECT actor, trigger FROM runs WHERE id = $1 FOR UPDATE', [runId]);
        const last = await tx.one<{ seq: number }>('SELECT COALESCE(MAX(seq), 0) AS seq FROM check_results WHERE run_id = $1', [runId]);
        runs.set(runId, { seq: last?.seq ?? 0, actor: actorOfTrigger(run?.actor, run?.trigger ?? 'cli') });
      }
      const rows: unknown[][] = [];
      const entries: NewLedgerEntry[] = [];
      for (const r of results) {
        const run = runs.get(r.runId) as { seq: number; actor: string };
        run.seq += 1;
        rows.push([r.runId, run.seq, ...resultValues(r)]);
        entries.push(checkResultEntry(r, run.seq, run.actor));
      }
      await insertRows(tx, 'check_results', RESULT_COLUMNS, rows);
      await appendLedger(tx, entries);
    });
  }

  async finishRun(id: string, status: Exclude<RunStatus, 'running'>, finishedAt: string, summary: Record<string, unknown>): Promise<RunRecord> {
    return this.db.transaction(async (tx) => {
      const changed = await tx.run("UPDATE runs SET status = $1, finished_at = $2, summary = $3 WHERE id = $4 AND status = 'running'", [status, finishedAt, JSON.stringify(summary), id]);
      const row = await tx.one<RunRow>('SELECT * FROM runs WHERE id = $1', [id]);
      if (!row) throw new Error(`finishRun: no run ${id}`);
      const run = toRun(row);
      if (changed === 0) throw new Error(`finishRun: run ${id} is already ${run.status}`);
      await appendLedger(tx, [runEntry(run)]);
      return run;
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = await this.db.one<RunRow>('SELECT * FROM runs WHERE id = $1', [id]);
    return row ? toRun(row) : undefined;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (value: unknown) => {
      args.push(value);
      return `$${args.length}`;
    };
    if (filter.kind) where.push(`kind = ${arg(filter.kind)}`);
    if (filter.status) where.push(`status = ${arg(filter.status)}`);
    if (filter.since) where.push(`started_at >= ${arg(filter.since)}`);
    if (filter.schedule !== undefined) where.push(`kind = 'job' AND (summary::jsonb ->> 'schedule') = ${arg(filter.schedule)}`);
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ${arg(filter.limit ?? 100)}`;
    return (await this.db.rows<RunRow>(sql, args)).map(toRun);
  }

  async checkResults(runId: string): Promise<CheckResultRecord[]> {
    return (await this.db.rows<ResultRow>('SELECT * FROM check_results WHERE run_id = $1 ORDER BY seq', [runId])).map(toResult);
  }

  async latestCheckResults(): Promise<CheckResultRecord[]> {
    // SQLite's query; NULLS FIRST because SQLite sorts a missing account or region first.
    const rows = await this.db.rows<ResultRow>(
      `WITH scoped AS (
         SELECT DISTINCT c.check_id, c.account_id, c.region, c.run_id, r.started_at FROM check_results c JOIN runs r ON r.id = c.run_id
       ), latest AS (
         SELECT check_id, account_id, region, run_id FROM (
           SELECT s.*, ROW_NUMBER() OVER (PARTITION BY check_id, account_id, region ORDER BY started_at DESC, run_id DESC) AS n FROM scoped s
         ) ranked WHERE n = 1
       )
       SELECT c.* FROM check_results c
       JOIN latest l ON l.run_id = c.run_id AND l.check_id = c.check_id AND l.account_id IS NOT DISTINCT FROM c.account_id AND l.region IS NOT DISTINCT FROM c.region
       ORDER BY c.check_id, c.account_id NULLS FIRST, c.region NULLS FIRST, c.seq`,
    );
    return rows.map(toResult);
  }

  async lastEvaluations(checkIds: string[]): Promise<Array<{ checkId: string; accountId: string; region: string; at: string }>> {
    if (checkIds.length === 0) return [];
    const rows = await this.db.rows<{ check_id: string; account_id: string; region: string; at: string }>(
      `SELECT check_id, account_id, region, MAX(evaluated_at) AS at FROM check_results
       WHERE status IN ('pass', 'fail', 'not_applicable') AND check_id = ANY($1)
       GROUP BY check_id, account_id, region ORDER BY check_id, account_id NULLS FIRST, region NULLS FIRST`,
      [checkIds],
    );
    return rows.map((r) => ({ checkId: r.check_id, accountId: r.account_id, region: r.region, at: r.at }));
  }

  async createDrill(drill: DrillRecord): Promise<void> {
    await this.db.transaction(async (tx) => {
      await insertRows(tx, 'drills', DRILL_COLUMNS, [drillValues(drill)]);
      // A drill is evidence once it has an outcome; one recorded already finished is too.
      if (drill.status !== 'running') await appendLedger(tx, [drillEntry(drill)]);
    });
  }

  async updateDrill(id: string, patch: Partial<Omit<DrillRecord, 'id'>>): Promise<DrillRecord> {
    return this.db.transaction((tx) => applyDrillPatch(tx, id, patch));
  }

  async finishDrillWithSignal(id: string, patch: Partial<Omit<DrillRecord, 'id'>>, signal?: Signal): Promise<DrillRecord> {
    return this.db.transaction(async (tx) => {
      // The signal first: the ledger append inside the patch is the transaction's last step.
      if (signal) await insertSignals(tx, [signal], '');
      return applyDrillPatch(tx, id, patch);
    });
  }

  async getDrill(id: string): Promise<DrillRecord | undefined> {
    const row = await this.db.one<DrillRow>('SELECT * FROM drills WHERE id = $1', [id]);
    return row ? toDrill(row) : undefined;
  }

  async listDrills(filter: { target?: string; status?: DrillStatus; limit?: number } = {}): Promise<DrillRecord[]> {
    const rows = await this.db.rows<DrillRow>(
      `SELECT * FROM drills WHERE ($1::text IS NULL OR target = $1) AND ($2::text IS NULL OR status = $2) ORDER BY started_at DESC, id DESC LIMIT $3`,
      [filter.target || null, filter.status || null, filter.limit ?? 100],
    );
    return rows.map(toDrill);
  }

  async lastSuccessfulDrills(): Promise<Map<string, DrillRecord>> {
    const rows = await this.db.rows<DrillRow>(
      `SELECT d.* FROM drills d JOIN (SELECT target, MAX(started_at) AS started_at FROM drills WHERE status = 'succeeded' GROUP BY target) last
         ON d.target = last.target AND d.started_at = last.started_at WHERE d.status = 'succeeded'`,
    );
    return new Map(rows.map((r) => [r.target, toDrill(r)]));
  }

  async listSignals(filter: { kind?: string; since?: string } = {}): Promise<Signal[]> {
    const rows = await this.db.rows<SignalRow>('SELECT * FROM signals WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR raised_at >= $2) ORDER BY raised_at, id', [
      filter.kind ?? null,
      filter.since ?? null,
    ]);
    return rows.map(toSignal);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

async function applyDrillPatch(tx: Tx, id: string, patch: Partial<Omit<DrillRecord, 'id'>>): Promise<DrillRecord> {
  const row = await tx.one<DrillRow>('SELECT * FROM drills WHERE id = $1 FOR UPDATE', [id]);
  if (!row) throw new Error(`updateDrill: no drill ${id}`);
  const previous = toDrill(row);
  const next: DrillRecord = { ...previous, ...patch, id };
  const values = drillValues(next);
  await tx.run(`UPDATE drills SET ${UPDATED_DRILL_COLUMNS.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`, [
    id,
    ...UPDATED_DRILL_COLUMNS.map((c) => values[DRILL_COLUMNS.indexOf(c)]),
  ]);
  if (next.status !== 'running') {
    // The entry that finishes a drill, and any later change to a finished drill's evidence (not a
    // heartbeat), so the ledger's last word on a drill is its record as stored.
    const entry = drillEntry(next);
    if (previous.status === 'running' || canonicalJson(drillEntry(previous).data) !== canonicalJson(entry.data)) await appendLedger(tx, [entry]);
  }
  return next;
}
