/**
 * Generated, deterministic benchmark estates: an organization whose management account holds Vigil's
 * key, and member accounts each trusting the audit role with an external id, so Vigil discovers them
 * exactly as in production. Ordinary accounts hold modest, realistic content (a database or two,
 * volumes with daily snapshots, buckets, a trail, GuardDuty, a handful of users and roles), some of it
 * compliant and some not; profiles M and L add one very large account (PROFILE_SPECS, BIG_ACCOUNT).
 *
 * Content comes as schedules and counts rather than lists wherever the scenario allows it (daily
 * snapshots, generated CloudTrail noise), so even L seeds quickly and stays small in memory. Every
 * count the lower bound needs is declared here, next to the content it describes (EstateFacts).
 * Daily schedules run six hours before `now`, so no snapshot sits on a day boundary while a
 * benchmark runs and the declared counts stay exact.
 */
import { HOUR_MS } from '../../core/clock.js';
import { validateInput } from '../../core/input.js';
import { noiseScenario, noiseStreams } from '../aws/cloudtrail-noise.js';
import { scenarioSchema } from '../scenario.js';
import { seededRandom } from './limits.js';
import {
  BIG_ACCOUNT,
  PROFILE_SPECS,
  type AccountFacts,
  type Estate,
  type EstateAccess,
  type EstateProfile,
  type RegionFacts,
} from './profiles.js';

export interface GenerateOptions {
  profile: EstateProfile;
  /** When the estate is seeded; ages and schedules are relative to it. */
  now?: Date;
  /** Varies the estate; the same seed gives the same estate. */
  seed?: number;
}

const ROLE_NAME = 'VigilAudit';
const EXTERNAL_ID = 'vigil-estate';
const MANAGEMENT_ID = '100000000000';
const KEY = { accessKeyId: 'AKIAESTATEVIGIL00001', secretAccessKey: 'estate-vigil-secret-key' } as const;
const VAULT_TOKEN = 'hvs.estate-vigil-token';

/** Event names and where CloudTrail files them, for the events the estates plant. */
const EVENT_SOURCES: Readonly<Record<string, string>> = {
  ConsoleLogin: 'signin.amazonaws.com',
  CreateRole: 'iam.amazonaws.com',
  PutRolePolicy: 'iam.amazonaws.com',
  AttachRolePolicy: 'iam.amazonaws.com',
  UpdateAssumeRolePolicy: 'iam.amazonaws.com',
  DeleteRole: 'iam.amazonaws.com',
  AuthorizeSecurityGroupIngress: 'ec2.amazonaws.com',
  RevokeSecurityGroupIngress: 'ec2.amazonaws.com',
  UpdateTrail: 'cloudtrail.amazonaws.com',
};

/** Monitoring reads of CloudTrail itself: in a real account that source is busy with them. */
const CLOUDTRAIL_READS = [
  { name: 'LookupEvents', source: 'cloudtrail.amazonaws.com' },
  { name: 'DescribeTrails', source: 'cloudtrail.amazonaws.com' },
  { name: 'GetTrailStatus', source: 'cloudtrail.amazonaws.com' },
];
const NOISE_READS_PER_DAY = 12_000;
const NOISE_WRITES_PER_DAY = 200;

type Json = Record<string, unknown>;

interface Context {
  profile: EstateProfile;
  now: Date;
  seed: number;
  regions: readonly string[];
  primary: string;
  dr: string;
  /** `HH:MM` UTC, six hours before now: when every daily schedule runs. */
  dailyAt: string;
}

export function accountIdOf(index: number): string {
  return String(Number(MANAGEMENT_ID) + index);
}

/** The member account that is very large, in profiles that have one: past the middle, so it is neither first nor last. */
export function bigAccountIndex(profile: EstateProfile): number | undefined {
  const spec = PROFILE_SPECS[profile];
  return spec.big ? Math.floor(spec.accounts * 0.6) : undefined;
}

