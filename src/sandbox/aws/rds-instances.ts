/** RDS operations on DB instances, Aurora clusters and tags. */
import { AwsError, queryBool, queryNumber, queryString, xmlList } from './protocol.js';
import type { AwsCall, OperationHandler } from './service.js';
import {
  addInstance,
  addSnapshot,
  captureData,
  findInstance,
  findSnapshot,
  instanceStatus,
  nextDailyAt,
  originOf,
  parseRdsArn,
  rdsArn,
  regionState,
  resourceId,
  settle,
  snapshotStatus,
  visibleTo,
  type RdsClusterSnapshot,
  type RdsInstance,
  type RdsRegionState,
} from './rds-model.js';
import { MariaDbBackend, mariaDbHomeOf, servedByMariaDb } from './rds-mariadb.js';
import { PostgresBackend } from './rds-postgres.js';
import {
  clusterSnapshotXml,
  clusterXml,
  instanceXml,
  maxRecords,
  pageOf,
  requestFilters,
  requestStrings,
  requestTags,
  tagListXml,
  type RequestFilter,
} from './rds-shapes.js';

/** The caller's account and region, caught up to the world clock. */
export function regionOf(call: AwsCall): RdsRegionState {
  const state = regionState(call.world, call.account.id, call.region);
  settle(state, call.world.now());
  return state;
}

/** Other accounts' state in the caller's region, in a stable order (for shared and public snapshots). */
export function otherRegions(call: AwsCall): RdsRegionState[] {
  return [...call.world.accounts.keys()]
    .filter((id) => id !== call.account.id)
    .sort()
    .map((id) => {
      const state = regionState(call.world, id, call.region);
      settle(state, call.world.now());
      return state;
    });
}

const IDENTIFIER = /^[a-zA-Z](?:-?[a-zA-Z0-9])*$/;

/** A required identifier parameter, validated as RDS does and stored lowercase. */
export function identifierParam(params: AwsCall['params'], name: string, maxLength = 63): string {
  const value = queryString(params, name);
  if (value === undefined || value === '') throw new AwsError('MissingParameter', `The request must contain the parameter ${name}.`, 400);
  if (!IDENTIFIER.test(value) || value.length > maxLength) {
    throw new AwsError('InvalidParameterValue', `The parameter ${name} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`, 400);
  }
  return value.toLowerCase();
}

function matchesAny(values: string[], ...candidates: Array<string | undefined>): boolean {
  return values.some((v) => candidates.some((c) => c !== undefined && c.toLowerCase() === v.toLowerCase()));
}

function instanceMatches(instance: RdsInstance, filters: RequestFilter[]): boolean {
  return filters.every(({ name, values }) => {
    switch (name) {
      case 'db-instance-id':
        return matchesAny(values, instance.id, instance.arn);
      case 'db-cluster-id':
        return matchesAny(values, instance.clusterId, instance.clusterId && rdsArn(instance.region, instance.accountId, 'cluster', instance.clusterId));
      case 'dbi-resource-id':
        return matchesAny(values, instance.dbiResourceId);
      default:
        return matchesAny(values, instance.engine);
    }
  });
}

