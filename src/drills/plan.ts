/**
 * The pure half of an RDS drill: which recovery point, what the throwaway copy is called and tagged,
 * and the exact API calls a run will make (what `--dry-run` prints). Drill tags are shared with S3
 * drills (s3-plan.ts).
 */
import type { Snapshot } from '../checks/resources.js';
import { DAY_MS, HOUR_MS } from '../core/clock.js';
import { SafetyError } from '../core/errors.js';
import type { DrillDefinition, RdsDrillDefinition } from './definitions.js';

/** Tags that mark what a drill created. Teardown and the orphan sweep delete only what carries them. */
export const DRILL_TAGS = {
  managedBy: 'vigil:managed-by',
  run: 'vigil:drill-run',
  target: 'vigil:drill-target',
} as const;
export const MANAGED_BY_VIGIL = 'vigil';

export interface RecoveryPoint {
  id: string;
  arn: string;
  createdAt: Date;
  region: string;
  type: string;
  /** For a snapshot; an S3 sample's versions each have their own encryption. */
  encrypted?: boolean;
}

export type Choice = { ok: true; point: RecoveryPoint } | { ok: false; reason: string };

/**
 * Picks the recovery point among `candidates` (completed snapshots of the source in the restore
 * region). `all` are every snapshot visible there, so an id from another instance is named as such.
 */
export function chooseRecoveryPoint(def: RdsDrillDefinition, candidates: Snapshot[], all: Snapshot[], now: Date, random: () => number): Choice {
  const usable = candidates.filter((s) => s.status === 'available' || s.status === 'completed').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const choice = def.restore.recoveryPoint;
  // A copy's data is as old as its original, which is what RPO is about.
  const toPoint = (s: Snapshot): RecoveryPoint => ({ id: s.id, arn: s.arn, createdAt: s.dataAsOf ?? s.createdAt, region: s.region, type: s.type, encrypted: s.encrypted });
  if (choice === 'latest') {
    const newest = usable[0];
    return newest ? { ok: true, point: toPoint(newest) } : { ok: false, reason: `no completed snapshot of ${def.source.id} to restore from` };
  }
  const random_ = /^random:(\d+)([dh])$/.exec(choice);
  if (random_) {
    const span = Number(random_[1]) * (random_[2] === 'd' ? DAY_MS : HOUR_MS);
    const recent = usable.filter((s) => now.getTime() - s.createdAt.getTime() <= span);
    if (recent.length === 0) return { ok: false, reason: `no completed snapshot of ${def.source.id} from the last ${random_[1]}${random_[2]}` };
    return { ok: true, point: toPoint(recent[Math.floor(random() * recent.length)] as Snapshot) };
  }
  const named = usable.find((s) => s.id === choice || s.id === `rds:${choice}`);
  if (named) return { ok: true, point: toPoint(named) };
  const elsewhere = all.find((s) => s.id === choice || s.id === `rds:${choice}`);
  if (elsewhere && elsewhere.sourceId !== def.source.id) return { ok: false, reason: `snapshot ${choice} belongs to ${elsewhere.sourceId}, not ${def.source.id}` };
  if (elsewhere) return { ok: false, reason: `snapshot ${choice} is ${elsewhere.status}, not available` };
  return { ok: false, reason: `no snapshot ${choice} of ${def.source.id}` };
}

/** The restore region: the source's, the account's DR region, or one named in the definition. */
export function restoreRegion(def: RdsDrillDefinition, drRegion: string | undefined): { ok: true; region: string } | { ok: false; reason: string } {
  if (def.restore.from === 'source') return { ok: true, region: def.source.region };
  if (def.restore.from === 'dr') {
    return drRegion ? { ok: true, region: drRegion } : { ok: false, reason: `restore.from is dr but account ${def.source.account} has no drRegion configured` };
  }
  return { ok: true, region: def.restore.from };
}

/** Snapshots in the restore region that are of the source: its own, or DR copies of them. */
export function snapshotsOfSource(def: RdsDrillDefinition, inRegion: Snapshot[], region: string): Snapshot[] {
  return inRegion.filter((s) => s.sourceId === def.source.id && (region === def.source.region || s.sourceRegion === def.source.region || s.sourceRegion === undefined));
}

/** `vigil-drill-<target>-<run>`: an RDS identifier (63 characters at most, no double hyphens). */
export function drillInstanceName(target: string, drillId: string): string {
  const run = drillId.replace(/-/g, '').slice(0, 8);
  return `vigil-drill-${target}`.slice(0, 63 - run.length - 1).replace(/-+$/, '') + `-${run}`;
}

export function drillTags(def: DrillDefinition, drillId: string): Record<string, string> {
  return { [DRILL_TAGS.managedBy]: MANAGED_BY_VIGIL, [DRILL_TAGS.run]: drillId, [DRILL_TAGS.target]: def.id };
}

/**
 * Vigil deletes only what it created: the resource (an instance, an S3 object version) must carry
 * Vigil's tags and, given a drill id, that drill's. The orphan sweep passes no id: any drill's will do.
 */
export function assertOurs(resource: { id: string; tags: Record<string, string> }, drillId: string | undefined): void {
  const managed = resource.tags[DRILL_TAGS.managedBy] === MANAGED_BY_VIGIL;
  const run = resource.tags[DRILL_TAGS.run];
  if (!managed || (drillId !== undefined && run !== drillId)) {
    throw new SafetyError(`${resource.id} is not tagged as created by this drill (${DRILL_TAGS.managedBy}=${resource.tags[DRILL_TAGS.managedBy] ?? 'absent'}, ${DRILL_TAGS.run}=${run ?? 'absent'}); Vigil will not delete it`);
  }
}

export interface PlannedCall {
  operation: string;
  region: string;
  params: Record<string, unknown>;
  note?: string;
}

/** The calls a run makes, in order, for `--dry-run`. */
export function plannedCalls(def: RdsDrillDefinition, point: RecoveryPoint, name: string, drillId: string, pollSeconds: number): PlannedCall[] {
  const tags = Object.entries(drillTags(def, drillId)).map(([Key, Value]) => ({ Key, Value }));
  return [
    {
      operation: 'rds:RestoreDBInstanceFromDBSnapshot',
      region: point.region,
      params: {
        DBInstanceIdentifier: name,
        DBSnapshotIdentifier: point.id,
        DBInstanceClass: def.restore.instanceClass,
        PubliclyAccessible: false,
        MultiAZ: false,
        DeletionProtection: false,
        ...(def.restore.subnetGroup ? { DBSubnetGroupName: def.restore.subnetGroup } : {}),
        ...(def.restore.securityGroups.length ? { VpcSecurityGroupIds: def.restore.securityGroups } : {}),
        Tags: tags,
      },
    },
    { operation: 'rds:DescribeDBInstances', region: point.region, params: { DBInstanceIdentifier: name }, note: `every ${pollSeconds}s until available` },
    { operation: `vault:read ${def.credentials.vault}`, region: '-', params: {}, note: 'database credentials' },
    { operation: 'database:connect+query', region: point.region, params: { database: def.connection.database, steps: def.verify.map((s) => s.name) } },
    { operation: 'rds:DescribeDBInstances', region: point.region, params: { DBInstanceIdentifier: name }, note: 're-read the tags before deleting' },
    { operation: 'rds:DeleteDBInstance', region: point.region, params: { DBInstanceIdentifier: name, SkipFinalSnapshot: true, DeleteAutomatedBackups: true } },
    { operation: 'rds:DescribeDBInstances', region: point.region, params: { DBInstanceIdentifier: name }, note: `every ${pollSeconds}s until DBInstanceNotFound` },
  ];
}
