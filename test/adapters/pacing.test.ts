/**
 * The pacing every AwsClients client carries, through the real SDK against the sandbox: calls are
 * keyed by rate-limit scope, throttling slows the scope while the SDK's retries carry the calls
 * through, a service that stops answering in a region is not asked again, and a refused role costs
 * one AssumeRole, typed as such.
 */
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { GetAccountAuthorizationDetailsCommand, GetAccountSummaryCommand } from '@aws-sdk/client-iam';
import { DescribeTrailsCommand, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, type AwsSettings } from '../../src/adapters/aws/clients.js';
import { awsCall } from '../../src/adapters/aws/errors.js';
import { Pacer, systemPacerClock } from '../../src/adapters/aws/pacer.js';
import { itemsOf, PACING_MIDDLEWARE_NAME, pacingMiddleware, ScopeHealth } from '../../src/adapters/aws/pacing.js';
import { DEFAULT_RATE_LIMITS } from '../../src/adapters/aws/rate-limits.js';
import type { AccountConfig } from '../../src/config/schema.js';
import { externalFailure } from '../helpers/errors.js';
import { startTestSandbox, TEST_KEY, type TestSandbox, useSandboxEnv } from '../helpers/sandbox.js';

const SCENARIO = `
name: pacing
organization: { id: o-test0000001, managementAccount: "111111111111" }
accounts:
  - id: "111111111111"
    name: management
    accessKeys:
      - { accessKeyId: ${TEST_KEY.accessKeyId}, secretAccessKey: ${TEST_KEY.secretAccessKey}, user: vigil }
  - id: "222222222222"
    name: production
    enabledRegions: [us-east-1, us-west-2]
    iam:
      roles:
        - { name: VigilAudit, trustedAccounts: ["111111111111"], externalId: test-external }
  - id: "444444444444"
    name: locked
    iam:
      roles:
        - { name: VigilAudit, trustedAccounts: ["111111111111"], externalId: another-external-id }
`;

const SETTINGS: AwsSettings = { defaultRegion: 'us-east-1', connectTimeoutMs: 1000, requestTimeoutMs: 300, maxAttempts: 2, roleSessionName: 'vigil-test' };
const PRODUCTION: AccountConfig = { id: '222222222222', name: 'production', roleArn: 'arn:aws:iam::222222222222:role/VigilAudit', externalId: 'test-external', regions: ['us-east-1', 'us-west-2'] };
const LOCKED: AccountConfig = { id: '444444444444', name: 'locked', roleArn: 'arn:aws:iam::444444444444:role/VigilAudit', externalId: 'test-external', regions: ['us-east-1'] };

let sandbox: TestSandbox;
let restoreEnv: () => void;

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO);
  restoreEnv = useSandboxEnv(sandbox);
});

afterEach(async () => {
  await sandbox.setFaults([]);
});

afterAll(async () => {
  restoreEnv();
  await sandbox.stop();
});

async function calls(match: { operation: string; account?: string; region?: string }): Promise<number> {
  const summary = await sandbox.inspect<{ counts: Array<{ operation: string; account?: string; region?: string; calls: number }> }>('calls/summary');
  return summary.counts
    .filter((c) => c.operation === match.operation && (match.account === undefined || c.account === match.account) && (match.region === undefined || c.region === match.region))
    .reduce((n, c) => n + c.calls, 0);
}

