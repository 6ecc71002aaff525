/**
 * The pure half of an S3 drill: which objects, which of their noncurrent versions, where the copies go
 * and how they are tagged, whether replication would carry the copies off where Vigil cannot clean
 * them up, and the exact API calls a run will make (what `--dry-run` prints).
 */
import { createHash } from 'node:crypto';
import { DAY_MS, HOUR_MS } from '../core/clock.js';
import type { S3DrillDefinition } from './definitions.js';
import { drillTags, type PlannedCall, type RecoveryPoint } from './plan.js';
import type { S3ReplicationRuleSummary, S3VersionEntry, S3VersionRef } from './ports.js';

export type S3Choice = { kind: 'latest' } | { kind: 'noncurrent' } | { kind: 'random'; spanMs: number };

/** `latest`, `noncurrent` or `random:<n>d|h`; undefined for anything else (an RDS snapshot id, say). */
export function parseS3RecoveryPoint(text: string): S3Choice | undefined {
  if (text === 'latest' || text === 'noncurrent') return { kind: text };
  const random = /^random:(\d+)([dh])$/.exec(text);
  return random ? { kind: 'random', spanMs: Number(random[1]) * (random[2] === 'd' ? DAY_MS : HOUR_MS) } : undefined;
}

/** Objects in these classes must be restored from the archive before S3 will copy them. */
const ARCHIVED = new Set(['GLACIER', 'DEEP_ARCHIVE']);
/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

export interface ChosenVersion {
  key: string;
  versionId: string;
  lastModified: Date;
  size: number;
  /** `deleted`: the key's current version is a delete marker; the drill undoes a deletion. */
  state: 'overwritten' | 'deleted';
}

export type SkipReason = 'archived' | 'multipart' | 'outside-window' | 'key-too-long';

export interface Sample {
  chosen: ChosenVersion[];
  listedKeys: number;
  /** Keys with at least one noncurrent version the recovery point allows. */
  eligibleKeys: number;
  /** Noncurrent versions left out, by reason. */
  skipped: Partial<Record<SkipReason, number>>;
}

export interface SampleOptions {
  size: number;
  choice: S3Choice;
  now: Date;
  /** The longest source key whose copy still fits under the scratch prefix. */
  maxKeyBytes: number;
}

interface Candidate {
  key: string;
  state: ChosenVersion['state'];
  versions: S3VersionEntry[];
}

function skipReason(v: S3VersionEntry, options: SampleOptions): SkipReason | undefined {
  if (v.storageClass && ARCHIVED.has(v.storageClass)) return 'archived';
  // A multipart upload's checksum is one of its parts' checksums unless it was uploaded as FULL_OBJECT:
  // nothing a reader of the whole body can recompute.
  if (v.etag?.includes('-') && v.checksumType !== 'FULL_OBJECT') return 'multipart';
  if (options.choice.kind === 'random' && options.now.getTime() - v.lastModified.getTime() > options.choice.spanMs) return 'outside-window';
  if (Buffer.byteLength(v.key) > options.maxKeyBytes) return 'key-too-long';
  return undefined;
}

/**
 * Picks `size` objects uniformly among those with a usable noncurrent version (reservoir sampling, so
 * a bucket of millions of versions is read once and never held in memory), then one version of each
 * as the recovery point says. `entries` come as ListObjectVersions returns them: keys in order, each
 * key's history newest first.
 */
export async function sampleVersions(entries: AsyncIterable<S3VersionEntry> | Iterable<S3VersionEntry>, options: SampleOptions, random: () => number): Promise<Sample> {
  const reservoir: Candidate[] = [];
  const skipped: Sample['skipped'] = {};
  let listedKeys = 0;
  let eligibleKeys = 0;
  let group: S3VersionEntry[] = [];

  const consider = (history: S3VersionEntry[]) => {
    if (history.length === 0) return;
    listedKeys++;
    const usable = history.filter((v) => {
      if (v.isLatest || v.deleteMarker) return false;
      const reason = skipReason(v, options);
      if (reason) skipped[reason] = (skipped[reason] ?? 0) + 1;
      return reason === undefined;
    });
    if (usable.length === 0) return;
    eligibleKeys++;
    const current = history.find((v) => v.isLatest);
    const candidate: Candidate = { key: history[0]?.key as string, state: current?.deleteMarker ? 'deleted' : 'overwritten', versions: usable };
    if (reservoir.length < options.size) {
      reservoir.push(candidate);
      return;
    }
    const slot = Math.floor(random() * eligibleKeys);
    if (slot < options.size) reservoir[slot] = candidate;
  };

  for await (const entry of entries) {
    if (group.length > 0 && group[0]?.key !== entry.key) {
      consider(group);
      group = [];
    }
    group.push(entry);
  }
  consider(group);

  const chosen = reservoir
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((c): ChosenVersion => {
      const newestFirst = [...c.versions].sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime());
      const pick = options.choice.kind === 'latest' ? newestFirst[0] : newestFirst[Math.floor(random() * newestFirst.length)];
      const v = pick as S3VersionEntry;
      return { key: v.key, versionId: v.versionId, lastModified: v.lastModified, size: v.size, state: c.state };
    });
  return { chosen, listedKeys, eligibleKeys, skipped };
}

