/**
 * The AWS side of the check engine's inventory port: RDS, EC2 and S3 read with the largest page sizes
 * the APIs allow, and normalized into src/checks/resources.ts shapes. A per-bucket or per-snapshot
 * read that fails is kept as a `Fetched` failure, so only the verdicts that need it become errors.
 *
 * Reads that do not depend on one another are asked for at once: a page's per-snapshot reads go out
 * while the next page is fetched, and every bucket is read together. The pacer (pacing.ts) keeps them
 * within each scope's rate, so a scope with thousands of reads runs at its limit from the start.
 */
import {
  DescribeSnapshotsCommand,
  paginateDescribeSnapshots,
  paginateDescribeVolumes,
  type Snapshot as Ec2Snapshot,
  type Tag as Ec2Tag,
} from '@aws-sdk/client-ec2';
import {
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBSnapshotAttributesCommand,
  paginateDescribeDBClusters,
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBInstances,
  paginateDescribeDBSnapshots,
  type DBSnapshotAttribute,
  type Tag as RdsTag,
} from '@aws-sdk/client-rds';
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  paginateListBuckets,
  type LifecycleRule as S3LifecycleRule,
  type ReplicationRule as S3ReplicationRule,
} from '@aws-sdk/client-s3';
import type { IamInventoryPort } from '../../checks/iam/index.js';
import type { InventoryPort } from '../../checks/inventory.js';
import type { ThreatInventoryPort } from '../../checks/threat/index.js';
import {
  fetched,
  notFetched,
  type EbsVolume,
  type Fetched,
  type LifecycleRule,
  type PublicAccessBlock,
  type RdsCluster,
  type RdsInstance,
  type ReplicationRule,
  type S3Bucket,
  type Snapshot,
  type Tags,
} from '../../checks/resources.js';
import type { AccountConfig } from '../../config/schema.js';
import { forgetAccount, type AwsClients } from './clients.js';
import { awsCall, classifyAwsError, toExternalError } from './errors.js';

/** The part of the port this class implements; the IAM and threat adapters implement the rest. */
export type BackupInventoryPort = Omit<InventoryPort, keyof IamInventoryPort | keyof ThreatInventoryPort | 'release'>;

/** IAM actions each inventory list calls, for Vigil's own least-privilege policy. */
export const INVENTORY_ACTIONS: Record<keyof BackupInventoryPort, readonly string[]> = {
  rdsInstances: ['rds:DescribeDBInstances'],
  rdsClusters: ['rds:DescribeDBClusters'],
  rdsSnapshots: ['rds:DescribeDBSnapshots', 'rds:DescribeDBSnapshotAttributes'],
  rdsClusterSnapshots: ['rds:DescribeDBClusterSnapshots', 'rds:DescribeDBClusterSnapshotAttributes'],
  ebsVolumes: ['ec2:DescribeVolumes'],
  ebsSnapshots: ['ec2:DescribeSnapshots'],
  s3Buckets: [
    's3:ListAllMyBuckets',
    's3:GetBucketLocation',
    's3:GetBucketTagging',
    's3:GetBucketVersioning',
    's3:GetLifecycleConfiguration',
    's3:GetReplicationConfiguration',
    's3:GetEncryptionConfiguration',
    's3:GetBucketPublicAccessBlock',
  ],
};

const RDS_PAGE = 100;
const EC2_VOLUME_PAGE = 500;
const EC2_SNAPSHOT_PAGE = 1000;
/** What AWS's own tooling uses for EBS copies' unknown source volume. */
const PLACEHOLDER_VOLUME = 'vol-ffffffff';

/** One copy of each text a listing repeats; `undefined` stays `undefined`. */
type Intern = <T extends string | undefined>(text: T) => T;

/**
 * A listing's interner: a large account's 25,000 snapshots repeat a handful of KMS keys, states, volume
 * ids and tag values, each otherwise a string of its own for as long as the account's checks need them.
 */
function interner(): Intern {
  const seen = new Map<string, string>();
  return <T extends string | undefined>(text: T): T => {
    if (text === undefined) return text;
    const kept = seen.get(text);
    if (kept !== undefined) return kept as T;
    seen.set(text, text);
    return text;
  };
}

const asIs: Intern = (text) => text;

