import {
  CreateAccessKeyCommand, CreatePolicyCommand, DeleteAccessKeyCommand, GenerateCredentialReportCommand, GenerateServiceLastAccessedDetailsCommand,
  GetAccessKeyLastUsedCommand, GetAccountAuthorizationDetailsCommand, GetAccountSummaryCommand, GetCredentialReportCommand, GetGroupCommand,
  GetGroupPolicyCommand, GetLoginProfileCommand, GetPolicyCommand, GetPolicyVersionCommand, GetRoleCommand, GetRolePolicyCommand,
  GetServiceLastAccessedDetailsCommand, GetUserCommand, GetUserPolicyCommand, IAMClient, ListAccessKeysCommand, ListAccountAliasesCommand,
  ListAttachedGroupPoliciesCommand, ListAttachedRolePoliciesCommand, ListAttachedUserPoliciesCommand, ListEntitiesForPolicyCommand,
  ListGroupPoliciesCommand, ListGroupsCommand, ListGroupsForUserCommand, ListMFADevicesCommand, ListPoliciesCommand, ListPolicyVersionsCommand,
  ListRolePoliciesCommand, ListRolesCommand, ListUserPoliciesCommand, ListUsersCommand, ListVirtualMFADevicesCommand, PutUserPolicyCommand,
  UpdateAccessKeyCommand, paginateGetAccountAuthorizationDetails, paginateListUsers,
  type GetAccountAuthorizationDetailsCommandOutput,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { ConfigError } from '../../src/core/errors.js';
import { fileURLToPath } from 'node:url';
import { findRole, seedIam, trustDenial, type IamRole } from '../../src/sandbox/aws/iam.js';
import { policyDocumentProblem } from '../../src/sandbox/aws/iam-policy.js';
import { credentialReportCsv } from '../../src/sandbox/aws/iam-reports.js';
import { iamState } from '../../src/sandbox/aws/iam-state.js';
import { seedAccounts } from '../../src/sandbox/aws/sts.js';
import { DEMO_SCENARIO_URL, loadScenario, parseScenario } from '../../src/sandbox/scenario.js';
import { World, type SandboxCredential } from '../../src/sandbox/world.js';
import { startTestSandbox, TEST_KEY, type TestSandbox } from '../helpers/sandbox.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY_MS = 24 * 3600 * 1000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);
const reportTime = (date: Date) => date.toISOString().replace('.000Z', '+00:00');

const BOB_KEY = { accessKeyId: 'AKIABOBTESTKEY000001', secretAccessKey: 'bob-secret-key' };
const S3_EVERYTHING = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
const CI_V1 = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:CreateFunction', Resource: '*' }] };
const CI_V2 = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iam:PassRole', 'ec2:RunInstances', 'lambda:CreateFunction'], Resource: '*' }] };

const SCENARIO = `
name: iam-test
accounts:
  - id: "111111111111"
    name: management
    joined: 1000d
    accessKeys:
      - accessKeyId: ${TEST_KEY.accessKeyId}
        secretAccessKey: ${TEST_KEY.secretAccessKey}
        user: auditor
    iam:
      aliases: [coursecraft-test]
      root:
        mfa: virtual
        passwordLastUsed: 2d
        accessKeys:
          - age: 400d
            lastUsed: { age: 10d, service: s3, region: us-east-1 }
      policies:
        - name: ci-deploy-policy
          description: What CI may do.
          age: 120d
          versions:
            - document: ${JSON.stringify(CI_V1)}
              age: 120d
            - document: ${JSON.stringify(CI_V2)}
              age: 30d
        - name: broken-policy
          document: "{ not json"
      groups:
        - name: admins
          attached: [AdministratorAccess]
          inline:
            no-billing: { Version: "2012-10-17", Statement: [{ Effect: Deny, Action: "aws-portal:*", Resource: "*" }] }
        - name: readers
          attached: [arn:aws:iam::aws:policy/ReadOnlyAccess]
      users:
        - name: alice
          age: 500d
          groups: [admins]
          console: { passwordAge: 90d, lastUsed: 1d }
          mfa: true
        - name: auditor
          age: 300d
          attached: [SecurityAudit, ReadOnlyAccess]
        - name: bob
          age: 250d
          console: true
          accessKeys:
            - accessKeyId: ${BOB_KEY.accessKeyId}
              secretAccessKey: ${BOB_KEY.secretAccessKey}
              age: 200d
              lastUsed: { age: 60d, service: ec2, region: eu-west-1 }
          inline:
            s3-everything: ${JSON.stringify(S3_EVERYTHING)}
          denyActions: ["iam:GenerateCredentialReport"]
          lastAccessed: { s3: 5d, ec2: never }
        - name: ci-deploy
          age: 150d
          attached: [ci-deploy-policy]
          accessKeys:
            - age: 10d
              lastUsed: { age: 1h, service: lambda, region: us-east-1 }
            - age: 100d
              active: false
        - name: dave
          path: /ops/
          groups: [readers, admins]
      roles:
        - name: VigilAudit
          trustedAccounts: ["111111111111"]
          externalId: vigil-test
          attached: [SecurityAudit]
          lastUsed: { age: 3d, region: us-west-2 }
          maxSessionDuration: 7200
        - name: BobOnly
          trustPolicy:
            Version: "2012-10-17"
            Statement: [{ Effect: Allow, Principal: { AWS: "arn:aws:iam::111111111111:user/bob" }, Action: "sts:AssumeRole" }]
          inline:
            bad: "{oops"
  - id: "222222222222"
    name: bare
    accessKeys:
      - accessKeyId: AKIABARETESTKEY00001
        secretAccessKey: bare-secret-key
        user: root
`;

let sandbox: TestSandbox;
let iam: IAMClient;

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO, { clock: new ManualClock(NOW) });
  iam = new IAMClient(sandbox.aws());
});

