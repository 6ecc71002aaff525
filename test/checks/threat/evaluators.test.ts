import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckDefinitions } from '../../../src/checks/definitions.js';
import type { EvalContext, Evaluator } from '../../../src/checks/evaluator.js';
import { CouldNotLook, type Resource } from '../../../src/checks/resources.js';
import { EVALUATORS } from '../../../src/checks/registry.js';
import { eventLookups, EVENTS_NEED, type LoadedEvents } from '../../../src/checks/threat/cloudtrail-events.js';
import { THREAT_EVALUATORS, type TrailEvent } from '../../../src/checks/threat/index.js';
import { ConfigError } from '../../../src/core/errors.js';
import type { Status, Verdict } from '../../../src/core/results.js';
import { context } from '../fixtures.js';
import {
  ACCOUNT,
  DETECTOR_ID,
  NO_DETECTOR,
  NO_VAULT,
  PRIVATE_BUCKET,
  databaseMount,
  daysAgo,
  detector,
  event,
  fetched,
  finding,
  hoursAgo,
  notFetched,
  ownTrail,
  region,
  trail,
  vault,
} from './fixtures.js';

type Expected = [Status, string | RegExp];

interface Case {
  name: string;
  evaluator: string;
  params?: Record<string, unknown>;
  resource: Resource;
  ctx?: Partial<EvalContext<Record<string, unknown>>>;
  expect: Expected[];
}

/** Runs an evaluator as the engine does: params through its schema, CouldNotLook as error; every verdict. */
function judge(c: Pick<Case, 'evaluator' | 'params' | 'resource' | 'ctx'>): Verdict[] {
  const evaluator = EVALUATORS.get(c.evaluator) as Evaluator<Record<string, unknown>>;
  const params = evaluator.params.parse(c.params ?? {});
  try {
    const verdicts = evaluator.evaluate(c.resource, context(params, c.ctx));
    return Array.isArray(verdicts) ? verdicts : [verdicts];
  } catch (err) {
    if (err instanceof CouldNotLook) return [{ status: 'error', message: err.message, facts: {} }];
    throw err;
  }
}

const D = `GuardDuty detector ${DETECTOR_ID} in 222222222222/us-east-1`;
const ORG = 'CloudTrail trail org-trail (organization trail of account 111111111111)';
const VAULT = 'Vault at https://vault.example.com:8200';
const denied = (op: string) => `${op} in 222222222222/us-east-1: access denied (AccessDeniedException)`;

const buckets = (value: unknown) => ({ data: { cloudtrailBuckets: value } });
const events = (loaded: Partial<LoadedEvents>, since?: Date) => ({ data: { [EVENTS_NEED]: { from: daysAgo(1), events: [], ...loaded } }, since });

/** The demo's production history: every planted event of concern, and three that are not. */
const DEMO_EVENTS: TrailEvent[] = [
  event('ConsoleLogin', { id: 'e-root', actor: { type: 'Root', name: 'root' }, sourceIp: '203.0.113.7', time: hoursAgo(20), mfaUsed: true, consoleLogin: 'Success' }),
  event('ConsoleLogin', { id: 'e-bob', time: hoursAgo(9), mfaUsed: false, consoleLogin: 'Success' }),
  event('PutUserPolicy', { time: hoursAgo(8), requestParameters: { userName: 'bob', policyName: 's3-full-access' } }),
  event('AttachRolePolicy', { time: hoursAgo(7), actor: { type: 'IAMUser', name: 'ci-deploy' }, sourceIp: '52.23.10.40', requestParameters: { roleName: 'DataPipelineRole', policyArn: 'arn:aws:iam::222222222222:policy/data-pipeline-policy' } }),
  event('AuthorizeSecurityGroupIngress', {
    source: 'ec2.amazonaws.com',
    time: hoursAgo(6),
    requestParameters: { groupId: 'sg-0c0ffee0000000a01', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }] } },
  }),
  event('UpdateDetector', { source: 'guardduty.amazonaws.com', time: hoursAgo(5), requestParameters: { detectorId: DETECTOR_ID } }),
  event('StopLogging', { source: 'cloudtrail.amazonaws.com', time: hoursAgo(4), errorCode: 'AccessDenied', requestParameters: { name: 'arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail' } }),
  event('DeleteFilter', { source: 'guardduty.amazonaws.com', time: hoursAgo(3), requestParameters: { detectorId: DETECTOR_ID, filterName: 'ssh-alerts' } }),
  // Not of concern: a read, a sign-in with MFA, and a federated sign-in (MFA happens at the IdP).
  event('ListUsers', { id: 'e-read', readOnly: true, time: hoursAgo(2) }),
  event('ConsoleLogin', { id: 'e-alice', actor: { type: 'IAMUser', name: 'alice' }, time: hoursAgo(2), mfaUsed: true, consoleLogin: 'Success' }),
  event('ConsoleLogin', { id: 'e-sso', actor: { type: 'AssumedRole', name: 'role/AWSReservedSSO_Admin/carol' }, time: hoursAgo(1), mfaUsed: false, consoleLogin: 'Success' }),
];

