/**
 * CloudTrail trails: a multi-region trail records every management event (an organization trail
 * counts for member accounts), and each trail covering a region logs, delivers, validates, encrypts
 * with KMS and keeps its bucket private.
 */
import { z } from 'zod';
import { errorVerdict, fail, pass } from '../../core/results.js';
import { HOUR_MS } from '../../core/clock.js';
import { defineEvaluator } from '../evaluator.js';
import { known, type Fetched, type Resource } from '../resources.js';
import type { CloudTrailRegion, CloudTrailTrail, FieldSelector, TrailBucketExposure, TrailSelectors } from './resources.js';
import { describeAge, isoSeconds, joinAnd } from './text.js';

/** The need that carries the exposure of each trail bucket seen in a region, by bucket name. */
export const BUCKETS_NEED = 'cloudtrailBuckets';

export function asTrail(resource: Resource): CloudTrailTrail {
  if (resource.kind !== 'cloudtrail-trail') throw new Error(`a CloudTrail trail evaluator was given ${resource.kind}`);
  return resource;
}

function asRegion(resource: Resource): CloudTrailRegion {
  if (resource.kind !== 'cloudtrail-region') throw new Error(`a CloudTrail region evaluator was given ${resource.kind}`);
  return resource;
}

export function describeTrail(t: CloudTrailTrail): string {
  const owner = t.ownerAccountId !== t.accountId ? ` (${t.organization ? 'organization trail' : 'trail'} of account ${t.ownerAccountId})` : '';
  return `CloudTrail trail ${t.name}${owner}`;
}

export interface ManagementCoverage {
  reads: boolean;
  writes: boolean;
  /** Event sources left out (`kms.amazonaws.com`), which the trail does not record. */
  excludedSources: string[];
}

/** Which management events a trail's selectors record: classic or advanced, unioned over selectors. */
export function managementCoverage(selectors: TrailSelectors): ManagementCoverage {
  const out: ManagementCoverage = { reads: false, writes: false, excludedSources: [] };
  if (selectors.type === 'classic') {
    for (const s of selectors.selectors) {
      if (!s.includeManagementEvents) continue;
      if (s.readWriteType === 'All' || s.readWriteType === 'ReadOnly') out.reads = true;
      if (s.readWriteType === 'All' || s.readWriteType === 'WriteOnly') out.writes = true;
      out.excludedSources.push(...s.excludeManagementEventSources);
    }
  } else {
    for (const s of selectors.selectors) {
      const covered = advancedCoverage(s.fieldSelectors);
      if (!covered) continue;
      out.reads ||= covered.reads;
      out.writes ||= covered.writes;
      out.excludedSources.push(...covered.excludedSources);
    }
  }
  out.excludedSources = [...new Set(out.excludedSources)].sort();
  return out;
}

/**
 * An advanced selector records all management events when it selects the Management category and
 * narrows by nothing but read/write and left-out event sources; any other field (eventName,
 * eventSource equals, ...) makes it a partial selector, which does not count.
 */
function advancedCoverage(fields: FieldSelector[]): ManagementCoverage | undefined {
  const category = fields.find((f) => f.field === 'eventCategory');
  if (!category?.equals?.includes('Management')) return undefined;
  let reads = true;
  let writes = true;
  const excludedSources: string[] = [];
  for (const f of fields) {
    if (f.field === 'eventCategory') continue;
    if (f.field === 'readOnly') {
      const only = f.equals ?? (f.notEquals ? f.notEquals.map((v) => (v === 'true' ? 'false' : 'true')) : undefined);
      if (only && only.length === 1) {
        reads = only[0] === 'true';
        writes = only[0] === 'false';
      }
      continue;
    }
    if (f.field === 'eventSource' && !f.equals && !f.startsWith && !f.endsWith) {
      excludedSources.push(...(f.notEquals ?? []), ...(f.notStartsWith ?? []).map((p) => `${p}*`), ...(f.notEndsWith ?? []).map((p) => `*${p}`));
      continue;
    }
    return undefined;
  }
  return { reads, writes, excludedSources };
}

function describeCoverage(c: ManagementCoverage): string {
  if (c.reads && c.writes) return 'read and write management events';
  if (c.writes) return 'only write management events';
  if (c.reads) return 'only read management events';
  return 'no management events';
}

