/**
 * The GuardDuty, CloudTrail and S3 reads of the threat checks, through the real SDK against the
 * sandbox: server-side finding criteria and batches, shadow trails, bucket exposure across accounts,
 * and LookupEvents paced by the clients' pacing on an injected clock.
 */
import type { ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-cloudtrail';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/adapters/aws/clients.js';
import { AwsThreatInventory, longestFirst, toTrailEvent } from '../../src/adapters/aws/threat-inventory.js';
import type { PacerClock } from '../../src/adapters/aws/pacer.js';
import { PACING_MIDDLEWARE_NAME } from '../../src/adapters/aws/pacing.js';
import { eventLookups } from '../../src/checks/threat/cloudtrail-events.js';
import type { AccountConfig, VigilConfig } from '../../src/config/schema.js';
import { DAY_MS } from '../../src/core/clock.js';
import { startTestSandbox, TEST_KEY, type TestSandbox, useSandboxEnv } from '../helpers/sandbox.js';

const DETECTOR = 'c0ffee00c0ffee00c0ffee00c0ffee01';
const mediums = Array.from({ length: 60 }, (_, i) => `            - { type: Recon:EC2/PortProbeUnprotectedPort, severity: ${4 + (i % 29) / 10}, firstSeen: ${i + 1}d }`).join('\n');

const SCENARIO = `
name: threat-adapter
organization: { id: o-test0000001, managementAccount: "111111111111" }
accounts:
  - id: "111111111111"
    name: management
    accessKeys:
      - { accessKeyId: ${TEST_KEY.accessKeyId}, secretAccessKey: ${TEST_KEY.secretAccessKey}, user: vigil }
    regions:
      us-east-1:
        cloudtrail:
          trails:
            - { name: org-trail, organization: true, kmsKeyId: alias/org-cloudtrail, s3Bucket: org-logs }
        s3:
          buckets:
            - name: org-logs
              publicAccessBlock: { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true }
  - id: "222222222222"
    name: production
    iam:
      roles:
        - { name: VigilAudit, trustedAccounts: ["111111111111"], externalId: test-external }
    regions:
      us-east-1:
        guardduty:
          detector:
            id: ${DETECTOR}
            features: { S3_DATA_EVENTS: ENABLED, RDS_LOGIN_EVENTS: DISABLED }
          findings:
            - { type: UnauthorizedAccess:EC2/SSHBruteForce, severity: 7.5, firstSeen: 2h, lastSeen: 20m, resource: { instanceId: i-0web } }
            - { type: CryptoCurrency:EC2/BitcoinTool.B!DNS, severity: 9.0, firstSeen: 12d, archived: true }
            - { type: Policy:IAMUser/RootCredentialUsage, severity: 2.0, firstSeen: 10d }
${mediums}
        cloudtrail:
          trails:
            - name: local-trail
              multiRegion: false
              logFileValidation: false
              s3Bucket: prod-logs
              advancedEventSelectors:
                - name: writes
                  fieldSelectors:
                    - { field: eventCategory, equals: [Management] }
                    - { field: readOnly, equals: ["false"] }
          events:
            - { name: ConsoleLogin, actor: root, age: 20h, sourceIp: 203.0.113.7, mfa: true }
            - { name: PutUserPolicy, actor: bob, age: 8h, requestParameters: { userName: bob, policyName: s3-full-access } }
            - { name: ListUsers, actor: bob, age: 7h }
            - { name: DeleteFilter, actor: bob, age: 3h, requestParameters: { detectorId: ${DETECTOR}, filterName: ssh-alerts } }
          # IAM reads (ListRoles, GetUser) every few minutes: more than a page of iam.amazonaws.com a day.
          noise: { readsPerDay: 2000, window: 2d, actors: [dana] }
        s3:
          buckets:
            - name: prod-logs
              policy:
                Version: "2012-10-17"
                Statement:
                  - { Sid: PublicRead, Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::prod-logs/*" }
`;

const AWS: VigilConfig['aws'] = { defaultRegion: 'us-east-1', connectTimeoutMs: 2000, requestTimeoutMs: 10_000, maxAttempts: 3, roleSessionName: 'vigil-test' };
const PRODUCTION: AccountConfig = { id: '222222222222', name: 'production', roleArn: 'arn:aws:iam::222222222222:role/VigilAudit', externalId: 'test-external', regions: ['us-east-1'] };

/**
 * A timer fires at once and moves virtual time to when it was due: the pacing is measured, never
 * waited for. Time moves when the timer fires, not when it is set, so a call let through just before
 * (lookups run side by side) is recorded at the time it went.
 */
class InstantClock implements PacerClock {
  t = 1_000_000;
  now = () => this.t;
  timer = (ms: number, wake: () => void) => {
    const at = this.t + ms;
    let live = true;
    setImmediate(() => {
      if (!live) return;
      this.t = Math.max(this.t, at);
      wake();
    });
    return () => {
      live = false;
    };
  };
}

let sandbox: TestSandbox;
let clients: AwsClients;
const saved = { ...process.env };

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO);
  useSandboxEnv(sandbox);
  clients = new AwsClients(AWS);
}, 60_000);

