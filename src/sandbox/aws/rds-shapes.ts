/**
 * How RDS state reads on the wire (awsQuery XML). RDS names its list members after the shape
 * (`<DBInstances><DBInstance>`, `<TagList><Tag>`, `<VpcSecurityGroups><VpcSecurityGroupMembership>`),
 * as the `xmlName` traits in @aws-sdk/client-rds's schemas say; a plain `<member>` would read as empty.
 */
import { toTagList } from '../scenario-types.js';
import { AwsError, queryNumber, queryString, xmlList, type QueryValue } from './protocol.js';
import {
  backupWindow,
  defaultPort,
  instanceStatus,
  licenseModel,
  snapshotProgress,
  snapshotStatus,
  vpcIdFor,
  type RdsCluster,
  type RdsClusterSnapshot,
  type RdsInstance,
  type RdsSnapshot,
} from './rds-model.js';

/** Route 53 zone RDS endpoints live in (us-east-1's; the SDK only passes it through). */
const HOSTED_ZONE_ID = 'Z2R2ITUGPM61AM';

export function tagListXml(tags: Record<string, string>): unknown {
  return xmlList(toTagList(tags), 'Tag');
}

export function instanceXml(instance: RdsInstance, now: Date): Record<string, unknown> {
  const status = instanceStatus(instance, now);
  // A postgres instance's endpoint is its real loopback listener; other engines get RDS-style names.
  const endpoint = instance.backend
    ? { Address: '127.0.0.1', Port: instance.backend.port, HostedZoneId: HOSTED_ZONE_ID }
    : { Address: endpointAddress(instance), Port: defaultPort(instance.engine), HostedZoneId: HOSTED_ZONE_ID };
  const pending = instance.pending;
  return {
    DBInstanceIdentifier: instance.id,
    DBInstanceClass: instance.instanceClass,
    Engine: instance.engine,
    DBInstanceStatus: status,
    MasterUsername: instance.masterUsername,
    DBName: instance.dbName,
    Endpoint: status === 'creating' ? undefined : endpoint,
    AllocatedStorage: instance.allocatedStorage,
    InstanceCreateTime: status === 'creating' ? undefined : instance.createdAt,
    PreferredBackupWindow: backupWindow(instance.backupAtMinutes),
    BackupRetentionPeriod: instance.retentionDays,
    DBSecurityGroups: '',
    VpcSecurityGroups: xmlList(
      instance.vpcSecurityGroupIds.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
      'VpcSecurityGroupMembership',
    ),
    DBParameterGroups: xmlList([{ DBParameterGroupName: `default.${instance.engine}${instance.engineVersion.split('.')[0]}`, ParameterApplyStatus: 'in-sync' }], 'DBParameterGroup'),
    AvailabilityZone: instance.availabilityZone,
    DBSubnetGroup: {
      DBSubnetGroupName: instance.subnetGroupName,
      DBSubnetGroupDescription: instance.subnetGroupName,
      VpcId: vpcIdFor(instance.accountId, instance.region),
      SubnetGroupStatus: 'Complete',
    },
    PreferredMaintenanceWindow: 'sun:05:30-sun:06:00',
    PendingModifiedValues: { DBInstanceClass: pending.instanceClass, MultiAZ: pending.multiAZ },
    LatestRestorableTime: instance.retentionDays > 0 && status !== 'creating' ? new Date(now.getTime() - 5 * 60_000) : undefined,
    MultiAZ: instance.multiAZ,
    EngineVersion: instance.engineVersion,
    AutoMinorVersionUpgrade: true,
    ReadReplicaDBInstanceIdentifiers: '',
    LicenseModel: licenseModel(instance.engine),
    SecondaryAvailabilityZone: instance.multiAZ ? secondaryZone(instance.availabilityZone) : undefined,
    PubliclyAccessible: instance.publiclyAccessible,
    StorageType: 'gp3',
    DbInstancePort: 0,
    DBClusterIdentifier: instance.clusterId,
    StorageEncrypted: instance.encrypted,
    KmsKeyId: instance.encrypted ? instance.kmsKeyId : undefined,
    DbiResourceId: instance.dbiResourceId,
    CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    CopyTagsToSnapshot: instance.copyTagsToSnapshot,
    MonitoringInterval: 0,
    DBInstanceArn: instance.arn,
    IAMDatabaseAuthenticationEnabled: false,
    PerformanceInsightsEnabled: false,
    DeletionProtection: instance.deletionProtection,
    TagList: tagListXml(instance.tags),
    BackupTarget: 'region',
    NetworkType: 'IPV4',
  };
}

