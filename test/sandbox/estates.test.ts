import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEstate, lowerBound, minimumCalls, startEstateSandbox, type EstateFacts, type EstateSandbox } from '../../src/sandbox/estates/index.js';
import type { RegionFacts } from '../../src/sandbox/estates/profiles.js';
import { emptyRegion } from '../../src/sandbox/estates/generate.js';

const NOW = new Date('2026-03-02T12:00:00Z');

function region(name: string, facts: Partial<RegionFacts>): RegionFacts {
  return { ...emptyRegion(name), ...facts };
}

/** One account, one region: small enough to add up by hand. */
const TINY: EstateFacts = {
  profile: 'S',
  managementAccountId: '100000000000',
  globalRegion: 'us-east-1',
  accounts: [
    {
      id: '100000000000',
      name: 'tiny',
      iamEntities: 1500,
      drRegion: 'us-west-2',
      buckets: [{ name: 'logs', region: 'us-east-1' }],
      trailBuckets: [{ name: 'logs', region: 'us-east-1', own: true }],
      regions: [
        region('us-east-1', {
          rdsInstances: 1,
          rdsStandaloneInstances: 1,
          rdsSnapshots: 550,
          rdsSharableSnapshots: 500,
          ebsVolumes: 2,
          ebsSnapshots: 1500,
          guardDutyDetector: true,
          guardDutyActiveFindings: 120,
          trails: 1,
          eventsByName: { ConsoleLogin: 120 },
          eventsBySource: { 'signin.amazonaws.com': 120 },
        }),
      ],
    },
  ],
};

describe('benchmark estates', () => {
  it('are generated the same from the same seed, and differently from another', () => {
    const first = generateEstate({ profile: 'S', now: NOW, seed: 3 });
    const again = generateEstate({ profile: 'S', now: NOW, seed: 3 });
    const other = generateEstate({ profile: 'S', now: NOW, seed: 4 });

    expect(again).toEqual(first);
    expect(other.facts).not.toEqual(first.facts);
  });

  it('have the accounts and regions of their profile, and M one very large account as the issue describes it', () => {
    const s = generateEstate({ profile: 'S', now: NOW });
    const m = generateEstate({ profile: 'M', now: NOW });
    const big = m.facts.accounts.find((a) => a.name === 'data-platform');
    const primary = big?.regions.find((r) => r.region === 'us-east-1');

    expect(s.facts.accounts).toHaveLength(5);
    expect(s.facts.accounts.every((a) => a.regions.length === 2)).toBe(true);
    expect(m.facts.accounts).toHaveLength(50);
    expect(m.facts.accounts.every((a) => a.regions.length === 4)).toBe(true);
    expect(m.scenario.organization?.managementAccount).toBe(m.facts.managementAccountId);
    expect(primary?.ebsSnapshots).toBeGreaterThanOrEqual(25_000);
    expect(primary?.rdsSnapshots).toBeGreaterThanOrEqual(4_000);
    expect(primary?.guardDutyActiveFindings).toBeGreaterThanOrEqual(3_000);
    expect(big?.iamEntities).toBeGreaterThanOrEqual(2_500);
    expect(Object.values(primary?.eventsByName ?? {}).reduce((n, c) => n + c, 0)).toBeGreaterThanOrEqual(6_000);
  });

  it('declare the fewest calls a complete scan needs, at each list API largest page', () => {
    const model = minimumCalls(TINY);
    const calls = (service: string, operation: string) => model.needs.filter((n) => n.service === service && n.operation === operation).reduce((n, c) => n + c.calls, 0);

    // 550 snapshots at 100 a page; a sharing read per manual snapshot; 1,500 owned EBS snapshots at
    // 1,000 a page plus one listing of the public ones; 120 findings at 50 a page, read 50 at a time;
    // ConsoleLogin's 120 events at 50 a page, one page for root and for each quiet source.
    expect(calls('rds', 'DescribeDBSnapshots')).toBe(6);
    expect(calls('rds', 'DescribeDBSnapshotAttributes')).toBe(500);
    expect(calls('rds', 'DescribeDBClusterSnapshots')).toBe(0);
    expect(calls('ec2', 'DescribeSnapshots')).toBe(3);
    expect(calls('guardduty', 'ListFindings')).toBe(3);
    expect(calls('guardduty', 'GetFindings')).toBe(3);
    expect(calls('cloudtrail', 'LookupEvents')).toBe(8);
    expect(calls('iam', 'GetAccountAuthorizationDetails')).toBe(2);
    expect(calls('s3', 'GetPublicAccessBlock')).toBe(1);
    expect(model.totalCalls).toBe(549);
  });

  it('compute T_LB as the largest of the slowest scope, the longest chain and the in-flight cap, at the time compression', () => {
    const model = minimumCalls(TINY);

    const bound = lowerBound(model, { timeCompression: 10, inFlight: 64 });

    // RDS: 1 + 1 + 6 + 500 calls, 300 of them in the burst, the rest at 12 x 10 a second.
    expect(bound.scopes[0]).toEqual({ scope: 'rds|100000000000|us-east-1', calls: 508, burst: 300, ratePerSecond: 120, seconds: 208 / 120 });
    expect(bound.scopes[1]).toEqual({ scope: 'cloudtrail:LookupEvents|100000000000|us-east-1', calls: 8, burst: 1, ratePerSecond: 20, seconds: 7 / 20 });
    // Discovery (ListAccounts, AssumeRole, DescribeRegions), then 6 pages of snapshots and a sharing read, at 65 ms / 10 each.
    expect(bound.chain).toEqual({ name: '100000000000/us-east-1 DescribeDBSnapshots', calls: 10, seconds: 0.065 });
    expect(bound.inFlight).toEqual({ calls: 549, cap: 64, seconds: (549 * 6.5) / 64 / 1000 });
    expect(bound.binding).toEqual({ term: 'scope', name: 'rds|100000000000|us-east-1' });
    expect(bound.seconds).toBe(208 / 120);
  });

  it('are bound by the in-flight cap when it is small enough', () => {
    const bound = lowerBound(minimumCalls(TINY), { timeCompression: 10, inFlight: 1 });

    expect(bound.binding.term).toBe('in-flight');
    expect(bound.seconds).toBeCloseTo((549 * 6.5) / 1000);
  });
});

