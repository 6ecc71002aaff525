/**
 * RDS state per account and region: DB instances, DB snapshots, Aurora clusters and cluster snapshots.
 * Statuses are not stored but derived from timestamps on the world clock (`creating` until
 * `availableAt`), and `settle` catches the rest up lazily on each call: instances whose deletion has
 * finished disappear, the daily backup window takes automated snapshots, and automated snapshots past
 * the retention period expire. Lists are append-only with tombstones so page markers stay valid.
 */
import { createHash } from 'node:crypto';
import { DAY_MS } from '../../core/clock.js';
import type { World } from '../world.js';
import { AwsError } from './protocol.js';
import { mariaDbImageOf, servedByMariaDb, type MariaDbBackend } from './rds-mariadb.js';
import { imageOf, type DataImage, type DataSource, type PostgresBackend } from './rds-postgres.js';

/** What a snapshot records about the instance it was taken from, shared by all its snapshots. */
export interface InstanceOrigin {
  instanceId: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  allocatedStorage: number;
  port: number;
  masterUsername: string;
  dbName?: string;
  availabilityZone: string;
  instanceCreateTime: Date;
  dbiResourceId: string;
  retentionDays: number;
  backupWindow: string;
}

export interface RdsInstance {
  id: string;
  arn: string;
  accountId: string;
  region: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  allocatedStorage: number;
  masterUsername: string;
  dbName?: string;
  availabilityZone: string;
  multiAZ: boolean;
  retentionDays: number;
  /** Minutes after midnight UTC when the daily automated snapshot is taken. */
  backupAtMinutes: number;
  encrypted: boolean;
  kmsKeyId?: string;
  deletionProtection: boolean;
  publiclyAccessible: boolean;
  copyTagsToSnapshot: boolean;
  createdAt: Date;
  /** `creating` before this instant. */
  availableAt: Date;
  tags: Record<string, string>;
  clusterId?: string;
  dbiResourceId: string;
  vpcSecurityGroupIds: string[];
  subnetGroupName: string;
  /** Changes made without ApplyImmediately: shown as PendingModifiedValues until applied. */
  pending: { instanceClass?: string; multiAZ?: boolean };
  modifyingUntil?: Date;
  deletingSince?: Date;
  goneAt?: Date;
  /** The loopback endpoint with real data: PGlite for postgres, MariaDB for mysql and mariadb. Aurora has none. */
  backend?: PostgresBackend | MariaDbBackend;
  /** Instances with a backend: what the instance held when it was created (seed data or the restored snapshot). */
  source?: DataSource;
  /** The next instant the daily backup window takes an automated snapshot. */
  nextBackupAt?: Date;
  /** This instance's automated snapshots, oldest first (retention prunes from the front). */
  automated: RdsSnapshot[];
  deleted: boolean;
  origin?: InstanceOrigin;
  seedImage?: DataImage;
}

export interface RdsSnapshot {
  id: string;
  arn: string;
  accountId: string;
  region: string;
  type: 'automated' | 'manual';
  origin: InstanceOrigin;
  createdAt: Date;
  availableAt: Date;
  /** For copies, when the first snapshot in the chain was taken. */
  originalCreatedAt: Date;
  encrypted: boolean;
  kmsKeyId?: string;
  tags: Record<string, string>;
  sourceRegion?: string;
  sourceSnapshotArn?: string;
  /** The `restore` attribute: account ids, or `all` for public. */
  restore: string[];
  /** Instances with a backend: what a restore of it holds, in the origin engine's terms (rds-postgres.ts, rds-mariadb.ts). */
  data?: DataSource;
  deleted: boolean;
}

export interface RdsCluster {
  id: string;
  arn: string;
  engine: string;
  engineVersion: string;
  members: string[];
  retentionDays: number;
  backupAtMinutes: number;
  encrypted: boolean;
  kmsKeyId?: string;
  deletionProtection: boolean;
  createdAt: Date;
  tags: Record<string, string>;
  masterUsername: string;
  dbName?: string;
  resourceId: string;
  port: number;
  availabilityZones: string[];
  nextBackupAt?: Date;
  automated: RdsClusterSnapshot[];
}

export interface RdsClusterSnapshot {
  id: string;
  arn: string;
  accountId: string;
  type: 'automated' | 'manual';
  cluster: RdsCluster;
  createdAt: Date;
  encrypted: boolean;
  kmsKeyId?: string;
  tags: Record<string, string>;
  restore: string[];
  deleted: boolean;
}

export interface RdsTimings {
  restoreMs: number;
  snapshotMs: number;
  copyMs: number;
  deleteMs: number;
  modifyMs: number;
}

