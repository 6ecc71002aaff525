/**
 * Stores for tests that must hold on both backends: SQLite in a temp directory and PostgreSQL on a fresh
 * database of the test process's server (test/helpers/postgres.ts). `describeStores` runs a suite once
 * per backend; `openTestStore` gives one store for a test that picks its backend itself.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe } from 'vitest';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { skipWithoutPostgres, startTestPostgres } from './postgres.js';

export type StoreKind = Store['kind'];

export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'postgres'];

/** Whether `kind` cannot run here (PostgreSQL not installed, outside CI). */
export function skipStore(kind: StoreKind): boolean {
  return kind === 'postgres' && skipWithoutPostgres;
}

/** An empty, migrated store: a new temp directory, or a new database on the test PostgreSQL server. */
export async function openTestStore(kind: StoreKind): Promise<Store> {
  if (kind === 'sqlite') return SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-store-')));
  const server = await startTestPostgres();
  const url = await server.newDatabase();
  const store = await PostgresStore.open({ url });
  urls.set(store, url);
  return store;
}

const urls = new WeakMap<Store, string>();

export interface StoreContext {
  kind: StoreKind;
  /** A fresh store, closed after the test. */
  open(): Promise<Store>;
  /** Another store on the same data as `store` (a second process or replica), closed after the test. */
  reopen(store: Store): Promise<Store>;
}

/**
 * Declares `body` once per backend, as `<title> (sqlite)` and `<title> (postgres)`. Stores opened through
 * the context are closed after each test.
 */
export function describeStores(title: string, body: (ctx: StoreContext) => void): void {
  for (const kind of STORE_KINDS) {
    describe.skipIf(skipStore(kind))(`${title} (${kind})`, () => {
      const opened: Store[] = [];
      afterEach(async () => {
        for (const store of opened.splice(0).reverse()) await store.close();
      });
      const track = (store: Store) => {
        opened.push(store);
        return store;
      };
      body({
        kind,
        open: async () => track(await openTestStore(kind)),
        reopen: async (store) => track(await reopenStore(store)),
      });
    });
  }
}

async function reopenStore(store: Store): Promise<Store> {
  if (store instanceof SqliteStore) return SqliteStore.open(join(store.file, '..'));
  const url = urls.get(store);
  if (store instanceof PostgresStore && url) {
    const other = await PostgresStore.open({ url });
    urls.set(other, url);
    return other;
  }
  throw new Error(`cannot reopen a ${store.kind} store`);
}
