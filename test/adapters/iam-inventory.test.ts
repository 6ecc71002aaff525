/** The IAM inventory adapter against the sandbox's IAM, through the real SDK client. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, type AwsSettings } from '../../src/adapters/aws/clients.js';
import { AwsIamInventory, parseCredentialReport, parseCsv } from '../../src/adapters/aws/iam-inventory.js';
import type { AccountConfig } from '../../src/config/schema.js';
import { externalFailure } from '../helpers/errors.js';
import { startTestSandbox, TEST_KEY, type TestSandbox, useSandboxEnv } from '../helpers/sandbox.js';

const SETTINGS: AwsSettings = { defaultRegion: 'us-east-1', connectTimeoutMs: 2000, requestTimeoutMs: 10_000, maxAttempts: 2, roleSessionName: 'vigil-test' };
const PRODUCTION: AccountConfig = { id: '222222222222', name: 'production', roleArn: 'arn:aws:iam::222222222222:role/VigilAudit', regions: ['us-east-1'] };
const RESTRICTED: AccountConfig = { ...PRODUCTION, roleArn: 'arn:aws:iam::222222222222:role/Restricted' };
const STAGING: AccountConfig = { id: '333333333333', name: 'staging', roleArn: 'arn:aws:iam::333333333333:role/VigilAudit', regions: ['us-east-1'] };

/** More entities than one page holds, so the snapshot must follow Marker to the end. */
const EXTRA_USERS = 1002;

const SCENARIO = `
name: iam-inventory
accounts:
  - id: "111111111111"
    name: management
    accessKeys:
      - { accessKeyId: ${TEST_KEY.accessKeyId}, secretAccessKey: ${TEST_KEY.secretAccessKey}, user: vigil }
  - id: "222222222222"
    name: production
    iam:
      root:
        mfa: virtual
        passwordLastUsed: 20h
        accessKeys:
          - { age: 700d, lastUsed: { age: 10d, service: s3, region: us-east-1 } }
      policies:
        - name: deploy
          versions:
            - document: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "*", Resource: "*" }] }
            - isDefault: true
              document: { Version: "2012-10-17", Statement: [{ Sid: Deploy, Effect: Allow, Action: ["iam:PassRole", "ec2:RunInstances"], Resource: "*" }] }
      groups:
        - name: readers
          attached: [ReadOnlyAccess]
          inline:
            extra: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::a b/*" }] }
      users:
        - name: bob
          groups: [readers]
          console: { passwordAge: 300d, lastUsed: 9h }
          accessKeys:
            - { age: 200d, lastUsed: { age: 3d, service: s3, region: us-east-1 } }
            - { age: 20d, active: false }
          attached: [deploy]
          lastAccessed: { s3: 3d, ec2: never }
${Array.from({ length: EXTRA_USERS }, (_, i) => `        - { name: filler-${i} }`).join('\n')}
      roles:
        - { name: VigilAudit, trustedAccounts: ["111111111111"], attached: [SecurityAudit, ReadOnlyAccess] }
        - name: Restricted
          trustedAccounts: ["111111111111"]
          denyActions: [iam:GetAccountAuthorizationDetails, iam:GenerateServiceLastAccessedDetails]
        - name: Legacy
          inline:
            broken: '{"Version": "2012-10-17", "Statement": [}'
  - id: "333333333333"
    name: staging
    iam:
      roles:
        - { name: VigilAudit, trustedAccounts: ["111111111111"] }
`;

let sandbox: TestSandbox;
let clients: AwsClients;
const saved = { ...process.env };
const noWait = { sleeps: [] as number[], sleep: async (ms: number) => void noWait.sleeps.push(ms) };

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO);
  useSandboxEnv(sandbox);
  delete process.env['AWS_PROFILE'];
  clients = new AwsClients(SETTINGS);
}, 60_000);

afterAll(async () => {
  clients.destroy();
  process.env = saved;
  await sandbox.stop();
});


