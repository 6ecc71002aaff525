/**
 * The S3 side of restore drills: list versions, read the checksum S3 recorded for a version, copy it,
 * read the copy back, re-read its tags, and delete exactly one version.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetBucketReplicationCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  type ReplicationRule,
} from '@aws-sdk/client-s3';
import type { AccountConfig } from '../../config/schema.js';
import { ExternalErrorKind, ExternalServiceError } from '../../core/errors.js';
import type { S3DrillDefinition } from '../../drills/definitions.js';
import type { S3CopyRequest, S3DrillPlatform, S3ReplicationRuleSummary, S3VersionEntry, S3VersionHead, S3VersionRef } from '../../drills/ports.js';
import { copySourceOf, s3Uri, scratchBucketOf, taggingOf } from '../../drills/s3-plan.js';
import type { AwsClients } from './clients.js';
import { awsCall, classifyAwsError, toExternalError } from './errors.js';

/** IAM actions each method calls (with a version id, S3 authorizes the `*Version*` actions). */
export const S3_DRILL_METHOD_ACTIONS = {
  versions: ['s3:ListBucketVersions'],
  head: ['s3:GetObjectVersion'],
  // Reading the source version; writing the copy; x-amz-tagging on a write needs PutObjectTagging.
  copy: ['s3:GetObjectVersion', 's3:PutObject', 's3:PutObjectTagging'],
  read: ['s3:GetObjectVersion'],
  tags: ['s3:GetObjectVersionTagging'],
  deleteVersion: ['s3:DeleteObjectVersion'],
  replicationRules: ['s3:GetReplicationConfiguration'],
} as const satisfies Record<keyof S3DrillPlatform, readonly string[]>;

/**
 * IAM actions S3 drills call. The mutating ones need only the scratch prefixes
 * (`s3DrillMutationResources`): a drill's policy never lets it write or delete live data.
 */
export const S3_DRILL_ACTIONS = {
  read: ['s3:ListBucketVersions', 's3:GetObjectVersion', 's3:GetObjectVersionTagging', 's3:GetReplicationConfiguration'],
  mutate: ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObjectVersion'],
} as const;

/** The object ARNs the mutating actions are limited to: each S3 drill's scratch prefix. */
export function s3DrillMutationResources(definitions: S3DrillDefinition[]): string[] {
  return [...new Set(definitions.map((d) => `arn:aws:s3:::${scratchBucketOf(d)}/${d.restore.scratchPrefix}*`))].sort();
}

/**
 * IAM statements for S3 drills, for `vigil iam-policy --with-drills`: reading object versions is
 * reading customer data, so even the reads are limited to the sampled prefixes and the scratch
 * prefixes; writes and deletes to the scratch prefixes alone.
 */
export function s3DrillStatements(definitions: S3DrillDefinition[]): Array<{ Sid: string; Effect: 'Allow'; Action: string[]; Resource: string[] }> {
  if (definitions.length === 0) return [];
  const buckets = [...new Set(definitions.flatMap((d) => [d.source.bucket, scratchBucketOf(d)]))].sort().map((b) => `arn:aws:s3:::${b}`);
  const objects = [...new Set(definitions.map((d) => `arn:aws:s3:::${d.source.bucket}/${d.source.prefix}*`))];
  const scratch = s3DrillMutationResources(definitions);
  return [
    { Sid: 'VigilS3DrillBuckets', Effect: 'Allow', Action: ['s3:GetReplicationConfiguration', 's3:ListBucketVersions'], Resource: buckets },
    { Sid: 'VigilS3DrillReadVersions', Effect: 'Allow', Action: ['s3:GetObjectVersion', 's3:GetObjectVersionTagging'], Resource: [...new Set([...objects, ...scratch])].sort() },
    { Sid: 'VigilS3DrillScratchOnly', Effect: 'Allow', Action: [...S3_DRILL_ACTIONS.mutate], Resource: scratch },
  ];
}

/** S3 orders keys by their UTF-8 bytes. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function summarizeRule(rule: ReplicationRule, index: number): S3ReplicationRuleSummary {
  const and = rule.Filter?.And;
  const tags = [...(rule.Filter?.Tag ? [rule.Filter.Tag] : []), ...(and?.Tags ?? [])];
  return {
    id: rule.ID ?? `rule ${index + 1}`,
    enabled: rule.Status === 'Enabled',
    // V1 rules carry a top-level Prefix; V2 rules a Filter.
    prefix: rule.Filter?.Prefix ?? and?.Prefix ?? rule.Prefix ?? '',
    tags: Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value ?? ''])),
    destination: (rule.Destination?.Bucket ?? 'an unnamed bucket').replace(/^arn:aws:s3:::/, ''),
  };
}

/**
 * Every call names the drill's account as the expected bucket owner: a scratch bucket name taken by
 * someone else (buckets share one global namespace) gets AccessDenied, never a drill's copies.
 */
export class AwsS3DrillPlatform implements S3DrillPlatform {
  constructor(private readonly clients: AwsClients) {}

  private ctx(operation: string, account: AccountConfig, region: string) {
    return { service: 's3', operation, account: account.id, region };
  }

