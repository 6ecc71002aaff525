import {
  ArchiveFindingsCommand,
  CreateDetectorCommand,
  DeleteFilterCommand,
  GetAdministratorAccountCommand,
  GetDetectorCommand,
  GetFilterCommand,
  GetFindingsCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  ListFiltersCommand,
  ListFindingsCommand,
  UnarchiveFindingsCommand,
  UpdateDetectorCommand,
  paginateListDetectors,
  paginateListFilters,
  paginateListFindings,
  type FindingCriteria,
} from '@aws-sdk/client-guardduty';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { demoRoleCredentials, demoScenarioWith, startTestSandbox, TEST_KEY, type TestSandbox } from '../helpers/sandbox.js';

const NOW = new Date('2026-03-02T12:00:00Z');
const HOUR = 3_600_000;

const probes = Array.from({ length: 50 }, (_, i) => ({
  type: 'Recon:EC2/PortProbeUnprotectedPort',
  severity: 2,
  firstSeen: `${i + 10}h`,
  resource: { instanceId: `i-0probe${String(i).padStart(10, '0')}` },
}));

const scenario = stringify({
  name: 'guardduty',
  organization: { id: 'o-test0000001', managementAccount: '111111111111' },
  accounts: [
    {
      id: '111111111111',
      name: 'management',
      accessKeys: [{ ...TEST_KEY, user: 'vigil' }],
      iam: { roles: [{ name: 'NoFindings', trustedAccounts: ['111111111111'], denyActions: ['guardduty:GetFindings'] }] },
      regions: {
        'us-east-1': {
          guardduty: {
            detector: {
              age: '300d',
              updated: '10d',
              findingPublishingFrequency: 'FIFTEEN_MINUTES',
              features: { S3_DATA_EVENTS: 'ENABLED', EBS_MALWARE_PROTECTION: 'ENABLED', RDS_LOGIN_EVENTS: 'ENABLED' },
              administratorAccountId: '999999999999',
            },
            findings: [
              ...probes,
              { id: 'a'.repeat(32), type: 'UnauthorizedAccess:EC2/SSHBruteForce', severity: 7.5, firstSeen: '2h', lastSeen: '30m', count: 42, remoteIp: '203.0.113.9', resource: { instanceId: 'i-0web000000000001', tags: { env: 'production', app: 'lms' } } },
              { id: 'b'.repeat(32), type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', severity: 5, firstSeen: '3d', resource: { userName: 'lms-app' } },
              { id: 'c'.repeat(32), type: 'CryptoCurrency:EC2/BitcoinTool.B!DNS', severity: 9, firstSeen: '5d', archived: true },
              { id: 'd'.repeat(32), type: 'Recon:EC2/Portscan', severity: 2, firstSeen: '1d', resource: { tags: { env: 'sandbox' } } },
            ],
            filters: [
              { name: 'suppress-sandbox', action: 'ARCHIVE', rank: 1, criteria: { 'resource.instanceDetails.tags.value': { eq: ['sandbox'] } }, age: '60d', updated: '2d' },
              { name: 'high-only', criteria: { severity: { gte: 7 } }, rank: 2 },
              { name: 'ssh', criteria: { type: { eq: ['UnauthorizedAccess:EC2/SSHBruteForce'] } }, rank: 3 },
            ],
          },
        },
        'us-west-2': { guardduty: {} },
        'eu-west-1': { guardduty: { detector: {} } },
      },
    },
  ],
});

let sandbox: TestSandbox;
let detectorId: string;
const client = (region = 'us-east-1') => new GuardDutyClient(sandbox.aws(region));

beforeAll(async () => {
  sandbox = await startTestSandbox(scenario, { clock: new ManualClock(NOW) });
  const listed = await client().send(new ListDetectorsCommand({}));
  detectorId = listed.DetectorIds?.[0] as string;
});

afterAll(async () => {
  await sandbox.stop();
});

async function listAll(criteria: FindingCriteria, pageSize = 50): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  for await (const page of paginateListFindings({ client: client(), pageSize }, { DetectorId: detectorId, FindingCriteria: criteria })) {
    ids.push(...(page.FindingIds ?? []));
    pages.push(page.FindingIds?.length ?? 0);
  }
  return { ids, pages };
}