describe('an estate sandbox', () => {
  let estate: EstateSandbox;
  let now = 0;

  beforeAll(async () => {
    // The limiter's clock stands still unless a test moves it: buckets refill only when told to.
    estate = await startEstateSandbox({ profile: 'S', timeCompression: 10, nowMs: () => now });
  });

  afterAll(async () => {
    await estate?.stop();
  });

  const config = () => ({
    endpoint: estate.sandbox.info.awsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: estate.estate.access.accessKeyId, secretAccessKey: estate.estate.access.secretAccessKey },
    maxAttempts: 1,
  });
  const errorName = (promise: Promise<unknown>) => promise.then(() => 'ok', (err: Error) => err.name);

  it("answers past a scope's burst with the service's own throttling error, and refills at the rate times k", async () => {
    const cloudtrail = new CloudTrailClient(config());
    const lookup = () => errorName(cloudtrail.send(new LookupEventsCommand({ MaxResults: 50 })));

    const first = await lookup();
    const second = await lookup();
    now += 40;
    const tooSoon = await lookup();
    now += 10;
    const afterInterval = await lookup();

    // LookupEvents: a burst of 1 and 2 a second, 20 a second at k = 10: a token every 50 ms.
    expect([first, second, tooSoon, afterInterval]).toEqual(['ok', 'ThrottlingException', 'ThrottlingException', 'ok']);
  });

  it('throttles EC2 past 100 calls, RDS past 300 and GuardDuty past 20, each with its real error', async () => {
    const ec2 = new EC2Client(config());
    const rds = new RDSClient(config());
    const guardduty = new GuardDutyClient(config());
    const burst = async (n: number, call: () => Promise<string>) => {
      const outcomes = await Promise.all(Array.from({ length: n }, call));
      return { ok: outcomes.filter((o) => o === 'ok').length, refused: [...new Set(outcomes.filter((o) => o !== 'ok'))] };
    };

    const ec2Outcomes = await burst(101, () => errorName(ec2.send(new DescribeVolumesCommand({ MaxResults: 500 }))));
    const rdsOutcomes = await burst(301, () => errorName(rds.send(new DescribeDBInstancesCommand({}))));
    const guardDutyOutcomes = await burst(21, () => errorName(guardduty.send(new ListDetectorsCommand({}))));

    expect(ec2Outcomes).toEqual({ ok: 100, refused: ['RequestLimitExceeded'] });
    expect(rdsOutcomes).toEqual({ ok: 300, refused: ['Throttling'] });
    expect(guardDutyOutcomes).toEqual({ ok: 20, refused: ['TooManyRequestsException'] });
  });

  it('reports per scope what it served and refused next to the minimum, and T_LB, under /_sandbox/estate', async () => {
    const res = await fetch(`${estate.sandbox.info.awsEndpoint}/_sandbox/estate`);
    const report = (await res.json()) as { profile: string; timeCompression: number; minimumCalls: number; lowerBound: { seconds: number; binding: { term: string } }; scopes: Array<{ scope: string; minimum: number; served: number; throttled: number }> };
    const scope = (name: string) => report.scopes.find((s) => s.scope === `${name}|100000000000|us-east-1`);

    expect(report).toMatchObject({ profile: 'S', timeCompression: 10, minimumCalls: estate.model.totalCalls });
    expect(report.lowerBound.seconds).toBeGreaterThan(0);
    expect(scope('ec2')).toMatchObject({ served: 100, throttled: 1 });
    expect(scope('rds')).toMatchObject({ served: 300, throttled: 1 });
    expect(scope('cloudtrail:LookupEvents')).toMatchObject({ served: 2, throttled: 2 });
    expect(scope('rds')?.minimum).toBeGreaterThan(0);
  });
});
