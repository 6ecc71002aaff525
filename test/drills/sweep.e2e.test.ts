/** A drill process killed mid-restore leaves an instance; the next drill command sweeps it. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SCENARIO_URL, loadScenario } from '../../src/sandbox/scenario.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
let sandbox: TestSandbox;
let env: NodeJS.ProcessEnv;
let dataDir: string;

beforeAll(async () => {
  sandbox = await startTestSandbox(loadScenario(fileURLToPath(DEMO_SCENARIO_URL)));
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-sweep-'));
  const config = join(dataDir, 'vigil.config.yaml');
  writeFileSync(
    config,
    `version: 1
accounts:
  - { id: "222222222222", name: production, roleArn: "arn:aws:iam::222222222222:role/VigilAudit", externalId: vigil-demo, regions: [us-east-1, us-west-2], drRegion: us-west-2 }
drills: { pollIntervalSeconds: 0.5 }
`,
  );
  env = {
    AWS_ENDPOINT_URL: sandbox.info.awsEndpoint,
    AWS_ACCESS_KEY_ID: 'AKIAVIGILDEMO0000001',
    AWS_SECRET_ACCESS_KEY: 'sandbox-demo-secret-key',
    AWS_REGION: 'us-east-1',
    VAULT_ADDR: sandbox.info.vaultAddr,
    VAULT_TOKEN: 'hvs.sandbox-demo-token',
    VIGIL_CONFIG: config,
    VIGIL_DATA_DIR: dataDir,
  };
}, 60_000);

afterAll(async () => {
  await sandbox.stop();
});

async function restoreAnswered(): Promise<boolean> {
  const calls = await sandbox.inspect<Array<{ status: number }>>('calls?service=aws:rds&operation=RestoreDBInstanceFromDBSnapshot');
  return calls.some((c) => c.status === 200);
}

/** Starts `vigil drill run lms-prod` and SIGKILLs it once RDS has accepted the restore. */
function killMidDrill(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'drill', 'run', 'lms-prod', '--reason', 'crash test'], { env: { ...process.env, ...env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    let killing = false;
    child.stderr.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (killing || !seen.includes('drill lms-prod: restore-requested')) return;
      killing = true;
      const poll = async () => {
        if (await restoreAnswered()) child.kill('SIGKILL');
        else setTimeout(() => void poll(), 20);
      };
      void poll();
    });
    child.on('error', reject);
    child.on('exit', () => resolve(seen));
  });
}

describe('the orphan sweep', () => {
  it('deletes what a killed drill left and records the drill as aborted', async () => {
    const said = await killMidDrill();

    const { code, stderr } = await runCli(['drill', 'list'], { env });
    const store = SqliteStore.open(dataDir);
    const [drill] = await store.listDrills({ target: 'lms-prod' });
    const signals = await store.listSignals({ kind: 'drill-failed' });
    await store.close();
    const deletes = await sandbox.inspect<Array<{ operation: string; region: string; status: number }>>('calls?service=aws:rds&operation=DeleteDBInstance');

    expect(said).toContain('drill lms-prod: restore-requested');
    expect(said).not.toContain('drill lms-prod: deleted');
    expect(code).toBe(0);
    expect(stderr).toMatch(/swept: deleted vigil-drill-lms-prod-\w+ in 222222222222\/us-west-2, left by drill [0-9a-f-]+/);
    expect(drill).toMatchObject({ status: 'aborted', restoredResource: expect.stringMatching(/^vigil-drill-lms-prod-/) });
    expect(drill?.failure).toMatch(/the process running this drill \(\d+@.+\) stopped; the sweep deleted vigil-drill-lms-prod-\w+/);
    expect(drill?.phases.map((p) => p.name)).toEqual(['planned', 'restore-requested', 'swept']);
    expect(deletes).toEqual([expect.objectContaining({ region: 'us-west-2', status: 200 })]);
    expect(signals.map((s) => s.key)).toEqual(['drill:lms-prod']);
  }, 120_000);

  it('leaves production instances alone', async () => {
    const sts = new STSClient(sandbox.aws('us-east-1', { accessKeyId: 'AKIAVIGILDEMO0000001', secretAccessKey: 'sandbox-demo-secret-key' }));
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/VigilAudit', RoleSessionName: 'test', ExternalId: 'vigil-demo' }));
    const rds = new RDSClient(sandbox.aws('us-east-1', { accessKeyId: c?.AccessKeyId as string, secretAccessKey: c?.SecretAccessKey as string, sessionToken: c?.SessionToken as string }));

    await runCli(['drill', 'due'], { env });
    const deletes = await sandbox.inspect<Array<{ operation: string; region: string }>>('calls?service=aws:rds&operation=DeleteDBInstance');
    const production = await rds.send(new DescribeDBInstancesCommand({}));

    expect(deletes.filter((d) => d.region === 'us-east-1')).toEqual([]);
    expect(production.DBInstances?.map((i) => i.DBInstanceIdentifier)).toEqual(expect.arrayContaining(['lms-prod', 'reporting-prod', 'analytics-prod']));
  });
});
