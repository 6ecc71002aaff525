/**
 * The benchmark estates by profile, and what an estate declares about itself: the scenario the
 * sandbox seeds, the facts the lower bound is computed from (src/sandbox/estates/model.ts), and how
 * Vigil reaches it (the management account's key, the audit role and its external id).
 */
import type { Scenario } from '../scenario.js';

export const ESTATE_PROFILES = ['S', 'M', 'L'] as const;
export type EstateProfile = (typeof ESTATE_PROFILES)[number];

export interface ProfileSpec {
  /** Accounts in the organization, the management account included. */
  accounts: number;
  /** Regions with resources, every account; the first is the primary, the second the DR region. */
  regions: readonly string[];
  /** Whether one member account is very large (the "one very large account"). */
  big: boolean;
}

export const PROFILE_SPECS: Readonly<Record<EstateProfile, ProfileSpec>> = {
  S: { accounts: 5, regions: ['us-east-1', 'us-west-2'], big: false },
  M: { accounts: 50, regions: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'], big: true },
  L: { accounts: 500, regions: ['us-east-1', 'us-west-2'], big: true },
};

/** The very large account, in its primary region: what the issue names, and what makes it so. */
export const BIG_ACCOUNT = {
  /** 278 volumes with 90 daily snapshots each. */
  ebsVolumes: 278,
  ebsSnapshotDays: 90,
  /** 60 instances with 30 days of automated snapshots (1,800) and 2,200 manual ones: 4,000. */
  rdsInstances: 60,
  rdsRetentionDays: 30,
  rdsManualSnapshots: 2_200,
  guardDutyFindings: 5_000,
  /** Write events a day: generated noise plus the IAM and security-group changes below. */
  cloudTrailWritesPerDay: 30_000,
  /** Event name -> events in the last day: CI deploying roles and opening ports. */
  cloudTrailChanges: {
    CreateRole: 800,
    PutRolePolicy: 1_200,
    AttachRolePolicy: 1_500,
    UpdateAssumeRolePolicy: 500,
    DeleteRole: 500,
    AuthorizeSecurityGroupIngress: 800,
    RevokeSecurityGroupIngress: 700,
  } as Readonly<Record<string, number>>,
  iamRoles: 2_500,
} as const;

/** What a scan must look at in one account and region, as the estate declares it. */
export interface RegionFacts {
  region: string;
  /** DescribeDBInstances items, Aurora members included. */
  rdsInstances: number;
  /** Instances outside Aurora clusters: the subjects of the RDS checks. */
  rdsStandaloneInstances: number;
  rdsClusters: number;
  /** DescribeDBSnapshots items: automated, manual and copies from other regions. */
  rdsSnapshots: number;
  /** Manual snapshots of this region's own instances: who may restore each is one read. */
  rdsSharableSnapshots: number;
  rdsClusterSnapshots: number;
  rdsSharableClusterSnapshots: number;
  ebsVolumes: number;
  /** Snapshots the account owns. */
  ebsSnapshots: number;
  ebsPublicSnapshots: number;
  guardDutyDetector: boolean;
  /** Active (not archived) findings of severity 4 and above: what the GuardDuty checks judge. */
  guardDutyActiveFindings: number;
  /** Trails DescribeTrails shows here, shadow trails included. */
  trails: number;
  /** Explicit events of the last day, by event name, by event source, and by the root user. */
  eventsByName: Record<string, number>;
  eventsBySource: Record<string, number>;
  rootEvents: number;
  /** Generated events a day, by event source (reads and writes of ordinary users and roles). */
  noiseBySource: Record<string, number>;
}

export interface AccountFacts {
  id: string;
  name: string;
  regions: RegionFacts[];
  /** GetAccountAuthorizationDetails items: users, groups, roles, customer policies and the AWS managed policies in use. */
  iamEntities: number;
  /** Where the account's backups are copied; the checks read the copies there. */
  drRegion: string;
  buckets: Array<{ name: string; region: string }>;
  /** The buckets the account's trails deliver to, and whether the account owns them. */
  trailBuckets: Array<{ name: string; region: string; own: boolean }>;
}

export interface EstateFacts {
  profile: EstateProfile;
  managementAccountId: string;
  /** The region global services (IAM, Organizations, STS) are called in. */
  globalRegion: string;
  accounts: AccountFacts[];
}

/** How Vigil reaches the estate: the base key (a user in the management account) and the audit role. */
export interface EstateAccess {
  managementAccountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  roleName: string;
  externalId: string;
  drRegion: string;
  vaultToken: string;
}

export interface Estate {
  profile: EstateProfile;
  scenario: Scenario;
  facts: EstateFacts;
  access: EstateAccess;
}
