/**
 * Lifecycle configurations: PutBucketLifecycleConfiguration's validation, and the one action the
 * sandbox carries out, NoncurrentVersionExpiration. S3 runs lifecycle asynchronously and rounds each
 * expiry up to the next midnight UTC; the sandbox applies it lazily whenever a key is read or listed,
 * so a noncurrent version is gone from the first request after its expiry.
 */
import { randomUUID } from 'node:crypto';
import { DAY_MS } from '../../core/clock.js';
import type { Bucket, ObjectVersion } from './s3-store.js';
import { asArray, asObject, malformedXml, optionalBool, optionalInt, optionalText, parseTags, S3Error } from './s3-xml.js';

export type LifecycleRule = Record<string, unknown>;

const STORAGE_CLASSES = new Set(['STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'GLACIER_IR', 'DEEP_ARCHIVE']);

function invalidRequest(message: string): S3Error {
  return new S3Error('InvalidRequest', message, 400);
}

function positiveDays(value: unknown, field: string, action: string): number | undefined {
  const days = optionalInt(value, field);
  if (days !== undefined && days <= 0) throw new S3Error('InvalidArgument', `'${field}' for ${action} action must be a positive integer`, 400);
  return days;
}

/** Keeps only defined members, in the order S3 returns them. */
function compact(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function parseFilter(value: unknown): Record<string, unknown> {
  const filter = asObject(value);
  const members = ['Prefix', 'Tag', 'And', 'ObjectSizeGreaterThan', 'ObjectSizeLessThan'].filter((m) => filter[m] !== undefined);
  // A Filter holds one condition; several are combined with And.
  if (members.length > 1) throw malformedXml();
  const and = filter['And'] === undefined ? undefined : asObject(filter['And']);
  return compact({
    Prefix: optionalText(filter['Prefix']),
    Tag: filter['Tag'] === undefined ? undefined : parseTags(filter['Tag'])[0],
    ObjectSizeGreaterThan: optionalInt(filter['ObjectSizeGreaterThan'], 'ObjectSizeGreaterThan'),
    ObjectSizeLessThan: optionalInt(filter['ObjectSizeLessThan'], 'ObjectSizeLessThan'),
    And: and
      ? compact({
          Prefix: optionalText(and['Prefix']),
          Tag: and['Tag'] === undefined ? undefined : parseTags(and['Tag']),
          ObjectSizeGreaterThan: optionalInt(and['ObjectSizeGreaterThan'], 'ObjectSizeGreaterThan'),
          ObjectSizeLessThan: optionalInt(and['ObjectSizeLessThan'], 'ObjectSizeLessThan'),
        })
      : undefined,
  });
}

function parseRule(value: unknown): LifecycleRule {
  const rule = asObject(value);
  const status = optionalText(rule['Status']);
  if (status !== 'Enabled' && status !== 'Disabled') throw malformedXml();
  const id = optionalText(rule['ID']);
  if (id !== undefined && id.length > 255) throw new S3Error('InvalidArgument', 'ID length should not exceed allowed limit of 255', 400);
  if (rule['Prefix'] !== undefined && rule['Filter'] !== undefined) throw malformedXml();

  const expirationXml = rule['Expiration'] === undefined ? undefined : asObject(rule['Expiration']);
  const expiration = expirationXml
    ? compact({
        Days: positiveDays(expirationXml['Days'], 'Days', 'Expiration'),
        Date: optionalText(expirationXml['Date']),
        ExpiredObjectDeleteMarker: optionalBool(expirationXml['ExpiredObjectDeleteMarker']),
      })
    : undefined;
  if (expiration && Object.keys(expiration).length !== 1) throw malformedXml();

  const noncurrentXml = rule['NoncurrentVersionExpiration'] === undefined ? undefined : asObject(rule['NoncurrentVersionExpiration']);
  const noncurrent = noncurrentXml
    ? compact({
        NoncurrentDays: positiveDays(noncurrentXml['NoncurrentDays'], 'NoncurrentDays', 'NoncurrentVersionExpiration'),
        NewerNoncurrentVersions: optionalInt(noncurrentXml['NewerNoncurrentVersions'], 'NewerNoncurrentVersions'),
      })
    : undefined;
  if (noncurrent && noncurrent['NoncurrentDays'] === undefined) throw malformedXml();
  const newer = noncurrent?.['NewerNoncurrentVersions'] as number | undefined;
  if (newer !== undefined && (newer < 1 || newer > 100)) throw new S3Error('InvalidArgument', 'NewerNoncurrentVersions must be between 1 and 100', 400);

  const transitions = asArray(rule['Transition']).map((t) => {
    const transition = asObject(t);
    return compact({
      Date: optionalText(transition['Date']),
      Days: optionalInt(transition['Days'], 'Days'),
      StorageClass: storageClass(transition['StorageClass']),
    });
  });
  const noncurrentTransitions = asArray(rule['NoncurrentVersionTransition']).map((t) => {
    const transition = asObject(t);
    return compact({
      NoncurrentDays: positiveDays(transition['NoncurrentDays'], 'NoncurrentDays', 'NoncurrentVersionTransition'),
      StorageClass: storageClass(transition['StorageClass']),
      NewerNoncurrentVersions: optionalInt(transition['NewerNoncurrentVersions'], 'NewerNoncurrentVersions'),
    });
  });
  const abortXml = rule['AbortIncompleteMultipartUpload'] === undefined ? undefined : asObject(rule['AbortIncompleteMultipartUpload']);
  const abort = abortXml ? { DaysAfterInitiation: positiveDays(abortXml['DaysAfterInitiation'], 'DaysAfterInitiation', 'AbortIncompleteMultipartUpload') } : undefined;

  if (!expiration && !noncurrent && transitions.length === 0 && noncurrentTransitions.length === 0 && !abort) {
    throw invalidRequest('At least one action needs to be specified in a rule');
  }
  return compact({
    ID: id ?? randomUUID().replace(/-/g, '').slice(0, 24),
    Prefix: optionalText(rule['Prefix']),
    Filter: rule['Filter'] === undefined ? undefined : parseFilter(rule['Filter']),
    Status: status,
    Transition: transitions.length > 0 ? transitions : undefined,
    NoncurrentVersionTransition: noncurrentTransitions.length > 0 ? noncurrentTransitions : undefined,
    Expiration: expiration,
    NoncurrentVersionExpiration: noncurrent,
    AbortIncompleteMultipartUpload: abort,
  });
}

function storageClass(value: unknown): string {
  const text = optionalText(value);
  if (text === undefined || !STORAGE_CLASSES.has(text)) throw malformedXml();
  return text;
}

/** The `<LifecycleConfiguration>` body of a PUT, validated, in the shape GET returns. */
export function parseLifecycle(configuration: Record<string, unknown>): LifecycleRule[] {
  const rules = asArray(configuration['Rule']).map(parseRule);
  if (rules.length === 0 || rules.length > 1000) throw malformedXml();
  const ids = new Set<string>();
  for (const rule of rules) {
    const id = rule['ID'] as string;
    if (ids.has(id)) throw new S3Error('InvalidArgument', 'Rule ID must be unique. Found same ID for more than one rule', 400);
    ids.add(id);
  }
  return rules;
}

interface RuleFilter {
  Prefix?: string;
  Tag?: { Key: string; Value: string } | Array<{ Key: string; Value: string }>;
  ObjectSizeGreaterThan?: number;
  ObjectSizeLessThan?: number;
  And?: RuleFilter;
}

function filterMatches(filter: RuleFilter, key: string, version: ObjectVersion): boolean {
  if (filter.And) return filterMatches(filter.And, key, version);
  const size = version.content?.size ?? 0;
  const tags = filter.Tag === undefined ? [] : Array.isArray(filter.Tag) ? filter.Tag : [filter.Tag];
  return (
    key.startsWith(filter.Prefix ?? '') &&
    tags.every((t) => version.tags[t.Key] === t.Value) &&
    (filter.ObjectSizeGreaterThan === undefined || size > filter.ObjectSizeGreaterThan) &&
    (filter.ObjectSizeLessThan === undefined || size < filter.ObjectSizeLessThan)
  );
}

export function ruleApplies(rule: LifecycleRule, key: string, version: ObjectVersion): boolean {
  if (rule['Status'] !== 'Enabled') return false;
  if (typeof rule['Prefix'] === 'string') return key.startsWith(rule['Prefix']);
  return filterMatches((rule['Filter'] ?? {}) as RuleFilter, key, version);
}

/** S3 rounds every lifecycle due time up to the next midnight UTC. */
export function nextMidnightUtc(ms: number): number {
  return Math.ceil(ms / DAY_MS) * DAY_MS;
}

/**
 * Drops the noncurrent versions (and noncurrent delete markers) of `key` that an enabled rule has
 * expired by `nowMs`: noncurrent for NoncurrentDays since their successor was written, and not among
 * the NewerNoncurrentVersions newest noncurrent ones. The current version is never touched.
 */
export function expireNoncurrent(bucket: Bucket, key: string, nowMs: number): void {
  const rules = bucket.lifecycle?.filter((r) => r['Status'] === 'Enabled' && r['NoncurrentVersionExpiration'] !== undefined);
  const versions = bucket.objects.get(key);
  if (!rules || rules.length === 0 || !versions || versions.length < 2) return;
  const kept = [versions[0] as ObjectVersion];
  for (let i = 1; i < versions.length; i++) {
    const version = versions[i] as ObjectVersion;
    const noncurrentSince = (versions[i - 1] as ObjectVersion).lastModified.getTime();
    const expired = rules.some((rule) => {
      const action = rule['NoncurrentVersionExpiration'] as { NoncurrentDays: number; NewerNoncurrentVersions?: number };
      if (!ruleApplies(rule, key, version)) return false;
      if (action.NewerNoncurrentVersions !== undefined && i <= action.NewerNoncurrentVersions) return false;
      return nextMidnightUtc(noncurrentSince + action.NoncurrentDays * DAY_MS) <= nowMs;
    });
    if (!expired) kept.push(version);
  }
  if (kept.length !== versions.length) bucket.objects.set(key, kept);
}
