/** `vigil accounts verify` with accounts discovered through AWS Organizations: every account is named, with why when it cannot be reached. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ORG_SCENARIO_HEAD, orgRole } from '../helpers/organization.js';
import { startTestSandbox, TEST_KEY, type TestSandbox } from '../helpers/sandbox.js';

const SCENARIO = `${ORG_SCENARIO_HEAD('organization-verify')}
  - id: "222222222222"
    name: production
    enabledRegions: [us-east-1, us-west-2]
${orgRole()}
  - id: "333333333333"
    name: closed-project
    status: SUSPENDED
${orgRole()}
  - id: "444444444444"
    name: locked
    enabledRegions: [us-east-1]
${orgRole('someone-else')}
`;

let sandbox: TestSandbox;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-accounts-org-'));
  writeFileSync(
    join(dir, 'vigil.config.yaml'),
    'version: 1\naws: { requestTimeoutMs: 2000, maxAttempts: 2 }\norganization: { discover: true, externalId: org-external, regions: enabled, exclude: ["111111111111"] }\n',
  );
  env = { VIGIL_CONFIG: join(dir, 'vigil.config.yaml'), VIGIL_DATA_DIR: dir, AWS_ENDPOINT_URL: sandbox.info.awsEndpoint, AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey, AWS_REGION: 'us-east-1' };
}, 60_000);

afterAll(async () => {
  await sandbox.stop();
});

describe('vigil accounts verify with discovery', () => {
  it('verifies the discovered accounts and names each one it cannot reach, with why', async () => {
    const result = await runCli(['accounts', 'verify', '-o', 'json'], { env });
    const rows = JSON.parse(result.stdout) as Array<{ account: string; ok: boolean; error?: string; regions: Array<{ region: string }> }>;

    expect(result.code).toBe(3);
    expect(rows.map((r) => [r.account, r.ok]).sort()).toEqual([
      ['222222222222', true],
      ['333333333333', false],
      ['444444444444', false],
    ]);
    expect(rows.find((r) => r.account === '222222222222')?.regions.map((r) => r.region)).toEqual(['us-east-1', 'us-west-2']);
    expect(rows.find((r) => r.account === '333333333333')?.error).toMatch(/suspended/i);
    expect(rows.find((r) => r.account === '444444444444')?.error).toMatch(/denied/i);
  }, 60_000);
});
