/**
 * IncidentStore on PostgreSQL. Each write is one transaction, so the incident change, its outbox rows,
 * its routed signals and its SLA events commit together or not at all. Where SQLite serialised every
 * writer, here a change locks its incident's row (`FOR UPDATE`) before checking the version, new ids
 * (`MAX(seq) + 1`) are taken under an advisory lock, and outbox claims skip rows another replica is
 * claiming (`FOR UPDATE SKIP LOCKED`) so each message is leased to one dispatcher.
 */
import { ConflictError } from '../core/errors.js';
import type { ChannelName, ChannelRefs, Notification } from '../incidents/delivery.js';
import type { Incident } from '../incidents/types.js';
import type {
  IncidentFilter,
  IncidentStore,
  IncidentWrite,
  MaintenanceWindow,
  OutboxRecord,
  OutboxStatus,
  SlaEventRecord,
  StoredIncident,
} from './incident-types.js';
import { incidentEntry, maintenanceEntry, notificationEntry } from './ledger-entries.js';
import { insertRows, type PgDb, type Sql, type Tx } from './postgres-db.js';
import { appendLedger } from './postgres-ledger.js';
import { subjectOf, toOutbox, toSignal, toSlaEvent, toStoredIncident, type IncidentRow, type OutboxRow, type SignalRow, type SlaEventRow } from './rows.js';
import type { Signal } from './types.js';

const OPEN = "state != 'resolved'";

export class PostgresIncidentStore implements IncidentStore {
  constructor(private readonly db: PgDb) {}

  async createIncident(build: (id: string) => Omit<IncidentWrite, 'expectedVersion'>): Promise<StoredIncident> {
    return this.db.transaction(async (tx) => {
      await tx.lock('incidents');
      const { seq } = (await tx.one<{ seq: number }>('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM incidents')) as { seq: number };
      const write = build(`INC-${seq}`);
      const swept = write.slaSweptTo ?? write.incident.reportedAt;
      await tx.run('INSERT INTO incidents (id, seq, severity, state, reported_at, version, sla_swept_to, doc) VALUES ($1, $2, $3, $4, $5, 1, $6, $7)', [
        write.incident.id,
        seq,
        write.incident.severity,
        write.incident.state,
        write.incident.reportedAt,
        swept,
        JSON.stringify(write.incident),
      ]);
      const slaEvents = await writeAttachments(tx, { ...write, expectedVersion: 0 });
      const entry = incidentEntry(write.incident, 1, { newTimeline: write.incident.timeline, slaEvents, severityOrStateChanged: true });
      if (entry) await appendLedger(tx, [entry]);
      return { incident: write.incident, version: 1, slaSweptTo: swept };
    });
  }

  async saveIncident(write: IncidentWrite): Promise<StoredIncident> {
    return this.db.transaction(async (tx) => {
      const { incident } = write;
      const current = await tx.one<{ version: number; sla_swept_to: string; severity: string; state: string; doc: string }>(
        'SELECT version, sla_swept_to, severity, state, doc FROM incidents WHERE id = $1 FOR UPDATE',
        [incident.id],
      );
      if (!current) throw new ConflictError(`incident ${incident.id} does not exist`);
      if (current.version !== write.expectedVersion) {
        throw new ConflictError(`incident ${incident.id} changed since it was read (version ${current.version}, expected ${write.expectedVersion})`);
      }
      const swept = write.slaSweptTo ?? current.sla_swept_to;
      const version = current.version + 1;
      await tx.run('UPDATE incidents SET severity = $1, state = $2, reported_at = $3, version = $4, sla_swept_to = $5, doc = $6 WHERE id = $7', [
        incident.severity,
        incident.state,
        incident.reportedAt,
        version,
        swept,
        JSON.stringify(incident),
        incident.id,
      ]);
      const slaEvents = await writeAttachments(tx, write);
      // The timeline only grows, so what this write added is what lies past the stored one.
      const before = (JSON.parse(current.doc) as Incident).timeline.length;
      const entry = incidentEntry(incident, version, {
        newTimeline: incident.timeline.slice(before),
        slaEvents,
        severityOrStateChanged: current.severity !== incident.severity || current.state !== incident.state,
      });
      if (entry) await appendLedger(tx, [entry]);
      return { incident, version, slaSweptTo: swept };
    });
  }

