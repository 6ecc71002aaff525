/**
 * ClusterStore on PostgreSQL, for replicas on many hosts. A claim inserts the item if it is absent (the
 * primary key lets exactly one concurrent insert through) or locks the existing row (`FOR UPDATE`) and
 * takes it only if it is claimable by the claimant's clock; `claimNext` skips rows other replicas are
 * claiming at that moment (`FOR UPDATE SKIP LOCKED`), so concurrent callers get disjoint sets without
 * waiting on each other. Joins of one replica id serialize on a transaction-scoped advisory lock.
 */
import type pg from 'pg';
import type { Claim, ClaimRequest, ClusterStore, JoinResult, Lease, LeaseFilter, LeaseItem, ReleaseRequest, ReplicaInfo, ReplicaRecord } from './cluster-types.js';
import { claimable, mergeDetail, toLease, toReplica, type LeaseRow, type ReplicaRow } from './cluster-rows.js';
import { holdClient } from './postgres-db.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

export class PostgresClusterStore implements ClusterStore {
  /**
   * `ready` resolves once the schema is migrated (PostgresStore opens its database on first use); each
   * method awaits it, so `vigil cluster status` may be the first thing to touch the database.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly ready: () => Promise<void> = async () => undefined,
  ) {}

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    await this.ready();
    return this.pool.query<R>(sql, params);
  }

  private async transaction<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    await this.ready();
    const client = await this.pool.connect();
    const held = holdClient(client);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        // A connection that cannot even roll back is not given back to the pool.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw err;
    } finally {
      held.release(broken);
    }
  }

  async joinReplica(info: ReplicaInfo, now: string, expiresAt: string): Promise<JoinResult> {
    return this.transaction(async (db): Promise<JoinResult> => {
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vigil:replica:${info.id}`]);
      const { rows } = await db.query<ReplicaRow>('SELECT * FROM replicas WHERE id = $1 FOR UPDATE', [info.id]);
      const previous = rows[0] ? toReplica(rows[0]) : undefined;
      if (previous && previous.incarnation !== info.incarnation && previous.stoppedAt === undefined && previous.expiresAt > now) return { joined: false, holder: previous };
      const { rows: saved } = await db.query<ReplicaRow>(
        `INSERT INTO replicas (id, host, pid, version, incarnation, started_at, heartbeat_at, expires_at, stopped_at, detail) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, NULL, $8)
         ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version, incarnation = excluded.incarnation,
           started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at, stopped_at = NULL, detail = excluded.detail
         RETURNING *`,
        [info.id, info.host, info.pid, info.version, info.incarnation, now, expiresAt, JSON.stringify(info.detail ?? {})],
      );
      const { rows: reopened } = await db.query<{ key: string }>(
        "UPDATE leases SET status = 'open', outcome = 'abandoned', finished_at = $1, expires_at = NULL WHERE owner = $2 AND status = 'held' RETURNING key",
        [now, info.id],
      );
      return { joined: true, replica: toReplica(saved[0] as ReplicaRow), ...(previous ? { previous } : {}), reopened: reopened.map((r) => r.key).sort() };
    });
  }

  async heartbeat(id: string, incarnation: string, now: string, expiresAt: string): Promise<string[] | undefined> {
    return this.transaction(async (db) => {
      const { rowCount } = await db.query('UPDATE replicas SET heartbeat_at = $1, expires_at = $2 WHERE id = $3 AND incarnation = $4 AND stopped_at IS NULL', [now, expiresAt, id, incarnation]);
      if (!rowCount) return undefined;
      const { rows } = await db.query<{ key: string }>("UPDATE leases SET heartbeat_at = $1, expires_at = $2 WHERE owner = $3 AND status = 'held' RETURNING key", [now, expiresAt, id]);
      return rows.map((r) => r.key).sort();
    });
  }

  async leaveReplica(id: string, incarnation: string, at: string): Promise<void> {
    await this.query('UPDATE replicas SET stopped_at = $1, heartbeat_at = $1, expires_at = $1 WHERE id = $2 AND incarnation = $3', [at, id, incarnation]);
  }

  async listReplicas(): Promise<ReplicaRecord[]> {
    return (await this.query<ReplicaRow>('SELECT * FROM replicas ORDER BY id')).rows.map(toReplica);
  }

  async pruneReplicas(before: string): Promise<string[]> {
    const { rows } = await this.query<{ id: string }>(
      "DELETE FROM replicas r WHERE expires_at < $1 AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.owner = r.id AND l.status = 'held') RETURNING id",
      [before],
    );
    return rows.map((r) => r.id).sort();
  }

  async pruneLeases(before: string): Promise<number> {
    const { rowCount } = await this.query("DELETE FROM leases WHERE status = 'done' AND finished_at < $1", [before]);
    return rowCount ?? 0;
  }

  async offer(items: LeaseItem[], now: string): Promise<number> {
    if (items.length === 0) return 0;
    return this.transaction(async (db) => {
      let added = 0;
      for (const i of items) {
        const { rowCount } = await db.query(
          "INSERT INTO leases (key, kind, subject, due_at, status, claims, created_at, detail) VALUES ($1, $2, $3, $4, 'open', 0, $5, $6) ON CONFLICT (key) DO NOTHING",
          [i.key, i.kind, i.subject, i.dueAt, now, JSON.stringify(i.detail ?? {})],
        );
        added += rowCount ?? 0;
      }
      return added;
    });
  }

  async claim(request: ClaimRequest): Promise<Claim> {
    return this.transaction(async (db): Promise<Claim> => {
      const { rows: inserted } = await db.query<LeaseRow>(
        `INSERT INTO leases (key, kind, subject, due_at, status, owner, claimed_at, heartbeat_at, expires_at, claims, created_at, detail)
         VALUES ($1, $2, $3, $4, 'held', $5, $6, $6, $7, 1, $6, $8) ON CONFLICT (key) DO NOTHING RETURNING *`,
        [request.key, request.kind, request.subject, request.dueAt, request.owner, request.now, request.expiresAt, JSON.stringify(request.detail ?? {})],
      );
      if (inserted[0]) return { claimed: true, lease: toLease(inserted[0]) };
      const { rows } = await db.query<LeaseRow>('SELECT * FROM leases WHERE key = $1 FOR UPDATE', [request.key]);
      const previous = toLease(rows[0] as LeaseRow);
      if (!claimable(previous, request.now)) return { claimed: false, lease: previous };
      return { claimed: true, lease: await take(db, previous, request.owner, request.now, request.expiresAt, request.detail), previous };
    });
  }

  async claimNext(request: { kind: string; subject?: string; owner: string; now: string; expiresAt: string; limit: number }): Promise<Lease[]> {
    return this.transaction(async (db) => {
      const { rows } = await db.query<LeaseRow>(
        `SELECT * FROM leases WHERE kind = $1 AND ($2::text IS NULL OR subject = $2) AND (status = 'open' OR (status = 'held' AND expires_at <= $3))
         ORDER BY due_at, key LIMIT $4 FOR UPDATE SKIP LOCKED`,
        [request.kind, request.subject ?? null, request.now, request.limit],
      );
      const taken: Lease[] = [];
      for (const row of rows) taken.push(await take(db, toLease(row), request.owner, request.now, request.expiresAt));
      return taken;
    });
  }

  async renew(key: string, owner: string, now: string, expiresAt: string): Promise<boolean> {
    const { rowCount } = await this.query("UPDATE leases SET heartbeat_at = $1, expires_at = $2 WHERE key = $3 AND owner = $4 AND status = 'held'", [now, expiresAt, key, owner]);
    return (rowCount ?? 0) > 0;
  }

  async release(key: string, owner: string, at: string, request: ReleaseRequest): Promise<boolean> {
    return this.transaction(async (db) => {
      const { rows } = await db.query<LeaseRow>("SELECT * FROM leases WHERE key = $1 AND owner = $2 AND status = 'held' FOR UPDATE", [key, owner]);
      if (!rows[0]) return false;
      await db.query('UPDATE leases SET status = $1, outcome = $2, finished_at = $3, expires_at = NULL, detail = $4 WHERE key = $5', [
        request.reopen ? 'open' : 'done',
        request.outcome,
        at,
        JSON.stringify(mergeDetail(toLease(rows[0]).detail, request.detail)),
        key,
      ]);
      return true;
    });
  }

  async getLease(key: string): Promise<Lease | undefined> {
    const { rows } = await this.query<LeaseRow>('SELECT * FROM leases WHERE key = $1', [key]);
    return rows[0] ? toLease(rows[0]) : undefined;
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
      args.push(value);
      where.push(`${column} = $${args.length}`);
    }
    if (filter.dueFrom !== undefined) {
      args.push(filter.dueFrom);
      where.push(`due_at >= $${args.length}`);
    }
    const order = { due: 'due_at ASC, key ASC', 'newest-due': 'due_at DESC, key DESC', 'newest-finished': 'finished_at DESC, key DESC' }[filter.order ?? 'due'];
    args.push(filter.limit ?? 1000);
    const sql = `SELECT * FROM leases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT $${args.length}`;
    return (await this.query<LeaseRow>(sql, args)).rows.map(toLease);
  }
}

async function take(db: Queryable, previous: Lease, owner: string, now: string, expiresAt: string, detail?: Record<string, unknown>): Promise<Lease> {
  const { rows } = await db.query<LeaseRow>(
    `UPDATE leases SET status = 'held', owner = $1, claimed_at = $2, heartbeat_at = $2, expires_at = $3, claims = claims + 1,
       previous_owner = COALESCE($4, previous_owner), outcome = NULL, finished_at = NULL, detail = $5 WHERE key = $6 RETURNING *`,
    [owner, now, expiresAt, previous.owner ?? null, JSON.stringify(mergeDetail(previous.detail, detail)), previous.key],
  );
  return toLease(rows[0] as LeaseRow);
}
