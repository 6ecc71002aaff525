/**
 * IncidentStore on SQLite. Each write is one IMMEDIATE transaction, so the incident change, its outbox
 * rows, its routed signals and its SLA events commit together or not at all, and two processes (the
 * service and a person's CLI) serialize on the write lock.
 */
import type Database from 'better-sqlite3';
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
import { appendInTransaction } from './sqlite-ledger.js';
import { subjectOf, toOutbox, toSignal, toSlaEvent, toStoredIncident as toStored, type IncidentRow, type OutboxRow, type SignalRow, type SlaEventRow } from './rows.js';
import type { Signal } from './types.js';

const OPEN = "state != 'resolved'";

export class SqliteIncidentStore implements IncidentStore {
  constructor(private readonly db: Database.Database) {}

  async createIncident(build: (id: string) => Omit<IncidentWrite, 'expectedVersion'>): Promise<StoredIncident> {
    return this.db
      .transaction(() => {
        const { seq } = this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM incidents').get() as { seq: number };
        const write = build(`INC-${seq}`);
        const swept = write.slaSweptTo ?? write.incident.reportedAt;
        this.db
          .prepare('INSERT INTO incidents (id, seq, severity, state, reported_at, version, sla_swept_to, doc) VALUES (?, ?, ?, ?, ?, 1, ?, ?)')
          .run(write.incident.id, seq, write.incident.severity, write.incident.state, write.incident.reportedAt, swept, JSON.stringify(write.incident));
        const slaEvents = this.writeAttachments({ ...write, expectedVersion: 0 });
        const entry = incidentEntry(write.incident, 1, { newTimeline: write.incident.timeline, slaEvents, severityOrStateChanged: true });
        if (entry) appendInTransaction(this.db, [entry]);
        return { incident: write.incident, version: 1, slaSweptTo: swept };
      })
      .immediate();
  }

  async saveIncident(write: IncidentWrite): Promise<StoredIncident> {
    return this.db
      .transaction(() => {
        const { incident } = write;
        const current = this.db.prepare('SELECT version, sla_swept_to, severity, state, doc FROM incidents WHERE id = ?').get(incident.id) as
          | { version: number; sla_swept_to: string; severity: string; state: string; doc: string }
          | undefined;
        if (!current) throw new ConflictError(`incident ${incident.id} does not exist`);
        if (current.version !== write.expectedVersion) {
          throw new ConflictError(`incident ${incident.id} changed since it was read (version ${current.version}, expected ${write.expectedVersion})`);
        }
        const swept = write.slaSweptTo ?? current.sla_swept_to;
        const version = current.version + 1;
        this.db
          .prepare('UPDATE incidents SET severity = ?, state = ?, reported_at = ?, version = ?, sla_swept_to = ?, doc = ? WHERE id = ?')
          .run(incident.severity, incident.state, incident.reportedAt, version, swept, JSON.stringify(incident), incident.id);
        const slaEvents = this.writeAttachments(write);
        // The timeline only grows, so what this write added is what lies past the stored one.
        const before = (JSON.parse(current.doc) as Incident).timeline.length;
        const entry = incidentEntry(incident, version, {
          newTimeline: incident.timeline.slice(before),
          slaEvents,
          severityOrStateChanged: current.severity !== incident.severity || current.state !== incident.state,
        });
        if (entry) appendInTransaction(this.db, [entry]);
        return { incident, version, slaSweptTo: swept };
      })
      .immediate();
  }