export function generateEstate(options: GenerateOptions): Estate {
  const spec = PROFILE_SPECS[options.profile];
  const now = options.now ?? new Date();
  const before = new Date(now.getTime() - 6 * HOUR_MS);
  const ctx: Context = {
    profile: options.profile,
    now,
    seed: options.seed ?? 1,
    regions: spec.regions,
    primary: spec.regions[0] as string,
    dr: spec.regions[1] as string,
    dailyAt: `${String(before.getUTCHours()).padStart(2, '0')}:${String(before.getUTCMinutes()).padStart(2, '0')}`,
  };
  const big = bigAccountIndex(options.profile);
  const accounts: Json[] = [];
  const facts: AccountFacts[] = [];
  for (let index = 0; index < spec.accounts; index++) {
    const account = generateAccount(ctx, index, index === big);
    accounts.push(account.scenario);
    facts.push(account.facts);
  }
  const input = {
    name: `estate-${options.profile}`,
    description: `Benchmark estate ${options.profile}: ${spec.accounts} accounts, ${spec.regions.length} populated regions${spec.big ? ', one very large account' : ''}.`,
    organization: { id: 'o-estate00001', managementAccount: MANAGEMENT_ID },
    accounts,
    vault: vaultSection(ctx),
  };
  const scenario = validateInput(input, scenarioSchema, `estate ${options.profile}`);
  const access: EstateAccess = { managementAccountId: MANAGEMENT_ID, ...KEY, roleName: ROLE_NAME, externalId: EXTERNAL_ID, drRegion: ctx.dr, vaultToken: VAULT_TOKEN };
  return { profile: options.profile, scenario, facts: { profile: options.profile, managementAccountId: MANAGEMENT_ID, globalRegion: ctx.primary, accounts: facts }, access };
}

// --- one account ---------------------------------------------------------------------------------

/** A region with nothing in it; the estates' generator fills it in, tests build their own from it. */
export function emptyRegion(region: string): RegionFacts {
  return {
    region,
    rdsInstances: 0,
    rdsStandaloneInstances: 0,
    rdsClusters: 0,
    rdsSnapshots: 0,
    rdsSharableSnapshots: 0,
    rdsClusterSnapshots: 0,
    rdsSharableClusterSnapshots: 0,
    ebsVolumes: 0,
    ebsSnapshots: 0,
    ebsPublicSnapshots: 0,
    guardDutyDetector: false,
    guardDutyActiveFindings: 0,
    trails: 0,
    eventsByName: {},
    eventsBySource: {},
    rootEvents: 0,
    noiseBySource: {},
  };
}

