/** Every evaluator, by name: an explicit map, no directory magic. A test sweeps it against checks/. */
import type { Evaluator } from './evaluator.js';
import { drCopy, snapshotDaily, snapshotEncryption, snapshotExposure, snapshotFreshness, snapshotOverRetention, sourceEncrypted } from './evaluators/backups.js';
import { backupRetention, deletionProtection, multiAz } from './evaluators/databases.js';
import { s3DefaultEncryption, s3NoncurrentExpiry, s3PublicAccessBlock, s3Replication, s3Versioning } from './evaluators/s3.js';
import { IAM_EVALUATORS } from './iam/index.js';
import { THREAT_EVALUATORS } from './threat/index.js';

const all = [
  snapshotFreshness,
  snapshotDaily,
  snapshotOverRetention,
  snapshotEncryption,
  snapshotExposure,
  drCopy,
  sourceEncrypted,
  backupRetention,
  multiAz,
  deletionProtection,
  s3Versioning,
  s3NoncurrentExpiry,
  s3Replication,
  s3DefaultEncryption,
  s3PublicAccessBlock,
  ...IAM_EVALUATORS,
  ...THREAT_EVALUATORS,
] as Array<Evaluator<never>>;

export const EVALUATORS: ReadonlyMap<string, Evaluator<Record<string, unknown>>> = new Map(
  all.map((e) => [e.name, e as unknown as Evaluator<Record<string, unknown>>]),
);
