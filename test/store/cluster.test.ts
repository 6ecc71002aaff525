/**
 * The cluster store on SQLite and on a real PostgreSQL: claims of keyed items (exactly one winner among
 * concurrent claimants, takeover only after expiry, never again once done), units offered and claimed
 * in disjoint sets, heartbeats that renew a replica's leases, and replica ids that cannot be shared.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStore, LeaseItem, ReplicaInfo } from '../../src/store/cluster-types.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { PostgresClusterStore } from '../../src/store/postgres-cluster.js';
import { PgDb } from '../../src/store/postgres-db.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { skipWithoutPostgres, startTestPostgres } from '../helpers/postgres.js';

const T0 = '2026-11-24T12:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

const item = (key: string, detail?: Record<string, unknown>): LeaseItem => ({ key, kind: 'schedule', subject: key.split('@')[0] as string, dueAt: T0, ...(detail ? { detail } : {}) });
const replica = (id: string, incarnation = `${id}-1`): ReplicaInfo => ({ id, host: 'host-a', pid: 100, version: '0.1.0', incarnation });

interface Backend {
  name: string;
  skip: boolean;
  /** A fresh, migrated database and `n` stores on it, as `n` replicas would each open one. */
  open(n: number): Promise<ClusterStore[]>;
  close(): Promise<void>;
}

const closers: Array<() => Promise<void>> = [];

const sqlite: Backend = {
  name: 'SQLite',
  skip: false,
  async open(n) {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cluster-'));
    const stores = Array.from({ length: n }, () => SqliteStore.open(dir));
    closers.push(...stores.map((s) => () => s.close()));
    return stores.map((s) => s.cluster);
  },
  async close() {
    for (const close of closers.splice(0)) await close();
  },
};

const postgres: Backend = {
  name: 'PostgreSQL',
  skip: skipWithoutPostgres,
  async open(n) {
    const server = await startTestPostgres();
    const url = await server.newDatabase();
    const dbs = Array.from({ length: n }, () => new PgDb({ url, migrations: MIGRATIONS, poolSize: 4 }));
    for (const db of dbs) await db.ready();
    closers.push(...dbs.map((db) => () => db.close()));
    return dbs.map((db) => new PostgresClusterStore(db.pool, () => db.ready()));
  },
  async close() {
    for (const close of closers.splice(0)) await close();
  },
};

