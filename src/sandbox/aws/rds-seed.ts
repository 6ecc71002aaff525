/**
 * Builds RDS state from the scenario. Snapshots are plain objects whose data is a shared recipe (see
 * rds-postgres.ts and rds-mariadb.ts), so thousands of snapshots seed in milliseconds and no database
 * starts here: only a loopback port is bound per postgres, mysql or mariadb instance.
 */
import { DAY_MS } from '../../core/clock.js';
import { ConfigError, type Problem } from '../../core/errors.js';
import type { Scenario } from '../scenario.js';
import type { World } from '../world.js';
import { lmsDataSql } from './rds-lms-data.js';
import {
  addClusterSnapshot,
  addInstance,
  addSnapshot,
  automatedClusterSnapshot,
  automatedSnapshot,
  automatedSnapshotId,
  dataAsOf,
  DEFAULT_ENGINE_VERSIONS,
  defaultSecurityGroupFor,
  defaultPort,
  kmsKeyArn,
  nextDailyAt,
  originOf,
  rdsArn,
  regionState,
  resourceId,
  type RdsCluster,
  type RdsInstance,
  type RdsRegionState,
  type RdsSnapshot,
} from './rds-model.js';
import { MARIADB_EMPTY_IMAGE, MariaDbBackend, mariaDbHomeOf, masterSetupSql, sqlIdentifier, unknowablePassword } from './rds-mariadb.js';
import { EMPTY_IMAGE, EMPTY_SOURCE, PostgresBackend, type DataSource } from './rds-postgres.js';
import type {
  ClusterScenario,
  CopyScenario,
  DailyScenario,
  DataScenario,
  InstanceScenario,
  ManualSnapshotScenario,
  SnapshotDataScenario,
} from './rds-scenario.js';

export async function seedRds(world: World, scenario: Scenario): Promise<void> {
  const copies: Array<{ state: RdsRegionState; copy: CopyScenario; path: string }> = [];
  for (const [a, account] of scenario.accounts.entries()) {
    for (const [region, section] of Object.entries(account.regions)) {
      const rds = section.rds;
      if (!rds) continue;
      const state = regionState(world, account.id, region);
      state.timings = { restoreMs: rds.restoreTakes, snapshotMs: rds.snapshotTakes, copyMs: rds.copyTakes, deleteMs: rds.deleteTakes, modifyMs: rds.modifyTakes };
      for (const instance of rds.instances) await seedInstance(world, state, instance);
      for (const cluster of rds.clusters) seedCluster(world, state, cluster);
      rds.copies.forEach((copy, c) => copies.push({ state, copy, path: `accounts[${a}].regions.${region}.rds.copies[${c}]` }));
    }
  }
  // Copies point at snapshots in other regions, so they come after every region's own snapshots.
  const problems = copies.flatMap(({ state, copy, path }) => seedCopies(world, state, copy, path));
  if (problems.length > 0) throw new ConfigError(problems);
}

