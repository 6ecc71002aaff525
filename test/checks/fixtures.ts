/** Builders for inventory records, so evaluator tests read as data. */
import type { AccountConfig } from '../../src/config/schema.js';
import { DAY_MS, HOUR_MS } from '../../src/core/clock.js';
import type { EvalContext } from '../../src/checks/evaluator.js';
import { fetched, notFetched, type EbsVolume, type RdsCluster, type RdsInstance, type S3Bucket, type Snapshot } from '../../src/checks/resources.js';

export const NOW = new Date('2026-11-24T12:00:00.000Z');
export const ACCOUNT: AccountConfig = { id: '222222222222', name: 'production', regions: ['us-east-1', 'us-west-2'], drRegion: 'us-west-2' };

export const daysAgo = (n: number, hour = 4) => new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth(), NOW.getUTCDate() - n, hour));
export const hoursAgo = (n: number) => new Date(NOW.getTime() - n * HOUR_MS);

export function rdsInstance(overrides: Partial<RdsInstance> = {}): RdsInstance {
  return {
    kind: 'rds-instance',
    id: 'lms-prod',
    arn: 'arn:aws:rds:us-east-1:222222222222:db:lms-prod',
    accountId: ACCOUNT.id,
    region: 'us-east-1',
    tags: { env: 'production' },
    engine: 'postgres',
    status: 'available',
    multiAZ: true,
    backupRetentionDays: 30,
    encrypted: true,
    deletionProtection: true,
    publiclyAccessible: false,
    createdAt: new Date(NOW.getTime() - 400 * DAY_MS),
    ...overrides,
  };
}

export function rdsCluster(overrides: Partial<RdsCluster> = {}): RdsCluster {
  return {
    kind: 'rds-cluster',
    id: 'content-aurora',
    arn: 'arn:aws:rds:us-east-1:222222222222:cluster:content-aurora',
    accountId: ACCOUNT.id,
    region: 'us-east-1',
    tags: { env: 'production' },
    engine: 'aurora-postgresql',
    status: 'available',
    multiAZ: true,
    backupRetentionDays: 30,
    encrypted: true,
    deletionProtection: true,
    createdAt: new Date(NOW.getTime() - 400 * DAY_MS),
    members: ['content-aurora-1', 'content-aurora-2'],
    ...overrides,
  };
}

export function ebsVolume(overrides: Partial<EbsVolume> = {}): EbsVolume {
  return {
    kind: 'ebs-volume',
    id: 'vol-0abc',
    name: 'web-1',
    arn: 'arn:aws:ec2:us-east-1:222222222222:volume/vol-0abc',
    accountId: ACCOUNT.id,
    region: 'us-east-1',
    tags: { env: 'production' },
    sizeGiB: 100,
    state: 'in-use',
    encrypted: true,
    createdAt: new Date(NOW.getTime() - 400 * DAY_MS),
    ...overrides,
  };
}

export function snapshot(id: string, createdAt: Date, overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    id,
    arn: `arn:aws:rds:us-east-1:222222222222:snapshot:${id}`,
    accountId: ACCOUNT.id,
    region: 'us-east-1',
    tags: {},
    sourceKind: 'rds-instance',
    sourceId: 'lms-prod',
    type: 'automated',
    status: 'available',
    createdAt,
    encrypted: true,
    isPublic: fetched(false),
    sharedWith: fetched([]),
    ...overrides,
  };
}

/** One snapshot a day at 04:00 for `days` days, skipping `skip` (days ago). */
export function dailySnapshots(days: number, skip: number[] = [], overrides: Partial<Snapshot> = {}): Snapshot[] {
  const out: Snapshot[] = [];
  for (let d = 0; d < days; d++) if (!skip.includes(d)) out.push(snapshot(`rds:lms-prod-${d}`, daysAgo(d), overrides));
  return out;
}

export function bucket(overrides: Partial<S3Bucket> = {}): S3Bucket {
  return {
    kind: 's3-bucket',
    name: 'coursecraft-content-prod',
    arn: 'arn:aws:s3:::coursecraft-content-prod',
    accountId: ACCOUNT.id,
    region: 'us-east-1',
    tags: fetched({ env: 'production' }),
    versioning: fetched('Enabled'),
    lifecycle: fetched([{ id: 'expire-noncurrent', enabled: true, noncurrentExpirationDays: 60 }]),
    replication: fetched({
      role: 'arn:aws:iam::222222222222:role/s3-replication',
      rules: [{ id: 'to-dr', enabled: true, destinationBucketArn: 'arn:aws:s3:::coursecraft-content-dr', replicatesEncrypted: true }],
    }),
    encryption: fetched({ algorithm: 'aws:kms' }),
    publicAccessBlock: fetched({ blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true }),
    ...overrides,
  };
}

export const DR_BUCKET = bucket({ name: 'coursecraft-content-dr', arn: 'arn:aws:s3:::coursecraft-content-dr', region: 'us-west-2', replication: fetched(null) });

export function context<P>(params: P, overrides: Partial<EvalContext<P>> = {}): EvalContext<P> {
  return { params, now: NOW, account: ACCOUNT, region: 'us-east-1', drRegion: 'us-west-2', snapshots: [], drCopies: [], buckets: [bucket(), DR_BUCKET], data: {}, ...overrides };
}

export { fetched, notFetched };
