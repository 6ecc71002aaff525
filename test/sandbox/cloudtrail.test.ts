import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailCommand,
  GetTrailStatusCommand,
  LookupEventsCommand,
  StartLoggingCommand,
  StopLoggingCommand,
  paginateListTrails,
  paginateLookupEvents,
  type Event,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { demoRoleCredentials, demoScenarioWith, startTestSandbox, TEST_KEY, type TestSandbox } from '../helpers/sandbox.js';

const NOW = new Date('2026-03-02T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ORG_TRAIL_ARN = 'arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail';
const ago = (ms: number) => new Date(NOW.getTime() - ms);

const role = (name: string, denyActions: string[] = []) => ({ name, trustedAccounts: ['111111111111'], denyActions });

const scenario = stringify({
  name: 'cloudtrail',
  organization: { id: 'o-test0000001', managementAccount: '111111111111' },
  accounts: [
    {
      id: '111111111111',
      name: 'management',
      accessKeys: [{ ...TEST_KEY, user: 'vigil' }],
      regions: {
        'us-east-1': {
          cloudtrail: {
            trails: [{ name: 'org-trail', organization: true, kmsKeyId: 'alias/cloudtrail', s3Bucket: 'org-cloudtrail-logs', lastDeliveryAge: '5m', age: '700d' }],
          },
        },
        'us-west-2': {
          cloudtrail: {
            trails: [
              {
                name: 'data-events',
                multiRegion: false,
                advancedEventSelectors: [{ name: 'S3 writes', fieldSelectors: [{ field: 'eventCategory', equals: ['Data'] }, { field: 'resources.type', equals: ['AWS::S3::Object'] }] }],
              },
            ],
          },
        },
      },
    },
    {
      id: '222222222222',
      name: 'production',
      iam: { roles: [role('VigilAudit'), role('NoLookup', ['cloudtrail:LookupEvents'])] },
      regions: {
        'us-east-1': {
          cloudtrail: {
            trails: [
              {
                name: 'prod-local',
                multiRegion: false,
                logFileValidation: false,
                logging: false,
                stoppedAge: '2d',
                lastDeliveryAge: '1d',
                latestDeliveryError: 'AccessDenied',
                eventSelectors: [{ readWriteType: 'WriteOnly', excludeManagementEventSources: ['kms.amazonaws.com'] }],
              },
            ],
            events: [
              { name: 'ConsoleLogin', actor: 'root', age: '6h', sourceIp: '203.0.113.7', mfa: true },
              { name: 'ConsoleLogin', actor: 'bob', age: '3h', sourceIp: '198.51.100.44', mfa: false },
              { name: 'PutUserPolicy', actor: 'bob', age: '2h', requestParameters: { userName: 'contractor', policyName: 'admin' }, resources: [{ type: 'AWS::IAM::User', name: 'contractor' }] },
              { name: 'AttachRolePolicy', actor: 'role/ci-deployer/gha-42', age: '90m', mfa: false },
              { name: 'StopLogging', actor: 'bob', age: '1h', errorCode: 'AccessDenied', errorMessage: 'User: arn:aws:iam::222222222222:user/bob is not authorized' },
              { name: 'CreateUser', actor: 'alice', age: '100d' },
              ...Array.from({ length: 51 }, (_, i) => ({ name: 'CreateTags', actor: 'pager', age: `${2 * i + 7}h` })),
              ...Array.from({ length: 50 }, (_, i) => ({ name: 'ModifyInstanceAttribute', actor: 'carol', age: `${i + 1}d` })),
            ],
            noise: { readsPerDay: 200, writesPerDay: 20, window: '10d' },
          },
        },
      },
    },
    {
      id: '333333333333',
      name: 'busy',
      iam: { roles: [role('VigilAudit')] },
      regions: { 'us-east-1': { cloudtrail: { noise: { readsPerDay: 20_000, writesPerDay: 30_000, window: '90d' } } } },
    },
  ],
});

let sandbox: TestSandbox;
const sessions = new Map<string, { accessKeyId: string; secretAccessKey: string; sessionToken: string }>();

/** A CloudTrail client acting in an account: the test key in management, a VigilAudit session elsewhere. */
async function trail(accountId = '111111111111', region = 'us-east-1', roleName = 'VigilAudit'): Promise<CloudTrailClient> {
  if (accountId === '111111111111') return new CloudTrailClient(sandbox.aws(region));
  const key = `${accountId}/${roleName}`;
  if (!sessions.has(key)) {
    const assumed = await new STSClient(sandbox.aws()).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`, RoleSessionName: 'vigil' }));
    const c = assumed.Credentials;
    sessions.set(key, { accessKeyId: c?.AccessKeyId as string, secretAccessKey: c?.SecretAccessKey as string, sessionToken: c?.SessionToken as string });
  }
  return new CloudTrailClient(sandbox.aws(region, sessions.get(key)));
}

async function lookupAll(client: CloudTrailClient, input: LookupEventsCommandInput, pageSize = 50): Promise<{ events: Event[]; pages: number[] }> {
  const events: Event[] = [];
  const pages: number[] = [];
  for await (const page of paginateLookupEvents({ client, pageSize }, input)) {
    events.push(...(page.Events ?? []));
    pages.push(page.Events?.length ?? 0);
  }
  return { events, pages };
}

beforeAll(async () => {
  sandbox = await startTestSandbox(scenario, { clock: new ManualClock(NOW) });
});

afterAll(async () => {
  await sandbox.stop();
});

describe('CloudTrail trails', () => {
  it('describes the organization trail in the management account', async () => {
    const { trailList } = await (await trail()).send(new DescribeTrailsCommand({}));

    expect(trailList).toEqual([
      {
        Name: 'org-trail',
        S3BucketName: 'org-cloudtrail-logs',
        IncludeGlobalServiceEvents: true,
        IsMultiRegionTrail: true,
        HomeRegion: 'us-east-1',
        TrailARN: ORG_TRAIL_ARN,
        LogFileValidationEnabled: true,
        KmsKeyId: expect.stringMatching(/^arn:aws:kms:us-east-1:111111111111:key\/[0-9a-f-]{36}$/),
        HasCustomEventSelectors: false,
        HasInsightSelectors: false,
        IsOrganizationTrail: true,
      },
    ]);
  });

  it('shows the organization trail to member accounts as a shadow trail', async () => {
    const member = await trail('222222222222');

    const withShadows = await member.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
    const ownOnly = await member.send(new DescribeTrailsCommand({ includeShadowTrails: false }));
    const west = await (await trail('222222222222', 'us-west-2')).send(new DescribeTrailsCommand({}));

    expect(withShadows.trailList?.map((t) => [t.Name, t.HomeRegion, t.IsOrganizationTrail])).toEqual([
      ['org-trail', 'us-east-1', true],
      ['prod-local', 'us-east-1', false],
    ]);
    expect(ownOnly.trailList?.map((t) => t.Name)).toEqual(['prod-local']);
    expect(west.trailList?.map((t) => [t.TrailARN, t.IsMultiRegionTrail])).toEqual([[ORG_TRAIL_ARN, true]]);
  });

  it('matches DescribeTrails names against own trails and ARNs against shadows too', async () => {
    const member = await trail('222222222222');

    const byName = await member.send(new DescribeTrailsCommand({ trailNameList: ['org-trail', 'prod-local', 'missing'] }));
    const byArn = await member.send(new DescribeTrailsCommand({ trailNameList: [ORG_TRAIL_ARN] }));

    expect(byName.trailList?.map((t) => t.Name)).toEqual(['prod-local']);
    expect(byArn.trailList?.map((t) => t.Name)).toEqual(['org-trail']);
  });

  it('lists every trail visible in a region with the paginator', async () => {
    const client = await trail('111111111111', 'us-west-2');

    const trails: Array<[string | undefined, string | undefined]> = [];
    for await (const page of paginateListTrails({ client }, {})) trails.push(...(page.Trails ?? []).map((t) => [t.Name, t.HomeRegion] as [string | undefined, string | undefined]));

    expect(trails).toEqual([
      ['org-trail', 'us-east-1'],
      ['data-events', 'us-west-2'],
    ]);
  });

  it('finds a shadow trail by ARN only', async () => {
    const member = await trail('222222222222');

    const byArn = await member.send(new GetTrailCommand({ Name: ORG_TRAIL_ARN }));
    const byName = await member.send(new GetTrailCommand({ Name: 'org-trail' })).catch((e: unknown) => e);

    expect(byArn.Trail).toMatchObject({ Name: 'org-trail', IsOrganizationTrail: true });
    expect(byName).toMatchObject({ name: 'TrailNotFoundException', $metadata: { httpStatusCode: 404 } });
  });

  it('refuses a malformed trail name with InvalidTrailNameException', async () => {
    const error = await (await trail()).send(new GetTrailStatusCommand({ Name: 'bad--name!' })).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'InvalidTrailNameException', $metadata: { httpStatusCode: 400 } });
  });

  it('reports logging and delivery status', async () => {
    const member = await trail('222222222222');

    const org = await member.send(new GetTrailStatusCommand({ Name: ORG_TRAIL_ARN }));
    const local = await member.send(new GetTrailStatusCommand({ Name: 'prod-local' }));

    expect(org).toMatchObject({
      IsLogging: true,
      LatestDeliveryTime: ago(5 * MINUTE),
      StartLoggingTime: ago(700 * DAY),
      LatestDigestDeliveryTime: new Date(Math.floor(ago(5 * MINUTE).getTime() / HOUR) * HOUR),
    });
    expect(org.LatestDeliveryError).toBeUndefined();
    expect(org.StopLoggingTime).toBeUndefined();
    expect(local).toMatchObject({ IsLogging: false, StopLoggingTime: ago(2 * DAY), LatestDeliveryTime: ago(2 * DAY), LatestDeliveryError: 'AccessDenied' });
    expect(local.LatestDigestDeliveryTime).toBeUndefined();
  });

  it('returns classic, default and advanced event selectors', async () => {
    const local = await (await trail('222222222222')).send(new GetEventSelectorsCommand({ TrailName: 'prod-local' }));
    const org = await (await trail()).send(new GetEventSelectorsCommand({ TrailName: 'org-trail' }));
    const advanced = await (await trail('111111111111', 'us-west-2')).send(new GetEventSelectorsCommand({ TrailName: 'data-events' }));

    expect(local.EventSelectors).toEqual([{ ReadWriteType: 'WriteOnly', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: ['kms.amazonaws.com'] }]);
    expect(org).toMatchObject({ TrailARN: ORG_TRAIL_ARN, EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] });
    expect(advanced.AdvancedEventSelectors).toEqual([
      { Name: 'S3 writes', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object'] }] },
    ]);
  });

  it('lets only the owner stop logging, from the home region, and records every attempt', async () => {
    const member = await trail('222222222222');
    const owner = await trail();

    const fromMember = await member.send(new StopLoggingCommand({ Name: ORG_TRAIL_ARN })).catch((e: unknown) => e);
    const fromOtherRegion = await (await trail('111111111111', 'us-west-2')).send(new StopLoggingCommand({ Name: ORG_TRAIL_ARN })).catch((e: unknown) => e);
    await owner.send(new StopLoggingCommand({ Name: 'org-trail' }));
    const stopped = await owner.send(new GetTrailStatusCommand({ Name: 'org-trail' }));
    await owner.send(new StartLoggingCommand({ Name: 'org-trail' }));
    const restarted = await owner.send(new GetTrailStatusCommand({ Name: 'org-trail' }));
    const attempts = await member.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'StopLogging' }], MaxResults: 1 }));
    const record = JSON.parse(attempts.Events?.[0]?.CloudTrailEvent as string) as Record<string, unknown>;

    expect(fromMember).toMatchObject({ name: 'NotOrganizationMasterAccountException' });
    expect(fromOtherRegion).toMatchObject({ name: 'InvalidHomeRegionException' });
    expect(stopped).toMatchObject({ IsLogging: false, StopLoggingTime: NOW });
    expect(restarted).toMatchObject({ IsLogging: true, StartLoggingTime: NOW });
    expect(record).toMatchObject({ eventName: 'StopLogging', errorCode: 'NotOrganizationMasterAccountException', userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::222222222222:assumed-role/VigilAudit/vigil' } });
  });
});

describe('CloudTrail LookupEvents', () => {
  it('returns explicit events newest first with their full records', async () => {
    const member = await trail('222222222222');

    const logins = await member.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'ConsoleLogin' }] }));
    const [bob, root] = logins.Events ?? [];
    const bobRecord = JSON.parse(bob?.CloudTrailEvent as string) as Record<string, unknown>;
    const rootRecord = JSON.parse(root?.CloudTrailEvent as string) as Record<string, unknown>;

    expect(logins.Events?.map((e) => [e.Username, e.EventTime])).toEqual([
      ['bob', ago(3 * HOUR)],
      ['root', ago(6 * HOUR)],
    ]);
    expect(bob).toMatchObject({ EventSource: 'signin.amazonaws.com', ReadOnly: 'false', Resources: [] });
    expect(bob?.AccessKeyId).toBeUndefined();
    expect(bobRecord).toMatchObject({
      eventType: 'AwsConsoleSignIn',
      sourceIPAddress: '198.51.100.44',
      userIdentity: { type: 'IAMUser', userName: 'bob', arn: 'arn:aws:iam::222222222222:user/bob', accountId: '222222222222' },
      additionalEventData: { MFAUsed: 'No' },
      responseElements: { ConsoleLogin: 'Success' },
      awsRegion: 'us-east-1',
      eventID: bob?.EventId,
    });
    expect(rootRecord).toMatchObject({ sourceIPAddress: '203.0.113.7', userIdentity: { type: 'Root', arn: 'arn:aws:iam::222222222222:root', principalId: '222222222222' }, additionalEventData: { MFAUsed: 'Yes' } });
  });

  it('describes role sessions and IAM changes the way CloudTrail records them', async () => {
    const member = await trail('222222222222');

    const attach = await member.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'gha-42' }] }));
    const policy = await member.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: 'contractor' }] }));

    expect(attach.Events).toHaveLength(1);
    expect(JSON.parse(attach.Events?.[0]?.CloudTrailEvent as string)).toMatchObject({
      eventName: 'AttachRolePolicy',
      eventSource: 'iam.amazonaws.com',
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::222222222222:assumed-role/ci-deployer/gha-42',
        accessKeyId: expect.stringMatching(/^ASIA/),
        sessionContext: { sessionIssuer: { type: 'Role', userName: 'ci-deployer' }, attributes: { mfaAuthenticated: 'false' } },
      },
    });
    expect(policy.Events?.map((e) => [e.EventName, e.Resources])).toEqual([['PutUserPolicy', [{ ResourceType: 'AWS::IAM::User', ResourceName: 'contractor' }]]]);
  });

  it('returns exactly one full page when 50 events match, with no NextToken', async () => {
    const page = await (await trail('222222222222')).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'ModifyInstanceAttribute' }] }));

    expect(page.Events).toHaveLength(50);
    expect(page.NextToken).toBeUndefined();
  });

  it('pages one over a full page with the paginator, newest first', async () => {
    const { events, pages } = await lookupAll(await trail('222222222222'), { LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'pager' }] });
    const times = events.map((e) => (e.EventTime as Date).getTime());

    expect(pages).toEqual([50, 1]);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(times[0]).toBe(ago(7 * HOUR).getTime());
  });

  it('keeps to the StartTime and EndTime window', async () => {
    const { events } = await lookupAll(await trail('222222222222'), { StartTime: ago(4 * HOUR), EndTime: ago(150 * MINUTE), LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }] });

    expect(events.map((e) => e.EventName).filter((n) => n === 'ConsoleLogin' || n === 'PutUserPolicy')).toEqual(['ConsoleLogin']);
    expect(events.every((e) => (e.EventTime as Date) >= ago(4 * HOUR) && (e.EventTime as Date) <= ago(150 * MINUTE))).toBe(true);
    expect(events.every((e) => e.ReadOnly === 'false')).toBe(true);
  });

  it('reaches back 90 days and no further', async () => {
    const member = await trail('222222222222');

    const old = await member.send(new LookupEventsCommand({ StartTime: ago(120 * DAY), LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'alice' }], MaxResults: 50 }));
    const names = new Set((await lookupAll(member, { StartTime: ago(120 * DAY), LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'alice' }] })).events.map((e) => e.EventName));

    expect(old.Events?.every((e) => (e.EventTime as Date) >= ago(90 * DAY))).toBe(true);
    expect(names.has('CreateUser')).toBe(false);
  });

  it.each([
    ['a StartTime after the EndTime', { StartTime: ago(HOUR), EndTime: ago(2 * HOUR) }, 'InvalidTimeRangeException'],
    ['two lookup attributes', { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'A' }, { AttributeKey: 'Username', AttributeValue: 'b' }] }, 'InvalidLookupAttributesException'],
    ['an unknown attribute key', { LookupAttributes: [{ AttributeKey: 'Colour', AttributeValue: 'red' }] }, 'InvalidLookupAttributesException'],
    ['MaxResults of 51', { MaxResults: 51 }, 'InvalidMaxResultsException'],
    ['a forged NextToken', { NextToken: 'bm90LWEtdG9rZW4' }, 'InvalidNextTokenException'],
  ])('refuses %s', async (_case, input, code) => {
    const error = await (await trail('222222222222')).send(new LookupEventsCommand(input as LookupEventsCommandInput)).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: code, $metadata: { httpStatusCode: 400 } });
  });

  it('refuses a NextToken reused with different parameters', async () => {
    const member = await trail('222222222222');
    const first = await member.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'pager' }] }));

    const error = await member.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'carol' }], NextToken: first.NextToken })).catch((e: unknown) => e);

    expect(first.NextToken).toBeDefined();
    expect(error).toMatchObject({ name: 'InvalidNextTokenException' });
  });

  it('answers an action denied to the role session with AccessDeniedException', async () => {
    const denied = await trail('222222222222', 'us-east-1', 'NoLookup');

    const status = await denied.send(new GetTrailStatusCommand({ Name: 'prod-local' }));
    const error = await denied.send(new LookupEventsCommand({})).catch((e: unknown) => e);

    expect(status.IsLogging).toBe(false);
    expect(error).toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('cloudtrail:LookupEvents') });
  });

  it('retries ThrottlingException (the 2 req/s limit, as a fault rule) and succeeds', async () => {
    await sandbox.setFaults([{ service: 'cloudtrail', operation: 'LookupEvents', throttle: { ratePerSecond: 20, burst: 1 } }]);
    const member = await trail('222222222222');

    const results = await Promise.all([1, 2, 3].map(() => member.send(new LookupEventsCommand({ MaxResults: 1 }))));
    const summary = await sandbox.inspect<{ counts: Array<{ service: string; operation: string; throttled: number }> }>('calls/summary');
    await sandbox.setFaults([]);

    expect(results.map((r) => r.Events?.length)).toEqual([1, 1, 1]);
    expect(summary.counts.find((c) => c.service === 'aws:cloudtrail' && c.operation === 'LookupEvents')?.throttled).toBeGreaterThan(0);
  });
});

describe('CloudTrail background noise at scale', () => {
  it('serves an hour of 30,000 writes a day completely, in order, without gaps or repeats', async () => {
    const busy = await trail('333333333333');
    const started = performance.now();

    const { events } = await lookupAll(busy, { StartTime: ago(30 * DAY + HOUR), EndTime: ago(30 * DAY), LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }] });
    const elapsedMs = performance.now() - started;
    const times = events.map((e) => (e.EventTime as Date).getTime());

    expect(events.length).toBeGreaterThanOrEqual(1240);
    expect(events.length).toBeLessThanOrEqual(1260);
    expect(new Set(events.map((e) => e.EventId)).size).toBe(events.length);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(times.every((t) => t >= ago(30 * DAY + HOUR).getTime() && t <= ago(30 * DAY).getTime())).toBe(true);
    expect(events.every((e) => e.ReadOnly === 'false')).toBe(true);
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it('answers attribute lookups over 90 days of noise quickly', async () => {
    const busy = await trail('333333333333');
    const first = await busy.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateTags' }] }));
    const target = first.Events?.[7] as Event;
    const started = performance.now();

    const byId = await busy.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: target.EventId as string }] }));
    const none = await busy.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'PutUserPolicy' }] }));
    const oldest = await busy.send(new LookupEventsCommand({ EndTime: ago(89 * DAY), LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'carol' }], MaxResults: 5 }));
    const elapsedMs = performance.now() - started;

    expect(first.Events).toHaveLength(50);
    expect(first.Events?.every((e) => e.EventName === 'CreateTags' && e.Resources?.[0]?.ResourceType === 'AWS::EC2::Instance')).toBe(true);
    expect(byId.Events).toEqual([target]);
    expect(none.Events).toEqual([]);
    expect(none.NextToken).toBeUndefined();
    expect(oldest.Events?.map((e) => e.Username)).toEqual(['carol', 'carol', 'carol', 'carol', 'carol']);
    expect(elapsedMs).toBeLessThan(2_000);
  });
});

describe('the demo scenario', () => {
  let demo: TestSandbox;

  /** CloudTrail as VigilAudit in one of the demo's accounts. */
  async function demoClient(accountId: string, region = 'us-east-1'): Promise<CloudTrailClient> {
    return new CloudTrailClient(demo.aws(region, await demoRoleCredentials(demo, accountId)));
  }

  beforeAll(async () => {
    // Only this emulator's part of the demo, so other emulators' sections cannot get in the way.
    demo = await startTestSandbox(demoScenarioWith(['guardduty', 'cloudtrail']));
  });

  afterAll(async () => {
    await demo.stop();
  });

  it('shows the organization trail everywhere, and the weak staging trail beside it', async () => {
    const production = await (await demoClient('222222222222', 'us-west-2')).send(new DescribeTrailsCommand({}));
    const staging = await (await demoClient('333333333333')).send(new DescribeTrailsCommand({}));
    const status = await (await demoClient('222222222222')).send(new GetTrailStatusCommand({ Name: 'arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail' }));

    expect(production.trailList?.map((t) => [t.Name, t.IsOrganizationTrail, t.IsMultiRegionTrail, t.LogFileValidationEnabled, t.KmsKeyId !== undefined])).toEqual([['org-trail', true, true, true, true]]);
    expect(staging.trailList?.map((t) => [t.Name, t.IsMultiRegionTrail, t.LogFileValidationEnabled, t.KmsKeyId])).toEqual([
      ['org-trail', true, true, expect.stringContaining(':key/')],
      ['staging-trail', false, false, undefined],
    ]);
    expect(status.IsLogging).toBe(true);
  });

  it('plants the events of concern in production over the last day', async () => {
    const client = await demoClient('222222222222');

    const { events } = await lookupAll(client, { StartTime: new Date(Date.now() - DAY), LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }] });
    const names = events.map((e) => e.EventName);
    const concerning = events.filter((e) => e.EventSource === 'signin.amazonaws.com' || /Policy|SecurityGroup|Logging|Detector|Filter/.test(e.EventName ?? ''));

    expect(concerning.map((e) => [e.EventName, e.Username])).toEqual([
      ['DeleteFilter', 'bob'],
      ['StopLogging', 'bob'],
      ['UpdateDetector', 'bob'],
      ['AuthorizeSecurityGroupIngress', 'bob'],
      ['AttachRolePolicy', 'ci-deploy'],
      ['PutUserPolicy', 'bob'],
      ['ConsoleLogin', 'bob'],
      ['ConsoleLogin', 'root'],
    ]);
    expect(names.length).toBeGreaterThan(concerning.length);
  });
});
