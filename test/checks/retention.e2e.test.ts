/**
 * The retention, redundancy and exposure checks end to end: real SDK clients against the sandbox,
 * a scenario with one compliant resource and one planted violation of each kind.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/adapters/aws/clients.js';
import { createAwsInventory } from '../../src/adapters/aws/inventory-all.js';
import { loadCheckDefinitions } from '../../src/checks/definitions.js';
import { EVALUATORS } from '../../src/checks/registry.js';
import { runChecks } from '../../src/checks/run.js';
import { configSchema, type VigilConfig } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { PROJECT_ROOT } from '../../src/core/paths.js';
import type { CheckResult } from '../../src/core/results.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { startTestSandbox, TEST_KEY, type TestSandbox, useSandboxEnv } from '../helpers/sandbox.js';

export const RETENTION_SCENARIO = `
name: retention
accounts:
  - id: "111111111111"
    name: management
    accessKeys:
      - { accessKeyId: ${TEST_KEY.accessKeyId}, secretAccessKey: ${TEST_KEY.secretAccessKey}, user: vigil }
  - id: "222222222222"
    name: production
    iam:
      roles:
        - { name: VigilAudit, trustedAccounts: ["111111111111"], externalId: test-external }
    regions:
      us-east-1:
        rds:
          instances:
            - id: good-db
              multiAZ: true
              backupRetentionDays: 30
              encrypted: true
              deletionProtection: true
              tags: { env: production }
            - id: bad-db
              engine: mysql
              backupRetentionDays: 7
              encrypted: false
              tags: { env: production }
              snapshots:
                daily: { missingDaysAgo: [3] }
                manual:
                  - { id: bad-db-public, age: 2d, public: true }
                  - { id: bad-db-ancient, age: 120d }
            - id: staging-db
              backupRetentionDays: 1
              tags: { env: staging }
        ec2:
          volumes:
            - name: good-vol
              encrypted: true
              age: 400d
              tags: { env: production }
              snapshots: { daily: { keep: 90d } }
            - name: bad-vol
              encrypted: false
              age: 400d
              tags: { env: production }
              snapshots: { daily: { keep: 60d, missingDaysAgo: [2, 3] } }
          snapshots:
            - { volume: bad-vol, age: 5d, public: true }
            - { volume: bad-vol, age: 200d }
      us-west-2:
        rds:
          copies:
            - { sourceRegion: us-east-1, sourceInstance: good-db, count: 2 }
        ec2:
          snapshots:
            - { copyOf: { region: us-east-1, volume: good-vol }, age: 2h, encrypted: true }
`;

const CONFIG: VigilConfig = configSchema.parse({
  version: 1,
  aws: { connectTimeoutMs: 2000, requestTimeoutMs: 10_000, maxAttempts: 4, roleSessionName: 'vigil-test' },
  accounts: [{ id: '222222222222', name: 'production', roleArn: 'arn:aws:iam::222222222222:role/VigilAudit', externalId: 'test-external', regions: ['us-east-1', 'us-west-2'], drRegion: 'us-west-2' }],
  scope: { include: [{ env: 'production' }] },
});

let sandbox: TestSandbox;
let results: CheckResult[];
const saved = { ...process.env };

function verdicts(checkId: string): Record<string, string> {
  return Object.fromEntries(results.filter((r) => r.checkId === checkId && r.region === 'us-east-1').map((r) => [r.name.replace(/^vol-\w+ \((.*)\)$/, '$1'), r.status]));
}

function message(checkId: string, name: string): string {
  return results.find((r) => r.checkId === checkId && r.name.includes(name))?.message ?? '(no result)';
}

beforeAll(async () => {
  sandbox = await startTestSandbox(RETENTION_SCENARIO);
  useSandboxEnv(sandbox);
  const clients = new AwsClients(CONFIG.aws);
  const store = SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-retention-')));
  const checks = loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS }).filter((c) => ['rds-instance', 'rds-cluster', 'ebs-volume'].includes(c.resource));
  const outcome = await runChecks({ trigger: 'cli' }, { config: CONFIG, checks, evaluators: EVALUATORS, inventory: createAwsInventory(clients), store, clock: systemClock });
  results = outcome.results;
  clients.destroy();
  await store.close();
}, 120_000);

afterAll(async () => {
  process.env = saved;
  await sandbox.stop();
});

describe('retention checks against the sandbox', () => {
  it('judges RDS instances in scope, pass for the compliant one and fail for each planted break', () => {
    expect(verdicts('rds-backup-retention')).toEqual({ 'good-db': 'pass', 'bad-db': 'fail' });
    expect(verdicts('rds-multi-az')).toEqual({ 'good-db': 'pass', 'bad-db': 'fail' });
    expect(verdicts('rds-deletion-protection')).toEqual({ 'good-db': 'pass', 'bad-db': 'fail' });
    expect(verdicts('rds-instance-encrypted')).toEqual({ 'good-db': 'pass', 'bad-db': 'fail' });
    expect(verdicts('rds-snapshot-encrypted')).toEqual({ 'good-db': 'pass', 'bad-db': 'fail' });
    expect(verdicts('rds-snapshot-not-public')).toEqual({ 'good-db': 'pass', 'bad-db': 'fail' });
    expect(verdicts('rds-snapshot-over-retention')).toEqual({ 'good-db': 'pass', 'bad-db': 'fail' });
    expect(verdicts('rds-snapshot-daily')).toEqual({ 'good-db': 'pass', 'bad-db': 'fail' });
    expect(verdicts('rds-snapshot-fresh')).toEqual({ 'good-db': 'pass', 'bad-db': 'pass' });
    expect(verdicts('rds-dr-copy')).toEqual({ 'good-db': 'pass', 'bad-db': 'fail' });
  });

  it('names the resource and what was missing in each failure', () => {
    expect(message('rds-backup-retention', 'bad-db')).toBe('RDS instance bad-db keeps automated backups for 7 days, fewer than 30.');
    expect(message('rds-snapshot-not-public', 'bad-db')).toBe('RDS instance bad-db has exposed snapshots: bad-db-public is public.');
    expect(message('rds-snapshot-over-retention', 'bad-db')).toMatch(/^RDS instance bad-db keeps 1 snapshot beyond 37 days: bad-db-ancient \(120 days\)\.$/);
    expect(message('rds-snapshot-daily', 'bad-db')).toMatch(/^RDS instance bad-db has no snapshot on \d+ days of the last 29: .*\.$/);
    expect(message('rds-dr-copy', 'bad-db')).toBe('RDS instance bad-db has no snapshot copy in us-west-2.');
    expect(message('ebs-snapshot-not-public', 'bad-vol')).toMatch(/^EBS volume vol-\w+ \(bad-vol\) has exposed snapshots: snap-\w+ is public\.$/);
    expect(message('ebs-snapshot-daily', 'bad-vol')).toMatch(/^EBS volume vol-\w+ \(bad-vol\) has no snapshot on \d+ days of the last 89: /);
  });

  it('judges EBS volumes, matching DR copies through the snapshot they came from', () => {
    expect(verdicts('ebs-volume-encrypted')).toEqual({ 'good-vol': 'pass', 'bad-vol': 'fail' });
    expect(verdicts('ebs-snapshot-encrypted')).toEqual({ 'good-vol': 'pass', 'bad-vol': 'fail' });
    expect(verdicts('ebs-snapshot-not-public')).toEqual({ 'good-vol': 'pass', 'bad-vol': 'fail' });
    expect(verdicts('ebs-snapshot-over-retention')).toEqual({ 'good-vol': 'pass', 'bad-vol': 'fail' });
    expect(verdicts('ebs-snapshot-daily')).toEqual({ 'good-vol': 'pass', 'bad-vol': 'fail' });
    expect(verdicts('ebs-snapshot-fresh')).toEqual({ 'good-vol': 'pass', 'bad-vol': 'pass' });
    expect(verdicts('ebs-dr-copy')).toEqual({ 'good-vol': 'pass', 'bad-vol': 'fail' });
  });

  it('reports not_applicable where nothing is in scope, never a silent pass', () => {
    const west = results.filter((r) => r.region === 'us-west-2' && r.checkId === 'rds-backup-retention');

    expect(west.map((r) => [r.status, r.message])).toEqual([['not_applicable', 'No RDS instances in scope (tagged env=production) in 222222222222/us-west-2.']]);
    expect(results.some((r) => r.name === 'staging-db')).toBe(false);
  });
});

describe('retention checks under throttling and 5xx', () => {
  it('gives the clean run\'s verdicts, or error where retries ran out, never a different pass or fail', async () => {
    await sandbox.setFaults(
      [
        { service: 'rds', throttle: { ratePerSecond: 4, burst: 1, per: 'service' } },
        { service: 'ec2', throttle: { ratePerSecond: 4, burst: 1, per: 'service' } },
        { service: 'rds', errorRate: 0.15, errorStatus: 503 },
        { service: 'ec2', errorRate: 0.15, errorStatus: 500 },
      ],
      7,
    );
    useSandboxEnv(sandbox);
    const clients = new AwsClients(CONFIG.aws);
    const store = SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-retention-faults-')));
    const checks = loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS }).filter((c) => ['rds-instance', 'rds-cluster', 'ebs-volume'].includes(c.resource));

    const faulty = await runChecks({ trigger: 'cli' }, { config: CONFIG, checks, evaluators: EVALUATORS, inventory: createAwsInventory(clients), store, clock: systemClock });
    clients.destroy();
    await store.close();
    await sandbox.setFaults([]);
    const summary = await sandbox.inspect<{ counts: Array<{ throttled: number; errors: number }> }>('calls/summary');

    const clean = new Map(results.map((r) => [`${r.checkId}|${r.resource}`, r.status]));
    const changed = faulty.results.filter((r) => r.status !== 'error' && clean.get(`${r.checkId}|${r.resource}`) !== r.status);
    expect(changed).toEqual([]);
    expect(faulty.results.length).toBeGreaterThanOrEqual(results.length - 20);
    expect(summary.counts.reduce((n, c) => n + c.throttled, 0)).toBeGreaterThan(0);
    expect(summary.counts.reduce((n, c) => n + c.errors, 0)).toBeGreaterThan(0);
  }, 120_000);
});