afterAll(async () => {
  await sandbox.stop();
});

const decode = (document: string | undefined) => JSON.parse(decodeURIComponent(document ?? '')) as unknown;
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

describe('IAM users, groups and roles', () => {
  it('pages through users at the page boundary, alphabetically', async () => {
    const names: string[][] = [];
    for await (const page of paginateListUsers({ client: iam, pageSize: 2 }, {})) names.push((page.Users ?? []).map((u) => u.UserName as string));
    const exactlyFull = await iam.send(new ListUsersCommand({ MaxItems: 5 }));
    const oneShort = await iam.send(new ListUsersCommand({ MaxItems: 4 }));
    const ops = await iam.send(new ListUsersCommand({ PathPrefix: '/ops/' }));

    expect(names).toEqual([['alice', 'auditor'], ['bob', 'ci-deploy'], ['dave']]);
    expect(exactlyFull.IsTruncated).toBe(false);
    expect(exactlyFull.Marker).toBeUndefined();
    expect(exactlyFull.Users).toHaveLength(5);
    expect(oneShort.IsTruncated).toBe(true);
    expect(oneShort.Marker).toEqual(expect.any(String));
    expect(ops.Users?.map((u) => u.Arn)).toEqual(['arn:aws:iam::111111111111:user/ops/dave']);
  });

  it('gets a user by name, and the caller when no name is given', async () => {
    const alice = await iam.send(new GetUserCommand({ UserName: 'alice' }));
    const me = await iam.send(new GetUserCommand({}));

    expect(alice.User).toEqual({
      Path: '/',
      UserName: 'alice',
      UserId: expect.stringMatching(/^AIDA[A-Z2-7]{17}$/),
      Arn: 'arn:aws:iam::111111111111:user/alice',
      CreateDate: daysAgo(500),
      PasswordLastUsed: daysAgo(1),
    });
    expect(me.User?.UserName).toBe('auditor');
  });

  it('gets a role with its trust policy, last use and session length', async () => {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'VigilAudit' }));
    const listed = await iam.send(new ListRolesCommand({}));

    expect(Role).toMatchObject({ RoleName: 'VigilAudit', MaxSessionDuration: 7200, RoleLastUsed: { LastUsedDate: daysAgo(3), Region: 'us-west-2' } });
    expect(decode(Role?.AssumeRolePolicyDocument)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'vigil-test' } } }],
    });
    expect(listed.Roles?.map((r) => r.RoleName)).toEqual(['BobOnly', 'VigilAudit']);
    expect(listed.Roles?.[1]?.RoleLastUsed).toBeUndefined();
  });

  it('lists groups, their members and a user\'s groups', async () => {
    const groups = await iam.send(new ListGroupsCommand({}));
    const admins = await iam.send(new GetGroupCommand({ GroupName: 'admins' }));
    const daves = await iam.send(new ListGroupsForUserCommand({ UserName: 'dave' }));

    expect(groups.Groups?.map((g) => g.GroupName)).toEqual(['admins', 'readers']);
    expect(admins.Group).toMatchObject({ GroupName: 'admins', Arn: 'arn:aws:iam::111111111111:group/admins', GroupId: expect.stringMatching(/^AGPA/) });
    expect(admins.Users?.map((u) => u.UserName)).toEqual(['alice', 'dave']);
    expect(daves.Groups?.map((g) => g.GroupName)).toEqual(['admins', 'readers']);
  });

  it('answers NoSuchEntity (404) for what does not exist', async () => {
    const errors = await Promise.all([
      failure(iam.send(new GetUserCommand({ UserName: 'mallory' }))),
      failure(iam.send(new GetRoleCommand({ RoleName: 'Nope' }))),
      failure(iam.send(new GetGroupCommand({ GroupName: 'nobody' }))),
      failure(iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::111111111111:policy/missing' }))),
      failure(iam.send(new GetUserPolicyCommand({ UserName: 'bob', PolicyName: 'missing' }))),
      failure(iam.send(new GetLoginProfileCommand({ UserName: 'ci-deploy' }))),
    ]);

    for (const error of errors) expect(error).toMatchObject({ name: 'NoSuchEntityException', $metadata: { httpStatusCode: 404 } });
    expect((errors[0] as Error).message).toBe('The user with name mallory cannot be found.');
    expect((errors[5] as Error).message).toBe('Login Profile for User ci-deploy cannot be found.');
  });
});

