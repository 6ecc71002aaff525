/**
 * The naive sequential baseline of bench/scan.bench.ts: the reads of the standard scan made as a shell
 * script with the AWS CLI would make them. One call at a time, each list with the API's default page
 * size, the SDK's default retries (three attempts, backing off on throttling), no pacing and no
 * concurrency: accounts one after another, regions one after another, each snapshot's sharing read
 * after the last. Its waits (the SDK's backoff, polling the credential report) are divided by the
 * sandbox's time compression, like AWS's latency, so its ratio to Vigil's time is the one on AWS. It reads; it judges nothing and stores nothing, so its time is a floor for any
 * scanner that works this way. A call that still fails after the SDK's retries is counted and the
 * script goes on, as a script with `|| true` would.
 *
 * Usage: node --import tsx bench/naive-scan.ts '<json NaiveScanInput>'. Prints one JSON line (NaiveScanOutput).
 */
import { performance } from 'node:perf_hooks';
import { CloudTrailClient, DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand, paginateLookupEvents, type LookupAttributeKey } from '@aws-sdk/client-cloudtrail';
import { DescribeRegionsCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetDetectorCommand, GetFindingsCommand, GuardDutyClient, ListDetectorsCommand, paginateListFindings } from '@aws-sdk/client-guardduty';
import { GenerateCredentialReportCommand, GetAccountSummaryCommand, GetCredentialReportCommand, IAMClient, paginateGetAccountAuthorizationDetails } from '@aws-sdk/client-iam';
import { OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import {
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBSnapshotAttributesCommand,
  paginateDescribeDBClusters,
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBInstances,
  paginateDescribeDBSnapshots,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyStatusCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider, MiddlewareStack, RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';
import { eventLookups } from '../src/checks/threat/cloudtrail-events.js';

export interface NaiveScanInput {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  roleName: string;
  externalId: string;
  /** The sandbox's time compression: the SDK's backoff waits on AWS's clock like latency, so it shrinks too. */
  timeCompression: number;
}

export interface NaiveScanOutput {
  seconds: number;
  accounts: number;
  /** Calls sent, retries included (the SDK's attempts). */
  calls: number;
  /** Calls that still failed after the SDK's retries, and a few of their messages. */
  failed: number;
  failedThrottled: number;
  failureSamples: string[];
  peakRssMB: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as NaiveScanInput;
if (!input.endpoint) throw new Error("usage: naive-scan.ts '<json NaiveScanInput>'");

const GLOBAL_REGION = 'us-east-1';
const k = input.timeCompression;

/**
 * The SDK's standard retries (three attempts; a random wait up to 100 ms, or 500 ms after a
 * throttle, doubling each retry, at most 20 s), with the waits divided by k as every other wait on
 * AWS's clock in the benchmark. Unlike the SDK's it has no retry quota: it never gives up earlier.
 */
function compressedStandardRetries(): RetryStrategyV2 {
  const MAX_ATTEMPTS = 3;
  const token = (count: number, delay: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => delay });
  return {
    acquireInitialRetryToken: async () => token(0, 0),
    refreshRetryTokenForRetry: async (previous: RetryToken, info: RetryErrorInfo) => {
      const count = previous.getRetryCount() + 1;
      if (count >= MAX_ATTEMPTS || info.errorType === 'CLIENT_ERROR') throw info.error ?? new Error('no more retries');
      const base = info.errorType === 'THROTTLING' ? 500 : 100;
      return token(count, (Math.random() * Math.min(20_000, base * 2 ** count)) / k);
    },
    recordSuccess: () => {},
  };
}
const base = { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey };
const common = { endpoint: input.endpoint, forcePathStyle: true, retryStrategy: compressedStandardRetries() };
let calls = 0;
let failed = 0;
let failedThrottled = 0;
const failures = new Set<string>();

/** Counts every attempt, the SDK's retries included: the middleware runs once per attempt. */
function counted<C extends object>(client: C): C {
  const stack = (client as unknown as { middlewareStack: MiddlewareStack<object, object> }).middlewareStack;
  stack.add(
    (next) => (args) => {
      calls += 1;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'countAttempts' },
  );
  return client;
}

/** Runs one CLI-like step; a failure is counted and the script goes on. */
async function step<T>(fn: () => Promise<T>, absent: string[] = []): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const name = (err as { name?: string }).name ?? 'Error';
    if (absent.includes(name)) return undefined;
    failed += 1;
    if (/throttl|rate exceeded|too many/i.test(`${name} ${(err as Error).message}`)) failedThrottled += 1;
    if (failures.size < 5) failures.add(`${name}: ${(err as Error).message}`);
    return undefined;
  }
}