function rdsTags(list: RdsTag[] | undefined, intern: Intern = asIs): Tags {
  return Object.fromEntries((list ?? []).map((t) => [t.Key ?? '', intern(t.Value ?? '')]));
}

function ec2Tags(list: Ec2Tag[] | undefined, intern: Intern = asIs): Tags {
  return Object.fromEntries((list ?? []).map((t) => [t.Key ?? '', intern(t.Value ?? '')]));
}

/** Sharing answers most snapshots have: one frozen object each, not one per snapshot. */
const NOT_PUBLIC: Fetched<boolean> = Object.freeze(fetched(false));
const PUBLIC: Fetched<boolean> = Object.freeze(fetched(true));
const SHARED_WITH_NONE: Fetched<string[]> = Object.freeze(fetched(Object.freeze([]) as unknown as string[]));
const SHARING_NOT_READ_YET: Fetched<never> = Object.freeze(notFetched<never>('not read yet'));
const EBS_SHARING_UNREAD: Fetched<string[]> = Object.freeze(
  notFetched<string[]>('Vigil does not read per-snapshot sharing of EBS snapshots (one API call per snapshot); only public exposure is judged'),
);

function restoreAttribute(attributes: DBSnapshotAttribute[] | undefined): { isPublic: boolean; sharedWith: string[] } {
  const values = (attributes ?? []).find((a) => a.AttributeName === 'restore')?.AttributeValues ?? [];
  return { isPublic: values.includes('all'), sharedWith: values.filter((v) => v !== 'all') };
}

function setSharing(s: Snapshot, read: Fetched<{ isPublic: boolean; sharedWith: string[] }>): void {
  if (!read.ok) {
    s.isPublic = read;
    s.sharedWith = read;
    return;
  }
  s.isPublic = read.value.isPublic ? PUBLIC : NOT_PUBLIC;
  s.sharedWith = read.value.sharedWith.length === 0 ? SHARED_WITH_NONE : fetched(read.value.sharedWith);
}

/**
 * Buckets' public access blocks, each read once per run however many reads need it: the S3 checks read
 * it with a bucket's other settings, the CloudTrail checks with the trail bucket's exposure, and a
 * trail's bucket is usually one of the account's own. Absent (no configuration) is null; a failure to
 * read rejects with an ExternalServiceError.
 */
export class PublicAccessBlocks {
  private readonly reads = new Map<string, Promise<PublicAccessBlock | null>>();

  constructor(private readonly clients: AwsClients) {}

  read(account: AccountConfig, region: string, bucket: string): Promise<PublicAccessBlock | null> {
    const key = `${account.id}|${bucket}`;
    let read = this.reads.get(key);
    if (!read) {
      read = this.clients
        .client('s3', account, region)
        .send(new GetPublicAccessBlockCommand({ Bucket: bucket }))
        .then(
          (r) => {
            const c = r.PublicAccessBlockConfiguration;
            return c ? { blockPublicAcls: c.BlockPublicAcls ?? false, ignorePublicAcls: c.IgnorePublicAcls ?? false, blockPublicPolicy: c.BlockPublicPolicy ?? false, restrictPublicBuckets: c.RestrictPublicBuckets ?? false } : null;
          },
          (err: unknown) => {
            if (classifyAwsError(err).code === 'NoSuchPublicAccessBlockConfiguration') return null;
            throw toExternalError(err, { service: 's3', operation: 'GetPublicAccessBlock', account: account.id, region });
          },
        );
      this.reads.set(key, read);
    }
    return read;
  }

  /** Forgets an account's reads once the run is done with it (AwsClients.release). */
  forget(accountId: string): void {
    forgetAccount(this.reads, accountId);
  }
}

export class AwsInventory implements BackupInventoryPort {
  constructor(
    private readonly clients: AwsClients,
    private readonly blocks = new PublicAccessBlocks(clients),
  ) {}

