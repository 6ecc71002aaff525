/** RDS operations on DB snapshots: describe, share, copy (across regions), create and delete. */
import { AwsError, queryBool, queryString, xmlList } from './protocol.js';
import type { OperationHandler } from './service.js';
import { identifierParam, otherRegions, regionOf, snapshotScope } from './rds-instances.js';
import {
  addSnapshot,
  captureData,
  findInstance,
  findSnapshot,
  instanceStatus,
  kmsKeyArn,
  originOf,
  parseRdsArn,
  rdsArn,
  removeSnapshot,
  snapshotStatus,
  type RdsRegionState,
  type RdsSnapshot,
} from './rds-model.js';
import { maxRecords, pageOf, requestFilters, requestStrings, requestTags, snapshotAttributesXml, snapshotXml, type RequestFilter } from './rds-shapes.js';

/** AWS lets a manual snapshot be shared with at most 20 accounts. */
const MAX_SHARED_ACCOUNTS = 20;

function snapshotMatches(snapshot: RdsSnapshot, filters: RequestFilter[]): boolean {
  const any = (values: string[], ...candidates: string[]) => values.some((v) => candidates.some((c) => c.toLowerCase() === v.toLowerCase()));
  return filters.every(({ name, values }) => {
    switch (name) {
      case 'db-instance-id':
        return any(values, snapshot.origin.instanceId, rdsArn(snapshot.region, snapshot.accountId, 'db', snapshot.origin.instanceId));
      case 'db-snapshot-id':
        return any(values, snapshot.id, snapshot.arn);
      case 'dbi-resource-id':
        return any(values, snapshot.origin.dbiResourceId);
      case 'snapshot-type':
        return any(values, snapshot.type);
      default:
        return any(values, snapshot.origin.engine);
    }
  });
}

/** A snapshot the caller owns, by identifier or ARN: only owners share, describe attributes or delete. */
function ownSnapshot(state: RdsRegionState, ref: string): RdsSnapshot {
  const arn = ref.startsWith('arn:') ? parseRdsArn(ref) : undefined;
  const mine = !arn || (arn.type === 'snapshot' && arn.accountId === state.accountId && arn.region === state.region);
  const snapshot = mine ? state.snapshotIndex.get(arn ? arn.id : ref.toLowerCase()) : undefined;
  if (!snapshot) throw new AwsError('DBSnapshotNotFound', `DBSnapshot ${ref} not found.`, 404);
  return snapshot;
}

function assertNewSnapshotId(state: RdsRegionState, id: string): void {
  if (state.snapshotIndex.has(id)) {
    throw new AwsError('DBSnapshotAlreadyExists', `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`, 400);
  }
}

