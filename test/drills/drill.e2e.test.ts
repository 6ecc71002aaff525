/**
 * Restore drills end to end: the real RDS, Vault and pg clients against the sandbox, whose Postgres
 * instances hold real rows.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/adapters/aws/clients.js';
import { AwsDrillPlatform } from '../../src/adapters/aws/rds-drill.js';
import { AwsS3DrillPlatform } from '../../src/adapters/aws/s3-drill.js';
import { PgConnector } from '../../src/adapters/postgres.js';
import { ZxScriptRunner } from '../../src/adapters/scripts.js';
import { createVaultClient, VaultCredentialSource } from '../../src/adapters/vault.js';
import { configSchema, type VigilConfig } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { SafetyError } from '../../src/core/errors.js';
import { PROJECT_ROOT } from '../../src/core/paths.js';
import { assertOurs, runDrill, type DrillDeps } from '../../src/drills/run.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { startTestSandbox, TEST_KEY, type TestSandbox, useSandboxEnv } from '../helpers/sandbox.js';
import { definition } from './fixtures.js';

const SCENARIO = `
name: drills
accounts:
  - id: "111111111111"
    name: management
    accessKeys: [{ accessKeyId: ${TEST_KEY.accessKeyId}, secretAccessKey: ${TEST_KEY.secretAccessKey} }]
  - id: "222222222222"
    name: production
    iam:
      roles: [{ name: VigilAudit, trustedAccounts: ["111111111111"] }]
    regions:
      us-east-1:
        rds:
          restoreTakes: 1s
          deleteTakes: 1s
          instances:
            - id: lms-prod
              masterUsername: lms_admin
              dbName: lms
              data:
                generate: { learners: 200, courses: 10, enrollmentsPerLearner: 2, span: 90d }
                sql: |
                  CREATE TABLE certificates (id serial PRIMARY KEY, learner_id int NOT NULL, created_at timestamptz NOT NULL);
                  INSERT INTO certificates (learner_id, created_at) SELECT id, now() - interval '20 days' FROM learners WHERE id <= 50;
              snapshots:
                manual:
                  - { id: lms-prod-weekly, age: 2d }
                  - { id: lms-prod-broken, age: 1d, data: empty }
vault:
  tokens: [{ token: hvs.drill-test-token, paths: ["secret/*"] }]
  kv:
    secret:
      rds/lms-prod: { username: lms_admin, password: drill-test-password }
`;

let sandbox: TestSandbox;
let config: VigilConfig;
let clients: AwsClients;
const saved = { ...process.env };

function deps(store: SqliteStore): DrillDeps {
  return {
    config,
    platform: new AwsDrillPlatform(clients),
    s3: new AwsS3DrillPlatform(clients),
    credentials: new VaultCredentialSource(createVaultClient({ address: sandbox.info.vaultAddr, token: 'hvs.drill-test-token' })),
    connector: new PgConnector(),
    scripts: new ZxScriptRunner(PROJECT_ROOT),
    store,
    clock: systemClock,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    root: PROJECT_ROOT,
  };
}

const drill = (recoveryPoint: string) =>
  definition({
    restore: { from: 'source', recoveryPoint },
    verify: [
      { name: 'certificates deleted since the snapshot are in it', sql: 'SELECT count(*) AS n FROM certificates', expect: { valueAtLeast: 50 } },
      { name: 'learners came back', sql: 'SELECT count(*) FROM learners', expect: { valueAtLeast: 150 } },
      { name: 'newest enrollment within the RPO', sql: 'SELECT max(updated_at) FROM enrollments', expect: { freshWithinRpo: true } },
    ],
    targets: { rto: '2h', rpo: '72h' },
  });

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO);
  useSandboxEnv(sandbox);
  config = configSchema.parse({
    version: 1,
    aws: { maxAttempts: 3 },
    accounts: [{ id: '222222222222', name: 'production', roleArn: 'arn:aws:iam::222222222222:role/VigilAudit', regions: ['us-east-1'] }],
    drills: { pollIntervalSeconds: 0.2, maxWaitMinutes: 2 },
  });
  clients = new AwsClients(config.aws);
  // The live database loses its certificates after the weekly snapshot was taken.
  const live = await new AwsDrillPlatform(clients).describe(config.accounts[0] as never, 'us-east-1', 'lms-prod');
  const client = new pg.Client({ host: live?.endpoint?.address, port: live?.endpoint?.port, user: 'lms_admin', password: 'x', database: 'lms' });
  await client.connect();
  await client.query('DELETE FROM certificates');
  await client.end();
}, 60_000);

afterAll(async () => {
  clients.destroy();
  process.env = saved;
  await sandbox.stop();
});

describe('restore drills against the sandbox', () => {
  it('restores a snapshot and verifies rows that exist only in the snapshot, then deletes the copy', async () => {
    const store = SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-drill-e2e-')));

    const record = await runDrill(drill('lms-prod-weekly'), { trigger: 'cli', actor: 'test', reason: 'e2e' }, deps(store));
    const calls = await sandbox.inspect<Array<{ operation: string }>>('calls?service=aws:rds');
    const left = await new AwsDrillPlatform(clients).drillInstances(config.accounts[0] as never, 'us-east-1');

    expect([record.status, record.failure]).toEqual(['succeeded', undefined]);
    expect(record.verification.map((v) => [v.name, v.passed])).toEqual([
      ['certificates deleted since the snapshot are in it', true],
      ['learners came back', true],
      ['newest enrollment within the RPO', true],
    ]);
    expect(record.verification[0]?.['observed']).toBe('50');
    // Point in time: learners who signed up after the 2-day-old snapshot are not in it (the live database has 200).
    expect(Number(record.verification[1]?.['observed'])).toBeGreaterThanOrEqual(150);
    expect(Number(record.verification[1]?.['observed'])).toBeLessThan(200);
    expect(record.measures['rpoSeconds']).toBeGreaterThanOrEqual(2 * 86_400);
    expect(record.phases.map((p) => p.name)).toEqual(['planned', 'restore-requested', 'available', 'connected', 'verified', 'delete-requested', 'deleted']);
    expect(calls.map((c) => c.operation)).toContain('RestoreDBInstanceFromDBSnapshot');
    expect(left).toEqual([]);
  });

  it('fails on the planted empty recovery point for the right reason and still tears down', async () => {
    const store = SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-drill-e2e-')));

    const record = await runDrill(drill('lms-prod-broken'), { trigger: 'cli', actor: 'test', reason: 'e2e' }, deps(store));
    const left = await new AwsDrillPlatform(clients).drillInstances(config.accounts[0] as never, 'us-east-1');

    expect(record.status).toBe('failed');
    expect(record.failure).toContain('certificates deleted since the snapshot are in it: the query failed: relation "certificates" does not exist.');
    expect(record.phases.map((p) => p.name)).toContain('deleted');
    expect(left).toEqual([]);
  });

  it('fails a snapshot id that belongs to another instance without creating anything', async () => {
    const store = SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-drill-e2e-')));

    const record = await runDrill(drill('nope-not-here'), { trigger: 'cli', actor: 'test', reason: 'e2e' }, deps(store));

    expect(record.failure).toBe('no snapshot nope-not-here of lms-prod');
    expect(record.phases.map((p) => p.name)).toEqual(['planned']);
  });

  it('refuses to delete an instance it did not create', async () => {
    const live = await new AwsDrillPlatform(clients).describe(config.accounts[0] as never, 'us-east-1', 'lms-prod');

    expect(() => assertOurs(live as never, undefined)).toThrow(SafetyError);
  });
});