  async rdsInstances(account: AccountConfig, region: string): Promise<RdsInstance[]> {
    const client = this.clients.client('rds', account, region);
    return awsCall({ service: 'rds', operation: 'DescribeDBInstances', account: account.id, region }, async () => {
      const out: RdsInstance[] = [];
      for await (const page of paginateDescribeDBInstances({ client, pageSize: RDS_PAGE }, {})) {
        for (const db of page.DBInstances ?? []) {
          out.push({
            kind: 'rds-instance',
            id: db.DBInstanceIdentifier ?? '',
            arn: db.DBInstanceArn ?? `arn:aws:rds:${region}:${account.id}:db:${db.DBInstanceIdentifier}`,
            accountId: account.id,
            region,
            tags: rdsTags(db.TagList),
            engine: db.Engine ?? 'unknown',
            engineVersion: db.EngineVersion,
            instanceClass: db.DBInstanceClass,
            status: db.DBInstanceStatus ?? 'unknown',
            multiAZ: db.MultiAZ ?? false,
            backupRetentionDays: db.BackupRetentionPeriod ?? 0,
            encrypted: db.StorageEncrypted ?? false,
            kmsKeyId: db.KmsKeyId,
            deletionProtection: db.DeletionProtection ?? false,
            publiclyAccessible: db.PubliclyAccessible ?? false,
            createdAt: db.InstanceCreateTime ?? new Date(0),
            clusterId: db.DBClusterIdentifier,
            replicaOf: db.ReadReplicaSourceDBInstanceIdentifier,
          });
        }
      }
      return out;
    });
  }

  async rdsClusters(account: AccountConfig, region: string): Promise<RdsCluster[]> {
    const client = this.clients.client('rds', account, region);
    return awsCall({ service: 'rds', operation: 'DescribeDBClusters', account: account.id, region }, async () => {
      const out: RdsCluster[] = [];
      for await (const page of paginateDescribeDBClusters({ client, pageSize: RDS_PAGE }, {})) {
        for (const c of page.DBClusters ?? []) {
          out.push({
            kind: 'rds-cluster',
            id: c.DBClusterIdentifier ?? '',
            arn: c.DBClusterArn ?? '',
            accountId: account.id,
            region,
            tags: rdsTags(c.TagList),
            engine: c.Engine ?? 'unknown',
            status: c.Status ?? 'unknown',
            multiAZ: c.MultiAZ ?? false,
            backupRetentionDays: c.BackupRetentionPeriod ?? 0,
            encrypted: c.StorageEncrypted ?? false,
            kmsKeyId: c.KmsKeyId,
            deletionProtection: c.DeletionProtection ?? false,
            createdAt: c.ClusterCreateTime ?? new Date(0),
            members: (c.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier ?? ''),
          });
        }
      }
      return out;
    });
  }

