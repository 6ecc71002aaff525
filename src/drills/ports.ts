/** What a drill needs from the outside world; adapters implement these, tests can fake them. */
import type { Snapshot } from '../checks/resources.js';
import type { AccountConfig } from '../config/schema.js';

export interface RestoredInstance {
  id: string;
  status: string;
  endpoint?: { address: string; port: number };
  /** The RDS engine name (`postgres`, `mysql`, `mariadb`, ...), which decides how to connect. */
  engine?: string;
  tags: Record<string, string>;
}

export interface RestoreRequest {
  instanceId: string;
  snapshotId: string;
  instanceClass: string;
  subnetGroup?: string;
  securityGroups: string[];
  tags: Record<string, string>;
}

export interface DrillPlatform {
  /** Every DB snapshot visible in the region (own and DR copies). */
  snapshots(account: AccountConfig, region: string): Promise<Snapshot[]>;
  restore(account: AccountConfig, region: string, request: RestoreRequest): Promise<void>;
  /** undefined once the instance no longer exists. */
  describe(account: AccountConfig, region: string, instanceId: string): Promise<RestoredInstance | undefined>;
  delete(account: AccountConfig, region: string, instanceId: string): Promise<void>;
  /** Instances in the region carrying Vigil's drill tags, for the orphan sweep. */
  drillInstances(account: AccountConfig, region: string): Promise<RestoredInstance[]>;
}

export interface CredentialSource {
  /** Reads a secret's fields (KV) or issues credentials (database engine). */
  read(path: string): Promise<Record<string, string>>;
}

export interface DatabaseSession {
  query(sql: string): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export interface DatabaseConnector {
  /** `engine` is the restored instance's RDS engine, when the platform reported it. */
  connect(options: { host: string; port: number; user: string; password: string; database: string; tls: 'require' | 'disable'; engine?: string }): Promise<DatabaseSession>;
}

/** Runs a zx verification script; resolves with its exit code and the tail of its output. */
export interface ScriptRunner {
  run(script: string, env: Record<string, string>, timeoutMs: number): Promise<{ exitCode: number; output: string }>;
}

export type Sleep = (ms: number) => Promise<void>;

/** One entry of ListObjectVersions: a version or a delete marker. */
export interface S3VersionEntry {
  key: string;
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
  lastModified: Date;
  size: number;
  etag?: string;
  /** `FULL_OBJECT` or `COMPOSITE`, where S3 says. */
  checksumType?: string;
  storageClass?: string;
}

/** What HeadObject with ChecksumMode ENABLED says about one version. */
export interface S3VersionHead {
  size: number;
  etag?: string;
  lastModified?: Date;
  /** Every x-amz-checksum-* S3 returned, by algorithm name as S3 spells it (`CRC64NVME`, `SHA256`). */
  checksums: Record<string, string>;
  /** `FULL_OBJECT`, or `COMPOSITE` for a checksum of part checksums, which cannot be recomputed from the bytes. */
  checksumType?: string;
  serverSideEncryption?: string;
  storageClass?: string;
}

/** An enabled-or-not replication rule, reduced to what decides whether it would copy a key. */
export interface S3ReplicationRuleSummary {
  id: string;
  enabled: boolean;
  prefix: string;
  tags: Record<string, string>;
  destination: string;
}

export interface S3CopyRequest {
  source: { bucket: string; key: string; versionId: string };
  target: { bucket: string; key: string };
  tags: Record<string, string>;
}

/** A version in a bucket, named exactly. */
export interface S3VersionRef {
  bucket: string;
  key: string;
  versionId: string;
}

/** The S3 side of a drill. Every call is in one account and region: the drill's source's. */
export interface S3DrillPlatform {
  /** Versions and delete markers under a prefix, keys in order and each key's newest first, page by page. */
  versions(account: AccountConfig, region: string, bucket: string, prefix: string): AsyncIterable<S3VersionEntry>;
  /** undefined when the version no longer exists. */
  head(account: AccountConfig, region: string, ref: S3VersionRef): Promise<S3VersionHead | undefined>;
  /** Copies a version; resolves with the new version's id (`null` in a bucket without versioning). */
  copy(account: AccountConfig, region: string, request: S3CopyRequest): Promise<{ versionId: string }>;
  /** The bytes of one version. */
  read(account: AccountConfig, region: string, ref: S3VersionRef): Promise<AsyncIterable<Uint8Array>>;
  /** One version's tags; undefined when the version no longer exists. */
  tags(account: AccountConfig, region: string, ref: S3VersionRef): Promise<Record<string, string> | undefined>;
  /** Permanently deletes one version (never a plain delete, which would add a delete marker). */
  deleteVersion(account: AccountConfig, region: string, ref: S3VersionRef): Promise<void>;
  /** The bucket's replication rules; empty when it has no replication configuration. */
  replicationRules(account: AccountConfig, region: string, bucket: string): Promise<S3ReplicationRuleSummary[]>;
}
