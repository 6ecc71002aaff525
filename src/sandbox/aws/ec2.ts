/**
 * EC2 (ec2Query), the EBS part Vigil reads: regions and their opt-in status, volumes, snapshots and
 * who may restore them, and the snapshot lifecycle (create, copy across regions, delete, tag).
 * Snapshot state is derived from the world clock when described, never from timers.
 */
import type { World } from '../world.js';
import { recordApiCall } from './cloudtrail-events.js';
import {
  addSnapshot,
  COPY_VOLUME_ID,
  defaultEbsKeyArn,
  deleteSnapshot,
  regionState,
  resolveKmsKeyId,
  snapshotStatus,
  snapshotProgress,
  snapshotXml,
  tagSetXml,
  volumeXml,
  type Ec2RegionState,
  type Ec2Snapshot,
  type Ec2Volume,
} from './ec2-model.js';
import {
  compileFilters,
  decodeToken,
  listFrom,
  readFilters,
  readPageSize,
  requireString,
  stringList,
  takePage,
  where,
  type Candidate,
  type Cursor,
  type FilterFields,
} from './ec2-query.js';
import { SNAPSHOT_ID, VOLUME_ID } from './ec2-scenario.js';
import { describeRegions } from './ec2-regions.js';
import { AwsError, queryBool, queryList, queryString, xmlList, type QueryValue } from './protocol.js';
import type { AwsCall, AwsServiceEmulator } from './service.js';

export { ec2RegionScenario, seedEc2 } from './ec2-scenario.js';

type Params = Record<string, QueryValue>;

const SNAPSHOT_PAGE = { min: 5, max: 1000, idsParam: 'SnapshotId', idsWireName: 'snapshotSet' };
const VOLUME_PAGE = { min: 5, max: 500, idsParam: 'VolumeId', idsWireName: 'volumeSet' };
const TAG_PAGE = { min: 5, max: 1000, idsParam: 'ResourceId', idsWireName: 'resourceIdSet' };
const MAX_TAGS_PER_RESOURCE = 50;
const OK = { return: true };

/** Writes are management events: they land in the caller's CloudTrail event history, as in AWS. */
function trail(call: AwsCall, requestParameters: Record<string, unknown>, resourceIds: string[], responseElements?: Record<string, unknown>): void {
  const resources = resourceIds.map((id) => ({ type: id.startsWith('vol-') ? 'AWS::EC2::Volume' : 'AWS::EC2::Snapshot', name: id }));
  recordApiCall(call, { source: 'ec2.amazonaws.com', requestParameters, responseElements, resources });
}

/** CloudTrail's rendering of an ec2Query list. */
function items<T>(list: T[]): { items: T[] } {
  return { items: list };
}

function snapshotFields(now: Date): FilterFields<Ec2Snapshot> {
  return {
    'snapshot-id': (s) => s.snapshotId,
    'volume-id': (s) => s.volumeId,
    'volume-size': (s) => String(s.volumeSizeGiB),
    'owner-id': (s) => s.ownerId,
    status: (s) => snapshotStatus(s, now),
    progress: (s) => snapshotProgress(s, now),
    encrypted: (s) => String(s.encrypted),
    description: (s) => s.description,
    'storage-tier': (s) => s.storageTier,
    'start-time': (s) => s.startedAt.toISOString(),
  };
}

const VOLUME_FIELDS: FilterFields<Ec2Volume> = {
  'volume-id': (v) => v.volumeId,
  status: (v) => (v.instanceId ? 'in-use' : 'available'),
  size: (v) => String(v.sizeGiB),
  'volume-type': (v) => v.volumeType,
  'availability-zone': (v) => v.availabilityZone,
  encrypted: (v) => String(v.encrypted),
  'attachment.instance-id': (v) => v.instanceId,
  'attachment.status': (v) => (v.instanceId ? 'attached' : undefined),
  'create-time': (v) => v.createdAt.toISOString(),
};

/** EC2 answers a region the account has not enabled as if the credentials were unknown there. */
function requireEnabledRegion(call: AwsCall): Ec2RegionState {
  if (!call.account.enabledRegions.includes(call.region)) {
    throw new AwsError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
  }
  return regionState(call.world, call.account.id, call.region);
}

function checkIds(ids: string[], pattern: RegExp, code: string, kind: string): void {
  for (const id of ids) {
    if (!pattern.test(id)) throw new AwsError(code, `Invalid id: "${id}" (expecting "${kind}-...")`, 400);
  }
}

