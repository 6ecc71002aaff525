/**
 * A scan of an organization end to end: accounts discovered through AWS Organizations (one excluded,
 * one suspended, one whose role refuses Vigil), enabled regions read per account, real SDK clients
 * against the sandbox. A region that hangs gives `error` results for its own account-region only,
 * well before the per-unit deadline, and every other verdict equals a clean run's.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsAccountDirectory } from '../../src/adapters/aws/accounts.js';
import { AwsClients } from '../../src/adapters/aws/clients.js';
import { createAwsInventory } from '../../src/adapters/aws/inventory-all.js';
import { loadCheckDefinitions } from '../../src/checks/definitions.js';
import { EVALUATORS } from '../../src/checks/registry.js';
import { runChecks, type CheckRunOutcome } from '../../src/checks/run.js';
import { configSchema } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { PROJECT_ROOT } from '../../src/core/paths.js';
import type { CheckResult } from '../../src/core/results.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { ORG_SCENARIO_HEAD, orgRole } from '../helpers/organization.js';
import { startTestSandbox, type TestSandbox, useSandboxEnv } from '../helpers/sandbox.js';

const SCENARIO = `${ORG_SCENARIO_HEAD('organization-scan')}
  - id: "222222222222"
    name: production
    enabledRegions: [us-east-1, us-west-2]
${orgRole()}
    regions:
      us-east-1:
        rds:
          instances:
            - { id: east-db, multiAZ: true, backupRetentionDays: 30, encrypted: true, deletionProtection: true }
            - { id: east-weak-db, backupRetentionDays: 3, encrypted: false }
        ec2:
          volumes:
            - { name: east-vol, encrypted: true, age: 100d, snapshots: { daily: { keep: 10d } } }
        s3:
          buckets:
            - { name: east-content, versioning: Enabled }
        guardduty:
          detector: { id: c0ffee00c0ffee00c0ffee00c0ffee01 }
        cloudtrail:
          trails:
            - { name: main, s3Bucket: east-content }
      us-west-2:
        rds:
          instances:
            - { id: west-db, multiAZ: false, backupRetentionDays: 30, encrypted: true }
        ec2:
          volumes:
            - { name: west-vol, encrypted: false, age: 100d }
        s3:
          buckets:
            - { name: west-content }
  - id: "333333333333"
    name: closed-project
    status: SUSPENDED
${orgRole()}
  - id: "444444444444"
    name: locked
    enabledRegions: [us-east-1]
${orgRole('someone-else')}
  - id: "555555555555"
    name: playground
    enabledRegions: [us-east-1]
${orgRole()}
  - id: "666666666666"
    name: staging
    enabledRegions: [us-east-1]
${orgRole()}
    regions:
      us-east-1:
        ec2:
          volumes:
            - { name: staging-vol, encrypted: false, age: 10d }
`;

const CONFIG = configSchema.parse({
  version: 1,
  // Short request timeouts so a hung region costs a second here; the unit deadline is far longer.
  aws: { connectTimeoutMs: 1000, requestTimeoutMs: 500, maxAttempts: 2, roleSessionName: 'vigil-test', scopeTimeoutMs: 60_000 },
  organization: { discover: true, externalId: 'org-external', regions: 'enabled', exclude: ['555555555555'] },
});

/** Checks that read one account-region each: DR copies and replication look into a second region by design. */
const CHECKS = loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS }).filter(
  (c) =>
    c.enabled &&
    !/-dr-copy$|^s3-replication$/.test(c.id) &&
    (/^(rds|ebs|s3)-/.test(c.id) || ['guardduty-enabled', 'cloudtrail-logging', 'cloudtrail-multi-region', 'iam-root-mfa'].includes(c.id)),
);

let sandbox: TestSandbox;
let restoreEnv: () => void;
let clean: CheckRunOutcome;
let hung: CheckRunOutcome;
let hungMs: number;

async function scan(): Promise<CheckRunOutcome> {
  const clients = new AwsClients(CONFIG.aws);
  const store = SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-org-scan-')));
  try {
    return await runChecks(
      { trigger: 'cli', reason: 'organization scan' },
      { config: CONFIG, checks: CHECKS, evaluators: EVALUATORS, inventory: createAwsInventory(clients), store, clock: systemClock, accounts: new AwsAccountDirectory(clients, CONFIG) },
    );
  } finally {
    clients.destroy();
    await store.close();
  }
}

