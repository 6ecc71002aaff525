/**
 * The databases replicas share in the cluster tests: one SQLite file (processes on one host) and a
 * real PostgreSQL database. Each `store()` is a separate connection, as each replica process opens
 * its own.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { skipWithoutPostgres, startTestPostgres } from '../helpers/postgres.js';

export interface ClusterBackend {
  name: string;
  skip: boolean;
  /** A new connection to the current database. */
  store(): Promise<Store>;
  /** Closes every connection and starts over on a fresh database. */
  reset(): Promise<void>;
  /** A successful job run of `schedule` as an earlier process left it. */
  seedSuccess(schedule: string, startedAt: string): Promise<void>;
}

function backend(name: string, skip: boolean, open: () => Promise<() => Promise<Store>>): ClusterBackend {
  let factory: (() => Promise<Store>) | undefined;
  const opened: Store[] = [];
  const self: ClusterBackend = {
    name,
    skip,
    async store() {
      factory ??= await open();
      const store = await factory();
      opened.push(store);
      return store;
    },
    async reset() {
      for (const store of opened.splice(0)) await store.close().catch(() => undefined);
      factory = undefined;
    },
    async seedSuccess(schedule, startedAt) {
      const store = await self.store();
      const id = `${schedule}-${startedAt}`;
      const summary = { schedule, job: 'drills', trigger: 'schedule', scheduledFor: startedAt, owner: '1@elsewhere' };
      await store.startRun({ id, kind: 'job', startedAt, trigger: 'schedule', actor: 'scheduler', summary });
      await store.finishRun(id, 'succeeded', new Date(Date.parse(startedAt) + 1_800_000).toISOString(), summary);
    },
  };
  return self;
}

export function clusterBackends(): ClusterBackend[] {
  return [
    backend('SQLite', false, async () => {
      // Memory-backed where there is one: the store syncs every commit to disk, and a simulated week commits thousands.
      const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'vigil-replicas-'));
      return async () => SqliteStore.open(dir);
    }),
    backend('PostgreSQL', skipWithoutPostgres, async () => {
      const { PostgresStore } = await import('../../src/store/postgres.js');
      const url = await (await startTestPostgres()).newDatabase();
      return async () => PostgresStore.open({ url, poolSize: 4 });
    }),
  ];
}