async function seedInstance(world: World, state: RdsRegionState, spec: InstanceScenario): Promise<void> {
  const now = world.now();
  const { accountId, region } = state;
  const createdAt = world.ago(spec.age);
  const daily = spec.snapshots.daily;
  const backupAtMinutes = minutesOfDay(daily === false ? '04:00' : daily.at);
  const instance: RdsInstance = {
    id: spec.id,
    arn: rdsArn(region, accountId, 'db', spec.id),
    accountId,
    region,
    engine: spec.engine,
    engineVersion: spec.engineVersion ?? (DEFAULT_ENGINE_VERSIONS[spec.engine] as string),
    instanceClass: spec.class,
    allocatedStorage: spec.allocatedStorageGiB,
    masterUsername: spec.masterUsername,
    dbName: spec.dbName,
    availabilityZone: `${region}a`,
    multiAZ: spec.multiAZ,
    retentionDays: spec.backupRetentionDays,
    backupAtMinutes,
    encrypted: spec.encrypted,
    kmsKeyId: spec.encrypted ? kmsKeyArn(accountId, region, spec.kmsKeyId) : undefined,
    deletionProtection: spec.deletionProtection,
    publiclyAccessible: spec.public,
    copyTagsToSnapshot: spec.copyTagsToSnapshot,
    createdAt,
    availableAt: createdAt,
    tags: spec.tags,
    dbiResourceId: resourceId('db', `${accountId}:${region}:${spec.id}`),
    vpcSecurityGroupIds: [defaultSecurityGroupFor(accountId, region)],
    subnetGroupName: 'default',
    pending: {},
    automated: [],
    deleted: false,
  };
  const data = spec.engine === 'postgres' ? postgresData(spec, now) : mariaDbData(spec, now);
  instance.source = data.source;
  const backend = spec.engine === 'postgres' ? await PostgresBackend.listen(data.source) : await MariaDbBackend.listen(data.source, mariaDbHomeOf(world));
  world.onClose(() => backend.close());
  instance.backend = backend;
  addInstance(state, instance);

  const latest = latestDailyAt(now, backupAtMinutes);
  if (instance.retentionDays > 0) instance.nextBackupAt = new Date(latest.getTime() + DAY_MS);
  if (daily !== false && instance.retentionDays > 0) {
    for (const at of dailyTimes(now, latest, createdAt, instance.retentionDays, daily)) {
      addSnapshot(state, automatedSnapshot(state, instance, automatedSnapshotId(instance.id, at), at, dataAsOf(instance, at)), instance);
    }
  }
  for (const manual of spec.snapshots.manual) addSnapshot(state, manualSnapshot(world, state, instance, manual, data));
}

/** What an instance starts with, what its `empty` snapshots hold, and how snapshot SQL is run on it. */
interface SeedData {
  source: DataSource;
  empty: DataSource;
  inDatabase: (sql: string) => string;
}

/** Built only when a database first starts, with "now" fixed at seeding so rows are reproducible. */
function generatedSql(data: DataScenario | undefined, now: Date, dialect: 'postgres' | 'mysql'): string {
  const generate = data?.generate;
  if (!generate) return '';
  return lmsDataSql({ learners: generate.learners, courses: generate.courses, enrollmentsPerLearner: generate.enrollmentsPerLearner, spanMs: generate.span, seed: generate.seed, dialect }, now);
}

function postgresData(spec: InstanceScenario, now: Date): SeedData {
  const data = spec.data;
  const source = data ? { image: EMPTY_IMAGE, sql: () => [generatedSql(data, now, 'postgres'), data.sql ?? ''].join('\n') } : EMPTY_SOURCE;
  return { source, empty: EMPTY_SOURCE, inDatabase: (sql) => sql };
}

/** A MySQL instance starts with its master user and database, as RDS creates them; `empty` keeps those. */
function mariaDbData(spec: InstanceScenario, now: Date): SeedData {
  const setup = masterSetupSql({ masterUsername: spec.masterUsername, masterPassword: spec.masterPassword ?? unknowablePassword(), dbName: spec.dbName });
  const data = spec.data;
  return {
    source: { image: MARIADB_EMPTY_IMAGE, sql: () => [setup, generatedSql(data, now, 'mysql'), data?.sql ?? ''].join('\n') },
    empty: { image: MARIADB_EMPTY_IMAGE, sql: () => setup },
    inDatabase: (sql) => (spec.dbName ? `USE ${sqlIdentifier(spec.dbName)};\n${sql}` : sql),
  };
}

