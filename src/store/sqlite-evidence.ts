/**
 * EvidenceStore on SQLite: attestations and waivers, each written with its ledger entry in one
 * IMMEDIATE transaction, and the aggregate queries a report is built from. The queries count in SQL
 * (GROUP BY over the check_results indexes) so a year of hourly results never reaches the heap.
 */
import type Database from 'better-sqlite3';
import type { Attestation, ReportPeriod, Waiver } from '../evidence/report-model.js';
import type { Incident } from '../incidents/types.js';
import type { CheckStats, DailyCheckCounts, EvidenceStore, StoredWaiver, WaiverRevocation } from './evidence-types.js';
import type { NewLedgerEntry } from './ledger-types.js';
import { appendInTransaction } from './sqlite-ledger.js';
import { attestationEntry, waiverEntry } from './ledger-entries.js';
import { byCheckScopeResource, sameScope, toAttestation, toDrill, toResult, toWaiver, WAIVER_SELECT, type AttestationRow, type DrillRow, type ResultRow, type WaiverRow } from './rows.js';
import type { CheckResultRecord, DrillRecord } from './types.js';

export class SqliteEvidenceStore implements EvidenceStore {
  constructor(private readonly db: Database.Database) {}

  async createAttestation(attestation: Omit<Attestation, 'id'>): Promise<Attestation> {
    return this.db
      .transaction(() => {
        const { seq } = this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM attestations').get() as { seq: number };
        const record: Attestation = { id: `ATT-${seq}`, ...attestation };
        this.db
          .prepare('INSERT INTO attestations (id, seq, control, owner, reason, file_name, file_sha256, file_bytes, at, actor, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(record.id, seq, record.control, record.owner, record.reason, record.file?.name ?? null, record.file?.sha256 ?? null, record.file?.bytes ?? null, record.at, record.actor, record.expiresAt ?? null);
        this.appendToLedger(attestationEntry(record));
        return record;
      })
      .immediate();
  }

  async listAttestations(filter: { control?: string; period?: ReportPeriod } = {}): Promise<Attestation[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.control) {
      where.push('control = ?');
      args.push(filter.control);
    }
    if (filter.period) {
      where.push('at < ? AND (expires_at IS NULL OR expires_at > ?)');
      args.push(filter.period.to, filter.period.from);
    }
    const sql = `SELECT * FROM attestations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`;
    return (this.db.prepare(sql).all(...args) as AttestationRow[]).map(toAttestation);
  }

  async createWaiver(waiver: Omit<Waiver, 'id' | 'revokedAt'>): Promise<StoredWaiver> {
    return this.db
      .transaction(() => {
        const { seq } = this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM waivers').get() as { seq: number };
        const record: StoredWaiver = { id: `WVR-${seq}`, checkId: waiver.checkId, resource: waiver.resource, reason: waiver.reason, until: waiver.until, at: waiver.at, actor: waiver.actor };
        this.db
          .prepare('INSERT INTO waivers (id, seq, check_id, resource, reason, until_at, at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(record.id, seq, record.checkId, record.resource, record.reason, record.until, record.at, record.actor);
        this.appendToLedger(waiverEntry(record, 'granted'));
        return record;
      })
      .immediate();
  }

  async getWaiver(id: string): Promise<StoredWaiver | undefined> {
    const row = this.db.prepare(`${WAIVER_SELECT} WHERE w.id = ? COLLATE NOCASE`).get(id) as WaiverRow | undefined;
    return row ? toWaiver(row) : undefined;
  }

  async listWaivers(filter: { checkId?: string; period?: ReportPeriod; activeAt?: string } = {}): Promise<StoredWaiver[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.checkId) {
      where.push('w.check_id = ?');
      args.push(filter.checkId);
    }
    if (filter.period) {
      where.push('w.at < ? AND w.until_at > ? AND (r.at IS NULL OR r.at > ?)');
      args.push(filter.period.to, filter.period.from, filter.period.from);
    }
    if (filter.activeAt) {
      where.push('w.at <= ? AND w.until_at > ? AND (r.at IS NULL OR r.at > ?)');
      args.push(filter.activeAt, filter.activeAt, filter.activeAt);
    }
    const sql = `${WAIVER_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY w.seq`;
    return (this.db.prepare(sql).all(...args) as WaiverRow[]).map(toWaiver);
  }

  async revokeWaiver(id: string, revocation: WaiverRevocation): Promise<StoredWaiver | undefined> {
    return this.db
      .transaction(() => {
        const row = this.db.prepare(`${WAIVER_SELECT} WHERE w.id = ? COLLATE NOCASE`).get(id) as WaiverRow | undefined;
        if (!row || row.revoked_at !== null) return undefined;
        this.db.prepare('INSERT INTO waiver_revocations (waiver_id, at, actor, reason) VALUES (?, ?, ?, ?)').run(row.id, revocation.at, revocation.actor, revocation.reason);
        const revoked: StoredWaiver = { ...toWaiver(row), revokedAt: revocation.at, revokedBy: revocation.actor, revokeReason: revocation.reason };
        this.appendToLedger(waiverEntry(revoked, 'revoked'));
        return revoked;
      })
      .immediate();
  }