/** What a verdict is, without when it was made. */
const tuple = (r: CheckResult) => [r.checkId, r.accountId, r.region, r.resource, r.status].join(' ');
const inHungRegion = (r: CheckResult) => r.accountId === '222222222222' && r.region === 'us-west-2';

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO);
  restoreEnv = useSandboxEnv(sandbox);
  clean = await scan();
  await sandbox.setFaults([{ service: '*', account: '222222222222', region: 'us-west-2', hangRate: 1 }]);
  const started = Date.now();
  hung = await scan();
  hungMs = Date.now() - started;
  await sandbox.setFaults([]);
}, 120_000);

afterAll(async () => {
  restoreEnv();
  await sandbox.stop();
});

describe('a scan of an organization', () => {
  it('covers the discovered accounts and regions, leaving out only the excluded account', () => {
    const scopes = [...new Set(clean.results.map((r) => `${r.accountId}/${r.region}`))].sort();

    expect(scopes).toEqual([
      '111111111111/global',
      '111111111111/us-east-1',
      '222222222222/global',
      '222222222222/us-east-1',
      '222222222222/us-west-2',
      '333333333333/global',
      '444444444444/global',
      '666666666666/global',
      '666666666666/us-east-1',
    ]);
    expect(clean.run.summary['unavailable']).toEqual([
      { account: '333333333333', reason: 'account suspended (AWS Organizations state SUSPENDED)' },
      { account: '444444444444', reason: 'sts:AssumeRole in 444444444444: access denied (AccessDenied)' },
    ]);
  });

  it('judges the reachable accounts, pass and fail, in every region', () => {
    const verdict = (checkId: string, name: string) => clean.results.find((r) => r.checkId === checkId && r.name === name)?.status;

    expect([verdict('rds-backup-retention', 'east-db'), verdict('rds-backup-retention', 'east-weak-db'), verdict('rds-multi-az', 'west-db')]).toEqual(['pass', 'fail', 'fail']);
    expect(clean.results.filter((r) => r.accountId === '222222222222' || r.accountId === '666666666666').filter((r) => r.status === 'error')).toEqual([]);
  });

  it('gives every check an error with the reason in the suspended account and the one whose role refuses Vigil', () => {
    for (const [account, reason] of [
      ['333333333333', 'account suspended (AWS Organizations state SUSPENDED)'],
      ['444444444444', 'sts:AssumeRole in 444444444444: access denied (AccessDenied)'],
    ] as const) {
      const results = clean.results.filter((r) => r.accountId === account);

      expect(results.map((r) => r.checkId).sort()).toEqual(CHECKS.map((c) => c.id).sort());
      expect(results.every((r) => r.status === 'error' && r.message.endsWith(`: ${reason}.`))).toBe(true);
    }
  });
});

describe('a region that hangs', () => {
  it('gives error results, with the reason, for that account and region only', () => {
    const there = hung.results.filter(inHungRegion);

    expect(there.length).toBeGreaterThan(0);
    expect(there.filter((r) => r.status !== 'error')).toEqual([]);
    expect(there.filter((r) => !/timed out/.test(r.message)).map((r) => r.message)).toEqual([]);
  });

  it('leaves every other verdict equal to a clean run\'s', () => {
    const cleanElsewhere = clean.results.filter((r) => !inHungRegion(r)).map(tuple).sort();
    const hungElsewhere = hung.results.filter((r) => !inHungRegion(r)).map(tuple).sort();

    expect(hungElsewhere).toEqual(cleanElsewhere);
  });

  it('costs a couple of request timeouts, not the unit deadline, and evaluates the same units', () => {
    const units = (o: CheckRunOutcome) => [...new Set(o.results.map((r) => `${r.checkId} ${r.accountId}/${r.region}`))].sort();

    expect(units(hung)).toEqual(units(clean));
    expect(hungMs).toBeLessThan(CONFIG.aws.scopeTimeoutMs as number);
  });
});
