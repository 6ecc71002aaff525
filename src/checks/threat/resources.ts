/**
 * What the threat-detection and audit checks judge, normalized by the adapters from GuardDuty,
 * CloudTrail, S3 and Vault. No SDK types: evaluators are pure functions over these shapes.
 */
import type { Fetched } from '../resources.js';

// --- GuardDuty ----------------------------------------------------------------------------------

/** GuardDuty in one account and region: its detector, or the absence of one. */
export interface GuardDutyDetector {
  kind: 'guardduty-detector';
  accountId: string;
  region: string;
  /** Absent when the region has no detector (GuardDuty was never enabled there). */
  detectorId?: string;
  /** Status and protection plans, from GetDetector. */
  details: Fetched<GuardDutyDetectorDetails>;
}

export interface GuardDutyDetectorDetails {
  /** `ENABLED`, or `DISABLED` for a suspended detector. */
  status: string;
  /** Protection plan (feature) name -> `ENABLED` | `DISABLED`. */
  features: Record<string, string>;
  findingPublishingFrequency?: string;
  updatedAt?: Date;
}

/** An active (not archived) GuardDuty finding. */
export interface GuardDutyFinding {
  id: string;
  arn: string;
  accountId: string;
  region: string;
  detectorId: string;
  type: string;
  title: string;
  /** 1.0-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0 and above critical. */
  severity: number;
  /** `Instance`, `AccessKey`, `S3Bucket`, ... */
  resourceType: string;
  /** The affected resource as people name it: an instance id, a user name, a bucket. */
  resource: string;
  /** When GuardDuty first and last saw the activity. */
  firstSeen: Date;
  lastSeen: Date;
  /** How many times the activity was seen. */
  count: number;
}

// --- CloudTrail ---------------------------------------------------------------------------------

/** A trail as seen from one account and region: its own, or a shadow of a multi-region or organization trail. */
export interface CloudTrailTrail {
  kind: 'cloudtrail-trail';
  /** Where it was seen from: the account and region being judged. */
  accountId: string;
  region: string;
  arn: string;
  name: string;
  /** The account that owns the trail (the management account for an organization trail). */
  ownerAccountId: string;
  homeRegion: string;
  multiRegion: boolean;
  organization: boolean;
  logFileValidation: boolean;
  /** The KMS key the log files are encrypted with; absent means SSE-S3 only. */
  kmsKeyId?: string;
  s3Bucket?: string;
  status: Fetched<TrailStatus>;
  selectors: Fetched<TrailSelectors>;
}

export interface TrailStatus {
  isLogging: boolean;
  latestDeliveryTime?: Date;
  /** The last delivery failure, e.g. `AccessDenied` when the bucket policy refuses CloudTrail. */
  latestDeliveryError?: string;
  startLoggingTime?: Date;
  stopLoggingTime?: Date;
}

/** Event selectors as configured: classic or advanced. */
export type TrailSelectors =
  | { type: 'classic'; selectors: Array<{ readWriteType: string; includeManagementEvents: boolean; excludeManagementEventSources: string[] }> }
  | { type: 'advanced'; selectors: Array<{ name?: string; fieldSelectors: FieldSelector[] }> };

export interface FieldSelector {
  field: string;
  equals?: string[];
  notEquals?: string[];
  startsWith?: string[];
  notStartsWith?: string[];
  endsWith?: string[];
  notEndsWith?: string[];
}

/** CloudTrail in one account and region: the trails that cover it. */
export interface CloudTrailRegion {
  kind: 'cloudtrail-region';
  accountId: string;
  region: string;
  trails: CloudTrailTrail[];
}

/** Whether a trail's log bucket can be read by the public. */
export interface TrailBucketExposure {
  bucket: string;
  /** null when the bucket has no public access block configuration. */
  publicAccessBlock: { blockPublicAcls: boolean; ignorePublicAcls: boolean; blockPublicPolicy: boolean; restrictPublicBuckets: boolean } | null;
  /** S3's own verdict on the bucket policy (GetBucketPolicyStatus); false when there is no policy. */
  policyIsPublic: boolean;
  /** ACL grants to everyone or to any AWS user, e.g. `AllUsers:READ`. */
  publicAclGrants: string[];
}

/** One account and region's CloudTrail event history, the subject of the events-of-concern check. */
export interface CloudTrailHistory {
  kind: 'cloudtrail-history';
  accountId: string;
  region: string;
}

/** A management event from LookupEvents. */
export interface TrailEvent {
  id: string;
  name: string;
  source: string;
  time: Date;
  accountId: string;
  /** The region whose event history holds it (IAM's events are all in us-east-1). */
  region: string;
  actor: TrailActor;
  sourceIp?: string;
  userAgent?: string;
  readOnly?: boolean;
  /** Set when the call was refused, e.g. `AccessDenied`. */
  errorCode?: string;
  errorMessage?: string;
  /** ConsoleLogin: whether MFA was used; other calls: whether the session was MFA-authenticated. */
  mfaUsed?: boolean;
  /** ConsoleLogin only. */
  consoleLogin?: 'Success' | 'Failure';
  resources: Array<{ type: string; name: string }>;
  requestParameters?: unknown;
  /** False when the full record (CloudTrailEvent) could not be parsed: only the summary fields are known. */
  detailed: boolean;
}

export interface TrailActor {
  /** `Root`, `IAMUser`, `AssumedRole`, `FederatedUser`, `AWSService`, ... */
  type: string;
  /** `root`, a user name, or `role/<RoleName>/<session>`. */
  name: string;
  arn?: string;
}

/** How to find events in the history: by user name, by event name, or by event source narrowed to names. */
export type EventLookup = { by: 'username'; value: string } | { by: 'eventName'; value: string } | { by: 'source'; source: string; names: readonly string[] };

export interface EventQuery {
  start: Date;
  /** Absent: up to the time of reading, so nothing that happens during a run falls between two runs. */
  end?: Date;
  lookups: readonly EventLookup[];
}

// --- Vault --------------------------------------------------------------------------------------

/** The Vault server Vigil is configured with, read once per run. */
export interface VaultServer {
  kind: 'vault';
  /** Absent when no Vault is configured. */
  address?: string;
  health: Fetched<VaultHealth>;
  auditDevices: Fetched<VaultAuditDevice[]>;
  /** Secrets engines of type `database`, by mount path without the trailing slash. */
  databaseMounts: Fetched<VaultDatabaseMount[]>;
}

export interface VaultHealth {
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
  version?: string;
  clusterName?: string;
}

export interface VaultAuditDevice {
  /** e.g. `file/`. */
  path: string;
  type: string;
  description?: string;
}

export interface VaultDatabaseMount {
  /** e.g. `database`. */
  path: string;
  /** The mount's max lease TTL in seconds (what a role with max_ttl 0 gets). */
  maxLeaseTtlSeconds: Fetched<number>;
  connections: Fetched<VaultDatabaseConnection[]>;
  roles: Fetched<VaultDatabaseRole[]>;
}

export interface VaultDatabaseConnection {
  name: string;
  pluginName?: string;
  /** The connection URL as Vault shows it (password redacted), for naming the database. */
  connectionUrl?: string;
  allowedRoles: string[];
}

export interface VaultDatabaseRole {
  name: string;
  /** The role's settings; a role that could not be read keeps its reason. */
  settings: Fetched<{ dbName: string; defaultTtlSeconds: number; maxTtlSeconds: number }>;
}