  async getIncident(id: string): Promise<StoredIncident | undefined> {
    // Ids are matched without regard to case, as SQLite's COLLATE NOCASE does (ASCII only).
    const row = await this.db.one<IncidentRow>('SELECT id, version, sla_swept_to, doc FROM incidents WHERE UPPER(id) = UPPER($1)', [id]);
    return row ? toStoredIncident(row) : undefined;
  }

  async listIncidents(filter: IncidentFilter = {}): Promise<StoredIncident[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (value: unknown) => {
      args.push(value);
      return `$${args.length}`;
    };
    if (filter.open === true) where.push(OPEN);
    if (filter.open === false) where.push(`NOT (${OPEN})`);
    if (filter.severity) where.push(`severity = ${arg(filter.severity)}`);
    if (filter.state) where.push(`state = ${arg(filter.state)}`);
    if (filter.since) where.push(`reported_at >= ${arg(filter.since)}`);
    const sql = `SELECT id, version, sla_swept_to, doc FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${arg(filter.limit ?? 1000)}`;
    return (await this.db.rows<IncidentRow>(sql, args)).map(toStoredIncident);
  }

  async incidentsForSignal(key: string, signalId: string): Promise<StoredIncident[]> {
    const rows = await this.db.rows<IncidentRow>(
      `SELECT i.id, i.version, i.sla_swept_to, i.doc FROM incidents i
       WHERE (i.${OPEN} AND i.id IN (SELECT incident_id FROM incident_keys WHERE key = $1))
          OR i.id IN (SELECT incident_id FROM signal_routes WHERE signal_id = $2)
       ORDER BY i.seq`,
      [key, signalId],
    );
    return rows.map(toStoredIncident);
  }

  async unroutedSignals(limit = 500): Promise<Signal[]> {
    const rows = await this.db.rows<SignalRow>('SELECT s.* FROM signals s WHERE NOT EXISTS (SELECT 1 FROM signal_routes r WHERE r.signal_id = s.id) ORDER BY s.raised_at, s.id LIMIT $1', [limit]);
    return rows.map(toSignal);
  }

