/**
 * The S3 part of a scenario: buckets per account and region with their configurations written close
 * to the API's shapes, and objects as version histories at ages ("written 40, 20 and 2 days ago"),
 * listed one by one or generated in sets. Bucket names are global: seeding checks them across accounts.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { HOUR_MS } from '../../core/clock.js';
import { ConfigError, type Problem } from '../../core/errors.js';
import type { Scenario } from '../scenario.js';
import { accountIdSchema, durationSchema, tagsSchema } from '../scenario-types.js';
import type { World } from '../world.js';
import { DEFAULT_CHECKSUM_ALGORITHM } from './s3-checksums.js';
import { policyStatements } from './s3-policy.js';
import { replicate } from './s3-replication.js';
import {
  compareKeys,
  generatedContent,
  newVersionId,
  s3State,
  uploadedContent,
  wholeSeconds,
  type Bucket,
  type ObjectVersion,
  type ServerSideEncryption,
} from './s3-store.js';

export const BUCKET_NAME = /^(?!xn--)(?!.*-s3alias$)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const MAX_SEEDED_OBJECT_BYTES = 4 * 1024 * 1024;

const storageClassSchema = z.enum(['STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'GLACIER_IR', 'DEEP_ARCHIVE']);
const daysSchema = z.number().int().min(1);

const lifecycleFilterSchema = z.strictObject({
  prefix: z.string().optional(),
  /** One tag becomes `<Tag>`; several, or a tag with a prefix or size, are combined under `<And>`. */
  tags: tagsSchema.optional(),
  objectSizeGreaterThan: z.number().int().min(0).optional(),
  objectSizeLessThan: z.number().int().min(1).optional(),
});

const lifecycleRuleSchema = z.strictObject({
  id: z.string().min(1).max(255).optional(),
  status: z.enum(['Enabled', 'Disabled']).default('Enabled'),
  /** The legacy top-level `<Prefix>` (instead of a filter), as rules written before 2016 still have. */
  prefix: z.string().optional(),
  /** Omitted (and without prefix): the rule has an empty `<Filter/>` and covers the whole bucket. */
  filter: lifecycleFilterSchema.optional(),
  expiration: z
    .strictObject({ days: daysSchema.optional(), date: z.string().optional(), expiredObjectDeleteMarker: z.boolean().optional() })
    .optional(),
  noncurrentVersionExpiration: z
    .strictObject({ noncurrentDays: daysSchema, newerNoncurrentVersions: z.number().int().min(1).max(100).optional() })
    .optional(),
  transitions: z.array(z.strictObject({ days: z.number().int().min(0), storageClass: storageClassSchema })).default([]),
  noncurrentVersionTransitions: z
    .array(z.strictObject({ noncurrentDays: daysSchema, storageClass: storageClassSchema, newerNoncurrentVersions: z.number().int().min(1).max(100).optional() }))
    .default([]),
  abortIncompleteMultipartUpload: z.strictObject({ daysAfterInitiation: daysSchema }).optional(),
});
type LifecycleRuleScenario = z.output<typeof lifecycleRuleSchema>;

const replicationRuleSchema = z.strictObject({
  id: z.string().min(1).max(255).optional(),
  status: z.enum(['Enabled', 'Disabled']).default('Enabled'),
  /** Defaults to the rule's position: rules later in the list win. */
  priority: z.number().int().min(0).optional(),
  /** Replicate only keys under this prefix; empty for the whole bucket. */
  prefix: z.string().default(''),
  /** The destination bucket's name; it may be in any account and region, or not exist at all. */
  destination: z.string().regex(BUCKET_NAME, 'expected an S3 bucket name'),
  /** The destination's account, when it is another one (the rule then carries `<Account>`). */
  account: accountIdSchema.optional(),
  storageClass: z.enum(['STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR']).optional(),
  /** KMS key for replicas of KMS-encrypted objects (replicating those is then enabled). */
  replicaKmsKeyId: z.string().optional(),
  deleteMarkerReplication: z.enum(['Enabled', 'Disabled']).default('Disabled'),
});