function minutesOfWindow(window: string | undefined): number | undefined {
  const match = window === undefined ? null : /^([01]\d|2[0-3]):([0-5]\d)-/.exec(window);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

export const instanceOperations: Record<string, OperationHandler> = {
  DescribeDBInstances: (call) => {
    const state = regionOf(call);
    const now = call.world.now();
    const filters = requestFilters(call.params, ['db-instance-id', 'db-cluster-id', 'dbi-resource-id', 'engine']);
    const max = maxRecords(call.params);
    const id = queryString(call.params, 'DBInstanceIdentifier');
    if (id !== undefined) {
      const instance = findInstance(state, id.startsWith('arn:') ? (parseRdsArn(id)?.id ?? id) : id);
      return { DBInstances: xmlList(instanceMatches(instance, filters) ? [instanceXml(instance, now)] : [], 'DBInstance') };
    }
    const page = pageOf([state.instances], (i) => !i.deleted && instanceMatches(i, filters), queryString(call.params, 'Marker'), max);
    return { DBInstances: xmlList(page.items.map((i) => instanceXml(i, now)), 'DBInstance'), Marker: page.marker };
  },

  RestoreDBInstanceFromDBSnapshot: async (call) => {
    const { world, params } = call;
    const state = regionOf(call);
    const now = world.now();
    const id = identifierParam(params, 'DBInstanceIdentifier');
    if (queryString(params, 'DBClusterSnapshotIdentifier') !== undefined) {
      throw new AwsError('InvalidParameterValue', 'The sandbox restores DB instances from DB snapshots only, not from DB cluster snapshots.', 400);
    }
    const ref = queryString(params, 'DBSnapshotIdentifier');
    if (!ref) throw new AwsError('MissingParameter', 'The request must contain the parameter DBSnapshotIdentifier.', 400);
    if (state.instanceIndex.has(id)) throw new AwsError('DBInstanceAlreadyExists', 'DB instance already exists', 400);
    const snapshot = findSnapshot(world, state, ref);
    if (snapshotStatus(snapshot, now) !== 'available') throw new AwsError('InvalidDBSnapshotState', `Snapshot ${snapshot.id} is not in the available state.`, 400);
    const origin = snapshot.origin;
    const availableAt = new Date(now.getTime() + state.timings.restoreMs);
    const backupAtMinutes = minutesOfWindow(queryString(params, 'PreferredBackupWindow') ?? origin.backupWindow) ?? 240;
    const retentionDays = queryNumber(params, 'BackupRetentionPeriod') ?? origin.retentionDays;
    const instance: RdsInstance = {
      id,
      arn: rdsArn(state.region, state.accountId, 'db', id),
      accountId: state.accountId,
      region: state.region,
      engine: origin.engine,
      engineVersion: origin.engineVersion,
      instanceClass: queryString(params, 'DBInstanceClass') ?? origin.instanceClass,
      allocatedStorage: queryNumber(params, 'AllocatedStorage') ?? origin.allocatedStorage,
      masterUsername: origin.masterUsername,
      dbName: queryString(params, 'DBName') ?? origin.dbName,
      availabilityZone: queryString(params, 'AvailabilityZone') ?? `${state.region}a`,
      multiAZ: queryBool(params, 'MultiAZ') ?? false,
      retentionDays,
      backupAtMinutes,
      encrypted: snapshot.encrypted,
      kmsKeyId: snapshot.kmsKeyId,
      deletionProtection: queryBool(params, 'DeletionProtection') ?? false,
      publiclyAccessible: queryBool(params, 'PubliclyAccessible') ?? false,
      copyTagsToSnapshot: queryBool(params, 'CopyTagsToSnapshot') ?? false,
      createdAt: now,
      availableAt,
      tags: requestTags(params),
      dbiResourceId: resourceId('db', world.id(`dbi:${state.accountId}:${state.region}:${id}`)),
      vpcSecurityGroupIds: requestStrings(params, 'VpcSecurityGroupIds'),
      subnetGroupName: queryString(params, 'DBSubnetGroupName') ?? 'default',
      pending: {},
      nextBackupAt: retentionDays > 0 ? nextDailyAt(availableAt, backupAtMinutes) : undefined,
      automated: [],
      deleted: false,
    };
    if (snapshot.data && (origin.engine === 'postgres' || servedByMariaDb(origin.engine))) {
      instance.source = snapshot.data;
      const backend = origin.engine === 'postgres' ? await PostgresBackend.listen(snapshot.data) : await MariaDbBackend.listen(snapshot.data, mariaDbHomeOf(world));
      world.onClose(() => backend.close());
      if (backend instanceof PostgresBackend) backend.warm();
      instance.backend = backend;
    }
    addInstance(state, instance);
    return { DBInstance: instanceXml(instance, now) };
  },

  DeleteDBInstance: async (call) => {
    const { world, params } = call;
    const state = regionOf(call);
    const now = world.now();
    const instance = findInstance(state, queryString(params, 'DBInstanceIdentifier') ?? '');
    if (instance.deletingSince) throw new AwsError('InvalidDBInstanceState', `Instance ${instance.id} is already being deleted.`, 400);
    if (instance.deletionProtection) {
      throw new AwsError('InvalidParameterCombination', 'Cannot delete protected DB Instance, please disable deletion protection and try again.', 400);
    }
    const skipFinal = queryBool(params, 'SkipFinalSnapshot') ?? false;
    const finalId = queryString(params, 'FinalDBSnapshotIdentifier');
    if (!instance.clusterId) {
      if (!skipFinal && !finalId) throw new AwsError('InvalidParameterCombination', 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.', 400);
      if (skipFinal && finalId) throw new AwsError('InvalidParameterCombination', 'FinalDBSnapshotIdentifier cannot be specified when SkipFinalSnapshot is enabled.', 400);
    }
    if (finalId && !instance.clusterId) {
      const snapshotId = identifierParam(params, 'FinalDBSnapshotIdentifier', 255);
      if (state.snapshotIndex.has(snapshotId)) throw new AwsError('DBSnapshotAlreadyExists', `Cannot create the snapshot because a snapshot with the identifier ${snapshotId} already exists.`, 400);
      addSnapshot(state, {
        id: snapshotId,
        arn: rdsArn(state.region, state.accountId, 'snapshot', snapshotId),
        accountId: state.accountId,
        region: state.region,
        type: 'manual',
        origin: originOf(instance),
        createdAt: now,
        availableAt: new Date(now.getTime() + state.timings.snapshotMs),
        originalCreatedAt: now,
        encrypted: instance.encrypted,
        kmsKeyId: instance.kmsKeyId,
        tags: instance.copyTagsToSnapshot ? instance.tags : {},
        restore: [],
        data: await captureData(instance, now),
        deleted: false,
      });
    }
    instance.deletingSince = now;
    instance.goneAt = new Date(now.getTime() + state.timings.deleteMs);
    state.deleting.add(instance);
    const cluster = instance.clusterId ? state.clusterIndex.get(instance.clusterId) : undefined;
    if (cluster) cluster.members = cluster.members.filter((m) => m !== instance.id);
    // A deleting instance stops accepting connections at once.
    await instance.backend?.close();
    return { DBInstance: instanceXml(instance, now) };
  },

  ModifyDBInstance: (call) => {
    const { world, params } = call;
    const state = regionOf(call);
    const now = world.now();
    const instance = findInstance(state, queryString(params, 'DBInstanceIdentifier') ?? '');
    const status = instanceStatus(instance, now);
    if (status !== 'available') throw new AwsError('InvalidDBInstanceState', `Database instance is not in available state (it is ${status}).`, 400);
    const applyImmediately = queryBool(params, 'ApplyImmediately') ?? false;
    const retention = queryNumber(params, 'BackupRetentionPeriod');
    if (retention !== undefined) {
      if (instance.clusterId) {
        throw new AwsError('InvalidParameterCombination', 'The requested DB Instance is a member of a DB Cluster. Set backup retention period for the DB Cluster.', 400);
      }
      if (!Number.isInteger(retention) || retention < 0 || retention > 35) {
        throw new AwsError('InvalidParameterValue', `Invalid backup retention period: ${retention}. Must be between 0 and 35.`, 400);
      }
    }
    const deletionProtection = queryBool(params, 'DeletionProtection');
    if (deletionProtection !== undefined) instance.deletionProtection = deletionProtection;
    const publiclyAccessible = queryBool(params, 'PubliclyAccessible');
    if (publiclyAccessible !== undefined) instance.publiclyAccessible = publiclyAccessible;
    const copyTags = queryBool(params, 'CopyTagsToSnapshot');
    if (copyTags !== undefined) instance.copyTagsToSnapshot = copyTags;
    // Retention changes apply as soon as possible whatever ApplyImmediately says, as on AWS.
    if (retention !== undefined && retention !== instance.retentionDays) {
      if (instance.retentionDays === 0) instance.nextBackupAt = nextDailyAt(now, instance.backupAtMinutes);
      instance.retentionDays = retention;
      instance.origin = undefined;
    }
    const multiAZ = queryBool(params, 'MultiAZ');
    const instanceClass = queryString(params, 'DBInstanceClass');
    if (multiAZ !== undefined) instance.pending = { ...instance.pending, multiAZ };
    if (instanceClass !== undefined) instance.pending = { ...instance.pending, instanceClass };
    // Without ApplyImmediately, class and Multi-AZ changes wait for the maintenance window (never, here).
    if (applyImmediately && (instance.pending.multiAZ !== undefined || instance.pending.instanceClass !== undefined)) {
      instance.multiAZ = instance.pending.multiAZ ?? instance.multiAZ;
      instance.instanceClass = instance.pending.instanceClass ?? instance.instanceClass;
      instance.pending = {};
      instance.origin = undefined;
      instance.modifyingUntil = new Date(now.getTime() + state.timings.modifyMs);
    }
    return { DBInstance: instanceXml(instance, now) };
  },

  DescribeDBClusters: (call) => {
    const state = regionOf(call);
    const now = call.world.now();
    const filters = requestFilters(call.params, ['db-cluster-id', 'engine']);
    const max = maxRecords(call.params);
    const id = queryString(call.params, 'DBClusterIdentifier');
    const keep = (c: (typeof state.clusters)[number]) =>
      filters.every(({ name, values }) => (name === 'engine' ? matchesAny(values, c.engine) : matchesAny(values, c.id, c.arn)));
    if (id !== undefined) {
      const cluster = state.clusterIndex.get((id.startsWith('arn:') ? parseRdsArn(id)?.id : id)?.toLowerCase() ?? '');
      if (!cluster) throw new AwsError('DBClusterNotFoundFault', `DBCluster ${id} not found.`, 404);
      return { DBClusters: xmlList(keep(cluster) ? [clusterXml(cluster, state.region, now)] : [], 'DBCluster') };
    }
    const page = pageOf([state.clusters], keep, queryString(call.params, 'Marker'), max);
    return { DBClusters: xmlList(page.items.map((c) => clusterXml(c, state.region, now)), 'DBCluster'), Marker: page.marker };
  },

  DescribeDBClusterSnapshotAttributes: (call) => {
    const state = regionOf(call);
    const id = (queryString(call.params, 'DBClusterSnapshotIdentifier') ?? '').toLowerCase();
    const snapshot = state.clusterSnapshotIndex.get(id);
    if (!snapshot || snapshot.deleted || snapshot.accountId !== state.accountId) {
      throw new AwsError('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${id} not found.`, 404);
    }
    return {
      DBClusterSnapshotAttributesResult: {
        DBClusterSnapshotIdentifier: snapshot.id,
        DBClusterSnapshotAttributes: xmlList([{ AttributeName: 'restore', AttributeValues: xmlList(snapshot.restore, 'AttributeValue') }], 'DBClusterSnapshotAttribute'),
      },
    };
  },

  DescribeDBClusterSnapshots: (call) => {
    const state = regionOf(call);
    const viewer = state.accountId;
    const filters = requestFilters(call.params, ['db-cluster-id', 'db-cluster-snapshot-id', 'snapshot-type', 'engine']);
    const max = maxRecords(call.params);
    const scope = snapshotScope(call);
    const clusterId = queryString(call.params, 'DBClusterIdentifier')?.toLowerCase();
    const keep = (s: RdsClusterSnapshot) =>
      !s.deleted &&
      (s.accountId === viewer ? scope.own(s) : scope.other(s, viewer)) &&
      (clusterId === undefined || s.cluster.id === clusterId || s.cluster.arn === clusterId) &&
      filters.every(({ name, values }) => {
        if (name === 'db-cluster-id') return matchesAny(values, s.cluster.id, s.cluster.arn);
        if (name === 'db-cluster-snapshot-id') return matchesAny(values, s.id, s.arn);
        if (name === 'snapshot-type') return matchesAny(values, s.type);
        return matchesAny(values, s.cluster.engine);
      });
    const id = queryString(call.params, 'DBClusterSnapshotIdentifier');
    if (id !== undefined) {
      const arn = id.startsWith('arn:') ? parseRdsArn(id) : undefined;
      const owner = arn ? regionState(call.world, arn.accountId, arn.region) : state;
      const snapshot = owner.clusterSnapshotIndex.get(arn ? arn.id : id.toLowerCase());
      if (!snapshot || (snapshot.accountId !== viewer && !visibleTo(snapshot, viewer))) {
        throw new AwsError('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${id} not found.`, 404);
      }
      return { DBClusterSnapshots: xmlList(keep(snapshot) ? [clusterSnapshotXml(snapshot, state.region, viewer)] : [], 'DBClusterSnapshot') };
    }
    const segments = [state.clusterSnapshots, ...(scope.others ? otherRegions(call).map((s) => s.clusterSnapshots) : [])];
    const page = pageOf(segments, keep, queryString(call.params, 'Marker'), max);
    return { DBClusterSnapshots: xmlList(page.items.map((s) => clusterSnapshotXml(s, state.region, viewer)), 'DBClusterSnapshot'), Marker: page.marker };
  },

  ListTagsForResource: (call) => ({ TagList: tagListXml(taggedResource(call).tags()) }),

  AddTagsToResource: (call) => {
    const resource = taggedResource(call);
    const tags = { ...resource.tags(), ...requestTags(call.params) };
    if (Object.keys(tags).length > 50) throw new AwsError('TagQuotaPerResourceExceeded', 'A resource can have at most 50 tags.', 400);
    // Replaced, never mutated: snapshots may share their instance's tag object.
    resource.setTags(tags);
    return undefined;
  },

  RemoveTagsFromResource: (call) => {
    const resource = taggedResource(call);
    const remove = new Set(requestStrings(call.params, 'TagKeys'));
    resource.setTags(Object.fromEntries(Object.entries(resource.tags()).filter(([key]) => !remove.has(key))));
    return undefined;
  },
};

/**
 * Which snapshots a Describe*Snapshots call returns by owner: SnapshotType `automated`/`manual` are the
 * caller's own; `shared`/`public` (or IncludeShared/IncludePublic without a type) add other accounts'.
 */
export function snapshotScope(call: AwsCall) {
  const type = queryString(call.params, 'SnapshotType');
  if (type !== undefined && !['automated', 'manual', 'shared', 'public', 'awsbackup'].includes(type)) {
    throw new AwsError('InvalidParameterValue', `Invalid snapshot type: ${type}. Must be one of automated, manual, shared, public, awsbackup.`, 400);
  }
  const shared = type === 'shared' || (type === undefined && queryBool(call.params, 'IncludeShared') === true);
  const isPublic = type === 'public' || (type === undefined && queryBool(call.params, 'IncludePublic') === true);
  return {
    others: shared || isPublic,
    own: (s: { type: string; restore: string[] }) =>
      type === undefined ? true : type === 'public' ? s.restore.includes('all') : s.type === type,
    other: (s: { restore: string[] }, viewer: string) => (shared && s.restore.includes(viewer)) || (isPublic && s.restore.includes('all')),
  };
}

interface Tagged {
  tags(): Record<string, string>;
  setTags(tags: Record<string, string>): void;
}

function taggedResource(call: AwsCall): Tagged {
  const state = regionOf(call);
  const name = queryString(call.params, 'ResourceName') ?? '';
  const arn = parseRdsArn(name);
  if (!arn) throw new AwsError('InvalidParameterValue', `Invalid resource name: ${name}`, 400);
  if (arn.accountId !== state.accountId || arn.region !== state.region) {
    throw new AwsError('InvalidParameterValue', `The specified resource name does not match an RDS resource in this region: ${name}`, 400);
  }
  const holder = (resource: { tags: Record<string, string> } | undefined, notFound: () => AwsError): Tagged => {
    if (!resource) throw notFound();
    return { tags: () => resource.tags, setTags: (tags) => (resource.tags = tags) };
  };
  switch (arn.type) {
    case 'db':
      return holder(state.instanceIndex.get(arn.id), () => new AwsError('DBInstanceNotFound', `DBInstance ${arn.id} not found.`, 404));
    case 'snapshot':
      return holder(state.snapshotIndex.get(arn.id), () => new AwsError('DBSnapshotNotFound', `DBSnapshot ${arn.id} not found.`, 404));
    case 'cluster':
      return holder(state.clusterIndex.get(arn.id), () => new AwsError('DBClusterNotFoundFault', `DBCluster ${arn.id} not found.`, 404));
    default:
      return holder(state.clusterSnapshotIndex.get(arn.id), () => new AwsError('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${arn.id} not found.`, 404));
  }
}
