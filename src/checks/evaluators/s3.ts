/** S3 buckets: versioning, noncurrent-version expiry, replication to the DR region, encryption, public access. */
import { z } from 'zod';
import { errorVerdict, fail, notApplicable, pass } from '../../core/results.js';
import { defineEvaluator } from '../evaluator.js';
import { known, type LifecycleRule, type Resource, type S3Bucket } from '../resources.js';
import { listSome } from './describe.js';

function asBucket(resource: Resource): S3Bucket {
  if (resource.kind !== 's3-bucket') throw new Error(`an S3 evaluator was given ${resource.kind}`);
  return resource;
}

function wholeBucket(filter: { prefix?: string; tags?: Record<string, string>; objectSizeGreaterThan?: number; objectSizeLessThan?: number } | undefined): boolean {
  if (!filter) return true;
  return !filter.prefix && Object.keys(filter.tags ?? {}).length === 0 && filter.objectSizeGreaterThan === undefined && filter.objectSizeLessThan === undefined;
}

function describeFilter(filter: LifecycleRule['filter']): string {
  if (!filter) return 'the whole bucket';
  const parts: string[] = [];
  if (filter.prefix) parts.push(`prefix ${filter.prefix}`);
  for (const [k, v] of Object.entries(filter.tags ?? {})) parts.push(`tag ${k}=${v}`);
  if (filter.objectSizeGreaterThan !== undefined) parts.push(`objects over ${filter.objectSizeGreaterThan} bytes`);
  if (filter.objectSizeLessThan !== undefined) parts.push(`objects under ${filter.objectSizeLessThan} bytes`);
  return parts.length ? parts.join(' and ') : 'the whole bucket';
}

export const s3Versioning = defineEvaluator({
  name: 's3-versioning',
  summary: 'Versioning is enabled.',
  params: z.strictObject({}),
  subject: () => 's3-bucket',
  needs: () => [],
  evaluate(resource) {
    const bucket = asBucket(resource);
    const state = known(bucket.versioning, `the versioning of ${bucket.name}`);
    const facts = { versioning: state };
    return state === 'Enabled' ? pass(`S3 bucket ${bucket.name} has versioning enabled.`, facts) : fail(`S3 bucket ${bucket.name} has versioning ${state.toLowerCase()}.`, facts);
  },
});

export const s3NoncurrentExpiry = defineEvaluator({
  name: 's3-noncurrent-expiry',
  summary: 'An enabled lifecycle rule for the whole bucket expires noncurrent versions after the promised number of days.',
  params: z.strictObject({ days: z.number().int().min(1).default(60), toleranceDays: z.number().int().min(0).default(0) }),
  subject: () => 's3-bucket',
  needs: () => [],
  evaluate(resource, ctx) {
    const bucket = asBucket(resource);
    const rules = known(bucket.lifecycle, `the lifecycle configuration of ${bucket.name}`);
    const { days, toleranceDays } = ctx.params;
    if (!rules || rules.length === 0) return fail(`S3 bucket ${bucket.name} has no lifecycle configuration, so noncurrent versions never expire.`, { rules: [] });
    const expiring = rules.filter((r) => r.noncurrentExpirationDays !== undefined);
    const facts = { rules: rules.map((r) => ({ id: r.id, enabled: r.enabled, appliesTo: describeFilter(r.filter), noncurrentExpirationDays: r.noncurrentExpirationDays, newerNoncurrentVersions: r.newerNoncurrentVersions })) };
    const candidates = expiring.filter((r) => r.enabled && wholeBucket(r.filter));
    const matching = candidates.find((r) => Math.abs((r.noncurrentExpirationDays as number) - days) <= toleranceDays);
    if (matching?.newerNoncurrentVersions) {
      return fail(
        `S3 bucket ${bucket.name} expires noncurrent versions after ${matching.noncurrentExpirationDays} days but keeps the newest ${matching.newerNoncurrentVersions} beyond that (rule ${matching.id}).`,
        facts,
      );
    }
    if (matching) return pass(`S3 bucket ${bucket.name} expires noncurrent versions after ${matching.noncurrentExpirationDays} days (rule ${matching.id}).`, facts);
    if (candidates.length > 0) {
      const actual = candidates.map((r) => `${r.noncurrentExpirationDays} days (rule ${r.id})`).join(', ');
      return fail(`S3 bucket ${bucket.name} expires noncurrent versions after ${actual}, not the promised ${days}.`, facts);
    }
    const reasons = expiring.map((r) => `rule ${r.id} ${r.enabled ? `applies only to ${describeFilter(r.filter)}` : 'is disabled'}`);
    return fail(
      `S3 bucket ${bucket.name} has no enabled rule expiring noncurrent versions of the whole bucket${reasons.length ? `: ${listSome(reasons, 3)}` : ''}.`,
      facts,
    );
  },
});

