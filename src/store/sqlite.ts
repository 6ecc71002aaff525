/**
 * The embedded default: one SQLite file in the data directory, WAL mode, synchronous=FULL so a commit
 * survives kill -9 and power loss, and every multi-row write in one transaction.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { ConfigError, EnvironmentError } from '../core/errors.js';
import { SqliteClusterStore } from './sqlite-cluster.js';
import { SqliteEvidenceStore } from './sqlite-evidence.js';
import { SqliteIncidentStore } from './sqlite-incidents.js';
import { appendInTransaction, SqliteLedgerStore } from './sqlite-ledger.js';
import { actorOfTrigger, checkResultEntry, drillEntry, runEntry } from './ledger-entries.js';
import { SqliteProbeStore } from './sqlite-probes.js';
import { SqliteTokenStore } from './sqlite-tokens.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, SCHEMA_MIGRATIONS_TABLE, type Migration } from './migrations.js';
import { canonicalJson, sha256Hex } from '../evidence/canonical.js';
import type { NewLedgerEntry } from './ledger-types.js';
import { drillRow, toDrill, toResult, toRun, type DrillRow, type ResultRow, type RunRow } from './rows.js';
import type { CheckResultRecord, DrillRecord, DrillStatus, RunFilter, RunRecord, RunStatus, Signal, Store } from './types.js';

export const DB_FILE = 'vigil.db';

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly file: string;
  readonly incidents: SqliteIncidentStore;
  readonly probes: SqliteProbeStore;
  readonly tokens: SqliteTokenStore;
  readonly evidence: SqliteEvidenceStore;
  readonly ledger: SqliteLedgerStore;
  readonly cluster: SqliteClusterStore;
  private readonly db: Database.Database;

  private constructor(file: string, db: Database.Database) {
    this.file = file;
    this.db = db;
    this.incidents = new SqliteIncidentStore(db);
    this.probes = new SqliteProbeStore(db);
    this.tokens = new SqliteTokenStore(db);
    this.evidence = new SqliteEvidenceStore(db);
    this.ledger = new SqliteLedgerStore(db);
    this.cluster = new SqliteClusterStore(db);
  }

  /** Opens (creating if needed) the store in `dataDir` and applies pending migrations. */
  static open(dataDir: string, migrations: readonly Migration[] = MIGRATIONS): SqliteStore {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      throw new EnvironmentError(`cannot create the data directory ${dataDir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const file = join(dataDir, DB_FILE);
    let db: Database.Database;
    try {
      db = new Database(file);
    } catch (err) {
      throw new EnvironmentError(`cannot open the state store ${file}: ${(err as Error).message}`);
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const store = new SqliteStore(file, db);
    store.migrate(migrations);
    return store;
  }

  private migrate(migrations: readonly Migration[]): void {
    this.db.exec(SCHEMA_MIGRATIONS_TABLE.sqlite);
    const current = this.currentVersion();
    const known = migrations[migrations.length - 1]?.version ?? 0;
    if (current > known) {
      throw new ConfigError([
        { file: this.file, path: '', message: `the store is at schema version ${current}, newer than this Vigil knows (${known}); upgrade Vigil or point --data-dir elsewhere` },
      ]);
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      // Each migration and its bookkeeping row commit together: a crash leaves the previous version.
      // The version is read again under the write lock: another process opening a fresh store at the
      // same moment may have applied it first.
      this.db.transaction(() => {
        if (this.currentVersion() >= migration.version) return;
        this.db.exec(migration.sql);
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, new Date().toISOString());
      }).immediate();
    }
  }

  private currentVersion(): number {
    const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    return row.v ?? 0;
  }

  async schemaVersion(): Promise<number> {
    return this.currentVersion();
  }

  async startRun(run: Omit<RunRecord, 'status' | 'summary'> & { summary?: Record<string, unknown> }): Promise<RunRecord> {
    const record: RunRecord = { ...run, status: 'running', summary: run.summary ?? {} };
    this.db
      .prepare('INSERT INTO runs (id, kind, started_at, finished_at, status, trigger, actor, reason, summary) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?)')
      .run(record.id, record.kind, record.startedAt, record.status, record.trigger, record.actor ?? null, record.reason ?? null, JSON.stringify(record.summary));
    return record;
  }

  async appendCheckResults(results: CheckResultRecord[]): Promise<void> {
    if (results.length === 0) return;
    const texts = await resultTexts(results);
    const next = this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM check_results WHERE run_id = ?');
    const insert = this.db.prepare(
      'INSERT INTO check_results (run_id, seq, check_id, account_id, region, resource, resource_name, severity, status, message, facts, params, remediation, evaluated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const runOf = this.db.prepare('SELECT actor, trigger FROM runs WHERE id = ?');
    this.db.transaction(() => {
      const seqByRun = new Map<string, number>();
      const actorByRun = new Map<string, string>();
      const entries: NewLedgerEntry[] = [];
      for (let i = 0; i < results.length; i++) {
        const r = results[i] as CheckResultRecord;
        const text = texts[i] as ResultTexts;
        let seq = seqByRun.get(r.runId) ?? (next.get(r.runId) as { seq: number }).seq;
        seq += 1;
        seqByRun.set(r.runId, seq);
        insert.run(r.runId, seq, r.checkId, r.accountId, r.region, r.resource, r.name, r.severity, r.status, r.message, text.facts, text.params, r.remediation, r.evaluatedAt);
        let actor = actorByRun.get(r.runId);
        if (actor === undefined) {
          const run = runOf.get(r.runId) as { actor: string | null; trigger: string } | undefined;
          actor = actorOfTrigger(run?.actor, run?.trigger ?? 'cli');
          actorByRun.set(r.runId, actor);
        }
        entries.push(checkResultEntry(r, seq, actor, text.factsSha256));
      }
      appendInTransaction(this.db, entries);
    }).immediate();
  }

  async finishRun(id: string, status: Exclude<RunStatus, 'running'>, finishedAt: string, summary: Record<string, unknown>): Promise<RunRecord> {
    return this.db
      .transaction(() => {
        const changed = this.db
          .prepare("UPDATE runs SET status = ?, finished_at = ?, summary = ? WHERE id = ? AND status = 'running'")
          .run(status, finishedAt, JSON.stringify(summary), id).changes;
        const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
        if (!row) throw new Error(`finishRun: no run ${id}`);
        const run = toRun(row);
        if (changed === 0) throw new Error(`finishRun: run ${id} is already ${run.status}`);
        appendInTransaction(this.db, [runEntry(run)]);
        return run;
      })
      .immediate();
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? toRun(row) : undefined;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.kind) {
      where.push('kind = ?');
      args.push(filter.kind);
    }
    if (filter.status) {
      where.push('status = ?');
      args.push(filter.status);
    }
    if (filter.since) {
      where.push('started_at >= ?');
      args.push(filter.since);
    }
    if (filter.schedule !== undefined) {
      // Walks runs_kind_started backwards from the newest: the last run of a weekly schedule is found
      // within a week of other jobs' runs.
      where.push("kind = 'job' AND json_extract(summary, '$.schedule') = ?");
      args.push(filter.schedule);
    }
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, filter.limit ?? 100) as RunRow[]).map(toRun);
  }

  async checkResults(runId: string): Promise<CheckResultRecord[]> {
    return (this.db.prepare('SELECT * FROM check_results WHERE run_id = ? ORDER BY seq').all(runId) as ResultRow[]).map(toResult);
  }

  async latestCheckResults(): Promise<CheckResultRecord[]> {
    // A window function rather than SQLite's bare-column MAX, so the same SQL serves PostgreSQL.
    const rows = this.db
      .prepare(
        `WITH scoped AS (
           SELECT DISTINCT c.check_id, c.account_id, c.region, c.run_id, r.started_at FROM check_results c JOIN runs r ON r.id = c.run_id
         ), latest AS (
           SELECT check_id, account_id, region, run_id FROM (
             SELECT s.*, ROW_NUMBER() OVER (PARTITION BY check_id, account_id, region ORDER BY started_at DESC, run_id DESC) AS n FROM scoped s
           ) ranked WHERE n = 1
         )
         SELECT c.* FROM check_results c
         JOIN latest l ON l.run_id = c.run_id AND l.check_id = c.check_id AND l.account_id IS NOT DISTINCT FROM c.account_id AND l.region IS NOT DISTINCT FROM c.region
         ORDER BY c.check_id, c.account_id, c.region, c.seq`,
      )
      .all() as ResultRow[];
    return rows.map(toResult);
  }

  async lastEvaluations(checkIds: string[]): Promise<Array<{ checkId: string; accountId: string; region: string; at: string }>> {
    if (checkIds.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT check_id, account_id, region, MAX(evaluated_at) AS at FROM check_results
         WHERE status IN ('pass', 'fail', 'not_applicable') AND check_id IN (${checkIds.map(() => '?').join(', ')})
         GROUP BY check_id, account_id, region`,
      )
      .all(...checkIds) as Array<{ check_id: string; account_id: string; region: string; at: string }>;
    return rows.map((r) => ({ checkId: r.check_id, accountId: r.account_id, region: r.region, at: r.at }));
  }

  async createDrill(drill: DrillRecord): Promise<void> {
    this.db
      .transaction(() => {
        this.db
          .prepare(
            `INSERT INTO drills (id, target, account_id, region, status, trigger, actor, reason, owner, started_at, heartbeat_at, finished_at,
               recovery_point, restored_resource, phases, verification, measures, failure)
             VALUES (@id, @target, @accountId, @region, @status, @trigger, @actor, @reason, @owner, @startedAt, @heartbeatAt, @finishedAt,
               @recoveryPoint, @restoredResource, @phases, @verification, @measures, @failure)`,
          )
          .run(drillRow(drill));
        // A drill is evidence once it has an outcome; one recorded already finished is too.
        if (drill.status !== 'running') appendInTransaction(this.db, [drillEntry(drill)]);
      })
      .immediate();
  }

  async updateDrill(id: string, patch: Partial<Omit<DrillRecord, 'id'>>): Promise<DrillRecord> {
    return this.db.transaction(() => this.applyDrillPatch(id, patch)).immediate();
  }

  private applyDrillPatch(id: string, patch: Partial<Omit<DrillRecord, 'id'>>): DrillRecord {
    const row = this.db.prepare('SELECT * FROM drills WHERE id = ?').get(id) as DrillRow | undefined;
    if (!row) throw new Error(`updateDrill: no drill ${id}`);
    const previous = toDrill(row);
    const next: DrillRecord = { ...previous, ...patch, id };
    this.db
      .prepare(
        `UPDATE drills SET status = @status, heartbeat_at = @heartbeatAt, finished_at = @finishedAt, recovery_point = @recoveryPoint,
           restored_resource = @restoredResource, phases = @phases, verification = @verification, measures = @measures, failure = @failure
         WHERE id = @id`,
      )
      .run(drillRow(next));
    if (next.status !== 'running') {
      // The entry that finishes a drill, and any later change to a finished drill's evidence (not a
      // heartbeat), so the ledger's last word on a drill is its record as stored.
      const entry = drillEntry(next);
      if (previous.status === 'running' || canonicalJson(drillEntry(previous).data) !== canonicalJson(entry.data)) appendInTransaction(this.db, [entry]);
    }
    return next;
  }

  async finishDrillWithSignal(id: string, patch: Partial<Omit<DrillRecord, 'id'>>, signal?: Signal): Promise<DrillRecord> {
    return this.db
      .transaction(() => {
        const drill = this.applyDrillPatch(id, patch);
        if (signal) {
          this.db
            .prepare('INSERT INTO signals (id, kind, key, source, raised_at, summary, payload) VALUES (?, ?, ?, ?, ?, ?, ?)')
            .run(signal.id, signal.kind, signal.key, signal.source, signal.raisedAt, signal.summary, JSON.stringify(signal.payload));
        }
        return drill;
      })
      .immediate();
  }

  async getDrill(id: string): Promise<DrillRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM drills WHERE id = ?').get(id) as DrillRow | undefined;
    return row ? toDrill(row) : undefined;
  }

  async listDrills(filter: { target?: string; status?: DrillStatus; limit?: number } = {}): Promise<DrillRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.target) {
      where.push('target = ?');
      args.push(filter.target);
    }
    if (filter.status) {
      where.push('status = ?');
      args.push(filter.status);
    }
    const sql = `SELECT * FROM drills ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, filter.limit ?? 100) as DrillRow[]).map(toDrill);
  }

  async lastSuccessfulDrills(): Promise<Map<string, DrillRecord>> {
    const rows = this.db
      .prepare(
        `SELECT d.* FROM drills d JOIN (SELECT target, MAX(started_at) AS started_at FROM drills WHERE status = 'succeeded' GROUP BY target) last
           ON d.target = last.target AND d.started_at = last.started_at WHERE d.status = 'succeeded'`,
      )
      .all() as DrillRow[];
    return new Map(rows.map((r) => [r.target, toDrill(r)]));
  }

  async listSignals(filter: { kind?: string; since?: string } = {}): Promise<Signal[]> {
    const rows = this.db
      .prepare(`SELECT * FROM signals WHERE (? IS NULL OR kind = ?) AND (? IS NULL OR raised_at >= ?) ORDER BY raised_at, id`)
      .all(filter.kind ?? null, filter.kind ?? null, filter.since ?? null, filter.since ?? null) as Array<{ id: string; kind: string; key: string; source: string; raised_at: string; summary: string; payload: string }>;
    return rows.map((r) => ({ id: r.id, kind: r.kind, key: r.key, source: r.source, raisedAt: r.raised_at, summary: r.summary, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

export { LATEST_SCHEMA_VERSION };

interface ResultTexts {
  facts: string;
  factsSha256: string;
  params: string;
}

/** Results serialized this long at a time before the event loop gets a turn. */
const SERIALIZE_SLICE_MS = 10;

/**
 * Each result's facts as canonical JSON (stored as is, and what the ledger hashes: serialized once) and
 * its params (one text per check's params object), worked out before the write transaction and a slice
 * at a time: the largest batch of a scan (25,000 snapshots) would otherwise hold the event loop, and
 * SQLite's write lock, for the whole of it.
 */
async function resultTexts(results: readonly CheckResultRecord[]): Promise<ResultTexts[]> {
  const params = new Map<unknown, string>();
  const out: ResultTexts[] = [];
  let since = performance.now();
  for (let i = 0; i < results.length; i++) {
    const r = results[i] as CheckResultRecord;
    if (performance.now() - since > SERIALIZE_SLICE_MS) {
      await yieldToLoop();
      since = performance.now();
    }
    const facts = canonicalJson(r.facts);
    let paramsText = params.get(r.params);
    if (paramsText === undefined) {
      paramsText = JSON.stringify(r.params);
      params.set(r.params, paramsText);
    }
    out.push({ facts, factsSha256: sha256Hex(facts), params: paramsText });
  }
  return out;
}
