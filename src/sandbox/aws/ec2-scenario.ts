/**
 * The EBS part of a scenario: volumes, daily snapshot schedules written as policies ("03:00 UTC, kept
 * 90 days, days 4 and 5 missing"), and one-off snapshots (public, shared, over-retained, copies).
 * Seeding turns schedules into snapshots in one pass with no per-snapshot lookups: estates of 25,000+
 * snapshots seed in well under a second.
 */
import { z } from 'zod';
import { DAY_MS } from '../../core/clock.js';
import { ConfigError, type Problem } from '../../core/errors.js';
import type { Scenario } from '../scenario.js';
import { accountIdSchema, durationSchema, regionNameSchema, tagsSchema } from '../scenario-types.js';
import type { World } from '../world.js';
import {
  addSnapshot,
  addVolume,
  COPY_VOLUME_ID,
  defaultEbsKeyArn,
  regionState,
  resolveKmsKeyId,
  type Ec2RegionState,
  type Ec2Snapshot,
  type Ec2Volume,
} from './ec2-model.js';

export const VOLUME_ID = /^vol-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const SNAPSHOT_ID = /^snap-([0-9a-f]{8}|[0-9a-f]{17})$/;

const dailyScheduleSchema = z.strictObject({
  /** UTC time of day each snapshot starts, `HH:MM`. */
  at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a UTC time such as 03:00').default('03:00'),
  /** Retention: one snapshot per day, for every day whose snapshot is younger than this. */
  keep: durationSchema.prefault('30d'),
  /** Days ago (0 = today, 1 = yesterday) whose snapshot is missing: failed or skipped runs. */
  missingDaysAgo: z.array(z.number().int().min(0)).default([]),
  /** The schedule stopped: the newest snapshot is from this many days ago, later days have none. */
  stoppedDaysAgo: z.number().int().min(0).optional(),
  /** Defaults to the volume's encryption. */
  encrypted: z.boolean().optional(),
  /** Copy the volume's tags (its Name included) onto each snapshot, as DLM's CopyTags does. */
  copyTags: z.boolean().default(true),
  /** Tags added to every snapshot, e.g. `{ dlm:managed: "true" }`. */
  tags: tagsSchema.default({}),
  description: z.string().optional(),
});
export type DailySchedule = z.output<typeof dailyScheduleSchema>;

const volumeSchema = z.strictObject({
  id: z.string().regex(VOLUME_ID, 'expected a volume id such as vol-0123456789abcdef0').optional(),
  /** The `Name` tag; explicit snapshots refer to the volume by it. */
  name: z.string().min(1).optional(),
  /** GiB. */
  size: z.number().int().min(1).max(65_536).default(8),
  type: z.enum(['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard']).default('gp3'),
  encrypted: z.boolean().default(false),
  /** Defaults to the account's `aws/ebs` key when encrypted. */
  kmsKeyId: z.string().optional(),
  /** How long ago the volume was created; schedules never reach further back. */
  age: durationSchema.prefault('365d'),
  /** Defaults to the region's `a` zone. */
  az: z.string().optional(),
  /** The instance the volume is attached to (`in-use`); unattached volumes are `available`. */
  instance: z.string().regex(/^i-([0-9a-f]{8}|[0-9a-f]{17})$/, 'expected an instance id such as i-0123456789abcdef0').optional(),
  tags: tagsSchema.default({}),
  snapshots: z.strictObject({ daily: dailyScheduleSchema.optional() }).default({}),
});