function endpointAddress(instance: RdsInstance): string {
  return `${instance.id}.c${instance.dbiResourceId.slice(3, 14).toLowerCase()}.${instance.region}.rds.amazonaws.com`;
}

function secondaryZone(zone: string): string {
  return zone.endsWith('a') ? `${zone.slice(0, -1)}b` : `${zone.slice(0, -1)}a`;
}

/**
 * `viewer` is the calling account: another account's snapshot reads as `shared` or `public` to it,
 * as in the console's "Shared with me" and "Public" tabs.
 */
export function snapshotXml(snapshot: RdsSnapshot, now: Date, viewer: string): Record<string, unknown> {
  const origin = snapshot.origin;
  const type = snapshot.accountId === viewer ? snapshot.type : snapshot.restore.includes(viewer) ? 'shared' : 'public';
  return {
    DBSnapshotIdentifier: snapshot.id,
    DBInstanceIdentifier: origin.instanceId,
    SnapshotCreateTime: snapshot.createdAt,
    Engine: origin.engine,
    AllocatedStorage: origin.allocatedStorage,
    Status: snapshotStatus(snapshot, now),
    Port: origin.port,
    AvailabilityZone: origin.availabilityZone,
    VpcId: vpcIdFor(snapshot.accountId, snapshot.region),
    InstanceCreateTime: origin.instanceCreateTime,
    MasterUsername: origin.masterUsername,
    EngineVersion: origin.engineVersion,
    LicenseModel: licenseModel(origin.engine),
    SnapshotType: type,
    OptionGroupName: `default:${origin.engine}-${origin.engineVersion.split('.')[0]}`,
    PercentProgress: snapshotProgress(snapshot, now),
    SourceRegion: snapshot.sourceRegion,
    SourceDBSnapshotIdentifier: snapshot.sourceSnapshotArn,
    StorageType: 'gp3',
    Encrypted: snapshot.encrypted,
    KmsKeyId: snapshot.encrypted ? snapshot.kmsKeyId : undefined,
    DBSnapshotArn: snapshot.arn,
    IAMDatabaseAuthenticationEnabled: false,
    DbiResourceId: origin.dbiResourceId,
    TagList: tagListXml(snapshot.tags),
    OriginalSnapshotCreateTime: snapshot.originalCreatedAt,
    SnapshotDatabaseTime: snapshot.createdAt,
    SnapshotTarget: 'region',
    BackupRetentionPeriod: snapshot.type === 'automated' ? origin.retentionDays : undefined,
    PreferredBackupWindow: snapshot.type === 'automated' ? origin.backupWindow : undefined,
  };
}

export function snapshotAttributesXml(snapshot: RdsSnapshot): Record<string, unknown> {
  return {
    DBSnapshotAttributesResult: {
      DBSnapshotIdentifier: snapshot.id,
      DBSnapshotAttributes: xmlList([{ AttributeName: 'restore', AttributeValues: xmlList(snapshot.restore, 'AttributeValue') }], 'DBSnapshotAttribute'),
    },
  };
}