  async checkStats(period: ReportPeriod): Promise<CheckStats[]> {
    const rows = this.db
      .prepare(
        `SELECT check_id, COUNT(DISTINCT run_id) AS runs, COUNT(*) AS evaluations,
           SUM(CASE WHEN status = 'pass' THEN 1 ELSE 0 END) AS pass,
           SUM(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) AS fail,
           SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS error,
           SUM(CASE WHEN status = 'not_applicable' THEN 1 ELSE 0 END) AS not_applicable,
           SUM(CASE WHEN status = 'manual' THEN 1 ELSE 0 END) AS manual,
           MAX(evaluated_at) AS last_at
         FROM check_results WHERE evaluated_at >= ? AND evaluated_at < ?
         GROUP BY check_id ORDER BY check_id`,
      )
      .all(period.from, period.to) as Array<{ check_id: string; runs: number; evaluations: number; pass: number; fail: number; error: number; not_applicable: number; manual: number; last_at: string }>;
    return rows.map((r) => ({
      checkId: r.check_id,
      runs: r.runs,
      evaluations: r.evaluations,
      pass: r.pass,
      fail: r.fail,
      error: r.error,
      notApplicable: r.not_applicable,
      manual: r.manual,
      lastEvaluatedAt: r.last_at,
    }));
  }

  async checkRunCount(period: ReportPeriod): Promise<number> {
    const row = this.db.prepare('SELECT COUNT(DISTINCT run_id) AS n FROM check_results WHERE evaluated_at >= ? AND evaluated_at < ?').get(period.from, period.to) as { n: number };
    return row.n;
  }

  async failingAtEnd(period: ReportPeriod): Promise<CheckResultRecord[]> {
    // The last run of each check per account and region is the one holding its newest result in the
    // period; its failing results are what was still failing when the period ended. Three small steps
    // on the indexes: one join over a million rows with null-safe comparisons cannot use them.
    const last = this.db
      .prepare(
        `SELECT check_id, account_id, region, MAX(evaluated_at) AS at FROM check_results
         WHERE evaluated_at >= ? AND evaluated_at < ? GROUP BY check_id, account_id, region`,
      )
      .all(period.from, period.to) as Array<{ check_id: string; account_id: string | null; region: string | null; at: string }>;
    // Account and region are compared here, not in SQL: a condition on them steers SQLite's planner to
    // the (account_id, region) index, which holds half the table, instead of (check_id, evaluated_at).
    const runsAt = this.db.prepare('SELECT run_id, account_id, region FROM check_results WHERE check_id = ? AND evaluated_at = ?');
    // By run (the primary key's prefix): a run holds a hundred results, a check a year of them.
    const failing = this.db.prepare("SELECT * FROM check_results WHERE run_id = ? AND check_id = ? AND status = 'fail'");
    const inPeriod = (r: ResultRow) => r.evaluated_at >= period.from && r.evaluated_at < period.to;
    const out: ResultRow[] = [];
    for (const l of last) {
      const run = (runsAt.all(l.check_id, l.at) as Array<{ run_id: string; account_id: string | null; region: string | null }>).find((r) => sameScope(r, l));
      if (!run) continue;
      out.push(...(failing.all(run.run_id, l.check_id) as ResultRow[]).filter((r) => sameScope(r, l) && inPeriod(r)));
    }
    return out.sort(byCheckScopeResource).map(toResult);
  }

  async dailyCheckCounts(period: ReportPeriod): Promise<DailyCheckCounts[]> {
    const rows = this.db
      .prepare(
        `SELECT substr(evaluated_at, 1, 10) AS day,
           SUM(CASE WHEN status = 'pass' THEN 1 ELSE 0 END) AS pass,
           SUM(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) AS fail
         FROM check_results WHERE evaluated_at >= ? AND evaluated_at < ? AND status IN ('pass', 'fail')
         GROUP BY substr(evaluated_at, 1, 10) ORDER BY day`,
      )
      .all(period.from, period.to) as Array<{ day: string; pass: number; fail: number }>;
    return rows;
  }

  async drillsIn(period: ReportPeriod): Promise<DrillRecord[]> {
    const rows = this.db.prepare('SELECT * FROM drills WHERE started_at >= ? AND started_at < ? ORDER BY started_at, id').all(period.from, period.to) as DrillRow[];
    return rows.map(toDrill);
  }

  async incidentsIn(period: ReportPeriod): Promise<Incident[]> {
    const rows = this.db.prepare('SELECT doc FROM incidents WHERE reported_at >= ? AND reported_at < ? ORDER BY reported_at, seq').all(period.from, period.to) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as Incident);
  }

  async *streamCheckResults(period: ReportPeriod): AsyncIterable<CheckResultRecord> {
    // iterate() walks the cursor row by row; the caller writes each one out before asking for the next.
    const rows = this.db
      .prepare('SELECT * FROM check_results WHERE evaluated_at >= ? AND evaluated_at < ? ORDER BY evaluated_at, run_id, seq')
      .iterate(period.from, period.to) as IterableIterator<ResultRow>;
    for (const row of rows) yield toResult(row);
  }

  /** The one place attestations and waivers reach the ledger: inside the transaction that writes them. */
  private appendToLedger(entry: NewLedgerEntry): void {
    appendInTransaction(this.db, [entry]);
  }
}

