import { describe, expect, it } from 'vitest';
import type { CheckDefinition } from '../../src/checks/definitions.js';
import { evaluate } from '../../src/checks/engine.js';
import type { IamInventoryPort } from '../../src/checks/iam/index.js';
import type { InventoryPort } from '../../src/checks/inventory.js';
import type { Resource, S3Bucket, Snapshot } from '../../src/checks/resources.js';
import { EVALUATORS } from '../../src/checks/registry.js';
import type { ThreatInventoryPort } from '../../src/checks/threat/index.js';
import { ExternalServiceError } from '../../src/core/errors.js';
import type { CheckResult } from '../../src/core/results.js';
import { ACCOUNT, NOW, bucket, dailySnapshots, ebsVolume, fetched, hoursAgo, notFetched, rdsInstance, snapshot } from './fixtures.js';

function check(id: string, evaluator: string, params: Record<string, unknown>, resource: Resource['kind']): CheckDefinition {
  const parsed = (EVALUATORS.get(evaluator)?.params.parse(params) ?? {}) as Record<string, unknown>;
  return { id, title: `${id} holds`, severity: 'high', evaluator, params: parsed, risk: 'r'.repeat(20), remediation: `runbooks/${id}.md`, controls: ['A.8.13'], enabled: true, resource, file: `checks/${id}.yaml` };
}

const denied = new ExternalServiceError('rds:DescribeDBInstances in 222222222222/us-east-1: access denied (AccessDenied)', { kind: 'access_denied', service: 'aws:rds' });

/** The backup and storage lists these tests fake; the access and threat lists have their own tests. */
type CoreInventory = Omit<InventoryPort, keyof IamInventoryPort | keyof ThreatInventoryPort>;

/** The engine only calls the lists that these checks' subjects and needs use. */
const asPort = (inventory: CoreInventory) => inventory as InventoryPort;

class FakeInventory implements CoreInventory {
  calls: string[] = [];
  constructor(private readonly data: Partial<{ [K in keyof CoreInventory]: Record<string, unknown[] | Error> }>) {}
  private get<T>(method: keyof CoreInventory, region: string): Promise<T[]> {
    this.calls.push(`${method}:${region}`);
    const value = this.data[method]?.[region] ?? [];
    return value instanceof Error ? Promise.reject(value) : Promise.resolve(value as T[]);
  }
  rdsInstances = (_a: unknown, r: string) => this.get<never>('rdsInstances', r);
  rdsClusters = (_a: unknown, r: string) => this.get<never>('rdsClusters', r);
  rdsSnapshots = (_a: unknown, r: string) => this.get<never>('rdsSnapshots', r);
  rdsClusterSnapshots = (_a: unknown, r: string) => this.get<never>('rdsClusterSnapshots', r);
  ebsVolumes = (_a: unknown, r: string) => this.get<never>('ebsVolumes', r);
  ebsSnapshots = (_a: unknown, r: string) => this.get<never>('ebsSnapshots', r);
  s3Buckets = () => this.get<never>('s3Buckets', '*');
}

