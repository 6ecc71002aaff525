/**
 * ClusterStore on SQLite: replicas are processes on one host sharing the file. Every claim reads and
 * writes inside one IMMEDIATE transaction, which takes the database's write lock before reading, so two
 * processes claiming the same item serialize and the second sees the first one's row.
 */
import type Database from 'better-sqlite3';
import type { Claim, ClaimRequest, ClusterStore, JoinResult, Lease, LeaseFilter, LeaseItem, ReleaseRequest, ReplicaInfo, ReplicaRecord } from './cluster-types.js';
import { claimable, mergeDetail, toLease, toReplica, type LeaseRow, type ReplicaRow } from './cluster-rows.js';

const HELD_KEYS = "SELECT key FROM leases WHERE owner = ? AND status = 'held' ORDER BY key";

export class SqliteClusterStore implements ClusterStore {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** Prepared once: a heartbeat or a claim runs these every few seconds for as long as the service runs. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  async joinReplica(info: ReplicaInfo, now: string, expiresAt: string): Promise<JoinResult> {
    const join = this.db.transaction((): JoinResult => {
      const row = this.sql('SELECT * FROM replicas WHERE id = ?').get(info.id) as ReplicaRow | undefined;
      const previous = row ? toReplica(row) : undefined;
      if (previous && previous.incarnation !== info.incarnation && previous.stoppedAt === undefined && previous.expiresAt > now) return { joined: false, holder: previous };
      this.sql(
        `INSERT INTO replicas (id, host, pid, version, incarnation, started_at, heartbeat_at, expires_at, stopped_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
         ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version, incarnation = excluded.incarnation,
           started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at, stopped_at = NULL, detail = excluded.detail`,
      ).run(info.id, info.host, info.pid, info.version, info.incarnation, now, now, expiresAt, JSON.stringify(info.detail ?? {}));
      // What a dead earlier incarnation held is nobody's now: open it for whoever comes first.
      const held = (this.sql(HELD_KEYS).all(info.id) as Array<{ key: string }>).map((r) => r.key);
      this.sql("UPDATE leases SET status = 'open', outcome = 'abandoned', finished_at = ?, expires_at = NULL WHERE owner = ? AND status = 'held'").run(now, info.id);
      const replica = toReplica(this.sql('SELECT * FROM replicas WHERE id = ?').get(info.id) as ReplicaRow);
      return { joined: true, replica, ...(previous ? { previous } : {}), reopened: held };
    });
    return join.immediate();
  }

  async heartbeat(id: string, incarnation: string, now: string, expiresAt: string): Promise<string[] | undefined> {
    const beat = this.db.transaction(() => {
      const changed = this.sql('UPDATE replicas SET heartbeat_at = ?, expires_at = ? WHERE id = ? AND incarnation = ? AND stopped_at IS NULL').run(now, expiresAt, id, incarnation).changes;
      if (changed === 0) return undefined;
      this.sql("UPDATE leases SET heartbeat_at = ?, expires_at = ? WHERE owner = ? AND status = 'held'").run(now, expiresAt, id);
      return (this.sql(HELD_KEYS).all(id) as Array<{ key: string }>).map((r) => r.key);
    });
    return beat.immediate();
  }

  async leaveReplica(id: string, incarnation: string, at: string): Promise<void> {
    this.sql('UPDATE replicas SET stopped_at = ?, heartbeat_at = ?, expires_at = ? WHERE id = ? AND incarnation = ?').run(at, at, at, id, incarnation);
  }

  async listReplicas(): Promise<ReplicaRecord[]> {
    return (this.sql('SELECT * FROM replicas ORDER BY id').all() as ReplicaRow[]).map(toReplica);
  }

  async pruneReplicas(before: string): Promise<string[]> {
    const prune = this.db.transaction(() => {
      const rows = this.sql("SELECT id FROM replicas r WHERE expires_at < ? AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.owner = r.id AND l.status = 'held') ORDER BY id").all(before) as Array<{
        id: string;
      }>;
      for (const { id } of rows) this.sql('DELETE FROM replicas WHERE id = ?').run(id);
      return rows.map((r) => r.id);
    });
    return prune.immediate();
  }

  async pruneLeases(before: string): Promise<number> {
    return this.sql("DELETE FROM leases WHERE status = 'done' AND finished_at < ?").run(before).changes;
  }

  async offer(items: LeaseItem[], now: string): Promise<number> {
    const insert = this.sql("INSERT INTO leases (key, kind, subject, due_at, status, claims, created_at, detail) VALUES (?, ?, ?, ?, 'open', 0, ?, ?) ON CONFLICT (key) DO NOTHING");
    const offer = this.db.transaction(() => items.reduce((n, i) => n + insert.run(i.key, i.kind, i.subject, i.dueAt, now, JSON.stringify(i.detail ?? {})).changes, 0));
    return offer.immediate();
  }