  async rdsSnapshots(account: AccountConfig, region: string): Promise<Snapshot[]> {
    const client = this.clients.client('rds', account, region);
    const out: Snapshot[] = [];
    const sharing: Array<Promise<void>> = [];
    const readSharing = (s: Snapshot) =>
      this._readSharing(
        () => client.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: s.id })).then((r) => restoreAttribute(r.DBSnapshotAttributesResult?.DBSnapshotAttributes)),
        { service: 'rds', operation: 'DescribeDBSnapshotAttributes', account: account.id, region },
      ).then((read) => setSharing(s, read));
    const intern = interner();
    await awsCall({ service: 'rds', operation: 'DescribeDBSnapshots', account: account.id, region }, async () => {
      for await (const page of paginateDescribeDBSnapshots({ client, pageSize: RDS_PAGE }, {})) {
        for (const s of page.DBSnapshots ?? []) {
          const automated = s.SnapshotType === 'automated';
          out.push({
            id: s.DBSnapshotIdentifier ?? '',
            arn: s.DBSnapshotArn ?? '',
            accountId: account.id,
            region,
            tags: rdsTags(s.TagList, intern),
            sourceKind: 'rds-instance',
            sourceId: intern(s.DBInstanceIdentifier ?? ''),
            type: (s.SnapshotType as Snapshot['type']) ?? 'manual',
            status: intern(s.Status ?? 'unknown'),
            createdAt: s.SnapshotCreateTime ?? s.OriginalSnapshotCreateTime ?? new Date(0),
            dataAsOf: s.OriginalSnapshotCreateTime ?? s.SnapshotCreateTime,
            encrypted: s.Encrypted ?? false,
            kmsKeyId: intern(s.KmsKeyId),
            sourceRegion: intern(s.SourceRegion),
            sourceSnapshotArn: s.SourceDBSnapshotIdentifier,
            // Automated snapshots cannot be shared or made public; only manual ones need a look.
            isPublic: automated ? NOT_PUBLIC : SHARING_NOT_READ_YET,
            sharedWith: automated ? SHARED_WITH_NONE : SHARING_NOT_READ_YET,
          });
          const snapshot = out[out.length - 1] as Snapshot;
          if (!automated) sharing.push(readSharing(snapshot));
        }
      }
    });
    await Promise.all(sharing);
    return out;
  }

  async rdsClusterSnapshots(account: AccountConfig, region: string): Promise<Snapshot[]> {
    const client = this.clients.client('rds', account, region);
    const out: Snapshot[] = [];
    const sharing: Array<Promise<void>> = [];
    const readSharing = (s: Snapshot) =>
      this._readSharing(
        () =>
          client
            .send(new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: s.id }))
            .then((r) => restoreAttribute(r.DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes)),
        { service: 'rds', operation: 'DescribeDBClusterSnapshotAttributes', account: account.id, region },
      ).then((read) => setSharing(s, read));
    const intern = interner();
    await awsCall({ service: 'rds', operation: 'DescribeDBClusterSnapshots', account: account.id, region }, async () => {
      for await (const page of paginateDescribeDBClusterSnapshots({ client, pageSize: RDS_PAGE }, {})) {
        for (const s of page.DBClusterSnapshots ?? []) {
          const automated = s.SnapshotType === 'automated';
          out.push({
            id: s.DBClusterSnapshotIdentifier ?? '',
            arn: s.DBClusterSnapshotArn ?? '',
            accountId: account.id,
            region,
            tags: rdsTags(s.TagList, intern),
            sourceKind: 'rds-cluster',
            sourceId: intern(s.DBClusterIdentifier ?? ''),
            type: (s.SnapshotType as Snapshot['type']) ?? 'manual',
            status: intern(s.Status ?? 'unknown'),
            createdAt: s.SnapshotCreateTime ?? new Date(0),
            encrypted: s.StorageEncrypted ?? false,
            kmsKeyId: intern(s.KmsKeyId),
            sourceSnapshotArn: s.SourceDBClusterSnapshotArn,
            sourceRegion: intern(s.SourceDBClusterSnapshotArn?.split(':')[3]),
            isPublic: automated ? NOT_PUBLIC : SHARING_NOT_READ_YET,
            sharedWith: automated ? SHARED_WITH_NONE : SHARING_NOT_READ_YET,
          });
          const snapshot = out[out.length - 1] as Snapshot;
          if (!automated) sharing.push(readSharing(snapshot));
        }
      }
    });
    await Promise.all(sharing);
    return out;
  }

  private async _readSharing<T>(read: () => Promise<T>, ctx: { service: string; operation: string; account: string; region: string }): Promise<Fetched<T>> {
    try {
      return fetched(await read());
    } catch (err) {
      return notFetched(toExternalError(err, ctx).message);
    }
  }

  async ebsVolumes(account: AccountConfig, region: string): Promise<EbsVolume[]> {
    const client = this.clients.client('ec2', account, region);
    return awsCall({ service: 'ec2', operation: 'DescribeVolumes', account: account.id, region }, async () => {
      const out: EbsVolume[] = [];
      for await (const page of paginateDescribeVolumes({ client, pageSize: EC2_VOLUME_PAGE }, {})) {
        for (const v of page.Volumes ?? []) {
          const tags = ec2Tags(v.Tags);
          out.push({
            kind: 'ebs-volume',
            id: v.VolumeId ?? '',
            name: tags['Name'],
            arn: `arn:aws:ec2:${region}:${account.id}:volume/${v.VolumeId}`,
            accountId: account.id,
            region,
            tags,
            sizeGiB: v.Size ?? 0,
            volumeType: v.VolumeType,
            state: v.State ?? 'unknown',
            encrypted: v.Encrypted ?? false,
            kmsKeyId: v.KmsKeyId,
            createdAt: v.CreateTime ?? new Date(0),
          });
        }
      }
      return out;
    });
  }

  async ebsSnapshots(account: AccountConfig, region: string): Promise<Snapshot[]> {
    const client = this.clients.client('ec2', account, region);
    const ctx = { service: 'ec2', operation: 'DescribeSnapshots', account: account.id, region };
    return awsCall(ctx, async () => {
      // Each page becomes Vigil's snapshots as it arrives: the SDK's 25,000 records are not held at once.
      const intern = interner();
      const toSnapshot = (s: Ec2Snapshot): Snapshot => {
        const copiedFrom = /Copied (snap-[0-9a-f]+) from ([a-z0-9-]+)/.exec(s.Description ?? '');
        return {
          id: s.SnapshotId ?? '',
          arn: `arn:aws:ec2:${region}::snapshot/${s.SnapshotId}`,
          accountId: account.id,
          region,
          tags: ec2Tags(s.Tags, intern),
          sourceKind: 'ebs-volume',
          sourceId: intern(s.VolumeId ?? PLACEHOLDER_VOLUME),
          type: 'manual',
          status: intern(s.State ?? 'unknown'),
          createdAt: s.StartTime ?? new Date(0),
          encrypted: s.Encrypted ?? false,
          kmsKeyId: intern(s.KmsKeyId),
          sourceRegion: intern(copiedFrom?.[2]),
          sourceSnapshotArn: copiedFrom?.[1],
          isPublic: NOT_PUBLIC,
          sharedWith: EBS_SHARING_UNREAD,
        };
      };
      const listOwn = async () => {
        const own: Snapshot[] = [];
        for await (const page of paginateDescribeSnapshots({ client, pageSize: EC2_SNAPSHOT_PAGE }, { OwnerIds: ['self'] })) {
          for (const s of page.Snapshots ?? []) own.push(toSnapshot(s));
        }
        return own;
      };
      // One listing of what anyone may restore finds every public snapshot, instead of one
      // DescribeSnapshotAttribute call per snapshot; it runs alongside the listing of all of them.
      const listPublic = async () => {
        const ids = new Set<string>();
        let token: string | undefined;
        do {
          const page = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], RestorableByUserIds: ['all'], MaxResults: EC2_SNAPSHOT_PAGE, NextToken: token }));
          for (const s of page.Snapshots ?? []) ids.add(s.SnapshotId ?? '');
          token = page.NextToken;
        } while (token);
        return ids;
      };
      const [own, publicIds] = await Promise.all([listOwn(), listPublic()]);
      for (const s of own) if (publicIds.has(s.id)) s.isPublic = PUBLIC;
      return own;
    });
  }

  async s3Buckets(account: AccountConfig): Promise<S3Bucket[]> {
    const client = this.clients.client('s3', account);
    const listed = await awsCall({ service: 's3', operation: 'ListBuckets', account: account.id }, async () => {
      const out: Array<{ name: string; region?: string; createdAt?: Date }> = [];
      for await (const page of paginateListBuckets({ client, pageSize: 10_000 }, {})) {
        for (const b of page.Buckets ?? []) out.push({ name: b.Name ?? '', region: b.BucketRegion, createdAt: b.CreationDate });
      }
      return out;
    });
    return Promise.all(listed.map((b) => this._describeBucket(account, b)));
  }

  private async _describeBucket(account: AccountConfig, b: { name: string; region?: string; createdAt?: Date }): Promise<S3Bucket> {
    let region = b.region;
    if (!region) {
      const location = await awsCall({ service: 's3', operation: 'GetBucketLocation', account: account.id }, () =>
        this.clients.client('s3', account).send(new GetBucketLocationCommand({ Bucket: b.name })),
      );
      // us-east-1 answers with an empty constraint; EU is the legacy name of eu-west-1.
      region = !location.LocationConstraint ? 'us-east-1' : location.LocationConstraint === 'EU' ? 'eu-west-1' : location.LocationConstraint;
    }
    const client = this.clients.client('s3', account, region);
    const ctx = (operation: string) => ({ service: 's3', operation, account: account.id, region });
    // `absent` is the error S3 answers when the bucket simply has no such configuration: that is a
    // fact (null), while any other failure to read stays a failure for the verdicts that need it.
    const read = async <T>(operation: string, absent: string | undefined, fn: () => Promise<T | null>): Promise<Fetched<T | null>> => {
      try {
        return fetched(await fn());
      } catch (err) {
        if (absent !== undefined && classifyAwsError(err).code === absent) return fetched(null);
        return notFetched(toExternalError(err, ctx(operation)).message);
      }
    };
    const Bucket = b.name;
    const [tags, versioning, lifecycle, replication, encryption, publicAccessBlock] = await Promise.all([
      read('GetBucketTagging', 'NoSuchTagSet', async () => Object.fromEntries(((await client.send(new GetBucketTaggingCommand({ Bucket }))).TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))),
      read('GetBucketVersioning', undefined, async () => {
        const status = (await client.send(new GetBucketVersioningCommand({ Bucket }))).Status;
        return (status ?? 'Disabled') as 'Enabled' | 'Suspended' | 'Disabled';
      }),
      read('GetBucketLifecycleConfiguration', 'NoSuchLifecycleConfiguration', async () => ((await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules ?? []).map(toLifecycleRule)),
      read('GetBucketReplication', 'ReplicationConfigurationNotFoundError', async () => {
        const config = (await client.send(new GetBucketReplicationCommand({ Bucket }))).ReplicationConfiguration;
        return config ? { role: config.Role ?? '', rules: (config.Rules ?? []).map(toReplicationRule) } : null;
      }),
      read('GetBucketEncryption', 'ServerSideEncryptionConfigurationNotFoundError', async () => {
        const rule = (await client.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
        return rule ? { algorithm: rule.SSEAlgorithm ?? 'unknown', kmsKeyId: rule.KMSMasterKeyID } : null;
      }),
      this.blocks.read(account, region, Bucket).then(
        (block): Fetched<PublicAccessBlock | null> => fetched(block),
        (err: unknown) => notFetched<PublicAccessBlock | null>(toExternalError(err, ctx('GetPublicAccessBlock')).message),
      ),
    ]);
    return {
      kind: 's3-bucket',
      name: b.name,
      arn: `arn:aws:s3:::${b.name}`,
      accountId: account.id,
      region,
      createdAt: b.createdAt,
      tags: tags.ok ? fetched(tags.value ?? {}) : tags,
      versioning: versioning.ok ? fetched(versioning.value ?? 'Disabled') : versioning,
      lifecycle,
      replication,
      encryption,
      publicAccessBlock,
    };
  }
}

function toLifecycleRule(rule: S3LifecycleRule): LifecycleRule {
  const f = rule.Filter;
  const tags: Tags = {};
  if (f?.Tag?.Key) tags[f.Tag.Key] = f.Tag.Value ?? '';
  for (const t of f?.And?.Tags ?? []) tags[t.Key ?? ''] = t.Value ?? '';
  const prefix = f?.Prefix ?? f?.And?.Prefix ?? rule.Prefix;
  const greater = f?.ObjectSizeGreaterThan ?? f?.And?.ObjectSizeGreaterThan;
  const less = f?.ObjectSizeLessThan ?? f?.And?.ObjectSizeLessThan;
  const filter = prefix || Object.keys(tags).length || greater !== undefined || less !== undefined ? { prefix: prefix || undefined, tags, objectSizeGreaterThan: greater, objectSizeLessThan: less } : undefined;
  return {
    id: rule.ID ?? '(unnamed)',
    enabled: rule.Status === 'Enabled',
    filter,
    expirationDays: rule.Expiration?.Days,
    noncurrentExpirationDays: rule.NoncurrentVersionExpiration?.NoncurrentDays,
    newerNoncurrentVersions: rule.NoncurrentVersionExpiration?.NewerNoncurrentVersions,
  };
}

function toReplicationRule(rule: S3ReplicationRule): ReplicationRule {
  const f = rule.Filter;
  const tags: Tags = {};
  if (f?.Tag?.Key) tags[f.Tag.Key] = f.Tag.Value ?? '';
  for (const t of f?.And?.Tags ?? []) tags[t.Key ?? ''] = t.Value ?? '';
  const prefix = f?.Prefix ?? f?.And?.Prefix ?? rule.Prefix;
  return {
    id: rule.ID ?? '(unnamed)',
    enabled: rule.Status === 'Enabled',
    priority: rule.Priority,
    filter: prefix || Object.keys(tags).length ? { prefix: prefix || undefined, tags } : undefined,
    destinationBucketArn: rule.Destination?.Bucket ?? '',
    destinationAccount: rule.Destination?.Account,
    replicatesEncrypted: rule.SourceSelectionCriteria?.SseKmsEncryptedObjects?.Status === 'Enabled',
  };
}