function generateAccount(ctx: Context, index: number, big: boolean): { scenario: Json; facts: AccountFacts } {
  const id = accountIdOf(index);
  const random = seededRandom(ctx.seed * 1_000_003 + index);
  const chance = (p: number) => random() < p;
  const name = index === 0 ? 'management' : big ? 'data-platform' : `workload-${String(index).padStart(3, '0')}`;
  const facts: AccountFacts = { id, name, regions: [], iamEntities: 0, drRegion: ctx.dr, buckets: [], trailBuckets: [] };
  const regions: Record<string, Json> = {};
  const trailBucket = `estate-${id}-trail-logs`;

  for (const region of ctx.regions) {
    const f = emptyRegion(region);
    const section: Json = {};
    const isPrimary = region === ctx.primary;
    const isDr = region === ctx.dr;

    // RDS: the application database in the primary region, copied to the DR region; Aurora in every third account.
    const rds: Json = {};
    if (isPrimary) {
      const retention = chance(0.8) ? 30 : 7;
      const missing = chance(0.15) ? [3] : [];
      const manual = [
        { id: 'app-db-pre-upgrade', age: '40d', public: index % 20 === 11 },
        { id: 'app-db-monthly', age: '15d' },
      ];
      rds['instances'] = [
        {
          id: 'app-db',
          multiAZ: chance(0.7),
          backupRetentionDays: retention,
          encrypted: chance(0.9),
          deletionProtection: chance(0.8),
          tags: { env: 'production', app: 'lms' },
          snapshots: { daily: { at: ctx.dailyAt, missingDaysAgo: missing }, manual },
        },
      ];
      f.rdsInstances += 1;
      f.rdsStandaloneInstances += 1;
      f.rdsSnapshots += retention - missing.length + manual.length;
      f.rdsSharableSnapshots += manual.length;
      if (index % 3 === 0) {
        rds['clusters'] = [{ id: 'app-aurora', instances: 2, backupRetentionDays: 14, deletionProtection: chance(0.7), snapshots: { daily: { at: ctx.dailyAt }, manual: [{ id: 'app-aurora-before-migration', age: '10d' }] } }];
        f.rdsInstances += 2;
        f.rdsClusters += 1;
        f.rdsClusterSnapshots += 14 + 1;
        f.rdsSharableClusterSnapshots += 1;
      }
      if (big) addBigRds(ctx, rds, f);
    } else if (isDr) {
      if (chance(0.85)) {
        rds['copies'] = [{ sourceRegion: ctx.primary, sourceInstance: 'app-db', count: 1 }];
        f.rdsSnapshots += 1;
      }
    } else if (chance(0.5)) {
      rds['instances'] = [{ id: 'regional-db', backupRetentionDays: 7, encrypted: chance(0.9), snapshots: { daily: { at: ctx.dailyAt } } }];
      f.rdsInstances += 1;
      f.rdsStandaloneInstances += 1;
      f.rdsSnapshots += 7;
    }
    if (Object.keys(rds).length > 0) section['rds'] = rds;

    // EBS: volumes with 14 days of daily snapshots; DR copies of the primary's first volume.
    const volumes: Json[] = [];
    const snapshots: Json[] = [];
    const volumeCount = isPrimary ? 3 : 2;
    for (let v = 1; v <= volumeCount; v++) {
      const missing = chance(0.1) ? [2] : [];
      volumes.push({ name: `app-data-${v}`, encrypted: chance(0.9), age: '200d', tags: { env: 'production' }, snapshots: { daily: { at: ctx.dailyAt, keep: '14d', missingDaysAgo: missing } } });
      f.ebsSnapshots += 14 - missing.length;
    }
    f.ebsVolumes += volumeCount;
    if (isPrimary && index % 30 === 17) {
      snapshots.push({ volume: 'app-data-2', age: '20d', public: true, encrypted: false, description: 'shared for a vendor' });
      f.ebsSnapshots += 1;
      f.ebsPublicSnapshots += 1;
    }
    if (isDr && chance(0.8)) {
      snapshots.push({ copyOf: { region: ctx.primary, volume: 'app-data-1' }, age: '5h' });
      f.ebsSnapshots += 1;
    }
    if (isPrimary && big) addBigEbs(ctx, volumes, f);
    section['ec2'] = { volumes, snapshots };

    // S3: content (replicated to the DR region), exports, and the trail's log bucket.
    const buckets: Json[] = [];
    if (isPrimary) {
      const block = { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true };
      buckets.push({
        name: `estate-${id}-content`,
        versioning: 'Enabled',
        ...(chance(0.7) ? { lifecycle: [{ id: 'expire-noncurrent', noncurrentVersionExpiration: { noncurrentDays: 60 } }] } : {}),
        replication: { rules: [{ destination: `estate-${id}-content-dr` }] },
        ...(chance(0.9) ? { publicAccessBlock: block } : {}),
        tags: { env: 'production' },
      });
      buckets.push({ name: `estate-${id}-exports`, versioning: chance(0.7) ? 'Enabled' : 'none', encryption: chance(0.9) ? 'AES256' : 'none', publicAccessBlock: block, tags: { env: 'production' } });
      buckets.push({ name: trailBucket, versioning: 'Enabled', encryption: 'aws:kms', publicAccessBlock: block, tags: { env: 'security' } });
    }
    if (isDr) buckets.push({ name: `estate-${id}-content-dr`, versioning: 'Enabled', tags: { env: 'production' } });
    if (buckets.length > 0) section['s3'] = { buckets };
    for (const b of buckets) facts.buckets.push({ name: b['name'] as string, region });

    // GuardDuty: a detector everywhere, a few findings.
    const findings: Json[] = [];
    for (let n = Math.floor(random() * 3); n > 0; n--) {
      const severity = [2, 5, 8][Math.floor(random() * 3)] as number;
      findings.push({ severity, firstSeen: `${1 + Math.floor(random() * 20)}d` });
      if (severity >= 4) f.guardDutyActiveFindings += 1;
    }
    const features = chance(0.9)
      ? { S3_DATA_EVENTS: 'ENABLED', EBS_MALWARE_PROTECTION: 'ENABLED', RDS_LOGIN_EVENTS: 'ENABLED' }
      : { S3_DATA_EVENTS: 'ENABLED', EBS_MALWARE_PROTECTION: 'DISABLED', RDS_LOGIN_EVENTS: 'ENABLED' };
    if (isPrimary && big) addBigFindings(findings, f);
    section['guardduty'] = { detector: { features, findingPublishingFrequency: 'FIFTEEN_MINUTES' }, findings };
    f.guardDutyDetector = true;

    // CloudTrail: the account's multi-region trail, busy generated history, a few events of concern.
    const events: Json[] = isPrimary ? ordinaryEvents(index) : [];
    if (isPrimary && big) addBigEvents(events);
    for (const e of events) {
      const eventName = e['name'] as string;
      f.eventsByName[eventName] = (f.eventsByName[eventName] ?? 0) + 1;
      const source = EVENT_SOURCES[eventName] as string;
      f.eventsBySource[source] = (f.eventsBySource[source] ?? 0) + 1;
      if (e['actor'] === 'root') f.rootEvents += 1;
    }
    const noise = { readsPerDay: NOISE_READS_PER_DAY, writesPerDay: isPrimary && big ? BIG_ACCOUNT.cloudTrailWritesPerDay - events.length : NOISE_WRITES_PER_DAY, window: '2d', extraReads: CLOUDTRAIL_READS };
    f.noiseBySource = noisePerDayBySource(id, region, noise, ctx.now);
    const cloudtrail: Json = { events, noise };
    if (isPrimary) {
      cloudtrail['trails'] = [{ name: 'account-trail', multiRegion: true, logFileValidation: chance(0.9), ...(chance(0.8) ? { kmsKeyId: 'alias/cloudtrail' } : {}), s3Bucket: trailBucket }];
    }
    section['cloudtrail'] = cloudtrail;
    // The account's own multi-region trail, as itself or as a shadow trail, in every region.
    f.trails = 1;

    regions[region] = section;
    facts.regions.push(f);
  }
  facts.trailBuckets.push({ name: trailBucket, region: ctx.primary, own: true });

  const iam = iamSection(ctx, index, id, big, chance);
  facts.iamEntities = iam.entities;
  const scenario: Json = {
    id,
    name,
    joined: '700d',
    enabledRegions: [...ctx.regions],
    ...(index === 0 ? { accessKeys: [{ ...KEY, user: 'vigil' }] } : {}),
    iam: iam.section,
    regions,
  };
  return { scenario, facts };
}