  async claim(request: ClaimRequest): Promise<Claim> {
    const claim = this.db.transaction((): Claim => {
      const row = this.sql('SELECT * FROM leases WHERE key = ?').get(request.key) as LeaseRow | undefined;
      if (!row) {
        this.sql(
          `INSERT INTO leases (key, kind, subject, due_at, status, owner, claimed_at, heartbeat_at, expires_at, claims, created_at, detail)
           VALUES (?, ?, ?, ?, 'held', ?, ?, ?, ?, 1, ?, ?)`,
        ).run(request.key, request.kind, request.subject, request.dueAt, request.owner, request.now, request.now, request.expiresAt, request.now, JSON.stringify(request.detail ?? {}));
        return { claimed: true, lease: this.read(request.key) };
      }
      const previous = toLease(row);
      if (!claimable(previous, request.now)) return { claimed: false, lease: previous };
      this.take(previous, request.owner, request.now, request.expiresAt, request.detail);
      return { claimed: true, lease: this.read(request.key), previous };
    });
    return claim.immediate();
  }

  async claimNext(request: { kind: string; subject?: string; owner: string; now: string; expiresAt: string; limit: number }): Promise<Lease[]> {
    const claim = this.db.transaction(() => {
      const rows = this.sql(
        `SELECT * FROM leases WHERE kind = ? AND (? IS NULL OR subject = ?) AND (status = 'open' OR (status = 'held' AND expires_at <= ?))
         ORDER BY due_at, key LIMIT ?`,
      ).all(request.kind, request.subject ?? null, request.subject ?? null, request.now, request.limit) as LeaseRow[];
      return rows.map((row) => {
        this.take(toLease(row), request.owner, request.now, request.expiresAt);
        return this.read(row.key);
      });
    });
    return claim.immediate();
  }

  private take(previous: Lease, owner: string, now: string, expiresAt: string, detail?: Record<string, unknown>): void {
    this.sql(
      `UPDATE leases SET status = 'held', owner = ?, claimed_at = ?, heartbeat_at = ?, expires_at = ?, claims = claims + 1,
         previous_owner = COALESCE(?, previous_owner), outcome = NULL, finished_at = NULL, detail = ? WHERE key = ?`,
    ).run(owner, now, now, expiresAt, previous.owner ?? null, JSON.stringify(mergeDetail(previous.detail, detail)), previous.key);
  }

  async renew(key: string, owner: string, now: string, expiresAt: string): Promise<boolean> {
    return this.sql("UPDATE leases SET heartbeat_at = ?, expires_at = ? WHERE key = ? AND owner = ? AND status = 'held'").run(now, expiresAt, key, owner).changes > 0;
  }

  async release(key: string, owner: string, at: string, request: ReleaseRequest): Promise<boolean> {
    const release = this.db.transaction(() => {
      const row = this.sql("SELECT * FROM leases WHERE key = ? AND owner = ? AND status = 'held'").get(key, owner) as LeaseRow | undefined;
      if (!row) return false;
      this.sql('UPDATE leases SET status = ?, outcome = ?, finished_at = ?, expires_at = NULL, detail = ? WHERE key = ?').run(
        request.reopen ? 'open' : 'done',
        request.outcome,
        at,
        JSON.stringify(mergeDetail(toLease(row).detail, request.detail)),
        key,
      );
      return true;
    });
    return release.immediate();
  }

  async getLease(key: string): Promise<Lease | undefined> {
    const row = this.sql('SELECT * FROM leases WHERE key = ?').get(key) as LeaseRow | undefined;
    return row ? toLease(row) : undefined;
  }

  async listLeases(filter: LeaseFilter = {}): Promise<Lease[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [column, value] of [
      ['kind', filter.kind],
      ['subject', filter.subject],
      ['status', filter.status],
      ['owner', filter.owner],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      args.push(value);
    }
    if (filter.dueFrom !== undefined) {
      where.push('due_at >= ?');
      args.push(filter.dueFrom);
    }
    const order = { due: 'due_at ASC, key ASC', 'newest-due': 'due_at DESC, key DESC', 'newest-finished': 'finished_at DESC, key DESC' }[filter.order ?? 'due'];
    const sql = `SELECT * FROM leases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`;
    return (this.sql(sql).all(...args, filter.limit ?? 1000) as LeaseRow[]).map(toLease);
  }

  private read(key: string): Lease {
    return toLease(this.sql('SELECT * FROM leases WHERE key = ?').get(key) as LeaseRow);
  }
}
