/**
 * The fewest AWS calls a complete standard scan of an estate needs, by API, account and region: a
 * declared model, derived from what the checks must know (checks/*.yaml and the evaluators they use)
 * at each list API's largest page, never from what a scanner happened to call. A scanner that makes
 * more calls than this wastes them; the lower bound (bound.ts) is computed from it.
 *
 * What a complete scan must know, per account: the accounts (ListAccounts) and a session in each
 * (AssumeRole), its enabled regions, its IAM users, groups, roles and policies with their documents
 * (one GetAccountAuthorizationDetails), the credential report (generated, then fetched) and the
 * account summary, and every bucket with its tags, versioning, lifecycle, replication, encryption and
 * public access block. Per region: DB instances, clusters and their snapshots, with who may restore
 * each snapshot that can be shared; volumes, owned snapshots and which of them are public (one listing
 * of the public ones); the GuardDuty detector and its active findings of medium severity and above;
 * the trails with their status and selectors, whether their buckets are public, and every management
 * event of concern in the last day.
 */
import { limitScopeOf, scopeKey } from './limits.js';
import type { AccountFacts, EstateFacts, RegionFacts } from './profiles.js';

/** The largest pages the list APIs allow. */
export const MAX_PAGE = {
  ListAccounts: 20,
  GetAccountAuthorizationDetails: 1000,
  DescribeDBInstances: 100,
  DescribeDBClusters: 100,
  DescribeDBSnapshots: 100,
  DescribeDBClusterSnapshots: 100,
  DescribeVolumes: 500,
  DescribeSnapshots: 1000,
  ListFindings: 50,
  /** GetFindings takes at most 50 ids. */
  GetFindings: 50,
  LookupEvents: 50,
} as const;