function manualSnapshot(world: World, state: RdsRegionState, instance: RdsInstance, spec: ManualSnapshotScenario, seed: SeedData): RdsSnapshot {
  const createdAt = world.ago(spec.age);
  const encrypted = spec.encrypted ?? instance.encrypted;
  return {
    id: spec.id,
    arn: rdsArn(state.region, state.accountId, 'snapshot', spec.id),
    accountId: state.accountId,
    region: state.region,
    type: 'manual',
    origin: originOf(instance),
    createdAt,
    availableAt: createdAt,
    originalCreatedAt: createdAt,
    encrypted,
    kmsKeyId: encrypted ? (instance.kmsKeyId ?? kmsKeyArn(state.accountId, state.region)) : undefined,
    tags: { ...(instance.copyTagsToSnapshot ? instance.tags : {}), ...spec.tags },
    restore: [...(spec.public ? ['all'] : []), ...spec.sharedWith],
    data: snapshotData(world, instance, spec.data, createdAt, seed),
    deleted: false,
  };
}

function snapshotData(world: World, instance: RdsInstance, spec: SnapshotDataScenario | undefined, createdAt: Date, seed: SeedData): DataSource | undefined {
  if (spec === 'empty') return seed.empty;
  const base = dataAsOf(instance, spec?.asOf === undefined ? createdAt : world.ago(spec.asOf));
  const sql = spec?.sql;
  return base && sql ? { ...base, sql: () => seed.inDatabase(sql) } : base;
}

function seedCluster(world: World, state: RdsRegionState, spec: ClusterScenario): void {
  const now = world.now();
  const { accountId, region } = state;
  const createdAt = world.ago(spec.age);
  const daily = spec.snapshots.daily;
  const backupAtMinutes = minutesOfDay(daily === false ? '04:00' : daily.at);
  const engineVersion = spec.engineVersion ?? (DEFAULT_ENGINE_VERSIONS[spec.engine] as string);
  const zones = ['a', 'b', 'c'].map((z) => `${region}${z}`);
  const kmsKeyId = spec.encrypted ? kmsKeyArn(accountId, region, spec.kmsKeyId) : undefined;
  const members = Array.from({ length: spec.instances }, (_, i) => `${spec.id}-instance-${i + 1}`);
  // Aurora is metadata only: neither the cluster nor its members have a listener or data.
  const cluster: RdsCluster = {
    id: spec.id,
    arn: rdsArn(region, accountId, 'cluster', spec.id),
    engine: spec.engine,
    engineVersion,
    members,
    retentionDays: spec.backupRetentionDays,
    backupAtMinutes,
    encrypted: spec.encrypted,
    kmsKeyId,
    deletionProtection: spec.deletionProtection,
    createdAt,
    tags: spec.tags,
    masterUsername: spec.masterUsername,
    dbName: spec.dbName,
    resourceId: resourceId('cluster', `${accountId}:${region}:${spec.id}`),
    port: defaultPort(spec.engine),
    availabilityZones: zones,
    automated: [],
  };
  state.clusters.push(cluster);
  state.clusterIndex.set(cluster.id, cluster);
  members.forEach((id, i) =>
    addInstance(state, {
      id,
      arn: rdsArn(region, accountId, 'db', id),
      accountId,
      region,
      engine: spec.engine,
      engineVersion,
      instanceClass: spec.instanceClass,
      allocatedStorage: 1,
      masterUsername: spec.masterUsername,
      dbName: spec.dbName,
      availabilityZone: zones[i % zones.length] as string,
      multiAZ: false,
      retentionDays: spec.backupRetentionDays,
      backupAtMinutes,
      encrypted: spec.encrypted,
      kmsKeyId,
      deletionProtection: false,
      publiclyAccessible: false,
      copyTagsToSnapshot: true,
      createdAt,
      availableAt: createdAt,
      tags: spec.tags,
      clusterId: spec.id,
      dbiResourceId: resourceId('db', `${accountId}:${region}:${id}`),
      vpcSecurityGroupIds: [defaultSecurityGroupFor(accountId, region)],
      subnetGroupName: 'default',
      pending: {},
      automated: [],
      deleted: false,
    }),
  );

  const latest = latestDailyAt(now, backupAtMinutes);
  cluster.nextBackupAt = new Date(latest.getTime() + DAY_MS);
  if (daily !== false) {
    for (const at of dailyTimes(now, latest, createdAt, cluster.retentionDays, daily)) {
      addClusterSnapshot(state, automatedClusterSnapshot(state, cluster, automatedSnapshotId(cluster.id, at), at));
    }
  }
  for (const manual of spec.snapshots.manual) {
    const encrypted = manual.encrypted ?? spec.encrypted;
    addClusterSnapshot(state, {
      id: manual.id,
      arn: rdsArn(region, accountId, 'cluster-snapshot', manual.id),
      accountId,
      type: 'manual',
      cluster,
      createdAt: world.ago(manual.age),
      encrypted,
      kmsKeyId: encrypted ? (kmsKeyId ?? kmsKeyArn(accountId, region)) : undefined,
      tags: { ...spec.tags, ...manual.tags },
      restore: [...(manual.public ? ['all'] : []), ...manual.sharedWith],
      deleted: false,
    });
  }
}

