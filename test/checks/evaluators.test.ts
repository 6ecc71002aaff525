import { describe, expect, it } from 'vitest';
import type { Evaluator, EvalContext } from '../../src/checks/evaluator.js';
import { CouldNotLook, type Resource } from '../../src/checks/resources.js';
import { IAM_EVALUATORS } from '../../src/checks/iam/index.js';
import { EVALUATORS } from '../../src/checks/registry.js';
import { THREAT_EVALUATORS } from '../../src/checks/threat/index.js';
import type { Status } from '../../src/core/results.js';
import { ACCOUNT, DR_BUCKET, bucket, context, dailySnapshots, daysAgo, ebsVolume, fetched, hoursAgo, notFetched, rdsCluster, rdsInstance, snapshot } from './fixtures.js';

interface Case {
  name: string;
  evaluator: string;
  params: Record<string, unknown>;
  resource: Resource;
  ctx?: Partial<EvalContext<Record<string, unknown>>>;
  status: Status;
  message: string | RegExp;
}

/** Runs an evaluator as the engine does: params through its schema, CouldNotLook as error. */
function judge(c: Case): { status: Status; message: string } {
  const evaluator = EVALUATORS.get(c.evaluator) as Evaluator<Record<string, unknown>>;
  const params = evaluator.params.parse(c.params);
  try {
    const verdicts = evaluator.evaluate(c.resource, context(params, c.ctx));
    const [verdict] = Array.isArray(verdicts) ? verdicts : [verdicts];
    if (!verdict || (Array.isArray(verdicts) && verdicts.length !== 1)) throw new Error('these evaluators judge one verdict per resource');
    return { status: verdict.status, message: verdict.message };
  } catch (err) {
    if (err instanceof CouldNotLook) return { status: 'error', message: err.message };
    throw err;
  }
}

const rds = { source: 'rds-instance' };
const denied = notFetched<never>('s3:GetBucketVersioning in 222222222222/us-east-1: access denied (AccessDenied)');

