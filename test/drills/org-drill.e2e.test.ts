/**
 * With accounts discovered through AWS Organizations and none listed, a runbook's account is reached
 * through the organization's role: the drill restores, verifies and tears down, and the orphan sweep
 * looks where that drill restores.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountById, accountMissingReason } from '../../src/checks/accounts.js';
import { parseConfig } from '../../src/config/load.js';
import { PROJECT_ROOT } from '../../src/core/paths.js';
import { loadDrillDefinitions } from '../../src/drills/definitions.js';
import { sweepScopes } from '../../src/drills/sweep.js';
import { DEMO_SCENARIO_URL, loadScenario } from '../../src/sandbox/scenario.js';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const ORG_CONFIG = `version: 1
organization: { discover: true, externalId: vigil-demo, regions: [us-east-1, us-west-2], drRegion: us-west-2, exclude: ["444444444444"] }
drills: { pollIntervalSeconds: 0.5 }
`;

let sandbox: TestSandbox;
let env: NodeJS.ProcessEnv;
let configFile: string;

beforeAll(async () => {
  sandbox = await startTestSandbox(loadScenario(fileURLToPath(DEMO_SCENARIO_URL)));
  const dir = mkdtempSync(join(tmpdir(), 'vigil-org-drill-'));
  configFile = join(dir, 'vigil.config.yaml');
  writeFileSync(configFile, ORG_CONFIG);
  env = {
    AWS_ENDPOINT_URL: sandbox.info.awsEndpoint,
    AWS_ACCESS_KEY_ID: 'AKIAVIGILDEMO0000001',
    AWS_SECRET_ACCESS_KEY: 'sandbox-demo-secret-key',
    AWS_REGION: 'us-east-1',
    VAULT_ADDR: sandbox.info.vaultAddr,
    VAULT_TOKEN: 'hvs.sandbox-demo-token',
    VIGIL_CONFIG: configFile,
    VIGIL_DATA_DIR: dir,
  };
}, 60_000);

afterAll(async () => {
  await sandbox.stop();
});

describe('drills in discovered accounts', () => {
  it('reaches an account the config does not list through the organization role', () => {
    const { config } = parseConfig(ORG_CONFIG, 'vigil.config.yaml');

    expect(accountById(config, '222222222222')).toEqual({
      id: '222222222222',
      name: '222222222222',
      roleArn: 'arn:aws:iam::222222222222:role/VigilAudit',
      externalId: 'vigil-demo',
      regions: ['us-east-1', 'us-west-2'],
      drRegion: 'us-west-2',
    });
    expect(accountById(config, '444444444444')).toBeUndefined();
    expect(accountMissingReason(config, '444444444444')).toBe('account 444444444444 is in organization.exclude');
  });

  it('sweeps the regions that runbooks of discovered accounts restore into', () => {
    const { config } = parseConfig(ORG_CONFIG, 'vigil.config.yaml');
    const definitions = loadDrillDefinitions(PROJECT_ROOT).filter((d) => d.id === 'lms-prod');

    expect(sweepScopes(config, definitions, []).map((s) => ({ id: s.account.id, regions: s.regions }))).toEqual([{ id: '222222222222', regions: ['us-east-1', 'us-west-2'] }]);
  });

  it('restores, verifies and tears down lms-prod', async () => {
    const { code, stdout, stderr } = await runCli(['drill', 'run', 'lms-prod', '--reason', 'organization drill', '--output', 'json'], { env });

    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const [drill] = JSON.parse(stdout) as Array<{ status: string; accountId: string; phases: Array<{ name: string }> }>;
    expect(drill).toMatchObject({ status: 'succeeded', accountId: '222222222222' });
    expect(drill?.phases.map((p) => p.name)).toContain('deleted');
  }, 120_000);
});
