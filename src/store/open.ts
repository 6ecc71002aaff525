/**
 * Which store a configuration names: PostgreSQL when `store.postgres` is set (several replicas share
 * it), otherwise the SQLite file in the data directory. The one place that chooses a backend.
 */
import type { StoreConfig } from '../config/schema.js';
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export interface OpenStoreOptions {
  dataDir: string;
  /** The config file, and where a field is in it, so an unusable URL is reported at its line. */
  configFile?: string;
  locate?: (path: readonly PropertyKey[]) => number | undefined;
}

/**
 * The store, without waiting for it: SQLite opens (and migrates) now; PostgreSQL connects on first use,
 * and its first call fails with the ConfigError opening met. `storeReady` waits for it instead.
 */
export function openStore(config: { store: StoreConfig }, options: OpenStoreOptions): Store {
  const postgres = config.store.postgres;
  if (!postgres) return SqliteStore.open(options.dataDir);
  const line = options.locate?.(['store', 'postgres', 'url']);
  return new PostgresStore({
    url: postgres.url,
    poolSize: postgres.poolSize,
    source: { file: options.configFile ?? 'config', ...(line !== undefined ? { line } : {}) },
  });
}

/**
 * Resolves once the store can be used: for PostgreSQL, connected, at a schema this Vigil knows and
 * migrated. Call it at start (`vigil serve`) to fail there, exit 2, before anything is claimed.
 */
export async function storeReady(store: Store): Promise<Store> {
  if (store instanceof PostgresStore) await store.ready();
  return store;
}