function seedCopies(world: World, state: RdsRegionState, spec: CopyScenario, path: string): Problem[] {
  const now = world.now();
  const source = regionState(world, state.accountId, spec.sourceRegion);
  let sources: RdsSnapshot[];
  if (spec.sourceInstance !== undefined) {
    const instance = source.instanceIndex.get(spec.sourceInstance);
    if (!instance) return [{ file: 'scenario', path: `${path}.sourceInstance`, message: `no DB instance ${spec.sourceInstance} in ${spec.sourceRegion}` }];
    sources = instance.automated.slice(-spec.count);
  } else {
    const snapshot = source.snapshotIndex.get(spec.sourceSnapshot as string);
    if (!snapshot) return [{ file: 'scenario', path: `${path}.sourceSnapshot`, message: `no DB snapshot ${spec.sourceSnapshot} in ${spec.sourceRegion}` }];
    sources = [snapshot];
  }
  for (const from of sources) {
    const createdAt = new Date(from.createdAt.getTime() + spec.after);
    if (createdAt > now) continue;
    const id = spec.id ?? `${from.id.replace(/^rds:/, '')}-copy`;
    const encrypted = from.encrypted || spec.kmsKeyId !== undefined;
    addSnapshot(state, {
      id,
      arn: rdsArn(state.region, state.accountId, 'snapshot', id),
      accountId: state.accountId,
      region: state.region,
      type: 'manual',
      origin: from.origin,
      createdAt,
      availableAt: createdAt,
      originalCreatedAt: from.originalCreatedAt,
      encrypted,
      kmsKeyId: encrypted ? kmsKeyArn(state.accountId, state.region, spec.kmsKeyId) : undefined,
      tags: { ...(spec.copyTags ? from.tags : {}), ...spec.tags },
      sourceRegion: spec.sourceRegion,
      sourceSnapshotArn: from.arn,
      restore: [],
      data: from.data,
      deleted: false,
    });
  }
  return [];
}

/** The most recent backup-window instant at or before `now`. */
function latestDailyAt(now: Date, atMinutes: number): Date {
  return nextDailyAt(new Date(now.getTime() - DAY_MS + 1), atMinutes);
}

/** Automated snapshot times, oldest first: limited by retention, `keep`, the owner's age and missing days. */
function dailyTimes(now: Date, latest: Date, createdAt: Date, retentionDays: number, daily: DailyScenario): Date[] {
  const oldestMs = Math.max(createdAt.getTime(), now.getTime() - retentionDays * DAY_MS, daily.keep === undefined ? 0 : now.getTime() - daily.keep);
  const today = Math.floor(now.getTime() / DAY_MS);
  const missing = new Set(daily.missingDaysAgo);
  const times: Date[] = [];
  for (let at = latest.getTime(); at >= oldestMs; at -= DAY_MS) {
    if (!missing.has(today - Math.floor(at / DAY_MS))) times.push(new Date(at));
  }
  return times.reverse();
}

function minutesOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}