/** A few events of concern in ordinary accounts, all within the last day. */
function ordinaryEvents(index: number): Json[] {
  const events: Json[] = [];
  if (index % 7 === 3) events.push({ name: 'ConsoleLogin', actor: 'bob', age: '5h', mfa: false });
  if (index % 5 === 1) events.push({ name: 'AuthorizeSecurityGroupIngress', actor: 'alice', age: '3h' });
  if (index % 4 === 2) events.push({ name: 'PutRolePolicy', actor: 'role/ci-deployer/github-actions', age: '8h' });
  if (index % 20 === 7) events.push({ name: 'ConsoleLogin', actor: 'root', age: '10h', mfa: true });
  if (index % 25 === 4) events.push({ name: 'UpdateTrail', actor: 'alice', age: '12h' });
  return events;
}

/** Generated events a day by source, from the same generator the sandbox serves them with. */
function noisePerDayBySource(accountId: string, region: string, input: Json, now: Date): Record<string, number> {
  const noise = noiseScenario.parse(input);
  const out: Record<string, number> = {};
  for (const stream of noiseStreams(accountId, region, noise, now.getTime())) {
    const perDay = stream.readOnly ? noise.readsPerDay : noise.writesPerDay;
    for (const template of stream.block) out[template.source] = (out[template.source] ?? 0) + perDay / stream.block.length;
  }
  return out;
}