describe('IAM policies', () => {
  it('lists policies by scope and attachment', async () => {
    const local = await iam.send(new ListPoliciesCommand({ Scope: 'Local' }));
    const attached = await iam.send(new ListPoliciesCommand({ Scope: 'AWS', OnlyAttached: true }));
    const all = await iam.send(new ListPoliciesCommand({}));

    expect(local.Policies?.map((p) => [p.PolicyName, p.AttachmentCount, p.DefaultVersionId])).toEqual([['broken-policy', 0, 'v1'], ['ci-deploy-policy', 1, 'v2']]);
    expect(attached.Policies?.map((p) => [p.PolicyName, p.AttachmentCount])).toEqual([['AdministratorAccess', 1], ['ReadOnlyAccess', 2], ['SecurityAudit', 2]]);
    expect(all.Policies).toHaveLength(10);
  });

  it('gets a customer policy with its versions, documents decoding to the scenario\'s', async () => {
    const arn = 'arn:aws:iam::111111111111:policy/ci-deploy-policy';
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    const v1 = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    const v2 = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }));

    expect(Policy).toMatchObject({ PolicyName: 'ci-deploy-policy', Description: 'What CI may do.', DefaultVersionId: 'v2', CreateDate: daysAgo(120), UpdateDate: daysAgo(30) });
    expect(versions.Versions?.map((v) => [v.VersionId, v.IsDefaultVersion, v.Document])).toEqual([['v2', true, undefined], ['v1', false, undefined]]);
    expect(decode(v1.PolicyVersion?.Document)).toEqual(CI_V1);
    expect(decode(v2.PolicyVersion?.Document)).toEqual(CI_V2);
  });

  it('serves the AWS managed catalogue with real ids and documents', async () => {
    const arn = 'arn:aws:iam::aws:policy/AdministratorAccess';
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    const holders = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn }));

    expect(Policy).toMatchObject({ PolicyId: 'ANPAIWMBCKSKIEE64ZLYK', CreateDate: new Date('2015-02-06T18:39:46Z'), AttachmentCount: 1 });
    expect(decode(version.PolicyVersion?.Document)).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    expect(holders).toMatchObject({ PolicyGroups: [{ GroupName: 'admins' }], PolicyUsers: [], PolicyRoles: [] });
  });

  it('lists attached managed policies of users, groups and roles', async () => {
    const user = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'auditor' }));
    const group = await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: 'readers' }));
    const role = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'VigilAudit' }));
    const paged = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'auditor', MaxItems: 1 }));

    expect(user.AttachedPolicies).toEqual([
      { PolicyName: 'SecurityAudit', PolicyArn: 'arn:aws:iam::aws:policy/SecurityAudit' },
      { PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    ]);
    expect(group.AttachedPolicies?.map((p) => p.PolicyName)).toEqual(['ReadOnlyAccess']);
    expect(role.AttachedPolicies?.map((p) => p.PolicyName)).toEqual(['SecurityAudit']);
    expect(paged).toMatchObject({ IsTruncated: true, AttachedPolicies: [{ PolicyName: 'SecurityAudit' }] });
  });

  it('returns inline policies URL-encoded, planted invalid documents as they are', async () => {
    const names = await iam.send(new ListUserPoliciesCommand({ UserName: 'bob' }));
    const bob = await iam.send(new GetUserPolicyCommand({ UserName: 'bob', PolicyName: 's3-everything' }));
    const group = await iam.send(new GetGroupPolicyCommand({ GroupName: 'admins', PolicyName: 'no-billing' }));
    const roleNames = await iam.send(new ListRolePoliciesCommand({ RoleName: 'BobOnly' }));
    const bad = await iam.send(new GetRolePolicyCommand({ RoleName: 'BobOnly', PolicyName: 'bad' }));
    const groupNames = await iam.send(new ListGroupPoliciesCommand({ GroupName: 'readers' }));

    expect(names.PolicyNames).toEqual(['s3-everything']);
    expect(bob.PolicyDocument).toMatch(/^%7B/);
    expect(decode(bob.PolicyDocument)).toEqual(S3_EVERYTHING);
    expect(decode(group.PolicyDocument)).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'aws-portal:*', Resource: '*' }] });
    expect(roleNames.PolicyNames).toEqual(['bad']);
    expect(decodeURIComponent(bad.PolicyDocument ?? '')).toBe('{oops');
    expect(groupNames.PolicyNames).toEqual([]);
  });

  it('refuses malformed documents on write with MalformedPolicyDocument', async () => {
    const unknownOperator = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringEqualz: { 'aws:SourceVpc': 'vpc-1' } } }] });

    const syntax = await failure(iam.send(new PutUserPolicyCommand({ UserName: 'dave', PolicyName: 'x', PolicyDocument: '{nope' })));
    const condition = await failure(iam.send(new CreatePolicyCommand({ PolicyName: 'vpc-only', PolicyDocument: unknownOperator })));
    await iam.send(new PutUserPolicyCommand({ UserName: 'dave', PolicyName: 'ok', PolicyDocument: JSON.stringify(S3_EVERYTHING) }));
    const stored = await iam.send(new GetUserPolicyCommand({ UserName: 'dave', PolicyName: 'ok' }));

    expect(syntax).toMatchObject({ name: 'MalformedPolicyDocumentException', message: 'Syntax errors in policy.' });
    expect(condition).toMatchObject({ name: 'MalformedPolicyDocumentException', message: 'Invalid Condition type : StringEqualz' });
    expect(decode(stored.PolicyDocument)).toEqual(S3_EVERYTHING);
  });
});