async function run(checks: CheckDefinition[], inventory: CoreInventory, scope = { include: [{ env: 'production' }], exclude: [] }, regions?: string[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  await evaluate({ checks, accounts: [ACCOUNT], scope, regions }, { inventory: asPort(inventory), evaluators: EVALUATORS, now: NOW, clock: () => NOW }, (batch) => {
    results.push(...batch);
  });
  // Account-regions run concurrently; order results for stable assertions.
  return results.sort((a, b) => `${a.checkId}|${a.region}|${a.name}`.localeCompare(`${b.checkId}|${b.region}|${b.name}`));
}

const brief = (r: CheckResult) => [r.checkId, r.region, r.name, r.status];

describe('the check engine', () => {
  it('judges each resource in scope once per region, with pinned params and remediation', async () => {
    const inventory = new FakeInventory({
      rdsInstances: { 'us-east-1': [rdsInstance(), rdsInstance({ id: 'scratch', arn: 'arn:x:scratch', tags: { env: 'dev' } }), rdsInstance({ id: 'reporting-prod', arn: 'arn:x:reporting', backupRetentionDays: 7 })] },
    });

    const results = await run([check('rds-backup-retention', 'backup-retention', { source: 'rds-instance', minDays: 30 }, 'rds-instance')], inventory);

    expect(results.map(brief)).toEqual([
      ['rds-backup-retention', 'us-east-1', 'lms-prod', 'pass'],
      ['rds-backup-retention', 'us-east-1', 'reporting-prod', 'fail'],
      ['rds-backup-retention', 'us-west-2', 'RDS instances in 222222222222/us-west-2', 'not_applicable'],
    ]);
    expect(results[1]).toMatchObject({ params: { source: 'rds-instance', minDays: 30 }, remediation: 'runbooks/rds-backup-retention.md', accountId: '222222222222', evaluatedAt: NOW.toISOString() });
    expect(results[2]?.message).toBe('No RDS instances in scope (tagged env=production) in 222222222222/us-west-2.');
  });

  it('reports error, never pass or fail, when the subjects cannot be listed', async () => {
    const inventory = new FakeInventory({ rdsInstances: { 'us-east-1': denied } });

    const results = await run([check('rds-multi-az', 'multi-az', { source: 'rds-instance' }, 'rds-instance')], inventory, undefined, ['us-east-1']);

    expect(results.map(brief)).toEqual([['rds-multi-az', 'us-east-1', 'RDS instances in 222222222222/us-east-1', 'error']]);
    expect(results[0]?.message).toBe('Could not list RDS instances in 222222222222/us-east-1: rds:DescribeDBInstances in 222222222222/us-east-1: access denied (AccessDenied).');
  });

  it('reports error for every subject when what the evaluator needs cannot be read', async () => {
    const inventory = new FakeInventory({ rdsInstances: { 'us-east-1': [rdsInstance()] }, rdsSnapshots: { 'us-east-1': new ExternalServiceError('throttled, retries exhausted', { kind: 'throttled', service: 'aws:rds' }) } });

    const results = await run([check('rds-snapshot-fresh', 'snapshot-freshness', { source: 'rds-instance' }, 'rds-instance')], inventory, undefined, ['us-east-1']);

    expect(results.map(brief)).toEqual([['rds-snapshot-fresh', 'us-east-1', 'lms-prod', 'error']]);
    expect(results[0]?.message).toBe('RDS instance lms-prod: could not read what the check needs: throttled, retries exhausted.');
  });

  it('reports error for a bucket whose tags cannot be read when scope depends on tags', async () => {
    const inventory = new FakeInventory({ s3Buckets: { '*': [bucket({ tags: notFetched('access denied (AccessDenied)') })] } });

    const results = await run([check('s3-versioning', 's3-versioning', {}, 's3-bucket')], inventory, undefined, ['us-east-1']);

    expect(results.map(brief)).toEqual([['s3-versioning', 'us-east-1', 'coursecraft-content-prod', 'error']]);
    expect(results[0]?.message).toContain('could not read its tags to decide whether it is in scope');
  });

  it('turns an evaluator bug into an error result for that resource only', async () => {
    const broken = { ...check('rds-multi-az', 'multi-az', { source: 'rds-instance' }, 'rds-instance') };
    const inventory = new FakeInventory({ rdsInstances: { 'us-east-1': [rdsInstance(), { ...rdsInstance({ id: 'odd', arn: 'arn:odd' }), kind: 's3-bucket' } as unknown as Resource] } });

    const results = await run([broken], inventory, { include: [], exclude: [] }, ['us-east-1']);

    expect(results.map((r) => r.status)).toEqual(['pass', 'error']);
    expect(results[1]?.message).toContain('the evaluator failed: internal error: a database evaluator was given s3-bucket');
  });

  it('fetches each list once however many checks need it', async () => {
    const inventory = new FakeInventory({ rdsInstances: { 'us-east-1': [rdsInstance()] }, rdsSnapshots: { 'us-east-1': dailySnapshots(31) } });
    const { cachedInventory } = await import('../../src/checks/inventory.js');

    await run(
      [check('a', 'snapshot-freshness', { source: 'rds-instance' }, 'rds-instance'), check('b', 'snapshot-daily', { source: 'rds-instance', windowDays: 30 }, 'rds-instance'), check('c', 'snapshot-encryption', { source: 'rds-instance' }, 'rds-instance')],
      cachedInventory(asPort(inventory)),
      undefined,
      ['us-east-1'],
    );

    expect(inventory.calls).toEqual(['rdsInstances:us-east-1', 'rdsSnapshots:us-east-1']);
  });

  it("forgets a list only once the account's last check that reads it is done: none is fetched twice", async () => {
    // One evaluation at a time: us-west-2's own checks are done before us-east-1's copies check reads
    // us-west-2's snapshots, and both regions' snapshot checks are done before the volume check.
    const own: Snapshot = snapshot('snap-111', hoursAgo(30), { sourceKind: 'ebs-volume', sourceId: 'vol-0abc', arn: 'arn:aws:ec2:us-east-1::snapshot/snap-111' });
    const copy: Snapshot = snapshot('snap-222', hoursAgo(5), { sourceKind: 'ebs-volume', sourceId: 'vol-ffffffff', region: 'us-west-2', sourceRegion: 'us-east-1', sourceSnapshotArn: 'snap-111' });
    const inventory = new FakeInventory({ ebsVolumes: { 'us-east-1': [ebsVolume()] }, ebsSnapshots: { 'us-east-1': [own], 'us-west-2': [copy] } });
    const checks = [
      check('ebs-snapshot-fresh', 'snapshot-freshness', { source: 'ebs-volume' }, 'ebs-volume'),
      check('ebs-volume-encrypted', 'source-encrypted', { source: 'ebs-volume' }, 'ebs-volume'),
      check('ebs-dr-copy', 'dr-copy', { source: 'ebs-volume' }, 'ebs-volume'),
    ];
    const results: CheckResult[] = [];

    await evaluate(
      { checks, accounts: [ACCOUNT], scope: { include: [], exclude: [] } },
      { inventory: asPort(inventory), evaluators: EVALUATORS, now: NOW, clock: () => NOW, concurrency: 1 },
      (batch) => {
        results.push(...batch);
      },
    );

    expect([...inventory.calls].sort()).toEqual(['ebsSnapshots:us-east-1', 'ebsSnapshots:us-west-2', 'ebsVolumes:us-east-1', 'ebsVolumes:us-west-2']);
    expect(results.find((r) => r.checkId === 'ebs-dr-copy' && r.region === 'us-east-1')).toMatchObject({ status: 'pass', facts: { newestCopy: 'snap-222' } });
  });

  it('fetches a forgotten list again when asked again', async () => {
    const inventory = new FakeInventory({ rdsInstances: { 'us-east-1': [rdsInstance()] }, rdsSnapshots: { 'us-east-1': dailySnapshots(2) } });
    const { cachedInventory } = await import('../../src/checks/inventory.js');
    const cached = cachedInventory(asPort(inventory));

    await cached.rdsSnapshots(ACCOUNT, 'us-east-1');
    await cached.rdsInstances(ACCOUNT, 'us-east-1');
    await cached.rdsSnapshots(ACCOUNT, 'us-east-1');
    cached.forget('rdsSnapshots');
    await cached.rdsSnapshots(ACCOUNT, 'us-east-1');
    await cached.rdsInstances(ACCOUNT, 'us-east-1');

    expect(inventory.calls).toEqual(['rdsSnapshots:us-east-1', 'rdsInstances:us-east-1', 'rdsSnapshots:us-east-1']);
  });

  it('matches EBS copies in the DR region through the snapshot they were copied from', async () => {
    const own: Snapshot = snapshot('snap-111', hoursAgo(30), { sourceKind: 'ebs-volume', sourceId: 'vol-0abc', arn: 'arn:aws:ec2:us-east-1::snapshot/snap-111' });
    const copy: Snapshot = snapshot('snap-222', hoursAgo(5), { sourceKind: 'ebs-volume', sourceId: 'vol-ffffffff', region: 'us-west-2', sourceRegion: 'us-east-1', sourceSnapshotArn: 'snap-111' });
    const unrelated: Snapshot = snapshot('snap-333', hoursAgo(1), { sourceKind: 'ebs-volume', sourceId: 'vol-ffffffff', region: 'us-west-2', sourceRegion: 'us-east-1', sourceSnapshotArn: 'snap-999' });
    const inventory = new FakeInventory({ ebsVolumes: { 'us-east-1': [ebsVolume()] }, ebsSnapshots: { 'us-east-1': [own], 'us-west-2': [copy, unrelated] } });

    const results = await run([check('ebs-dr-copy', 'dr-copy', { source: 'ebs-volume' }, 'ebs-volume')], inventory, undefined, ['us-east-1']);

    expect(results.map(brief)).toEqual([['ebs-dr-copy', 'us-east-1', 'vol-0abc (web-1)', 'pass']]);
    expect(results[0]?.facts).toMatchObject({ newestCopy: 'snap-222' });
  });

  it('judges replication against the account\'s other buckets', async () => {
    const dr: S3Bucket = bucket({ name: 'coursecraft-content-dr', arn: 'arn:aws:s3:::coursecraft-content-dr', region: 'us-west-2', replication: fetched(null) });
    const inventory = new FakeInventory({ s3Buckets: { '*': [bucket(), dr] } });

    const results = await run([check('s3-replication', 's3-replication', {}, 's3-bucket')], inventory);

    expect(results.map(brief)).toEqual([
      ['s3-replication', 'us-east-1', 'coursecraft-content-prod', 'pass'],
      ['s3-replication', 'us-west-2', 'coursecraft-content-dr', 'not_applicable'],
    ]);
  });
});