/** The events of concern (checks/cloudtrail-events-of-concern.yaml), as LookupEvents can find them. */
export const EVENTS_OF_CONCERN = {
  securityGroup: {
    source: 'ec2.amazonaws.com',
    names: ['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress', 'CreateSecurityGroup', 'DeleteSecurityGroup', 'ModifySecurityGroupRules'],
  },
  trail: { source: 'cloudtrail.amazonaws.com', names: ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'] },
  guardDuty: { source: 'guardduty.amazonaws.com', names: ['UpdateDetector', 'DeleteDetector', 'CreateFilter', 'UpdateFilter', 'DeleteFilter'] },
  /** IAM is global: its events are in the history of us-east-1 only. */
  iam: {
    source: 'iam.amazonaws.com',
    names: [
      'AttachGroupPolicy', 'AttachRolePolicy', 'AttachUserPolicy', 'CreatePolicy', 'CreatePolicyVersion', 'CreateRole', 'DeleteGroupPolicy',
      'DeletePolicy', 'DeletePolicyVersion', 'DeleteRole', 'DeleteRolePermissionsBoundary', 'DeleteRolePolicy', 'DeleteUserPermissionsBoundary',
      'DeleteUserPolicy', 'DetachGroupPolicy', 'DetachRolePolicy', 'DetachUserPolicy', 'PutGroupPolicy', 'PutRolePermissionsBoundary',
      'PutRolePolicy', 'PutUserPermissionsBoundary', 'PutUserPolicy', 'SetDefaultPolicyVersion', 'UpdateAssumeRolePolicy', 'UpdateRole',
    ],
  },
} as const;

/** Where global services' events land. */
const GLOBAL_EVENTS_REGION = 'us-east-1';

/** Calls one API must serve in one account and region. */
export interface CallNeed {
  service: string;
  operation: string;
  account: string;
  region: string;
  calls: number;
}

/** Calls that must follow one another: each needs the previous one's answer. */
export interface Chain {
  name: string;
  calls: number;
}

export interface MinimumModel {
  needs: CallNeed[];
  /** The longest chain per account-region and the discovery that precedes them all. */
  chains: Chain[];
  totalCalls: number;
}

export interface ModelOptions {
  /** The CloudTrail window of the standard scan: one day. */
  eventWindowDays?: number;
}

/** Pages of a listing of `items` at `pageSize` a page; an empty listing is still one call. */
export function pages(items: number, pageSize: number): number {
  return Math.max(1, Math.ceil(items / pageSize));
}

export function minimumCalls(facts: EstateFacts, options: ModelOptions = {}): MinimumModel {
  const windowDays = options.eventWindowDays ?? 1;
  const needs: CallNeed[] = [];
  const chains: Chain[] = [];
  const add = (service: string, operation: string, account: string, region: string, calls: number) => {
    if (calls > 0) needs.push({ service, operation, account, region, calls });
  };
  const management = facts.managementAccountId;
  const global = facts.globalRegion;

  const listPages = pages(facts.accounts.length, MAX_PAGE.ListAccounts);
  add('organizations', 'ListAccounts', management, global, listPages);
  // Every session is asked for with the base credentials: the management account's STS scope.
  add('sts', 'AssumeRole', management, global, facts.accounts.length);
  const discovery = listPages + 2;
  chains.push({ name: `discovery (ListAccounts, AssumeRole, DescribeRegions)`, calls: discovery });

  for (const account of facts.accounts) {
    add('ec2', 'DescribeRegions', account.id, global, 1);
    accountNeeds(account, global, add, chains, discovery);
    for (const region of account.regions) regionNeeds(account, region, windowDays, add, chains, discovery);
  }
  return { needs, chains, totalCalls: needs.reduce((n, c) => n + c.calls, 0) };
}

type Add = (service: string, operation: string, account: string, region: string, calls: number) => void;

function accountNeeds(account: AccountFacts, global: string, add: Add, chains: Chain[], discovery: number): void {
  const id = account.id;
  const authorization = pages(account.iamEntities, MAX_PAGE.GetAccountAuthorizationDetails);
  add('iam', 'GetAccountAuthorizationDetails', id, global, authorization);
  // The report is generated on request: one call starts it, the next finds it complete.
  add('iam', 'GenerateCredentialReport', id, global, 2);
  add('iam', 'GetCredentialReport', id, global, 1);
  add('iam', 'GetAccountSummary', id, global, 1);
  chains.push({ name: `${id} IAM (authorization details; credential report)`, calls: discovery + Math.max(authorization, 3) });

  add('s3', 'ListBuckets', id, global, 1);
  for (const bucket of account.buckets) {
    for (const operation of ['GetBucketTagging', 'GetBucketVersioning', 'GetBucketLifecycleConfiguration', 'GetBucketReplication', 'GetBucketEncryption', 'GetPublicAccessBlock']) {
      add('s3', operation, id, bucket.region, 1);
    }
  }
  for (const bucket of account.trailBuckets) {
    // An own bucket's public access block is read with the bucket's other settings.
    if (!bucket.own) add('s3', 'GetPublicAccessBlock', id, bucket.region, 1);
    add('s3', 'GetBucketPolicyStatus', id, bucket.region, 1);
    add('s3', 'GetBucketAcl', id, bucket.region, 1);
  }
}

/**
 * Snapshots are judged per source (an instance, a cluster, a volume): a region's snapshots are needed
 * where it has sources, and in the DR region when any other region has sources (their copies).
 */
function snapshotsNeeded(account: AccountFacts, f: RegionFacts, sources: (r: RegionFacts) => number): boolean {
  if (sources(f) > 0) return true;
  return f.region === account.drRegion && account.regions.some((other) => other !== f && sources(other) > 0);
}

function regionNeeds(facts: AccountFacts, f: RegionFacts, windowDays: number, add: Add, chains: Chain[], discovery: number): void {
  const account = facts.id;
  const r = f.region;
  const longest: Chain[] = [];
  const list = (service: string, operation: keyof typeof MAX_PAGE, items: number, then = 0): void => {
    const calls = pages(items, MAX_PAGE[operation]);
    add(service, operation, account, r, calls);
    longest.push({ name: `${account}/${r} ${operation}`, calls: calls + then });
  };

  list('rds', 'DescribeDBInstances', f.rdsInstances);
  list('rds', 'DescribeDBClusters', f.rdsClusters);
  if (snapshotsNeeded(facts, f, (x) => x.rdsStandaloneInstances)) list('rds', 'DescribeDBSnapshots', f.rdsSnapshots, f.rdsSharableSnapshots > 0 ? 1 : 0);
  if (snapshotsNeeded(facts, f, (x) => x.rdsClusters)) list('rds', 'DescribeDBClusterSnapshots', f.rdsClusterSnapshots, f.rdsSharableClusterSnapshots > 0 ? 1 : 0);
  add('rds', 'DescribeDBSnapshotAttributes', account, r, f.rdsSharableSnapshots);
  add('rds', 'DescribeDBClusterSnapshotAttributes', account, r, f.rdsSharableClusterSnapshots);

  list('ec2', 'DescribeVolumes', f.ebsVolumes);
  if (snapshotsNeeded(facts, f, (x) => x.ebsVolumes)) {
    // The owned snapshots, and where volumes are judged one listing of those anyone may restore
    // (instead of one read per snapshot).
    const owned = pages(f.ebsSnapshots, MAX_PAGE.DescribeSnapshots);
    const open = f.ebsVolumes > 0 ? pages(f.ebsPublicSnapshots, MAX_PAGE.DescribeSnapshots) : 0;
    add('ec2', 'DescribeSnapshots', account, r, owned + open);
    longest.push({ name: `${account}/${r} DescribeSnapshots`, calls: Math.max(owned, open) });
  }

  add('guardduty', 'ListDetectors', account, r, 1);
  if (f.guardDutyDetector) {
    add('guardduty', 'GetDetector', account, r, 1);
    const findingPages = pages(f.guardDutyActiveFindings, MAX_PAGE.ListFindings);
    add('guardduty', 'ListFindings', account, r, findingPages);
    add('guardduty', 'GetFindings', account, r, Math.ceil(f.guardDutyActiveFindings / MAX_PAGE.GetFindings));
    longest.push({ name: `${account}/${r} ListFindings`, calls: 1 + findingPages + (f.guardDutyActiveFindings > 0 ? 1 : 0) });
  }

  add('cloudtrail', 'DescribeTrails', account, r, 1);
  add('cloudtrail', 'GetTrailStatus', account, r, f.trails);
  add('cloudtrail', 'GetEventSelectors', account, r, f.trails);
  const lookups = eventLookups(f, windowDays);
  add('cloudtrail', 'LookupEvents', account, r, lookups.calls);
  longest.push({ name: `${account}/${r} LookupEvents`, calls: lookups.longest });

  const top = longest.reduce((a, b) => (b.calls > a.calls ? b : a));
  chains.push({ name: top.name, calls: discovery + top.calls });
}

/**
 * LookupEvents pages for the events of concern: one attribute per call, so the root user's events by
 * user name, sign-ins by event name, and each other group by event name or, when that source is
 * quieter than the names are many, by event source. Lookups are independent of one another; the
 * pages of one lookup are a chain.
 */
function eventLookups(f: RegionFacts, windowDays: number): { calls: number; longest: number } {
  const page = (n: number) => pages(n, MAX_PAGE.LookupEvents);
  const byName = (name: string) => page(f.eventsByName[name] ?? 0);
  const bySource = (source: string) => page((f.eventsBySource[source] ?? 0) + Math.floor((f.noiseBySource[source] ?? 0) * windowDays));
  const lookups: number[][] = [[page(f.rootEvents)], [byName('ConsoleLogin')]];
  const groups: Array<{ source: string; names: readonly string[] }> = [EVENTS_OF_CONCERN.securityGroup, EVENTS_OF_CONCERN.trail, EVENTS_OF_CONCERN.guardDuty];
  if (f.region === GLOBAL_EVENTS_REGION) groups.push(EVENTS_OF_CONCERN.iam);
  for (const g of groups) {
    const names = g.names.map(byName);
    const source = bySource(g.source);
    lookups.push(source < names.reduce((n, p) => n + p, 0) ? [source] : names);
  }
  const all = lookups.flat();
  return { calls: all.reduce((n, p) => n + p, 0), longest: Math.max(...all) };
}

/** The model's calls summed by rate-limit scope (`rds|<account>|<region>`). */
export function callsByScope(model: MinimumModel): Map<string, number> {
  const out = new Map<string, number>();
  for (const need of model.needs) {
    const scope = limitScopeOf(need.service, need.operation);
    if (!scope) continue;
    const key = scopeKey(scope, need.account, need.region);
    out.set(key, (out.get(key) ?? 0) + need.calls);
  }
  return out;
}

/** The model's calls summed by API (`ec2:DescribeSnapshots`). */
export function callsByOperation(model: MinimumModel): Map<string, number> {
  const out = new Map<string, number>();
  for (const need of model.needs) out.set(`${need.service}:${need.operation}`, (out.get(`${need.service}:${need.operation}`) ?? 0) + need.calls);
  return out;
}
