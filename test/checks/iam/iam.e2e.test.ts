/**
 * The access checks end to end: the check definitions in checks/, the engine, the AWS inventory and
 * the real SDK against the sandbox's IAM. A small scenario plants one violation of each kind next
 * to compliant identities; then the demo scenario's plants are each caught with the right identity,
 * policy and statement.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../src/adapters/aws/clients.js';
import { AwsIamInventory, IAM_ACTIONS } from '../../../src/adapters/aws/iam-inventory.js';
import { createAwsInventory } from '../../../src/adapters/aws/inventory-all.js';
import { loadCheckDefinitions } from '../../../src/checks/definitions.js';
import type { InventoryPort } from '../../../src/checks/inventory.js';
import { EVALUATORS } from '../../../src/checks/registry.js';
import { runChecks } from '../../../src/checks/run.js';
import { configSchema, type AccountConfig } from '../../../src/config/schema.js';
import { systemClock } from '../../../src/core/clock.js';
import { PROJECT_ROOT } from '../../../src/core/paths.js';
import type { CheckResult, Status } from '../../../src/core/results.js';
import type { CallCount } from '../../../src/sandbox/recorder.js';
import { DEMO_SCENARIO_URL, loadScenario } from '../../../src/sandbox/scenario.js';
import { SqliteStore } from '../../../src/store/sqlite.js';
import { startTestSandbox, TEST_KEY, type TestSandbox, useSandboxEnv } from '../../helpers/sandbox.js';

const ACCESS_SCENARIO = `
name: access
accounts:
  - id: "111111111111"
    name: management
    accessKeys:
      - { accessKeyId: ${TEST_KEY.accessKeyId}, secretAccessKey: ${TEST_KEY.secretAccessKey}, user: vigil }
  - id: "222222222222"
    name: production
    iam:
      root:
        mfa: false
        passwordLastUsed: 3d
        accessKeys:
          - { age: 500d, lastUsed: { age: 2d, service: ec2, region: us-east-1 } }
      policies:
        # Version 1 allowed everything; only the default version 2 is in force.
        - name: deploy-policy
          versions:
            - document: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "*", Resource: "*" }] }
            - isDefault: true
              document:
                Version: "2012-10-17"
                Statement:
                  - { Sid: StackDeploys, Effect: Allow, Action: ["iam:PassRole", "cloudformation:CreateStack"], Resource: "*" }
      groups:
        - name: ops
          inline:
            ops-read: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: ["ec2:Describe*", "rds:Describe*"], Resource: "*" }] }
        - name: backup-admins
          inline:
            keep-backups:
              Version: "2012-10-17"
              Statement:
                - { Sid: Snapshots, Effect: Allow, Action: [rds:DeleteDBSnapshot, ec2:DeleteSnapshot], Resource: "*" }
                - { Sid: DrObjects, Effect: Allow, Action: ["s3:GetObject", "s3:DeleteObject"], Resource: "arn:aws:s3:::coursecraft-content-dr/*" }
      users:
        - name: good-user
          groups: [ops]
          console: { passwordAge: 20d, lastUsed: 1d }
          mfa: true
          accessKeys: [{ age: 10d, lastUsed: { age: 1d, service: ec2, region: us-east-1 } }]
          lastAccessed: { ec2: 1d, rds: 2d }
        - name: no-mfa
          console: { passwordAge: 30d, lastUsed: 2d }
          inline:
            bucket-admin: { Version: "2012-10-17", Statement: [{ Sid: AllOfS3, Effect: Allow, Action: "s3:*", Resource: "*" }] }
          lastAccessed: { s3: 2d }
        - name: stale
          groups: [ops]
          console: { passwordAge: 200d, lastUsed: 60d }
          mfa: true
          accessKeys: [{ age: 100d, lastUsed: { age: 50d, service: ec2, region: us-east-1 } }]
        - name: deployer
          attached: [deploy-policy]
          accessKeys:
            - { age: 5d, lastUsed: { age: 1h, service: cloudformation, region: us-east-1 } }
            - { age: 40d, lastUsed: { age: 30d, service: cloudformation, region: us-east-1 } }
        - name: keeper
          groups: [backup-admins]
          console: { passwordAge: 10d, lastUsed: 1d }
          mfa: true
      roles:
        - { name: VigilAudit, trustedAccounts: ["111111111111"], externalId: access-test, attached: [SecurityAudit, ReadOnlyAccess] }
        - { name: BreakGlassAdmin, trustedAccounts: ["111111111111"], attached: [AdministratorAccess] }
        - name: VpcAdmin
          inline:
            admin-in-vpc: { Version: "2012-10-17", Statement: [{ Sid: AdminInVpc, Effect: Allow, Action: "*", Resource: "*", Condition: { StringEquals: { "aws:SourceVpc": vpc-0admin } } }] }
        - name: BrokenRole
          inline:
            no-effect: '{"Version": "2012-10-17", "Statement": [{"Action": "s3:*", "Resource": "*"}]}'
          lastAccessed: { s3: 1d }
`;

const SETTINGS = { defaultRegion: 'us-east-1', connectTimeoutMs: 2000, requestTimeoutMs: 10_000, maxAttempts: 3, roleSessionName: 'vigil-test' };

function config(accounts: AccountConfig[]) {
  return configSchema.parse({ version: 1, aws: SETTINGS, accounts, scope: { include: [{ env: 'production' }] } });
}

/** The composed AWS inventory, with the IAM part's polling sleep injected so the test never waits. */
function inventoryFor(clients: AwsClients): InventoryPort {
  const inventory = createAwsInventory(clients) as unknown as Record<string, unknown>;
  const iam = new AwsIamInventory(clients, { sleep: async () => {} }) as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const method of Object.keys(IAM_ACTIONS)) inventory[method] = (iam[method] as (...a: unknown[]) => unknown).bind(iam);
  return inventory as unknown as InventoryPort;
}