afterAll(async () => {
  clients.destroy();
  process.env = saved;
  await sandbox.stop();
});

async function callCount(operation: string): Promise<number> {
  const summary = await sandbox.inspect<{ counts: Array<{ operation: string; account?: string; calls: number }> }>('calls/summary');
  return summary.counts.filter((c) => c.operation === operation && c.account === PRODUCTION.id).reduce((n, c) => n + c.calls, 0);
}

describe('AwsThreatInventory against the sandbox', () => {
  it('reads the detector and its protection plans', async () => {
    const inventory = new AwsThreatInventory(clients);

    const [detector] = await inventory.guardDutyDetectors(PRODUCTION, 'us-east-1');

    expect(detector?.detectorId).toBe(DETECTOR);
    expect(detector?.details.ok && detector.details.value).toMatchObject({ status: 'ENABLED', features: { S3_DATA_EVENTS: 'ENABLED', RDS_LOGIN_EVENTS: 'DISABLED', CLOUD_TRAIL: 'ENABLED' } });
    expect(await inventory.guardDutyDetectors(PRODUCTION, 'us-west-2')).toEqual([]);
  });

  it('lists active findings of medium and above with server-side criteria, in pages and batches of 50', async () => {
    const inventory = new AwsThreatInventory(clients);
    const before = { list: await callCount('ListFindings'), get: await callCount('GetFindings') };

    const findings = await inventory.guardDutyFindings(PRODUCTION, 'us-east-1', DETECTOR);

    expect(findings).toHaveLength(61);
    expect(findings.every((f) => f.severity >= 4)).toBe(true);
    expect(findings.map((f) => f.type)).not.toContain('CryptoCurrency:EC2/BitcoinTool.B!DNS');
    expect(findings[0]).toMatchObject({ type: 'UnauthorizedAccess:EC2/SSHBruteForce', severity: 7.5, resource: 'i-0web', resourceType: 'Instance' });
    expect(findings.map((f) => f.severity)).toEqual([...findings.map((f) => f.severity)].sort((a, b) => b - a));
    expect({ list: (await callCount('ListFindings')) - before.list, get: (await callCount('GetFindings')) - before.get }).toEqual({ list: 2, get: 2 });
  });

  it("sees its own trail and the organization's shadow trail, with status and selectors", async () => {
    const inventory = new AwsThreatInventory(clients);

    const trails = await inventory.cloudTrailTrails(PRODUCTION, 'us-east-1');

    expect(trails.map((t) => [t.name, t.ownerAccountId, t.multiRegion, t.organization, t.logFileValidation, Boolean(t.kmsKeyId), t.s3Bucket])).toEqual([
      ['org-trail', '111111111111', true, true, true, true, 'org-logs'],
      ['local-trail', '222222222222', false, false, false, false, 'prod-logs'],
    ]);
    expect(trails.map((t) => t.status.ok && t.status.value.isLogging)).toEqual([true, true]);
    expect(trails[1]?.selectors).toEqual({
      ok: true,
      value: { type: 'advanced', selectors: [{ name: 'writes', fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }, { field: 'readOnly', equals: ['false'] }] }] },
    });
  });

  it("judges its own bucket's exposure, and keeps another account's bucket as unreadable", async () => {
    const inventory = new AwsThreatInventory(clients);

    const own = await inventory.cloudTrailBucket(PRODUCTION, 'us-east-1', 'prod-logs');
    const other = await inventory.cloudTrailBucket(PRODUCTION, 'us-east-1', 'org-logs');

    expect(own).toEqual({ ok: true, value: { bucket: 'prod-logs', publicAccessBlock: null, policyIsPublic: true, publicAclGrants: [] } });
    expect(other).toEqual({ ok: false, reason: expect.stringMatching(/^s3:GetPublicAccessBlock in 222222222222\/us-east-1: access denied \(AccessDenied\)$/) as unknown });
  });

  it("reads a trail bucket's exposure once per run, and again after the account is forgotten", async () => {
    const inventory = new AwsThreatInventory(clients);
    const aclCalls = async () => {
      const summary = await sandbox.inspect<{ counts: Array<{ operation: string; account?: string; calls: number }> }>('calls/summary');
      return summary.counts.filter((c) => c.operation === 'GetBucketAcl' && c.account === PRODUCTION.id).reduce((n, c) => n + c.calls, 0);
    };
    const before = await aclCalls();

    await inventory.cloudTrailBucket(PRODUCTION, 'us-east-1', 'prod-logs');
    await inventory.cloudTrailBucket(PRODUCTION, 'us-east-1', 'prod-logs');
    const once = (await aclCalls()) - before;
    inventory._forget(PRODUCTION.id);
    await inventory.cloudTrailBucket(PRODUCTION, 'us-east-1', 'prod-logs');
    const again = (await aclCalls()) - before;

    expect([once, again]).toEqual([1, 2]);
  });

  it('paces LookupEvents to at most 2 per second per account and region, and falls back to event names when a source is busy', async () => {
    const clock = new InstantClock();
    const paced = new AwsClients(AWS, process.env, { clock });
    const inventory = new AwsThreatInventory(paced);
    const times: number[] = [];
    // Recorded where a call leaves the pacer, as it goes on the wire.
    const record: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => (args) => {
      times.push(clock.now());
      return next(args);
    };
    paced.client('cloudtrail', PRODUCTION, 'us-east-1').middlewareStack.addRelativeTo(record, { relation: 'after', toMiddleware: PACING_MIDDLEWARE_NAME, name: 'recordLookupTimes' });
    const before = await callCount('LookupEvents');
    const started = Date.now();

    const events = await inventory.cloudTrailEvents(PRODUCTION, 'us-east-1', { start: new Date(Date.now() - DAY_MS), lookups: eventLookups({ regional: true, global: true }) });
    paced.destroy();

    const calls = (await callCount('LookupEvents')) - before;
    // 14 regional lookups; IAM: one page of the whole source, then its 25 event names.
    expect(calls).toBe(40);
    expect(times).toHaveLength(calls);
    for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(500);
    for (let i = 2; i < times.length; i++) expect((times[i] as number) - (times[i - 2] as number)).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(events.map((e) => e.name).sort()).toEqual(['ConsoleLogin', 'DeleteFilter', 'PutUserPolicy']);
    expect(events.find((e) => e.name === 'ConsoleLogin')).toMatchObject({ actor: { type: 'Root', name: 'root' }, sourceIp: '203.0.113.7', mfaUsed: true, consoleLogin: 'Success', detailed: true });
    expect(events.find((e) => e.name === 'PutUserPolicy')).toMatchObject({ actor: { type: 'IAMUser', name: 'bob' }, source: 'iam.amazonaws.com', requestParameters: { userName: 'bob', policyName: 's3-full-access' } });
  });
});

