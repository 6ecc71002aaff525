/**
 * S3's state: buckets (one global namespace across accounts, each living in one region) and their
 * objects as version stacks, newest first. Keys are kept in one sorted array per bucket so listings
 * start with a binary search and cost O(1) per item returned, also for estates of tens of thousands.
 */
import { createHash } from 'node:crypto';
import type { World } from '../world.js';
import { computeChecksum, md5Hex, type ChecksumAlgorithm } from './s3-checksums.js';

/** An object's bytes, shared by a version and its replicas. Digests are computed once, on first use. */
export interface Content {
  size: number;
  /** The uploaded bytes; undefined for generated content, which is rebuilt from `seed` on read. */
  bytes?: Buffer;
  seed?: string;
  md5?: string;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

export interface ServerSideEncryption {
  algorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse';
  kmsKeyId?: string;
  bucketKeyEnabled?: boolean;
}

export interface ObjectVersion {
  /** `null` for the version written while versioning was off or suspended. */
  versionId: string;
  deleteMarker: boolean;
  lastModified: Date;
  /** Undefined for delete markers. */
  content?: Content;
  checksumAlgorithm?: ChecksumAlgorithm;
  contentType: string;
  metadata: Record<string, string>;
  storageClass: string;
  sse?: ServerSideEncryption;
  replicationStatus?: 'COMPLETED' | 'PENDING' | 'FAILED' | 'REPLICA';
  tags: Record<string, string>;
}

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

/** A bucket's configurations are kept in the XML shape S3 returns them in (element names, flattened lists). */
export interface Bucket {
  name: string;
  accountId: string;
  region: string;
  createdAt: Date;
  /** Undefined for a bucket whose versioning was never enabled. */
  versioning?: 'Enabled' | 'Suspended';
  mfaDelete?: 'Enabled' | 'Disabled';
  lifecycle?: Array<Record<string, unknown>>;
  replication?: { Role: string; Rule: Array<Record<string, unknown>> };
  encryption?: ServerSideEncryption;
  publicAccessBlock?: PublicAccessBlock;
  /** The policy document as submitted. */
  policy?: string;
  tags?: Array<{ Key: string; Value: string }>;
  /** Version stacks by key, newest first. */
  objects: Map<string, ObjectVersion[]>;
  /** Every key with at least one version or delete marker, in S3's (UTF-8 binary) order. */
  keys: string[];
}

export interface S3State {
  buckets: Map<string, Bucket>;
}

export function s3State(world: World): S3State {
  return world.slice('s3', () => ({ buckets: new Map<string, Bucket>() }));
}

/** The canonical user id S3 shows as a bucket's or object's owner. */
export function canonicalUserId(accountId: string): string {
  return createHash('sha256').update(`s3-canonical-user:${accountId}`).digest('hex');
}

/** S3 version ids are opaque 32-character URL-safe strings; these are deterministic per scenario run. */
export function newVersionId(world: World): string {
  return createHash('sha256').update(world.id('s3-version')).digest('base64url').slice(0, 32);
}

/** S3 keeps timestamps to the second: HEAD's Last-Modified and a listing's LastModified must agree. */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** UTF-16 code units ordered as UTF-8 bytes would be, so that keys sort as S3 sorts them. */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return utf8Rank(x) - utf8Rank(y);
  }
  return a.length - b.length;
}

function utf8Rank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** Index of the first key that is not before `key` (strictly after it with `after`). */
export function lowerBound(keys: string[], key: string, after = false): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKeys(keys[mid] as string, key);
    if (c < 0 || (after && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first key at or after `from` that does not start with `prefix`. */
export function skipPrefix(keys: string[], from: number, prefix: string): number {
  let lo = from;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string).startsWith(prefix)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function versionsOf(bucket: Bucket, key: string): ObjectVersion[] {
  return bucket.objects.get(key) ?? [];
}

/** Writes a new version the way the bucket's versioning state says: stacked, or replacing the null version. */
export function addVersion(world: World, bucket: Bucket, key: string, version: Omit<ObjectVersion, 'versionId'>): ObjectVersion {
  const stored: ObjectVersion = { ...version, versionId: bucket.versioning === 'Enabled' ? newVersionId(world) : 'null' };
  const existing = bucket.objects.get(key);
  if (!existing) {
    bucket.objects.set(key, [stored]);
    bucket.keys.splice(lowerBound(bucket.keys, key), 0, key);
    return stored;
  }
  // Suspended (or never enabled) versioning overwrites the null version and keeps the others.
  const kept = bucket.versioning === 'Enabled' ? existing : existing.filter((v) => v.versionId !== 'null');
  bucket.objects.set(key, [stored, ...kept]);
  return stored;
}

/** Places a version with a given id (a replica) where its LastModified puts it in the stack. */
export function insertVersion(bucket: Bucket, key: string, version: ObjectVersion): void {
  const existing = bucket.objects.get(key);
  if (!existing) {
    bucket.objects.set(key, [version]);
    bucket.keys.splice(lowerBound(bucket.keys, key), 0, key);
    return;
  }
  const kept = existing.filter((v) => v.versionId !== version.versionId);
  const at = kept.findIndex((v) => v.lastModified.getTime() <= version.lastModified.getTime());
  kept.splice(at < 0 ? kept.length : at, 0, version);
  bucket.objects.set(key, kept);
}

/** Permanently removes one version; the key goes when its last version does. */
export function removeVersion(bucket: Bucket, key: string, versionId: string): ObjectVersion | undefined {
  const existing = bucket.objects.get(key);
  const index = existing?.findIndex((v) => v.versionId === versionId) ?? -1;
  if (!existing || index < 0) return undefined;
  const [removed] = existing.splice(index, 1);
  if (existing.length === 0) removeKey(bucket, key);
  return removed;
}

export function removeKey(bucket: Bucket, key: string): void {
  bucket.objects.delete(key);
  const at = lowerBound(bucket.keys, key);
  if (bucket.keys[at] === key) bucket.keys.splice(at, 1);
}

/** Generated content: the seed's SHA-256 repeated to the size, so every version's bytes differ. */
export function generatedContent(seed: string, size: number): Content {
  return { size, seed, checksums: {} };
}

export function uploadedContent(bytes: Buffer): Content {
  return { size: bytes.length, bytes, checksums: {} };
}

export function contentBytes(content: Content): Buffer {
  if (content.bytes) return content.bytes;
  if (content.size === 0) return Buffer.alloc(0);
  return Buffer.alloc(content.size, createHash('sha256').update(content.seed ?? '').digest());
}

/** The quoted MD5 ETag of a single-part object. */
export function etagOf(content: Content): string {
  content.md5 ??= md5Hex(contentBytes(content));
  return `"${content.md5}"`;
}

export function checksumOf(content: Content, algorithm: ChecksumAlgorithm): string {
  const cached = content.checksums[algorithm];
  if (cached !== undefined) return cached;
  const value = computeChecksum(algorithm, contentBytes(content));
  content.checksums[algorithm] = value;
  return value;
}