function snapshotNotFound(ids: string[]): AwsError {
  return new AwsError('InvalidSnapshot.NotFound', `The snapshot '${ids.join(', ')}' does not exist.`, 400);
}

function volumeNotFound(ids: string[]): AwsError {
  return new AwsError('InvalidVolume.NotFound', `The volume '${ids.join(', ')}' does not exist.`, 400);
}

/** A snapshot the caller owns in this region, or InvalidSnapshot.NotFound. */
function ownSnapshot(state: Ec2RegionState, snapshotId: string): Ec2Snapshot {
  checkIds([snapshotId], SNAPSHOT_ID, 'InvalidSnapshotID.Malformed', 'snap');
  const snapshot = state.snapshotIndex.get(snapshotId);
  if (!snapshot) throw snapshotNotFound([snapshotId]);
  return snapshot;
}

/** Accounts in a stable order, the caller's first: the order DescribeSnapshots scans owners in. */
function ownerOrder(world: World, callerId: string): string[] {
  return [callerId, ...[...world.accounts.keys()].filter((id) => id !== callerId).sort()];
}

function canRestore(snapshot: Ec2Snapshot, accountId: string): boolean {
  return snapshot.ownerId === accountId || snapshot.public || snapshot.sharedWith.includes(accountId);
}

/** RestorableByUserIds: `all` is public, `self` what the caller owns or was given, an id what the caller shared with it. */
function restorableBy(values: string[], callerId: string): (s: Ec2Snapshot) => boolean {
  return (s) =>
    values.some((value) => {
      if (value === 'all') return s.public;
      if (value === 'self' || value === callerId) return s.ownerId === callerId || s.sharedWith.includes(callerId);
      return s.ownerId === callerId && s.sharedWith.includes(value);
    });
}

function* visibleSnapshots(world: World, region: string, callerId: string, wanted: (ownerId: string) => boolean, from: Cursor): Generator<Candidate<Ec2Snapshot>> {
  const owners = ownerOrder(world, callerId);
  const [startOwner = 0, startIndex = 0] = from;
  for (let o = startOwner; o < owners.length; o++) {
    const ownerId = owners[o] as string;
    if (!wanted(ownerId)) continue;
    const list = regionState(world, ownerId, region).snapshots;
    const alive = ownerId === callerId ? (s: Ec2Snapshot) => !s.deleted : (s: Ec2Snapshot) => !s.deleted && canRestore(s, callerId);
    yield* listFrom(list, o === startOwner ? startIndex : 0, [o], alive);
  }
}

function findSnapshotAnywhere(world: World, region: string, snapshotId: string): Ec2Snapshot | undefined {
  for (const accountId of world.accounts.keys()) {
    const found = regionState(world, accountId, region).snapshotIndex.get(snapshotId);
    if (found) return found;
  }
  return undefined;
}

function describeSnapshots(call: AwsCall) {
  const { world, params, account, region } = call;
  requireEnabledRegion(call);
  const now = world.now();
  const pageSize = readPageSize(params, SNAPSHOT_PAGE);
  const ids = stringList(params, 'SnapshotId');
  checkIds(ids, SNAPSHOT_ID, 'InvalidSnapshotID.Malformed', 'snap');
  const matchesFilters = compileFilters(readFilters(params), snapshotFields(now), (s) => s.tags);
  const ownerIds = stringList(params, 'Owner').map((o) => (o === 'self' ? account.id : o));
  const restorable = stringList(params, 'RestorableBy');
  const isRestorable = restorable.length === 0 ? () => true : restorableBy(restorable, account.id);
  const wanted = (ownerId: string) => ownerIds.length === 0 || ownerIds.includes(ownerId);
  const predicate = (s: Ec2Snapshot) => wanted(s.ownerId) && isRestorable(s) && matchesFilters(s);

  if (ids.length > 0) {
    const found = ids.map((id) => findSnapshotAnywhere(world, region, id));
    const missing = ids.filter((_, i) => found[i] === undefined);
    if (missing.length > 0) throw snapshotNotFound(missing);
    // A snapshot that exists but is not the caller's to restore is left out, not an error.
    const visible = (found as Ec2Snapshot[]).filter((s) => canRestore(s, account.id) && predicate(s));
    return { snapshotSet: xmlList(visible.map((s) => snapshotXml(s, now)), 'item') };
  }

  const candidates = visibleSnapshots(world, region, account.id, wanted, decodeToken(params, 'snapshots', 2));
  const page = takePage(where(candidates, predicate), pageSize, 'snapshots');
  return { snapshotSet: xmlList(page.items.map((s) => snapshotXml(s, now)), 'item'), nextToken: page.nextToken };
}