describe.each([sqlite, postgres])('the cluster store on $name', (backend) => {
  let a: ClusterStore;
  let b: ClusterStore;
  let c: ClusterStore;

  beforeAll(async () => {
    if (backend.skip) return;
    [a, b, c] = (await backend.open(3)) as [ClusterStore, ClusterStore, ClusterStore];
  });

  afterAll(() => backend.close());

  it.skipIf(backend.skip)('lets exactly one of many concurrent claimants win an item, and no one while it is held', async () => {
    const claims = await Promise.all(
      [a, b, c, a, b, c].map((store, i) => store.claim({ ...item('drills@1', { runId: `run-${i}` }), owner: `replica-${i}`, now: T0, expiresAt: at(30) })),
    );
    const later = await b.claim({ ...item('drills@1'), owner: 'replica-late', now: at(29), expiresAt: at(59) });

    const winners = claims.filter((c) => c.claimed);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.lease).toMatchObject({ key: 'drills@1', status: 'held', claims: 1, expiresAt: at(30) });
    expect(later).toMatchObject({ claimed: false, lease: { owner: winners[0]?.lease.owner } });
  });

  it.skipIf(backend.skip)('takes an item over once its lease has expired, saying from whom', async () => {
    await a.claim({ ...item('checks@1', { runId: 'run-a' }), owner: 'replica-a', now: T0, expiresAt: at(30) });

    const takeover = await b.claim({ ...item('checks@1', { runId: 'run-b' }), owner: 'replica-b', now: at(30), expiresAt: at(60) });
    const renewedByLoser = await a.renew('checks@1', 'replica-a', at(31), at(61));
    const releasedByLoser = await a.release('checks@1', 'replica-a', at(31), { outcome: 'completed' });

    expect(takeover).toMatchObject({
      claimed: true,
      lease: { owner: 'replica-b', previousOwner: 'replica-a', claims: 2, detail: { runId: 'run-b' } },
      previous: { owner: 'replica-a', status: 'held', expiresAt: at(30), detail: { runId: 'run-a' } },
    });
    expect([renewedByLoser, releasedByLoser]).toEqual([false, false]);
  });

  it.skipIf(backend.skip)('never hands out an item again once it is done; a reopened one is claimable at once', async () => {
    await a.claim({ ...item('report@1'), owner: 'replica-a', now: T0, expiresAt: at(30) });
    await a.release('report@1', 'replica-a', at(5), { outcome: 'completed', detail: { status: 'succeeded' } });
    await a.claim({ ...item('lock@incidents'), owner: 'replica-a', now: T0, expiresAt: at(30) });
    await a.release('lock@incidents', 'replica-a', at(5), { outcome: 'released', reopen: true });

    const done = await b.claim({ ...item('report@1'), owner: 'replica-b', now: at(3600), expiresAt: at(3630) });
    const reopened = await b.claim({ ...item('lock@incidents'), owner: 'replica-b', now: at(6), expiresAt: at(36) });

    expect(done).toMatchObject({ claimed: false, lease: { status: 'done', outcome: 'completed', finishedAt: at(5), detail: { status: 'succeeded' } } });
    expect(reopened).toMatchObject({ claimed: true, lease: { owner: 'replica-b', claims: 2 }, previous: { status: 'open', outcome: 'released', owner: 'replica-a' } });
  });

  it.skipIf(backend.skip)('hands offered units to concurrent claimants in disjoint sets, oldest first, until none is left', async () => {
    const units = Array.from({ length: 24 }, (_, i) => ({ key: `scan-1/unit-${String(i).padStart(2, '0')}`, kind: 'scan-unit', subject: 'scan-1', dueAt: at(i) }));
    const offered = await a.offer(units, T0);
    const again = await b.offer(units.slice(0, 3), T0);
    const taken: Record<string, string[]> = { a: [], b: [], c: [] };
    const worker = async (name: 'a' | 'b' | 'c', store: ClusterStore) => {
      for (;;) {
        const got = await store.claimNext({ kind: 'scan-unit', subject: 'scan-1', owner: name, now: at(100), expiresAt: at(130), limit: 2 });
        if (got.length === 0) return;
        taken[name]?.push(...got.map((l) => l.key));
      }
    };

    await Promise.all([worker('a', a), worker('b', b), worker('c', c)]);

    const all = [...(taken['a'] ?? []), ...(taken['b'] ?? []), ...(taken['c'] ?? [])];
    expect([offered, again]).toEqual([24, 0]);
    expect(all.sort()).toEqual(units.map((u) => u.key));
    expect(new Set(all).size).toBe(24);
    expect((await a.listLeases({ kind: 'scan-unit', status: 'held' })).length).toBe(24);
  });

  it.skipIf(backend.skip)('renews every lease of a replica with its heartbeat and reports one that was taken over', async () => {
    await a.joinReplica(replica('hb-a'), T0, at(30));
    await a.claim({ ...item('probes@1'), owner: 'hb-a', now: T0, expiresAt: at(30) });
    await a.claim({ ...item('probes@2'), owner: 'hb-a', now: T0, expiresAt: at(30) });
    const first = await a.heartbeat('hb-a', 'hb-a-1', at(20), at(50));
    await b.claim({ ...item('probes@2'), owner: 'hb-b', now: at(50), expiresAt: at(80) });

    const second = await a.heartbeat('hb-a', 'hb-a-1', at(51), at(81));
    const stranger = await a.heartbeat('hb-a', 'another-incarnation', at(51), at(81));

    expect(first).toEqual(['probes@1', 'probes@2']);
    expect(second).toEqual(['probes@1']);
    expect(stranger).toBeUndefined();
    expect(await a.getLease('probes@1')).toMatchObject({ owner: 'hb-a', heartbeatAt: at(51), expiresAt: at(81) });
    expect((await a.listReplicas()).find((r) => r.id === 'hb-a')).toMatchObject({ heartbeatAt: at(51), expiresAt: at(81) });
  });

  it.skipIf(backend.skip)('refuses a replica id a live process uses; a restart after it expired reopens what it held', async () => {
    await a.joinReplica(replica('vigil-0', 'first'), T0, at(30));
    await a.claim({ ...item('drills@9'), owner: 'vigil-0', now: T0, expiresAt: at(30) });

    const refused = await b.joinReplica(replica('vigil-0', 'second'), at(10), at(40));
    const restarted = await b.joinReplica(replica('vigil-0', 'second'), at(31), at(61));
    const reclaimed = await c.claim({ ...item('drills@9'), owner: 'vigil-1', now: at(32), expiresAt: at(62) });

    expect(refused).toMatchObject({ joined: false, holder: { id: 'vigil-0', incarnation: 'first', expiresAt: at(30) } });
    expect(restarted).toMatchObject({ joined: true, replica: { incarnation: 'second', startedAt: at(31) }, previous: { incarnation: 'first' }, reopened: ['drills@9'] });
    expect(reclaimed).toMatchObject({ claimed: true, previous: { status: 'open', outcome: 'abandoned', owner: 'vigil-0' } });
  });

  it.skipIf(backend.skip)('marks a replica stopped when it leaves, and forgets replicas long gone that hold nothing', async () => {
    await a.joinReplica(replica('old-1'), T0, at(30));
    await a.joinReplica(replica('old-2'), T0, at(30));
    await a.claim({ ...item('report@old'), owner: 'old-2', now: T0, expiresAt: at(30) });
    await a.leaveReplica('old-1', 'old-1-1', at(10));

    const pruned = await b.pruneReplicas(at(86_400));

    expect(pruned).toEqual(expect.arrayContaining(['old-1']));
    expect(pruned).not.toContain('old-2');
  });
});