const CASES: Array<Case & { name: string }> = [
  // guardduty-detector
  { name: 'enabled with every plan', evaluator: 'guardduty-detector', resource: detector(), expect: [['pass', `${D} is enabled with S3_DATA_EVENTS, EBS_MALWARE_PROTECTION and RDS_LOGIN_EVENTS.`]] },
  { name: 'region without a detector', evaluator: 'guardduty-detector', resource: NO_DETECTOR, expect: [['fail', 'GuardDuty is not enabled in 222222222222/us-west-2: the region has no detector.']] },
  {
    name: 'a plan off',
    evaluator: 'guardduty-detector',
    resource: detector({ details: fetched({ status: 'ENABLED', features: { S3_DATA_EVENTS: 'ENABLED', EBS_MALWARE_PROTECTION: 'ENABLED', RDS_LOGIN_EVENTS: 'DISABLED' } }) }),
    expect: [['fail', `${D} has protection plans off: RDS_LOGIN_EVENTS.`]],
  },
  { name: 'suspended', evaluator: 'guardduty-detector', resource: detector({ details: fetched({ status: 'DISABLED', features: {} }) }), expect: [['fail', `${D} is suspended (status DISABLED).`]] },
  { name: 'only the plans asked for', evaluator: 'guardduty-detector', params: { features: ['S3_DATA_EVENTS'] }, resource: detector({ details: fetched({ status: 'ENABLED', features: { S3_DATA_EVENTS: 'ENABLED' } }) }), expect: [['pass', `${D} is enabled with S3_DATA_EVENTS.`]] },
  {
    name: 'settings unreadable',
    evaluator: 'guardduty-detector',
    resource: detector({ details: notFetched(denied('guardduty:GetDetector')) }),
    expect: [['error', `could not read the settings of ${D}: ${denied('guardduty:GetDetector')}`]],
  },

  // guardduty-findings, as guardduty-high-findings
  { name: 'no finding of concern', evaluator: 'guardduty-findings', resource: detector(), ctx: { data: { guarddutyFindings: [finding('m1', { severity: 5 })] } }, expect: [['pass', `${D} has no active finding of high or critical severity.`]] },
  {
    name: 'each high or critical finding its own result, worst first',
    evaluator: 'guardduty-findings',
    resource: detector(),
    ctx: {
      data: {
        guarddutyFindings: [
          finding('f-high'),
          finding('f-medium', { severity: 5 }),
          finding('f-critical', { type: 'CryptoCurrency:EC2/BitcoinTool.B!DNS', severity: 9, resource: 'i-0c0ffee0000000004', firstSeen: daysAgo(12), lastSeen: daysAgo(11) }),
        ],
      },
    },
    expect: [
      ['fail', 'GuardDuty finding CryptoCurrency:EC2/BitcoinTool.B!DNS (critical, 9.0) on i-0c0ffee0000000004 is active: first seen 2026-11-12T12:00:00Z, last seen 2026-11-13T12:00:00Z.'],
      ['fail', 'GuardDuty finding UnauthorizedAccess:EC2/SSHBruteForce (high, 7.5) on i-0c0ffee0000000001 is active: first seen 2026-11-24T10:00:00Z, last seen 2026-11-24T11:40:00Z.'],
    ],
  },
  {
    name: 'no detector: nothing to judge',
    evaluator: 'guardduty-findings',
    resource: NO_DETECTOR,
    expect: [['not_applicable', 'GuardDuty is not enabled in 222222222222/us-west-2, so there are no findings to judge (see guardduty-enabled).']],
  },
  // guardduty-findings, as guardduty-medium-findings-age
  {
    name: 'a medium finding open 20 days',
    evaluator: 'guardduty-findings',
    params: { minSeverity: 4, belowSeverity: 7, maxAgeDays: 7 },
    resource: detector(),
    ctx: {
      data: {
        guarddutyFindings: [
          finding('f-probe', { type: 'Recon:EC2/PortProbeUnprotectedPort', severity: 5, resource: 'i-0c0ffee0000000002', firstSeen: daysAgo(20), lastSeen: daysAgo(1) }),
          finding('f-fresh', { severity: 5, firstSeen: daysAgo(3) }),
          finding('f-high', { firstSeen: daysAgo(30) }),
        ],
      },
    },
    expect: [['fail', 'GuardDuty finding Recon:EC2/PortProbeUnprotectedPort (medium, 5.0) on i-0c0ffee0000000002 has been open 20 days (first seen 2026-11-04T12:00:00Z, last seen 2026-11-23T12:00:00Z), longer than 7 days.']],
  },
  {
    name: 'medium findings younger than the limit',
    evaluator: 'guardduty-findings',
    params: { minSeverity: 4, belowSeverity: 7, maxAgeDays: 7 },
    resource: detector(),
    ctx: { data: { guarddutyFindings: [finding('f-fresh', { severity: 5, firstSeen: daysAgo(3) })] } },
    expect: [['pass', `${D} has no active finding of medium severity open longer than 7 days.`]],
  },

  // cloudtrail-multi-region
  {
    name: 'covered by the organization trail',
    evaluator: 'cloudtrail-multi-region',
    resource: region([ownTrail(), trail()]),
    expect: [['pass', 'CloudTrail in 222222222222/us-east-1 is covered by multi-region trail org-trail (organization trail of account 111111111111), which records read and write management events.']],
  },
  {
    name: 'advanced selectors leaving out KMS',
    evaluator: 'cloudtrail-multi-region',
    resource: region([
      trail({
        selectors: fetched({
          type: 'advanced',
          selectors: [{ name: 'management', fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }, { field: 'eventSource', notEquals: ['kms.amazonaws.com'] }] }],
        }),
      }),
    ]),
    expect: [['pass', /which records read and write management events, leaving out kms\.amazonaws\.com\.$/]],
  },
  { name: 'only a single-region trail', evaluator: 'cloudtrail-multi-region', resource: region([ownTrail()]), expect: [['fail', 'CloudTrail in 222222222222/us-east-1 has no multi-region trail recording all management events: staging-trail covers us-east-1 only.']] },
  {
    name: 'write-only and partial selectors',
    evaluator: 'cloudtrail-multi-region',
    resource: region([
      trail({ selectors: fetched({ type: 'classic', selectors: [{ readWriteType: 'WriteOnly', includeManagementEvents: true, excludeManagementEventSources: [] }] }) }),
      trail({ name: 'deletes-only', selectors: fetched({ type: 'advanced', selectors: [{ fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }, { field: 'eventName', startsWith: ['Delete'] }] }] }) }),
    ]),
    expect: [['fail', 'CloudTrail in 222222222222/us-east-1 has no multi-region trail recording all management events: multi-region org-trail records only write management events and multi-region deletes-only records no management events.']],
  },
  {
    name: 'write-only accepted when reads are not required',
    evaluator: 'cloudtrail-multi-region',
    params: { requireReadEvents: false },
    resource: region([trail({ selectors: fetched({ type: 'classic', selectors: [{ readWriteType: 'WriteOnly', includeManagementEvents: true, excludeManagementEventSources: [] }] }) })]),
    expect: [['pass', /records only write management events\.$/]],
  },
  { name: 'no trail at all', evaluator: 'cloudtrail-multi-region', resource: region([], 'us-west-2'), expect: [['fail', 'No CloudTrail trail covers 222222222222/us-west-2.']] },
  {
    name: 'selectors unreadable',
    evaluator: 'cloudtrail-multi-region',
    resource: region([trail({ selectors: notFetched(denied('cloudtrail:GetEventSelectors')) })]),
    expect: [['error', `CloudTrail in 222222222222/us-east-1: could not read the event selectors of org-trail (${denied('cloudtrail:GetEventSelectors')}).`]],
  },

  // cloudtrail-logging
  { name: 'logging and delivering', evaluator: 'cloudtrail-logging', resource: trail(), expect: [['pass', `${ORG} is logging and delivered log files 5 minutes ago.`]] },
  { name: 'stopped', evaluator: 'cloudtrail-logging', resource: trail({ status: fetched({ isLogging: false, stopLoggingTime: hoursAgo(3), latestDeliveryTime: hoursAgo(3) }) }), expect: [['fail', `${ORG} is not logging since 2026-11-24T09:00:00Z.`]] },
  { name: 'stale delivery', evaluator: 'cloudtrail-logging', resource: trail({ status: fetched({ isLogging: true, latestDeliveryTime: hoursAgo(30) }) }), expect: [['fail', `${ORG} last delivered log files 30 hours ago, longer than 6 hours.`]] },
  { name: 'delivery failing', evaluator: 'cloudtrail-logging', resource: trail({ status: fetched({ isLogging: true, latestDeliveryTime: hoursAgo(2), latestDeliveryError: 'AccessDenied' }) }), expect: [['fail', `${ORG} fails to deliver log files to S3 bucket coursecraft-org-cloudtrail-logs: AccessDenied.`]] },
  { name: 'never delivered', evaluator: 'cloudtrail-logging', resource: ownTrail({ status: fetched({ isLogging: true }) }), expect: [['fail', 'CloudTrail trail staging-trail is logging but has never delivered a log file.']] },
  { name: 'status unreadable', evaluator: 'cloudtrail-logging', resource: trail({ status: notFetched(denied('cloudtrail:GetTrailStatus')) }), expect: [['error', `could not read the logging status of ${ORG}: ${denied('cloudtrail:GetTrailStatus')}`]] },

  // cloudtrail-log-file-validation, cloudtrail-kms-encryption
  { name: 'validation on', evaluator: 'cloudtrail-log-file-validation', resource: trail(), expect: [['pass', `${ORG} has log file validation on.`]] },
  { name: 'validation off', evaluator: 'cloudtrail-log-file-validation', resource: ownTrail(), expect: [['fail', 'CloudTrail trail staging-trail has log file validation off, so changes to its log files would go unnoticed.']] },
  { name: 'KMS', evaluator: 'cloudtrail-kms-encryption', resource: trail(), expect: [['pass', `${ORG} encrypts its log files with KMS key arn:aws:kms:us-east-1:111111111111:key/0f0e0d0c-0b0a-4909-8807-060504030201.`]] },
  { name: 'SSE-S3 only', evaluator: 'cloudtrail-kms-encryption', resource: ownTrail(), expect: [['fail', 'CloudTrail trail staging-trail does not encrypt its log files with a KMS key (SSE-S3 only).']] },

  // cloudtrail-bucket-exposure
  { name: 'private bucket', evaluator: 'cloudtrail-bucket-exposure', resource: trail(), ctx: buckets({ 'coursecraft-org-cloudtrail-logs': fetched(PRIVATE_BUCKET) }), expect: [['pass', `${ORG} delivers to S3 bucket coursecraft-org-cloudtrail-logs, which is not public.`]] },
  {
    name: 'no public access block',
    evaluator: 'cloudtrail-bucket-exposure',
    resource: ownTrail(),
    ctx: buckets({ 'coursecraft-staging-cloudtrail': fetched({ ...PRIVATE_BUCKET, bucket: 'coursecraft-staging-cloudtrail', publicAccessBlock: null }) }),
    expect: [['fail', 'CloudTrail trail staging-trail delivers to S3 bucket coursecraft-staging-cloudtrail, which has no public access block, so one policy or ACL change would make the logs public.']],
  },
  {
    name: 'public policy and ACL',
    evaluator: 'cloudtrail-bucket-exposure',
    resource: ownTrail(),
    ctx: buckets({ 'coursecraft-staging-cloudtrail': fetched({ bucket: 'coursecraft-staging-cloudtrail', publicAccessBlock: null, policyIsPublic: true, publicAclGrants: ['AllUsers:READ'] }) }),
    expect: [['fail', 'CloudTrail trail staging-trail delivers to S3 bucket coursecraft-staging-cloudtrail, which is public: its bucket policy is public and its ACL grants AllUsers:READ.']],
  },
  {
    name: 'a public policy neutralised by RestrictPublicBuckets',
    evaluator: 'cloudtrail-bucket-exposure',
    resource: trail(),
    ctx: buckets({ 'coursecraft-org-cloudtrail-logs': fetched({ ...PRIVATE_BUCKET, policyIsPublic: true }) }),
    expect: [['pass', /which is not public\.$/]],
  },
  {
    name: 'settings off',
    evaluator: 'cloudtrail-bucket-exposure',
    resource: trail(),
    ctx: buckets({ 'coursecraft-org-cloudtrail-logs': fetched({ ...PRIVATE_BUCKET, publicAccessBlock: { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: false, restrictPublicBuckets: false } }) }),
    expect: [['fail', `${ORG} delivers to S3 bucket coursecraft-org-cloudtrail-logs, which has public access block settings off: BlockPublicPolicy and RestrictPublicBuckets.`]],
  },
  {
    name: "another account's bucket Vigil cannot read",
    evaluator: 'cloudtrail-bucket-exposure',
    resource: trail(),
    ctx: buckets({ 'coursecraft-org-cloudtrail-logs': notFetched('s3:GetPublicAccessBlock in 222222222222/us-east-1: access denied (AccessDenied)') }),
    expect: [['error', `${ORG} delivers to S3 bucket coursecraft-org-cloudtrail-logs, which Vigil cannot read from account 222222222222 (the bucket is likely in another account): s3:GetPublicAccessBlock in 222222222222/us-east-1: access denied (AccessDenied).`]],
  },

  // cloudtrail-events
  {
    name: 'quiet history on a first run',
    evaluator: 'cloudtrail-events',
    resource: { kind: 'cloudtrail-history', accountId: ACCOUNT.id, region: 'us-east-1' },
    ctx: events({ firstRunDays: 1, events: [DEMO_EVENTS[8] as TrailEvent] }),
    expect: [['pass', 'CloudTrail event history of 222222222222/us-east-1 has no event of concern since 2026-11-23T12:00:00Z (first evaluation: the last day).']],
  },
  {
    name: 'each planted event its own result, oldest first',
    evaluator: 'cloudtrail-events',
    resource: { kind: 'cloudtrail-history', accountId: ACCOUNT.id, region: 'us-east-1' },
    ctx: events({ firstRunDays: 1, events: DEMO_EVENTS }),
    expect: [
      ['fail', 'The root user signed in to the console with MFA from 203.0.113.7 at 2026-11-23T16:00:00Z (root activity).'],
      ['fail', 'IAM user bob signed in to the console without MFA from 198.51.100.44 at 2026-11-24T03:00:00Z (console sign-in without MFA).'],
      ['fail', 'IAM user bob called iam:PutUserPolicy on user bob (policy s3-full-access) from 198.51.100.44 at 2026-11-24T04:00:00Z (IAM policy or role change).'],
      ['fail', 'IAM user ci-deploy called iam:AttachRolePolicy on role DataPipelineRole (policy data-pipeline-policy) from 52.23.10.40 at 2026-11-24T05:00:00Z (IAM policy or role change).'],
      ['fail', 'IAM user bob called ec2:AuthorizeSecurityGroupIngress on sg-0c0ffee0000000a01 (tcp 22 from 0.0.0.0/0) from 198.51.100.44 at 2026-11-24T06:00:00Z (security group change).'],
      ['fail', `IAM user bob called guardduty:UpdateDetector on detector ${DETECTOR_ID} from 198.51.100.44 at 2026-11-24T07:00:00Z (GuardDuty change).`],
      ['fail', 'IAM user bob called cloudtrail:StopLogging on trail org-trail from 198.51.100.44 at 2026-11-24T08:00:00Z, refused with AccessDenied (CloudTrail change).'],
      ['fail', 'IAM user bob called guardduty:DeleteFilter on filter ssh-alerts from 198.51.100.44 at 2026-11-24T09:00:00Z (GuardDuty change).'],
    ],
  },
  {
    name: 'root without MFA is both',
    evaluator: 'cloudtrail-events',
    resource: { kind: 'cloudtrail-history', accountId: ACCOUNT.id, region: 'us-east-1' },
    ctx: events({ events: [event('ConsoleLogin', { actor: { type: 'Root', name: 'root' }, mfaUsed: false, consoleLogin: 'Success' })] }),
    expect: [['fail', 'The root user signed in to the console without MFA from 198.51.100.44 at 2026-11-24T04:00:00Z (root activity, console sign-in without MFA).']],
  },
  {
    name: 'only the categories asked for',
    evaluator: 'cloudtrail-events',
    params: { categories: ['root-activity'] },
    resource: { kind: 'cloudtrail-history', accountId: ACCOUNT.id, region: 'us-east-1' },
    ctx: events({ events: DEMO_EVENTS.slice(1) }, hoursAgo(30)),
    expect: [['pass', 'CloudTrail event history of 222222222222/us-east-1 has no event of concern (root activity) since 2026-11-23T12:00:00Z.']],
  },
  {
    name: 'a previous evaluation older than the history',
    evaluator: 'cloudtrail-events',
    resource: { kind: 'cloudtrail-history', accountId: ACCOUNT.id, region: 'us-east-1' },
    ctx: events({ from: daysAgo(90), clampedFrom: daysAgo(120) }, daysAgo(120)),
    expect: [['pass', 'CloudTrail event history of 222222222222/us-east-1 has no event of concern since 2026-08-26T12:00:00Z; the previous evaluation (2026-07-27T12:00:00Z) is older than the 90 days CloudTrail keeps, so only those were read.']],
  },
  {
    name: 'a sign-in whose record could not be read',
    evaluator: 'cloudtrail-events',
    resource: { kind: 'cloudtrail-history', accountId: ACCOUNT.id, region: 'us-east-1' },
    ctx: events({ events: [event('ConsoleLogin', { detailed: false })] }),
    expect: [['error', 'CloudTrail event e-consolelogin (ConsoleLogin by bob at 2026-11-24T04:00:00Z): could not read its full record, so whether MFA was used is unknown.']],
  },

  // vault-health
  { name: 'healthy', evaluator: 'vault-health', resource: vault(), expect: [['pass', `${VAULT} is initialized, unsealed and active (version 1.15.6).`]] },
  { name: 'standby', evaluator: 'vault-health', resource: vault({ health: fetched({ initialized: true, sealed: false, standby: true }) }), expect: [['pass', `${VAULT} is initialized, unsealed and a standby node.`]] },
  { name: 'sealed', evaluator: 'vault-health', resource: vault({ health: fetched({ initialized: true, sealed: true, standby: true }) }), expect: [['fail', `${VAULT} is sealed, so it issues no credentials and serves no secrets.`]] },
  { name: 'not initialized', evaluator: 'vault-health', resource: vault({ health: fetched({ initialized: false, sealed: true, standby: false }) }), expect: [['fail', `${VAULT} is not initialized.`]] },
  { name: 'unreachable', evaluator: 'vault-health', resource: vault({ health: notFetched('Vault read sys/health: Vault is unreachable (ECONNREFUSED)') }), expect: [['error', `could not read the health of ${VAULT}: Vault read sys/health: Vault is unreachable (ECONNREFUSED)`]] },
  { name: 'health: not configured', evaluator: 'vault-health', resource: NO_VAULT, expect: [['error', 'Vault is not configured (VAULT_ADDR/VAULT_TOKEN or integrations.vault).']] },

  // vault-audit
  { name: 'a file device', evaluator: 'vault-audit', resource: vault(), expect: [['pass', `${VAULT} has 1 audit device enabled: file/ (file).`]] },
  { name: 'no device', evaluator: 'vault-audit', resource: vault({ auditDevices: fetched([]) }), expect: [['fail', `${VAULT} has no audit device enabled, so requests for secrets and database credentials are not logged.`]] },
  { name: 'fewer than asked', evaluator: 'vault-audit', params: { minDevices: 2 }, resource: vault(), expect: [['fail', `${VAULT} has 1 audit device enabled (file/ (file)), fewer than 2.`]] },
  { name: 'sys/audit denied', evaluator: 'vault-audit', resource: vault({ auditDevices: notFetched('Vault read sys/audit: Vault denied access (permission denied)') }), expect: [['error', /could not read the audit devices of Vault at .*: Vault denied access/]] },
  { name: 'audit: not configured', evaluator: 'vault-audit', resource: NO_VAULT, expect: [['error', 'Vault is not configured (VAULT_ADDR/VAULT_TOKEN or integrations.vault).']] },

  // vault-database-roles
  {
    name: 'each role its own result',
    evaluator: 'vault-database-roles',
    resource: vault(),
    expect: [
      ['pass', 'Vault database role database/roles/lms-readonly (connection lms-prod) issues credentials that live at most 24 hours (its max TTL).'],
      ['fail', 'Vault database role database/roles/lms-admin (connection lms-prod) lets credentials live up to 720 hours (its max TTL), longer than 24 hours.'],
    ],
  },
  {
    name: 'max_ttl 0 falls back to the mount, then to the system',
    evaluator: 'vault-database-roles',
    resource: vault({ databaseMounts: fetched([databaseMount({ maxLeaseTtlSeconds: fetched(0), roles: fetched([{ name: 'legacy', settings: fetched({ dbName: 'lms-prod', defaultTtlSeconds: 0, maxTtlSeconds: 0 }) }]) })]) }),
    expect: [['fail', "Vault database role database/roles/legacy (connection lms-prod) lets credentials live up to 768 hours (Vault's system max lease TTL), longer than 24 hours."]],
  },
  {
    name: 'a tuned mount caps the role',
    evaluator: 'vault-database-roles',
    resource: vault({ databaseMounts: fetched([databaseMount({ maxLeaseTtlSeconds: fetched(12 * 3600), roles: fetched([{ name: 'app', settings: fetched({ dbName: 'lms-prod', defaultTtlSeconds: 0, maxTtlSeconds: 0 }) }]) })]) }),
    expect: [['pass', 'Vault database role database/roles/app (connection lms-prod) issues credentials that live at most 12 hours (the max lease TTL of database/).']],
  },
  { name: 'no database engine', evaluator: 'vault-database-roles', resource: vault({ databaseMounts: fetched([]) }), expect: [['fail', `${VAULT} has no database secrets engine at database/, so it does not issue the database credentials.`]] },
  { name: 'engine elsewhere', evaluator: 'vault-database-roles', resource: vault({ databaseMounts: fetched([databaseMount({ path: 'postgres' })]) }), expect: [['fail', `${VAULT} has no database secrets engine at database/ (database engines are mounted at postgres/), so it does not issue the database credentials.`]] },
  { name: 'no roles', evaluator: 'vault-database-roles', resource: vault({ databaseMounts: fetched([databaseMount({ roles: fetched([]) })]) }), expect: [['fail', `${VAULT}'s database secrets engine at database/ has no roles, so it issues no database credentials.`]] },
  {
    name: 'a role that could not be read',
    evaluator: 'vault-database-roles',
    resource: vault({ databaseMounts: fetched([databaseMount({ roles: fetched([{ name: 'secret-role', settings: notFetched('Vault read database/roles/secret-role: Vault denied access (permission denied)') }]) })]) }),
    expect: [['error', 'Vault database role database/roles/secret-role: could not read its settings: Vault read database/roles/secret-role: Vault denied access (permission denied).']],
  },
  { name: 'roles: not configured', evaluator: 'vault-database-roles', resource: NO_VAULT, expect: [['error', 'Vault is not configured (VAULT_ADDR/VAULT_TOKEN or integrations.vault).']] },
];