const versionSchema = z.strictObject({
  /** How long ago this version was written. */
  age: durationSchema,
  /** Bytes of generated, deterministic content; ignored when `content` is given. */
  size: z.number().int().min(0).max(MAX_SEEDED_OBJECT_BYTES).default(1024),
  /** The body as UTF-8 text. */
  content: z.string().optional(),
  contentType: z.string().optional(),
  storageClass: z.string().optional(),
});

const objectSchema = z.strictObject({
  key: z.string().min(1).max(1024),
  /** The object's history in any order; the youngest is the current version. */
  versions: z.array(versionSchema).min(1),
  /** The key reads as deleted: a delete marker (this long ago, or `true` for half the newest version's age) is current. */
  deleted: z.union([z.literal(true), durationSchema]).optional(),
  tags: tagsSchema.default({}),
});

const objectSetSchema = z.strictObject({
  /** Key template: `{n}` becomes the object's number, zero-padded to three digits (`courses/course-{n}/index.html`). */
  keys: z.string().includes('{n}', { message: 'expected a key template containing {n}' }),
  count: z.number().int().min(1).max(100_000),
  /** Versions per key. */
  versions: z.number().int().min(1).max(100).default(1),
  /** Age of each key's current version; keys are spread over the following day so they are not all equal. */
  newest: durationSchema.prefault('1d'),
  /** Time between one version and the next older one. */
  every: durationSchema.prefault('7d'),
  size: z.number().int().min(0).max(MAX_SEEDED_OBJECT_BYTES).default(2048),
  contentType: z.string().optional(),
  /** Every nth key reads as deleted: a delete marker half `newest` old is its current version. */
  deletedEvery: z.number().int().min(1).optional(),
});

const bucketSchema = z
  .strictObject({
    name: z.string().regex(BUCKET_NAME, 'expected an S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens'),
    /** How long ago the bucket was created. */
    age: durationSchema.prefault('700d'),
    /** `none`: versioning was never enabled (GetBucketVersioning returns no Status). */
    versioning: z.enum(['Enabled', 'Suspended', 'none']).default('none'),
    mfaDelete: z.boolean().default(false),
    /** Absent: no lifecycle configuration at all (NoSuchLifecycleConfiguration). */
    lifecycle: z.array(lifecycleRuleSchema).min(1).optional(),
    replication: z
      .strictObject({
        /** The IAM role S3 assumes to replicate: a name in the bucket's account, or an ARN. */
        role: z.string().default('s3-replication'),
        rules: z.array(replicationRuleSchema).min(1),
      })
      .optional(),
    /** Default encryption. `none` is a bucket from before S3 encrypted every bucket (ServerSideEncryptionConfigurationNotFoundError). */
    encryption: z.enum(['AES256', 'aws:kms', 'aws:kms:dsse', 'none']).default('AES256'),
    /** KMS key (id, alias or ARN) for `aws:kms`; omitted, S3 uses the account's `aws/s3` key. */
    kmsKeyId: z.string().optional(),
    bucketKeyEnabled: z.boolean().default(false),
    /** Absent: no configuration (NoSuchPublicAccessBlockConfiguration); a missing setting is false. */
    publicAccessBlock: z
      .strictObject({
        blockPublicAcls: z.boolean().default(false),
        ignorePublicAcls: z.boolean().default(false),
        blockPublicPolicy: z.boolean().default(false),
        restrictPublicBuckets: z.boolean().default(false),
      })
      .optional(),
    /** The bucket policy document as an object; its Resource ARNs must name this bucket. */
    policy: z.record(z.string(), z.unknown()).optional(),
    /** Absent: no tag set (NoSuchTagSet). */
    tags: tagsSchema.optional(),
    objects: z.array(objectSchema).default([]),
    generate: z.array(objectSetSchema).default([]),
  })
  .superRefine((bucket, ctx) => {
    const keys = new Map<string, number>();
    bucket.objects.forEach((object, index) => {
      const first = keys.get(object.key);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['objects', index, 'key'], message: `duplicate key (also objects[${first}])` });
      keys.set(object.key, index);
    });
    if (bucket.versioning !== 'none') return;
    bucket.objects.forEach((object, index) => {
      if (object.versions.length > 1) ctx.addIssue({ code: 'custom', path: ['objects', index, 'versions'], message: 'a bucket without versioning keeps one version per key' });
      if (object.deleted !== undefined) ctx.addIssue({ code: 'custom', path: ['objects', index, 'deleted'], message: 'a bucket without versioning keeps no delete markers: leave the object out' });
    });
    bucket.generate.forEach((set, index) => {
      if (set.versions > 1) ctx.addIssue({ code: 'custom', path: ['generate', index, 'versions'], message: 'a bucket without versioning keeps one version per key' });
    });
  });