function clientsFor(credentials: AwsCredentialIdentityProvider | typeof base, region: string) {
  const config = { ...common, region, credentials };
  return {
    ec2: counted(new EC2Client(config)),
    rds: counted(new RDSClient(config)),
    guardduty: counted(new GuardDutyClient(config)),
    cloudtrail: counted(new CloudTrailClient(config)),
    s3: counted(new S3Client(config)),
    iam: counted(new IAMClient(config)),
  };
}

async function scanAccount(accountId: string): Promise<void> {
  const credentials = fromTemporaryCredentials({
    masterCredentials: base,
    params: { RoleArn: `arn:aws:iam::${accountId}:role/${input.roleName}`, ExternalId: input.externalId, RoleSessionName: 'naive-scan' },
    clientConfig: { ...common, region: GLOBAL_REGION },
  });
  const global = clientsFor(credentials, GLOBAL_REGION);
  const regions = (await step(() => global.ec2.send(new DescribeRegionsCommand({}))))?.Regions?.map((r) => r.RegionName ?? '') ?? [];

  // IAM: everything about every identity, and the credential report.
  await step(async () => {
    for await (const page of paginateGetAccountAuthorizationDetails({ client: global.iam }, {})) void page;
  });
  await step(async () => {
    for (let poll = 0; poll < 10; poll++) {
      if ((await global.iam.send(new GenerateCredentialReportCommand({}))).State === 'COMPLETE') break;
      await new Promise((resolve) => setTimeout(resolve, 250 / k));
    }
    await global.iam.send(new GetCredentialReportCommand({}));
  });
  await step(() => global.iam.send(new GetAccountSummaryCommand({})));

  // S3: every bucket's settings, from its own region.
  const buckets = (await step(() => global.s3.send(new ListBucketsCommand({}))))?.Buckets ?? [];
  for (const b of buckets) {
    const s3 = counted(new S3Client({ ...common, region: b.BucketRegion ?? GLOBAL_REGION, credentials }));
    const Bucket = b.Name ?? '';
    await step(() => s3.send(new GetBucketTaggingCommand({ Bucket })), ['NoSuchTagSet']);
    await step(() => s3.send(new GetBucketVersioningCommand({ Bucket })));
    await step(() => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })), ['NoSuchLifecycleConfiguration']);
    await step(() => s3.send(new GetBucketReplicationCommand({ Bucket })), ['ReplicationConfigurationNotFoundError']);
    await step(() => s3.send(new GetBucketEncryptionCommand({ Bucket })), ['ServerSideEncryptionConfigurationNotFoundError']);
    await step(() => s3.send(new GetPublicAccessBlockCommand({ Bucket })), ['NoSuchPublicAccessBlockConfiguration']);
  }

  for (const region of regions) {
    const c = clientsFor(credentials, region);
    // RDS: instances, clusters, snapshots, and who may restore each manual snapshot.
    await step(async () => {
      for await (const page of paginateDescribeDBInstances({ client: c.rds }, {})) void page;
    });
    await step(async () => {
      for await (const page of paginateDescribeDBClusters({ client: c.rds }, {})) void page;
    });
    const manual: string[] = [];
    await step(async () => {
      for await (const page of paginateDescribeDBSnapshots({ client: c.rds }, {})) for (const s of page.DBSnapshots ?? []) if (s.SnapshotType !== 'automated') manual.push(s.DBSnapshotIdentifier ?? '');
    });
    for (const id of manual) await step(() => c.rds.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: id })));
    const manualClusters: string[] = [];
    await step(async () => {
      for await (const page of paginateDescribeDBClusterSnapshots({ client: c.rds }, {})) {
        for (const s of page.DBClusterSnapshots ?? []) if (s.SnapshotType !== 'automated') manualClusters.push(s.DBClusterSnapshotIdentifier ?? '');
      }
    });
    for (const id of manualClusters) await step(() => c.rds.send(new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: id })));

    // EC2: volumes, owned snapshots, and those anyone may restore.
    await step(() => c.ec2.send(new DescribeVolumesCommand({})));
    await step(() => c.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] })));
    await step(() => c.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], RestorableByUserIds: ['all'] })));

    // GuardDuty: the detector and its active findings of medium severity and above.
    const detectors = (await step(() => c.guardduty.send(new ListDetectorsCommand({}))))?.DetectorIds ?? [];
    for (const DetectorId of detectors) {
      await step(() => c.guardduty.send(new GetDetectorCommand({ DetectorId })));
      await step(async () => {
        const FindingCriteria = { Criterion: { 'service.archived': { Equals: ['false'] }, severity: { GreaterThanOrEqual: 4 } } };
        for await (const page of paginateListFindings({ client: c.guardduty }, { DetectorId, FindingCriteria })) {
          if ((page.FindingIds ?? []).length > 0) await c.guardduty.send(new GetFindingsCommand({ DetectorId, FindingIds: page.FindingIds }));
        }
      });
    }

    // CloudTrail: the trails, their status and selectors, their buckets, and the day's events of concern.
    const trails = (await step(() => c.cloudtrail.send(new DescribeTrailsCommand({}))))?.trailList ?? [];
    for (const t of trails) {
      await step(() => c.cloudtrail.send(new GetTrailStatusCommand({ Name: t.TrailARN })));
      await step(() => c.cloudtrail.send(new GetEventSelectorsCommand({ TrailName: t.TrailARN })));
      if (t.S3BucketName && t.HomeRegion === region) {
        const s3 = counted(new S3Client({ ...common, region, credentials }));
        await step(() => s3.send(new GetPublicAccessBlockCommand({ Bucket: t.S3BucketName })), ['NoSuchPublicAccessBlockConfiguration']);
        await step(() => s3.send(new GetBucketPolicyStatusCommand({ Bucket: t.S3BucketName })), ['NoSuchBucketPolicy']);
        await step(() => s3.send(new GetBucketAclCommand({ Bucket: t.S3BucketName })));
      }
    }
    const StartTime = new Date(Date.now() - 24 * 3600_000);
    for (const lookup of eventLookups({ regional: true, global: region === GLOBAL_REGION })) {
      const [key, value]: [LookupAttributeKey, string] =
        lookup.by === 'username' ? ['Username', lookup.value] : lookup.by === 'eventName' ? ['EventName', lookup.value] : ['EventSource', lookup.source];
      await step(async () => {
        for await (const page of paginateLookupEvents({ client: c.cloudtrail }, { LookupAttributes: [{ AttributeKey: key, AttributeValue: value }], StartTime })) void page;
      });
    }
  }
}

const started = performance.now();
const org = counted(new OrganizationsClient({ ...common, region: GLOBAL_REGION, credentials: base }));
const accounts: string[] = [];
await step(async () => {
  for await (const page of paginateListAccounts({ client: org }, {})) for (const a of page.Accounts ?? []) if (a.Status === 'ACTIVE' && a.Id) accounts.push(a.Id);
});
for (const id of accounts) await scanAccount(id);
const output: NaiveScanOutput = {
  seconds: (performance.now() - started) / 1000,
  accounts: accounts.length,
  calls,
  failed,
  failedThrottled,
  failureSamples: [...failures],
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(JSON.stringify(output));
