/**
 * Accounts from AWS Organizations: which accounts a run scans (pure), and discovery through the real
 * SDK against the sandbox: ListAccounts in full pages, include and exclude, suspended accounts and
 * refused roles kept with their reason, enabled regions per account, one discovery per run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsAccountDirectory, accountSource, selectAccounts, type OrganizationAccount } from '../../src/adapters/aws/accounts.js';
import { AwsClients } from '../../src/adapters/aws/clients.js';
import { configSchema, type VigilConfig } from '../../src/config/schema.js';
import { externalFailure } from '../helpers/errors.js';
import { startTestSandbox, TEST_KEY, type TestSandbox, useSandboxEnv } from '../helpers/sandbox.js';

const role = (externalId = 'org-external') => `    iam:\n      roles:\n        - { name: VigilAudit, trustedAccounts: ["111111111111"], externalId: ${externalId} }`;
const fillers = Array.from({ length: 20 }, (_, i) => `  - id: "6000000000${String(i + 10)}"\n    name: team-${i + 10}\n    enabledRegions: [eu-west-1, us-east-1]\n${role()}`).join('\n');

const SCENARIO = `
name: organization
organization:
  id: o-test0000001
  managementAccount: "111111111111"
  units:
    - { id: ou-test-prod0001, name: Production, accounts: ["222222222222"] }
    - { id: ou-test-paymnt01, name: Payments, parent: ou-test-prod0001, accounts: ["444444444444"] }
    - { id: ou-test-sandbx01, name: Sandboxes, accounts: ["555555555555"] }
accounts:
  - id: "111111111111"
    name: management
    enabledRegions: [us-east-1]
    accessKeys:
      - { accessKeyId: ${TEST_KEY.accessKeyId}, secretAccessKey: ${TEST_KEY.secretAccessKey}, user: vigil }
${role()}
  - id: "222222222222"
    name: production
    enabledRegions: [us-east-1, us-west-2, af-south-1]
${role()}
  - id: "333333333333"
    name: closed-project
    status: SUSPENDED
${role()}
  - id: "444444444444"
    name: locked
${role('someone-else')}
  - id: "555555555555"
    name: sandbox-playground
${role()}
${fillers}
`;

function config(organization: Record<string, unknown>, accounts: unknown[] = []): VigilConfig {
  return configSchema.parse({ version: 1, aws: { maxAttempts: 2, requestTimeoutMs: 2000 }, accounts, organization: { discover: true, externalId: 'org-external', ...organization } });
}

const listed = (id: string, state = 'ACTIVE'): OrganizationAccount => ({ id, name: `acct-${id.slice(0, 3)}`, partition: 'aws', state });

describe('selectAccounts', () => {
  it('scans the active accounts with the role and regions from organization, and keeps suspended ones with the reason', () => {
    const selection = selectAccounts([listed('222222222222'), listed('333333333333', 'SUSPENDED'), listed('111111111111')], config({ regions: ['us-east-1'], drRegion: 'us-east-1' }));

    expect(selection.scan).toEqual([
      { account: { id: '111111111111', name: 'acct-111', roleArn: 'arn:aws:iam::111111111111:role/VigilAudit', externalId: 'org-external', regions: ['us-east-1'], drRegion: 'us-east-1' }, needsRegions: false },
      { account: { id: '222222222222', name: 'acct-222', roleArn: 'arn:aws:iam::222222222222:role/VigilAudit', externalId: 'org-external', regions: ['us-east-1'], drRegion: 'us-east-1' }, needsRegions: false },
    ]);
    expect(selection.unavailable.map((u) => [u.account.id, u.reason])).toEqual([['333333333333', 'account suspended (AWS Organizations state SUSPENDED)']]);
  });

  it('narrows discovered accounts with include and exclude, and reports an included account the organization lacks', () => {
    const all = [listed('222222222222'), listed('444444444444'), listed('555555555555')];

    const selection = selectAccounts(all, config({ regions: 'enabled', include: ['222222222222', '555555555555', '999999999999'], exclude: ['555555555555'] }));

    expect(selection.scan.map((s) => [s.account.id, s.needsRegions])).toEqual([['222222222222', true]]);
    expect(selection.unavailable).toEqual([
      { account: { id: '999999999999', name: '999999999999', regions: [] }, reason: 'not an account of the organization (it is in organization.include)' },
    ]);
  });

  it('lets an account listed in the config keep its own settings, past include and exclude, unless Organizations says it is suspended', () => {
    const own = { id: '222222222222', name: 'production', roleArn: 'arn:aws:iam::222222222222:role/Custom', regions: ['us-west-2'] };
    const closed = { id: '333333333333', name: 'closed', regions: ['us-east-1'] };

    const selection = selectAccounts([listed('222222222222'), listed('333333333333', 'CLOSED'), listed('444444444444')], config({ regions: 'enabled', exclude: ['222222222222'] }, [own, closed]));

    expect(selection.scan.map((s) => [s.account, s.needsRegions])).toEqual([
      [own, false],
      [expect.objectContaining({ id: '444444444444', roleArn: 'arn:aws:iam::444444444444:role/VigilAudit' }), true],
    ]);
    expect(selection.unavailable).toEqual([{ account: closed, reason: 'account closed (AWS Organizations state CLOSED)' }]);
  });

  it('narrows by organizational units: an account beneath an included unit is scanned unless a unit it sits in is excluded', () => {
    const all = [listed('222222222222'), listed('444444444444'), listed('555555555555')];
    const members = new Map([
      ['ou-test-prod0001', new Set(['222222222222', '444444444444'])],
      ['ou-test-paymnt01', new Set(['444444444444'])],
    ]);

    const selection = selectAccounts(all, config({ regions: ['us-east-1'], include: ['ou-test-prod0001'], exclude: ['ou-test-paymnt01'] }), members);

    expect(selection.scan.map((s) => s.account.id)).toEqual(['222222222222']);
    expect(selection.unavailable).toEqual([]);
  });

  it('builds role ARNs in the account\'s own partition, with a role path when given', () => {
    const selection = selectAccounts([{ id: '222222222222', name: 'gov', partition: 'aws-us-gov', state: 'ACTIVE' }], config({ regions: ['us-east-1'], roleName: 'audit/VigilAudit' }));

    expect(selection.scan[0]?.account.roleArn).toBe('arn:aws-us-gov:iam::222222222222:role/audit/VigilAudit');
  });
});

describe('AwsAccountDirectory against the sandbox', () => {
  let sandbox: TestSandbox;
  let restoreEnv: () => void;

  beforeAll(async () => {
    sandbox = await startTestSandbox(SCENARIO);
    restoreEnv = useSandboxEnv(sandbox);
  });

  afterAll(async () => {
    restoreEnv();
    await sandbox.stop();
  });

  async function calls(operation: string): Promise<number> {
    const summary = await sandbox.inspect<{ counts: Array<{ operation: string; calls: number }> }>('calls/summary');
    return summary.counts.filter((c) => c.operation === operation).reduce((n, c) => n + c.calls, 0);
  }

  it('discovers the organization in full pages, reads each account\'s enabled regions, and keeps what it cannot scan with the reason', async () => {
    const cfg = config({ regions: 'enabled', exclude: ['555555555555'] });
    const clients = new AwsClients(cfg.aws);
    const directory = new AwsAccountDirectory(clients, cfg);
    const before = { list: await calls('ListAccounts'), regions: await calls('DescribeRegions') };

    const resolved = await directory.resolve();
    const again = await directory.resolve();
    const made = { list: (await calls('ListAccounts')) - before.list, regions: (await calls('DescribeRegions')) - before.regions };
    clients.destroy();

    expect(again).toBe(resolved);
    // 25 accounts, 20 a page.
    expect(made.list).toBe(2);
    // Every active, not excluded account but the refused one asks once; the refused one never gets that far.
    expect(made.regions).toBe(22);
    expect(resolved.accounts.map((a) => [a.id, a.regions])).toEqual([
      ['111111111111', ['us-east-1']],
      ['222222222222', ['af-south-1', 'us-east-1', 'us-west-2']],
      ...Array.from({ length: 20 }, (_, i) => [`6000000000${i + 10}`, ['eu-west-1', 'us-east-1']]),
    ]);
    expect(resolved.accounts[1]).toMatchObject({ name: 'production', roleArn: 'arn:aws:iam::222222222222:role/VigilAudit', externalId: 'org-external' });
    expect(resolved.unavailable.map((u) => [u.account.id, u.reason])).toEqual([
      ['333333333333', 'account suspended (AWS Organizations state SUSPENDED)'],
      ['444444444444', 'sts:AssumeRole in 444444444444: access denied (AccessDenied)'],
    ]);
  });

  it('walks included and excluded units down through nested units', async () => {
    const cfg = config({ regions: ['us-east-1'], include: ['ou-test-prod0001', 'ou-test-sandbx01'], exclude: ['ou-test-paymnt01'] });
    const clients = new AwsClients(cfg.aws);

    const resolved = await new AwsAccountDirectory(clients, cfg).resolve();
    clients.destroy();

    expect(resolved.accounts.map((a) => a.id)).toEqual(['222222222222', '555555555555']);
    expect(resolved.unavailable).toEqual([]);
  });

  it('names the field when include names a unit the organization does not have', async () => {
    const cfg = config({ regions: ['us-east-1'], include: ['ou-test-missing1'] });
    const clients = new AwsClients(cfg.aws);

    const error = await externalFailure(new AwsAccountDirectory(clients, cfg).resolve());
    clients.destroy();

    expect(error.message).toBe('organization.include: ou-test-missing1 is not the root or an organizational unit of this organization (ParentNotFoundException)');
  });

  it('uses the config\'s list as it is when there is no organization section', async () => {
    const cfg = configSchema.parse({ version: 1, accounts: [{ id: '222222222222', name: 'production', regions: ['us-east-1'] }] });
    const clients = new AwsClients(cfg.aws);
    const before = await calls('ListAccounts');

    const resolved = await accountSource(clients, cfg).resolve();
    const made = (await calls('ListAccounts')) - before;
    clients.destroy();

    expect(resolved).toEqual({ accounts: cfg.accounts, unavailable: [] });
    expect(made).toBe(0);
  });

  it('fails the discovery, typed, when ListAccounts is refused (not the management account)', async () => {
    const cfg = config({ regions: ['us-east-1'], managementRoleArn: 'arn:aws:iam::222222222222:role/VigilAudit' });
    const clients = new AwsClients(cfg.aws);

    const error = await externalFailure(new AwsAccountDirectory(clients, cfg).resolve());
    clients.destroy();

    expect(error.details).toMatchObject({ kind: 'access_denied', service: 'aws:organizations', operation: 'ListAccounts', account: '222222222222' });
  });
});