describe('GuardDuty detectors', () => {
  it('lists the one detector of a region, and none where GuardDuty is off', async () => {
    const east: string[] = [];
    for await (const page of paginateListDetectors({ client: client(), pageSize: 1 }, {})) east.push(...(page.DetectorIds ?? []));
    const west = await client('us-west-2').send(new ListDetectorsCommand({ MaxResults: 50 }));

    expect(east).toEqual([detectorId]);
    expect(detectorId).toMatch(/^[0-9a-f]{32}$/);
    expect(west.DetectorIds).toEqual([]);
  });

  it('describes the detector with its features and the legacy data sources', async () => {
    const detector = await client().send(new GetDetectorCommand({ DetectorId: detectorId }));
    const features = Object.fromEntries((detector.Features ?? []).map((f) => [f.Name, f.Status]));

    expect(detector).toMatchObject({
      Status: 'ENABLED',
      FindingPublishingFrequency: 'FIFTEEN_MINUTES',
      CreatedAt: new Date(NOW.getTime() - 300 * 24 * HOUR).toISOString(),
      UpdatedAt: new Date(NOW.getTime() - 10 * 24 * HOUR).toISOString(),
      ServiceRole: 'arn:aws:iam::111111111111:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty',
      DataSources: { S3Logs: { Status: 'ENABLED' }, Kubernetes: { AuditLogs: { Status: 'DISABLED' } }, MalwareProtection: { ScanEc2InstanceWithFindings: { EbsVolumes: { Status: 'ENABLED' } } } },
    });
    expect(features).toEqual({
      CLOUD_TRAIL: 'ENABLED',
      DNS_LOGS: 'ENABLED',
      FLOW_LOGS: 'ENABLED',
      S3_DATA_EVENTS: 'ENABLED',
      EKS_AUDIT_LOGS: 'DISABLED',
      EBS_MALWARE_PROTECTION: 'ENABLED',
      RDS_LOGIN_EVENTS: 'ENABLED',
      EKS_RUNTIME_MONITORING: 'DISABLED',
      LAMBDA_NETWORK_LOGS: 'DISABLED',
      RUNTIME_MONITORING: 'DISABLED',
    });
    expect(detector.Features?.[0]?.UpdatedAt).toBeInstanceOf(Date);
  });

  it('refuses a detector id the account does not own with BadRequestException', async () => {
    const error = await client().send(new GetDetectorCommand({ DetectorId: 'f'.repeat(32) })).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'BadRequestException', $metadata: { httpStatusCode: 400 }, message: expect.stringContaining('detectorId') });
  });

  it('reports the administrator account of a member detector', async () => {
    const admin = await client().send(new GetAdministratorAccountCommand({ DetectorId: detectorId }));

    expect(admin.Administrator).toMatchObject({ AccountId: '999999999999', RelationshipStatus: 'Enabled' });
  });

  it('updates features and frequency, and records the change in CloudTrail', async () => {
    const gd = client('eu-west-1');
    const [id] = (await gd.send(new ListDetectorsCommand({}))).DetectorIds ?? [];
    (sandbox.world.clock as ManualClock).advance(60_000);

    await gd.send(new UpdateDetectorCommand({ DetectorId: id, FindingPublishingFrequency: 'ONE_HOUR', Features: [{ Name: 'RDS_LOGIN_EVENTS', Status: 'ENABLED' }] }));
    const detector = await gd.send(new GetDetectorCommand({ DetectorId: id }));
    const events = await new CloudTrailClient(sandbox.aws('eu-west-1')).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'UpdateDetector' }] }));
    (sandbox.world.clock as ManualClock).set(NOW);

    expect(detector.FindingPublishingFrequency).toBe('ONE_HOUR');
    expect(detector.Features?.find((f) => f.Name === 'RDS_LOGIN_EVENTS')).toMatchObject({ Status: 'ENABLED', UpdatedAt: new Date(NOW.getTime() + 60_000) });
    expect(detector.UpdatedAt).toBe(new Date(NOW.getTime() + 60_000).toISOString());
    expect(events.Events).toEqual([expect.objectContaining({ EventName: 'UpdateDetector', EventSource: 'guardduty.amazonaws.com', Username: 'vigil', ReadOnly: 'false' })]);
  });

  it('creates a detector where there is none, and refuses a second one', async () => {
    const gd = client('ap-southeast-2');

    const created = await gd.send(new CreateDetectorCommand({ Enable: true, Features: [{ Name: 'S3_DATA_EVENTS', Status: 'ENABLED' }] }));
    const listed = await gd.send(new ListDetectorsCommand({}));
    const again = await gd.send(new CreateDetectorCommand({ Enable: true })).catch((e: unknown) => e);

    expect(listed.DetectorIds).toEqual([created.DetectorId]);
    expect(again).toMatchObject({ name: 'BadRequestException', message: expect.stringContaining('already exists') });
  });
});

