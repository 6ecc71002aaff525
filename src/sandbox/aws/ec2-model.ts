/**
 * EC2's EBS state per account and region, and how it reads on the wire (ec2Query XML names, as in
 * @aws-sdk/client-ec2's schemas: `snapshotSet/item`, `tagSet/item`, `status` for State).
 */
import { createHash } from 'node:crypto';
import type { World } from '../world.js';

export interface Ec2Volume {
  volumeId: string;
  ownerId: string;
  sizeGiB: number;
  volumeType: string;
  availabilityZone: string;
  createdAt: Date;
  encrypted: boolean;
  kmsKeyId?: string;
  tags: Record<string, string>;
  /** The instance the volume is attached to; unattached volumes are `available`. */
  instanceId?: string;
}

export interface Ec2Snapshot {
  snapshotId: string;
  ownerId: string;
  /** Copies carry AWS's placeholder `vol-ffffffff`, as real cross-region copies do. */
  volumeId: string;
  volumeSizeGiB: number;
  startedAt: Date;
  /** State is derived from the world clock: `pending` before this instant, `completed` from it. */
  completesAt: Date;
  encrypted: boolean;
  kmsKeyId?: string;
  description: string;
  tags: Record<string, string>;
  storageTier: 'standard' | 'archive';
  /** createVolumePermission group `all`. */
  public: boolean;
  /** createVolumePermission user ids. */
  sharedWith: string[];
  /** Deleted snapshots stay in the list as tombstones so page cursors into it stay valid. */
  deleted: boolean;
}

export interface Ec2RegionState {
  accountId: string;
  region: string;
  /** Append-only: list positions are page cursors. */
  volumes: Ec2Volume[];
  volumeIndex: Map<string, Ec2Volume>;
  snapshots: Ec2Snapshot[];
  snapshotIndex: Map<string, Ec2Snapshot>;
  snapshotCompletesAfterMs: number;
  copyCompletesAfterMs: number;
}

export const DEFAULT_COMPLETES_AFTER_MS = 2_000;
/** The placeholder volume id AWS reports on copied snapshots. */
export const COPY_VOLUME_ID = 'vol-ffffffff';

export function regionState(world: World, accountId: string, region: string): Ec2RegionState {
  return world.slice(`ec2:${accountId}:${region}`, () => ({
    accountId,
    region,
    volumes: [],
    volumeIndex: new Map(),
    snapshots: [],
    snapshotIndex: new Map(),
    snapshotCompletesAfterMs: DEFAULT_COMPLETES_AFTER_MS,
    copyCompletesAfterMs: DEFAULT_COMPLETES_AFTER_MS,
  }));
}

export function addVolume(state: Ec2RegionState, volume: Ec2Volume): void {
  state.volumes.push(volume);
  state.volumeIndex.set(volume.volumeId, volume);
}

export function addSnapshot(state: Ec2RegionState, snapshot: Ec2Snapshot): void {
  state.snapshots.push(snapshot);
  state.snapshotIndex.set(snapshot.snapshotId, snapshot);
}

export function deleteSnapshot(state: Ec2RegionState, snapshot: Ec2Snapshot): void {
  snapshot.deleted = true;
  state.snapshotIndex.delete(snapshot.snapshotId);
}

/** A KMS key ARN that stays the same for the same name: the sandbox has no KMS, only key ids. */
function keyArn(accountId: string, region: string, name: string): string {
  const hex = createHash('sha256').update(`${accountId}:${region}:${name}`).digest('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return `arn:aws:kms:${region}:${accountId}:key/${uuid}`;
}

/** The AWS managed `aws/ebs` key of an account and region: what EBS encrypts with when no key is given. */
export function defaultEbsKeyArn(accountId: string, region: string): string {
  return keyArn(accountId, region, 'alias/aws/ebs');
}

/** A key id, alias or ARN as callers give it, as the key ARN AWS reports. */
export function resolveKmsKeyId(accountId: string, region: string, keyId: string): string {
  if (keyId.startsWith('arn:aws:kms:') && keyId.includes(':key/')) return keyId;
  if (keyId.startsWith('arn:aws:kms:') || keyId.startsWith('alias/')) return keyArn(accountId, region, keyId.slice(keyId.indexOf('alias/')));
  return `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
}

export function snapshotStatus(snapshot: Ec2Snapshot, now: Date): 'pending' | 'completed' {
  return now.getTime() >= snapshot.completesAt.getTime() ? 'completed' : 'pending';
}

/** `42%` while pending, proportional to the time elapsed; `100%` once completed. */
export function snapshotProgress(snapshot: Ec2Snapshot, now: Date): string {
  const total = snapshot.completesAt.getTime() - snapshot.startedAt.getTime();
  const elapsed = now.getTime() - snapshot.startedAt.getTime();
  if (elapsed >= total) return '100%';
  return `${Math.min(99, Math.max(0, Math.floor((elapsed / total) * 100)))}%`;
}

export function tagSetXml(tags: Record<string, string>): unknown {
  const entries = Object.entries(tags);
  // AWS leaves tagSet out when there are no tags; the SDK then reports Tags as undefined.
  return entries.length === 0 ? undefined : { item: entries.map(([key, value]) => ({ key, value })) };
}

/** The Snapshot shape, used by DescribeSnapshots items and as CreateSnapshot's whole answer. */
export function snapshotXml(snapshot: Ec2Snapshot, now: Date): Record<string, unknown> {
  const status = snapshotStatus(snapshot, now);
  return {
    snapshotId: snapshot.snapshotId,
    volumeId: snapshot.volumeId,
    status,
    startTime: snapshot.startedAt,
    completionTime: status === 'completed' ? snapshot.completesAt : undefined,
    progress: snapshotProgress(snapshot, now),
    ownerId: snapshot.ownerId,
    volumeSize: snapshot.volumeSizeGiB,
    description: snapshot.description,
    encrypted: snapshot.encrypted,
    kmsKeyId: snapshot.encrypted ? snapshot.kmsKeyId : undefined,
    tagSet: tagSetXml(snapshot.tags),
    storageTier: snapshot.storageTier,
  };
}

const GP3_BASELINE = { iops: 3000, throughput: 125 };

export function volumeXml(volume: Ec2Volume): Record<string, unknown> {
  const attachments = volume.instanceId
    ? {
        item: [
          {
            volumeId: volume.volumeId,
            instanceId: volume.instanceId,
            device: '/dev/xvdf',
            status: 'attached',
            attachTime: volume.createdAt,
            deleteOnTermination: false,
          },
        ],
      }
    : '';
  return {
    volumeId: volume.volumeId,
    size: volume.sizeGiB,
    snapshotId: '',
    availabilityZone: volume.availabilityZone,
    status: volume.instanceId ? 'in-use' : 'available',
    createTime: volume.createdAt,
    attachmentSet: attachments,
    volumeType: volume.volumeType,
    iops: volume.volumeType === 'gp3' ? GP3_BASELINE.iops : undefined,
    throughput: volume.volumeType === 'gp3' ? GP3_BASELINE.throughput : undefined,
    encrypted: volume.encrypted,
    kmsKeyId: volume.encrypted ? volume.kmsKeyId : undefined,
    tagSet: tagSetXml(volume.tags),
    multiAttachEnabled: false,
  };
}