const CASES: Case[] = [
  // snapshot-freshness
  { name: 'fresh snapshot', evaluator: 'snapshot-freshness', params: rds, resource: rdsInstance(), ctx: { snapshots: [snapshot('s1', hoursAgo(8))] }, status: 'pass', message: 'RDS instance lms-prod has a snapshot 8 hours old (s1).' },
  { name: 'stale snapshot', evaluator: 'snapshot-freshness', params: rds, resource: rdsInstance(), ctx: { snapshots: [snapshot('s1', hoursAgo(30))] }, status: 'fail', message: "RDS instance lms-prod's newest snapshot is 30 hours old (s1), older than 24 hours." },
  { name: 'no snapshot at all', evaluator: 'snapshot-freshness', params: rds, resource: rdsInstance(), status: 'fail', message: 'RDS instance lms-prod has no completed snapshot.' },
  { name: 'only a snapshot still being created', evaluator: 'snapshot-freshness', params: rds, resource: rdsInstance(), ctx: { snapshots: [snapshot('s1', hoursAgo(1), { status: 'creating' })] }, status: 'fail', message: 'RDS instance lms-prod has no completed snapshot.' },
  { name: 'brand-new instance', evaluator: 'snapshot-freshness', params: rds, resource: rdsInstance({ createdAt: hoursAgo(3) }), status: 'not_applicable', message: /created 3 hours ago; its first backup is not due yet/ },
  { name: 'EBS volume, same evaluator', evaluator: 'snapshot-freshness', params: { source: 'ebs-volume' }, resource: ebsVolume(), ctx: { snapshots: [snapshot('snap-1', hoursAgo(9), { sourceKind: 'ebs-volume', sourceId: 'vol-0abc' })] }, status: 'pass', message: 'EBS volume vol-0abc (web-1) has a snapshot 9 hours old (snap-1).' },

  // snapshot-daily
  { name: 'every day covered', evaluator: 'snapshot-daily', params: { ...rds, windowDays: 30 }, resource: rdsInstance(), ctx: { snapshots: dailySnapshots(31) }, status: 'pass', message: 'RDS instance lms-prod has a snapshot on each of the last 29 days.' },
  { name: 'gaps named by day', evaluator: 'snapshot-daily', params: { ...rds, windowDays: 30 }, resource: rdsInstance(), ctx: { snapshots: dailySnapshots(31, [4, 5, 6, 12]) }, status: 'fail', message: 'RDS instance lms-prod has no snapshot on 4 days of the last 29: 2026-11-12, 2026-11-18..2026-11-20.' },
  { name: 'history shorter than the window', evaluator: 'snapshot-daily', params: { source: 'ebs-volume', windowDays: 90 }, resource: ebsVolume(), ctx: { snapshots: dailySnapshots(46, [], { sourceKind: 'ebs-volume', sourceId: 'vol-0abc' }) }, status: 'fail', message: 'EBS volume vol-0abc (web-1) has no snapshot on 44 days of the last 89: 2026-08-27..2026-10-09.' },
  { name: 'window starts at creation', evaluator: 'snapshot-daily', params: { source: 'ebs-volume', windowDays: 90 }, resource: ebsVolume({ createdAt: daysAgo(10, 15) }), ctx: { snapshots: dailySnapshots(10, [], { sourceKind: 'ebs-volume', sourceId: 'vol-0abc' }) }, status: 'pass', message: 'EBS volume vol-0abc (web-1) has a snapshot on each of the last 9 days.' },
  { name: 'created today', evaluator: 'snapshot-daily', params: { ...rds, windowDays: 30 }, resource: rdsInstance({ createdAt: hoursAgo(2) }), status: 'not_applicable', message: 'RDS instance lms-prod is less than a day old; no full day to judge yet.' },

  // snapshot-over-retention
  { name: 'nothing kept too long', evaluator: 'snapshot-over-retention', params: { ...rds, maxAgeDays: 30 }, resource: rdsInstance(), ctx: { snapshots: dailySnapshots(30) }, status: 'pass', message: 'RDS instance lms-prod keeps no snapshot beyond 37 days.' },
  { name: 'a manual snapshot kept 120 days', evaluator: 'snapshot-over-retention', params: { ...rds, maxAgeDays: 30 }, resource: rdsInstance(), ctx: { snapshots: [...dailySnapshots(30), snapshot('lms-prod-before-migration', daysAgo(120), { type: 'manual' })] }, status: 'fail', message: 'RDS instance lms-prod keeps 1 snapshot beyond 37 days: lms-prod-before-migration (120 days).' },
  { name: 'only manual ones judged when asked', evaluator: 'snapshot-over-retention', params: { ...rds, maxAgeDays: 30, types: ['manual'] }, resource: rdsInstance(), ctx: { snapshots: [snapshot('old-auto', daysAgo(50))] }, status: 'not_applicable', message: 'RDS instance lms-prod has no snapshots to judge.' },

  // snapshot-encryption
  { name: 'all encrypted', evaluator: 'snapshot-encryption', params: rds, resource: rdsInstance(), ctx: { snapshots: dailySnapshots(3) }, status: 'pass', message: 'RDS instance lms-prod has 3 snapshots, all encrypted.' },
  { name: 'some unencrypted', evaluator: 'snapshot-encryption', params: rds, resource: rdsInstance(), ctx: { snapshots: [snapshot('a', daysAgo(1)), snapshot('b', daysAgo(2), { encrypted: false })] }, status: 'fail', message: 'RDS instance lms-prod has 1 unencrypted snapshot: b.' },
  { name: 'no snapshots to judge', evaluator: 'snapshot-encryption', params: rds, resource: rdsInstance(), status: 'not_applicable', message: 'RDS instance lms-prod has no snapshots to judge.' },

  // snapshot-exposure
  { name: 'private snapshots', evaluator: 'snapshot-exposure', params: rds, resource: rdsInstance(), ctx: { snapshots: dailySnapshots(2) }, status: 'pass', message: 'RDS instance lms-prod has 2 snapshots, none public or shared outside the allow-list.' },
  { name: 'public and shared', evaluator: 'snapshot-exposure', params: rds, resource: rdsInstance(), ctx: { snapshots: [snapshot('pub', daysAgo(1), { isPublic: fetched(true) }), snapshot('shared', daysAgo(2), { sharedWith: fetched(['999988887777']) })] }, status: 'fail', message: 'RDS instance lms-prod has exposed snapshots: pub is public, shared is shared with 999988887777.' },
  { name: 'shared only with the allow-list', evaluator: 'snapshot-exposure', params: { ...rds, allowedAccounts: ['444444444444'] }, resource: rdsInstance(), ctx: { snapshots: [snapshot('vault', daysAgo(1), { sharedWith: fetched(['444444444444']) })] }, status: 'pass', message: 'RDS instance lms-prod has 1 snapshot, none public or shared outside the allow-list.' },
  { name: 'sharing unreadable', evaluator: 'snapshot-exposure', params: rds, resource: rdsInstance(), ctx: { snapshots: [snapshot('x', daysAgo(1), { isPublic: notFetched('rds:DescribeDBSnapshotAttributes: access denied (AccessDenied)') })] }, status: 'error', message: /could not read the sharing of 1 snapshot: x: rds:DescribeDBSnapshotAttributes: access denied/ },
  { name: 'nothing to expose', evaluator: 'snapshot-exposure', params: rds, resource: rdsInstance(), status: 'not_applicable', message: 'RDS instance lms-prod has no snapshots to judge.' },
  { name: 'exposure wins over unreadable', evaluator: 'snapshot-exposure', params: rds, resource: rdsInstance(), ctx: { snapshots: [snapshot('pub', daysAgo(1), { isPublic: fetched(true) }), snapshot('x', daysAgo(2), { isPublic: notFetched('throttled') })] }, status: 'fail', message: 'RDS instance lms-prod has exposed snapshots: pub is public.' },

  // dr-copy
  { name: 'fresh encrypted copy', evaluator: 'dr-copy', params: rds, resource: rdsInstance(), ctx: { drCopies: [snapshot('copy-1', hoursAgo(6), { region: 'us-west-2', type: 'manual' })] }, status: 'pass', message: 'RDS instance lms-prod has an encrypted copy in us-west-2 6 hours old (copy-1).' },
  { name: 'no copy', evaluator: 'dr-copy', params: rds, resource: rdsInstance(), status: 'fail', message: 'RDS instance lms-prod has no snapshot copy in us-west-2.' },
  { name: 'stale copy', evaluator: 'dr-copy', params: rds, resource: rdsInstance(), ctx: { drCopies: [snapshot('copy-1', hoursAgo(50))] }, status: 'fail', message: "RDS instance lms-prod's newest copy in us-west-2 is 50 hours old (copy-1), older than 24 hours." },
  { name: 'unencrypted copy', evaluator: 'dr-copy', params: rds, resource: rdsInstance(), ctx: { drCopies: [snapshot('copy-1', hoursAgo(2), { encrypted: false })] }, status: 'fail', message: "RDS instance lms-prod's newest copy in us-west-2 (copy-1) is not encrypted." },
  { name: 'instance in the DR region', evaluator: 'dr-copy', params: rds, resource: rdsInstance({ region: 'us-west-2' }), ctx: { region: 'us-west-2' }, status: 'not_applicable', message: 'RDS instance lms-prod is in the DR region us-west-2 itself.' },
  { name: 'no DR region configured', evaluator: 'dr-copy', params: rds, resource: rdsInstance(), ctx: { drRegion: undefined, account: { ...ACCOUNT, drRegion: undefined } }, status: 'error', message: 'RDS instance lms-prod: account 222222222222 has no drRegion configured, so its DR copies cannot be judged.' },

  // source-encrypted, backup-retention, multi-az, deletion-protection
  { name: 'encrypted volume', evaluator: 'source-encrypted', params: { source: 'ebs-volume' }, resource: ebsVolume(), status: 'pass', message: 'EBS volume vol-0abc (web-1) is encrypted at rest.' },
  { name: 'unencrypted instance', evaluator: 'source-encrypted', params: rds, resource: rdsInstance({ encrypted: false }), status: 'fail', message: 'RDS instance lms-prod is not encrypted at rest.' },
  { name: '30-day retention', evaluator: 'backup-retention', params: rds, resource: rdsInstance(), status: 'pass', message: 'RDS instance lms-prod keeps automated backups for 30 days.' },
  { name: '7-day retention', evaluator: 'backup-retention', params: rds, resource: rdsInstance({ id: 'reporting-prod', backupRetentionDays: 7 }), status: 'fail', message: 'RDS instance reporting-prod keeps automated backups for 7 days, fewer than 30.' },
  { name: 'backups off', evaluator: 'backup-retention', params: rds, resource: rdsInstance({ backupRetentionDays: 0 }), status: 'fail', message: 'RDS instance lms-prod has automated backups turned off.' },
  { name: 'Multi-AZ', evaluator: 'multi-az', params: rds, resource: rdsInstance(), status: 'pass', message: 'RDS instance lms-prod is Multi-AZ.' },
  { name: 'single AZ', evaluator: 'multi-az', params: rds, resource: rdsInstance({ multiAZ: false }), status: 'fail', message: 'RDS instance lms-prod runs in a single availability zone.' },
  { name: 'cluster without instances', evaluator: 'multi-az', params: { source: 'rds-cluster' }, resource: rdsCluster({ members: [], multiAZ: false }), status: 'not_applicable', message: 'Aurora cluster content-aurora has no instances.' },
  { name: 'deletion protection on', evaluator: 'deletion-protection', params: { source: 'rds-cluster' }, resource: rdsCluster(), status: 'pass', message: 'Aurora cluster content-aurora has deletion protection on.' },
  { name: 'deletion protection off', evaluator: 'deletion-protection', params: rds, resource: rdsInstance({ deletionProtection: false }), status: 'fail', message: 'RDS instance lms-prod has deletion protection off.' },

  // S3
  { name: 'versioned', evaluator: 's3-versioning', params: {}, resource: bucket(), status: 'pass', message: 'S3 bucket coursecraft-content-prod has versioning enabled.' },
  { name: 'versioning suspended', evaluator: 's3-versioning', params: {}, resource: bucket({ versioning: fetched('Suspended') }), status: 'fail', message: 'S3 bucket coursecraft-content-prod has versioning suspended.' },
  { name: 'versioning unreadable', evaluator: 's3-versioning', params: {}, resource: bucket({ versioning: denied }), status: 'error', message: /could not read the versioning of coursecraft-content-prod: .*access denied/ },
  { name: '60-day noncurrent expiry', evaluator: 's3-noncurrent-expiry', params: {}, resource: bucket(), status: 'pass', message: 'S3 bucket coursecraft-content-prod expires noncurrent versions after 60 days (rule expire-noncurrent).' },
  { name: 'no lifecycle', evaluator: 's3-noncurrent-expiry', params: {}, resource: bucket({ lifecycle: fetched(null) }), status: 'fail', message: 'S3 bucket coursecraft-content-prod has no lifecycle configuration, so noncurrent versions never expire.' },
  { name: 'prefix-only and disabled rules', evaluator: 's3-noncurrent-expiry', params: {}, resource: bucket({ lifecycle: fetched([{ id: 'reports', enabled: true, filter: { prefix: 'reports/' }, noncurrentExpirationDays: 30 }, { id: 'old', enabled: false, noncurrentExpirationDays: 60 }]) }), status: 'fail', message: 'S3 bucket coursecraft-content-prod has no enabled rule expiring noncurrent versions of the whole bucket: rule reports applies only to prefix reports/, rule old is disabled.' },
  { name: 'wrong number of days', evaluator: 's3-noncurrent-expiry', params: {}, resource: bucket({ lifecycle: fetched([{ id: 'r', enabled: true, noncurrentExpirationDays: 30 }]) }), status: 'fail', message: 'S3 bucket coursecraft-content-prod expires noncurrent versions after 30 days (rule r), not the promised 60.' },
  { name: 'lifecycle unreadable', evaluator: 's3-noncurrent-expiry', params: {}, resource: bucket({ lifecycle: notFetched('timed out') }), status: 'error', message: 'could not read the lifecycle configuration of coursecraft-content-prod: timed out' },
  { name: 'replicated to versioned DR bucket', evaluator: 's3-replication', params: {}, resource: bucket(), status: 'pass', message: 'S3 bucket coursecraft-content-prod replicates to coursecraft-content-dr in us-west-2 (rule to-dr).' },
  { name: 'no replication', evaluator: 's3-replication', params: {}, resource: bucket({ replication: fetched(null) }), status: 'fail', message: 'S3 bucket coursecraft-content-prod has no replication configuration.' },
  { name: 'disabled rule, unversioned destination', evaluator: 's3-replication', params: {}, resource: bucket({ replication: fetched({ role: 'r', rules: [{ id: 'off', enabled: false, destinationBucketArn: 'arn:aws:s3:::coursecraft-content-dr', replicatesEncrypted: true }, { id: 'on', enabled: true, destinationBucketArn: 'arn:aws:s3:::coursecraft-content-dr', replicatesEncrypted: true }] }) }), ctx: { buckets: [bucket(), { ...DR_BUCKET, versioning: fetched('Suspended') }] }, status: 'fail', message: 'S3 bucket coursecraft-content-prod does not replicate the whole bucket to a versioned bucket in us-west-2: rule off is disabled, destination coursecraft-content-dr has versioning suspended.' },
  { name: 'destination outside the account', evaluator: 's3-replication', params: {}, resource: bucket({ replication: fetched({ role: 'r', rules: [{ id: 'x', enabled: true, destinationBucketArn: 'arn:aws:s3:::someone-elses', replicatesEncrypted: true }] }) }), status: 'error', message: 'S3 bucket coursecraft-content-prod replicates to someone-elses, which Vigil cannot see in account 222222222222, so its region and versioning are unknown.' },
  { name: 'DR bucket itself', evaluator: 's3-replication', params: {}, resource: DR_BUCKET, ctx: { region: 'us-west-2' }, status: 'not_applicable', message: 'S3 bucket coursecraft-content-dr is in the DR region us-west-2 itself.' },
  { name: 'default encryption', evaluator: 's3-default-encryption', params: {}, resource: bucket(), status: 'pass', message: 'S3 bucket coursecraft-content-prod encrypts new objects with aws:kms by default.' },
  { name: 'no default encryption', evaluator: 's3-default-encryption', params: {}, resource: bucket({ encryption: fetched(null) }), status: 'fail', message: 'S3 bucket coursecraft-content-prod has no default encryption configured.' },
  { name: 'all four blocks', evaluator: 's3-public-access-block', params: {}, resource: bucket(), status: 'pass', message: 'S3 bucket coursecraft-content-prod blocks public access with all four settings.' },
  { name: 'two blocks off', evaluator: 's3-public-access-block', params: {}, resource: bucket({ publicAccessBlock: fetched({ blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: false, restrictPublicBuckets: false }) }), status: 'fail', message: 'S3 bucket coursecraft-content-prod has public access block settings off: BlockPublicPolicy, RestrictPublicBuckets.' },
  { name: 'block unreadable', evaluator: 's3-public-access-block', params: {}, resource: bucket({ publicAccessBlock: notFetched('throttled, retries exhausted (SlowDown)') }), status: 'error', message: /could not read the public access block/ },
];