describe('GuardDuty findings', () => {
  it('returns exactly one full page when 50 findings match, with no NextToken', async () => {
    const page = await client().send(new ListFindingsCommand({ DetectorId: detectorId, MaxResults: 50, FindingCriteria: { Criterion: { type: { Eq: ['Recon:EC2/PortProbeUnprotectedPort'] } } } }));

    expect(page.FindingIds).toHaveLength(50);
    expect(page.NextToken).toBeUndefined();
  });

  it('pages one over a full page with the paginator', async () => {
    const { ids, pages } = await listAll({ Criterion: { severity: { Lt: 7 }, 'service.archived': { Equals: ['false'] }, type: { Neq: ['Recon:EC2/Portscan'] } } });

    expect(pages).toEqual([50, 1]);
    expect(new Set(ids).size).toBe(51);
    expect(ids).toContain('b'.repeat(32));
  });

  it('filters on severity, archived state and update time', async () => {
    const active = await listAll({ Criterion: { severity: { Gte: 7 }, 'service.archived': { Equals: ['false'] } } });
    const all = await listAll({ Criterion: { severity: { Gte: 7 } } });
    const recent = await listAll({ Criterion: { updatedAt: { Gte: NOW.getTime() - 5 * HOUR } } });
    const byTag = await listAll({ Criterion: { 'resource.instanceDetails.tags.value': { Eq: ['lms'] } } });

    expect(active.ids).toEqual(['a'.repeat(32)]);
    expect(all.ids.sort()).toEqual(['a'.repeat(32), 'c'.repeat(32)]);
    expect(recent.ids).toEqual(['a'.repeat(32)]);
    expect(byTag.ids).toEqual(['a'.repeat(32)]);
  });

  it('sorts by an attribute in either direction', async () => {
    const desc = await client().send(new ListFindingsCommand({ DetectorId: detectorId, MaxResults: 3, SortCriteria: { AttributeName: 'severity', OrderBy: 'DESC' } }));
    const oldest = await client().send(new ListFindingsCommand({ DetectorId: detectorId, MaxResults: 1, SortCriteria: { AttributeName: 'createdAt', OrderBy: 'ASC' } }));

    expect(desc.FindingIds).toEqual(['c'.repeat(32), 'a'.repeat(32), 'b'.repeat(32)]);
    expect(oldest.FindingIds).toEqual(['c'.repeat(32)]);
  });

  it('archives findings that match a suppression rule as they arrive', async () => {
    const [finding] = (await client().send(new GetFindingsCommand({ DetectorId: detectorId, FindingIds: ['d'.repeat(32)] }))).Findings ?? [];

    expect(finding?.Service?.Archived).toBe(true);
  });

  it.each([
    ['an unknown attribute', { Criterion: { colour: { Eq: ['red'] } } }],
    ['a condition without operators', { Criterion: { severity: {} } }],
  ])('refuses %s with BadRequestException', async (_case, criteria) => {
    const error = await client().send(new ListFindingsCommand({ DetectorId: detectorId, FindingCriteria: criteria as FindingCriteria })).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'BadRequestException', $metadata: { httpStatusCode: 400 } });
  });

  it('refuses MaxResults above 50', async () => {
    const error = await client().send(new ListFindingsCommand({ DetectorId: detectorId, MaxResults: 51 })).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'BadRequestException' });
  });

  it('returns full findings in the SDK shape', async () => {
    const { Findings } = await client().send(new GetFindingsCommand({ DetectorId: detectorId, FindingIds: ['a'.repeat(32), 'e'.repeat(32), 'b'.repeat(32)] }));
    const [ssh, iam] = Findings ?? [];

    expect(Findings).toHaveLength(2);
    expect(ssh).toMatchObject({
      Id: 'a'.repeat(32),
      Type: 'UnauthorizedAccess:EC2/SSHBruteForce',
      Severity: 7.5,
      AccountId: '111111111111',
      Region: 'us-east-1',
      Arn: `arn:aws:guardduty:us-east-1:111111111111:detector/${detectorId}/finding/${'a'.repeat(32)}`,
      Title: '203.0.113.9 is performing SSH brute force attacks against i-0web000000000001.',
      CreatedAt: new Date(NOW.getTime() - 2 * HOUR).toISOString(),
      UpdatedAt: new Date(NOW.getTime() - 0.5 * HOUR).toISOString(),
      Resource: { ResourceType: 'Instance', InstanceDetails: { InstanceId: 'i-0web000000000001', Tags: [{ Key: 'env', Value: 'production' }, { Key: 'app', Value: 'lms' }] } },
      Service: {
        Archived: false,
        Count: 42,
        DetectorId: detectorId,
        EventFirstSeen: new Date(NOW.getTime() - 2 * HOUR).toISOString(),
        EventLastSeen: new Date(NOW.getTime() - 0.5 * HOUR).toISOString(),
        Action: { ActionType: 'NETWORK_CONNECTION', NetworkConnectionAction: { ConnectionDirection: 'INBOUND', LocalPortDetails: { Port: 22, PortName: 'SSH' }, RemoteIpDetails: { IpAddressV4: '203.0.113.9' } } },
      },
    });
    expect(iam).toMatchObject({ Resource: { ResourceType: 'AccessKey', AccessKeyDetails: { UserName: 'lms-app', UserType: 'IAMUser' } }, Service: { Action: { ActionType: 'AWS_API_CALL' } } });
  });

  it('refuses GetFindings for more than 50 ids', async () => {
    const ids = Array.from({ length: 51 }, (_, i) => i.toString(16).padStart(32, '0'));

    const error = await client().send(new GetFindingsCommand({ DetectorId: detectorId, FindingIds: ids })).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'BadRequestException' });
  });

  it('archives and unarchives findings', async () => {
    const active = { Criterion: { 'service.archived': { Equals: ['false'] }, severity: { Gte: 7 } } };

    await client().send(new ArchiveFindingsCommand({ DetectorId: detectorId, FindingIds: ['a'.repeat(32)] }));
    const whileArchived = await listAll(active);
    await client().send(new UnarchiveFindingsCommand({ DetectorId: detectorId, FindingIds: ['a'.repeat(32)] }));
    const after = await listAll(active);

    expect(whileArchived.ids).toEqual([]);
    expect(after.ids).toEqual(['a'.repeat(32)]);
  });
});

