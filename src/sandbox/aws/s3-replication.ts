/**
 * Replication configurations: PutBucketReplication's checks, and replication itself. The sandbox
 * replicates synchronously: a version written to a bucket with an enabled rule appears in the
 * destination at once, with the same version id, and the source version reads COMPLETED (or FAILED
 * when the destination is gone or not versioned).
 */
import type { World } from '../world.js';
import { insertVersion, s3State, type Bucket, type ObjectVersion } from './s3-store.js';
import { asArray, asObject, malformedXml, optionalInt, optionalText, parseTags, S3Error } from './s3-xml.js';

export type ReplicationRule = Record<string, unknown>;

const BUCKET_ARN = /^arn:aws:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/;

function invalidRequest(message: string): S3Error {
  return new S3Error('InvalidRequest', message, 400);
}

function compact(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function status(value: unknown): string {
  const text = optionalText(value);
  if (text !== 'Enabled' && text !== 'Disabled') throw malformedXml();
  return text;
}

function statusElement(value: unknown): { Status: string } | undefined {
  return value === undefined ? undefined : { Status: status(asObject(value)['Status']) };
}

function parseFilter(value: unknown): Record<string, unknown> {
  const filter = asObject(value);
  const and = filter['And'] === undefined ? undefined : asObject(filter['And']);
  return compact({
    Prefix: optionalText(filter['Prefix']),
    Tag: filter['Tag'] === undefined ? undefined : parseTags(filter['Tag'])[0],
    And: and ? compact({ Prefix: optionalText(and['Prefix']), Tag: and['Tag'] === undefined ? undefined : parseTags(and['Tag']) }) : undefined,
  });
}

function parseRule(value: unknown): ReplicationRule {
  const rule = asObject(value);
  const destination = asObject(rule['Destination']);
  const bucketArn = optionalText(destination['Bucket']);
  if (bucketArn === undefined || !BUCKET_ARN.test(bucketArn)) throw new S3Error('InvalidArgument', 'Invalid bucket ARN', 400);
  const encryption = destination['EncryptionConfiguration'] === undefined ? undefined : asObject(destination['EncryptionConfiguration']);
  const usesFilter = rule['Filter'] !== undefined;
  // The V2 schema (Filter) needs DeleteMarkerReplication and Priority; the V1 schema (Prefix) has neither.
  if (usesFilter && rule['DeleteMarkerReplication'] === undefined) {
    throw invalidRequest('DeleteMarkerReplication must be specified for this version of Cross Region Replication configuration schema.');
  }
  if (usesFilter && rule['Prefix'] !== undefined) throw malformedXml();
  const selection = rule['SourceSelectionCriteria'] === undefined ? undefined : asObject(rule['SourceSelectionCriteria']);
  return compact({
    ID: optionalText(rule['ID']),
    Priority: optionalInt(rule['Priority'], 'Priority'),
    Prefix: optionalText(rule['Prefix']),
    Filter: usesFilter ? parseFilter(rule['Filter']) : undefined,
    Status: status(rule['Status']),
    SourceSelectionCriteria: selection
      ? compact({ SseKmsEncryptedObjects: statusElement(selection['SseKmsEncryptedObjects']), ReplicaModifications: statusElement(selection['ReplicaModifications']) })
      : undefined,
    ExistingObjectReplication: statusElement(rule['ExistingObjectReplication']),
    Destination: compact({
      Bucket: bucketArn,
      Account: optionalText(destination['Account']),
      StorageClass: optionalText(destination['StorageClass']),
      EncryptionConfiguration: encryption ? compact({ ReplicaKmsKeyID: optionalText(encryption['ReplicaKmsKeyID']) }) : undefined,
    }),
    DeleteMarkerReplication: statusElement(rule['DeleteMarkerReplication']),
  });
}

/** The `<ReplicationConfiguration>` body of a PUT, checked against the source and destination buckets. */
export function parseReplication(world: World, source: Bucket, configuration: Record<string, unknown>): { Role: string; Rule: ReplicationRule[] } {
  const role = optionalText(configuration['Role']);
  if (role === undefined || !/^arn:aws:iam::\d{12}:role\/.+/.test(role)) throw new S3Error('InvalidArgument', 'Invalid Role specified in replication configuration', 400);
  const rules = asArray(configuration['Rule']).map(parseRule);
  if (rules.length === 0 || rules.length > 1000) throw malformedXml();
  if (source.versioning !== 'Enabled') throw invalidRequest("Versioning must be 'Enabled' on the bucket to apply a replication configuration");
  for (const rule of rules) {
    const destination = destinationBucket(world, rule);
    if (!destination) throw invalidRequest('Destination bucket must exist.');
    if (destination.versioning !== 'Enabled') throw invalidRequest('Destination bucket must have versioning enabled.');
  }
  return { Role: role, Rule: rules };
}

function destinationBucket(world: World, rule: ReplicationRule): Bucket | undefined {
  const arn = (rule['Destination'] as { Bucket: string }).Bucket;
  const name = BUCKET_ARN.exec(arn)?.[1];
  return name === undefined ? undefined : s3State(world).buckets.get(name);
}

interface Filter {
  Prefix?: string;
  Tag?: { Key: string; Value: string } | Array<{ Key: string; Value: string }>;
  And?: Filter;
}

function ruleMatches(rule: ReplicationRule, key: string, version: ObjectVersion): boolean {
  if (rule['Status'] !== 'Enabled') return false;
  if (typeof rule['Prefix'] === 'string') return key.startsWith(rule['Prefix']);
  let filter = (rule['Filter'] ?? {}) as Filter;
  if (filter.And) filter = filter.And;
  const tags = filter.Tag === undefined ? [] : Array.isArray(filter.Tag) ? filter.Tag : [filter.Tag];
  return key.startsWith(filter.Prefix ?? '') && tags.every((t) => version.tags[t.Key] === t.Value);
}

/** The enabled rule with the highest priority that covers the version, if any. */
export function replicationRuleFor(bucket: Bucket, key: string, version: ObjectVersion): ReplicationRule | undefined {
  const rules = (bucket.replication?.Rule ?? []).filter((r) => ruleMatches(r, key, version));
  return rules.sort((a, b) => ((b['Priority'] as number | undefined) ?? 0) - ((a['Priority'] as number | undefined) ?? 0))[0];
}

/** Copies a freshly written version (or delete marker) to the destination its rule names. */
export function replicate(world: World, bucket: Bucket, key: string, version: ObjectVersion): void {
  if (version.replicationStatus === 'REPLICA') return;
  const rule = replicationRuleFor(bucket, key, version);
  if (!rule) return;
  // V1 rules (Prefix) always replicate delete markers; V2 rules only when DeleteMarkerReplication says so.
  const markersReplicate = rule['Filter'] === undefined || (rule['DeleteMarkerReplication'] as { Status?: string } | undefined)?.Status === 'Enabled';
  if (version.deleteMarker && !markersReplicate) return;
  const destination = destinationBucket(world, rule);
  if (!destination || destination.versioning !== 'Enabled') {
    if (!version.deleteMarker) version.replicationStatus = 'FAILED';
    return;
  }
  const target = rule['Destination'] as { StorageClass?: string; EncryptionConfiguration?: { ReplicaKmsKeyID?: string } };
  const replicaKey = target.EncryptionConfiguration?.ReplicaKmsKeyID;
  insertVersion(destination, key, {
    ...version,
    storageClass: version.deleteMarker ? version.storageClass : (target.StorageClass ?? version.storageClass),
    sse: replicaKey && version.sse?.algorithm === 'aws:kms' ? { ...version.sse, kmsKeyId: replicaKey } : version.sse,
    replicationStatus: version.deleteMarker ? undefined : 'REPLICA',
    metadata: { ...version.metadata },
    tags: { ...version.tags },
  });
  if (!version.deleteMarker) version.replicationStatus = 'COMPLETED';
}