// --- the very large account ----------------------------------------------------------------------

function addBigRds(ctx: Context, rds: Json, f: RegionFacts): void {
  const instances = rds['instances'] as Json[];
  const base = Math.floor(BIG_ACCOUNT.rdsManualSnapshots / BIG_ACCOUNT.rdsInstances);
  const extra = BIG_ACCOUNT.rdsManualSnapshots - base * BIG_ACCOUNT.rdsInstances;
  for (let n = 1; n <= BIG_ACCOUNT.rdsInstances; n++) {
    const count = base + (n <= extra ? 1 : 0);
    const manual = Array.from({ length: count }, (_, k) => ({ id: `db-${n}-manual-${k + 1}`, age: `${1 + ((n * 31 + k * 7) % 300)}d` }));
    instances.push({ id: `db-${n}`, backupRetentionDays: BIG_ACCOUNT.rdsRetentionDays, multiAZ: n % 4 !== 0, tags: { env: 'production', team: `team-${n % 8}` }, snapshots: { daily: { at: ctx.dailyAt }, manual } });
    f.rdsInstances += 1;
    f.rdsStandaloneInstances += 1;
    f.rdsSnapshots += BIG_ACCOUNT.rdsRetentionDays + count;
    f.rdsSharableSnapshots += count;
  }
}

function addBigEbs(ctx: Context, volumes: Json[], f: RegionFacts): void {
  for (let n = 1; n <= BIG_ACCOUNT.ebsVolumes; n++) {
    volumes.push({ name: `data-${n}`, encrypted: true, age: '200d', tags: { env: 'production', team: `team-${n % 8}` }, snapshots: { daily: { at: ctx.dailyAt, keep: `${BIG_ACCOUNT.ebsSnapshotDays}d` } } });
  }
  f.ebsVolumes += BIG_ACCOUNT.ebsVolumes;
  f.ebsSnapshots += BIG_ACCOUNT.ebsVolumes * BIG_ACCOUNT.ebsSnapshotDays;
}

/** Mostly low and medium, some high and critical, one in ten archived. */
function addBigFindings(findings: Json[], f: RegionFacts): void {
  for (let n = 0; n < BIG_ACCOUNT.guardDutyFindings; n++) {
    const band = n % 20;
    const severity = band < 6 ? 2 : band < 15 ? 5 : band < 19 ? 7.5 : 9.1;
    const archived = n % 10 === 9;
    findings.push({ severity, archived, firstSeen: `${1 + (n % 30)}d`, type: band < 15 ? 'Recon:EC2/PortProbeUnprotectedPort' : 'UnauthorizedAccess:EC2/SSHBruteForce' });
    if (severity >= 4 && !archived) f.guardDutyActiveFindings += 1;
  }
}

/** Each change spread evenly over the last 23 hours. */
function addBigEvents(events: Json[]): void {
  const spanSeconds = 23 * 3600;
  for (const [eventName, count] of Object.entries(BIG_ACCOUNT.cloudTrailChanges)) {
    const actor = EVENT_SOURCES[eventName] === 'iam.amazonaws.com' ? 'role/ci-deployer/github-actions' : 'role/autoscaler/fleet';
    for (let j = 0; j < count; j++) events.push({ name: eventName, actor, age: `${Math.floor(((j + 0.5) * spanSeconds) / count)}s` });
  }
}

// --- IAM -----------------------------------------------------------------------------------------

const CI_DEPLOY_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['ecs:UpdateService', 'ecr:PutImage', 'lambda:UpdateFunctionCode'], Resource: '*' }],
};

