/**
 * The GuardDuty, CloudTrail and Vault checks end to end: real SDK and node-vault clients against the
 * sandbox running the demo scenario (its RDS and EC2 sections left out: these checks do not read
 * them), with LookupEvents throttled at AWS's 2 requests per second per account and region. Each
 * planted violation must be caught, and a second run must report only what happened after the first.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GuardDutyClient, UpdateDetectorCommand } from '@aws-sdk/client-guardduty';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { AwsClients } from '../../../src/adapters/aws/clients.js';
import { createAwsInventory } from '../../../src/adapters/aws/inventory-all.js';
import { createVaultClient } from '../../../src/adapters/vault.js';
import { loadCheckDefinitions, type CheckDefinition } from '../../../src/checks/definitions.js';
import { EVALUATORS } from '../../../src/checks/registry.js';
import { runChecks } from '../../../src/checks/run.js';
import { THREAT_SUBJECTS } from '../../../src/checks/threat/index.js';
import { configSchema, type VigilConfig } from '../../../src/config/schema.js';
import { systemClock } from '../../../src/core/clock.js';
import { PROJECT_ROOT } from '../../../src/core/paths.js';
import type { CheckResult } from '../../../src/core/results.js';
import { DEMO_SCENARIO_URL } from '../../../src/sandbox/scenario.js';
import { SqliteStore } from '../../../src/store/sqlite.js';
import { startTestSandbox, type TestSandbox, useSandboxEnv } from '../../helpers/sandbox.js';

const DEMO_KEY = { accessKeyId: 'AKIAVIGILDEMO0000001', secretAccessKey: 'sandbox-demo-secret-key' };
const PROD = '222222222222';
const STAGING = '333333333333';

/** The demo scenario without its RDS (embedded Postgres) and EC2 sections. */
function demoWithoutDatabases(): string {
  const doc = parse(readFileSync(fileURLToPath(DEMO_SCENARIO_URL), 'utf8')) as { accounts: Array<{ regions?: Record<string, Record<string, unknown>> }> };
  for (const account of doc.accounts) {
    for (const region of Object.values(account.regions ?? {})) {
      delete region['rds'];
      delete region['ec2'];
    }
  }
  return stringify(doc);
}

/** What `vigil demo` configures, minus the integrations these checks do not use; defaults applied as when loaded. */
const CONFIG: VigilConfig = configSchema.parse({
  version: 1,
  aws: { defaultRegion: 'us-east-1', connectTimeoutMs: 2000, requestTimeoutMs: 10_000, maxAttempts: 3, roleSessionName: 'vigil-test' },
  accounts: [
    { id: PROD, name: 'coursecraft-production', roleArn: `arn:aws:iam::${PROD}:role/VigilAudit`, externalId: 'vigil-demo', regions: ['us-east-1', 'us-west-2'], drRegion: 'us-west-2' },
    { id: STAGING, name: 'coursecraft-staging', roleArn: `arn:aws:iam::${STAGING}:role/VigilAudit`, externalId: 'vigil-demo', regions: ['us-east-1'] },
  ],
  scope: { include: [{ env: 'production' }], exclude: [] },
});

let sandbox: TestSandbox;
let first: CheckResult[];
let second: CheckResult[];
let throttledLookups: number;
const saved = { ...process.env };

/** Units run concurrently: order by account and region, keeping each unit's own order. */
function ordered(results: CheckResult[]): CheckResult[] {
  return [...results].sort((a, b) => `${a.accountId}|${a.region}`.localeCompare(`${b.accountId}|${b.region}`));
}

/** `account/region name` -> status, for one check. */
function verdicts(results: CheckResult[], checkId: string): Record<string, string> {
  return Object.fromEntries(results.filter((r) => r.checkId === checkId).map((r) => [`${r.accountId}/${r.region} ${r.name}`, r.status]));
}

function messages(results: CheckResult[], checkId: string, status = 'fail'): string[] {
  return results.filter((r) => r.checkId === checkId && r.status === status).map((r) => r.message);
}