describe('IAM credentials', () => {
  it('lists access keys of a user, the caller, and keys declared under accessKeys', async () => {
    const bob = await iam.send(new ListAccessKeysCommand({ UserName: 'bob' }));
    const mine = await iam.send(new ListAccessKeysCommand({}));
    const ci = await iam.send(new ListAccessKeysCommand({ UserName: 'ci-deploy' }));

    expect(bob.AccessKeyMetadata).toEqual([{ UserName: 'bob', AccessKeyId: BOB_KEY.accessKeyId, Status: 'Active', CreateDate: daysAgo(200) }]);
    expect(mine.AccessKeyMetadata?.map((k) => [k.UserName, k.AccessKeyId])).toEqual([['auditor', TEST_KEY.accessKeyId]]);
    expect(ci.AccessKeyMetadata?.map((k) => k.Status)).toEqual(['Active', 'Inactive']);
  });

  it('tells when a key was last used, N/A when never', async () => {
    const ci = await iam.send(new ListAccessKeysCommand({ UserName: 'ci-deploy' }));
    const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: BOB_KEY.accessKeyId }));
    const never = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: ci.AccessKeyMetadata?.[1]?.AccessKeyId }));
    const foreign = await failure(iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: 'AKIAFOREIGNKEY000001' })));

    expect(used).toMatchObject({ UserName: 'bob', AccessKeyLastUsed: { LastUsedDate: daysAgo(60), ServiceName: 'ec2', Region: 'eu-west-1' } });
    expect(never.AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });
    expect(foreign).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });

  it('registers scenario keys so they call the sandbox as their user, with the user\'s denyActions', async () => {
    const asBob = sandbox.aws('us-east-1', BOB_KEY);

    const identity = await new STSClient(asBob).send(new GetCallerIdentityCommand({}));
    const denied = await failure(new IAMClient(asBob).send(new GenerateCredentialReportCommand({})));
    const inactiveKey = (await iam.send(new ListAccessKeysCommand({ UserName: 'ci-deploy' }))).AccessKeyMetadata?.[1]?.AccessKeyId as string;

    expect(identity.Arn).toBe('arn:aws:iam::111111111111:user/bob');
    expect(denied).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 }, message: expect.stringContaining('iam:GenerateCredentialReport') });
    expect(sandbox.world.credentials.has(inactiveKey)).toBe(false);
  });

  it('creates, deactivates and deletes access keys', async () => {
    const created = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    const key = { accessKeyId: created.AccessKey?.AccessKeyId as string, secretAccessKey: created.AccessKey?.SecretAccessKey as string };
    const sts = new STSClient(sandbox.aws('us-east-1', key));
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: key.accessKeyId, Status: 'Inactive' }));
    const refused = await failure(sts.send(new GetCallerIdentityCommand({})));
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: key.accessKeyId }));
    const after = await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }));
    // The SDK counts LimitExceededException as throttling and would retry it.
    const tooMany = await failure(new IAMClient({ ...sandbox.aws(), maxAttempts: 1 }).send(new CreateAccessKeyCommand({ UserName: 'ci-deploy' })));

    expect(created.AccessKey).toMatchObject({ UserName: 'alice', Status: 'Active', AccessKeyId: expect.stringMatching(/^AKIA/) });
    expect(identity.Arn).toBe('arn:aws:iam::111111111111:user/alice');
    expect(refused).toMatchObject({ name: 'InvalidClientTokenId' });
    expect(after.AccessKeyMetadata).toEqual([]);
    expect(tooMany).toMatchObject({ name: 'LimitExceededException', $metadata: { httpStatusCode: 409 } });
  });

  it('acts for the root user when a root key calls without a user name', async () => {
    const asRoot = new IAMClient(sandbox.aws('us-east-1', { accessKeyId: 'AKIABARETESTKEY00001', secretAccessKey: 'bare-secret-key' }));

    const user = await asRoot.send(new GetUserCommand({}));
    const keys = await asRoot.send(new ListAccessKeysCommand({}));
    const mfa = await asRoot.send(new ListMFADevicesCommand({}));

    expect(user.User).toMatchObject({ UserId: '222222222222', Arn: 'arn:aws:iam::222222222222:root' });
    expect(keys.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status])).toEqual([['AKIABARETESTKEY00001', 'Active']]);
    expect(mfa.MFADevices).toEqual([]);
  });

  it('lists MFA devices, virtual ones including root\'s, and login profiles', async () => {
    const alice = await iam.send(new ListMFADevicesCommand({ UserName: 'alice' }));
    const bob = await iam.send(new ListMFADevicesCommand({ UserName: 'bob' }));
    const virtual = await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Assigned' }));
    const profile = await iam.send(new GetLoginProfileCommand({ UserName: 'alice' }));

    expect(alice.MFADevices).toEqual([{ UserName: 'alice', SerialNumber: 'arn:aws:iam::111111111111:mfa/alice', EnableDate: daysAgo(500) }]);
    expect(bob.MFADevices).toEqual([]);
    expect(virtual.VirtualMFADevices?.map((d) => [d.SerialNumber, d.User?.Arn])).toEqual([
      ['arn:aws:iam::111111111111:mfa/alice', 'arn:aws:iam::111111111111:user/alice'],
      ['arn:aws:iam::111111111111:mfa/root-account-mfa-device', 'arn:aws:iam::111111111111:root'],
    ]);
    expect(profile.LoginProfile).toEqual({ UserName: 'alice', CreateDate: daysAgo(90), PasswordResetRequired: false });
  });

  it('assumes a role only as its trust policy allows', async () => {
    const asBob = new STSClient(sandbox.aws('us-east-1', BOB_KEY));
    const asAuditor = new STSClient(sandbox.aws());

    const bob = await asBob.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/BobOnly', RoleSessionName: 'bob' }));
    const auditor = await failure(asAuditor.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/BobOnly', RoleSessionName: 'auditor' })));
    const vigil = await asAuditor.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/VigilAudit', RoleSessionName: 'vigil', ExternalId: 'vigil-test' }));
    const noExternalId = await failure(asAuditor.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/VigilAudit', RoleSessionName: 'vigil' })));

    expect(bob.AssumedRoleUser?.Arn).toBe('arn:aws:sts::111111111111:assumed-role/BobOnly/bob');
    expect(auditor).toMatchObject({ name: 'AccessDenied' });
    expect(vigil.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(noExternalId).toMatchObject({ name: 'AccessDenied' });
  });
});

describe('IAM account-wide reports', () => {
  it('summarises the account', async () => {
    const { SummaryMap } = await iam.send(new GetAccountSummaryCommand({}));
    const bare = await new IAMClient(sandbox.aws('us-east-1', { accessKeyId: 'AKIABARETESTKEY00001', secretAccessKey: 'bare-secret-key' })).send(new GetAccountSummaryCommand({}));
    const aliases = await iam.send(new ListAccountAliasesCommand({}));

    expect(SummaryMap).toMatchObject({ AccountMFAEnabled: 1, AccountAccessKeysPresent: 1, Users: 5, Groups: 2, Roles: 2, MFADevicesInUse: 2, UsersQuota: 5000 });
    expect(bare.SummaryMap).toMatchObject({ Users: 0, Roles: 0, AccountMFAEnabled: 0, AccountAccessKeysPresent: 1 });
    expect(aliases).toMatchObject({ AccountAliases: ['coursecraft-test'], IsTruncated: false });
  });

  it('pages GetAccountAuthorizationDetails two items at a time to the same content as one page', async () => {
    const pages: GetAccountAuthorizationDetailsCommandOutput[] = [];
    for await (const page of paginateGetAccountAuthorizationDetails({ client: iam, pageSize: 2 }, {})) pages.push(page);
    const whole = await iam.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 1000 }));
    const merged = (key: 'UserDetailList' | 'GroupDetailList' | 'RoleDetailList' | 'Policies') => pages.flatMap((p) => p[key] ?? []);

    // 5 users + 2 groups + 2 roles + 2 customer policies + 3 attached AWS policies.
    expect(pages).toHaveLength(7);
    expect(pages.slice(0, -1).every((p) => p.IsTruncated)).toBe(true);
    expect(merged('UserDetailList')).toEqual(whole.UserDetailList);
    expect(merged('GroupDetailList')).toEqual(whole.GroupDetailList);
    expect(merged('RoleDetailList')).toEqual(whole.RoleDetailList);
    expect(merged('Policies')).toEqual(whole.Policies);
  });

  it('details users, roles and policies as auditors read them', async () => {
    const users = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User'] }));
    const roles = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['Role', 'LocalManagedPolicy'] }));
    const bob = users.UserDetailList?.find((u) => u.UserName === 'bob');
    const dave = users.UserDetailList?.find((u) => u.UserName === 'dave');
    const vigil = roles.RoleDetailList?.find((r) => r.RoleName === 'VigilAudit');
    const ci = roles.Policies?.find((p) => p.PolicyName === 'ci-deploy-policy');

    expect(users.RoleDetailList).toEqual([]);
    expect(bob?.UserPolicyList?.map((p) => [p.PolicyName, decode(p.PolicyDocument)])).toEqual([['s3-everything', S3_EVERYTHING]]);
    expect(dave?.GroupList).toEqual(['admins', 'readers']);
    expect(vigil).toMatchObject({ AttachedManagedPolicies: [{ PolicyName: 'SecurityAudit' }], RoleLastUsed: { LastUsedDate: daysAgo(3), Region: 'us-west-2' }, RolePolicyList: [] });
    expect((decode(vigil?.AssumeRolePolicyDocument) as { Statement: unknown[] }).Statement).toHaveLength(1);
    expect(ci?.PolicyVersionList?.map((v) => [v.VersionId, v.IsDefaultVersion, decode(v.Document)])).toEqual([['v1', false, CI_V1], ['v2', true, CI_V2]]);
  });

  it('generates the credential report: not present, started, in progress, complete', async () => {
    const before = await failure(iam.send(new GetCredentialReportCommand({})));
    const started = await iam.send(new GenerateCredentialReportCommand({}));
    const inProgress = await failure(iam.send(new GetCredentialReportCommand({})));
    const complete = await iam.send(new GenerateCredentialReportCommand({}));
    const report = await iam.send(new GetCredentialReportCommand({}));

    expect(before).toMatchObject({ name: 'CredentialReportNotPresentException', $metadata: { httpStatusCode: 410 } });
    expect(started.State).toBe('STARTED');
    expect(inProgress).toMatchObject({ name: 'CredentialReportNotReadyException', $metadata: { httpStatusCode: 404 } });
    expect(complete.State).toBe('COMPLETE');
    expect(report).toMatchObject({ ReportFormat: 'text/csv', GeneratedTime: NOW });
  });

  it('writes the credential report CSV with AWS\'s columns and placeholder values', async () => {
    await iam.send(new GenerateCredentialReportCommand({}));
    const report = await iam.send(new GetCredentialReportCommand({}));
    const [header, ...lines] = Buffer.from(report.Content as Uint8Array).toString('utf8').split('\n');
    const columns = (header as string).split(',');
    const rows = Object.fromEntries(lines.map((line) => line.split(',')).map((cells) => [cells[0], Object.fromEntries(columns.map((c, i) => [c, cells[i]]))]));
    const ciKeys = (await iam.send(new ListAccessKeysCommand({ UserName: 'ci-deploy' }))).AccessKeyMetadata ?? [];

    expect(columns).toEqual([
      'user', 'arn', 'user_creation_time', 'password_enabled', 'password_last_used', 'password_last_changed', 'password_next_rotation', 'mfa_active',
      'access_key_1_active', 'access_key_1_last_rotated', 'access_key_1_last_used_date', 'access_key_1_last_used_region', 'access_key_1_last_used_service',
      'access_key_2_active', 'access_key_2_last_rotated', 'access_key_2_last_used_date', 'access_key_2_last_used_region', 'access_key_2_last_used_service',
      'cert_1_active', 'cert_1_last_rotated', 'cert_2_active', 'cert_2_last_rotated',
    ]);
    expect(Object.keys(rows)).toEqual(['<root_account>', 'alice', 'auditor', 'bob', 'ci-deploy', 'dave']);
    expect(rows['<root_account>']).toEqual({
      user: '<root_account>', arn: 'arn:aws:iam::111111111111:root', user_creation_time: reportTime(daysAgo(1000)),
      password_enabled: 'not_supported', password_last_used: reportTime(daysAgo(2)), password_last_changed: 'not_supported', password_next_rotation: 'not_supported',
      mfa_active: 'true',
      access_key_1_active: 'true', access_key_1_last_rotated: reportTime(daysAgo(400)), access_key_1_last_used_date: reportTime(daysAgo(10)),
      access_key_1_last_used_region: 'us-east-1', access_key_1_last_used_service: 's3',
      access_key_2_active: 'false', access_key_2_last_rotated: 'N/A', access_key_2_last_used_date: 'N/A', access_key_2_last_used_region: 'N/A', access_key_2_last_used_service: 'N/A',
      cert_1_active: 'false', cert_1_last_rotated: 'N/A', cert_2_active: 'false', cert_2_last_rotated: 'N/A',
    });
    expect(rows['alice']).toMatchObject({ password_enabled: 'true', password_last_used: reportTime(daysAgo(1)), password_last_changed: reportTime(daysAgo(90)), password_next_rotation: 'N/A', mfa_active: 'true', access_key_1_active: 'false', access_key_1_last_rotated: 'N/A' });
    expect(rows['bob']).toMatchObject({
      password_enabled: 'true', password_last_used: 'no_information', password_last_changed: reportTime(daysAgo(250)), mfa_active: 'false',
      access_key_1_active: 'true', access_key_1_last_rotated: reportTime(daysAgo(200)), access_key_1_last_used_date: reportTime(daysAgo(60)),
      access_key_1_last_used_region: 'eu-west-1', access_key_1_last_used_service: 'ec2',
    });
    expect(rows['ci-deploy']).toMatchObject({
      password_enabled: 'false', password_last_used: 'N/A', password_last_changed: 'N/A',
      access_key_1_active: 'true', access_key_1_last_rotated: reportTime(daysAgo(10)), access_key_1_last_used_service: 'lambda',
      access_key_2_active: 'false', access_key_2_last_rotated: reportTime(daysAgo(100)), access_key_2_last_used_date: 'N/A', access_key_2_last_used_service: 'N/A',
    });
    expect(ciKeys).toHaveLength(2);
  });

  it('generates service last accessed details: in progress, then per service', async () => {
    const { JobId } = await iam.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: 'arn:aws:iam::111111111111:user/bob' }));
    const running = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId }));
    const done = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId }));
    const ci = await iam.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: 'arn:aws:iam::111111111111:policy/ci-deploy-policy' }));
    await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId: ci.JobId }));
    const ciDone = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId: ci.JobId }));
    const missing = await failure(iam.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: 'arn:aws:iam::111111111111:user/mallory' })));

    expect(JobId).toEqual(expect.any(String));
    expect(running).toMatchObject({ JobStatus: 'IN_PROGRESS', ServicesLastAccessed: [] });
    expect(done).toMatchObject({ JobStatus: 'COMPLETED', JobType: 'SERVICE_LEVEL', JobCompletionDate: NOW, IsTruncated: false });
    expect(done.ServicesLastAccessed).toEqual([
      { ServiceName: 'Amazon EC2', ServiceNamespace: 'ec2', TotalAuthenticatedEntities: 0 },
      {
        ServiceName: 'Amazon S3', ServiceNamespace: 's3', LastAuthenticated: daysAgo(5), LastAuthenticatedEntity: 'arn:aws:iam::111111111111:user/bob',
        LastAuthenticatedRegion: 'us-east-1', TotalAuthenticatedEntities: 1,
      },
    ]);
    expect(ciDone.ServicesLastAccessed?.map((s) => s.ServiceNamespace)).toEqual(['ec2', 'iam', 'lambda']);
    expect(missing).toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('retries a throttled call and succeeds once the bucket refills', async () => {
    await sandbox.setFaults([{ service: 'iam', operation: 'ListUsers', throttle: { ratePerSecond: 20, burst: 1 } }]);

    const results = await Promise.all([1, 2, 3].map(() => iam.send(new ListUsersCommand({}))));
    const summary = await sandbox.inspect<{ counts: Array<{ service: string; operation: string; throttled: number }> }>('calls/summary');
    await sandbox.setFaults([]);

    expect(results.map((r) => r.Users?.length)).toEqual([5, 5, 5]);
    expect(summary.counts.find((c) => c.service === 'aws:iam' && c.operation === 'ListUsers')?.throttled).toBeGreaterThan(0);
  });
});