export const snapshotOperations: Record<string, OperationHandler> = {
  DescribeDBSnapshots: (call) => {
    const state = regionOf(call);
    const now = call.world.now();
    const viewer = state.accountId;
    const filters = requestFilters(call.params, ['db-instance-id', 'db-snapshot-id', 'dbi-resource-id', 'snapshot-type', 'engine']);
    const max = maxRecords(call.params);
    const scope = snapshotScope(call);
    const instanceId = queryString(call.params, 'DBInstanceIdentifier')?.toLowerCase();
    const resourceId = queryString(call.params, 'DbiResourceId');
    const keep = (s: RdsSnapshot) =>
      !s.deleted &&
      (s.accountId === viewer ? scope.own(s) : scope.other(s, viewer)) &&
      (instanceId === undefined || s.origin.instanceId === instanceId) &&
      (resourceId === undefined || s.origin.dbiResourceId === resourceId) &&
      snapshotMatches(s, filters);
    const id = queryString(call.params, 'DBSnapshotIdentifier');
    if (id !== undefined) {
      const snapshot = findSnapshot(call.world, state, id);
      return { DBSnapshots: xmlList(keep(snapshot) ? [snapshotXml(snapshot, now, viewer)] : [], 'DBSnapshot') };
    }
    const segments = [state.snapshots, ...(scope.others ? otherRegions(call).map((s) => s.snapshots) : [])];
    const page = pageOf(segments, keep, queryString(call.params, 'Marker'), max);
    return { DBSnapshots: xmlList(page.items.map((s) => snapshotXml(s, now, viewer)), 'DBSnapshot'), Marker: page.marker };
  },

  DescribeDBSnapshotAttributes: (call) => snapshotAttributesXml(ownSnapshot(regionOf(call), queryString(call.params, 'DBSnapshotIdentifier') ?? '')),

  ModifyDBSnapshotAttribute: (call) => {
    const state = regionOf(call);
    const snapshot = ownSnapshot(state, queryString(call.params, 'DBSnapshotIdentifier') ?? '');
    const attribute = queryString(call.params, 'AttributeName');
    if (attribute !== 'restore') throw new AwsError('InvalidParameterValue', `Invalid snapshot attribute name: ${attribute ?? ''}. The only supported attribute is restore.`, 400);
    if (snapshot.type === 'automated') throw new AwsError('InvalidDBSnapshotState', 'Automated snapshots cannot be shared; copy the snapshot and share the copy.', 400);
    if (snapshotStatus(snapshot, call.world.now()) !== 'available') throw new AwsError('InvalidDBSnapshotState', `Snapshot ${snapshot.id} is not in the available state.`, 400);
    const add = requestStrings(call.params, 'ValuesToAdd');
    const remove = new Set(requestStrings(call.params, 'ValuesToRemove'));
    for (const value of [...add, ...remove]) {
      if (value !== 'all' && !/^\d{12}$/.test(value)) throw new AwsError('InvalidParameterValue', `Invalid account id or 'all': ${value}`, 400);
    }
    if (add.includes('all') && snapshot.encrypted) {
      throw new AwsError('InvalidParameterValue', 'Encrypted snapshots cannot be made public; share them with specific accounts instead.', 400);
    }
    const restore = [...new Set([...snapshot.restore, ...add])].filter((v) => !remove.has(v));
    if (restore.filter((v) => v !== 'all').length > MAX_SHARED_ACCOUNTS) {
      throw new AwsError('SharedSnapshotQuotaExceeded', `A manual snapshot can be shared with at most ${MAX_SHARED_ACCOUNTS} accounts.`, 400);
    }
    snapshot.restore = restore;
    return snapshotAttributesXml(snapshot);
  },

  /** Called in the destination region; a snapshot in another region (or account) is named by its ARN. */
  CopyDBSnapshot: (call) => {
    const { world, params } = call;
    const state = regionOf(call);
    const now = world.now();
    const sourceRef = queryString(params, 'SourceDBSnapshotIdentifier');
    if (!sourceRef) throw new AwsError('MissingParameter', 'The request must contain the parameter SourceDBSnapshotIdentifier.', 400);
    const targetId = identifierParam(params, 'TargetDBSnapshotIdentifier', 255);
    const source = findSnapshot(world, state, sourceRef, { crossRegion: true });
    assertNewSnapshotId(state, targetId);
    if (snapshotStatus(source, now) !== 'available') throw new AwsError('InvalidDBSnapshotState', `Snapshot ${source.id} is not in the available state.`, 400);
    const crossRegion = source.region !== state.region;
    const crossAccount = source.accountId !== state.accountId;
    const keyId = queryString(params, 'KmsKeyId');
    if (source.encrypted && crossRegion && !keyId) throw new AwsError('InvalidParameterValue', 'Must specify new KMS key for cross region encrypted snapshot copy.', 400);
    const encrypted = source.encrypted || keyId !== undefined;
    const copy: RdsSnapshot = {
      id: targetId,
      arn: rdsArn(state.region, state.accountId, 'snapshot', targetId),
      accountId: state.accountId,
      region: state.region,
      type: 'manual',
      origin: source.origin,
      createdAt: now,
      availableAt: new Date(now.getTime() + state.timings.copyMs),
      originalCreatedAt: source.originalCreatedAt,
      encrypted,
      kmsKeyId: encrypted ? (keyId ? kmsKeyArn(state.accountId, state.region, keyId) : source.kmsKeyId) : undefined,
      tags: { ...(queryBool(params, 'CopyTags') ? source.tags : {}), ...requestTags(params) },
      // AWS fills these only for copies across regions or accounts.
      sourceRegion: crossRegion ? source.region : undefined,
      sourceSnapshotArn: crossRegion || crossAccount ? source.arn : undefined,
      restore: [],
      data: source.data,
      deleted: false,
    };
    addSnapshot(state, copy);
    return { DBSnapshot: snapshotXml(copy, now, state.accountId) };
  },

  CreateDBSnapshot: async (call) => {
    const { world, params } = call;
    const state = regionOf(call);
    const now = world.now();
    const id = identifierParam(params, 'DBSnapshotIdentifier', 255);
    const instance = findInstance(state, queryString(params, 'DBInstanceIdentifier') ?? '');
    if (instance.clusterId) {
      throw new AwsError('InvalidParameterValue', 'The specified instance is a member of a cluster and a snapshot cannot be created directly on the instance. Please use the CreateDBClusterSnapshot API instead.', 400);
    }
    if (instanceStatus(instance, now) !== 'available') {
      throw new AwsError('InvalidDBInstanceState', `Cannot create a snapshot because the database instance ${instance.id} is not currently in the available state.`, 400);
    }
    assertNewSnapshotId(state, id);
    const requested = requestTags(params);
    const snapshot: RdsSnapshot = {
      id,
      arn: rdsArn(state.region, state.accountId, 'snapshot', id),
      accountId: state.accountId,
      region: state.region,
      type: 'manual',
      origin: originOf(instance),
      createdAt: now,
      availableAt: new Date(now.getTime() + state.timings.snapshotMs),
      originalCreatedAt: now,
      encrypted: instance.encrypted,
      kmsKeyId: instance.kmsKeyId,
      tags: { ...(instance.copyTagsToSnapshot && Object.keys(requested).length === 0 ? instance.tags : {}), ...requested },
      restore: [],
      data: await captureData(instance, now),
      deleted: false,
    };
    addSnapshot(state, snapshot);
    return { DBSnapshot: snapshotXml(snapshot, now, state.accountId) };
  },

  DeleteDBSnapshot: (call) => {
    const state = regionOf(call);
    const now = call.world.now();
    const snapshot = ownSnapshot(state, queryString(call.params, 'DBSnapshotIdentifier') ?? '');
    if (snapshot.type === 'automated') throw new AwsError('InvalidDBSnapshotState', 'Automated snapshots are deleted by RDS when they expire; only manual snapshots can be deleted.', 400);
    if (snapshotStatus(snapshot, now) !== 'available') throw new AwsError('InvalidDBSnapshotState', `Snapshot ${snapshot.id} is not in the available state.`, 400);
    removeSnapshot(state, snapshot);
    return { DBSnapshot: { ...snapshotXml(snapshot, now, state.accountId), Status: 'deleted' } };
  },
};