export function clusterXml(cluster: RdsCluster, region: string, now: Date): Record<string, unknown> {
  return {
    AllocatedStorage: 1,
    AvailabilityZones: xmlList(cluster.availabilityZones, 'AvailabilityZone'),
    BackupRetentionPeriod: cluster.retentionDays,
    DatabaseName: cluster.dbName,
    DBClusterIdentifier: cluster.id,
    DBClusterParameterGroup: `default.${cluster.engine}${cluster.engineVersion.split('.')[0]}`,
    DBSubnetGroup: 'default',
    Status: 'available',
    EarliestRestorableTime: new Date(Math.max(cluster.createdAt.getTime(), now.getTime() - cluster.retentionDays * 86_400_000)),
    Endpoint: `${cluster.id}.cluster-c${cluster.resourceId.slice(8, 19).toLowerCase()}.${region}.rds.amazonaws.com`,
    ReaderEndpoint: `${cluster.id}.cluster-ro-c${cluster.resourceId.slice(8, 19).toLowerCase()}.${region}.rds.amazonaws.com`,
    MultiAZ: cluster.members.length > 1,
    Engine: cluster.engine,
    EngineVersion: cluster.engineVersion,
    LatestRestorableTime: new Date(now.getTime() - 5 * 60_000),
    Port: cluster.port,
    MasterUsername: cluster.masterUsername,
    PreferredBackupWindow: backupWindow(cluster.backupAtMinutes),
    PreferredMaintenanceWindow: 'sun:05:30-sun:06:00',
    ReadReplicaIdentifiers: '',
    DBClusterMembers: xmlList(
      cluster.members.map((id, i) => ({ DBInstanceIdentifier: id, IsClusterWriter: i === 0, DBClusterParameterGroupStatus: 'in-sync', PromotionTier: 1 })),
      'DBClusterMember',
    ),
    VpcSecurityGroups: '',
    HostedZoneId: HOSTED_ZONE_ID,
    StorageEncrypted: cluster.encrypted,
    KmsKeyId: cluster.encrypted ? cluster.kmsKeyId : undefined,
    DbClusterResourceId: cluster.resourceId,
    DBClusterArn: cluster.arn,
    IAMDatabaseAuthenticationEnabled: false,
    ClusterCreateTime: cluster.createdAt,
    EngineMode: 'provisioned',
    DeletionProtection: cluster.deletionProtection,
    HttpEndpointEnabled: false,
    CopyTagsToSnapshot: true,
    CrossAccountClone: false,
    TagList: tagListXml(cluster.tags),
    StorageType: 'aurora',
    NetworkType: 'IPV4',
    PubliclyAccessible: false,
  };
}

export function clusterSnapshotXml(snapshot: RdsClusterSnapshot, region: string, viewer: string): Record<string, unknown> {
  const cluster = snapshot.cluster;
  const type = snapshot.accountId === viewer ? snapshot.type : snapshot.restore.includes(viewer) ? 'shared' : 'public';
  return {
    AvailabilityZones: xmlList(cluster.availabilityZones, 'AvailabilityZone'),
    DBClusterSnapshotIdentifier: snapshot.id,
    DBClusterIdentifier: cluster.id,
    SnapshotCreateTime: snapshot.createdAt,
    Engine: cluster.engine,
    EngineMode: 'provisioned',
    AllocatedStorage: 1,
    Status: 'available',
    Port: 0,
    VpcId: vpcIdFor(snapshot.accountId, region),
    ClusterCreateTime: cluster.createdAt,
    MasterUsername: cluster.masterUsername,
    EngineVersion: cluster.engineVersion,
    LicenseModel: licenseModel(cluster.engine),
    SnapshotType: type,
    PercentProgress: 100,
    StorageEncrypted: snapshot.encrypted,
    KmsKeyId: snapshot.encrypted ? snapshot.kmsKeyId : undefined,
    DBClusterSnapshotArn: snapshot.arn,
    IAMDatabaseAuthenticationEnabled: false,
    TagList: tagListXml(snapshot.tags),
    StorageType: 'aurora',
    DbClusterResourceId: cluster.resourceId,
  };
}

// ---- request parameters -----------------------------------------------------------------------------

