/**
 * The reporting-prod restore drill end to end: the real runbook, the demo scenario's MySQL instance
 * backed by MariaDB, the real RDS and Vault clients, and mysql2 chosen by the restored engine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/adapters/aws/clients.js';
import { AwsDrillPlatform } from '../../src/adapters/aws/rds-drill.js';
import { AwsS3DrillPlatform } from '../../src/adapters/aws/s3-drill.js';
import { EngineConnector } from '../../src/adapters/databases.js';
import { ZxScriptRunner } from '../../src/adapters/scripts.js';
import { createVaultClient, VaultCredentialSource } from '../../src/adapters/vault.js';
import { configSchema, type AccountConfig, type VigilConfig } from '../../src/config/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import { PROJECT_ROOT } from '../../src/core/paths.js';
import { isRdsDrill, loadDrillDefinitions, type RdsDrillDefinition } from '../../src/drills/definitions.js';
import { runDrill, type DrillDeps } from '../../src/drills/run.js';
import { DEMO_SCENARIO_URL, loadScenario } from '../../src/sandbox/scenario.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { skipWithoutMariaDb } from '../helpers/mariadb.js';
import { startTestSandbox, type TestSandbox, useSandboxEnv } from '../helpers/sandbox.js';
import { definition } from './fixtures.js';

const NOW = '2025-06-15T10:00:00.000Z';
const DEMO_KEY = { accessKeyId: 'AKIAVIGILDEMO0000001', secretAccessKey: 'sandbox-demo-secret-key' };

let sandbox: TestSandbox;
let clock: ManualClock;
let config: VigilConfig;
let clients: AwsClients;
let account: AccountConfig;
let restoreEnv: () => void;

function deps(): DrillDeps {
  return {
    config,
    platform: new AwsDrillPlatform(clients),
    s3: new AwsS3DrillPlatform(clients),
    credentials: new VaultCredentialSource(createVaultClient({ address: sandbox.info.vaultAddr, token: 'hvs.sandbox-demo-token' })),
    connector: new EngineConnector(),
    scripts: new ZxScriptRunner(PROJECT_ROOT),
    store: SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-mysql-drill-'))),
    clock,
    // The sandbox runs on the same manual clock: waiting for a restore is moving time on.
    sleep: async (ms) => clock.advance(ms),
    root: PROJECT_ROOT,
  };
}

/** reporting-prod's drill with other steps or connection settings, for the failure cases. */
function variant(overrides: Record<string, unknown>): RdsDrillDefinition {
  return definition({
    id: 'reporting-prod',
    source: { kind: 'rds-instance', account: '222222222222', region: 'us-east-1', id: 'reporting-prod' },
    restore: { from: 'source' },
    credentials: { vault: 'secret/data/rds/reporting-prod' },
    connection: { database: 'reporting', tls: 'disable' },
    ...overrides,
  });
}

describe.skipIf(skipWithoutMariaDb)('the reporting-prod drill against MariaDB', () => {
  beforeAll(async () => {
    clock = new ManualClock(NOW);
    sandbox = await startTestSandbox(loadScenario(fileURLToPath(DEMO_SCENARIO_URL)), { clock });
    restoreEnv = useSandboxEnv(sandbox, DEMO_KEY);
    config = configSchema.parse({
      version: 1,
      aws: { maxAttempts: 3 },
      accounts: [{ id: '222222222222', name: 'coursecraft-production', roleArn: 'arn:aws:iam::222222222222:role/VigilAudit', externalId: 'vigil-demo', regions: ['us-east-1', 'us-west-2'], drRegion: 'us-west-2' }],
      drills: { pollIntervalSeconds: 1, maxWaitMinutes: 5 },
    });
    account = config.accounts[0] as AccountConfig;
    clients = new AwsClients(config.aws);
  }, 60_000);

  afterAll(async () => {
    clients.destroy();
    restoreEnv();
    await sandbox.stop();
  });

  it('restores the latest snapshot, logs in with the Vault-held credentials over mysql2, verifies, records RTO and RPO, and tears down', async () => {
    const runbook = loadDrillDefinitions(PROJECT_ROOT).find((d) => d.id === 'reporting-prod');
    if (!runbook || !isRdsDrill(runbook)) throw new Error('runbooks/drills/reporting-prod.yaml is missing or not an RDS drill');

    const record = await runDrill(runbook, { trigger: 'cli', actor: 'test', reason: 'mysql e2e' }, deps());
    const calls = await sandbox.inspect<Array<{ operation: string }>>('calls?service=aws:rds');
    const left = await new AwsDrillPlatform(clients).drillInstances(account, 'us-east-1');

    expect([record.status, record.failure]).toEqual(['succeeded', undefined]);
    expect(record.recoveryPoint).toMatchObject({ id: 'rds:reporting-prod-2025-06-15-05-00', region: 'us-east-1' });
    expect(record.verification.map((v) => [v.name, v.passed])).toEqual([
      ['the reporting schema came back', true],
      ['learners came back', true],
      ['enrollments came back', true],
      ['published courses came back', true],
      ['every enrollment points at a learner and a course', true],
      ['newest enrollment is within the RPO of the recovery point', true],
    ]);
    expect(record.verification[0]?.['observed']).toBe(3);
    expect(record.phases.map((p) => p.name)).toEqual(['planned', 'restore-requested', 'available', 'connected', 'verified', 'delete-requested', 'deleted']);
    // The snapshot is from 05:00 and the restore was asked for at 10:00; the restore takes 3 s of sandbox time.
    expect(record.measures['rpoSeconds']).toBe(5 * 3600);
    expect(record.measures['rtoSeconds']).toBeGreaterThanOrEqual(3);
    expect(record.measures['rtoSeconds']).toBeLessThan(30);
    expect(calls.map((c) => c.operation)).toEqual(expect.arrayContaining(['RestoreDBInstanceFromDBSnapshot', 'DeleteDBInstance']));
    expect(left).toEqual([]);
  }, 120_000);

  it('fails on a query with a syntax error, with the server reason, and still tears down', async () => {
    const drill = variant({ verify: [{ name: 'a mistyped count', sql: 'SELEC COUNT(*) FROM learners', expect: { valueAtLeast: 1 } }] });

    const record = await runDrill(drill, { trigger: 'cli', actor: 'test', reason: 'mysql e2e' }, deps());
    const left = await new AwsDrillPlatform(clients).drillInstances(account, 'us-east-1');

    expect(record.status).toBe('failed');
    expect(record.failure).toMatch(/^verification failed: a mistyped count: the query failed: You have an error in your SQL syntax.*near 'SELEC COUNT/);
    expect(record.phases.map((p) => p.name)).toEqual(['planned', 'restore-requested', 'available', 'connected', 'delete-requested', 'deleted']);
    expect(left).toEqual([]);
  }, 120_000);

  it('refuses to go on without TLS when the drill requires it, and still tears down', async () => {
    const drill = variant({ connection: { database: 'reporting', tls: 'require' } });

    const record = await runDrill(drill, { trigger: 'cli', actor: 'test', reason: 'mysql e2e' }, deps());

    expect(record.status).toBe('failed');
    expect(record.failure).toMatch(/^could not connect to vigil-drill-reporting-prod-\w{8} as reporting: .*secure connection/);
    expect(record.failure).not.toContain('sandbox-reporting-prod-master-password');
    expect(record.phases.map((p) => p.name)).toEqual(['planned', 'restore-requested', 'available', 'delete-requested', 'deleted']);
  }, 120_000);
});
