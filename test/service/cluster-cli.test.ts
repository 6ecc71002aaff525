/**
 * `vigil cluster status` as an operator runs it, against the database the replicas share (an SQLite
 * file and a real PostgreSQL): which replicas are live, expired or stopped, what is held and by whom,
 * what waits for a taker, and what finished after a takeover. And `vigil serve` refusing bad cluster
 * input at start: exit 2 with the fields named, nothing registered, nothing claimed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../src/service/cluster-status.js';
import type { ClusterStore } from '../../src/store/cluster-types.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { runCli } from '../helpers/cli.js';
import { skipWithoutPostgres, startTestPostgres } from '../helpers/postgres.js';

const ACCOUNTS = 'version: 1\naccounts:\n  - { id: "222222222222", name: production, regions: [us-east-1] }\n';
const CLUSTER = 'service:\n  cluster: { replicaId: vigil-a, leaseTimeout: 30s, heartbeatInterval: 10s }\n';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers.splice(0)) await close();
});

interface Workspace {
  env: NodeJS.ProcessEnv;
  store(): Promise<Store>;
}

function workspace(config: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cluster-cli-'));
  writeFileSync(join(dir, 'vigil.config.yaml'), config);
  return { dir, env: { VIGIL_CONFIG: join(dir, 'vigil.config.yaml'), VIGIL_DATA_DIR: dir } };
}

async function sqliteWorkspace(): Promise<Workspace> {
  const { dir, env } = workspace(`${ACCOUNTS}${CLUSTER}`);
  return {
    env,
    store: async () => {
      const store = SqliteStore.open(dir);
      closers.push(() => store.close());
      return store;
    },
  };
}

async function postgresWorkspace(): Promise<Workspace> {
  const { PostgresStore } = await import('../../src/store/postgres.js');
  const url = await (await startTestPostgres()).newDatabase();
  const { env } = workspace(`${ACCOUNTS}store:\n  postgres:\n    url: ${url}\n${CLUSTER}`);
  return {
    env,
    store: async () => {
      const store = await PostgresStore.open({ url, poolSize: 2 });
      closers.push(() => store.close());
      return store;
    },
  };
}

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();
const replica = (id: string) => ({ id, host: 'node-1', pid: 4100, version: '0.9.0', incarnation: `${id}-1` });
const occurrence = (schedule: string, due: string) => ({ key: `schedule:${schedule}@${due}`, kind: 'schedule', subject: schedule, dueAt: due });

/**
 * Three replicas as the service leaves them: vigil-a live and holding today's check run; vigil-b
 * expired (killed) holding the weekly drill; vigil-c stopped after giving its probes run back. Yesterday's
 * check run was vigil-b's, taken over by vigil-a, who finished it.
 */
async function arrangeCluster(cluster: ClusterStore): Promise<void> {
  const hour = 3600;
  await cluster.joinReplica(replica('vigil-b'), ago(2 * hour), ago(2 * hour - 30));
  await cluster.joinReplica(replica('vigil-a'), ago(hour), new Date(Date.now() + hour * 1000).toISOString());
  await cluster.joinReplica(replica('vigil-c'), ago(hour), ago(hour - 30));
  await cluster.leaveReplica('vigil-c', 'vigil-c-1', ago(hour - 20));

  const yesterday = occurrence('backup-checks-daily', '2026-11-23T04:30:00.000Z');
  await cluster.claim({ ...yesterday, owner: 'vigil-b', now: ago(2 * hour), expiresAt: ago(2 * hour - 30) });
  await cluster.claim({ ...yesterday, owner: 'vigil-a', now: ago(hour), expiresAt: new Date(Date.now() + hour * 1000).toISOString() });
  await cluster.release(yesterday.key, 'vigil-a', ago(hour - 60), { outcome: 'completed' });

  await cluster.claim({ ...occurrence('restore-drills-weekly', '2026-11-22T05:00:00.000Z'), owner: 'vigil-b', now: ago(2 * hour), expiresAt: ago(2 * hour - 30) });
  await cluster.claim({ ...occurrence('backup-checks-daily', '2026-11-24T04:30:00.000Z'), owner: 'vigil-a', now: ago(60), expiresAt: new Date(Date.now() + 25_000).toISOString() });
  const probes = occurrence('probes-hourly', '2026-11-24T09:40:00.000Z');
  await cluster.claim({ ...probes, owner: 'vigil-c', now: ago(hour), expiresAt: ago(hour - 30) });
  await cluster.release(probes.key, 'vigil-c', ago(hour - 20), { outcome: 'abandoned', reopen: true });
}

const backends: Array<{ name: string; skip: boolean; open: () => Promise<Workspace> }> = [
  { name: 'SQLite', skip: false, open: sqliteWorkspace },
  { name: 'PostgreSQL', skip: skipWithoutPostgres, open: postgresWorkspace },
];