export const s3Replication = defineEvaluator({
  name: 's3-replication',
  summary: 'Replication of the whole bucket to a versioned bucket in the DR region is configured and enabled.',
  params: z.strictObject({ requireDestinationVersioning: z.boolean().default(true) }),
  subject: () => 's3-bucket',
  needs: () => ['buckets'],
  evaluate(resource, ctx) {
    const bucket = asBucket(resource);
    const name = `S3 bucket ${bucket.name}`;
    if (!ctx.drRegion) return errorVerdict(`${name}: account ${ctx.account.id} has no drRegion configured, so replication cannot be judged.`, {});
    if (bucket.region === ctx.drRegion) return notApplicable(`${name} is in the DR region ${ctx.drRegion} itself.`, {});
    const replication = known(bucket.replication, `the replication configuration of ${bucket.name}`);
    if (!replication || replication.rules.length === 0) return fail(`${name} has no replication configuration.`, { replication: null });
    const facts = { role: replication.role, rules: replication.rules.map((r) => ({ id: r.id, enabled: r.enabled, appliesTo: describeFilter(r.filter), destination: r.destinationBucketArn })) };
    const problems: string[] = [];
    for (const rule of replication.rules) {
      if (!rule.enabled) {
        problems.push(`rule ${rule.id} is disabled`);
        continue;
      }
      if (!wholeBucket(rule.filter)) {
        problems.push(`rule ${rule.id} covers only ${describeFilter(rule.filter)}`);
        continue;
      }
      const destinationName = rule.destinationBucketArn.replace(/^arn:aws[\w-]*:s3:::/, '');
      const destination = ctx.buckets.find((b) => b.name === destinationName);
      if (!destination) {
        return errorVerdict(`${name} replicates to ${destinationName}, which Vigil cannot see in account ${ctx.account.id}, so its region and versioning are unknown.`, facts);
      }
      if (destination.region !== ctx.drRegion) {
        problems.push(`rule ${rule.id} replicates to ${destinationName} in ${destination.region}, not ${ctx.drRegion}`);
        continue;
      }
      const versioning = known(destination.versioning, `the versioning of ${destinationName}`);
      if (ctx.params.requireDestinationVersioning && versioning !== 'Enabled') {
        problems.push(`destination ${destinationName} has versioning ${versioning.toLowerCase()}`);
        continue;
      }
      return pass(`${name} replicates to ${destinationName} in ${ctx.drRegion} (rule ${rule.id}).`, { ...facts, destinationVersioning: versioning });
    }
    return fail(`${name} does not replicate the whole bucket to a versioned bucket in ${ctx.drRegion}: ${listSome(problems, 3)}.`, facts);
  },
});

export const s3DefaultEncryption = defineEvaluator({
  name: 's3-default-encryption',
  summary: 'Default encryption is configured.',
  params: z.strictObject({ requireKms: z.boolean().default(false) }),
  subject: () => 's3-bucket',
  needs: () => [],
  evaluate(resource, ctx) {
    const bucket = asBucket(resource);
    const encryption = known(bucket.encryption, `the default encryption of ${bucket.name}`);
    const facts = { encryption };
    if (!encryption) return fail(`S3 bucket ${bucket.name} has no default encryption configured.`, facts);
    if (ctx.params.requireKms && !encryption.algorithm.startsWith('aws:kms')) {
      return fail(`S3 bucket ${bucket.name} encrypts with ${encryption.algorithm}, not KMS.`, facts);
    }
    return pass(`S3 bucket ${bucket.name} encrypts new objects with ${encryption.algorithm} by default.`, facts);
  },
});

export const s3PublicAccessBlock = defineEvaluator({
  name: 's3-public-access-block',
  summary: 'All four public access block settings are on for the bucket.',
  params: z.strictObject({}),
  subject: () => 's3-bucket',
  needs: () => [],
  evaluate(resource) {
    const bucket = asBucket(resource);
    const block = known(bucket.publicAccessBlock, `the public access block of ${bucket.name}`);
    if (!block) return fail(`S3 bucket ${bucket.name} has no public access block configured.`, { publicAccessBlock: null });
    const off = Object.entries(block)
      .filter(([, on]) => !on)
      .map(([setting]) => setting.charAt(0).toUpperCase() + setting.slice(1));
    const facts = { publicAccessBlock: block };
    return off.length === 0
      ? pass(`S3 bucket ${bucket.name} blocks public access with all four settings.`, facts)
      : fail(`S3 bucket ${bucket.name} has public access block settings off: ${off.join(', ')}.`, facts);
  },
});
