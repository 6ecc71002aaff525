import { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  paginateListBuckets,
  paginateListObjectsV2,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  type LifecycleRule,
  type ListObjectVersionsCommandOutput,
  type ReplicationConfiguration,
  type ReplicationRule,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, ManualClock } from '../../src/core/clock.js';
import { DEMO_SCENARIO_URL, loadScenario, type Scenario } from '../../src/sandbox/scenario.js';
import { startTestSandbox, TEST_KEY, type TestSandbox } from '../helpers/sandbox.js';

const PROD_KEY = { accessKeyId: 'AKIATESTPRODUCTION01', secretAccessKey: 'test-secret-production' };
const STAGING_KEY = { accessKeyId: 'AKIATESTSTAGING00001', secretAccessKey: 'test-secret-staging' };
const PARTNER_KEY = { accessKeyId: 'AKIATESTPARTNER00001', secretAccessKey: 'test-secret-partner' };
const NOW = new Date('2026-03-02T12:00:00Z');

const SCENARIO = `
name: s3-test
accounts:
  - id: "111111111111"
    name: management
    accessKeys:
      - accessKeyId: ${TEST_KEY.accessKeyId}
        secretAccessKey: ${TEST_KEY.secretAccessKey}
  - id: "222222222222"
    name: production
    accessKeys:
      - accessKeyId: ${PROD_KEY.accessKeyId}
        secretAccessKey: ${PROD_KEY.secretAccessKey}
    iam:
      roles:
        - name: NoVersionReads
          trustedAccounts: ["111111111111"]
          denyActions: ["s3:GetObjectVersion", "s3:GetLifecycleConfiguration"]
    regions:
      us-east-1:
        s3:
          buckets:
            - name: content-prod
              versioning: Enabled
              tags: { env: production }
              encryption: aws:kms
              kmsKeyId: alias/content
              bucketKeyEnabled: true
              publicAccessBlock: { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true }
              lifecycle:
                - id: noncurrent-60d
                  noncurrentVersionExpiration: { noncurrentDays: 60 }
              replication:
                rules: [{ id: to-dr, destination: content-dr, deleteMarkerReplication: Enabled }]
              objects:
                - key: courses/intro/index.html
                  versions: [{ age: 2d, content: "<h1>v3</h1>" }, { age: 20d, content: "<h1>v2</h1>" }, { age: 30d, content: "<h1>v1</h1>" }]
                - key: courses/retired/notes.txt
                  versions: [{ age: 40d, size: 64 }]
                  deleted: 5d
              generate:
                - { keys: "exact/item-{n}", count: 1000, size: 16 }
                - { keys: "over/item-{n}", count: 1001, size: 16 }
                - { keys: "small/item-{n}", count: 25, size: 100 }
                - { keys: "history/doc-{n}", count: 7, versions: 3, every: 3d, size: 32 }
            - name: bare-bucket
              encryption: none
            - name: suspended-bucket
              versioning: Suspended
              objects:
                - key: report.csv
                  versions: [{ age: 1d, content: "new" }, { age: 10d, content: "old" }]
            - name: scratch-bucket
              versioning: Enabled
      us-west-2:
        s3:
          buckets:
            - name: content-dr
              versioning: Enabled
              tags: { role: dr-copy }
            - name: plain-west
  - id: "333333333333"
    name: partner
    accessKeys:
      - accessKeyId: ${PARTNER_KEY.accessKeyId}
        secretAccessKey: ${PARTNER_KEY.secretAccessKey}
    regions:
      us-east-1:
        s3:
          buckets:
            - name: partner-shared
              policy:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: { AWS: "arn:aws:iam::222222222222:root" }
                    Action: ["s3:GetObject", "s3:ListBucket"]
                    Resource: ["arn:aws:s3:::partner-shared", "arn:aws:s3:::partner-shared/*"]
              objects:
                - key: shared/catalog.json
                  versions: [{ age: 3d, content: "{}" }]
            - name: partner-private
`;

let sandbox: TestSandbox;
let s3: S3Client;

function client(region = 'us-east-1', credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = PROD_KEY, extra: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
  return new S3Client({ ...sandbox.aws(region, credentials), ...extra });
}

function errorOf(promise: Promise<unknown>): Promise<{ name?: string; $metadata?: { httpStatusCode?: number }; $response?: { headers: Record<string, string> }; message?: string }> {
  return promise.then(
    () => ({ name: 'no error' }),
    (e: unknown) => e as { name?: string },
  );
}

async function body(output: { Body?: { transformToString(): Promise<string> } }): Promise<string> {
  return (await output.Body?.transformToString()) ?? '';
}

function crc32Base64(text: string): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(Buffer.from(text)));
  return out.toString('base64');
}

async function allVersions(bucket: string, prefix: string, maxKeys: number): Promise<{ pages: ListObjectVersionsCommandOutput[]; entries: string[] }> {
  const pages: ListObjectVersionsCommandOutput[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, MaxKeys: maxKeys, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    pages.push(page);
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker !== undefined);
  const entries = pages.flatMap((p) => [...(p.Versions ?? []), ...(p.DeleteMarkers ?? [])].map((v) => `${v.Key}@${v.VersionId}`));
  return { pages, entries };
}

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO, { clock: new ManualClock(NOW) });
  s3 = client();
});

afterAll(async () => {
  await sandbox.stop();
});