function describeVolumes(call: AwsCall) {
  const { params } = call;
  const state = requireEnabledRegion(call);
  const pageSize = readPageSize(params, VOLUME_PAGE);
  const ids = stringList(params, 'VolumeId');
  checkIds(ids, VOLUME_ID, 'InvalidVolumeID.Malformed', 'vol');
  const matches = compileFilters(readFilters(params), VOLUME_FIELDS, (v) => v.tags);
  if (ids.length > 0) {
    const missing = ids.filter((id) => !state.volumeIndex.has(id));
    if (missing.length > 0) throw volumeNotFound(missing);
    const volumes = ids.map((id) => state.volumeIndex.get(id) as Ec2Volume).filter(matches);
    return { volumeSet: xmlList(volumes.map(volumeXml), 'item') };
  }
  const from = decodeToken(params, 'volumes', 1);
  const page = takePage(where(listFrom(state.volumes, from[0] ?? 0, [], () => true), matches), pageSize, 'volumes');
  return { volumeSet: xmlList(page.items.map(volumeXml), 'item'), nextToken: page.nextToken };
}

interface TagDescription {
  resourceId: string;
  resourceType: 'volume' | 'snapshot';
  key: string;
  value: string;
}

interface Tagged {
  id: string;
  tags: Record<string, string>;
  alive: boolean;
}

/** Volumes, then snapshots, each tag one item: the cursor is `[source, resource, tag]`. */
function* tagDescriptions(state: Ec2RegionState, from: Cursor): Generator<Candidate<TagDescription>> {
  const sources = [
    { type: 'volume' as const, length: () => state.volumes.length, at: (i: number): Tagged => { const v = state.volumes[i] as Ec2Volume; return { id: v.volumeId, tags: v.tags, alive: true }; } },
    { type: 'snapshot' as const, length: () => state.snapshots.length, at: (i: number): Tagged => { const s = state.snapshots[i] as Ec2Snapshot; return { id: s.snapshotId, tags: s.tags, alive: !s.deleted }; } },
  ];
  const [startSource = 0, startIndex = 0, startTag = 0] = from;
  for (let s = startSource; s < sources.length; s++) {
    const source = sources[s] as (typeof sources)[number];
    for (let i = s === startSource ? startIndex : 0; i < source.length(); i++) {
      const resource = source.at(i);
      if (!resource.alive) continue;
      const entries = Object.entries(resource.tags);
      for (let t = s === startSource && i === startIndex ? startTag : 0; t < entries.length; t++) {
        const [key, value] = entries[t] as [string, string];
        yield { item: { resourceId: resource.id, resourceType: source.type, key, value }, cursor: [s, i, t] };
      }
    }
  }
}

const TAG_FIELDS: FilterFields<TagDescription> = {
  key: (t) => t.key,
  value: (t) => t.value,
  'resource-id': (t) => t.resourceId,
  'resource-type': (t) => t.resourceType,
};

function describeTags(call: AwsCall) {
  const { params } = call;
  const state = requireEnabledRegion(call);
  const pageSize = readPageSize(params, TAG_PAGE);
  const matches = compileFilters(readFilters(params), TAG_FIELDS, (t) => ({ [t.key]: t.value }));
  const page = takePage(where(tagDescriptions(state, decodeToken(params, 'tags', 3)), matches), pageSize, 'tags');
  return { tagSet: xmlList(page.items, 'item'), nextToken: page.nextToken };
}

interface TagInput {
  key: string;
  value?: string;
}

function readTags(entries: QueryValue[]): TagInput[] {
  return entries.map((entry) => {
    const tag = typeof entry === 'object' && !Array.isArray(entry) ? entry : {};
    return { key: queryString(tag, 'Key') ?? '', value: queryString(tag, 'Value') };
  });
}

