/** Judging a restored S3 object against what S3 recorded when its version was written. Pure. */
import { CHECKSUM_ALGORITHMS, type RecordedAlgorithm } from './checksums.js';
import type { S3VersionHead } from './ports.js';
import type { ChosenVersion } from './s3-plan.js';

export interface RecordedChecksum {
  algorithm: RecordedAlgorithm;
  value: string;
  size: number;
}

/** The one verification entry per object, kept in the drill record. */
export interface ObjectOutcome {
  /** The source key. */
  name: string;
  kind: 'checksum';
  passed: boolean;
  observed: { algorithm: RecordedAlgorithm; checksum: string; size: number } | null;
  expected: { algorithm?: RecordedAlgorithm; checksum?: string; size?: number };
  /** One sentence naming the object and what held or did not. */
  message: string;
  durationMs: number;
  versionId: string;
  /** When the version was written: the age of its data is the drill's RPO. */
  writtenAt: string;
  state: ChosenVersion['state'];
  copy?: { bucket: string; key: string; versionId: string };
}

/** ETags of single-part uploads without SSE-KMS or SSE-C are the MD5 of the bytes; others are not. */
const MD5_ETAG = /^"[0-9a-f]{32}"$/;
const KMS = new Set(['aws:kms', 'aws:kms:dsse']);

/**
 * The checksum to hold a restored copy to: the full-object checksum S3 stored with the version, or
 * failing that an ETag that is an MD5. A reason instead when neither exists or can be recomputed.
 */
export function recordedChecksum(head: S3VersionHead): { ok: true; recorded: RecordedChecksum } | { ok: false; reason: string } {
  const algorithm = CHECKSUM_ALGORITHMS.find((a) => head.checksums[a] !== undefined);
  if (algorithm && head.checksumType === 'COMPOSITE') {
    return { ok: false, reason: `S3 recorded a composite ${algorithm} (a checksum of its parts' checksums), which cannot be recomputed from the whole object` };
  }
  if (algorithm) return { ok: true, recorded: { algorithm, value: head.checksums[algorithm] as string, size: head.size } };
  const others = Object.keys(head.checksums);
  if (others.length > 0) return { ok: false, reason: `S3 recorded only ${others.join(', ')}, which Vigil cannot compute` };
  if (head.etag && MD5_ETAG.test(head.etag) && !KMS.has(head.serverSideEncryption ?? '')) return { ok: true, recorded: { algorithm: 'ETAG-MD5', value: head.etag, size: head.size } };
  return { ok: false, reason: 'S3 recorded no checksum for this version (it predates default checksums) and its ETag is not the MD5 of its bytes' };
}

export function describeVersion(object: ChosenVersion): string {
  return `${object.key} (version ${object.versionId}, written ${object.lastModified.toISOString()})`;
}

/** Compares what was read back with what was recorded: the checksum, then the size. */
export function judgeCopy(object: ChosenVersion, recorded: RecordedChecksum, observed: { checksum: string; size: number }): Pick<ObjectOutcome, 'passed' | 'message'> {
  const what = describeVersion(object);
  const problems: string[] = [];
  if (observed.checksum !== recorded.value) problems.push(`the restored copy's ${recorded.algorithm} is ${observed.checksum}, but S3 recorded ${recorded.value} when the version was written`);
  if (observed.size !== recorded.size) problems.push(`the restored copy has ${observed.size} bytes, S3 recorded ${recorded.size}`);
  if (problems.length > 0) return { passed: false, message: `${what}: ${problems.join('; ')}.` };
  return { passed: true, message: `${what}: ${recorded.algorithm} ${recorded.value} and ${recorded.size} bytes match what S3 recorded.` };
}