  /** Writes the change's outbox rows, routes and SLA events; returns the SLA events not recorded before. */
  private writeAttachments(write: IncidentWrite): SlaEventRecord[] {
    const { incident } = write;
    const key = this.db.prepare('INSERT OR IGNORE INTO incident_keys (key, incident_id) VALUES (?, ?)');
    for (const k of incident.signalKeys) key.run(k, incident.id);
    this.insertOutbox(write.notifications, write.hold);
    const route = this.db.prepare('INSERT OR IGNORE INTO signal_routes (signal_id, action, incident_id, routed_at) VALUES (?, ?, ?, ?)');
    const at = incident.timeline[incident.timeline.length - 1]?.at ?? incident.reportedAt;
    for (const r of write.routedSignals ?? []) route.run(r.id, r.action, incident.id, at);
    const sla = this.db.prepare('INSERT OR IGNORE INTO sla_events (id, incident_id, clock, severity, kind, threshold, at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    return (write.slaEvents ?? []).filter((e) => sla.run(e.id, e.incidentId, e.clock, e.severity, e.kind, e.threshold, e.at, e.dueAt).changes > 0);
  }

  private insertOutbox(notifications: Notification[], hold?: (n: Notification) => boolean): void {
    // INSERT OR IGNORE: ids are deterministic, so writing the same announcement twice queues it once.
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO outbox (id, subject_id, channel, notification, status, attempts, created_at, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
    );
    for (const n of notifications) {
      insert.run(n.id, subjectOf(n), n.channel, JSON.stringify(n), hold?.(n) ? 'held' : 'pending', n.at, n.at);
    }
  }

  async getIncident(id: string): Promise<StoredIncident | undefined> {
    const row = this.db.prepare('SELECT id, version, sla_swept_to, doc FROM incidents WHERE id = ? COLLATE NOCASE').get(id) as IncidentRow | undefined;
    return row ? toStored(row) : undefined;
  }

  async listIncidents(filter: IncidentFilter = {}): Promise<StoredIncident[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.open === true) where.push(OPEN);
    if (filter.open === false) where.push(`NOT (${OPEN})`);
    if (filter.severity) {
      where.push('severity = ?');
      args.push(filter.severity);
    }
    if (filter.state) {
      where.push('state = ?');
      args.push(filter.state);
    }
    if (filter.since) {
      where.push('reported_at >= ?');
      args.push(filter.since);
    }
    const sql = `SELECT id, version, sla_swept_to, doc FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, filter.limit ?? 1000) as IncidentRow[]).map(toStored);
  }

  async incidentsForSignal(key: string, signalId: string): Promise<StoredIncident[]> {
    const rows = this.db
      .prepare(
        `SELECT i.id, i.version, i.sla_swept_to, i.doc FROM incidents i
         WHERE (i.${OPEN} AND i.id IN (SELECT incident_id FROM incident_keys WHERE key = ?))
            OR i.id IN (SELECT incident_id FROM signal_routes WHERE signal_id = ?)
         ORDER BY i.seq`,
      )
      .all(key, signalId) as IncidentRow[];
    return rows.map(toStored);
  }

  async unroutedSignals(limit = 500): Promise<Signal[]> {
    const rows = this.db
      .prepare('SELECT s.* FROM signals s WHERE NOT EXISTS (SELECT 1 FROM signal_routes r WHERE r.signal_id = s.id) ORDER BY s.raised_at, s.id LIMIT ?')
      .all(limit) as SignalRow[];
    return rows.map(toSignal);
  }

  async markSignalsRouted(routes: Array<{ id: string; action: string }>, at: string): Promise<void> {
    const insert = this.db.prepare('INSERT OR IGNORE INTO signal_routes (signal_id, action, incident_id, routed_at) VALUES (?, ?, NULL, ?)');
    this.db.transaction(() => routes.forEach((r) => insert.run(r.id, r.action, at))).immediate();
  }

  async recordSignals(signals: Signal[]): Promise<void> {
    const insert = this.db.prepare('INSERT OR IGNORE INTO signals (id, kind, key, source, raised_at, summary, payload) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => signals.forEach((s) => insert.run(s.id, s.kind, s.key, s.source, s.raisedAt, s.summary, JSON.stringify(s.payload)))).immediate();
  }

  async claimOutbox(now: string, owner: string, leaseUntil: string, limit: number): Promise<OutboxRecord[]> {
    return this.db
      .transaction(() => {
        // Only the first undelivered message of each subject and channel is deliverable, so a Slack
        // update never overtakes the post it edits. A leased or held earlier message blocks the rest.
        const rows = this.db
          .prepare(
            `SELECT o.* FROM outbox o
             WHERE o.status = 'pending' AND o.next_attempt_at <= ? AND (o.lease_until IS NULL OR o.lease_until <= ?)
               AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.subject_id = o.subject_id AND p.channel = o.channel AND p.seq < o.seq AND p.status != 'delivered')
             ORDER BY o.seq LIMIT ?`,
          )
          .all(now, now, limit) as OutboxRow[];
        const lease = this.db.prepare('UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE seq = ?');
        for (const row of rows) lease.run(owner, leaseUntil, row.seq);
        return rows.map(toOutbox);
      })
      .immediate();
  }

  async outboxDelivered(id: string, at: string, refs: ChannelRefs): Promise<void> {
    this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT subject_id, channel, notification, attempts FROM outbox WHERE id = ?').get(id) as
          | { subject_id: string; channel: string; notification: string; attempts: number }
          | undefined;
        if (!row) throw new Error(`outboxDelivered: no message ${id}`);
        this.db
          .prepare("UPDATE outbox SET status = 'delivered', delivered_at = ?, attempts = attempts + 1, last_error = NULL, lease_owner = NULL, lease_until = NULL WHERE id = ?")
          .run(at, id);
        this.db
          .prepare('INSERT INTO channel_refs (subject_id, channel, refs) VALUES (?, ?, ?) ON CONFLICT (subject_id, channel) DO UPDATE SET refs = excluded.refs')
          .run(row.subject_id, row.channel, JSON.stringify(refs));
        appendInTransaction(this.db, [notificationEntry(JSON.parse(row.notification) as Notification, { status: 'delivered', at, attempts: row.attempts + 1 })]);
      })
      .immediate();
  }

  async outboxRetry(id: string, nextAttemptAt: string, error: string): Promise<void> {
    this.db
      .prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?')
      .run(nextAttemptAt, error, id);
  }

  async outboxFailed(id: string, error: string): Promise<void> {
    this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT notification, attempts FROM outbox WHERE id = ?').get(id) as { notification: string; attempts: number } | undefined;
        if (!row) return;
        this.db
          .prepare("UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?")
          .run(error, id);
        // The interface carries no time for a failure; the wall clock says when it was recorded.
        const at = new Date().toISOString();
        appendInTransaction(this.db, [notificationEntry(JSON.parse(row.notification) as Notification, { status: 'failed', at, attempts: row.attempts + 1, error })]);
      })
      .immediate();
  }

  async outboxRequeue(ids: string[], now: string): Promise<number> {
    const update = this.db.prepare("UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE id = ? AND status = 'failed'");
    return this.db.transaction(() => ids.reduce((n, id) => n + update.run(now, id).changes, 0)).immediate();
  }

  async outboxRelease(subjectId: string, channel: ChannelName, now: string): Promise<number> {
    return this.db
      .prepare("UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE subject_id = ? AND channel = ? AND status = 'held'")
      .run(now, subjectId, channel).changes;
  }

  async listOutbox(filter: { subjectId?: string; status?: OutboxStatus; limit?: number } = {}): Promise<OutboxRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM outbox WHERE (? IS NULL OR subject_id = ?) AND (? IS NULL OR status = ?) ORDER BY seq LIMIT ?')
      .all(filter.subjectId ?? null, filter.subjectId ?? null, filter.status ?? null, filter.status ?? null, filter.limit ?? 1000) as OutboxRow[];
    return rows.map(toOutbox);
  }

  async outboxCounts(): Promise<Array<{ status: OutboxStatus; channel: ChannelName; count: number }>> {
    return this.db.prepare('SELECT status, channel, COUNT(*) AS count FROM outbox GROUP BY status, channel').all() as Array<{ status: OutboxStatus; channel: ChannelName; count: number }>;
  }

  async channelRefs(subjectId: string, channel: ChannelName): Promise<ChannelRefs> {
    const row = this.db.prepare('SELECT refs FROM channel_refs WHERE subject_id = ? AND channel = ?').get(subjectId, channel) as { refs: string } | undefined;
    return row ? (JSON.parse(row.refs) as ChannelRefs) : {};
  }

  async slaEvents(incidentId?: string): Promise<SlaEventRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM sla_events WHERE (? IS NULL OR incident_id = ?) ORDER BY at, id')
      .all(incidentId ?? null, incidentId ?? null) as SlaEventRow[];
    return rows.map(toSlaEvent);
  }

  async saveMaintenance(window: MaintenanceWindow, expectedVersion: number, notifications: Notification[]): Promise<MaintenanceWindow> {
    return this.db
      .transaction(() => {
        const current = this.db.prepare('SELECT version FROM maintenance WHERE id = ?').get(window.id) as { version: number } | undefined;
        if ((current?.version ?? 0) !== expectedVersion) {
          throw new ConflictError(`maintenance ${window.id} changed since it was read (version ${current?.version ?? 0}, expected ${expectedVersion})`);
        }
        const saved = { ...window, version: expectedVersion + 1 };
        if (current) {
          this.db
            .prepare('UPDATE maintenance SET status = ?, starts_at = ?, ends_at = ?, version = ?, doc = ? WHERE id = ?')
            .run(saved.status, saved.startsAt, saved.endsAt, saved.version, JSON.stringify(saved), saved.id);
        } else {
          const seq = Number(/^MNT-(\d+)$/.exec(saved.id)?.[1] ?? 0) || (this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM maintenance').get() as { seq: number }).seq;
          this.db
            .prepare('INSERT INTO maintenance (id, seq, status, starts_at, ends_at, version, doc) VALUES (?, ?, ?, ?, ?, ?, ?)')
            .run(saved.id, seq, saved.status, saved.startsAt, saved.endsAt, saved.version, JSON.stringify(saved));
        }
        this.insertOutbox(notifications);
        appendInTransaction(this.db, [maintenanceEntry(saved, notifications, new Date().toISOString())]);
        return saved;
      })
      .immediate();
  }

  async getMaintenance(id: string): Promise<MaintenanceWindow | undefined> {
    const row = this.db.prepare('SELECT doc FROM maintenance WHERE id = ? COLLATE NOCASE').get(id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as MaintenanceWindow) : undefined;
  }

  async listMaintenance(filter: { status?: MaintenanceWindow['status'][]; limit?: number } = {}): Promise<MaintenanceWindow[]> {
    const statuses = filter.status ?? [];
    const where = statuses.length ? `WHERE status IN (${statuses.map(() => '?').join(', ')})` : '';
    const rows = this.db.prepare(`SELECT doc FROM maintenance ${where} ORDER BY starts_at, seq LIMIT ?`).all(...statuses, filter.limit ?? 1000) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as MaintenanceWindow);
  }

  async nextMaintenanceId(): Promise<string> {
    const { seq } = this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM maintenance').get() as { seq: number };
    return `MNT-${seq}`;
  }

  async enqueue(notifications: Notification[]): Promise<void> {
    this.db.transaction(() => this.insertOutbox(notifications)).immediate();
  }
}