export interface RdsRegionState {
  accountId: string;
  region: string;
  timings: RdsTimings;
  instances: RdsInstance[];
  instanceIndex: Map<string, RdsInstance>;
  snapshots: RdsSnapshot[];
  snapshotIndex: Map<string, RdsSnapshot>;
  clusters: RdsCluster[];
  clusterIndex: Map<string, RdsCluster>;
  clusterSnapshots: RdsClusterSnapshot[];
  clusterSnapshotIndex: Map<string, RdsClusterSnapshot>;
  deleting: Set<RdsInstance>;
}

export const DEFAULT_TIMINGS: RdsTimings = { restoreMs: 3_000, snapshotMs: 2_000, copyMs: 5_000, deleteMs: 2_000, modifyMs: 1_000 };

export function regionState(world: World, accountId: string, region: string): RdsRegionState {
  return world.slice(`rds:${accountId}:${region}`, () => ({
    accountId,
    region,
    timings: { ...DEFAULT_TIMINGS },
    instances: [],
    instanceIndex: new Map(),
    snapshots: [],
    snapshotIndex: new Map(),
    clusters: [],
    clusterIndex: new Map(),
    clusterSnapshots: [],
    clusterSnapshotIndex: new Map(),
    deleting: new Set(),
  }));
}

export function rdsArn(region: string, accountId: string, type: 'db' | 'snapshot' | 'cluster' | 'cluster-snapshot', id: string): string {
  return `arn:aws:rds:${region}:${accountId}:${type}:${id}`;
}

const ARN = /^arn:aws[\w-]*:rds:([a-z0-9-]+):(\d{12}):(db|snapshot|cluster|cluster-snapshot):(.+)$/;

export function parseRdsArn(arn: string): { region: string; accountId: string; type: string; id: string } | undefined {
  const match = ARN.exec(arn);
  if (!match) return undefined;
  const [, region, accountId, type, id] = match as unknown as [string, string, string, string, string];
  return { region, accountId, type, id: id.toLowerCase() };
}

// ---- lifecycle -------------------------------------------------------------------------------------

export type InstanceStatus = 'creating' | 'available' | 'modifying' | 'deleting';

export function instanceStatus(instance: RdsInstance, now: Date): InstanceStatus {
  if (instance.deletingSince) return 'deleting';
  if (now < instance.availableAt) return 'creating';
  if (instance.modifyingUntil && now < instance.modifyingUntil) return 'modifying';
  return 'available';
}

export function snapshotStatus(snapshot: { availableAt: Date }, now: Date): 'creating' | 'available' {
  return now < snapshot.availableAt ? 'creating' : 'available';
}

/** 0-100, proportional to the time elapsed while `creating`. */
export function snapshotProgress(snapshot: { createdAt: Date; availableAt: Date }, now: Date): number {
  const total = snapshot.availableAt.getTime() - snapshot.createdAt.getTime();
  const elapsed = now.getTime() - snapshot.createdAt.getTime();
  if (total <= 0 || elapsed >= total) return 100;
  return Math.min(99, Math.max(0, Math.floor((elapsed / total) * 100)));
}

/** The instance facts snapshots record; one object shared until the instance changes. */
export function originOf(instance: RdsInstance): InstanceOrigin {
  instance.origin ??= {
    instanceId: instance.id,
    engine: instance.engine,
    engineVersion: instance.engineVersion,
    instanceClass: instance.instanceClass,
    allocatedStorage: instance.allocatedStorage,
    port: defaultPort(instance.engine),
    masterUsername: instance.masterUsername,
    dbName: instance.dbName,
    availabilityZone: instance.availabilityZone,
    instanceCreateTime: instance.createdAt,
    dbiResourceId: instance.dbiResourceId,
    retentionDays: instance.retentionDays,
    backupWindow: backupWindow(instance.backupAtMinutes),
  };
  return instance.origin;
}

/**
 * What a snapshot of the instance taken at `at` holds, without touching a running database: the
 * instance's starting data with rows created after `at` removed. All such snapshots share one image.
 */
export function dataAsOf(instance: RdsInstance, at: Date): DataSource | undefined {
  if (!instance.source) return undefined;
  instance.seedImage ??= servedByMariaDb(instance.engine) ? mariaDbImageOf(instance.source) : imageOf(instance.source);
  return { image: instance.seedImage, asOf: at };
}

/** The data of a snapshot taken now: a dump if clients may have changed the database, else the recipe. */
export async function captureData(instance: RdsInstance, now: Date): Promise<DataSource | undefined> {
  if (instance.backend?.started) return instance.backend.capture();
  return dataAsOf(instance, now);
}

export function addInstance(state: RdsRegionState, instance: RdsInstance): void {
  state.instances.push(instance);
  state.instanceIndex.set(instance.id, instance);
}

export function addSnapshot(state: RdsRegionState, snapshot: RdsSnapshot, owner?: RdsInstance): void {
  state.snapshots.push(snapshot);
  state.snapshotIndex.set(snapshot.id, snapshot);
  if (owner && snapshot.type === 'automated') owner.automated.push(snapshot);
}

