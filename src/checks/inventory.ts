/**
 * The port the engine reads inventory through. The AWS adapter implements it; tests can implement it
 * with plain data. Every list is fetched at most once per run, however many checks need it.
 */
import type { AccountConfig } from '../config/schema.js';
import type { IamInventoryPort } from './iam/index.js';
import type { EbsVolume, RdsCluster, RdsInstance, S3Bucket, Snapshot } from './resources.js';
import type { ThreatInventoryPort } from './threat/index.js';

export interface InventoryPort extends IamInventoryPort, ThreatInventoryPort {
  rdsInstances(account: AccountConfig, region: string): Promise<RdsInstance[]>;
  rdsClusters(account: AccountConfig, region: string): Promise<RdsCluster[]>;
  /** Instance snapshots, automated and manual, with sharing read for those that can be shared. */
  rdsSnapshots(account: AccountConfig, region: string): Promise<Snapshot[]>;
  rdsClusterSnapshots(account: AccountConfig, region: string): Promise<Snapshot[]>;
  ebsVolumes(account: AccountConfig, region: string): Promise<EbsVolume[]>;
  ebsSnapshots(account: AccountConfig, region: string): Promise<Snapshot[]>;
  /** Every bucket the account owns, with the region each lives in. */
  s3Buckets(account: AccountConfig): Promise<S3Bucket[]>;
  /** Lets go of what the adapter holds for an account (its clients) once the run is done with it. */
  release?(accountId: string): void;
}

/** An inventory that fetches each list once, and can be told a list has no readers left. */
export interface CachedInventory extends InventoryPort {
  /** Lets go of everything `method` has fetched; a later call fetches again. */
  forget(method: keyof InventoryPort): void;
}

/**
 * Memoizes every list for one run, keyed by method and arguments (accounts by id, dates by time),
 * so concurrent checks share one fetch.
 */
export function cachedInventory(inner: InventoryPort): CachedInventory {
  const cache = new Map<string, Map<string, unknown>>();
  const keyOf = (arg: unknown): string => {
    if (arg instanceof Date) return arg.toISOString();
    if (arg && typeof arg === 'object' && 'id' in arg) return String((arg as { id: unknown }).id);
    return JSON.stringify(arg) ?? 'undefined';
  };
  const forget = (method: keyof InventoryPort) => cache.delete(method);
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'forget') return forget;
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const method = String(prop);
        let fetched = cache.get(method);
        if (!fetched) cache.set(method, (fetched = new Map()));
        const key = args.map(keyOf).join('|');
        if (!fetched.has(key)) fetched.set(key, (value as (...a: unknown[]) => unknown).apply(target, args));
        return fetched.get(key);
      };
    },
  }) as CachedInventory;
}