describe('S3 buckets', () => {
  it('lists the caller’s own buckets in every region, page by page', async () => {
    const names: string[] = [];
    const regions: Record<string, string | undefined> = {};
    for await (const page of paginateListBuckets({ client: s3, pageSize: 2 }, {})) {
      for (const b of page.Buckets ?? []) {
        names.push(b.Name as string);
        regions[b.Name as string] = b.BucketRegion;
      }
    }

    expect(names).toEqual(['bare-bucket', 'content-dr', 'content-prod', 'plain-west', 'scratch-bucket', 'suspended-bucket']);
    expect(regions).toMatchObject({ 'content-prod': 'us-east-1', 'content-dr': 'us-west-2' });
  });

  it('answers GetBucketLocation from any region, us-east-1 as the empty constraint', async () => {
    const west = await s3.send(new GetBucketLocationCommand({ Bucket: 'content-dr' }));
    const east = await s3.send(new GetBucketLocationCommand({ Bucket: 'content-prod' }));

    expect(west.LocationConstraint).toBe('us-west-2');
    expect(east.LocationConstraint).toBeUndefined();
  });

  it('redirects a request signed for the wrong region, which the SDK can follow', async () => {
    const error = await errorOf(s3.send(new GetBucketVersioningCommand({ Bucket: 'content-dr' })));
    const following = client('us-east-1', PROD_KEY, { followRegionRedirects: true });
    const versioning = await following.send(new GetBucketVersioningCommand({ Bucket: 'content-dr' }));
    const head = await following.send(new HeadBucketCommand({ Bucket: 'content-dr' }));

    expect(error).toMatchObject({ name: 'PermanentRedirect', $metadata: { httpStatusCode: 301 } });
    expect(error.$response?.headers['x-amz-bucket-region']).toBe('us-west-2');
    expect(versioning.Status).toBe('Enabled');
    expect(head.BucketRegion).toBe('us-west-2');
  });

  it('creates, heads and deletes a bucket, with a location constraint outside us-east-1', async () => {
    const west = client('us-west-2');

    await west.send(new CreateBucketCommand({ Bucket: 'fresh-west-bucket', CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } }));
    const head = await west.send(new HeadBucketCommand({ Bucket: 'fresh-west-bucket' }));
    const pab = await west.send(new GetPublicAccessBlockCommand({ Bucket: 'fresh-west-bucket' }));
    const again = await errorOf(west.send(new CreateBucketCommand({ Bucket: 'fresh-west-bucket', CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } })));
    await west.send(new DeleteBucketCommand({ Bucket: 'fresh-west-bucket' }));
    const gone = await errorOf(west.send(new HeadBucketCommand({ Bucket: 'fresh-west-bucket' })));

    expect(head.BucketRegion).toBe('us-west-2');
    expect(pab.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    expect(again).toMatchObject({ name: 'BucketAlreadyOwnedByYou', $metadata: { httpStatusCode: 409 } });
    expect(gone).toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
  });

  it('refuses a taken bucket name, a mismatched location, and deleting a bucket with objects', async () => {
    const taken = await errorOf(s3.send(new CreateBucketCommand({ Bucket: 'partner-private' })));
    const mismatch = await errorOf(s3.send(new CreateBucketCommand({ Bucket: 'elsewhere-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })));
    const notEmpty = await errorOf(s3.send(new DeleteBucketCommand({ Bucket: 'suspended-bucket' })));

    expect(taken).toMatchObject({ name: 'BucketAlreadyExists', $metadata: { httpStatusCode: 409 } });
    expect(mismatch).toMatchObject({ name: 'IllegalLocationConstraintException' });
    expect(notEmpty).toMatchObject({ name: 'BucketNotEmpty', $metadata: { httpStatusCode: 409 } });
  });

  it('turns versioning on and suspends it, and keeps MFA delete for the root user with MFA', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'versioning-flip' }));

    const initial = await s3.send(new GetBucketVersioningCommand({ Bucket: 'versioning-flip' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'versioning-flip', VersioningConfiguration: { Status: 'Enabled' } }));
    const enabled = await s3.send(new GetBucketVersioningCommand({ Bucket: 'versioning-flip' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'versioning-flip', VersioningConfiguration: { Status: 'Suspended' } }));
    const suspended = await s3.send(new GetBucketVersioningCommand({ Bucket: 'versioning-flip' }));
    const mfa = await errorOf(s3.send(new PutBucketVersioningCommand({ Bucket: 'versioning-flip', VersioningConfiguration: { Status: 'Enabled', MFADelete: 'Enabled' } })));

    expect(initial.Status).toBeUndefined();
    expect(enabled.Status).toBe('Enabled');
    expect(suspended.Status).toBe('Suspended');
    expect(mfa).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });

  it('reads the seeded configuration of a bucket', async () => {
    const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: 'content-prod' }));
    const lifecycle = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'content-prod' }));
    const replication = await s3.send(new GetBucketReplicationCommand({ Bucket: 'content-prod' }));
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: 'content-prod' }));
    const tags = await s3.send(new GetBucketTaggingCommand({ Bucket: 'content-prod' }));

    expect(versioning).toMatchObject({ Status: 'Enabled' });
    expect(versioning.MFADelete).toBeUndefined();
    expect(lifecycle.Rules).toEqual([{ ID: 'noncurrent-60d', Filter: {}, Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 60 } }]);
    expect(replication.ReplicationConfiguration).toEqual({
      Role: 'arn:aws:iam::222222222222:role/s3-replication',
      Rules: [{ ID: 'to-dr', Priority: 1, Filter: { Prefix: '' }, Status: 'Enabled', Destination: { Bucket: 'arn:aws:s3:::content-dr' }, DeleteMarkerReplication: { Status: 'Enabled' } }],
    });
    expect(encryption.ServerSideEncryptionConfiguration?.Rules).toEqual([
      { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'arn:aws:kms:us-east-1:222222222222:alias/content' }, BucketKeyEnabled: true },
    ]);
    expect(tags.TagSet).toEqual([{ Key: 'env', Value: 'production' }]);
  });

  it('round-trips a lifecycle configuration with every kind of filter and action', async () => {
    const rules: LifecycleRule[] = [
      { ID: 'reports', Filter: { Prefix: 'reports/' }, Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 30, NewerNoncurrentVersions: 2 } },
      { ID: 'tagged', Filter: { Tag: { Key: 'tier', Value: 'cold' } }, Status: 'Disabled', Transitions: [{ Days: 30, StorageClass: 'GLACIER' }, { Days: 180, StorageClass: 'DEEP_ARCHIVE' }] },
      {
        ID: 'big-logs',
        Filter: { And: { Prefix: 'logs/', Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }], ObjectSizeGreaterThan: 1024 } },
        Status: 'Enabled',
        Expiration: { Days: 365 },
        NoncurrentVersionTransitions: [{ NoncurrentDays: 7, StorageClass: 'STANDARD_IA' }],
      },
      { ID: 'large', Filter: { ObjectSizeGreaterThan: 1048576 }, Status: 'Enabled', Expiration: { ExpiredObjectDeleteMarker: true } },
      { ID: 'legacy', Prefix: 'tmp/', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
    ];

    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'scratch-bucket', LifecycleConfiguration: { Rules: rules } }));
    const read = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'scratch-bucket' }));

    expect(read.Rules).toEqual(rules);
  });

  it('refuses a malformed lifecycle rule and a rule without actions', async () => {
    const malformed = await errorOf(
      s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'scratch-bucket', LifecycleConfiguration: { Rules: [{ ID: 'x', Status: 'Sometimes' as 'Enabled', Filter: {}, Expiration: { Days: 1 } }] } })),
    );
    const actionless = await errorOf(s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'scratch-bucket', LifecycleConfiguration: { Rules: [{ ID: 'x', Status: 'Enabled', Filter: {} }] } })));

    expect(malformed).toMatchObject({ name: 'MalformedXML', $metadata: { httpStatusCode: 400 } });
    expect(actionless).toMatchObject({ name: 'InvalidRequest' });
  });

  it('round-trips replication, and refuses a destination without versioning', async () => {
    const rule: ReplicationRule = {
      ID: 'kms-copy',
      Priority: 5,
      Filter: { Prefix: 'exports/' },
      Status: 'Disabled',
      SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
      Destination: { Bucket: 'arn:aws:s3:::content-dr', Account: '222222222222', StorageClass: 'STANDARD_IA', EncryptionConfiguration: { ReplicaKmsKeyID: 'arn:aws:kms:us-west-2:222222222222:key/dr' } },
      DeleteMarkerReplication: { Status: 'Disabled' },
    };
    const configuration: ReplicationConfiguration = { Role: 'arn:aws:iam::222222222222:role/replicator', Rules: [rule] };

    await s3.send(new PutBucketReplicationCommand({ Bucket: 'scratch-bucket', ReplicationConfiguration: configuration }));
    const read = await s3.send(new GetBucketReplicationCommand({ Bucket: 'scratch-bucket' }));
    const refused = await errorOf(
      s3.send(new PutBucketReplicationCommand({ Bucket: 'scratch-bucket', ReplicationConfiguration: { ...configuration, Rules: [{ ...rule, Destination: { Bucket: 'arn:aws:s3:::plain-west' } }] } })),
    );

    expect(read.ReplicationConfiguration).toEqual(configuration);
    expect(refused).toMatchObject({ name: 'InvalidRequest', message: 'Destination bucket must have versioning enabled.' });
  });

  it('round-trips encryption, public access block, tags and a policy, and computes policy status', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::scratch-bucket/public/*' }],
    });

    await s3.send(new PutBucketEncryptionCommand({ Bucket: 'scratch-bucket', ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'key-1' }, BucketKeyEnabled: true }] } }));
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: 'scratch-bucket', PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: false } }));
    const blocked = await errorOf(s3.send(new PutBucketPolicyCommand({ Bucket: 'scratch-bucket', Policy: policy })));
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: 'scratch-bucket', PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false } }));
    await s3.send(new PutBucketPolicyCommand({ Bucket: 'scratch-bucket', Policy: policy }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: 'scratch-bucket', Tagging: { TagSet: [{ Key: 'env', Value: 'test' }, { Key: 'app', Value: 'lms' }] } }));
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: 'scratch-bucket' }));
    const pab = await s3.send(new GetPublicAccessBlockCommand({ Bucket: 'scratch-bucket' }));
    const read = await s3.send(new GetBucketPolicyCommand({ Bucket: 'scratch-bucket' }));
    const status = await s3.send(new GetBucketPolicyStatusCommand({ Bucket: 'scratch-bucket' }));
    const tags = await s3.send(new GetBucketTaggingCommand({ Bucket: 'scratch-bucket' }));
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: 'scratch-bucket' }));
    const afterDelete = await errorOf(s3.send(new GetBucketPolicyStatusCommand({ Bucket: 'scratch-bucket' })));

    expect(blocked).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]).toEqual({
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'arn:aws:kms:us-east-1:222222222222:key/key-1' },
      BucketKeyEnabled: true,
    });
    expect(pab.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false });
    expect(JSON.parse(read.Policy as string)).toEqual(JSON.parse(policy));
    expect(status.PolicyStatus?.IsPublic).toBe(true);
    expect(tags.TagSet).toEqual([{ Key: 'env', Value: 'test' }, { Key: 'app', Value: 'lms' }]);
    expect(afterDelete).toMatchObject({ name: 'NoSuchBucketPolicy' });
  });

  it.each([
    ['GetBucketVersioning on a missing bucket', 'NoSuchBucket', 404, () => s3.send(new GetBucketVersioningCommand({ Bucket: 'no-such-bucket-anywhere' }))],
    ['GetBucketLifecycleConfiguration', 'NoSuchLifecycleConfiguration', 404, () => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'bare-bucket' }))],
    ['GetBucketReplication', 'ReplicationConfigurationNotFoundError', 404, () => s3.send(new GetBucketReplicationCommand({ Bucket: 'bare-bucket' }))],
    ['GetBucketEncryption', 'ServerSideEncryptionConfigurationNotFoundError', 404, () => s3.send(new GetBucketEncryptionCommand({ Bucket: 'bare-bucket' }))],
    ['GetPublicAccessBlock', 'NoSuchPublicAccessBlockConfiguration', 404, () => s3.send(new GetPublicAccessBlockCommand({ Bucket: 'bare-bucket' }))],
    ['GetBucketPolicy', 'NoSuchBucketPolicy', 404, () => s3.send(new GetBucketPolicyCommand({ Bucket: 'bare-bucket' }))],
    ['GetBucketPolicyStatus', 'NoSuchBucketPolicy', 404, () => s3.send(new GetBucketPolicyStatusCommand({ Bucket: 'bare-bucket' }))],
    ['GetBucketTagging', 'NoSuchTagSet', 404, () => s3.send(new GetBucketTaggingCommand({ Bucket: 'bare-bucket' }))],
    ['GetObject on a missing key', 'NoSuchKey', 404, () => s3.send(new GetObjectCommand({ Bucket: 'content-prod', Key: 'nope.txt' }))],
    ['HeadObject on a missing key', 'NotFound', 404, () => s3.send(new HeadObjectCommand({ Bucket: 'content-prod', Key: 'nope.txt' }))],
    ['GetObject of an unknown version', 'NoSuchVersion', 404, () => s3.send(new GetObjectCommand({ Bucket: 'content-prod', Key: 'courses/intro/index.html', VersionId: 'nosuchversion' }))],
    ['a continuation token S3 did not issue', 'InvalidArgument', 400, () => s3.send(new ListObjectsV2Command({ Bucket: 'content-prod', ContinuationToken: 'bm90IGEgdG9rZW4' }))],
  ] as Array<[string, string, number, () => Promise<unknown>]>)('answers %s with %s', async (_case, name, status, act) => {
    const error = await errorOf(act());

    expect(error).toMatchObject({ name, $metadata: { httpStatusCode: status } });
  });
});

describe('S3 objects', () => {
  it('puts, overwrites and deletes in a versioned bucket, then restores a noncurrent version with CopyObject', async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket: 'scratch-bucket', Key: 'lessons/1.html', Body: 'first draft', ContentType: 'text/html' }));
    const second = await s3.send(new PutObjectCommand({ Bucket: 'scratch-bucket', Key: 'lessons/1.html', Body: 'second draft' }));
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: 'scratch-bucket', Key: 'lessons/1.html' }));
    const missing = await errorOf(s3.send(new GetObjectCommand({ Bucket: 'scratch-bucket', Key: 'lessons/1.html' })));
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'scratch-bucket', Prefix: 'lessons/' }));
    const copy = await s3.send(
      new CopyObjectCommand({ Bucket: 'scratch-bucket', Key: 'restore-drill/lessons/1.html', CopySource: `scratch-bucket/lessons/1.html?versionId=${first.VersionId}` }),
    );
    const restored = await s3.send(new GetObjectCommand({ Bucket: 'scratch-bucket', Key: 'restore-drill/lessons/1.html', ChecksumMode: 'ENABLED' }));

    expect(first.VersionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(second.VersionId).not.toBe(first.VersionId);
    expect(first.ETag).toBe(`"${createHash('md5').update('first draft').digest('hex')}"`);
    expect(first.ChecksumCRC32).toBe(crc32Base64('first draft'));
    expect(deleted).toMatchObject({ DeleteMarker: true });
    expect(missing).toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    expect(missing.$response?.headers['x-amz-delete-marker']).toBe('true');
    expect(versions.Versions?.map((v) => [v.VersionId, v.IsLatest, v.Size, v.ChecksumAlgorithm])).toEqual([
      [second.VersionId, false, 12, ['CRC32']],
      [first.VersionId, false, 11, ['CRC32']],
    ]);
    expect(versions.DeleteMarkers?.map((d) => [d.VersionId, d.IsLatest])).toEqual([[deleted.VersionId, true]]);
    expect(copy.CopySourceVersionId).toBe(first.VersionId);
    expect(copy.CopyObjectResult?.ChecksumCRC32).toBe(crc32Base64('first draft'));
    expect(await body(restored)).toBe('first draft');
    expect(restored.ChecksumCRC32).toBe(crc32Base64('first draft'));
    expect(restored.ContentType).toBe('text/html');
  });

  it('reads a delete marker by version id as MethodNotAllowed, and deletes versions permanently', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'scratch-bucket', Key: 'gone.txt', Body: 'x' }));
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: 'scratch-bucket', Key: 'gone.txt' }));

    const byVersion = await errorOf(s3.send(new GetObjectCommand({ Bucket: 'scratch-bucket', Key: 'gone.txt', VersionId: marker.VersionId })));
    const undeleted = await s3.send(new DeleteObjectCommand({ Bucket: 'scratch-bucket', Key: 'gone.txt', VersionId: marker.VersionId }));
    const back = await s3.send(new GetObjectCommand({ Bucket: 'scratch-bucket', Key: 'gone.txt' }));

    expect(byVersion).toMatchObject({ name: 'MethodNotAllowed', $metadata: { httpStatusCode: 405 } });
    expect(undeleted).toMatchObject({ DeleteMarker: true, VersionId: marker.VersionId });
    expect(await body(back)).toBe('x');
  });

  it('stores the checksum the client chose, and checks it on upload', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'scratch-bucket', Key: 'sha.txt', Body: 'checked', ChecksumAlgorithm: 'SHA256' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'scratch-bucket', Key: 'sha.txt', ChecksumMode: 'ENABLED' }));
    const wrong = await errorOf(s3.send(new PutObjectCommand({ Bucket: 'scratch-bucket', Key: 'bad.txt', Body: 'checked', ChecksumSHA256: createHash('sha256').update('other').digest('base64') })));

    expect(put.ChecksumSHA256).toBe(createHash('sha256').update('checked').digest('base64'));
    expect(head).toMatchObject({ ChecksumSHA256: put.ChecksumSHA256, ContentLength: 7, ETag: put.ETag, ServerSideEncryption: put.ServerSideEncryption });
    expect(wrong).toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
  });

  it('accepts a streamed upload sent aws-chunked with a trailing checksum', async () => {
    const text = 'streamed '.repeat(1000);

    const put = await s3.send(new PutObjectCommand({ Bucket: 'scratch-bucket', Key: 'streamed.txt', Body: Readable.from([Buffer.from(text)]), ContentLength: text.length }));
    const read = await s3.send(new GetObjectCommand({ Bucket: 'scratch-bucket', Key: 'streamed.txt', ChecksumMode: 'ENABLED' }));

    expect(await body(read)).toBe(text);
    expect(read.ChecksumCRC32).toBe(crc32Base64(text));
    expect(put.ChecksumCRC32).toBe(crc32Base64(text));
  });

  it('serves byte ranges without the whole-object checksum', async () => {
    const read = await s3.send(new GetObjectCommand({ Bucket: 'scratch-bucket', Key: 'sha.txt', Range: 'bytes=2-4', ChecksumMode: 'ENABLED' }));

    expect(await body(read)).toBe('eck');
    expect(read).toMatchObject({ ContentRange: 'bytes 2-4/7', ContentLength: 3 });
    expect(read.ChecksumSHA256).toBeUndefined();
  });

  it('writes the null version in a bucket whose versioning is suspended', async () => {
    const before = await s3.send(new ListObjectVersionsCommand({ Bucket: 'suspended-bucket' }));
    const put = await s3.send(new PutObjectCommand({ Bucket: 'suspended-bucket', Key: 'report.csv', Body: 'newest' }));
    const after = await s3.send(new ListObjectVersionsCommand({ Bucket: 'suspended-bucket' }));

    expect(before.Versions?.map((v) => v.VersionId === 'null')).toEqual([true, false]);
    expect(put.VersionId).toBe('null');
    expect(after.Versions).toHaveLength(2);
    expect(after.Versions?.[0]).toMatchObject({ VersionId: 'null', IsLatest: true, Size: 6 });
  });

  it('replicates a new version to the destination bucket with the same version id', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'content-prod', Key: 'courses/new/index.html', Body: '<h1>new</h1>' }));
    const source = await s3.send(new HeadObjectCommand({ Bucket: 'content-prod', Key: 'courses/new/index.html' }));
    const replica = await client('us-west-2').send(new HeadObjectCommand({ Bucket: 'content-dr', Key: 'courses/new/index.html', VersionId: put.VersionId }));

    expect(source.ReplicationStatus).toBe('COMPLETED');
    expect(source).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'arn:aws:kms:us-east-1:222222222222:alias/content', BucketKeyEnabled: true });
    expect(replica).toMatchObject({ ReplicationStatus: 'REPLICA', VersionId: put.VersionId, ETag: put.ETag });
  });

  it('serves seeded versions at their ages, with CRC64NVME checksums the SDK validates', async () => {
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'content-prod', Prefix: 'courses/intro/' }));
    const oldest = versions.Versions?.at(-1);
    const read = await s3.send(new GetObjectCommand({ Bucket: 'content-prod', Key: 'courses/intro/index.html', VersionId: oldest?.VersionId, ChecksumMode: 'ENABLED' }));
    const generated = await s3.send(new GetObjectCommand({ Bucket: 'content-prod', Key: 'history/doc-001', ChecksumMode: 'ENABLED' }));
    const generatedBytes = await generated.Body?.transformToByteArray();
    const replica = await client('us-west-2').send(new ListObjectVersionsCommand({ Bucket: 'content-dr', Prefix: 'courses/intro/' }));

    expect(versions.Versions?.map((v) => [v.IsLatest, Math.round((NOW.getTime() - (v.LastModified as Date).getTime()) / DAY_MS), v.ChecksumAlgorithm])).toEqual([
      [true, 2, ['CRC64NVME']],
      [false, 20, ['CRC64NVME']],
      [false, 30, ['CRC64NVME']],
    ]);
    expect(await body(read)).toBe('<h1>v1</h1>');
    expect(read.ChecksumCRC64NVME).toMatch(/^[A-Za-z0-9+/]{11}=$/);
    expect(generatedBytes).toHaveLength(32);
    expect(replica.Versions?.map((v) => v.VersionId)).toEqual(versions.Versions?.map((v) => v.VersionId));
  });

  it('keeps keys with spaces, non-ASCII letters and XML metacharacters intact', async () => {
    const key = 'odd keys/naïve & <b> "quoted" 100%.txt';

    await s3.send(new PutObjectCommand({ Bucket: 'scratch-bucket', Key: key, Body: 'odd' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'scratch-bucket', Prefix: 'odd keys/' }));
    const read = await s3.send(new GetObjectCommand({ Bucket: 'scratch-bucket', Key: key }));

    expect(listed.Contents?.map((c) => c.Key)).toEqual([key]);
    expect(await body(read)).toBe('odd');
  });

  it('refuses ACLs that grant access, as buckets with enforced ownership do', async () => {
    const error = await errorOf(s3.send(new PutObjectCommand({ Bucket: 'scratch-bucket', Key: 'public.txt', Body: 'x', ACL: 'public-read' })));

    expect(error).toMatchObject({ name: 'AccessControlListNotSupported', $metadata: { httpStatusCode: 400 } });
  });

  it('deletes several keys at once', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'scratch-bucket', Key: 'batch/a', Body: 'a' }));
    await s3.send(new PutObjectCommand({ Bucket: 'scratch-bucket', Key: 'batch/b', Body: 'b' }));

    const result = await s3.send(new DeleteObjectsCommand({ Bucket: 'scratch-bucket', Delete: { Objects: [{ Key: 'batch/a' }, { Key: 'batch/b' }] } }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'scratch-bucket', Prefix: 'batch/' }));

    expect(result.Deleted?.map((d) => [d.Key, d.DeleteMarker])).toEqual([
      ['batch/a', true],
      ['batch/b', true],
    ]);
    expect(result.Errors).toBeUndefined();
    expect(listed.KeyCount).toBe(0);
  });

  it('tags an object version', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'scratch-bucket', Key: 'tagged.txt', Body: 't', Tagging: 'tier=hot' }));

    await s3.send(new PutObjectTaggingCommand({ Bucket: 'scratch-bucket', Key: 'tagged.txt', Tagging: { TagSet: [{ Key: 'tier', Value: 'cold' }] } }));
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'scratch-bucket', Key: 'tagged.txt', VersionId: put.VersionId }));

    expect(tags).toMatchObject({ VersionId: put.VersionId, TagSet: [{ Key: 'tier', Value: 'cold' }] });
  });
});

describe('S3 listings', () => {
  it.each([
    ['exactly one full page', 'exact/', [1000]],
    ['one key over a page', 'over/', [1000, 1]],
  ])('pages ListObjectsV2 at the 1000-key limit: %s', async (_case, prefix, sizes) => {
    const pages: number[] = [];
    const truncated: boolean[] = [];
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: 'content-prod', Prefix: prefix, MaxKeys: 5000 })) {
      pages.push(page.KeyCount ?? 0);
      truncated.push(page.IsTruncated ?? false);
    }

    expect(pages).toEqual(sizes);
    expect(truncated.at(-1)).toBe(false);
  });

  it('pages ListObjectsV2 with a small page size, StartAfter and the paginator', async () => {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 10 }, { Bucket: 'content-prod', Prefix: 'small/' })) keys.push(...(page.Contents ?? []).map((c) => c.Key as string));
    const after = await s3.send(new ListObjectsV2Command({ Bucket: 'content-prod', Prefix: 'small/', StartAfter: 'small/item-020' }));

    expect(keys).toHaveLength(25);
    expect(keys[0]).toBe('small/item-001');
    expect(keys.at(-1)).toBe('small/item-025');
    expect(after.Contents?.map((c) => c.Key)).toEqual(['small/item-021', 'small/item-022', 'small/item-023', 'small/item-024', 'small/item-025']);
  });

  it('rolls keys up into common prefixes at a delimiter, each counting towards MaxKeys', async () => {
    const first = await s3.send(new ListObjectsV2Command({ Bucket: 'content-prod', Delimiter: '/', MaxKeys: 3 }));
    const second = await s3.send(new ListObjectsV2Command({ Bucket: 'content-prod', Delimiter: '/', MaxKeys: 3, ContinuationToken: first.NextContinuationToken }));
    const courses = await s3.send(new ListObjectsV2Command({ Bucket: 'content-prod', Prefix: 'courses/', Delimiter: '/' }));

    expect(first.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['courses/', 'exact/', 'history/']);
    expect(first).toMatchObject({ IsTruncated: true, KeyCount: 3 });
    expect(second.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['over/', 'small/']);
    expect(second.IsTruncated).toBe(false);
    // courses/retired/ holds only a deleted key, so it is no common prefix of the current objects.
    expect(courses.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['courses/intro/', 'courses/new/']);
  });

  it('pages ListObjectVersions inside a key’s history with KeyMarker and VersionIdMarker', async () => {
    const whole = await s3.send(new ListObjectVersionsCommand({ Bucket: 'content-prod', Prefix: 'history/' }));
    const paged = await allVersions('content-prod', 'history/', 5);
    const exact = await s3.send(new ListObjectVersionsCommand({ Bucket: 'content-prod', Prefix: 'history/', MaxKeys: 21 }));
    const short = await s3.send(new ListObjectVersionsCommand({ Bucket: 'content-prod', Prefix: 'history/', MaxKeys: 20 }));

    expect(whole.Versions).toHaveLength(21);
    expect(paged.pages.map((p) => p.Versions?.length ?? 0)).toEqual([5, 5, 5, 5, 1]);
    expect(paged.entries).toEqual(whole.Versions?.map((v) => `${v.Key}@${v.VersionId}`));
    expect(exact.IsTruncated).toBe(false);
    expect(short).toMatchObject({ IsTruncated: true, NextKeyMarker: 'history/doc-007', NextVersionIdMarker: whole.Versions?.[19]?.VersionId });
  });

  it('lists delete markers with IsLatest beside the versions they hide', async () => {
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: 'content-prod', Prefix: 'courses/retired/' }));

    expect(listed.DeleteMarkers?.map((d) => [d.Key, d.IsLatest])).toEqual([['courses/retired/notes.txt', true]]);
    expect(listed.Versions?.map((v) => [v.Key, v.IsLatest, v.Size])).toEqual([['courses/retired/notes.txt', false, 64]]);
  });
});

describe('S3 access', () => {
  async function sessionFor(roleArn: string): Promise<S3Client> {
    const sts = new STSClient(sandbox.aws());
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 's3-test' }));
    return client('us-east-1', {
      accessKeyId: assumed.Credentials?.AccessKeyId as string,
      secretAccessKey: assumed.Credentials?.SecretAccessKey as string,
      sessionToken: assumed.Credentials?.SessionToken as string,
    });
  }

  it('denies a role the actions its policies deny, with the real IAM action names', async () => {
    const session = await sessionFor('arn:aws:iam::222222222222:role/NoVersionReads');
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: 'content-prod', Prefix: 'courses/intro/' }));

    const lifecycle = await errorOf(session.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'content-prod' })));
    const versionRead = await errorOf(session.send(new GetObjectCommand({ Bucket: 'content-prod', Key: 'courses/intro/index.html', VersionId: listed.Versions?.[1]?.VersionId })));
    const currentRead = await session.send(new GetObjectCommand({ Bucket: 'content-prod', Key: 'courses/intro/index.html' }));

    expect(lifecycle).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 }, message: expect.stringContaining('s3:GetLifecycleConfiguration') });
    expect(versionRead).toMatchObject({ name: 'AccessDenied', message: expect.stringContaining('s3:GetObjectVersion') });
    expect(await body(currentRead)).toBe('<h1>v3</h1>');
  });

  it('lets another account read only what a bucket policy grants it', async () => {
    const shared = await s3.send(new GetObjectCommand({ Bucket: 'partner-shared', Key: 'shared/catalog.json' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'partner-shared' }));
    const write = await errorOf(s3.send(new PutObjectCommand({ Bucket: 'partner-shared', Key: 'x', Body: 'x' })));
    const privateList = await errorOf(s3.send(new ListObjectsV2Command({ Bucket: 'partner-private' })));
    const partnerOwn = await client('us-east-1', PARTNER_KEY).send(new ListObjectsV2Command({ Bucket: 'partner-private' }));

    expect(await body(shared)).toBe('{}');
    expect(listed.KeyCount).toBe(1);
    expect(write).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(privateList).toMatchObject({ name: 'AccessDenied' });
    expect(partnerOwn.KeyCount).toBe(0);
  });

  it('retries S3 SlowDown throttling and succeeds', async () => {
    await sandbox.setFaults([{ service: 's3', operation: 'GetBucketVersioning', throttle: { ratePerSecond: 20, burst: 1 } }]);

    const results = await Promise.all([1, 2, 3].map(() => s3.send(new GetBucketVersioningCommand({ Bucket: 'content-prod' }))));
    const summary = await sandbox.inspect<{ counts: Array<{ service: string; operation: string; throttled: number }> }>('calls/summary');
    await sandbox.setFaults([]);

    expect(results.map((r) => r.Status)).toEqual(['Enabled', 'Enabled', 'Enabled']);
    expect(summary.counts.find((c) => c.service === 'aws:s3' && c.operation === 'GetBucketVersioning')?.throttled).toBeGreaterThan(0);
  });

  it('routes virtual-hosted-style requests by the Host header', async () => {
    const port = new URL(sandbox.info.awsEndpoint).port;
    // Every *.s3.sandbox.test name resolves to the sandbox, as a wildcard DNS record would.
    const agent = new Agent({
      lookup: (_host, options, callback) => (options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)),
    });
    const hosted = new S3Client({
      ...sandbox.aws('us-east-1', PROD_KEY),
      endpoint: `http://s3.sandbox.test:${port}`,
      forcePathStyle: false,
      requestHandler: new NodeHttpHandler({ httpAgent: agent }),
    });
    const sent: string[] = [];
    hosted.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { hostname: string; path: string };
        sent.push(`${request.hostname}${request.path}`);
        return next(args);
      },
      { step: 'finalizeRequest' },
    );

    const read = await hosted.send(new GetObjectCommand({ Bucket: 'content-prod', Key: 'courses/intro/index.html' }));
    const versioning = await hosted.send(new GetBucketVersioningCommand({ Bucket: 'content-prod' }));
    agent.destroy();

    expect(sent).toEqual(['content-prod.s3.sandbox.test/courses/intro/index.html', 'content-prod.s3.sandbox.test/']);
    expect(await body(read)).toBe('<h1>v3</h1>');
    expect(versioning.Status).toBe('Enabled');
  });
});

describe('S3 lifecycle', () => {
  it('expires noncurrent versions once their NoncurrentDays have passed, at midnight UTC', async () => {
    const clock = new ManualClock(NOW);
    const own = await startTestSandbox(SCENARIO, { clock });
    try {
      const west = new S3Client(own.aws('us-east-1', PROD_KEY));
      const before = await west.send(new ListObjectVersionsCommand({ Bucket: 'content-prod', Prefix: 'courses/intro/' }));

      // v2 became noncurrent 2 days ago, v1 20 days ago: v1 is due after 40 more days, v2 after 58.
      clock.advance(41 * DAY_MS);
      const later = await west.send(new ListObjectVersionsCommand({ Bucket: 'content-prod', Prefix: 'courses/intro/' }));
      clock.advance(18 * DAY_MS);
      const latest = await west.send(new ListObjectVersionsCommand({ Bucket: 'content-prod', Prefix: 'courses/intro/' }));
      const current = await west.send(new GetObjectCommand({ Bucket: 'content-prod', Key: 'courses/intro/index.html' }));

      expect(before.Versions).toHaveLength(3);
      expect(later.Versions?.map((v) => v.VersionId)).toEqual(before.Versions?.slice(0, 2).map((v) => v.VersionId));
      expect(latest.Versions?.map((v) => v.VersionId)).toEqual([before.Versions?.[0]?.VersionId]);
      expect(await body(current)).toBe('<h1>v3</h1>');
    } finally {
      await own.stop();
    }
  });
});

const DEMO_KEYS: Record<string, typeof PROD_KEY> = { '222222222222': PROD_KEY, '333333333333': STAGING_KEY };

/** The demo scenario's S3 part alone, with keys in production and staging: other services' seeding plays no part. */
function demoS3Only(): Scenario {
  const demo = loadScenario(fileURLToPath(DEMO_SCENARIO_URL));
  return {
    name: demo.name,
    faults: [],
    accounts: demo.accounts.map((account) => {
      const key = DEMO_KEYS[account.id];
      return {
        ...account,
        iam: undefined,
        accessKeys: key ? [{ ...key, user: 'vigil', denyActions: [] }] : [],
        regions: Object.fromEntries(Object.entries(account.regions).map(([region, services]) => [region, { s3: services.s3 }])),
      };
    }),
  };
}

describe('the demo S3 estate', () => {
  let demo: TestSandbox;
  let east: S3Client;
  let west: S3Client;

  beforeAll(async () => {
    demo = await startTestSandbox(demoS3Only());
    east = new S3Client(demo.aws('us-east-1', PROD_KEY));
    west = new S3Client(demo.aws('us-west-2', PROD_KEY));
  });

  afterAll(async () => {
    await demo.stop();
  });

  it('keeps every promise in coursecraft-content-prod', async () => {
    const bucket = 'coursecraft-content-prod';
    const lifecycle = await east.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    const replication = await east.send(new GetBucketReplicationCommand({ Bucket: bucket }));
    const drVersioning = await west.send(new GetBucketVersioningCommand({ Bucket: 'coursecraft-content-dr' }));
    const pab = await east.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    const encryption = await east.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    const policy = await errorOf(east.send(new GetBucketPolicyStatusCommand({ Bucket: bucket })));
    const objects = await east.send(new ListObjectsV2Command({ Bucket: bucket }));
    const versions = await east.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'courses/course-001/' }));
    const newest = versions.Versions?.[0];
    const replica = await west.send(new HeadObjectCommand({ Bucket: 'coursecraft-content-dr', Key: newest?.Key, VersionId: newest?.VersionId }));

    expect(lifecycle.Rules?.map((r) => [r.Status, r.Filter, r.NoncurrentVersionExpiration?.NoncurrentDays])).toEqual([['Enabled', {}, 60]]);
    expect(replication.ReplicationConfiguration?.Rules?.map((r) => [r.Status, r.Filter?.Prefix, r.Destination?.Bucket])).toEqual([['Enabled', '', 'arn:aws:s3:::coursecraft-content-dr']]);
    expect(drVersioning.Status).toBe('Enabled');
    expect(pab.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('aws:kms');
    expect(policy).toMatchObject({ name: 'NoSuchBucketPolicy' });
    expect(objects.KeyCount).toBe(73);
    expect(versions.Versions?.length).toBe(8);
    expect(replica.ReplicationStatus).toBe('REPLICA');
  });

  it('breaks several promises in coursecraft-uploads-prod', async () => {
    const bucket = 'coursecraft-uploads-prod';
    const versioning = await east.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    const lifecycle = await errorOf(east.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })));
    const pab = await east.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    const status = await east.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }));
    const tags = await east.send(new GetBucketTaggingCommand({ Bucket: bucket }));

    expect(versioning.Status).toBe('Suspended');
    expect(lifecycle).toMatchObject({ name: 'NoSuchLifecycleConfiguration' });
    expect(pab.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicPolicy: false, RestrictPublicBuckets: false });
    expect(status.PolicyStatus?.IsPublic).toBe(true);
    expect(tags.TagSet).toContainEqual({ Key: 'env', Value: 'production' });
  });

  it('breaks promises subtly in coursecraft-exports-prod', async () => {
    const bucket = 'coursecraft-exports-prod';
    const lifecycle = await east.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    const replication = await east.send(new GetBucketReplicationCommand({ Bucket: bucket }));
    const destination = await west.send(new GetBucketVersioningCommand({ Bucket: 'coursecraft-exports-dr' }));
    const exports = await east.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'exports/lms-export-001' }));
    const reports = await east.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'reports/weekly-001' }));

    expect(lifecycle.Rules?.map((r) => [r.ID, r.Status, r.Filter?.Prefix, r.NoncurrentVersionExpiration?.NoncurrentDays])).toEqual([
      ['expire-report-versions', 'Enabled', 'reports/', 30],
      ['expire-noncurrent-60d', 'Disabled', undefined, 60],
    ]);
    expect(replication.ReplicationConfiguration?.Rules?.map((r) => [r.Status, r.Destination?.Bucket])).toEqual([['Disabled', 'arn:aws:s3:::coursecraft-exports-dr']]);
    expect(destination.Status).toBeUndefined();
    // Export versions from 91 days ago are still there; reports/ versions are all under the 30-day rule.
    expect(exports.Versions).toHaveLength(4);
    expect(reports.Versions).toHaveLength(3);
  });

  it('tags staging assets as staging, in an account production cannot read', async () => {
    const staging = new S3Client(demo.aws('us-east-1', STAGING_KEY));

    const tags = await staging.send(new GetBucketTaggingCommand({ Bucket: 'coursecraft-staging-assets' }));
    const fromProduction = await errorOf(east.send(new GetBucketTaggingCommand({ Bucket: 'coursecraft-staging-assets' })));

    expect(tags.TagSet).toContainEqual({ Key: 'env', Value: 'staging' });
    expect(fromProduction).toMatchObject({ name: 'AccessDenied' });
  });
});