function trailFacts(t: CloudTrailTrail): Record<string, unknown> {
  return {
    trailArn: t.arn,
    name: t.name,
    ownerAccountId: t.ownerAccountId,
    homeRegion: t.homeRegion,
    multiRegion: t.multiRegion,
    organization: t.organization,
    logFileValidation: t.logFileValidation,
    kmsKeyId: t.kmsKeyId ?? null,
    s3Bucket: t.s3Bucket ?? null,
  };
}

export const cloudTrailMultiRegion = defineEvaluator({
  name: 'cloudtrail-multi-region',
  summary: 'A multi-region trail covering the region records management events (reads and writes unless told otherwise).',
  params: z.strictObject({ requireReadEvents: z.boolean().default(true) }),
  subject: () => 'cloudtrail-region',
  needs: () => [],
  evaluate(resource, ctx) {
    const region = asRegion(resource);
    const where = `${region.accountId}/${region.region}`;
    if (region.trails.length === 0) return fail(`No CloudTrail trail covers ${where}.`, { trails: [] });
    const problems: string[] = [];
    const unknown: string[] = [];
    const facts: Array<Record<string, unknown>> = [];
    for (const trail of region.trails) {
      const selectors: Fetched<TrailSelectors> = trail.selectors;
      const coverage = selectors.ok ? managementCoverage(selectors.value) : undefined;
      facts.push({ ...trailFacts(trail), managementEvents: coverage ?? null, selectors: selectors.ok ? selectors.value : null });
      if (!trail.multiRegion) {
        problems.push(`${trail.name} covers ${trail.homeRegion} only`);
        continue;
      }
      if (!selectors.ok) {
        unknown.push(`${trail.name} (${selectors.reason})`);
        continue;
      }
      const c = coverage as ManagementCoverage;
      if (c.writes && (c.reads || !ctx.params.requireReadEvents)) {
        const excluded = c.excludedSources.length > 0 ? `, leaving out ${joinAnd(c.excludedSources)}` : '';
        return pass(`CloudTrail in ${where} is covered by multi-region ${describeTrail(trail).replace(/^CloudTrail /, '')}, which records ${describeCoverage(c)}${excluded}.`, { trails: facts });
      }
      problems.push(`multi-region ${trail.name} records ${describeCoverage(c)}`);
    }
    if (unknown.length > 0) return errorVerdict(`CloudTrail in ${where}: could not read the event selectors of ${joinAnd(unknown)}.`, { trails: facts });
    return fail(`CloudTrail in ${where} has no multi-region trail recording all management events: ${joinAnd(problems)}.`, { trails: facts });
  },
});

export const cloudTrailLogging = defineEvaluator({
  name: 'cloudtrail-logging',
  summary: 'The trail is logging and delivered log files to S3 within maxDeliveryAgeHours, without a delivery error.',
  params: z.strictObject({ maxDeliveryAgeHours: z.number().positive().default(6) }),
  subject: () => 'cloudtrail-trail',
  needs: () => [],
  evaluate(resource, ctx) {
    const trail = asTrail(resource);
    const name = describeTrail(trail);
    const status = known(trail.status, `the logging status of ${name}`);
    const facts = {
      ...trailFacts(trail),
      isLogging: status.isLogging,
      latestDeliveryTime: status.latestDeliveryTime ? isoSeconds(status.latestDeliveryTime) : null,
      latestDeliveryError: status.latestDeliveryError ?? null,
      stopLoggingTime: status.stopLoggingTime ? isoSeconds(status.stopLoggingTime) : null,
    };
    if (!status.isLogging) {
      const since = status.stopLoggingTime ? ` since ${isoSeconds(status.stopLoggingTime)}` : '';
      return fail(`${name} is not logging${since}.`, facts);
    }
    if (status.latestDeliveryError) return fail(`${name} fails to deliver log files to S3 bucket ${trail.s3Bucket ?? '(unknown)'}: ${status.latestDeliveryError}.`, facts);
    if (!status.latestDeliveryTime) return fail(`${name} is logging but has never delivered a log file.`, facts);
    const ageMs = ctx.now.getTime() - status.latestDeliveryTime.getTime();
    if (ageMs > ctx.params.maxDeliveryAgeHours * HOUR_MS) {
      return fail(`${name} last delivered log files ${describeAge(status.latestDeliveryTime, ctx.now)} ago, longer than ${ctx.params.maxDeliveryAgeHours} hours.`, facts);
    }
    return pass(`${name} is logging and delivered log files ${describeAge(status.latestDeliveryTime, ctx.now)} ago.`, facts);
  },
});

