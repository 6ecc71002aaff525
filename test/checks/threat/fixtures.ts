/** Builders for GuardDuty, CloudTrail and Vault records, so threat evaluator tests read as data. */
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../src/core/clock.js';
import { fetched, notFetched } from '../../../src/checks/resources.js';
import type {
  CloudTrailRegion,
  CloudTrailTrail,
  GuardDutyDetector,
  GuardDutyFinding,
  TrailBucketExposure,
  TrailEvent,
  VaultDatabaseMount,
  VaultServer,
} from '../../../src/checks/threat/index.js';
import { ACCOUNT, NOW } from '../fixtures.js';

export { ACCOUNT, NOW, fetched, notFetched };

export const ago = (ms: number) => new Date(NOW.getTime() - ms);
export const minutesAgo = (n: number) => ago(n * MINUTE_MS);
export const hoursAgo = (n: number) => ago(n * HOUR_MS);
export const daysAgo = (n: number) => ago(n * DAY_MS);

export const DETECTOR_ID = 'c0ffee00c0ffee00c0ffee00c0ffee01';

export function detector(overrides: Partial<GuardDutyDetector> = {}): GuardDutyDetector {
  return {
    kind: 'guardduty-detector',
    accountId: ACCOUNT.id,
    region: 'us-east-1',
    detectorId: DETECTOR_ID,
    details: fetched({ status: 'ENABLED', features: { CLOUD_TRAIL: 'ENABLED', S3_DATA_EVENTS: 'ENABLED', EBS_MALWARE_PROTECTION: 'ENABLED', RDS_LOGIN_EVENTS: 'ENABLED' }, findingPublishingFrequency: 'FIFTEEN_MINUTES' }),
    ...overrides,
  };
}

export const NO_DETECTOR: GuardDutyDetector = { kind: 'guardduty-detector', accountId: ACCOUNT.id, region: 'us-west-2', details: notFetched('the region has no detector') };

export function finding(id: string, overrides: Partial<GuardDutyFinding> = {}): GuardDutyFinding {
  return {
    id,
    arn: `arn:aws:guardduty:us-east-1:${ACCOUNT.id}:detector/${DETECTOR_ID}/finding/${id}`,
    accountId: ACCOUNT.id,
    region: 'us-east-1',
    detectorId: DETECTOR_ID,
    type: 'UnauthorizedAccess:EC2/SSHBruteForce',
    title: '203.0.113.50 is performing SSH brute force attacks against i-0c0ffee0000000001.',
    severity: 7.5,
    resourceType: 'Instance',
    resource: 'i-0c0ffee0000000001',
    firstSeen: hoursAgo(2),
    lastSeen: minutesAgo(20),
    count: 312,
    ...overrides,
  };
}

export function trail(overrides: Partial<CloudTrailTrail> = {}): CloudTrailTrail {
  return {
    kind: 'cloudtrail-trail',
    accountId: ACCOUNT.id,
    region: 'us-east-1',
    arn: 'arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail',
    name: 'org-trail',
    ownerAccountId: '111111111111',
    homeRegion: 'us-east-1',
    multiRegion: true,
    organization: true,
    logFileValidation: true,
    kmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/0f0e0d0c-0b0a-4909-8807-060504030201',
    s3Bucket: 'coursecraft-org-cloudtrail-logs',
    status: fetched({ isLogging: true, latestDeliveryTime: minutesAgo(5), startLoggingTime: daysAgo(400) }),
    selectors: fetched({ type: 'classic', selectors: [{ readWriteType: 'All', includeManagementEvents: true, excludeManagementEventSources: [] }] }),
    ...overrides,
  };
}

/** A single-region trail of the account itself, like the demo's staging trail. */
export function ownTrail(overrides: Partial<CloudTrailTrail> = {}): CloudTrailTrail {
  return trail({
    arn: `arn:aws:cloudtrail:us-east-1:${ACCOUNT.id}:trail/staging-trail`,
    name: 'staging-trail',
    ownerAccountId: ACCOUNT.id,
    multiRegion: false,
    organization: false,
    logFileValidation: false,
    kmsKeyId: undefined,
    s3Bucket: 'coursecraft-staging-cloudtrail',
    ...overrides,
  });
}

export function region(trails: CloudTrailTrail[], where = 'us-east-1'): CloudTrailRegion {
  return { kind: 'cloudtrail-region', accountId: ACCOUNT.id, region: where, trails };
}

export const PRIVATE_BUCKET: TrailBucketExposure = {
  bucket: 'coursecraft-org-cloudtrail-logs',
  publicAccessBlock: { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true },
  policyIsPublic: false,
  publicAclGrants: [],
};

export function event(name: string, overrides: Partial<TrailEvent> = {}): TrailEvent {
  const source = name === 'ConsoleLogin' ? 'signin.amazonaws.com' : 'iam.amazonaws.com';
  return {
    id: `e-${name.toLowerCase()}`,
    name,
    source,
    time: hoursAgo(8),
    accountId: ACCOUNT.id,
    region: 'us-east-1',
    actor: { type: 'IAMUser', name: 'bob', arn: `arn:aws:iam::${ACCOUNT.id}:user/bob` },
    sourceIp: '198.51.100.44',
    userAgent: 'AWS Internal',
    readOnly: false,
    resources: [],
    detailed: true,
    ...overrides,
  };
}

export function databaseMount(overrides: Partial<VaultDatabaseMount> = {}): VaultDatabaseMount {
  return {
    path: 'database',
    maxLeaseTtlSeconds: fetched(768 * 3600),
    connections: fetched([{ name: 'lms-prod', pluginName: 'postgresql-database-plugin', connectionUrl: 'postgresql://{{username}}:{{password}}@lms-prod:5432/lms', allowedRoles: ['lms-readonly', 'lms-admin'] }]),
    roles: fetched([
      { name: 'lms-readonly', settings: fetched({ dbName: 'lms-prod', defaultTtlSeconds: 3600, maxTtlSeconds: 24 * 3600 }) },
      { name: 'lms-admin', settings: fetched({ dbName: 'lms-prod', defaultTtlSeconds: 3600, maxTtlSeconds: 720 * 3600 }) },
    ]),
    ...overrides,
  };
}

export function vault(overrides: Partial<VaultServer> = {}): VaultServer {
  return {
    kind: 'vault',
    address: 'https://vault.example.com:8200',
    health: fetched({ initialized: true, sealed: false, standby: false, version: '1.15.6' }),
    auditDevices: fetched([{ path: 'file/', type: 'file' }]),
    databaseMounts: fetched([databaseMount()]),
    ...overrides,
  };
}

export const NO_VAULT: VaultServer = {
  kind: 'vault',
  health: notFetched('Vault is not configured'),
  auditDevices: notFetched('Vault is not configured'),
  databaseMounts: notFetched('Vault is not configured'),
};