type BucketScenario = z.output<typeof bucketSchema>;

export const s3RegionScenario = z.strictObject({ buckets: z.array(bucketSchema).default([]) });
export type S3RegionScenario = z.output<typeof s3RegionScenario>;

/** An ARN for a KMS key given as an id, alias or ARN. */
export function kmsKeyArn(accountId: string, region: string, keyId: string): string {
  if (keyId.startsWith('arn:')) return keyId;
  if (keyId.startsWith('alias/')) return `arn:aws:kms:${region}:${accountId}:${keyId}`;
  return `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
}

/** The account's AWS-managed `aws/s3` key, which S3 uses for `aws:kms` without a key id. */
export function awsManagedS3Key(accountId: string, region: string): string {
  const hex = createHash('sha256').update(`aws/s3:${accountId}:${region}`).digest('hex');
  return `arn:aws:kms:${region}:${accountId}:key/${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** What an object written without encryption headers gets from the bucket's default encryption. */
export function defaultObjectEncryption(bucket: Bucket): ServerSideEncryption | undefined {
  const sse = bucket.encryption;
  if (!sse) return undefined;
  if (sse.algorithm === 'AES256') return { algorithm: 'AES256' };
  return { ...sse, kmsKeyId: sse.kmsKeyId ?? awsManagedS3Key(bucket.accountId, bucket.region) };
}

function filterXml(filter: z.output<typeof lifecycleFilterSchema> | undefined): Record<string, unknown> {
  if (!filter) return {};
  const tags = Object.entries(filter.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  const conditions = {
    ...(filter.prefix !== undefined ? { Prefix: filter.prefix } : {}),
    ...(filter.objectSizeGreaterThan !== undefined ? { ObjectSizeGreaterThan: filter.objectSizeGreaterThan } : {}),
    ...(filter.objectSizeLessThan !== undefined ? { ObjectSizeLessThan: filter.objectSizeLessThan } : {}),
  };
  const count = Object.keys(conditions).length + tags.length;
  if (count === 0) return {};
  if (count === 1) return tags.length === 1 ? { Tag: tags[0] } : conditions;
  return { And: { ...conditions, ...(tags.length > 0 ? { Tag: tags } : {}) } };
}

/** A scenario rule in the shape S3 returns from GetBucketLifecycleConfiguration. */
export function lifecycleRuleXml(rule: LifecycleRuleScenario, index: number): Record<string, unknown> {
  const out: Record<string, unknown> = { ID: rule.id ?? `rule-${index + 1}` };
  if (rule.prefix !== undefined) out['Prefix'] = rule.prefix;
  else out['Filter'] = filterXml(rule.filter);
  out['Status'] = rule.status;
  if (rule.transitions.length > 0) out['Transition'] = rule.transitions.map((t) => ({ Days: t.days, StorageClass: t.storageClass }));
  if (rule.noncurrentVersionTransitions.length > 0) {
    out['NoncurrentVersionTransition'] = rule.noncurrentVersionTransitions.map((t) => ({
      NoncurrentDays: t.noncurrentDays,
      StorageClass: t.storageClass,
      ...(t.newerNoncurrentVersions !== undefined ? { NewerNoncurrentVersions: t.newerNoncurrentVersions } : {}),
    }));
  }
  if (rule.expiration) {
    const e = rule.expiration;
    out['Expiration'] = e.days !== undefined ? { Days: e.days } : e.date !== undefined ? { Date: e.date } : { ExpiredObjectDeleteMarker: e.expiredObjectDeleteMarker ?? true };
  }
  if (rule.noncurrentVersionExpiration) {
    const e = rule.noncurrentVersionExpiration;
    out['NoncurrentVersionExpiration'] = { NoncurrentDays: e.noncurrentDays, ...(e.newerNoncurrentVersions !== undefined ? { NewerNoncurrentVersions: e.newerNoncurrentVersions } : {}) };
  }
  if (rule.abortIncompleteMultipartUpload) out['AbortIncompleteMultipartUpload'] = { DaysAfterInitiation: rule.abortIncompleteMultipartUpload.daysAfterInitiation };
  return out;
}

function replicationXml(accountId: string, replication: NonNullable<BucketScenario['replication']>): NonNullable<Bucket['replication']> {
  return {
    Role: replication.role.startsWith('arn:') ? replication.role : `arn:aws:iam::${accountId}:role/${replication.role}`,
    Rule: replication.rules.map((rule, index) => ({
      ID: rule.id ?? `replicate-${index + 1}`,
      Priority: rule.priority ?? index + 1,
      Filter: { Prefix: rule.prefix },
      Status: rule.status,
      ...(rule.replicaKmsKeyId !== undefined ? { SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } } } : {}),
      Destination: {
        Bucket: `arn:aws:s3:::${rule.destination}`,
        ...(rule.account !== undefined ? { Account: rule.account } : {}),
        ...(rule.storageClass !== undefined ? { StorageClass: rule.storageClass } : {}),
        ...(rule.replicaKmsKeyId !== undefined ? { EncryptionConfiguration: { ReplicaKmsKeyID: rule.replicaKmsKeyId } } : {}),
      },
      DeleteMarkerReplication: { Status: rule.deleteMarkerReplication },
    })),
  };
}

function createBucket(world: World, accountId: string, region: string, scenario: BucketScenario): Bucket {
  const pab = scenario.publicAccessBlock;
  return {
    name: scenario.name,
    accountId,
    region,
    createdAt: wholeSeconds(world.ago(scenario.age)),
    versioning: scenario.versioning === 'none' ? undefined : scenario.versioning,
    mfaDelete: scenario.mfaDelete ? 'Enabled' : undefined,
    lifecycle: scenario.lifecycle?.map(lifecycleRuleXml),
    replication: scenario.replication ? replicationXml(accountId, scenario.replication) : undefined,
    encryption:
      scenario.encryption === 'none'
        ? undefined
        : {
            algorithm: scenario.encryption,
            kmsKeyId: scenario.kmsKeyId !== undefined && scenario.encryption !== 'AES256' ? kmsKeyArn(accountId, region, scenario.kmsKeyId) : undefined,
            bucketKeyEnabled: scenario.bucketKeyEnabled,
          },
    publicAccessBlock: pab
      ? { BlockPublicAcls: pab.blockPublicAcls, IgnorePublicAcls: pab.ignorePublicAcls, BlockPublicPolicy: pab.blockPublicPolicy, RestrictPublicBuckets: pab.restrictPublicBuckets }
      : undefined,
    policy: scenario.policy ? JSON.stringify(scenario.policy) : undefined,
    tags: scenario.tags ? Object.entries(scenario.tags).map(([Key, Value]) => ({ Key, Value })) : undefined,
    objects: new Map(),
    keys: [],
  };
}

interface SeedVersion {
  ageMs: number;
  content: ReturnType<typeof generatedContent>;
  contentType?: string;
  storageClass?: string;
}

/** Builds a key's version stack, newest first, with the ids the bucket's versioning history implies. */
function seedKey(world: World, bucket: Bucket, key: string, history: SeedVersion[], deletedAgeMs: number | undefined, tags: Record<string, string>): void {
  const sorted = [...history].sort((a, b) => a.ageMs - b.ageMs);
  const sse = defaultObjectEncryption(bucket);
  // Under suspended versioning the newest write is the null version; older ones were written while enabled.
  const idFor = (newest: boolean) => (bucket.versioning === 'Enabled' || (bucket.versioning === 'Suspended' && !newest) ? newVersionId(world) : 'null');
  const versions: ObjectVersion[] = sorted.map((v) => ({
    versionId: '',
    deleteMarker: false,
    lastModified: wholeSeconds(world.ago(v.ageMs)),
    content: v.content,
    checksumAlgorithm: DEFAULT_CHECKSUM_ALGORITHM,
    contentType: v.contentType ?? 'binary/octet-stream',
    metadata: {},
    storageClass: v.storageClass ?? 'STANDARD',
    sse,
    tags,
  }));
  if (deletedAgeMs !== undefined) {
    versions.unshift({ versionId: '', deleteMarker: true, lastModified: wholeSeconds(world.ago(deletedAgeMs)), contentType: '', metadata: {}, storageClass: 'STANDARD', tags: {} });
  }
  // Ids are drawn oldest first, so version ids come out in the order the writes happened.
  for (let i = versions.length - 1; i >= 0; i--) (versions[i] as ObjectVersion).versionId = idFor(i === 0);
  bucket.objects.set(key, versions);
  bucket.keys.push(key);
}

function seedObjects(world: World, bucket: Bucket, scenario: BucketScenario): void {
  for (const object of scenario.objects) {
    const history = object.versions.map((v) => ({
      ageMs: v.age,
      content: v.content !== undefined ? uploadedContent(Buffer.from(v.content, 'utf8')) : generatedContent(`${bucket.name}/${object.key}@${v.age}`, v.size),
      contentType: v.contentType,
      storageClass: v.storageClass,
    }));
    const youngest = Math.min(...object.versions.map((v) => v.age));
    const deleted = object.deleted === true ? youngest / 2 : object.deleted;
    seedKey(world, bucket, object.key, history, deleted, object.tags);
  }
  for (const set of scenario.generate) {
    for (let n = 1; n <= set.count; n++) {
      const key = set.keys.replaceAll('{n}', String(n).padStart(3, '0'));
      const newest = set.newest + ((n * 7) % 24) * HOUR_MS;
      const history = Array.from({ length: set.versions }, (_, v) => ({
        ageMs: newest + v * set.every,
        content: generatedContent(`${bucket.name}/${key}#${v}`, set.size),
        contentType: set.contentType,
      }));
      const deleted = set.deletedEvery !== undefined && n % set.deletedEvery === 0 ? newest / 2 : undefined;
      seedKey(world, bucket, key, history, deleted, {});
    }
  }
  // Listed and generated keys were appended unsorted; one sort here beats a splice per key.
  bucket.keys = [...new Set(bucket.keys)].sort(compareKeys);
}

export function seedS3(world: World, scenario: Scenario): void {
  const problems: Problem[] = [];
  const state = s3State(world);
  const seeded: Array<{ bucket: Bucket; scenario: BucketScenario }> = [];
  const where = new Map<string, string>();
  scenario.accounts.forEach((account, a) => {
    for (const [region, regionScenario] of Object.entries(account.regions)) {
      regionScenario.s3?.buckets.forEach((bucketScenario, b) => {
        const path = `accounts[${a}].regions.${region}.s3.buckets[${b}]`;
        const first = where.get(bucketScenario.name);
        if (first !== undefined) {
          problems.push({ file: 'scenario', path: `${path}.name`, message: `bucket names are global: already used at ${first}` });
          return;
        }
        where.set(bucketScenario.name, path);
        if (bucketScenario.policy) {
          try {
            policyStatements(JSON.stringify(bucketScenario.policy), bucketScenario.name);
          } catch (err) {
            problems.push({ file: 'scenario', path: `${path}.policy`, message: err instanceof Error ? err.message : String(err) });
          }
        }
        const bucket = createBucket(world, account.id, region, bucketScenario);
        state.buckets.set(bucket.name, bucket);
        seeded.push({ bucket, scenario: bucketScenario });
      });
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
  for (const { bucket, scenario: bucketScenario } of seeded) seedObjects(world, bucket, bucketScenario);
  // Replication last: destinations may be seeded after their sources.
  for (const { bucket } of seeded) {
    if (!bucket.replication) continue;
    for (const key of [...bucket.keys]) {
      for (const version of [...(bucket.objects.get(key) ?? [])].reverse()) replicate(world, bucket, key, version);
    }
  }
}