  async markSignalsRouted(routes: Array<{ id: string; action: string }>, at: string): Promise<void> {
    if (routes.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const r of routes) await tx.run('INSERT INTO signal_routes (signal_id, action, incident_id, routed_at) VALUES ($1, $2, NULL, $3) ON CONFLICT DO NOTHING', [r.id, r.action, at]);
    });
  }

  async recordSignals(signals: Signal[]): Promise<void> {
    if (signals.length === 0) return;
    await this.db.transaction((tx) => insertSignals(tx, signals, 'ON CONFLICT DO NOTHING'));
  }

  async claimOutbox(now: string, owner: string, leaseUntil: string, limit: number): Promise<OutboxRecord[]> {
    // Only the first undelivered message of each subject and channel is deliverable, so a Slack update
    // never overtakes the post it edits; a leased or held earlier message blocks the rest. Rows another
    // dispatcher is leasing at this moment are skipped, not waited for: it will hold them.
    const rows = await this.db.rows<OutboxRow>(
      `WITH picked AS (
         SELECT o.seq FROM outbox o
         WHERE o.status = 'pending' AND o.next_attempt_at <= $1 AND (o.lease_until IS NULL OR o.lease_until <= $1)
           AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.subject_id = o.subject_id AND p.channel = o.channel AND p.seq < o.seq AND p.status != 'delivered')
         ORDER BY o.seq LIMIT $4
         FOR UPDATE SKIP LOCKED
       )
       UPDATE outbox SET lease_owner = $2, lease_until = $3 FROM picked WHERE outbox.seq = picked.seq
       RETURNING outbox.*`,
      [now, owner, leaseUntil, limit],
    );
    return rows.map(toOutbox).sort((a, b) => a.seq - b.seq);
  }

  async outboxDelivered(id: string, at: string, refs: ChannelRefs): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await tx.one<{ subject_id: string; channel: string; notification: string; attempts: number }>(
        'SELECT subject_id, channel, notification, attempts FROM outbox WHERE id = $1 FOR UPDATE',
        [id],
      );
      if (!row) throw new Error(`outboxDelivered: no message ${id}`);
      await tx.run("UPDATE outbox SET status = 'delivered', delivered_at = $1, attempts = attempts + 1, last_error = NULL, lease_owner = NULL, lease_until = NULL WHERE id = $2", [at, id]);
      await tx.run('INSERT INTO channel_refs (subject_id, channel, refs) VALUES ($1, $2, $3) ON CONFLICT (subject_id, channel) DO UPDATE SET refs = excluded.refs', [
        row.subject_id,
        row.channel,
        JSON.stringify(refs),
      ]);
      await appendLedger(tx, [notificationEntry(JSON.parse(row.notification) as Notification, { status: 'delivered', at, attempts: row.attempts + 1 })]);
    });
  }

  async outboxRetry(id: string, nextAttemptAt: string, error: string): Promise<void> {
    await this.db.run('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2, lease_owner = NULL, lease_until = NULL WHERE id = $3', [nextAttemptAt, error, id]);
  }

  async outboxFailed(id: string, error: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await tx.one<{ notification: string; attempts: number }>('SELECT notification, attempts FROM outbox WHERE id = $1 FOR UPDATE', [id]);
      if (!row) return;
      await tx.run("UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = $1, lease_owner = NULL, lease_until = NULL WHERE id = $2", [error, id]);
      // The interface carries no time for a failure; the wall clock says when it was recorded.
      const at = new Date().toISOString();
      await appendLedger(tx, [notificationEntry(JSON.parse(row.notification) as Notification, { status: 'failed', at, attempts: row.attempts + 1, error })]);
    });
  }

  async outboxRequeue(ids: string[], now: string): Promise<number> {
    if (ids.length === 0) return 0;
    return this.db.run("UPDATE outbox SET status = 'pending', next_attempt_at = $1 WHERE id = ANY($2) AND status = 'failed'", [now, ids]);
  }

  async outboxRelease(subjectId: string, channel: ChannelName, now: string): Promise<number> {
    return this.db.run("UPDATE outbox SET status = 'pending', next_attempt_at = $1 WHERE subject_id = $2 AND channel = $3 AND status = 'held'", [now, subjectId, channel]);
  }

  async listOutbox(filter: { subjectId?: string; status?: OutboxStatus; limit?: number } = {}): Promise<OutboxRecord[]> {
    const rows = await this.db.rows<OutboxRow>('SELECT * FROM outbox WHERE ($1::text IS NULL OR subject_id = $1) AND ($2::text IS NULL OR status = $2) ORDER BY seq LIMIT $3', [
      filter.subjectId ?? null,
      filter.status ?? null,
      filter.limit ?? 1000,
    ]);
    return rows.map(toOutbox);
  }

  async outboxCounts(): Promise<Array<{ status: OutboxStatus; channel: ChannelName; count: number }>> {
    return this.db.rows<{ status: OutboxStatus; channel: ChannelName; count: number }>('SELECT status, channel, COUNT(*) AS count FROM outbox GROUP BY status, channel ORDER BY status, channel');
  }

  async channelRefs(subjectId: string, channel: ChannelName): Promise<ChannelRefs> {
    const row = await this.db.one<{ refs: string }>('SELECT refs FROM channel_refs WHERE subject_id = $1 AND channel = $2', [subjectId, channel]);
    return row ? (JSON.parse(row.refs) as ChannelRefs) : {};
  }

  async slaEvents(incidentId?: string): Promise<SlaEventRecord[]> {
    const rows = await this.db.rows<SlaEventRow>('SELECT * FROM sla_events WHERE ($1::text IS NULL OR incident_id = $1) ORDER BY at, id', [incidentId ?? null]);
    return rows.map(toSlaEvent);
  }

  async saveMaintenance(window: MaintenanceWindow, expectedVersion: number, notifications: Notification[]): Promise<MaintenanceWindow> {
    return this.db.transaction(async (tx) => {
      // One writer of maintenance windows at a time: two people creating MNT-4 at once must not both win.
      await tx.lock('maintenance');
      const current = await tx.one<{ version: number }>('SELECT version FROM maintenance WHERE id = $1', [window.id]);
      if ((current?.version ?? 0) !== expectedVersion) {
        throw new ConflictError(`maintenance ${window.id} changed since it was read (version ${current?.version ?? 0}, expected ${expectedVersion})`);
      }
      const saved = { ...window, version: expectedVersion + 1 };
      if (current) {
        await tx.run('UPDATE maintenance SET status = $1, starts_at = $2, ends_at = $3, version = $4, doc = $5 WHERE id = $6', [
          saved.status,
          saved.startsAt,
          saved.endsAt,
          saved.version,
          JSON.stringify(saved),
          saved.id,
        ]);
      } else {
        const seq = Number(/^MNT-(\d+)$/.exec(saved.id)?.[1] ?? 0) || ((await tx.one<{ seq: number }>('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM maintenance')) as { seq: number }).seq;
        await tx.run('INSERT INTO maintenance (id, seq, status, starts_at, ends_at, version, doc) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
          saved.id,
          seq,
          saved.status,
          saved.startsAt,
          saved.endsAt,
          saved.version,
          JSON.stringify(saved),
        ]);
      }
      await insertOutbox(tx, notifications);
      await appendLedger(tx, [maintenanceEntry(saved, notifications, new Date().toISOString())]);
      return saved;
    });
  }

  async getMaintenance(id: string): Promise<MaintenanceWindow | undefined> {
    const row = await this.db.one<{ doc: string }>('SELECT doc FROM maintenance WHERE UPPER(id) = UPPER($1)', [id]);
    return row ? (JSON.parse(row.doc) as MaintenanceWindow) : undefined;
  }

  async listMaintenance(filter: { status?: MaintenanceWindow['status'][]; limit?: number } = {}): Promise<MaintenanceWindow[]> {
    const statuses = filter.status ?? [];
    const rows = await this.db.rows<{ doc: string }>('SELECT doc FROM maintenance WHERE (cardinality($1::text[]) = 0 OR status = ANY($1)) ORDER BY starts_at, seq LIMIT $2', [
      statuses,
      filter.limit ?? 1000,
    ]);
    return rows.map((r) => JSON.parse(r.doc) as MaintenanceWindow);
  }

  async nextMaintenanceId(): Promise<string> {
    const row = (await this.db.one<{ seq: number }>('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM maintenance')) as { seq: number };
    return `MNT-${row.seq}`;
  }

  async enqueue(notifications: Notification[]): Promise<void> {
    if (notifications.length === 0) return;
    await this.db.transaction((tx) => insertOutbox(tx, notifications));
  }
}