export const cloudTrailLogFileValidation = defineEvaluator({
  name: 'cloudtrail-log-file-validation',
  summary: 'The trail writes digest files, so tampering with delivered log files can be detected.',
  params: z.strictObject({}),
  subject: () => 'cloudtrail-trail',
  needs: () => [],
  evaluate(resource) {
    const trail = asTrail(resource);
    const facts = trailFacts(trail);
    return trail.logFileValidation
      ? pass(`${describeTrail(trail)} has log file validation on.`, facts)
      : fail(`${describeTrail(trail)} has log file validation off, so changes to its log files would go unnoticed.`, facts);
  },
});

export const cloudTrailKmsEncryption = defineEvaluator({
  name: 'cloudtrail-kms-encryption',
  summary: 'The trail encrypts its log files with a KMS key (SSE-KMS), not only SSE-S3.',
  params: z.strictObject({}),
  subject: () => 'cloudtrail-trail',
  needs: () => [],
  evaluate(resource) {
    const trail = asTrail(resource);
    const facts = trailFacts(trail);
    return trail.kmsKeyId
      ? pass(`${describeTrail(trail)} encrypts its log files with KMS key ${trail.kmsKeyId}.`, facts)
      : fail(`${describeTrail(trail)} does not encrypt its log files with a KMS key (SSE-S3 only).`, facts);
  },
});

export const cloudTrailBucketExposure = defineEvaluator({
  name: 'cloudtrail-bucket-exposure',
  summary: "The trail's S3 bucket is not public: no public policy or ACL grant, and (unless told otherwise) all four public access block settings on.",
  params: z.strictObject({ requirePublicAccessBlock: z.boolean().default(true) }),
  subject: () => 'cloudtrail-trail',
  needs: () => [BUCKETS_NEED],
  evaluate(resource, ctx) {
    const trail = asTrail(resource);
    const name = describeTrail(trail);
    if (!trail.s3Bucket) return errorVerdict(`${name}: CloudTrail did not say which S3 bucket it delivers to.`, trailFacts(trail));
    const buckets = (ctx.data[BUCKETS_NEED] ?? {}) as Record<string, Fetched<TrailBucketExposure>>;
    const read = buckets[trail.s3Bucket];
    const bucket = `S3 bucket ${trail.s3Bucket}`;
    if (!read || !read.ok) {
      const reason = read && !read.ok ? read.reason : 'it was not read';
      // An organization trail's bucket usually lives in the management or log-archive account.
      const elsewhere = trail.ownerAccountId !== ctx.account.id ? ' (the bucket is likely in another account)' : '';
      return errorVerdict(`${name} delivers to ${bucket}, which Vigil cannot read from account ${ctx.account.id}${elsewhere}: ${reason}.`, trailFacts(trail));
    }
    const e = read.value;
    const facts = { ...trailFacts(trail), publicAccessBlock: e.publicAccessBlock, policyIsPublic: e.policyIsPublic, publicAclGrants: e.publicAclGrants };
    const pab = e.publicAccessBlock;
    const problems: string[] = [];
    if (e.policyIsPublic && !pab?.restrictPublicBuckets) problems.push('its bucket policy is public');
    if (e.publicAclGrants.length > 0 && !pab?.ignorePublicAcls) problems.push(`its ACL grants ${joinAnd(e.publicAclGrants)}`);
    if (problems.length > 0) return fail(`${name} delivers to ${bucket}, which is public: ${joinAnd(problems)}.`, facts);
    if (ctx.params.requirePublicAccessBlock) {
      if (!pab) return fail(`${name} delivers to ${bucket}, which has no public access block, so one policy or ACL change would make the logs public.`, facts);
      const off = Object.entries(pab).filter(([, on]) => !on).map(([setting]) => setting.charAt(0).toUpperCase() + setting.slice(1));
      if (off.length > 0) return fail(`${name} delivers to ${bucket}, which has public access block settings off: ${joinAnd(off)}.`, facts);
    }
    return pass(`${name} delivers to ${bucket}, which is not public.`, facts);
  },
});