/** A deterministic generator (mulberry32) seeded from text: a drill's sample follows from its id. */
export function seededRandom(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32BE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function scratchBucketOf(def: S3DrillDefinition): string {
  return def.restore.scratchBucket ?? def.source.bucket;
}

/** Everything one run writes lives under `<scratchPrefix><drillId>/`. */
export function runPrefix(def: S3DrillDefinition, drillId: string): string {
  return `${def.restore.scratchPrefix}${drillId}/`;
}

export function scratchKey(def: S3DrillDefinition, drillId: string, key: string): string {
  return `${runPrefix(def, drillId)}${key}`;
}

/** Room left for a source key once the run prefix is in front of it (a drill id is a 36-character UUID). */
export function maxSourceKeyBytes(def: S3DrillDefinition): number {
  return MAX_KEY_BYTES - Buffer.byteLength(def.restore.scratchPrefix) - 37;
}

/** `x-amz-copy-source`: bucket and key, each key segment URL-encoded, and the version. */
export function copySourceOf(ref: S3VersionRef): string {
  return `${ref.bucket}/${ref.key.split('/').map(encodeURIComponent).join('/')}?versionId=${encodeURIComponent(ref.versionId)}`;
}

/** The `x-amz-tagging` value of a copy. */
export function taggingOf(tags: Record<string, string>): string {
  return new URLSearchParams(tags).toString();
}

export function s3Uri(ref: { bucket: string; key: string; versionId?: string }): string {
  return `s3://${ref.bucket}/${ref.key}${ref.versionId !== undefined ? ` (version ${ref.versionId})` : ''}`;
}

/**
 * The enabled replication rule that would copy a drill's objects to another bucket, if any. Deleting
 * a version by id is never replicated, so those replicas would outlive the drill, out of Vigil's reach.
 */
export function replicationCovering(rules: S3ReplicationRuleSummary[], prefix: string, tags: Record<string, string>): S3ReplicationRuleSummary | undefined {
  return rules.find((r) => r.enabled && (prefix.startsWith(r.prefix) || r.prefix.startsWith(prefix)) && Object.entries(r.tags).every(([k, v]) => tags[k] === v));
}

/** What the drill record keeps as its recovery point: the sample, dated by its oldest version, which RPO is about. */
export function s3RecoveryPoint(def: S3DrillDefinition, chosen: ChosenVersion[]): RecoveryPoint {
  const oldest = chosen.reduce((min, c) => (c.lastModified < min ? c.lastModified : min), chosen[0]?.lastModified ?? new Date(0));
  return {
    id: `${chosen.length} noncurrent version${chosen.length === 1 ? '' : 's'} in s3://${def.source.bucket}/${def.source.prefix}`,
    arn: `arn:aws:s3:::${def.source.bucket}/${def.source.prefix}*`,
    createdAt: oldest,
    region: def.source.region,
    type: 's3-object-versions',
  };
}

/** The calls a run makes after planning, in order, for `--dry-run`. */
export function s3PlannedCalls(def: S3DrillDefinition, chosen: ChosenVersion[], drillId: string): PlannedCall[] {
  const region = def.source.region;
  const bucket = scratchBucketOf(def);
  const tagging = taggingOf(drillTags(def, drillId));
  const copyOf = (c: ChosenVersion) => ({ Bucket: bucket, Key: scratchKey(def, drillId, c.key) });
  return [
    ...chosen.map((c) => ({
      operation: 's3:HeadObject',
      region,
      params: { Bucket: def.source.bucket, Key: c.key, VersionId: c.versionId, ChecksumMode: 'ENABLED' },
      note: 'the checksum S3 recorded when the version was written',
    })),
    ...chosen.map((c) => ({
      operation: 's3:CopyObject',
      region,
      params: { ...copyOf(c), CopySource: copySourceOf({ bucket: def.source.bucket, key: c.key, versionId: c.versionId }), TaggingDirective: 'REPLACE', Tagging: tagging, IfNoneMatch: '*' },
    })),
    ...chosen.map((c) => ({ operation: 's3:GetObject', region, params: { ...copyOf(c), VersionId: '<from CopyObject>' }, note: 'checksum recomputed over the bytes read back' })),
    ...chosen.flatMap((c) => [
      { operation: 's3:GetObjectTagging', region, params: { ...copyOf(c), VersionId: '<from CopyObject>' }, note: 're-read the tags before deleting' },
      { operation: 's3:DeleteObject', region, params: { ...copyOf(c), VersionId: '<from CopyObject>' }, note: 'only that version, only if the tags are this run\'s' },
    ]),
    { operation: 's3:ListObjectVersions', region, params: { Bucket: bucket, Prefix: runPrefix(def, drillId) }, note: 'nothing of this run may be left' },
  ];
}