  async *versions(account: AccountConfig, region: string, bucket: string, prefix: string): AsyncIterable<S3VersionEntry> {
    const s3 = this.clients.client('s3', account, region);
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      const page = await awsCall(this.ctx('ListObjectVersions', account, region), () =>
        s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix || undefined, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker, ExpectedBucketOwner: account.id })),
      );
      const entries: S3VersionEntry[] = [
        ...(page.Versions ?? []).map((v) => ({
          key: v.Key ?? '',
          versionId: v.VersionId ?? 'null',
          isLatest: v.IsLatest ?? false,
          deleteMarker: false,
          lastModified: v.LastModified ?? new Date(0),
          size: v.Size ?? 0,
          etag: v.ETag,
          checksumType: v.ChecksumType,
          storageClass: v.StorageClass,
        })),
        ...(page.DeleteMarkers ?? []).map((m) => ({ key: m.Key ?? '', versionId: m.VersionId ?? 'null', isLatest: m.IsLatest ?? false, deleteMarker: true, lastModified: m.LastModified ?? new Date(0), size: 0 })),
      ];
      // The wire interleaves versions and delete markers; the SDK splits them into two lists. Back into
      // S3's order: keys in order, each key's current entry first, then newest first.
      entries.sort((a, b) => compareKeys(a.key, b.key) || Number(b.isLatest) - Number(a.isLatest) || b.lastModified.getTime() - a.lastModified.getTime());
      yield* entries;
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      versionIdMarker = page.NextVersionIdMarker;
    }
  }

  async head(account: AccountConfig, region: string, ref: S3VersionRef): Promise<S3VersionHead | undefined> {
    const s3 = this.clients.client('s3', account, region);
    try {
      const out = await s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, ChecksumMode: 'ENABLED', ExpectedBucketOwner: account.id }));
      // Every Checksum<ALGORITHM> member, so that algorithms newer than this code are at least named.
      const checksums = Object.fromEntries(
        Object.entries(out)
          .filter(([name, value]) => name.startsWith('Checksum') && name !== 'ChecksumType' && typeof value === 'string')
          .map(([name, value]) => [name.slice('Checksum'.length), value as string]),
      );
      return {
        size: out.ContentLength ?? 0,
        etag: out.ETag,
        lastModified: out.LastModified,
        checksums,
        checksumType: out.ChecksumType,
        serverSideEncryption: out.ServerSideEncryption,
        storageClass: out.StorageClass,
      };
    } catch (err) {
      // HEAD answers without a body: a missing version is a bare 404.
      if (classifyAwsError(err).kind === ExternalErrorKind.NotFound) return undefined;
      throw toExternalError(err, this.ctx('HeadObject', account, region));
    }
  }

  async copy(account: AccountConfig, region: string, request: S3CopyRequest): Promise<{ versionId: string }> {
    const s3 = this.clients.client('s3', account, region);
    const out = await awsCall(this.ctx('CopyObject', account, region), () =>
      s3.send(
        new CopyObjectCommand({
          Bucket: request.target.bucket,
          Key: request.target.key,
          CopySource: copySourceOf(request.source),
          MetadataDirective: 'COPY',
          TaggingDirective: 'REPLACE',
          Tagging: taggingOf(request.tags),
          // Never over an existing key: a drill only ever adds objects.
          IfNoneMatch: '*',
          ExpectedBucketOwner: account.id,
          ExpectedSourceBucketOwner: account.id,
        }),
      ),
    );
    // A bucket that never had versioning answers without a version id: its one version is `null`.
    return { versionId: out.VersionId ?? 'null' };
  }

  async read(account: AccountConfig, region: string, ref: S3VersionRef): Promise<AsyncIterable<Uint8Array>> {
    const s3 = this.clients.client('s3', account, region);
    const ctx = this.ctx('GetObject', account, region);
    const out = await awsCall(ctx, () => s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, ExpectedBucketOwner: account.id })));
    const body = out.Body as AsyncIterable<Uint8Array> | undefined;
    return (async function* () {
      try {
        if (body) yield* body;
      } catch (err) {
        // The SDK checks the body against S3's checksum as it streams; its complaint is worth keeping word for word.
        if ((err as { $metadata?: unknown }).$metadata !== undefined) throw toExternalError(err, ctx);
        throw new ExternalServiceError(`s3:GetObject of ${s3Uri(ref)}: the body could not be read: ${err instanceof Error ? err.message : String(err)}`, {
          kind: ExternalErrorKind.Unavailable,
          service: 'aws:s3',
          operation: 'GetObject',
          account: account.id,
          region,
        });
      }
    })();
  }

  async tags(account: AccountConfig, region: string, ref: S3VersionRef): Promise<Record<string, string> | undefined> {
    const s3 = this.clients.client('s3', account, region);
    try {
      const out = await s3.send(new GetObjectTaggingCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, ExpectedBucketOwner: account.id }));
      return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    } catch (err) {
      const { code } = classifyAwsError(err);
      if (code === 'NoSuchVersion' || code === 'NoSuchKey') return undefined;
      throw toExternalError(err, this.ctx('GetObjectTagging', account, region));
    }
  }

  async deleteVersion(account: AccountConfig, region: string, ref: S3VersionRef): Promise<void> {
    const s3 = this.clients.client('s3', account, region);
    await awsCall(this.ctx('DeleteObject', account, region), () => s3.send(new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, ExpectedBucketOwner: account.id })));
  }

  async replicationRules(account: AccountConfig, region: string, bucket: string): Promise<S3ReplicationRuleSummary[]> {
    const s3 = this.clients.client('s3', account, region);
    try {
      const out = await s3.send(new GetBucketReplicationCommand({ Bucket: bucket, ExpectedBucketOwner: account.id }));
      return (out.ReplicationConfiguration?.Rules ?? []).map(summarizeRule);
    } catch (err) {
      if (classifyAwsError(err).code === 'ReplicationConfigurationNotFoundError') return [];
      throw toExternalError(err, this.ctx('GetBucketReplication', account, region));
    }
  }
}