/**
 * An RDS request list, whatever its member name: `Tags.Tag.N`, `Filters.Filter.N`,
 * `VpcSecurityGroupIds.VpcSecurityGroupId.N`, `ValuesToAdd.AttributeValue.N`, `TagKeys.member.N`.
 */
export function requestList(params: Record<string, QueryValue> | undefined, key: string): QueryValue[] {
  const value = params?.[key];
  if (value === undefined || typeof value === 'string') return [];
  if (Array.isArray(value)) return value;
  const members = Object.values(value).find(Array.isArray);
  return members ?? [];
}

export function requestStrings(params: Record<string, QueryValue> | undefined, key: string): string[] {
  return requestList(params, key).filter((v): v is string => typeof v === 'string');
}

export function requestTags(params: Record<string, QueryValue> | undefined, key = 'Tags'): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of requestList(params, key)) {
    if (typeof tag !== 'object' || Array.isArray(tag)) continue;
    const tagKey = queryString(tag, 'Key');
    if (tagKey === undefined) continue;
    if (tagKey.toLowerCase().startsWith('aws:')) throw new AwsError('InvalidParameterValue', 'Tag keys cannot start with the reserved prefix aws:', 400);
    tags[tagKey] = queryString(tag, 'Value') ?? '';
  }
  return tags;
}

export interface RequestFilter {
  name: string;
  values: string[];
}

/** `Filters.Filter.N.Name` / `Filters.Filter.N.Values.Value.M`, checked against the names the operation supports. */
export function requestFilters(params: Record<string, QueryValue> | undefined, supported: readonly string[]): RequestFilter[] {
  const filters: RequestFilter[] = [];
  for (const filter of requestList(params, 'Filters')) {
    if (typeof filter !== 'object' || Array.isArray(filter)) continue;
    const name = queryString(filter, 'Name') ?? '';
    if (!supported.includes(name)) throw new AwsError('InvalidParameterValue', `Unrecognized filter name: ${name}.`, 400);
    const values = requestStrings(filter, 'Values');
    if (values.length === 0) throw new AwsError('InvalidParameterCombination', `The filter ${name} has no values.`, 400);
    filters.push({ name, values });
  }
  return filters;
}

// ---- pagination ------------------------------------------------------------------------------------

/** MaxRecords: 20 to 100, default 100, as every RDS Describe operation. */
export function maxRecords(params: Record<string, QueryValue>): number {
  const value = queryNumber(params, 'MaxRecords');
  if (value === undefined) return 100;
  if (!Number.isInteger(value) || value < 20 || value > 100) {
    throw new AwsError('InvalidParameterValue', `Invalid value ${queryString(params, 'MaxRecords')} for MaxRecords. Must be between 20 and 100`, 400);
  }
  return value;
}

/**
 * One page over append-only lists (the caller's own, then other accounts' shared ones). The marker is
 * the position of the next matching item, so each page costs only the items it walks past, and a page
 * that ends exactly at the last match carries no marker.
 */
export function pageOf<T>(segments: T[][], keep: (item: T) => boolean, marker: string | undefined, max: number): { items: T[]; marker?: string } {
  let [segment, position] = decodeMarker(marker);
  const items: T[] = [];
  for (; segment < segments.length; segment += 1, position = 0) {
    const list = segments[segment] as T[];
    for (; position < list.length; position += 1) {
      const item = list[position] as T;
      if (!keep(item)) continue;
      if (items.length === max) return { items, marker: Buffer.from(`${segment}.${position}`).toString('base64url') };
      items.push(item);
    }
  }
  return { items };
}

function decodeMarker(marker: string | undefined): [number, number] {
  if (marker === undefined || marker === '') return [0, 0];
  const match = /^(\d+)\.(\d+)$/.exec(Buffer.from(marker, 'base64url').toString('utf8'));
  if (!match) throw new AwsError('InvalidParameterValue', 'The parameter Marker is not a valid pagination token.', 400);
  return [Number(match[1]), Number(match[2])];
}