const snapshotSchema = z.strictObject({
  id: z.string().regex(SNAPSHOT_ID, 'expected a snapshot id such as snap-0123456789abcdef0').optional(),
  /** The volume, by name or id in the same region; another `vol-` id stands for a since-deleted volume. */
  volume: z.string().optional(),
  /** GiB; defaults to the volume's size. */
  size: z.number().int().min(1).max(65_536).optional(),
  age: durationSchema.prefault('1d'),
  /** Defaults to the volume's (or the copied snapshot's) encryption. */
  encrypted: z.boolean().optional(),
  kmsKeyId: z.string().optional(),
  /** createVolumePermission group `all`. AWS refuses this for encrypted snapshots. */
  public: z.boolean().default(false),
  /** Account ids with createVolumePermission. */
  sharedWith: z.array(accountIdSchema).default([]),
  description: z.string().optional(),
  tags: tagsSchema.default({}),
  storageTier: z.enum(['standard', 'archive']).default('standard'),
  /** A copy of the newest snapshot, as of this one's age, of a volume in another region of the account. */
  copyOf: z.strictObject({ region: regionNameSchema, volume: z.string().min(1) }).optional(),
});

export const ec2RegionScenario = z
  .strictObject({
    /** How long CopySnapshot copies stay `pending` on the world clock. */
    copyCompletesAfter: durationSchema.prefault('2s'),
    /** How long CreateSnapshot (and scheduled) snapshots stay `pending`. */
    snapshotCompletesAfter: durationSchema.prefault('2s'),
    volumes: z.array(volumeSchema).default([]),
    snapshots: z.array(snapshotSchema).default([]),
  })
  .superRefine((region, ctx) => {
    const names = new Map<string, number>();
    region.volumes.forEach((volume, index) => {
      if (volume.name === undefined) return;
      if (names.has(volume.name)) ctx.addIssue({ code: 'custom', path: ['volumes', index, 'name'], message: `duplicate volume name (also volumes[${names.get(volume.name)}])` });
      names.set(volume.name, index);
    });
    const ids = new Set(region.volumes.flatMap((v) => (v.id ? [v.id] : [])));
    region.snapshots.forEach((snapshot, index) => {
      if (snapshot.volume !== undefined && !names.has(snapshot.volume) && !ids.has(snapshot.volume) && !VOLUME_ID.test(snapshot.volume)) {
        ctx.addIssue({ code: 'custom', path: ['snapshots', index, 'volume'], message: 'not the name or id of a volume in this region, nor a volume id' });
      }
      if (snapshot.volume !== undefined && snapshot.copyOf !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['snapshots', index, 'copyOf'], message: 'a copy has no volume of its own: give volume or copyOf, not both' });
      }
    });
  });
export type Ec2RegionScenario = z.output<typeof ec2RegionScenario>;
type VolumeScenario = z.output<typeof volumeSchema>;
type SnapshotScenario = z.output<typeof snapshotSchema>;

/**
 * Start times of a daily schedule, oldest first: one per UTC day at `at`, not in the future, younger
 * than `keep`, not before the volume existed, skipping missing days and days after it stopped.
 */
export function dailyStartTimes(now: Date, volumeCreatedAt: Date, schedule: Pick<DailySchedule, 'at' | 'keep' | 'missingDaysAgo' | 'stoppedDaysAgo'>): Date[] {
  const [hours, minutes] = schedule.at.split(':').map(Number) as [number, number];
  const todayAt = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hours, minutes);
  const missing = new Set(schedule.missingDaysAgo);
  const nowMs = now.getTime();
  const times: Date[] = [];
  for (let daysAgo = Math.ceil(schedule.keep / DAY_MS) + 1; daysAgo >= (schedule.stoppedDaysAgo ?? 0); daysAgo--) {
    const at = todayAt - daysAgo * DAY_MS;
    if (at > nowMs || nowMs - at >= schedule.keep || at < volumeCreatedAt.getTime() || missing.has(daysAgo)) continue;
    times.push(new Date(at));
  }
  return times;
}

interface SeedContext {
  world: World;
  state: Ec2RegionState;
  path: string;
  problems: Problem[];
}