export function removeSnapshot(state: RdsRegionState, snapshot: RdsSnapshot): void {
  snapshot.deleted = true;
  state.snapshotIndex.delete(snapshot.id);
}

export function addClusterSnapshot(state: RdsRegionState, snapshot: RdsClusterSnapshot): void {
  state.clusterSnapshots.push(snapshot);
  state.clusterSnapshotIndex.set(snapshot.id, snapshot);
  if (snapshot.type === 'automated') snapshot.cluster.automated.push(snapshot);
}

/** `rds:lms-prod-2025-01-31-04-00`: the identifier AWS gives automated snapshots. */
export function automatedSnapshotId(ownerId: string, at: Date): string {
  const iso = at.toISOString();
  return `rds:${ownerId}-${iso.slice(0, 10)}-${iso.slice(11, 13)}-${iso.slice(14, 16)}`;
}

/** Brings the region up to `now`: finished deletions, due automated snapshots, expired ones. */
export function settle(state: RdsRegionState, now: Date): void {
  for (const instance of state.deleting) {
    if (!instance.goneAt || instance.goneAt > now) continue;
    state.deleting.delete(instance);
    instance.deleted = true;
    state.instanceIndex.delete(instance.id);
    // DeleteAutomatedBackups defaults to true: the instance's automated snapshots go with it.
    for (const snapshot of instance.automated) removeSnapshot(state, snapshot);
    instance.automated = [];
  }
  for (const instance of state.instanceIndex.values()) {
    if (instance.deletingSince || instance.clusterId) continue;
    takeDueBackups(state, instance, now);
    expireBackups(state, instance.automated, instance.retentionDays, now);
  }
  for (const cluster of state.clusterIndex.values()) {
    takeDueClusterBackups(state, cluster, now);
    while (cluster.automated[0] && cluster.automated[0].createdAt.getTime() < now.getTime() - cluster.retentionDays * DAY_MS) {
      const expired = cluster.automated.shift() as RdsClusterSnapshot;
      expired.deleted = true;
      state.clusterSnapshotIndex.delete(expired.id);
    }
  }
}

function takeDueBackups(state: RdsRegionState, instance: RdsInstance, now: Date): void {
  if (instance.retentionDays === 0 || !instance.nextBackupAt || instance.nextBackupAt > now) return;
  // One capture serves every snapshot this pass takes: a running database is dumped once.
  let live: Promise<DataSource> | undefined;
  const liveData = (): DataSource => {
    if (!live) {
      live = (instance.backend as NonNullable<RdsInstance['backend']>).capture();
      // Nobody may ever restore these snapshots; a failed dump must not become an unhandled rejection.
      live.catch(() => undefined);
    }
    const pending = live;
    return { image: { load: async () => (await pending).image.load() } };
  };
  while (instance.nextBackupAt <= now) {
    const at: Date = instance.nextBackupAt;
    instance.nextBackupAt = new Date(at.getTime() + DAY_MS);
    if (at < instance.availableAt || at.getTime() < now.getTime() - instance.retentionDays * DAY_MS) continue;
    const id = automatedSnapshotId(instance.id, at);
    if (state.snapshotIndex.has(id)) continue;
    const data = instance.backend?.started ? liveData() : dataAsOf(instance, at);
    addSnapshot(state, automatedSnapshot(state, instance, id, at, data), instance);
  }
}

export function automatedSnapshot(state: RdsRegionState, instance: RdsInstance, id: string, at: Date, data: DataSource | undefined): RdsSnapshot {
  return {
    id,
    arn: rdsArn(state.region, state.accountId, 'snapshot', id),
    accountId: state.accountId,
    region: state.region,
    type: 'automated',
    origin: originOf(instance),
    createdAt: at,
    availableAt: at,
    originalCreatedAt: at,
    encrypted: instance.encrypted,
    kmsKeyId: instance.kmsKeyId,
    tags: instance.copyTagsToSnapshot ? instance.tags : {},
    restore: [],
    data,
    deleted: false,
  };
}

function expireBackups(state: RdsRegionState, automated: RdsSnapshot[], retentionDays: number, now: Date): void {
  const oldestKeptMs = now.getTime() - retentionDays * DAY_MS;
  while (automated[0] && automated[0].createdAt.getTime() < oldestKeptMs) removeSnapshot(state, automated.shift() as RdsSnapshot);
}

function takeDueClusterBackups(state: RdsRegionState, cluster: RdsCluster, now: Date): void {
  if (!cluster.nextBackupAt || cluster.nextBackupAt > now) return;
  while (cluster.nextBackupAt <= now) {
    const at: Date = cluster.nextBackupAt;
    cluster.nextBackupAt = new Date(at.getTime() + DAY_MS);
    if (at < cluster.createdAt || at.getTime() < now.getTime() - cluster.retentionDays * DAY_MS) continue;
    const id = automatedSnapshotId(cluster.id, at);
    if (state.clusterSnapshotIndex.has(id)) continue;
    addClusterSnapshot(state, automatedClusterSnapshot(state, cluster, id, at));
  }
}

