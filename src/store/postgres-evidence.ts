/**
 * EvidenceStore on PostgreSQL: attestations and waivers, each written with its ledger entry in one
 * transaction (ids from `MAX(seq) + 1` under an advisory lock), and the aggregate queries a report is
 * built from, counted in SQL; raw results are streamed through a server-side cursor.
 */
import type { Attestation, ReportPeriod, Waiver } from '../evidence/report-model.js';
import type { Incident } from '../incidents/types.js';
import type { CheckStats, DailyCheckCounts, EvidenceStore, StoredWaiver, WaiverRevocation } from './evidence-types.js';
import { attestationEntry, waiverEntry } from './ledger-entries.js';
import type { PgDb } from './postgres-db.js';
import { appendLedger } from './postgres-ledger.js';
import { byCheckScopeResource, sameScope, toAttestation, toDrill, toResult, toWaiver, WAIVER_SELECT, type AttestationRow, type DrillRow, type ResultRow, type ScopeColumns, type WaiverRow } from './rows.js';
import type { CheckResultRecord, DrillRecord } from './types.js';

export class PostgresEvidenceStore implements EvidenceStore {
  constructor(private readonly db: PgDb) {}

  async createAttestation(attestation: Omit<Attestation, 'id'>): Promise<Attestation> {
    return this.db.transaction(async (tx) => {
      await tx.lock('attestations');
      const { seq } = (await tx.one<{ seq: number }>('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM attestations')) as { seq: number };
      const record: Attestation = { id: `ATT-${seq}`, ...attestation };
      await tx.run('INSERT INTO attestations (id, seq, control, owner, reason, file_name, file_sha256, file_bytes, at, actor, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [
        record.id,
        seq,
        record.control,
        record.owner,
        record.reason,
        record.file?.name ?? null,
        record.file?.sha256 ?? null,
        record.file?.bytes ?? null,
        record.at,
        record.actor,
        record.expiresAt ?? null,
      ]);
      await appendLedger(tx, [attestationEntry(record)]);
      return record;
    });
  }

  async listAttestations(filter: { control?: string; period?: ReportPeriod } = {}): Promise<Attestation[]> {
    const rows = await this.db.rows<AttestationRow>(
      `SELECT * FROM attestations WHERE ($1::text IS NULL OR control = $1)
         AND ($2::text IS NULL OR (at < $2 AND (expires_at IS NULL OR expires_at > $3))) ORDER BY seq`,
      [filter.control || null, filter.period?.to ?? null, filter.period?.from ?? null],
    );
    return rows.map(toAttestation);
  }

  async createWaiver(waiver: Omit<Waiver, 'id' | 'revokedAt'>): Promise<StoredWaiver> {
    return this.db.transaction(async (tx) => {
      await tx.lock('waivers');
      const { seq } = (await tx.one<{ seq: number }>('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM waivers')) as { seq: number };
      const record: StoredWaiver = { id: `WVR-${seq}`, checkId: waiver.checkId, resource: waiver.resource, reason: waiver.reason, until: waiver.until, at: waiver.at, actor: waiver.actor };
      await tx.run('INSERT INTO waivers (id, seq, check_id, resource, reason, until_at, at, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        record.id,
        seq,
        record.checkId,
        record.resource,
        record.reason,
        record.until,
        record.at,
        record.actor,
      ]);
      await appendLedger(tx, [waiverEntry(record, 'granted')]);
      return record;
    });
  }

  async getWaiver(id: string): Promise<StoredWaiver | undefined> {
    const row = await this.db.one<WaiverRow>(`${WAIVER_SELECT} WHERE UPPER(w.id) = UPPER($1)`, [id]);
    return row ? toWaiver(row) : undefined;
  }

  async listWaivers(filter: { checkId?: string; period?: ReportPeriod; activeAt?: string } = {}): Promise<StoredWaiver[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (value: unknown) => {
      args.push(value);
      return `$${args.length}`;
    };
    if (filter.checkId) where.push(`w.check_id = ${arg(filter.checkId)}`);
    if (filter.period) {
      const from = arg(filter.period.from);
      where.push(`w.at < ${arg(filter.period.to)} AND w.until_at > ${from} AND (r.at IS NULL OR r.at > ${from})`);
    }
    if (filter.activeAt) {
      const at = arg(filter.activeAt);
      where.push(`w.at <= ${at} AND w.until_at > ${at} AND (r.at IS NULL OR r.at > ${at})`);
    }
    const rows = await this.db.rows<WaiverRow>(`${WAIVER_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY w.seq`, args);
    return rows.map(toWaiver);
  }

  async revokeWaiver(id: string, revocation: WaiverRevocation): Promise<StoredWaiver | undefined> {
    return this.db.transaction(async (tx) => {
      const row = await tx.one<WaiverRow>(`${WAIVER_SELECT} WHERE UPPER(w.id) = UPPER($1) FOR UPDATE OF w`, [id]);
      if (!row || row.revoked_at !== null) return undefined;
      // A revocation committed while this one waited for the row is not in the row read above: the key decides.
      const inserted = await tx.run('INSERT INTO waiver_revocations (waiver_id, at, actor, reason) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
        row.id,
        revocation.at,
        revocation.actor,
        revocation.reason,
      ]);
      if (inserted === 0) return undefined;
      const revoked: StoredWaiver = { ...toWaiver(row), revokedAt: revocation.at, revokedBy: revocation.actor, revokeReason: revocation.reason };
      await appendLedger(tx, [waiverEntry(revoked, 'revoked')]);
      return revoked;
    });
  }

  async checkStats(period: ReportPeriod): Promise<CheckStats[]> {
    const rows = await this.db.rows<{ check_id: string; runs: number; evaluations: number; pass: number; fail: number; error: number; not_applicable: number; manual: number; last_at: string }>(
      `SELECT check_id, COUNT(DISTINCT run_id) AS runs, COUNT(*) AS evaluations,
         SUM(CASE WHEN status = 'pass' THEN 1 ELSE 0 END) AS pass,
         SUM(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) AS fail,
         SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS error,
         SUM(CASE WHEN status = 'not_applicable' THEN 1 ELSE 0 END) AS not_applicable,
         SUM(CASE WHEN status = 'manual' THEN 1 ELSE 0 END) AS manual,
         MAX(evaluated_at) AS last_at
       FROM check_results WHERE evaluated_at >= $1 AND evaluated_at < $2
       GROUP BY check_id ORDER BY check_id`,
      [period.from, period.to],
    );
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
    const row = await this.db.one<{ n: number }>('SELECT COUNT(DISTINCT run_id) AS n FROM check_results WHERE evaluated_at >= $1 AND evaluated_at < $2', [period.from, period.to]);
    return row?.n ?? 0;
  }

  async failingAtEnd(period: ReportPeriod): Promise<CheckResultRecord[]> {
    // SQLite's three steps on the indexes (see SqliteEvidenceStore.failingAtEnd), the scope compared here.
    const last = await this.db.rows<ScopeColumns & { check_id: string; at: string }>(
      `SELECT check_id, account_id, region, MAX(evaluated_at) AS at FROM check_results
       WHERE evaluated_at >= $1 AND evaluated_at < $2 GROUP BY check_id, account_id, region`,
      [period.from, period.to],
    );
    const inPeriod = (r: ResultRow) => r.evaluated_at >= period.from && r.evaluated_at < period.to;
    const out: ResultRow[] = [];
    for (const l of last) {
      const runs = await this.db.rows<ScopeColumns & { run_id: string }>('SELECT run_id, account_id, region FROM check_results WHERE check_id = $1 AND evaluated_at = $2', [l.check_id, l.at]);
      const run = runs.find((r) => sameScope(r, l));
      if (!run) continue;
      const failing = await this.db.rows<ResultRow>("SELECT * FROM check_results WHERE run_id = $1 AND check_id = $2 AND status = 'fail'", [run.run_id, l.check_id]);
      out.push(...failing.filter((r) => sameScope(r, l) && inPeriod(r)));
    }
    return out.sort(byCheckScopeResource).map(toResult);
  }

  async dailyCheckCounts(period: ReportPeriod): Promise<DailyCheckCounts[]> {
    return this.db.rows<DailyCheckCounts>(
      `SELECT substr(evaluated_at, 1, 10) AS day,
         SUM(CASE WHEN status = 'pass' THEN 1 ELSE 0 END) AS pass,
         SUM(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) AS fail
       FROM check_results WHERE evaluated_at >= $1 AND evaluated_at < $2 AND status IN ('pass', 'fail')
       GROUP BY substr(evaluated_at, 1, 10) ORDER BY day`,
      [period.from, period.to],
    );
  }

  async drillsIn(period: ReportPeriod): Promise<DrillRecord[]> {
    const rows = await this.db.rows<DrillRow>('SELECT * FROM drills WHERE started_at >= $1 AND started_at < $2 ORDER BY started_at, id', [period.from, period.to]);
    return rows.map(toDrill);
  }

  async incidentsIn(period: ReportPeriod): Promise<Incident[]> {
    const rows = await this.db.rows<{ doc: string }>('SELECT doc FROM incidents WHERE reported_at >= $1 AND reported_at < $2 ORDER BY reported_at, seq', [period.from, period.to]);
    return rows.map((r) => JSON.parse(r.doc) as Incident);
  }

  async *streamCheckResults(period: ReportPeriod): AsyncIterable<CheckResultRecord> {
    const batches = this.db.cursor<ResultRow>('SELECT * FROM check_results WHERE evaluated_at >= $1 AND evaluated_at < $2 ORDER BY evaluated_at, run_id, seq', [period.from, period.to]);
    for await (const batch of batches) for (const row of batch) yield toResult(row);
  }
}