function validateTags(tags: TagInput[]): void {
  for (const { key, value } of tags) {
    if (key === '' || key.length > 128) throw new AwsError('InvalidParameterValue', `Tag key must be between 1 and 128 characters: '${key}'`, 400);
    if (key.toLowerCase().startsWith('aws:')) throw new AwsError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`, 400);
    if ((value ?? '').length > 256) throw new AwsError('InvalidParameterValue', `Tag value exceeds the maximum length of 256 characters for key '${key}'`, 400);
  }
}

/** TagSpecification.N for a snapshot: anything but ResourceType `snapshot` is refused, as AWS does. */
function snapshotTagSpecifications(params: Params): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const entry of queryList(params, 'TagSpecification')) {
    const spec = typeof entry === 'object' && !Array.isArray(entry) ? entry : {};
    const type = queryString(spec, 'ResourceType');
    if (type !== 'snapshot') throw new AwsError('InvalidParameterValue', `'${type ?? ''}' is not a valid taggable resource type for this operation.`, 400);
    const parsed = readTags(queryList(spec, 'Tag'));
    validateTags(parsed);
    for (const { key, value } of parsed) tags[key] = value ?? '';
  }
  return tags;
}

function taggable(state: Ec2RegionState, resourceId: string): { tags: Record<string, string> } {
  if (resourceId.startsWith('snap-')) return ownSnapshot(state, resourceId);
  if (resourceId.startsWith('vol-')) {
    checkIds([resourceId], VOLUME_ID, 'InvalidVolumeID.Malformed', 'vol');
    const volume = state.volumeIndex.get(resourceId);
    if (!volume) throw volumeNotFound([resourceId]);
    return volume;
  }
  throw new AwsError('InvalidID', `The ID '${resourceId}' is not valid`, 400);
}

function createTags(call: AwsCall) {
  const state = requireEnabledRegion(call);
  const resourceIds = stringList(call.params, 'ResourceId');
  if (resourceIds.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter resourceIdSet', 400);
  const tags = readTags(queryList(call.params, 'Tag'));
  if (tags.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter tagSet', 400);
  validateTags(tags);
  const resources = resourceIds.map((id) => taggable(state, id));
  for (const resource of resources) {
    const keys = new Set([...Object.keys(resource.tags), ...tags.map((t) => t.key)]);
    if (keys.size > MAX_TAGS_PER_RESOURCE) throw new AwsError('TagLimitExceeded', `The maximum number of tags per resource is ${MAX_TAGS_PER_RESOURCE}.`, 400);
  }
  for (const resource of resources) for (const { key, value } of tags) resource.tags[key] = value ?? '';
  trail(call, { resourcesSet: items(resourceIds.map((resourceId) => ({ resourceId }))), tagSet: items(tags.map(({ key, value }) => ({ key, value: value ?? '' }))) }, resourceIds);
  return OK;
}

function deleteTags(call: AwsCall) {
  const state = requireEnabledRegion(call);
  const resourceIds = stringList(call.params, 'ResourceId');
  if (resourceIds.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter resourceIdSet', 400);
  const tags = readTags(queryList(call.params, 'Tag'));
  for (const resource of resourceIds.map((id) => taggable(state, id))) {
    // No tags named: every user tag goes. A tag named with a value goes only when the value matches.
    const doomed = tags.length === 0 ? Object.keys(resource.tags).map((key) => ({ key, value: undefined })) : tags;
    for (const { key, value } of doomed) {
      if (value === undefined || resource.tags[key] === value) delete resource.tags[key];
    }
  }
  trail(call, { resourcesSet: items(resourceIds.map((resourceId) => ({ resourceId }))), tagSet: items(tags) }, resourceIds);
  return OK;
}

function createSnapshot(call: AwsCall) {
  const { world, params, account, region } = call;
  const state = requireEnabledRegion(call);
  const volumeId = requireString(params, 'VolumeId');
  checkIds([volumeId], VOLUME_ID, 'InvalidVolumeID.Malformed', 'vol');
  const volume = state.volumeIndex.get(volumeId);
  if (!volume) throw volumeNotFound([volumeId]);
  const tags = snapshotTagSpecifications(params);
  const now = world.now();
  const snapshot: Ec2Snapshot = {
    snapshotId: world.id('snap'),
    ownerId: account.id,
    volumeId,
    volumeSizeGiB: volume.sizeGiB,
    startedAt: now,
    completesAt: new Date(now.getTime() + state.snapshotCompletesAfterMs),
    encrypted: volume.encrypted,
    kmsKeyId: volume.encrypted ? (volume.kmsKeyId ?? defaultEbsKeyArn(account.id, region)) : undefined,
    description: queryString(params, 'Description') ?? '',
    tags,
    storageTier: 'standard',
    public: false,
    sharedWith: [],
    deleted: false,
  };
  addSnapshot(state, snapshot);
  trail(call, { volumeId, description: snapshot.description }, [volumeId, snapshot.snapshotId], { snapshotId: snapshot.snapshotId, status: 'pending' });
  return snapshotXml(snapshot, now);
}

/** Called in the destination region; the source is any snapshot the caller may restore in SourceRegion. */
function copySnapshot(call: AwsCall) {
  const { world, params, account, region } = call;
  const state = requireEnabledRegion(call);
  const sourceRegion = requireString(params, 'SourceRegion');
  const sourceId = requireString(params, 'SourceSnapshotId');
  if (!account.enabledRegions.includes(sourceRegion)) throw new AwsError('InvalidParameterValue', `Invalid value '${sourceRegion}' for SourceRegion.`, 400);
  checkIds([sourceId], SNAPSHOT_ID, 'InvalidSnapshotID.Malformed', 'snap');
  const source = findSnapshotAnywhere(world, sourceRegion, sourceId);
  if (!source || !canRestore(source, account.id)) throw snapshotNotFound([sourceId]);
  const now = world.now();
  if (snapshotStatus(source, now) !== 'completed') {
    throw new AwsError('IncorrectState', `Snapshot ${sourceId} is in an incorrect state (pending); only completed snapshots can be copied.`, 400);
  }
  const requestedEncryption = queryBool(params, 'Encrypted');
  const kmsKeyId = queryString(params, 'KmsKeyId');
  if (kmsKeyId !== undefined && requestedEncryption !== true) {
    throw new AwsError('InvalidParameterDependency', 'The parameter KmsKeyId requires the parameter Encrypted to be set.', 400);
  }
  if (requestedEncryption === false && source.encrypted) {
    throw new AwsError('InvalidParameterCombination', 'Copies of encrypted snapshots are always encrypted: Encrypted cannot be false.', 400);
  }
  const encrypted = source.encrypted || requestedEncryption === true;
  const tags = snapshotTagSpecifications(params);
  const copy: Ec2Snapshot = {
    snapshotId: world.id('snap'),
    ownerId: account.id,
    volumeId: COPY_VOLUME_ID,
    volumeSizeGiB: source.volumeSizeGiB,
    startedAt: now,
    completesAt: new Date(now.getTime() + state.copyCompletesAfterMs),
    encrypted,
    kmsKeyId: encrypted ? (kmsKeyId ? resolveKmsKeyId(account.id, region, kmsKeyId) : defaultEbsKeyArn(account.id, region)) : undefined,
    description: queryString(params, 'Description') ?? `[Copied ${sourceId} from ${sourceRegion}]`,
    tags,
    storageTier: 'standard',
    public: false,
    sharedWith: [],
    deleted: false,
  };
  addSnapshot(state, copy);
  trail(call, { sourceRegion, sourceSnapshotId: sourceId, encrypted, kmsKeyId }, [copy.snapshotId], { snapshotId: copy.snapshotId });
  return { snapshotId: copy.snapshotId, tagSet: tagSetXml(copy.tags) };
}

function removeSnapshot(call: AwsCall) {
  const state = requireEnabledRegion(call);
  const snapshot = ownSnapshot(state, requireString(call.params, 'SnapshotId'));
  deleteSnapshot(state, snapshot);
  trail(call, { snapshotId: snapshot.snapshotId }, [snapshot.snapshotId]);
  return OK;
}

function readAttribute(params: Params, required: boolean): 'createVolumePermission' | 'productCodes' | undefined {
  const attribute = queryString(params, 'Attribute');
  if (attribute === undefined) {
    if (required) throw new AwsError('MissingParameter', 'The request must contain the parameter Attribute', 400);
    return undefined;
  }
  if (attribute === 'createVolumePermission' || attribute === 'productCodes') return attribute;
  throw new AwsError('InvalidParameterValue', `Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`, 400);
}

function describeSnapshotAttribute(call: AwsCall) {
  const state = requireEnabledRegion(call);
  const attribute = readAttribute(call.params, true);
  const snapshot = ownSnapshot(state, requireString(call.params, 'SnapshotId'));
  if (attribute === 'productCodes') return { snapshotId: snapshot.snapshotId, productCodes: '' };
  const permissions = [...(snapshot.public ? [{ group: 'all' }] : []), ...snapshot.sharedWith.map((userId) => ({ userId }))];
  return { snapshotId: snapshot.snapshotId, createVolumePermission: xmlList(permissions, 'item') };
}

interface PermissionChange {
  add: boolean;
  group?: string;
  userId?: string;
}

/** Both shapes AWS accepts: `CreateVolumePermission.Add/Remove.N`, and the older `OperationType` + `UserId.N`/`UserGroup.N`. */
function readPermissionChanges(params: Params): PermissionChange[] {
  const changes: PermissionChange[] = [];
  const modifications = params['CreateVolumePermission'];
  if (modifications && typeof modifications === 'object' && !Array.isArray(modifications)) {
    for (const [key, add] of [['Add', true], ['Remove', false]] as const) {
      for (const entry of queryList(modifications, key)) {
        const permission = typeof entry === 'object' && !Array.isArray(entry) ? entry : {};
        changes.push({ add, group: queryString(permission, 'Group'), userId: queryString(permission, 'UserId') });
      }
    }
  }
  const operation = queryString(params, 'OperationType');
  const users = stringList(params, 'UserId');
  const groups = stringList(params, 'UserGroup');
  if (users.length > 0 || groups.length > 0) {
    if (operation !== 'add' && operation !== 'remove') throw new AwsError('MissingParameter', 'The request must contain the parameter OperationType', 400);
    for (const userId of users) changes.push({ add: operation === 'add', userId });
    for (const group of groups) changes.push({ add: operation === 'add', group });
  }
  return changes;
}

function modifySnapshotAttribute(call: AwsCall) {
  const state = requireEnabledRegion(call);
  const attribute = readAttribute(call.params, false);
  if (attribute === 'productCodes') throw new AwsError('InvalidParameterValue', 'The attribute productCodes cannot be modified.', 400);
  const snapshot = ownSnapshot(state, requireString(call.params, 'SnapshotId'));
  const changes = readPermissionChanges(call.params);
  if (changes.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter createVolumePermission', 400);
  for (const change of changes) {
    if (change.group !== undefined && change.group !== 'all') throw new AwsError('InvalidParameterValue', `Value (${change.group}) for parameter group is invalid. Expected 'all'.`, 400);
    if (change.userId !== undefined && !/^\d{12}$/.test(change.userId)) throw new AwsError('InvalidParameterValue', `Value (${change.userId}) for parameter userId is invalid.`, 400);
    if (!change.add || !snapshot.encrypted) continue;
    if (change.group === 'all') throw new AwsError('UnsupportedOperation', 'Encrypted snapshots can’t be shared publicly. Specify another snapshot.', 400);
    if (snapshot.kmsKeyId === defaultEbsKeyArn(state.accountId, state.region)) {
      throw new AwsError('InvalidParameter', 'Snapshots encrypted with the AWS Managed CMK can’t be shared. Specify another snapshot.', 400);
    }
  }
  for (const change of changes) {
    if (change.group === 'all') snapshot.public = change.add;
    if (change.userId === undefined) continue;
    const others = snapshot.sharedWith.filter((id) => id !== change.userId);
    snapshot.sharedWith = change.add ? [...others, change.userId] : others;
  }
  const permissions = (add: boolean) => items(changes.filter((c) => c.add === add).map(({ group, userId }) => ({ group, userId })));
  trail(call, { snapshotId: snapshot.snapshotId, attributeType: 'CREATE_VOLUME_PERMISSION', createVolumePermission: { add: permissions(true), remove: permissions(false) } }, [snapshot.snapshotId]);
  return OK;
}

export const ec2: AwsServiceEmulator = {
  signingName: 'ec2',
  protocol: 'ec2',
  xmlNamespace: 'http://ec2.amazonaws.com/doc/2016-11-15/',
  throttlingError: { code: 'RequestLimitExceeded', status: 503 },
  accessDeniedError: { code: 'UnauthorizedOperation', status: 403 },
  operations: {
    DescribeRegions: (call) => {
      requireEnabledRegion(call);
      return describeRegions(call);
    },
    DescribeVolumes: describeVolumes,
    DescribeSnapshots: describeSnapshots,
    DescribeSnapshotAttribute: describeSnapshotAttribute,
    ModifySnapshotAttribute: modifySnapshotAttribute,
    CreateSnapshot: createSnapshot,
    CopySnapshot: copySnapshot,
    DeleteSnapshot: removeSnapshot,
    CreateTags: createTags,
    DeleteTags: deleteTags,
    DescribeTags: describeTags,
  },
};