export function seedEc2(world: World, scenario: Scenario): void {
  const problems: Problem[] = [];
  const copies: Array<{ context: SeedContext; snapshot: SnapshotScenario; index: number }> = [];
  scenario.accounts.forEach((account, a) => {
    for (const [region, regionScenario] of Object.entries(account.regions)) {
      const ec2 = regionScenario.ec2;
      if (!ec2) continue;
      if (!account.enabledRegions.includes(region)) {
        problems.push({ file: 'scenario', path: `accounts[${a}].regions.${region}.ec2`, message: 'the region is not in the account\'s enabledRegions, so EC2 would refuse every call there' });
        continue;
      }
      const state = regionState(world, account.id, region);
      state.copyCompletesAfterMs = ec2.copyCompletesAfter;
      state.snapshotCompletesAfterMs = ec2.snapshotCompletesAfter;
      const context: SeedContext = { world, state, path: `accounts[${a}].regions.${region}.ec2`, problems };
      ec2.volumes.forEach((volume) => seedVolume(context, volume));
      ec2.snapshots.forEach((snapshot, index) => {
        if (snapshot.copyOf) copies.push({ context, snapshot, index });
        else seedSnapshot(context, snapshot, index);
      });
    }
  });
  // Copies go last: their sources may live in a region seeded after theirs.
  for (const { context, snapshot, index } of copies) seedCopy(context, snapshot, index);
  if (problems.length > 0) throw new ConfigError(problems);
}

function seedVolume({ world, state }: SeedContext, scenario: VolumeScenario): void {
  const { accountId, region } = state;
  const volume: Ec2Volume = {
    volumeId: scenario.id ?? world.id('vol'),
    ownerId: accountId,
    sizeGiB: scenario.size,
    volumeType: scenario.type,
    availabilityZone: scenario.az ?? `${region}a`,
    createdAt: world.ago(scenario.age),
    encrypted: scenario.encrypted,
    kmsKeyId: scenario.encrypted ? (scenario.kmsKeyId ? resolveKmsKeyId(accountId, region, scenario.kmsKeyId) : defaultEbsKeyArn(accountId, region)) : undefined,
    tags: { ...(scenario.name ? { Name: scenario.name } : {}), ...scenario.tags },
    instanceId: scenario.instance,
  };
  addVolume(state, volume);
  const daily = scenario.snapshots.daily;
  if (!daily) return;
  const encrypted = daily.encrypted ?? volume.encrypted;
  const kmsKeyId = encrypted ? (volume.kmsKeyId ?? defaultEbsKeyArn(accountId, region)) : undefined;
  const description = daily.description ?? `Daily snapshot of ${scenario.name ?? volume.volumeId} at ${daily.at} UTC`;
  for (const startedAt of dailyStartTimes(world.now(), volume.createdAt, daily)) {
    addSnapshot(state, {
      snapshotId: world.id('snap'),
      ownerId: accountId,
      volumeId: volume.volumeId,
      volumeSizeGiB: volume.sizeGiB,
      startedAt,
      completesAt: new Date(startedAt.getTime() + state.snapshotCompletesAfterMs),
      encrypted,
      kmsKeyId,
      description,
      tags: { ...(daily.copyTags ? volume.tags : {}), ...daily.tags },
      storageTier: 'standard',
      public: false,
      sharedWith: [],
      deleted: false,
    });
  }
}

function findVolume(state: Ec2RegionState, ref: string): Ec2Volume | undefined {
  return state.volumeIndex.get(ref) ?? state.volumes.find((v) => v.tags['Name'] === ref);
}