describe('GuardDuty filters', () => {
  it('lists filters across pages in rank order', async () => {
    const names: string[] = [];
    const sizes: number[] = [];
    for await (const page of paginateListFilters({ client: client(), pageSize: 2 }, { DetectorId: detectorId })) {
      names.push(...(page.FilterNames ?? []));
      sizes.push(page.FilterNames?.length ?? 0);
    }

    expect(names).toEqual(['suppress-sandbox', 'high-only', 'ssh']);
    expect(sizes).toEqual([2, 1]);
  });

  it('describes a filter with its criteria and change time', async () => {
    const filter = await client().send(new GetFilterCommand({ DetectorId: detectorId, FilterName: 'suppress-sandbox' }));

    expect(filter).toMatchObject({
      Name: 'suppress-sandbox',
      Action: 'ARCHIVE',
      Rank: 1,
      FindingCriteria: { Criterion: { 'resource.instanceDetails.tags.value': { Eq: ['sandbox'] } } },
      CreatedAt: new Date(NOW.getTime() - 60 * 24 * HOUR),
      UpdatedAt: new Date(NOW.getTime() - 2 * 24 * HOUR),
    });
  });

  it('answers an unknown filter with BadRequestException', async () => {
    const error = await client().send(new GetFilterCommand({ DetectorId: detectorId, FilterName: 'nope' })).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'BadRequestException' });
  });

  it('deletes a filter', async () => {
    await client().send(new DeleteFilterCommand({ DetectorId: detectorId, FilterName: 'ssh' }));
    const listed = await client().send(new ListFiltersCommand({ DetectorId: detectorId }));

    expect(listed.FilterNames).toEqual(['suppress-sandbox', 'high-only']);
  });
});