describe('toTrailEvent', () => {
  it('keeps an event whose full record is not JSON, marked as not detailed', () => {
    const event = toTrailEvent({ EventId: 'e1', EventName: 'ConsoleLogin', EventSource: 'signin.amazonaws.com', Username: 'bob', EventTime: new Date('2026-11-24T10:00:00Z'), CloudTrailEvent: '{not json' }, PRODUCTION, 'us-east-1');

    expect(event).toMatchObject({ id: 'e1', name: 'ConsoleLogin', actor: { type: 'Unknown', name: 'bob' }, detailed: false, mfaUsed: undefined });
  });

  it('names role sessions by role and session', () => {
    const record = { userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::222222222222:assumed-role/DataPipelineRole/nightly-export' }, sourceIPAddress: '52.23.10.40' };

    const event = toTrailEvent({ EventId: 'e2', EventName: 'AttachRolePolicy', EventSource: 'iam.amazonaws.com', CloudTrailEvent: JSON.stringify(record) }, PRODUCTION, 'us-east-1');

    expect(event.actor).toEqual({ type: 'AssumedRole', name: 'role/DataPipelineRole/nightly-export', arn: record.userIdentity.arn });
  });
});

describe('longestFirst', () => {
  it("looks up the event names most frequent in the source's newest page first, the rest as given", () => {
    const page = ['CreateRole', 'ListRoles', 'AttachRolePolicy', 'AttachRolePolicy', 'GetUser', 'AttachRolePolicy', 'CreateRole', 'DeleteRole'].map((name) => ({ name }));

    const order = longestFirst(['AttachGroupPolicy', 'AttachRolePolicy', 'CreateRole', 'DeleteRole', 'PutRolePolicy', 'UpdateRole'], page);

    expect(order).toEqual(['AttachRolePolicy', 'CreateRole', 'DeleteRole', 'AttachGroupPolicy', 'PutRolePolicy', 'UpdateRole']);
  });

  it('keeps the given order when the page shows none of the names', () => {
    expect(longestFirst(['B', 'A', 'C'], [{ name: 'ListRoles' }])).toEqual(['B', 'A', 'C']);
  });
});