function seedSnapshot(context: SeedContext, scenario: SnapshotScenario, index: number): void {
  const { world, state } = context;
  const volume = scenario.volume === undefined ? undefined : findVolume(state, scenario.volume);
  const encrypted = scenario.encrypted ?? volume?.encrypted ?? false;
  const startedAt = world.ago(scenario.age);
  place(context, index, {
    snapshotId: scenario.id ?? world.id('snap'),
    ownerId: state.accountId,
    volumeId: volume?.volumeId ?? scenario.volume ?? COPY_VOLUME_ID,
    volumeSizeGiB: scenario.size ?? volume?.sizeGiB ?? 8,
    startedAt,
    completesAt: new Date(startedAt.getTime() + state.snapshotCompletesAfterMs),
    encrypted,
    kmsKeyId: encrypted ? kmsFor(state, scenario.kmsKeyId ?? volume?.kmsKeyId) : undefined,
    description: scenario.description ?? '',
    tags: { ...scenario.tags },
    storageTier: scenario.storageTier,
    public: scenario.public,
    sharedWith: [...scenario.sharedWith],
    deleted: false,
  });
}

function seedCopy(context: SeedContext, scenario: SnapshotScenario, index: number): void {
  const { world, state } = context;
  const copyOf = scenario.copyOf as NonNullable<SnapshotScenario['copyOf']>;
  const startedAt = world.ago(scenario.age);
  const sourceState = regionState(world, state.accountId, copyOf.region);
  const sourceVolume = findVolume(sourceState, copyOf.volume);
  const source = sourceVolume ? newestSnapshotBefore(sourceState, sourceVolume.volumeId, startedAt) : undefined;
  if (!source) {
    context.problems.push({ file: 'scenario', path: `${context.path}.snapshots[${index}].copyOf`, message: `no snapshot of volume "${copyOf.volume}" in ${copyOf.region} older than this copy` });
    return;
  }
  const encrypted = scenario.encrypted ?? source.encrypted;
  place(context, index, {
    snapshotId: scenario.id ?? world.id('snap'),
    ownerId: state.accountId,
    volumeId: COPY_VOLUME_ID,
    volumeSizeGiB: source.volumeSizeGiB,
    startedAt,
    completesAt: new Date(startedAt.getTime() + state.copyCompletesAfterMs),
    encrypted,
    // KMS keys are regional: a copy is re-encrypted under a key of its own region.
    kmsKeyId: encrypted ? kmsFor(state, scenario.kmsKeyId) : undefined,
    description: scenario.description ?? `[Copied ${source.snapshotId} from ${copyOf.region}]`,
    tags: { ...scenario.tags },
    storageTier: scenario.storageTier,
    public: scenario.public,
    sharedWith: [...scenario.sharedWith],
    deleted: false,
  });
}

function kmsFor(state: Ec2RegionState, keyId: string | undefined): string {
  return keyId ? resolveKmsKeyId(state.accountId, state.region, keyId) : defaultEbsKeyArn(state.accountId, state.region);
}

function newestSnapshotBefore(state: Ec2RegionState, volumeId: string, before: Date): Ec2Snapshot | undefined {
  let newest: Ec2Snapshot | undefined;
  for (const snapshot of state.snapshots) {
    if (snapshot.volumeId !== volumeId || snapshot.startedAt.getTime() > before.getTime()) continue;
    if (!newest || snapshot.startedAt.getTime() > newest.startedAt.getTime()) newest = snapshot;
  }
  return newest;
}

/** Adds a one-off snapshot after the checks AWS itself would make of it. */
function place(context: SeedContext, index: number, snapshot: Ec2Snapshot): void {
  const path = `${context.path}.snapshots[${index}]`;
  const refuse = (field: string, message: string): void => {
    context.problems.push({ file: 'scenario', path: `${path}.${field}`, message });
  };
  if (context.state.snapshotIndex.has(snapshot.snapshotId)) return refuse('id', 'duplicate snapshot id in this region');
  if (snapshot.public && snapshot.encrypted) return refuse('public', 'AWS cannot make an encrypted snapshot public');
  if (snapshot.sharedWith.length > 0 && snapshot.kmsKeyId === defaultEbsKeyArn(context.state.accountId, context.state.region)) {
    return refuse('sharedWith', 'AWS cannot share a snapshot encrypted with the aws/ebs managed key; give a kmsKeyId');
  }
  addSnapshot(context.state, snapshot);
}