describe('the IAM scenario schema', () => {
  it('reports every dangling reference at once', () => {
    const yaml = `
name: bad
accounts:
  - id: "111111111111"
    name: a
    iam:
      users:
        - { name: eve, groups: [ghosts], attached: [NotAPolicy] }
      roles:
        - { name: R, attached: ["arn:aws:iam::aws:policy/service-role/Unknown"] }
`;

    const error = (() => {
      try {
        parseScenario(yaml, 'bad.yaml');
      } catch (e) {
        return e;
      }
      return undefined;
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.path)).toEqual([
      'accounts[0].iam.users[0].groups[0]',
      'accounts[0].iam.users[0].attached[0]',
      'accounts[0].iam.roles[0].attached[0]',
    ]);
  });

  it('refuses a user key whose id another principal already holds', () => {
    const scenario = parseScenario(`
name: clash
accounts:
  - id: "111111111111"
    name: a
    accessKeys: [{ accessKeyId: AKIASHAREDKEY0000001, secretAccessKey: shared-secret, user: vigil }]
    iam:
      users:
        - { name: eve, accessKeys: [{ accessKeyId: AKIASHAREDKEY0000001 }] }
`, 'clash.yaml');
    const world = new World(new ManualClock(NOW));
    seedAccounts(world, scenario);

    const error = (() => {
      try {
        seedIam(world, scenario);
      } catch (e) {
        return e;
      }
      return undefined;
    })();

    expect((error as ConfigError).problems).toEqual([
      { file: 'scenario', path: 'accounts[0].iam.users[0].accessKeys[0].accessKeyId', message: 'access key AKIASHAREDKEY0000001 already belongs to arn:aws:iam::111111111111:user/vigil' },
    ]);
  });
});

