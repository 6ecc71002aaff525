/**
 * The port the engine reads inventory through. The AWS adapter implements it; tests can implement it
 * with plain data. Every list is fetched at most once per run, however many checks need it.
 */
import type { AccountConfig } from '../config/schema.js';
import type { EbsVolume, RdsCluster, RdsInstance, S3Bucket, Snapshot } from './resources.js';

export interface InventoryPort {
  rdsInstances(account: AccountConfig, region: string): Promise<RdsInstance[]>;
  rdsClusters(account: AccountConfig, region: string): Promise<RdsCluster[]>;
  /** Instance snapshots, automated and manual, with sharing read for those that can be shared. */
  rdsSnapshots(account: AccountConfig, region: string): Promise<Snapshot[]>;
  rdsClusterSnapshots(account: AccountConfig, region: string): Promise<Snapshot[]>;
  ebsVolumes(account: AccountConfig, region: string): Promise<EbsVolume[]>;
  ebsSnapshots(account: AccountConfig, region: string): Promise<Snapshot[]>;
  /** Every bucket the account owns, with the region each lives in. */
  s3Buckets(account: AccountConfig): Promise<S3Bucket[]>;
}

type Method = keyof InventoryPort;

/** Memoizes each list per account and region for one run, so concurrent checks share one fetch. */
export class CachedInventory implements InventoryPort {
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(private readonly inner: InventoryPort) {}

  private memo<T>(method: Method, account: AccountConfig, region: string, load: () => Promise<T>): Promise<T> {
    const key = `${method}|${account.id}|${region}`;
    let value = this.cache.get(key) as Promise<T> | undefined;
    if (!value) {
      value = load();
      this.cache.set(key, value);
    }
    return value;
  }

  rdsInstances(account: AccountConfig, region: string) {
    return this.memo('rdsInstances', account, region, () => this.inner.rdsInstances(account, region));
  }
  rdsClusters(account: AccountConfig, region: string) {
    return this.memo('rdsClusters', account, region, () => this.inner.rdsClusters(account, region));
  }
  rdsSnapshots(account: AccountConfig, region: string) {
    return this.memo('rdsSnapshots', account, region, () => this.inner.rdsSnapshots(account, region));
  }
  rdsClusterSnapshots(account: AccountConfig, region: string) {
    return this.memo('rdsClusterSnapshots', account, region, () => this.inner.rdsClusterSnapshots(account, region));
  }
  ebsVolumes(account: AccountConfig, region: string) {
    return this.memo('ebsVolumes', account, region, () => this.inner.ebsVolumes(account, region));
  }
  ebsSnapshots(account: AccountConfig, region: string) {
    return this.memo('ebsSnapshots', account, region, () => this.inner.ebsSnapshots(account, region));
  }
  s3Buckets(account: AccountConfig) {
    return this.memo('s3Buckets', account, '*', () => this.inner.s3Buckets(account));
  }
}