const iamChecks = () => loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS }).filter((c) => c.id.startsWith('iam-'));

async function runIamChecks(sandbox: TestSandbox, accounts: AccountConfig[], key: { accessKeyId: string; secretAccessKey: string }): Promise<CheckResult[]> {
  const saved = { ...process.env };
  useSandboxEnv(sandbox, key);
  delete process.env['AWS_PROFILE'];
  const clients = new AwsClients(SETTINGS);
  const store = SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-iam-')));
  try {
    const checks = iamChecks();
    // The deep-mode check is disabled by default; asking for every check by id runs it too.
    const outcome = await runChecks({ trigger: 'cli', checkIds: checks.map((c) => c.id) }, { config: config(accounts), checks, evaluators: EVALUATORS, inventory: inventoryFor(clients), store, clock: systemClock });
    return outcome.results;
  } finally {
    clients.destroy();
    await store.close();
    process.env = saved;
  }
}

const verdicts = (results: CheckResult[], checkId: string, accountId = '222222222222'): Record<string, Status> =>
  Object.fromEntries(results.filter((r) => r.checkId === checkId && r.accountId === accountId).map((r) => [r.name, r.status]));

function result(results: CheckResult[], checkId: string, name: string, accountId = '222222222222'): CheckResult {
  const found = results.find((r) => r.checkId === checkId && r.name === name && r.accountId === accountId);
  if (!found) throw new Error(`no ${checkId} result for ${name} in ${accountId}`);
  return found;
}