describe('evaluators', () => {
  it.each(CASES.map((c) => [`${c.evaluator}: ${c.name}`, c] as const))('%s', (_name, c) => {
    const verdict = judge(c);

    expect(verdict.status).toBe(c.status);
    if (typeof c.message === 'string') expect(verdict.message).toBe(c.message);
    else expect(verdict.message).toMatch(c.message);
  });

  it('covers pass, fail, not_applicable and error for every evaluator, directly or through the engine', () => {
    const seen = new Map<string, Set<Status>>();
    for (const c of CASES) {
      const set = seen.get(c.evaluator) ?? new Set<Status>();
      set.add(c.status);
      seen.set(c.evaluator, set);
    }
    // Evaluators that cannot fail to look at their subject get `error` from the engine when listing
    // or fetching fails; test/checks/engine.test.ts covers that path for every resource kind.
    const engineCovered = new Set(['snapshot-freshness', 'snapshot-daily', 'snapshot-over-retention', 'snapshot-encryption', 'source-encrypted', 'backup-retention', 'multi-az', 'deletion-protection', 's3-default-encryption', 's3-public-access-block', 's3-versioning', 's3-noncurrent-expiry']);
    const notApplicableByDesign = new Set(['source-encrypted', 'backup-retention', 'deletion-protection', 's3-versioning', 's3-default-encryption', 's3-public-access-block', 's3-noncurrent-expiry']);

    // The access and threat evaluators have their own table tests under test/checks/iam/ and test/checks/threat/.
    const elsewhere = new Set([...IAM_EVALUATORS, ...THREAT_EVALUATORS].map((e) => e.name));
    for (const name of [...EVALUATORS.keys()].filter((n) => !elsewhere.has(n))) {
      const statuses = seen.get(name) ?? new Set<Status>();
      expect([name, statuses.has('pass')]).toEqual([name, true]);
      expect([name, statuses.has('fail')]).toEqual([name, true]);
      expect([name, statuses.has('error') || engineCovered.has(name)]).toEqual([name, true]);
      expect([name, statuses.has('not_applicable') || notApplicableByDesign.has(name)]).toEqual([name, true]);
    }
  });
});