describe('the pacing middleware', () => {
  it('keys each call by its rate-limit scope: the service, or its own API, in one account and region', async () => {
    const clients = new AwsClients(SETTINGS);

    await clients.client('ec2', PRODUCTION, 'us-east-1').send(new DescribeVolumesCommand({}));
    await clients.client('ec2', PRODUCTION, 'us-west-2').send(new DescribeVolumesCommand({}));
    await clients.client('rds', PRODUCTION, 'us-west-2').send(new DescribeDBInstancesCommand({}));
    await clients.client('iam', PRODUCTION, 'us-west-2').send(new GetAccountSummaryCommand({}));
    await clients.client('cloudtrail', PRODUCTION, 'us-east-1').send(new DescribeTrailsCommand({}));
    await clients.client('cloudtrail', PRODUCTION, 'us-east-1').send(new LookupEventsCommand({ MaxResults: 50 }));
    const scopes = clients.pacer.scopes().sort();
    const limits = Object.fromEntries(scopes.map((s) => [s, clients.pacer.stats(s)?.limit]));
    clients.destroy();

    expect(scopes).toEqual([
      'cloudtrail:LookupEvents|222222222222|us-east-1',
      'cloudtrail|222222222222|us-east-1',
      'ec2|222222222222|us-east-1',
      'ec2|222222222222|us-west-2',
      // IAM's API is global: one scope per account, whatever region the caller asked for.
      'iam|222222222222|us-east-1',
      'rds|222222222222|us-west-2',
    ]);
    expect(limits).toMatchObject({
      'ec2|222222222222|us-east-1': { ratePerSecond: 20, burst: 100 },
      'rds|222222222222|us-west-2': { ratePerSecond: 12, burst: 300 },
      'cloudtrail:LookupEvents|222222222222|us-east-1': { ratePerSecond: 2, burst: 1 },
    });
  });

  it('takes overrides from aws.rateLimits', async () => {
    const clients = new AwsClients({ ...SETTINGS, rateLimits: { ec2: { ratePerSecond: 3, burst: 7 } } });

    await clients.client('ec2', PRODUCTION, 'us-east-1').send(new DescribeVolumesCommand({}));
    const stats = clients.pacer.stats('ec2|222222222222|us-east-1');
    clients.destroy();

    expect(stats?.limit).toEqual({ ratePerSecond: 3, burst: 7 });
  });

  it('lets in and paces each of a command\'s calls in flight together, though the cached middleware chain gives them one context', async () => {
    // A burst of 2 and a fast rate: only a few calls are let in at a time, and each must give its room back.
    const clients = new AwsClients({ ...SETTINGS, rateLimits: { rds: { ratePerSecond: 500, burst: 2 } } });
    const client = clients.client('rds', PRODUCTION, 'us-east-1');

    const answers = await Promise.all(Array.from({ length: 30 }, () => client.send(new DescribeDBInstancesCommand({ MaxRecords: 20 }))));
    const stats = clients.pacer.stats('rds|222222222222|us-east-1');
    const cached = client.config.cacheMiddleware;
    clients.destroy();

    expect(cached).toBe(true);
    expect(answers.every((a) => Array.isArray(a.DBInstances))).toBe(true);
    expect(stats).toMatchObject({ granted: 30, waiting: 0 });
  });

  it('counts the items a listing page returned by its longest list', () => {
    expect(itemsOf({ $metadata: {}, Marker: 'm', DBInstances: [1, 2, 3] })).toBe(3);
    expect(itemsOf({ UserDetailList: [1], RoleDetailList: [1, 2, 3, 4], Policies: [1, 2] })).toBe(4);
    expect(itemsOf({ $metadata: {} })).toBe(0);
    expect(itemsOf(undefined)).toBe(0);
  });

  it('tells the pacer how many items each listing page of a scope returned', async () => {
    const clients = new AwsClients(SETTINGS);
    const listed: Array<[string, number]> = [];
    const tell = clients.pacer.listedItems.bind(clients.pacer);
    clients.pacer.listedItems = (scope, items) => {
      listed.push([scope, items]);
      tell(scope, items);
    };

    const details = await clients.client('iam', PRODUCTION, 'us-east-1').send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 100 }));
    await clients.client('iam', PRODUCTION, 'us-east-1').send(new GetAccountSummaryCommand({}));
    clients.destroy();

    // The listing is counted by its longest list; a call that is not a listing is not counted.
    const longest = Math.max(...[details.UserDetailList, details.GroupDetailList, details.RoleDetailList, details.Policies].map((list) => list?.length ?? 0));
    expect(longest).toBeGreaterThan(0);
    expect(listed).toEqual([['iam|222222222222|us-east-1', longest]]);
  });

  it('runs after retries and before signing, so every attempt goes through the pacer and is signed when it leaves', () => {
    const clients = new AwsClients(SETTINGS);

    const names = clients.client('ec2', PRODUCTION, 'us-east-1').middlewareStack.identify();
    clients.destroy();

    const at = (name: string) => names.findIndex((n) => n.startsWith(`${name} `));
    expect(at('retryMiddleware')).toBeGreaterThanOrEqual(0);
    expect(at('retryMiddleware')).toBeLessThan(at(PACING_MIDDLEWARE_NAME));
    expect(at(PACING_MIDDLEWARE_NAME)).toBeLessThan(at('httpSigningMiddleware'));
  });

  it('resolves credentials again after the wait when they would expire within a minute, and keeps good ones', async () => {
    const pacer = new Pacer({ maxInFlight: 1 });
    const deps = { pacer, limits: DEFAULT_RATE_LIMITS, health: new ScopeHealth({ clock: systemPacerClock, requestTimeoutMs: 1000 }) };
    const fresh = { accessKeyId: 'AKIAFRESH', secretAccessKey: 'x', expiration: new Date(Date.now() + 3_600_000) };
    let resolved = 0;
    const credentials = async () => {
      resolved += 1;
      return fresh;
    };
    const signedWith: string[] = [];
    const next = async (args: { input: object; request: unknown }) => ({ output: args.input as never, response: {} });
    const call = async (expiresInMs: number) => {
      const context = { commandName: 'DescribeVolumesCommand', __smithy_context: { selectedHttpAuthScheme: { identity: { accessKeyId: 'AKIAOLD', secretAccessKey: 'x', expiration: new Date(Date.now() + expiresInMs) } } } };
      const handler = pacingMiddleware(deps, { service: 'ec2', account: '222222222222', region: 'us-east-1' }, credentials)(next as never, context as never);
      await handler({ input: {}, request: undefined } as never);
      signedWith.push((context.__smithy_context.selectedHttpAuthScheme.identity as { accessKeyId: string }).accessKeyId);
    };

    await call(30_000);
    await call(30 * 60_000);

    expect(signedWith).toEqual(['AKIAFRESH', 'AKIAOLD']);
    expect(resolved).toBe(1);
  });

  it('answers throttling by slowing the scope, and the SDK retries carry every call through', async () => {
    // AWS allows 4 a second here; Vigil is told 40. The pacer must find the real rate.
    await sandbox.setFaults([{ service: 'ec2', operation: 'DescribeVolumes', throttle: { ratePerSecond: 4, burst: 2 } }]);
    const clients = new AwsClients({ ...SETTINGS, requestTimeoutMs: 5000, maxAttempts: 8, rateLimits: { ec2: { ratePerSecond: 40, burst: 40 } } });
    const ec2 = clients.client('ec2', PRODUCTION, 'us-east-1');

    const results = await Promise.allSettled(Array.from({ length: 12 }, () => ec2.send(new DescribeVolumesCommand({}))));
    const stats = clients.pacer.stats('ec2|222222222222|us-east-1');
    clients.destroy();

    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 12 }, () => 'fulfilled'));
    expect(stats?.throttled).toBeGreaterThan(0);
    expect(stats?.ratePerSecond).toBeLessThan(40);
  }, 30_000);

  it('stops asking a service that does not answer in a region, typed as a timeout, while the other regions answer', async () => {
    await sandbox.setFaults([{ service: 'ec2', region: 'us-west-2', hangRate: 1 }]);
    const clients = new AwsClients(SETTINGS);
    const describe = (region: string) =>
      awsCall({ service: 'ec2', operation: 'DescribeVolumes', account: PRODUCTION.id, region }, () => clients.client('ec2', PRODUCTION, region).send(new DescribeVolumesCommand({})));
    const before = await calls({ operation: 'DescribeVolumes', region: 'us-west-2' });

    const first = await externalFailure(describe('us-west-2'));
    const second = await externalFailure(describe('us-west-2'));
    const east = await describe('us-east-1');
    const sent = (await calls({ operation: 'DescribeVolumes', region: 'us-west-2' })) - before;
    clients.destroy();

    expect(first.details).toMatchObject({ kind: 'timeout', account: '222222222222', region: 'us-west-2' });
    expect(second.details).toMatchObject({ kind: 'timeout', code: 'NotAnswering', service: 'aws:ec2', operation: 'DescribeVolumes' });
    expect(second.message).toBe(
      'ec2:DescribeVolumes in 222222222222/us-west-2: timed out (ec2 gave no answer to 2 calls in a row within 300 ms each; not asked again for 300 s)',
    );
    expect(sent).toBe(2);
    expect(east.Volumes).toEqual([]);
  });

  it('assumes each role once for all its clients, and remembers a refusal, typed as sts:AssumeRole', async () => {
    const clients = new AwsClients(SETTINGS);
    const before = await calls({ operation: 'AssumeRole' });

    await clients.client('ec2', PRODUCTION, 'us-east-1').send(new DescribeVolumesCommand({}));
    await clients.client('ec2', PRODUCTION, 'us-west-2').send(new DescribeVolumesCommand({}));
    await clients.client('rds', PRODUCTION, 'us-east-1').send(new DescribeDBInstancesCommand({}));
    const afterProduction = (await calls({ operation: 'AssumeRole' })) - before;
    const refused = await externalFailure(
      awsCall({ service: 'ec2', operation: 'DescribeVolumes', account: LOCKED.id, region: 'us-east-1' }, () => clients.client('ec2', LOCKED, 'us-east-1').send(new DescribeVolumesCommand({}))),
    );
    const again = await externalFailure(
      awsCall({ service: 'rds', operation: 'DescribeDBInstances', account: LOCKED.id, region: 'us-east-1' }, () => clients.client('rds', LOCKED, 'us-east-1').send(new DescribeDBInstancesCommand({}))),
    );
    const total = (await calls({ operation: 'AssumeRole' })) - before;
    const lockedGrants = clients.pacer
      .scopes()
      .filter((s) => s.includes(LOCKED.id))
      .map((s) => clients.pacer.stats(s)?.granted);
    clients.destroy();

    expect(afterProduction).toBe(1);
    expect(refused.message).toBe('sts:AssumeRole in 444444444444: access denied (AccessDenied)');
    expect(refused.details).toMatchObject({ kind: 'access_denied', service: 'aws:sts', operation: 'AssumeRole', account: '444444444444' });
    expect(again.message).toBe(refused.message);
    expect(total).toBe(2);
    // A refused role never took a slot or a token.
    expect(lockedGrants.every((granted) => granted === 0)).toBe(true);
  });
});