describe('AwsIamInventory.iamAuthorization', () => {
  it('reads every user, group, role and attached policy across pages, documents decoded', async () => {
    const inventory = new AwsIamInventory(clients, noWait);

    const auth = await inventory.iamAuthorization(PRODUCTION);

    expect(auth.users).toHaveLength(EXTRA_USERS + 1);
    const bob = auth.users.find((u) => u.name === 'bob');
    expect(bob).toMatchObject({ arn: 'arn:aws:iam::222222222222:user/bob', groups: ['readers'], attached: [{ name: 'deploy', arn: 'arn:aws:iam::222222222222:policy/deploy' }], inline: [] });
    const readers = auth.groups.find((g) => g.name === 'readers');
    expect(readers?.attached).toEqual([{ name: 'ReadOnlyAccess', arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }]);
    expect(JSON.parse(readers?.inline[0]?.text ?? '')).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::a b/*' }] });
    expect(auth.roles.map((r) => r.name).sort()).toEqual(['Legacy', 'Restricted', 'VigilAudit']);
    expect(auth.roles.find((r) => r.name === 'Legacy')?.inline).toEqual([{ name: 'broken', text: '{"Version": "2012-10-17", "Statement": [}' }]);
  });

  it('keeps every version of a managed policy and which one is the default', async () => {
    const inventory = new AwsIamInventory(clients, noWait);

    const deploy = (await inventory.iamAuthorization(PRODUCTION)).policies.find((p) => p.name === 'deploy');

    expect(deploy?.versions.map((v) => [v.versionId, v.isDefault])).toEqual([['v1', false], ['v2', true]]);
    expect(deploy?.awsManaged).toBe(false);
    expect(JSON.parse(deploy?.versions[1]?.text ?? '').Statement[0].Sid).toBe('Deploy');
  });

  it('turns a refusal into an access-denied error naming the operation', async () => {
    // Clients cache credentials per account id: the restricted role needs clients of its own.
    const restricted = new AwsClients(SETTINGS);
    const inventory = new AwsIamInventory(restricted, noWait);

    const error = await externalFailure(inventory.iamAuthorization(RESTRICTED));
    restricted.destroy();

    expect([error.kind, error.message]).toEqual(['access_denied', 'iam:GetAccountAuthorizationDetails in 222222222222: access denied (AccessDenied)']);
  });
});

describe('AwsIamInventory.iamCredentialReport', () => {
  it('generates the report, polls through the injected sleep, and parses it', async () => {
    const sleeps: number[] = [];
    const inventory = new AwsIamInventory(clients, { sleep: async (ms) => void sleeps.push(ms) });

    const report = await inventory.iamCredentialReport(PRODUCTION);

    expect(sleeps).toEqual([250]);
    expect(report.root).toMatchObject({ user: '<root_account>', passwordEnabled: true, mfaActive: true, accessKeys: [{ slot: 1, active: true, lastUsedService: 's3', lastUsedRegion: 'us-east-1' }] });
    const bob = report.users.find((u) => u.user === 'bob');
    expect(bob).toMatchObject({ passwordEnabled: true, mfaActive: false, accessKeys: [{ slot: 1, active: true, lastUsedService: 's3' }, { slot: 2, active: false, lastUsedAt: undefined }] });
    expect(report.users.find((u) => u.user === 'filler-0')).toMatchObject({ passwordEnabled: false, accessKeys: [] });
  });

  it('gives up with a timeout error when the report is not ready within the configured polls', async () => {
    const inventory = new AwsIamInventory(clients, { sleep: noWait.sleep, pollDelaysMs: [] });

    const error = await externalFailure(inventory.iamCredentialReport(STAGING));

    expect([error.kind, error.message]).toEqual(['timeout', 'iam:GenerateCredentialReport in 333333333333: the credential report was still STARTED after 1 polls']);
  });
});

describe('AwsIamInventory.iamAccountSummary and iamServiceLastAccessed', () => {
  it('reads whether the root user has keys and MFA', async () => {
    const summary = await new AwsIamInventory(clients, noWait).iamAccountSummary(PRODUCTION);

    expect([summary.rootAccessKeysPresent, summary.rootMfaEnabled, summary.values['Users']]).toEqual([true, true, EXTRA_USERS + 1]);
  });

  it('starts one job per identity and reads each when done, keeping failures per identity', async () => {
    const sleeps: number[] = [];
    const inventory = new AwsIamInventory(clients, { sleep: async (ms) => void sleeps.push(ms) });
    const bob = 'arn:aws:iam::222222222222:user/bob';
    const missing = 'arn:aws:iam::222222222222:user/nobody';

    const result = await inventory.iamServiceLastAccessed(PRODUCTION, [bob, missing]);

    // Every service bob's policies name (his own and his group's ReadOnlyAccess), used or not.
    const services = Object.fromEntries(result[bob]?.ok ? result[bob].value.map((s) => [s.namespace, s.lastAuthenticatedAt !== undefined]) : []);
    expect(services).toMatchObject({ s3: true, ec2: false, iam: false, rds: false, cloudtrail: false });
    expect(result[missing]).toEqual({ ok: false, reason: 'iam:GenerateServiceLastAccessedDetails in 222222222222: not found (NoSuchEntityException)' });
    expect(sleeps).toEqual([250]);
  });

  it('reports a job it may not start as that identity\'s failure', async () => {
    const restricted = new AwsClients(SETTINGS);

    const result = await new AwsIamInventory(restricted, noWait).iamServiceLastAccessed(RESTRICTED, ['arn:aws:iam::222222222222:user/bob']);
    restricted.destroy();

    expect(result).toEqual({ 'arn:aws:iam::222222222222:user/bob': { ok: false, reason: 'iam:GenerateServiceLastAccessedDetails in 222222222222: access denied (AccessDenied)' } });
  });
});

describe('the credential report format', () => {
  it('reads quoted fields with commas, quotes and newlines', () => {
    expect(parseCsv('a,b,c\n"x,1","say ""hi""","two\nlines"\r\nlast,,')).toEqual([
      ['a', 'b', 'c'],
      ['x,1', 'say "hi"', 'two\nlines'],
      ['last', '', ''],
    ]);
  });

  it('maps AWS placeholders to absent values and finds the root row', () => {
    const csv = [
      'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated',
      '<root_account>,arn:aws:iam::222222222222:root,2020-01-01T00:00:00+00:00,not_supported,no_information,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
      'dana,arn:aws:iam::222222222222:user/dana,2021-01-01T00:00:00+00:00,true,2026-11-20T08:00:00+00:00,2026-10-01T00:00:00+00:00,N/A,true,true,2026-09-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
    ].join('\n');

    const report = parseCredentialReport(csv, new Date('2026-11-24T10:00:00Z'));

    expect(report).toEqual({
      generatedAt: new Date('2026-11-24T10:00:00Z'),
      root: { user: '<root_account>', arn: 'arn:aws:iam::222222222222:root', createdAt: new Date('2020-01-01T00:00:00Z'), passwordEnabled: true, passwordLastUsedAt: undefined, passwordLastChangedAt: undefined, mfaActive: false, accessKeys: [] },
      users: [
        {
          user: 'dana',
          arn: 'arn:aws:iam::222222222222:user/dana',
          createdAt: new Date('2021-01-01T00:00:00Z'),
          passwordEnabled: true,
          passwordLastUsedAt: new Date('2026-11-20T08:00:00Z'),
          passwordLastChangedAt: new Date('2026-10-01T00:00:00Z'),
          mfaActive: true,
          accessKeys: [{ slot: 1, active: true, rotatedAt: new Date('2026-09-01T00:00:00Z'), lastUsedAt: undefined, lastUsedService: undefined, lastUsedRegion: undefined }],
        },
      ],
    });
  });
});