/** Writes the change's outbox rows, routes and SLA events; returns the SLA events not recorded before. */
async function writeAttachments(tx: Tx, write: IncidentWrite): Promise<SlaEventRecord[]> {
  const { incident } = write;
  for (const k of incident.signalKeys) await tx.run('INSERT INTO incident_keys (key, incident_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [k, incident.id]);
  await insertOutbox(tx, write.notifications, write.hold);
  const at = incident.timeline[incident.timeline.length - 1]?.at ?? incident.reportedAt;
  for (const r of write.routedSignals ?? []) {
    await tx.run('INSERT INTO signal_routes (signal_id, action, incident_id, routed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [r.id, r.action, incident.id, at]);
  }
  // An SLA event is recorded once, whichever replica's sweep fires it first.
  const fresh: SlaEventRecord[] = [];
  for (const e of write.slaEvents ?? []) {
    const inserted = await tx.run(
      'INSERT INTO sla_events (id, incident_id, clock, severity, kind, threshold, at, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING',
      [e.id, e.incidentId, e.clock, e.severity, e.kind, e.threshold, e.at, e.dueAt],
    );
    if (inserted > 0) fresh.push(e);
  }
  return fresh;
}

/**
 * One row per statement, in order: the identity column numbers them as they come, and a subject's
 * messages go out in that order. Ids are deterministic, so the same announcement written twice is queued once.
 */
async function insertOutbox(tx: Tx, notifications: Notification[], hold?: (n: Notification) => boolean): Promise<void> {
  for (const n of notifications) {
    await tx.run(
      `INSERT INTO outbox (id, subject_id, channel, notification, status, attempts, created_at, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, 0, $6, $6) ON CONFLICT DO NOTHING`,
      [n.id, subjectOf(n), n.channel, JSON.stringify(n), hold?.(n) ? 'held' : 'pending', n.at],
    );
  }
}

const SIGNAL_COLUMNS = ['id', 'kind', 'key', 'source', 'raised_at', 'summary', 'payload'] as const;

/** Inserts signals; `suffix` is `ON CONFLICT DO NOTHING` where a signal stored before is no error. */
export async function insertSignals(sql: Sql, signals: readonly Signal[], suffix: string): Promise<number> {
  return insertRows(
    sql,
    'signals',
    SIGNAL_COLUMNS,
    signals.map((s) => [s.id, s.kind, s.key, s.source, s.raisedAt, s.summary, JSON.stringify(s.payload)]),
    suffix,
  );
}
