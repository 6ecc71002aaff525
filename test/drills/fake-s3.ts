/**
 * An S3 for orchestrator tests: versioned buckets in memory, SHA-256 recorded at write time (computed
 * with node:crypto, independently of the code under test), copies that take time on a manual clock,
 * and hooks to corrupt a copy or lose a copy's answer.
 */
import { createHash } from 'node:crypto';
import type { AccountConfig } from '../../src/config/schema.js';
import type { ManualClock } from '../../src/core/clock.js';
import type { S3CopyRequest, S3DrillPlatform, S3ReplicationRuleSummary, S3VersionEntry, S3VersionHead, S3VersionRef } from '../../src/drills/ports.js';

export interface FakeVersion {
  versionId: string;
  lastModified: Date;
  body?: Buffer;
  tags: Record<string, string>;
  checksums: Record<string, string>;
  etag?: string;
  storageClass?: string;
}

export class FakeS3 implements S3DrillPlatform {
  /** bucket -> key -> versions, newest first. */
  readonly buckets = new Map<string, Map<string, FakeVersion[]>>();
  readonly calls: string[] = [];
  replication: Record<string, S3ReplicationRuleSummary[]> = {};
  /** Returns the bytes a copy gets instead of its source's, to plant a bad restore. */
  corrupt: (key: string) => Buffer | undefined = () => undefined;
  /** Makes CopyObject write the copy and then fail, as when its answer is lost. */
  loseAnswerFor: (key: string) => boolean = () => false;
  private seq = 0;

  constructor(
    private readonly clock: ManualClock,
    private readonly copyMs = 1_000,
  ) {}

  /** Writes a version, as PutObject would with x-amz-checksum-sha256. */
  put(bucket: string, key: string, body: string | Buffer, at: Date, extra: Partial<FakeVersion> = {}): FakeVersion {
    const bytes = Buffer.from(body);
    const version: FakeVersion = {
      versionId: `v${++this.seq}`,
      lastModified: at,
      body: bytes,
      tags: {},
      checksums: { SHA256: createHash('sha256').update(bytes).digest('base64') },
      etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
      ...extra,
    };
    this.history(bucket, key).unshift(version);
    return version;
  }

  deleteMarker(bucket: string, key: string, at: Date): void {
    this.history(bucket, key).unshift({ versionId: `v${++this.seq}`, lastModified: at, tags: {}, checksums: {} });
  }

  history(bucket: string, key: string): FakeVersion[] {
    let keys = this.buckets.get(bucket);
    if (!keys) this.buckets.set(bucket, (keys = new Map()));
    let versions = keys.get(key);
    if (!versions) keys.set(key, (versions = []));
    return versions;
  }

  /** Every `key@version` in a bucket under a prefix, for before/after comparisons. */
  listing(bucket: string, prefix = ''): string[] {
    return [...(this.buckets.get(bucket) ?? new Map<string, FakeVersion[]>()).entries()]
      .filter(([key]) => key.startsWith(prefix))
      .flatMap(([key, versions]) => versions.map((v) => `${key}@${v.versionId}`))
      .sort();
  }

  private find(ref: S3VersionRef): FakeVersion | undefined {
    return this.buckets.get(ref.bucket)?.get(ref.key)?.find((v) => v.versionId === ref.versionId);
  }

  async *versions(_a: AccountConfig, _r: string, bucket: string, prefix: string): AsyncIterable<S3VersionEntry> {
    this.calls.push(`list ${bucket}/${prefix}`);
    const keys = [...(this.buckets.get(bucket)?.entries() ?? [])].filter(([key, versions]) => key.startsWith(prefix) && versions.length > 0).sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [key, versions] of keys) {
      for (const [i, v] of versions.entries()) {
        yield { key, versionId: v.versionId, isLatest: i === 0, deleteMarker: v.body === undefined, lastModified: v.lastModified, size: v.body?.length ?? 0, etag: v.etag, storageClass: v.storageClass };
      }
    }
  }

  async head(_a: AccountConfig, _r: string, ref: S3VersionRef): Promise<S3VersionHead | undefined> {
    this.calls.push(`head ${ref.key}@${ref.versionId}`);
    const v = this.find(ref);
    return v?.body ? { size: v.body.length, etag: v.etag, lastModified: v.lastModified, checksums: v.checksums, checksumType: 'FULL_OBJECT' } : undefined;
  }

  async copy(_a: AccountConfig, _r: string, request: S3CopyRequest): Promise<{ versionId: string }> {
    this.calls.push(`copy ${request.source.key}@${request.source.versionId} -> ${request.target.bucket}/${request.target.key}`);
    this.clock.advance(this.copyMs);
    const source = this.find(request.source);
    if (!source?.body) throw new Error(`no such version ${request.source.versionId}`);
    const body = this.corrupt(request.source.key) ?? source.body;
    const copy = this.put(request.target.bucket, request.target.key, body, this.clock.now(), { tags: { ...request.tags }, checksums: { ...source.checksums }, etag: source.etag });
    if (this.loseAnswerFor(request.source.key)) throw new Error('socket hang up');
    return { versionId: copy.versionId };
  }

  async read(_a: AccountConfig, _r: string, ref: S3VersionRef): Promise<AsyncIterable<Uint8Array>> {
    this.calls.push(`read ${ref.key}@${ref.versionId}`);
    const body = this.find(ref)?.body ?? Buffer.alloc(0);
    // In two chunks, as a stream would deliver them.
    return (async function* () {
      yield body.subarray(0, 3);
      yield body.subarray(3);
    })();
  }

  async tags(_a: AccountConfig, _r: string, ref: S3VersionRef): Promise<Record<string, string> | undefined> {
    this.calls.push(`tags ${ref.key}@${ref.versionId}`);
    const v = this.find(ref);
    return v ? { ...v.tags } : undefined;
  }

  async deleteVersion(_a: AccountConfig, _r: string, ref: S3VersionRef): Promise<void> {
    this.calls.push(`delete ${ref.key}@${ref.versionId}`);
    const versions = this.buckets.get(ref.bucket)?.get(ref.key);
    if (!versions) return;
    const at = versions.findIndex((v) => v.versionId === ref.versionId);
    if (at >= 0) versions.splice(at, 1);
    if (versions.length === 0) this.buckets.get(ref.bucket)?.delete(ref.key);
  }

  async replicationRules(_a: AccountConfig, _r: string, bucket: string): Promise<S3ReplicationRuleSummary[]> {
    return this.replication[bucket] ?? [];
  }
}