function iamSection(ctx: Context, index: number, id: string, big: boolean, chance: (p: number) => boolean): { section: Json; entities: number } {
  const users: Json[] = [
    { name: 'alice', age: '900d', groups: ['admins'], console: { passwordAge: '60d', lastUsed: '2d' }, mfa: true },
    { name: 'bob', age: '600d', groups: ['readers'], console: { passwordAge: '120d', lastUsed: '5d' }, mfa: chance(0.7), accessKeys: [{ age: `${30 + (index % 5) * 40}d`, lastUsed: { age: '3d', service: 's3' } }] },
    { name: 'ci-bot', age: '300d', attached: ['ci-deploy'], accessKeys: [{ age: '20d', lastUsed: { age: '1h', service: 'lambda' } }] },
  ];
  if (index === 0) users.push({ name: 'vigil', age: '30d', attached: ['SecurityAudit', 'ReadOnlyAccess'] });
  const groups = [
    { name: 'admins', attached: ['AdministratorAccess'] },
    { name: 'readers', attached: ['ReadOnlyAccess'] },
  ];
  const roles: Json[] = [
    { name: ROLE_NAME, trustedAccounts: [MANAGEMENT_ID], externalId: EXTERNAL_ID, attached: ['SecurityAudit', 'ReadOnlyAccess'], lastUsed: '1d' },
    { name: 'app-role', trustedAccounts: [id], inline: { 'read-content': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::estate-${id}-content/*` }] } } },
    { name: 'ci-deployer', trustedAccounts: [id], attached: ['PowerUserAccess'] },
    { name: 'BreakGlassAdmin', trustedAccounts: [id], attached: ['AdministratorAccess'] },
  ];
  const policies: Json[] = [{ name: 'ci-deploy', document: CI_DEPLOY_POLICY }];
  const awsManaged = new Set(['SecurityAudit', 'ReadOnlyAccess', 'AdministratorAccess', 'PowerUserAccess']);
  if (big) {
    for (let k = 0; k < 20; k++) {
      policies.push({ name: `svc-policy-${k}`, document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 'sqs:SendMessage'], Resource: [`arn:aws:s3:::svc-${k}-data/*`, `arn:aws:sqs:${ctx.primary}:${id}:svc-${k}`] }] } });
    }
    for (let n = 1; n <= BIG_ACCOUNT.iamRoles; n++) {
      roles.push({
        name: `svc-${n}`,
        trustedAccounts: [id],
        attached: n % 10 === 0 ? [`svc-policy-${n % 20}`, 'ReadOnlyAccess'] : [`svc-policy-${n % 20}`],
        ...(n % 7 === 0 ? { inline: { 'queue-read': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:ReceiveMessage', Resource: `arn:aws:sqs:${ctx.primary}:${id}:svc-${n}` }] } } } : {}),
      });
    }
  }
  const root = { mfa: chance(0.93) ? 'virtual' : false, accessKeys: index % 29 === 5 ? [{ age: '400d', lastUsed: { age: '30d', service: 's3' } }] : [], passwordLastUsed: chance(0.8) ? 'never' : '40d' };
  return { section: { root, users, groups, roles, policies }, entities: users.length + groups.length + roles.length + policies.length + awsManaged.size };
}

function vaultSection(ctx: Context): Json {
  return {
    audit: [{ path: 'file', type: 'file', options: { file_path: '/var/log/vault/audit.log' } }],
    tokens: [{ token: VAULT_TOKEN, displayName: 'token-vigil', policies: ['vigil'], paths: ['secret/*', 'database/*', 'sys/audit', 'sys/mounts', 'sys/mounts/*', 'sys/leases/*'], ttl: '768h', age: '2d' }],
    database: {
      mount: 'database',
      connections: { 'app-db': { account: MANAGEMENT_ID, region: ctx.primary, dbInstanceIdentifier: 'app-db' } },
      roles: { 'app-readonly': { connection: 'app-db', defaultTtl: '1h', maxTtl: '24h' } },
    },
  };
}