for (const backend of backends) {
  describe.skipIf(backend.skip)(`vigil cluster status on ${backend.name}`, () => {
    it('shows live, expired and stopped replicas, held leases with their holders, work given back, and finished work taken over', async () => {
      const ws = await backend.open();
      await arrangeCluster((await ws.store()).cluster as ClusterStore);

      const [json, table] = await Promise.all([runCli(['cluster', 'status', '-o', 'json'], { env: ws.env }), runCli(['cluster', 'status'], { env: ws.env })]);

      expect([json.code, table.code]).toEqual([0, 0]);
      const status = JSON.parse(json.stdout) as ClusterStatus;
      expect(status.settings).toEqual({ replicaId: 'vigil-a', leaseTimeoutMs: 30_000, heartbeatIntervalMs: 10_000 });
      expect(status.replicas.map((r) => [r.id, r.state, r.holding])).toEqual([
        ['vigil-a', 'live', 1],
        ['vigil-b', 'expired', 1],
        ['vigil-c', 'stopped', 0],
      ]);
      expect(status.replicas.find((r) => r.id === 'vigil-b')?.heartbeatAgeSeconds).toBeGreaterThanOrEqual(7200);
      expect(status.held.map((l) => [l.key, l.owner, l.expired])).toEqual([
        ['schedule:restore-drills-weekly@2026-11-22T05:00:00.000Z', 'vigil-b', true],
        ['schedule:backup-checks-daily@2026-11-24T04:30:00.000Z', 'vigil-a', false],
      ]);
      expect(status.waiting.map((l) => [l.key, l.owner, l.outcome])).toEqual([['schedule:probes-hourly@2026-11-24T09:40:00.000Z', 'vigil-c', 'abandoned']]);
      expect(status.recent.map((l) => [l.key, l.owner, l.outcome, l.takenOver, l.previousOwner])).toEqual([
        ['schedule:backup-checks-daily@2026-11-23T04:30:00.000Z', 'vigil-a', 'completed', true, 'vigil-b'],
      ]);
      expect(table.stdout).toContain(`store: ${backend.name === 'SQLite' ? 'sqlite' : 'postgres'}; lease timeout 30 s, heartbeat every 10 s; this config's replica id: vigil-a`);
      expect(table.stdout).toMatch(/│ vigil-b +│ expired +│ 4100@node-1 +│ 0\.9\.0 +│ 2 h ago +│ 1 /);
      expect(table.stdout).toMatch(/│ schedule:restore-drills-weekly@2026-11-22T05:00:00\.000Z +│ schedule +│ vigil-b +│ 2 h ago +│ expired (120 min|2 h) ago +│ no +│/);
      expect(table.stdout).toMatch(/│ schedule:backup-checks-daily@2026-11-24T04:30:00\.000Z +│ schedule +│ vigil-a +│ 6\d s ago +│ in [12]\d s +│ no +│/);
      expect(table.stdout).toMatch(/│ schedule:probes-hourly@2026-11-24T09:40:00\.000Z +│ schedule +│ vigil-c +│ abandoned +│/);
      expect(table.stdout).toMatch(/│ schedule:backup-checks-daily@2026-11-23T04:30:00\.000Z +│ schedule +│ vigil-a +│ completed +│ [^│]+│ yes, from vigil-b +│/);
    }, 60_000);
  });
}

describe('vigil cluster status with one SQLite process', () => {
  it('says there are no replicas without service.cluster', async () => {
    const { env } = workspace(ACCOUNTS);

    const result = await runCli(['cluster', 'status'], { env });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('store: sqlite; one process (no service.cluster): no replicas, no leases');
    expect(result.stdout).toContain('replicas: none has registered');
  }, 30_000);

  it('exits 2 naming --recent and the value when it is not a whole number from 0 to 1000', async () => {
    const { env } = workspace(ACCOUNTS);

    const result = await runCli(['cluster', 'status', '--recent', 'ten'], { env });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--recent');
    expect(result.stderr).toContain('expected a whole number from 0 to 1000, got "ten"');
  }, 30_000);
});

describe.skipIf(skipWithoutPostgres)('vigil serve refuses bad cluster input at start', () => {
  it('exits 2 naming the fields for an unreachable database, a wrong password, a newer schema, or a lease timeout not past the heartbeat interval, claiming nothing', async () => {
    const server = await startTestPostgres();
    const future = await server.newDatabase();
    const healthy = await server.newDatabase();
    await withClient(future, (c) => c.query("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL); INSERT INTO schema_migrations VALUES (99, 'from the future', '2030-01-01')"));
    const store = (url: string) => `store:\n  postgres:\n    url: ${url}\n`;
    const unreachable = workspace(`${ACCOUNTS}${store('postgres://vigil:secret-pw-31337@127.0.0.1:1/vigil')}`);
    const refused = workspace(`${ACCOUNTS}${store(server.urlOf('postgres', 'secret-pw-31337'))}`);
    const newer = workspace(`${ACCOUNTS}${store(future)}`);
    const timing = workspace(`${ACCOUNTS}${store(healthy)}service:\n  cluster:\n    leaseTimeout: 10s\n    heartbeatInterval: 10s\n`);
    const serve = (env: NodeJS.ProcessEnv) => runCli(['serve', '--port', '0'], { env });

    const results = await Promise.all([serve(unreachable.env), serve(refused.env), serve(newer.env), serve(timing.env)]);

    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(results[0]?.stderr).toContain('vigil.config.yaml:6: store.postgres.url: cannot connect to PostgreSQL at 127.0.0.1:1/vigil: connection refused');
    expect(results[1]?.stderr).toContain(`vigil.config.yaml:6: store.postgres.url: PostgreSQL at 127.0.0.1:${server.port}/postgres refused the login: password authentication failed`);
    expect(results[2]?.stderr).toContain('is at schema version 99, newer than this Vigil knows');
    expect(results[3]?.stderr).toContain('service.cluster.leaseTimeout: 10s must be longer than service.cluster.heartbeatInterval (10s)');
    for (const r of results) expect(r.stdout + r.stderr).not.toContain('secret-pw-31337');
    // The config is refused before the store is opened: the database was never even migrated.
    expect(await withClient(healthy, async (c) => (await c.query("SELECT to_regclass('leases') AS t")).rows[0])).toEqual({ t: null });
  }, 60_000);
});

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