export function automatedClusterSnapshot(state: RdsRegionState, cluster: RdsCluster, id: string, at: Date): RdsClusterSnapshot {
  return {
    id,
    arn: rdsArn(state.region, state.accountId, 'cluster-snapshot', id),
    accountId: state.accountId,
    type: 'automated',
    cluster,
    createdAt: at,
    encrypted: cluster.encrypted,
    kmsKeyId: cluster.kmsKeyId,
    tags: cluster.tags,
    restore: [],
    deleted: false,
  };
}

/** The first daily backup-window instant at or after `from`. */
export function nextDailyAt(from: Date, atMinutes: number): Date {
  const day = Math.floor(from.getTime() / DAY_MS) * DAY_MS;
  const candidate = day + atMinutes * 60_000;
  return new Date(candidate >= from.getTime() ? candidate : candidate + DAY_MS);
}

export function backupWindow(atMinutes: number): string {
  const hhmm = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${hhmm(atMinutes)}-${hhmm(atMinutes + 30)}`;
}

// ---- lookups ---------------------------------------------------------------------------------------

export function findInstance(state: RdsRegionState, id: string): RdsInstance {
  const instance = state.instanceIndex.get(id.toLowerCase());
  if (!instance) throw new AwsError('DBInstanceNotFound', `DBInstance ${id} not found.`, 404);
  return instance;
}

/**
 * A snapshot by identifier (this account and region) or by ARN, which may name another account's
 * snapshot: visible only when shared with the caller or public, as AWS does.
 */
export function findSnapshot(world: World, state: RdsRegionState, ref: string, options: { crossRegion?: boolean } = {}): RdsSnapshot {
  const notFound = () => new AwsError('DBSnapshotNotFound', `DBSnapshot ${ref} not found.`, 404);
  const arn = ref.startsWith('arn:') ? parseRdsArn(ref) : undefined;
  if (ref.startsWith('arn:') && (!arn || arn.type !== 'snapshot')) throw notFound();
  // Only CopyDBSnapshot reaches into another region; restores need a copy in their own region first.
  if (arn && arn.region !== state.region && !options.crossRegion) throw notFound();
  const owner = arn ? regionState(world, arn.accountId, arn.region) : state;
  if (arn && owner !== state) settle(owner, world.now());
  const snapshot = owner.snapshotIndex.get(arn ? arn.id : ref.toLowerCase());
  if (!snapshot) throw notFound();
  if (snapshot.accountId !== state.accountId && !visibleTo(snapshot, state.accountId)) throw notFound();
  return snapshot;
}

export function visibleTo(snapshot: { restore: string[] }, accountId: string): boolean {
  return snapshot.restore.includes('all') || snapshot.restore.includes(accountId);
}

// ---- names -----------------------------------------------------------------------------------------

export function defaultPort(engine: string): number {
  return engine.includes('postgres') ? 5432 : 3306;
}

export const DEFAULT_ENGINE_VERSIONS: Record<string, string> = {
  postgres: '16.4',
  mysql: '8.0.39',
  mariadb: '10.11.9',
  'aurora-postgresql': '16.4',
  'aurora-mysql': '8.0.mysql_aurora.3.07.1',
};

export function licenseModel(engine: string): string {
  return engine.includes('postgres') ? 'postgresql-license' : 'general-public-license';
}

function hex(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

export function resourceId(prefix: 'db' | 'cluster', seed: string): string {
  return `${prefix}-${hex(seed, 26).toUpperCase()}`;
}

export function vpcIdFor(accountId: string, region: string): string {
  return `vpc-${hex(`vpc:${accountId}:${region}`, 17)}`;
}

/** The default VPC security group instances are placed in when none is given. */
export function defaultSecurityGroupFor(accountId: string, region: string): string {
  return `sg-${hex(`sg:${accountId}:${region}`, 17)}`;
}

/** The AWS managed `aws/rds` key of an account and region, or a customer key given by id, alias or ARN. */
export function kmsKeyArn(accountId: string, region: string, keyId?: string): string {
  if (keyId?.startsWith('arn:aws:kms:') && keyId.includes(':key/')) return keyId;
  const name = keyId === undefined ? 'alias/aws/rds' : keyId.slice(Math.max(0, keyId.indexOf('alias/')));
  if (keyId !== undefined && !keyId.includes('alias/')) return `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
  const h = hex(`${accountId}:${region}:${name}`, 32);
  return `arn:aws:kms:${region}:${accountId}:key/${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