describe('GuardDuty access and limits', () => {
  it('answers an action denied to the role session with AccessDeniedException', async () => {
    const assumed = await new STSClient(sandbox.aws()).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/NoFindings', RoleSessionName: 'restricted' }));
    const session = new GuardDutyClient(
      sandbox.aws('us-east-1', {
        accessKeyId: assumed.Credentials?.AccessKeyId as string,
        secretAccessKey: assumed.Credentials?.SecretAccessKey as string,
        sessionToken: assumed.Credentials?.SessionToken as string,
      }),
    );

    const listed = await session.send(new ListDetectorsCommand({}));
    const error = await session.send(new GetFindingsCommand({ DetectorId: detectorId, FindingIds: ['a'.repeat(32)] })).catch((e: unknown) => e);

    expect(listed.DetectorIds).toEqual([detectorId]);
    expect(error).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 }, message: expect.stringContaining('guardduty:GetFindings') });
  });

  it('retries TooManyRequestsException and succeeds once the bucket refills', async () => {
    await sandbox.setFaults([{ service: 'guardduty', operation: 'ListDetectors', throttle: { ratePerSecond: 20, burst: 1 } }]);

    const results = await Promise.all([1, 2, 3].map(() => client().send(new ListDetectorsCommand({}))));
    const summary = await sandbox.inspect<{ counts: Array<{ service: string; operation: string; throttled: number }> }>('calls/summary');
    await sandbox.setFaults([]);

    expect(results.map((r) => r.DetectorIds)).toEqual([[detectorId], [detectorId], [detectorId]]);
    expect(summary.counts.find((c) => c.service === 'aws:guardduty' && c.operation === 'ListDetectors')?.throttled).toBeGreaterThan(0);
  });
});

describe('the demo scenario', () => {
  let demo: TestSandbox;

  /** GuardDuty as VigilAudit in one of the demo's accounts. */
  async function demoClient(accountId: string, region = 'us-east-1'): Promise<GuardDutyClient> {
    return new GuardDutyClient(demo.aws(region, await demoRoleCredentials(demo, accountId)));
  }

  beforeAll(async () => {
    // Only this emulator's part of the demo, so other emulators' sections cannot get in the way.
    demo = await startTestSandbox(demoScenarioWith(['guardduty', 'cloudtrail']));
  });

  afterAll(async () => {
    await demo.stop();
  });

  it('plants one active high finding in production and an archived critical one that does not count', async () => {
    const gd = await demoClient('222222222222');
    const [detectorId] = (await gd.send(new ListDetectorsCommand({}))).DetectorIds ?? [];

    const active = await gd.send(new ListFindingsCommand({ DetectorId: detectorId, FindingCriteria: { Criterion: { 'service.archived': { Equals: ['false'] } } }, SortCriteria: { AttributeName: 'severity', OrderBy: 'DESC' } }));
    const all = await gd.send(new ListFindingsCommand({ DetectorId: detectorId, SortCriteria: { AttributeName: 'severity', OrderBy: 'DESC' } }));
    const findings = (await gd.send(new GetFindingsCommand({ DetectorId: detectorId, FindingIds: active.FindingIds }))).Findings ?? [];

    expect(detectorId).toBe('c0ffee00c0ffee00c0ffee00c0ffee01');
    expect(findings.map((f) => [f.Type, f.Severity])).toEqual([
      ['UnauthorizedAccess:EC2/SSHBruteForce', 7.5],
      ['Recon:EC2/PortProbeUnprotectedPort', 5],
      ['Policy:IAMUser/RootCredentialUsage', 2],
    ]);
    expect(all.FindingIds).toHaveLength(4);
  });

  it('has no detector in the production DR region, and RDS protection off in staging', async () => {
    const west = await (await demoClient('222222222222', 'us-west-2')).send(new ListDetectorsCommand({}));
    const staging = await demoClient('333333333333');
    const [stagingId] = (await staging.send(new ListDetectorsCommand({}))).DetectorIds ?? [];
    const detector = await staging.send(new GetDetectorCommand({ DetectorId: stagingId }));

    expect(west.DetectorIds).toEqual([]);
    expect(detector.Status).toBe('ENABLED');
    expect(detector.Features?.find((f) => f.Name === 'RDS_LOGIN_EVENTS')?.Status).toBe('DISABLED');
  });
});