describe('access checks against a planted scenario', () => {
  let sandbox: TestSandbox;
  let results: CheckResult[];
  let iamCalls: CallCount[];

  beforeAll(async () => {
    sandbox = await startTestSandbox(ACCESS_SCENARIO);
    results = await runIamChecks(sandbox, [{ id: '222222222222', name: 'production', roleArn: 'arn:aws:iam::222222222222:role/VigilAudit', externalId: 'access-test', regions: ['us-east-1'] }], TEST_KEY);
    iamCalls = (await sandbox.inspect<{ counts: CallCount[] }>('calls/summary')).counts.filter((c) => c.service === 'aws:iam');
  }, 120_000);

  afterAll(async () => {
    await sandbox.stop();
  });

  it('judges the root user on keys, MFA and recent use', () => {
    expect([verdicts(results, 'iam-root-no-access-keys'), verdicts(results, 'iam-root-mfa'), verdicts(results, 'iam-root-not-used')]).toEqual([{ root: 'fail' }, { root: 'fail' }, { root: 'fail' }]);
    expect(result(results, 'iam-root-not-used', 'root').message).toBe('The root user of account 222222222222 was used within the last 7 days: access key 1 2 days ago, console sign-in 3 days ago.');
  });

  it('judges each user on credentials, from the credential report', () => {
    expect(verdicts(results, 'iam-user-console-mfa')).toEqual({ 'user/good-user': 'pass', 'user/no-mfa': 'fail', 'user/stale': 'pass', 'user/deployer': 'not_applicable', 'user/keeper': 'pass' });
    expect(verdicts(results, 'iam-access-key-rotation')).toEqual({ 'user/good-user': 'pass', 'user/no-mfa': 'not_applicable', 'user/stale': 'fail', 'user/deployer': 'pass', 'user/keeper': 'not_applicable' });
    expect(verdicts(results, 'iam-unused-credentials')).toEqual({ 'user/good-user': 'pass', 'user/no-mfa': 'pass', 'user/stale': 'fail', 'user/deployer': 'pass', 'user/keeper': 'pass' });
    expect(verdicts(results, 'iam-user-single-active-key')).toEqual({ 'user/good-user': 'pass', 'user/no-mfa': 'not_applicable', 'user/stale': 'pass', 'user/deployer': 'fail', 'user/keeper': 'not_applicable' });
    expect(verdicts(results, 'iam-user-no-direct-policies')).toEqual({ 'user/good-user': 'pass', 'user/no-mfa': 'fail', 'user/stale': 'pass', 'user/deployer': 'fail', 'user/keeper': 'pass' });
    expect(result(results, 'iam-unused-credentials', 'user/stale').message).toBe('IAM user stale has credentials unused for more than 45 days: console password last used 60 days ago, access key 1 last used 50 days ago.');
  });

  it('finds administrative power with the policy and statement that grant it, and reports conditions', () => {
    expect(verdicts(results, 'iam-no-admin-power')).toEqual({
      'user/good-user': 'pass',
      'user/no-mfa': 'fail',
      'user/stale': 'pass',
      'user/deployer': 'pass',
      'user/keeper': 'pass',
      'role/VigilAudit': 'pass',
      'role/BreakGlassAdmin': 'pass',
      'role/VpcAdmin': 'fail',
      'role/BrokenRole': 'error',
    });
    expect(result(results, 'iam-no-admin-power', 'user/no-mfa').message).toBe('IAM user no-mfa holds administrative power outside the allow-list: s3:* on every resource (inline policy bucket-admin, statement AllOfS3).');
    expect(result(results, 'iam-no-admin-power', 'role/VpcAdmin').message).toBe(
      'IAM role VpcAdmin holds administrative power outside the allow-list: * on every resource (inline policy admin-in-vpc, statement AdminInVpc, only if StringEquals aws:SourceVpc=vpc-0admin).',
    );
    expect(result(results, 'iam-no-admin-power', 'role/BrokenRole').message).toBe('IAM role BrokenRole has 1 policy Vigil cannot evaluate: inline policy no-effect (statement #1 has no Effect).');
    expect(result(results, 'iam-no-admin-power', 'user/no-mfa')).toMatchObject({ resource: 'arn:aws:iam::222222222222:user/no-mfa', region: 'global', remediation: 'runbooks/iam-no-admin-power.md' });
  });

  it('finds escalation paths in the default policy version only', () => {
    expect(verdicts(results, 'iam-no-escalation-paths')).toMatchObject({ 'user/deployer': 'fail', 'user/good-user': 'pass', 'role/BreakGlassAdmin': 'pass', 'role/BrokenRole': 'error' });
    expect(result(results, 'iam-no-escalation-paths', 'user/deployer').message).toBe(
      'IAM user deployer can escalate its privileges by 1 path outside the allow-list: passrole-cloudformation; granted by managed policy deploy-policy, statement StackDeploys.',
    );
    expect(result(results, 'iam-no-escalation-paths', 'user/deployer').facts).toMatchObject({ paths: [{ path: 'passrole-cloudformation', actions: [{ allowedBy: [{ policy: 'deploy-policy', policyVersion: 'v2', sid: 'StackDeploys' }] }, {}] }] });
  });

  it('compares who can reach backups with the core group', () => {
    expect(verdicts(results, 'iam-backup-access')).toEqual({
      'user/good-user': 'pass',
      'user/no-mfa': 'fail',
      'user/stale': 'pass',
      'user/deployer': 'pass',
      'user/keeper': 'pass',
      'role/VigilAudit': 'pass',
      'role/BreakGlassAdmin': 'pass',
      'role/VpcAdmin': 'fail',
      'role/BrokenRole': 'error',
    });
    expect(result(results, 'iam-backup-access', 'user/keeper').message).toBe('IAM user keeper may delete, share and read backups: it is in the core group (group/backup-admins).');
    expect(result(results, 'iam-backup-access', 'role/VigilAudit').message).toBe('IAM role VigilAudit may read backups (role/VigilAudit) and cannot delete or share them.');
  });

  it('runs the deep mode check on request, from service last accessed data', () => {
    expect(verdicts(results, 'iam-unused-services')).toMatchObject({ 'user/good-user': 'pass', 'user/no-mfa': 'pass', 'role/BrokenRole': 'pass' });
    expect(result(results, 'iam-unused-services', 'user/deployer').message).toBe('IAM user deployer is granted 2 services it has not used in 90 days: cloudformation (never used), iam (never used).');
  });

  it('calls exactly the IAM actions the adapter declares, one authorization snapshot for all checks', () => {
    const seen = [...new Set(iamCalls.map((c) => `iam:${c.operation}`))].sort();

    expect(seen).toEqual([...new Set(Object.values(IAM_ACTIONS).flat())].sort());
    expect(iamCalls.find((c) => c.operation === 'GetAccountAuthorizationDetails')?.calls).toBe(1);
    expect(iamCalls.filter((c) => c.errors > 0)).toEqual([]);
  });
});