describe('threat and audit evaluators', () => {
  it.each(CASES.map((c) => [`${c.evaluator}: ${c.name}`, c] as const))('%s', (_name, c) => {
    const verdicts = judge(c);

    expect(verdicts.map((v) => v.status)).toEqual(c.expect.map(([status]) => status));
    c.expect.forEach(([, message], i) => {
      if (typeof message === 'string') expect(verdicts[i]?.message).toBe(message);
      else expect(verdicts[i]?.message).toMatch(message);
    });
  });

  it('gives each finding a result about the finding, with a stable signal key and its facts', () => {
    const [verdict] = judge({ evaluator: 'guardduty-findings', resource: detector(), ctx: { data: { guarddutyFindings: [finding('f-high')] } } });

    expect(verdict?.about).toEqual({ resource: `arn:aws:guardduty:us-east-1:222222222222:detector/${DETECTOR_ID}/finding/f-high`, name: 'UnauthorizedAccess:EC2/SSHBruteForce on i-0c0ffee0000000001' });
    expect(verdict?.facts).toMatchObject({
      signalKey: 'guardduty:222222222222:us-east-1:f-high',
      type: 'UnauthorizedAccess:EC2/SSHBruteForce',
      severity: 7.5,
      severityLabel: 'high',
      resource: 'i-0c0ffee0000000001',
      firstSeen: '2026-11-24T10:00:00Z',
      lastSeen: '2026-11-24T11:40:00Z',
      count: 312,
    });
  });

  it('gives each event a result about the event, naming actor, time, source IP and event', () => {
    const verdicts = judge({ evaluator: 'cloudtrail-events', resource: { kind: 'cloudtrail-history', accountId: ACCOUNT.id, region: 'us-east-1' }, ctx: events({ events: [DEMO_EVENTS[6] as TrailEvent] }) });

    expect(verdicts[0]?.about).toEqual({ resource: 'aws:cloudtrail:222222222222:us-east-1:event/e-stoplogging', name: 'StopLogging by bob at 2026-11-24T08:00:00Z' });
    expect(verdicts[0]?.facts).toMatchObject({
      signalKey: 'cloudtrail:222222222222:us-east-1:e-stoplogging',
      eventName: 'StopLogging',
      eventSource: 'cloudtrail.amazonaws.com',
      eventTime: '2026-11-24T08:00:00Z',
      actor: { type: 'IAMUser', name: 'bob' },
      sourceIp: '198.51.100.44',
      errorCode: 'AccessDenied',
      categories: ['trail-change'],
    });
  });

  it('refuses a first-run window longer than the 90 days CloudTrail keeps, with the reason', () => {
    const evaluator = EVALUATORS.get('cloudtrail-events') as Evaluator<Record<string, unknown>>;

    const parsed = evaluator.params.safeParse({ firstRunWindowDays: 120 });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('CloudTrail event history (LookupEvents) keeps 90 days, so a longer window cannot be read');
  });

  it('refuses such a window in a check file as a config error naming the file, line and reason', () => {
    const root = mkdtempSync(join(tmpdir(), 'vigil-threat-defs-'));
    mkdirSync(join(root, 'checks'));
    mkdirSync(join(root, 'runbooks'));
    writeFileSync(join(root, 'runbooks', 'events.md'), '# Events\n');
    writeFileSync(
      join(root, 'checks', 'events.yaml'),
      ['id: events', 'title: No event of concern happened since the last run', 'severity: high', 'evaluator: cloudtrail-events', 'params:', '  firstRunWindowDays: 120', 'risk: Events of concern go unreviewed for too long.', 'remediation: runbooks/events.md', 'controls: [A.8.16]', ''].join('\n'),
    );

    const load = () => loadCheckDefinitions({ root, evaluators: EVALUATORS });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow('checks/events.yaml:6: params.firstRunWindowDays: CloudTrail event history (LookupEvents) keeps 90 days, so a longer window cannot be read');
  });

  it('refuses a protection plan GuardDuty does not have', () => {
    const evaluator = EVALUATORS.get('guardduty-detector') as Evaluator<Record<string, unknown>>;

    expect(evaluator.params.safeParse({ features: ['RDS_LOGINS'] }).success).toBe(false);
  });

  it('covers pass, fail, not_applicable and error for every threat evaluator, here or through the engine', () => {
    const seen = new Map<string, Set<Status>>();
    for (const c of CASES) for (const [status] of c.expect) seen.set(c.evaluator, (seen.get(c.evaluator) ?? new Set<Status>()).add(status));
    // Their subject is always there when listing works; engine.test.ts in this folder covers the
    // `error` of a failed listing or need, and the `not_applicable` of a region without trails.
    const engineError = new Set(['cloudtrail-log-file-validation', 'cloudtrail-kms-encryption', 'guardduty-findings']);
    const engineNotApplicable = new Set(['cloudtrail-logging', 'cloudtrail-log-file-validation', 'cloudtrail-kms-encryption', 'cloudtrail-bucket-exposure']);
    // One subject per region or run, present even when empty: what is missing is judged, not skipped.
    const alwaysApplicable = new Set(['guardduty-detector', 'cloudtrail-multi-region', 'cloudtrail-events', 'vault-health', 'vault-audit', 'vault-database-roles']);

    for (const { name } of THREAT_EVALUATORS) {
      const statuses = seen.get(name) ?? new Set<Status>();
      expect([name, statuses.has('pass'), statuses.has('fail')]).toEqual([name, true, true]);
      expect([name, statuses.has('error') || engineError.has(name)]).toEqual([name, true]);
      expect([name, statuses.has('not_applicable') || engineNotApplicable.has(name) || alwaysApplicable.has(name)]).toEqual([name, true]);
    }
  });
});

describe('event lookups', () => {
  it('ask for whole sources first, since a busy source fans out into a lookup per event name', () => {
    const lookups = eventLookups({ regional: true, global: true });
    expect(lookups.slice(0, 2)).toEqual([expect.objectContaining({ by: 'source', source: 'iam.amazonaws.com' }), expect.objectContaining({ by: 'source', source: 'guardduty.amazonaws.com' })]);
    expect(lookups.slice(2).every((l) => l.by !== 'source')).toBe(true);
    expect(eventLookups({ regional: false, global: true })).toEqual([expect.objectContaining({ by: 'source', source: 'iam.amazonaws.com' })]);
  });
});