/** A GuardDuty change made in production between the two runs, recorded by the sandbox's CloudTrail. */
async function changeDetectorInProduction(): Promise<void> {
  const config = sandbox.aws('us-east-1', DEMO_KEY);
  const sts = new STSClient(config);
  const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${PROD}:role/VigilAudit`, RoleSessionName: 'between-runs', ExternalId: 'vigil-demo' }));
  const credentials = assumed.Credentials as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
  const guardduty = new GuardDutyClient(sandbox.aws('us-east-1', { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, sessionToken: credentials.SessionToken }));
  await guardduty.send(new UpdateDetectorCommand({ DetectorId: 'c0ffee00c0ffee00c0ffee00c0ffee01', FindingPublishingFrequency: 'ONE_HOUR' }));
  sts.destroy();
  guardduty.destroy();
}

beforeAll(async () => {
  sandbox = await startTestSandbox(demoWithoutDatabases());
  await sandbox.setFaults([{ service: 'cloudtrail', operation: 'LookupEvents', throttle: { ratePerSecond: 2, burst: 2 } }]);
  useSandboxEnv(sandbox, DEMO_KEY);
  const checks: CheckDefinition[] = loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS }).filter((c) => c.resource in THREAT_SUBJECTS);
  const store = SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-threat-')));
  const vault = createVaultClient({ address: sandbox.info.vaultAddr, token: 'hvs.sandbox-demo-token' });
  const run = async () => {
    const clients = new AwsClients(CONFIG.aws);
    try {
      return (await runChecks({ trigger: 'cli' }, { config: CONFIG, checks, evaluators: EVALUATORS, inventory: createAwsInventory(clients, vault), store, clock: systemClock })).results;
    } finally {
      clients.destroy();
    }
  };
  first = ordered(await run());
  await changeDetectorInProduction();
  second = ordered(await run());
  await store.close();
  const summary = await sandbox.inspect<{ counts: Array<{ operation: string; throttled: number }> }>('calls/summary');
  throttledLookups = summary.counts.filter((c) => c.operation === 'LookupEvents').reduce((n, c) => n + c.throttled, 0);
}, 180_000);

afterAll(async () => {
  process.env = saved;
  await sandbox.stop();
});

describe('GuardDuty checks against the demo', () => {
  it('finds GuardDuty missing in production us-west-2 and RDS login protection off in staging', () => {
    const byPlace = Object.fromEntries(first.filter((r) => r.checkId === 'guardduty-enabled').map((r) => [`${r.accountId}/${r.region}`, r.status]));

    expect(byPlace).toEqual({ [`${PROD}/us-east-1`]: 'pass', [`${PROD}/us-west-2`]: 'fail', [`${STAGING}/us-east-1`]: 'fail' });
    expect(messages(first, 'guardduty-enabled')).toEqual([`GuardDuty is not enabled in ${PROD}/us-west-2: the region has no detector.`, expect.stringMatching(/^GuardDuty detector \w+ in 333333333333\/us-east-1 has protection plans off: RDS_LOGIN_EVENTS\.$/)]);
  });

  it('reports the active HIGH brute force as its own result, and not the archived critical one', () => {
    const high = first.filter((r) => r.checkId === 'guardduty-high-findings' && r.status === 'fail');

    expect(high.map((r) => [r.accountId, r.region, r.name])).toEqual([[PROD, 'us-east-1', 'UnauthorizedAccess:EC2/SSHBruteForce on i-0c0ffee0000000001']]);
    expect(high[0]?.message).toMatch(/^GuardDuty finding UnauthorizedAccess:EC2\/SSHBruteForce \(high, 7\.5\) on i-0c0ffee0000000001 is active: first seen .*, last seen .*\.$/);
    expect(high[0]?.facts).toMatchObject({ signalKey: expect.stringMatching(/^guardduty:222222222222:us-east-1:[0-9a-f]{32}$/) as unknown, severity: 7.5, count: 312, resourceType: 'Instance' });
    expect(high[0]?.resource).toMatch(/^arn:aws:guardduty:us-east-1:222222222222:detector\/c0ffee00c0ffee00c0ffee00c0ffee01\/finding\//);
    expect(first.filter((r) => r.checkId === 'guardduty-high-findings' && r.status !== 'fail').map((r) => [r.accountId, r.region, r.status])).toEqual(
      expect.arrayContaining([[PROD, 'us-west-2', 'not_applicable'], [STAGING, 'us-east-1', 'pass']]),
    );
  });

  it('reports the MEDIUM port probe open 20 days', () => {
    expect(messages(first, 'guardduty-medium-findings-age')).toEqual([
      expect.stringMatching(/^GuardDuty finding Recon:EC2\/PortProbeUnprotectedPort \(medium, 5\.0\) on i-0c0ffee0000000002 has been open 20 days \(first seen .*\), longer than 7 days\.$/),
    ]);
  });
});

describe('CloudTrail checks against the demo', () => {
  it('counts the organization trail, seen as a shadow trail, for every member region', () => {
    expect(Object.values(verdicts(first, 'cloudtrail-multi-region'))).toEqual(['pass', 'pass', 'pass']);
    expect(messages(first, 'cloudtrail-multi-region', 'pass')[0]).toMatch(/is covered by multi-region trail org-trail \(organization trail of account 111111111111\)/);
  });

  it('fails the single-region staging trail for validation and KMS, and its bucket for having no public access block', () => {
    expect(messages(first, 'cloudtrail-log-file-validation')).toEqual(['CloudTrail trail staging-trail has log file validation off, so changes to its log files would go unnoticed.']);
    expect(messages(first, 'cloudtrail-kms-encryption')).toEqual(['CloudTrail trail staging-trail does not encrypt its log files with a KMS key (SSE-S3 only).']);
    expect(messages(first, 'cloudtrail-bucket-not-public')).toEqual([
      'CloudTrail trail staging-trail delivers to S3 bucket coursecraft-staging-cloudtrail, which has no public access block, so one policy or ACL change would make the logs public.',
    ]);
    expect(Object.values(verdicts(first, 'cloudtrail-logging'))).toEqual(['pass', 'pass', 'pass', 'pass']);
  });

  it("says it cannot read the organization trail's bucket in the management account, rather than passing it", () => {
    expect(messages(first, 'cloudtrail-bucket-not-public', 'error')).toEqual([
      expect.stringMatching(/^CloudTrail trail org-trail \(organization trail of account 111111111111\) delivers to S3 bucket coursecraft-org-cloudtrail-logs, which Vigil cannot read from account 222222222222 \(the bucket is likely in another account\): .*access denied/),
      expect.stringMatching(/cannot read from account 222222222222/),
      expect.stringMatching(/cannot read from account 333333333333/),
    ]);
  });

  it('reports each planted production event of concern, naming actor, source IP and event', () => {
    const events = first.filter((r) => r.checkId === 'cloudtrail-events-of-concern' && r.status === 'fail');

    expect(events.map((r) => [r.accountId, r.region, r.facts['eventName'], (r.facts['actor'] as { name: string }).name, r.facts['sourceIp'], r.facts['categories']])).toEqual([
      [PROD, 'us-east-1', 'ConsoleLogin', 'root', '203.0.113.7', ['root-activity']],
      [PROD, 'us-east-1', 'ConsoleLogin', 'bob', '198.51.100.44', ['console-login-without-mfa']],
      [PROD, 'us-east-1', 'PutUserPolicy', 'bob', '198.51.100.44', ['iam-policy-change']],
      [PROD, 'us-east-1', 'AttachRolePolicy', 'ci-deploy', '52.23.10.40', ['iam-policy-change']],
      [PROD, 'us-east-1', 'AuthorizeSecurityGroupIngress', 'bob', '198.51.100.44', ['security-group-change']],
      [PROD, 'us-east-1', 'UpdateDetector', 'bob', '198.51.100.44', ['guardduty-change']],
      [PROD, 'us-east-1', 'StopLogging', 'bob', '198.51.100.44', ['trail-change']],
      [PROD, 'us-east-1', 'DeleteFilter', 'bob', '198.51.100.44', ['guardduty-change']],
    ]);
    expect(events[4]?.message).toMatch(/^IAM user bob called ec2:AuthorizeSecurityGroupIngress on sg-0c0ffee0000000a01 \(tcp 22 from 0\.0\.0\.0\/0\) from 198\.51\.100\.44 at .* \(security group change\)\.$/);
    expect(events[6]?.message).toMatch(/^IAM user bob called cloudtrail:StopLogging on trail org-trail from 198\.51\.100\.44 at .*, refused with AccessDenied \(CloudTrail change\)\.$/);
    expect(new Set(events.map((r) => r.facts['signalKey'])).size).toBe(8);
    expect(verdicts(first, 'cloudtrail-events-of-concern')).toMatchObject({ [`${PROD}/us-west-2 CloudTrail events in ${PROD}/us-west-2`]: 'pass', [`${STAGING}/us-east-1 CloudTrail events in ${STAGING}/us-east-1`]: 'pass' });
  });

  it('stays within LookupEvents’ 2 requests per second per account and region', () => {
    expect(throttledLookups).toBe(0);
  });

  it('reports on the second run only the event that happened after the first run was evaluated', () => {
    const firstEvaluated = Math.max(...first.filter((r) => r.checkId === 'cloudtrail-events-of-concern').map((r) => Date.parse(r.evaluatedAt)));
    const events = second.filter((r) => r.checkId === 'cloudtrail-events-of-concern' && r.status === 'fail');

    expect(events.map((r) => [r.accountId, r.region, r.facts['eventName'], (r.facts['actor'] as { name: string }).name])).toEqual([[PROD, 'us-east-1', 'UpdateDetector', 'role/VigilAudit/between-runs']]);
    expect(Date.parse(events[0]?.facts['eventTime'] as string)).toBeGreaterThanOrEqual(Math.floor(firstEvaluated / 1000) * 1000);
    expect(second.filter((r) => r.checkId === 'cloudtrail-events-of-concern' && r.status === 'pass')).toHaveLength(2);
  });
});

describe('Vault checks against the demo', () => {
  it('passes health and audit, and judges each database role against the 24-hour maximum', () => {
    expect(verdicts(first, 'vault-healthy')).toEqual({ [`-/global Vault ${sandbox.info.vaultAddr}`]: 'pass' });
    expect(verdicts(first, 'vault-audit-device')).toEqual({ [`-/global Vault ${sandbox.info.vaultAddr}`]: 'pass' });
    expect(verdicts(first, 'vault-database-credential-ttl')).toEqual({ '-/global database/roles/lms-admin': 'fail', '-/global database/roles/lms-readonly': 'pass' });
    expect(messages(first, 'vault-database-credential-ttl')).toEqual(['Vault database role database/roles/lms-admin (connection lms-prod) lets credentials live up to 720 hours (its max TTL), longer than 24 hours.']);
  });
});