describe('access checks against the demo scenario', () => {
  let sandbox: TestSandbox;
  let results: CheckResult[];

  beforeAll(async () => {
    sandbox = await startTestSandbox(loadScenario(fileURLToPath(DEMO_SCENARIO_URL)));
    const accounts = ['222222222222', '333333333333'].map((id) => ({ id, name: id, roleArn: `arn:aws:iam::${id}:role/VigilAudit`, externalId: 'vigil-demo', regions: ['us-east-1'] }));
    results = await runIamChecks(sandbox, accounts, { accessKeyId: 'AKIAVIGILDEMO0000001', secretAccessKey: 'sandbox-demo-secret-key' });
  }, 180_000);

  afterAll(async () => {
    await sandbox.stop();
  });

  it('catches the root access key in production and the staging root without MFA', () => {
    expect(result(results, 'iam-root-no-access-keys', 'root').message).toMatch(/^The root user of account 222222222222 has access key 1 \(active, created 700 days ago, last used 10 days ago via s3 in us-east-1\)\.$/);
    expect(result(results, 'iam-root-not-used', 'root').message).toMatch(/was used within the last 7 days: console sign-in 20 hours ago\.$/);
    expect([result(results, 'iam-root-mfa', 'root').status, result(results, 'iam-root-mfa', 'root', '333333333333').status]).toEqual(['pass', 'fail']);
  });

  it('catches bob without MFA and with s3:* granted directly', () => {
    expect(result(results, 'iam-user-console-mfa', 'user/bob').status).toBe('fail');
    expect(result(results, 'iam-user-no-direct-policies', 'user/bob').message).toBe('IAM user bob has 1 policy attached directly instead of through a group: inline policy s3-full-access.');
    expect(result(results, 'iam-no-admin-power', 'user/bob').message).toBe('IAM user bob holds administrative power outside the allow-list: s3:* on every resource (inline policy s3-full-access, statement #1).');
    expect(result(results, 'iam-backup-access', 'user/bob').status).toBe('fail');
  });

  it("catches ci-deploy's PassRole escalation path and its two keys", () => {
    expect(result(results, 'iam-no-escalation-paths', 'user/ci-deploy').message).toBe(
      'IAM user ci-deploy can escalate its privileges by 2 paths outside the allow-list: passrole-ec2, lambda-update-function-code; granted by managed policy ci-deploy-policy, statement DeployCompute.',
    );
    expect(result(results, 'iam-user-single-active-key', 'user/ci-deploy').status).toBe('fail');
    expect(result(results, 'iam-unused-credentials', 'user/ci-deploy').message).toBe('IAM user ci-deploy has credentials unused for more than 45 days: access key 2 last used 100 days ago.');
  });

  it("catches former-contractor's unused password and key", () => {
    expect(result(results, 'iam-unused-credentials', 'user/former-contractor').message).toBe(
      'IAM user former-contractor has credentials unused for more than 45 days: console password last used 62 days ago, access key 1 last used 75 days ago.',
    );
  });

  it("catches DataPipelineRole's iam:Create* and NotAction, with the statements", () => {
    expect(result(results, 'iam-no-admin-power', 'role/DataPipelineRole').message).toBe(
      'IAM role DataPipelineRole holds administrative power outside the allow-list: * except iam:*, organizations:* on every resource (managed policy data-pipeline-policy, statement EverythingButIam; limited by managed policy data-pipeline-policy, statement NeverTouchBackups).',
    );
    expect(result(results, 'iam-no-escalation-paths', 'role/DataPipelineRole').message).toMatch(/^IAM role DataPipelineRole can escalate its privileges by \d+ paths outside the allow-list: create-policy-version, create-access-key, create-login-profile, .*; granted by managed policy data-pipeline-policy, statement PipelineRoles; managed policy data-pipeline-policy, statement EverythingButIam\.$/);
    expect(result(results, 'iam-backup-access', 'role/DataPipelineRole').facts['deniedExplicitly']).toEqual(expect.arrayContaining(['rds:DeleteDBSnapshot on snapshots', 'ec2:DeleteSnapshot on snapshots']));
  });

  it("reports LegacyAppRole's malformed policies as errors naming them, in every policy check", () => {
    for (const check of ['iam-no-admin-power', 'iam-no-escalation-paths', 'iam-backup-access']) {
      expect(result(results, check, 'role/LegacyAppRole').message).toMatch(
        /^IAM role LegacyAppRole has 2 policies Vigil cannot evaluate: inline policy legacy-queue \(it is not valid JSON: .*\); inline policy legacy-uploads \(statement #1 uses condition operator StringEqualsAnyCase, which IAM does not have\)\.$/,
      );
    }
  });

  it('allows backup-operator through backup-admins and BreakGlassAdmin by name', () => {
    expect(result(results, 'iam-backup-access', 'user/backup-operator').message).toBe('IAM user backup-operator may delete, share and read backups: it is in the core group (group/backup-admins).');
    expect(['iam-no-admin-power', 'iam-no-escalation-paths', 'iam-backup-access'].map((c) => result(results, c, 'role/BreakGlassAdmin').status)).toEqual(['pass', 'pass', 'pass']);
  });

  it('catches the staging console user without MFA and with PowerUserAccess', () => {
    expect(result(results, 'iam-user-console-mfa', 'user/qa-tester', '333333333333').status).toBe('fail');
    expect(result(results, 'iam-no-admin-power', 'user/qa-tester', '333333333333').message).toMatch(/\* except iam:\*, organizations:\*, account:\* on every resource \(managed policy PowerUserAccess, statement #1\)/);
  });
});
