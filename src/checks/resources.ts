/**
 * The inventory the checks judge, normalized from the vendor APIs by the adapter. Nothing here is an
 * SDK type: evaluators are pure functions over these shapes.
 */
import type { IamResource } from './iam/index.js';
import type { ThreatResource } from './threat/index.js';

export type Tags = Record<string, string>;

/**
 * A value an adapter may have failed to read. Evaluators that need it call `known()`, which turns a
 * failure into an `error` verdict: a check that could not look never passes or fails.
 */
export type Fetched<T> = { ok: true; value: T } | { ok: false; reason: string };

export function fetched<T>(value: T): Fetched<T> {
  return { ok: true, value };
}

export function notFetched<T>(reason: string): Fetched<T> {
  return { ok: false, reason };
}

/** Thrown inside an evaluator when a fact it needs could not be read; becomes an `error` verdict. */
export class CouldNotLook extends Error {
  override name = 'CouldNotLook';
}

export function known<T>(value: Fetched<T>, what: string): T {
  if (!value.ok) throw new CouldNotLook(`could not read ${what}: ${value.reason}`);
  return value.value;
}

/** What backups are taken of: an RDS instance, an Aurora cluster, or an EBS volume. */
export type SourceKind = 'rds-instance' | 'rds-cluster' | 'ebs-volume';

interface Located {
  accountId: string;
  region: string;
  arn: string;
  tags: Tags;
}

export interface RdsInstance extends Located {
  kind: 'rds-instance';
  id: string;
  engine: string;
  engineVersion?: string;
  instanceClass?: string;
  status: string;
  multiAZ: boolean;
  /** 0 means automated backups are off. */
  backupRetentionDays: number;
  encrypted: boolean;
  kmsKeyId?: string;
  deletionProtection: boolean;
  publiclyAccessible: boolean;
  createdAt: Date;
  /** Set when the instance belongs to an Aurora cluster, whose backups are the cluster's. */
  clusterId?: string;
  /** Set when the instance is a read replica: the instance it replicates. */
  replicaOf?: string;
}

export interface RdsCluster extends Located {
  kind: 'rds-cluster';
  id: string;
  engine: string;
  status: string;
  multiAZ: boolean;
  backupRetentionDays: number;
  encrypted: boolean;
  kmsKeyId?: string;
  deletionProtection: boolean;
  createdAt: Date;
  members: string[];
}

export interface EbsVolume extends Located {
  kind: 'ebs-volume';
  id: string;
  name?: string;
  sizeGiB: number;
  volumeType?: string;
  state: string;
  encrypted: boolean;
  kmsKeyId?: string;
  createdAt: Date;
}

export type BackupSource = RdsInstance | RdsCluster | EbsVolume;

export interface Snapshot extends Located {
  id: string;
  sourceKind: SourceKind;
  /** The instance, cluster or volume it was taken of (for copies: of the original). */
  sourceId: string;
  type: 'automated' | 'manual' | 'shared' | 'public' | 'awsbackup';
  status: string;
  createdAt: Date;
  /** When the data it holds is from: for a copy, its original's creation time. */
  dataAsOf?: Date;
  encrypted: boolean;
  kmsKeyId?: string;
  /** For a copy: where the original lives. */
  sourceRegion?: string;
  sourceSnapshotArn?: string;
  /** Public means restorable by any AWS account. */
  isPublic: Fetched<boolean>;
  /** Accounts it is shared with (createVolumePermission / restore attribute). */
  sharedWith: Fetched<string[]>;
}

export interface LifecycleRule {
  id: string;
  enabled: boolean;
  /** undefined when the rule applies to the whole bucket. */
  filter?: { prefix?: string; tags?: Tags; objectSizeGreaterThan?: number; objectSizeLessThan?: number };
  expirationDays?: number;
  noncurrentExpirationDays?: number;
  newerNoncurrentVersions?: number;
}

export interface ReplicationRule {
  id: string;
  enabled: boolean;
  priority?: number;
  filter?: { prefix?: string; tags?: Tags };
  destinationBucketArn: string;
  destinationAccount?: string;
  replicatesEncrypted: boolean;
}

export interface PublicAccessBlock {
  blockPublicAcls: boolean;
  ignorePublicAcls: boolean;
  blockPublicPolicy: boolean;
  restrictPublicBuckets: boolean;
}

export interface S3Bucket {
  kind: 's3-bucket';
  name: string;
  arn: string;
  accountId: string;
  region: string;
  createdAt?: Date;
  tags: Fetched<Tags>;
  versioning: Fetched<'Enabled' | 'Suspended' | 'Disabled'>;
  /** null when the bucket has no lifecycle configuration. */
  lifecycle: Fetched<LifecycleRule[] | null>;
  replication: Fetched<{ role: string; rules: ReplicationRule[] } | null>;
  encryption: Fetched<{ algorithm: string; kmsKeyId?: string } | null>;
  publicAccessBlock: Fetched<PublicAccessBlock | null>;
}

export type Resource = BackupSource | S3Bucket | IamResource | ThreatResource;
export type ResourceKind = Resource['kind'];