describe('the demo scenario\'s IAM', () => {
  const world = new World(new ManualClock(NOW));
  const demo = loadScenario(fileURLToPath(DEMO_SCENARIO_URL));
  seedAccounts(world, demo);
  seedIam(world, demo);
  const rows = (accountId: string) => {
    const [header, ...lines] = credentialReportCsv(iamState(world, accountId)).split('\n');
    const columns = (header as string).split(',');
    return Object.fromEntries(lines.map((line) => line.split(',')).map((cells) => [cells[0], Object.fromEntries(columns.map((c, i) => [c, cells[i]]))]));
  };

  it('plants the credential findings the story names', () => {
    const production = rows('222222222222');
    const staging = rows('333333333333');

    expect(production['<root_account>']).toMatchObject({ mfa_active: 'true', access_key_1_active: 'true', access_key_1_last_used_date: reportTime(daysAgo(10)) });
    expect(production['bob']).toMatchObject({ password_enabled: 'true', mfa_active: 'false', password_last_used: reportTime(new Date(NOW.getTime() - 9 * 3600_000)), access_key_1_last_rotated: reportTime(daysAgo(200)) });
    expect(production['former-contractor']).toMatchObject({ password_enabled: 'true', password_last_used: reportTime(daysAgo(62)), access_key_1_last_used_date: reportTime(daysAgo(75)) });
    expect(production['ci-deploy']).toMatchObject({ password_enabled: 'false', access_key_1_active: 'true', access_key_2_active: 'true', access_key_2_last_used_date: reportTime(daysAgo(100)) });
    expect(production['dana']).toMatchObject({ mfa_active: 'true' });
    expect(staging['<root_account>']).toMatchObject({ mfa_active: 'false', access_key_1_active: 'false' });
    expect(staging['qa-tester']).toMatchObject({ password_enabled: 'true', mfa_active: 'false' });
  });

  it('keeps Vigil\'s key as the vigil user\'s and lets it assume VigilAudit everywhere', () => {
    const vigil = iamState(world, '111111111111').users.get('vigil');
    const credential = world.credentials.get('AKIAVIGILDEMO0000001') as SandboxCredential;

    const denials = ['111111111111', '222222222222', '333333333333'].map((id) => trustDenial(findRole(world, id, 'VigilAudit') as IamRole, credential, 'vigil-demo'));

    expect(vigil?.accessKeys.map((k) => k.accessKeyId)).toEqual(['AKIAVIGILDEMO0000001']);
    expect(credential.principalArn).toBe('arn:aws:iam::111111111111:user/vigil');
    expect(denials).toEqual([undefined, undefined, undefined]);
  });

  it('plants LegacyAppRole\'s bad documents', () => {
    const legacy = findRole(world, '222222222222', 'LegacyAppRole') as IamRole;

    const problems = [...legacy.inline.values()].map((text) => policyDocumentProblem(text, 'identity'));

    expect(problems).toEqual(['Syntax errors in policy.', 'Invalid Condition type : StringEqualsAnyCase']);
  });
});
