import { describe, expect, it } from 'vitest';
import type { EvalContext, Evaluator } from '../../../src/checks/evaluator.js';
import { SERVICE_LAST_ACCESSED } from '../../../src/checks/iam/subjects.js';
import { EVALUATORS } from '../../../src/checks/registry.js';
import { CouldNotLook, fetched, notFetched, type Resource } from '../../../src/checks/resources.js';
import type { Status, Verdict } from '../../../src/core/results.js';
import { context } from '../fixtures.js';
import {
  ACCOUNT_ID,
  allow,
  authorization,
  daysAgo,
  deny,
  doc,
  group,
  hoursAgo,
  identities,
  key,
  managed,
  principal,
  ref,
  report,
  role,
  root,
  row,
  summary,
  user,
} from './fixtures.js';

// ---- an account with one identity of each interesting shape ----

const ADMIN = { ...managed('AdministratorAccess', doc(allow('*'))), arn: 'arn:aws:iam::aws:policy/AdministratorAccess', awsManaged: true };
const CI = managed('ci-deploy-policy', doc(allow(['iam:PassRole', 'ec2:RunInstances', 'lambda:UpdateFunctionCode'], '*', { Sid: 'DeployCompute' })));
// Version 1 was an administrator policy; version 2, the default, is not. Only the default is in force.
const PIPELINE = managed('pipeline-policy', { text: doc(allow('*')), isDefault: false }, { text: doc(allow(['rds:DescribeDBInstances', 's3:PutObject'], 'arn:aws:s3:::analytics/*')), isDefault: true });
const NOT_IAM = managed('everything-but-iam', doc(allow(['iam:Create*', 'iam:PassRole'], '*', { Sid: 'PipelineRoles' }), { Sid: 'EverythingButIam', Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' }, deny(['rds:DeleteDBSnapshot', 'ec2:DeleteSnapshot', 's3:DeleteObject*'], '*', { Sid: 'NeverTouchBackups' })));
const READ_ONLY = { ...managed('ReadOnlyAccess', doc(allow(['s3:Get*', 's3:List*', 'rds:Describe*', 'iam:Get*']))), arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess', awsManaged: true };
const MFA_ADMIN = managed('admin-with-mfa', doc(allow('*', '*', { Sid: 'AdminWithMfa', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } })));

const ACCOUNT = authorization({
  policies: [ADMIN, CI, PIPELINE, NOT_IAM, READ_ONLY, MFA_ADMIN],
  groups: [
    group('platform-admins', { attached: [ref(ADMIN)] }),
    group('backup-admins', { inline: [{ name: 'delete-backups', text: doc(allow(['rds:DeleteDBSnapshot', 'ec2:DeleteSnapshot'], '*', { Sid: 'DeleteSnapshots' }), allow('s3:DeleteObject', 'arn:aws:s3:::backups-dr/*', { Sid: 'DeleteBackupObjects' })) }] }),
    group('dba', { inline: [{ name: 'dba-operations', text: doc(allow(['rds:Describe*', 'rds:CreateDBSnapshot'])) }] }),
  ],
  users: [
    user('alice', { groups: ['platform-admins'] }),
    user('bob', { inline: [{ name: 's3-full-access', text: doc(allow('s3:*')) }] }),
    user('ci-deploy', { attached: [ref(CI)] }),
    user('backup-operator', { groups: ['backup-admins'] }),
    user('dana', { groups: ['dba'] }),
    user('erin', { attached: [ref(MFA_ADMIN)] }),
  ],
  roles: [
    role('BreakGlassAdmin', { attached: [ref(ADMIN)] }),
    role('PipelineRole', { attached: [ref(PIPELINE)] }),
    role('DataPipelineRole', { attached: [ref(NOT_IAM)] }),
    role('AuditRole', { attached: [ref(READ_ONLY)] }),
    role('LegacyAppRole', {
      inline: [
        { name: 'legacy-queue', text: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*",}]' },
        { name: 'legacy-uploads', text: doc(allow('s3:PutObject', 'arn:aws:s3:::uploads/*', { Condition: { StringEqualsAnyCase: { 'aws:SourceVpc': 'vpc-0legacy' } } })) },
      ],
    }),
    role('GhostRole', { attached: [{ name: 'deleted-policy', arn: `arn:aws:iam::${ACCOUNT_ID}:policy/deleted-policy` }] }),
  ],
});

const CREDENTIALS = report([
  row('alice', { passwordEnabled: true, passwordLastUsedAt: daysAgo(1), mfaActive: true }),
  row('bob', { passwordEnabled: true, passwordLastUsedAt: hoursAgo(9), passwordLastChangedAt: daysAgo(300), accessKeys: [key(1, { rotatedAt: daysAgo(200), lastUsedAt: daysAgo(3) })] }),
  row('ci-deploy', { accessKeys: [key(1, { rotatedAt: daysAgo(20), lastUsedAt: hoursAgo(1), lastUsedService: 'lambda' }), key(2, { rotatedAt: daysAgo(130), lastUsedAt: daysAgo(100), lastUsedService: 'ec2' })] }),
  row('backup-operator', { passwordEnabled: true, passwordLastUsedAt: daysAgo(62), mfaActive: true, accessKeys: [key(1, { rotatedAt: daysAgo(80), lastUsedAt: undefined }), key(2, { active: false, rotatedAt: daysAgo(400), lastUsedAt: daysAgo(399) })] }),
  row('dana', { passwordEnabled: true, passwordLastUsedAt: undefined, passwordLastChangedAt: daysAgo(10), mfaActive: true }),
]);

const { users, roles } = identities(ACCOUNT, CREDENTIALS);
const u = (name: string) => users[name] as Resource;
const p = (name: string) => principal((users[name] ?? roles[name]) as NonNullable<(typeof users)[string]>);

interface Case {
  name: string;
  evaluator: string;
  params?: Record<string, unknown>;
  resource: Resource;
  ctx?: Partial<EvalContext<Record<string, unknown>>>;
  status: Status;
  message: string | RegExp;
}

/** Runs an evaluator as the engine does: params through its schema, CouldNotLook as error. */
function judge(c: Case): Verdict {
  const evaluator = EVALUATORS.get(c.evaluator) as Evaluator<Record<string, unknown>>;
  const params = evaluator.params.parse(c.params ?? {});
  try {
    const verdicts = evaluator.evaluate(c.resource, context(params, c.ctx));
    if (Array.isArray(verdicts)) throw new Error('the access evaluators judge one verdict per identity');
    return verdicts;
  } catch (err) {
    if (err instanceof CouldNotLook) return { status: 'error', message: err.message, facts: {} };
    throw err;
  }
}

const denied = notFetched<never>('iam:GenerateCredentialReport in 222222222222: access denied (AccessDenied)');
const noSummary = notFetched<never>('iam:GetAccountSummary in 222222222222: access denied (AccessDenied)');
const ROOT = 'The root user of account 222222222222';
const BACKUPS = { allowedPrincipals: ['group/backup-admins', 'role/BreakGlassAdmin'], readers: ['role/AuditRole'], backupBuckets: ['backups-dr'] };
const lastAccessed = (services: Record<string, Date | undefined>) =>
  fetched(Object.entries(services).map(([namespace, at]) => ({ namespace, name: namespace, lastAuthenticatedAt: at })));

const CASES: Case[] = [
  // iam-root-access-keys (no not_applicable: every account has a root user, with or without keys)
  { name: 'root without keys', evaluator: 'iam-root-access-keys', resource: root(), status: 'pass', message: `${ROOT} has no access keys.` },
  {
    name: 'root with an active key',
    evaluator: 'iam-root-access-keys',
    resource: root({ accessKeys: [key(1, { rotatedAt: daysAgo(700), lastUsedAt: daysAgo(10) })] }, summary({ rootAccessKeysPresent: true })),
    status: 'fail',
    message: `${ROOT} has access key 1 (active, created 700 days ago, last used 10 days ago via s3 in us-east-1).`,
  },
  { name: 'root key created after the report', evaluator: 'iam-root-access-keys', resource: root({}, summary({ rootAccessKeysPresent: true })), status: 'fail', message: `${ROOT} has an access key, created after the latest credential report.` },
  { name: 'root key deleted since the report', evaluator: 'iam-root-access-keys', resource: root({ accessKeys: [key(1)] }, summary({ rootAccessKeysPresent: false })), status: 'pass', message: `${ROOT} has no access keys.` },
  { name: 'root key, summary unreadable', evaluator: 'iam-root-access-keys', resource: root({ accessKeys: [key(1, { active: false, lastUsedAt: undefined })] }, noSummary), status: 'fail', message: /has access key 1 \(inactive, created 30 days ago, never used\)\.$/ },
  { name: 'root keys unreadable', evaluator: 'iam-root-access-keys', resource: { ...root(), credentials: denied, summary: noSummary }, status: 'error', message: /^could not read whether it has access keys: iam:GenerateCredentialReport .*; iam:GetAccountSummary .*access denied/ },

  // iam-root-mfa
  { name: 'root with MFA', evaluator: 'iam-root-mfa', resource: root(), status: 'pass', message: `${ROOT} has MFA enabled.` },
  { name: 'root without MFA', evaluator: 'iam-root-mfa', resource: root({ mfaActive: false }, summary({ rootMfaEnabled: false })), status: 'fail', message: `${ROOT} has no MFA device.` },
  { name: 'root MFA from the report when the summary is unreadable', evaluator: 'iam-root-mfa', resource: root({ mfaActive: false }, noSummary), status: 'fail', message: `${ROOT} has no MFA device.` },
  { name: 'root credentials removed', evaluator: 'iam-root-mfa', resource: root({ passwordEnabled: false, mfaActive: false }, summary({ rootMfaEnabled: false })), status: 'not_applicable', message: /has no password and no access keys \(root credentials removed\)/ },
  { name: 'root MFA unreadable', evaluator: 'iam-root-mfa', resource: { ...root(), credentials: denied, summary: noSummary }, status: 'error', message: /^could not read the credential report: .*access denied/ },

  // iam-root-not-used (no not_applicable: a root user always has a usage record, possibly empty)
  { name: 'root signed in 20 hours ago', evaluator: 'iam-root-not-used', params: { days: 7 }, resource: root({ passwordLastUsedAt: hoursAgo(20), accessKeys: [key(1, { lastUsedAt: daysAgo(10) })] }), status: 'fail', message: `${ROOT} was used within the last 7 days: console sign-in 20 hours ago.` },
  { name: 'root key used 3 days ago', evaluator: 'iam-root-not-used', params: { days: 7 }, resource: root({ passwordLastUsedAt: daysAgo(45), accessKeys: [key(1, { lastUsedAt: daysAgo(3) })] }), status: 'fail', message: `${ROOT} was used within the last 7 days: access key 1 3 days ago.` },
  { name: 'root last used 45 days ago', evaluator: 'iam-root-not-used', params: { days: 7 }, resource: root({ passwordLastUsedAt: daysAgo(45) }), status: 'pass', message: `${ROOT} was last used 45 days ago (console sign-in).` },
  { name: 'root never used', evaluator: 'iam-root-not-used', resource: root(), status: 'pass', message: `${ROOT} has no recorded use.` },
  { name: 'root usage unreadable', evaluator: 'iam-root-not-used', resource: { ...root(), credentials: denied }, status: 'error', message: /^could not read the credential report/ },

  // iam-user-console-mfa
  { name: 'console user with MFA', evaluator: 'iam-user-console-mfa', resource: u('alice'), status: 'pass', message: 'IAM user alice signs in to the console with MFA.' },
  { name: 'console user without MFA', evaluator: 'iam-user-console-mfa', resource: u('bob'), status: 'fail', message: 'IAM user bob can sign in to the console without MFA.' },
  { name: 'no console password', evaluator: 'iam-user-console-mfa', resource: u('ci-deploy'), status: 'not_applicable', message: 'IAM user ci-deploy has no console password.' },
  { name: 'user newer than the report', evaluator: 'iam-user-console-mfa', resource: u('erin'), status: 'error', message: /^could not read the credential report: user erin is not in the credential report generated at / },

  // iam-access-key-age
  { name: 'a 200-day-old key', evaluator: 'iam-access-key-age', params: { maxAgeDays: 90 }, resource: u('bob'), status: 'fail', message: 'IAM user bob has 1 active access key older than 90 days: access key 1 (200 days).' },
  { name: 'one fresh and one old key', evaluator: 'iam-access-key-age', params: { maxAgeDays: 90 }, resource: u('ci-deploy'), status: 'fail', message: 'IAM user ci-deploy has 1 active access key older than 90 days: access key 2 (130 days).' },
  { name: 'old key inactive, active one young', evaluator: 'iam-access-key-age', params: { maxAgeDays: 90 }, resource: u('backup-operator'), status: 'pass', message: "IAM user backup-operator's active access keys are at most 90 days old: access key 1 (80 days)." },
  { name: 'no active keys', evaluator: 'iam-access-key-age', resource: u('alice'), status: 'not_applicable', message: 'IAM user alice has no active access keys.' },
  { name: 'report unreadable', evaluator: 'iam-access-key-age', resource: identities(ACCOUNT, denied).users['bob'] as Resource, status: 'error', message: /^could not read the credential report: iam:GenerateCredentialReport .*access denied/ },

  // iam-unused-credentials
  { name: 'everything used recently', evaluator: 'iam-unused-credentials', params: { maxUnusedDays: 45 }, resource: u('bob'), status: 'pass', message: 'IAM user bob used each of its credentials within the last 45 days.' },
  { name: 'a key unused for 100 days', evaluator: 'iam-unused-credentials', params: { maxUnusedDays: 45 }, resource: u('ci-deploy'), status: 'fail', message: 'IAM user ci-deploy has credentials unused for more than 45 days: access key 2 last used 100 days ago.' },
  {
    name: 'a password unused for 62 days and a key never used',
    evaluator: 'iam-unused-credentials',
    params: { maxUnusedDays: 45 },
    resource: u('backup-operator'),
    status: 'fail',
    message: 'IAM user backup-operator has credentials unused for more than 45 days: console password last used 62 days ago, access key 1 never used, set 80 days ago.',
  },
  { name: 'a fresh password never used yet', evaluator: 'iam-unused-credentials', params: { maxUnusedDays: 45 }, resource: u('dana'), status: 'pass', message: 'IAM user dana used each of its credentials within the last 45 days.' },
  { name: 'no credentials', evaluator: 'iam-unused-credentials', resource: identities(ACCOUNT, report([row('erin')])).users['erin'] as Resource, status: 'not_applicable', message: 'IAM user erin has no console password and no active access keys.' },
  { name: 'unused credentials unreadable', evaluator: 'iam-unused-credentials', resource: u('erin'), status: 'error', message: /is not in the credential report/ },

  // iam-single-active-key
  { name: 'one active key', evaluator: 'iam-single-active-key', resource: u('bob'), status: 'pass', message: 'IAM user bob has 1 active access key.' },
  { name: 'an inactive second key', evaluator: 'iam-single-active-key', resource: u('backup-operator'), status: 'pass', message: 'IAM user backup-operator has 1 active access key.' },
  {
    name: 'two active keys',
    evaluator: 'iam-single-active-key',
    resource: u('ci-deploy'),
    status: 'fail',
    message: 'IAM user ci-deploy has 2 active access keys: access key 1 (created 20 days ago, last used 1 hour ago via lambda in us-east-1), access key 2 (created 130 days ago, last used 100 days ago via ec2 in us-east-1).',
  },
  { name: 'no keys', evaluator: 'iam-single-active-key', resource: u('alice'), status: 'not_applicable', message: 'IAM user alice has no active access keys.' },
  { name: 'keys unreadable', evaluator: 'iam-single-active-key', resource: u('erin'), status: 'error', message: /is not in the credential report/ },

  // iam-no-direct-policies (no not_applicable or error: the policy list comes with the user)
  { name: 'permissions through a group', evaluator: 'iam-no-direct-policies', resource: u('alice'), status: 'pass', message: 'IAM user alice has no policies attached directly (groups: platform-admins).' },
  { name: 'an inline policy on the user', evaluator: 'iam-no-direct-policies', resource: u('bob'), status: 'fail', message: 'IAM user bob has 1 policy attached directly instead of through a group: inline policy s3-full-access.' },
  { name: 'a managed policy on the user', evaluator: 'iam-no-direct-policies', resource: u('ci-deploy'), status: 'fail', message: 'IAM user ci-deploy has 1 policy attached directly instead of through a group: managed policy ci-deploy-policy.' },

  // iam-admin-power
  { name: 'no broad power', evaluator: 'iam-admin-power', resource: p('dana'), status: 'pass', message: 'IAM user dana holds no administrative power.' },
  { name: 'a whole service on everything', evaluator: 'iam-admin-power', resource: p('bob'), status: 'fail', message: 'IAM user bob holds administrative power outside the allow-list: s3:* on every resource (inline policy s3-full-access, statement #1).' },
  {
    name: 'administrator through a group',
    evaluator: 'iam-admin-power',
    resource: p('alice'),
    status: 'fail',
    message: 'IAM user alice holds administrative power outside the allow-list: * on every resource (managed policy AdministratorAccess through group platform-admins, statement #1).',
  },
  {
    name: 'everything but IAM through NotAction, partly denied',
    evaluator: 'iam-admin-power',
    resource: p('DataPipelineRole'),
    status: 'fail',
    message:
      'IAM role DataPipelineRole holds administrative power outside the allow-list: * except iam:*, organizations:* on every resource (managed policy everything-but-iam, statement EverythingButIam; limited by managed policy everything-but-iam, statement NeverTouchBackups).',
  },
  {
    name: 'administrator under a condition',
    evaluator: 'iam-admin-power',
    resource: p('erin'),
    status: 'fail',
    message: 'IAM user erin holds administrative power outside the allow-list: * on every resource (managed policy admin-with-mfa, statement AdminWithMfa, only if Bool aws:MultiFactorAuthPresent=true).',
  },
  { name: 'an old administrator version is not in force', evaluator: 'iam-admin-power', resource: p('PipelineRole'), status: 'pass', message: 'IAM role PipelineRole holds no administrative power.' },
  { name: 'an allow-listed break-glass role', evaluator: 'iam-admin-power', params: { allowedPrincipals: ['role/BreakGlassAdmin'] }, resource: p('BreakGlassAdmin'), status: 'pass', message: 'IAM role BreakGlassAdmin may hold administrative power: it is on the allow-list (role/BreakGlassAdmin).' },
  { name: 'allow-listed through its group', evaluator: 'iam-admin-power', params: { allowedPrincipals: ['group/platform-*'] }, resource: p('alice'), status: 'pass', message: 'IAM user alice may hold administrative power: it is on the allow-list (group/platform-*).' },
  {
    name: 'malformed policies',
    evaluator: 'iam-admin-power',
    resource: p('LegacyAppRole'),
    status: 'error',
    message: /^IAM role LegacyAppRole has 2 policies Vigil cannot evaluate: inline policy legacy-queue \(it is not valid JSON: .*\); inline policy legacy-uploads \(statement #1 uses condition operator StringEqualsAnyCase, which IAM does not have\)\.$/,
  },
  { name: 'a policy missing from the snapshot', evaluator: 'iam-admin-power', resource: p('GhostRole'), status: 'error', message: 'IAM role GhostRole has 1 policy Vigil cannot evaluate: managed policy deleted-policy (it is attached but was not in the account authorization details).' },

  // iam-escalation-paths
  { name: 'no escalation path', evaluator: 'iam-escalation-paths', resource: p('dana'), status: 'pass', message: 'IAM user dana holds no privilege-escalation path (25 paths judged).' },
  {
    name: 'PassRole with compute, and function code',
    evaluator: 'iam-escalation-paths',
    resource: p('ci-deploy'),
    status: 'fail',
    message: 'IAM user ci-deploy can escalate its privileges by 2 paths outside the allow-list: passrole-ec2, lambda-update-function-code; granted by managed policy ci-deploy-policy, statement DeployCompute.',
  },
  { name: 'only the paths asked for', evaluator: 'iam-escalation-paths', params: { paths: ['create-access-key'] }, resource: p('ci-deploy'), status: 'pass', message: 'IAM user ci-deploy holds no privilege-escalation path (1 path judged).' },
  {
    name: 'IAM creation through a wildcard inside the action',
    evaluator: 'iam-escalation-paths',
    params: { paths: ['create-policy-version', 'create-access-key', 'passrole-ec2', 'attach-user-policy'] },
    resource: p('DataPipelineRole'),
    status: 'fail',
    message:
      'IAM role DataPipelineRole can escalate its privileges by 3 paths outside the allow-list: create-policy-version, create-access-key, passrole-ec2; granted by managed policy everything-but-iam, statement PipelineRoles; managed policy everything-but-iam, statement EverythingButIam.',
  },
  { name: 'an allow-listed role', evaluator: 'iam-escalation-paths', params: { allowedPrincipals: ['role/BreakGlassAdmin'] }, resource: p('BreakGlassAdmin'), status: 'pass', message: 'IAM role BreakGlassAdmin may escalate privileges: it is on the allow-list (role/BreakGlassAdmin).' },
  { name: 'nothing to judge without policies', evaluator: 'iam-escalation-paths', params: { paths: ['create-access-key'] }, resource: p('LegacyAppRole'), status: 'error', message: /^IAM role LegacyAppRole has 2 policies Vigil cannot evaluate/ },

  // iam-backup-access
  { name: 'the core group, through membership', evaluator: 'iam-backup-access', params: BACKUPS, resource: p('backup-operator'), status: 'pass', message: 'IAM user backup-operator may delete, share and read backups: it is in the core group (group/backup-admins).' },
  { name: 'no reach into backups', evaluator: 'iam-backup-access', params: BACKUPS, resource: p('dana'), status: 'pass', message: 'IAM user dana cannot delete, share or read backups.' },
  { name: 'an allowed reader', evaluator: 'iam-backup-access', params: BACKUPS, resource: p('AuditRole'), status: 'pass', message: 'IAM role AuditRole may read backups (role/AuditRole) and cannot delete or share them.' },
  { name: 'a reader not on the list', evaluator: 'iam-backup-access', params: { ...BACKUPS, readers: [] }, resource: p('AuditRole'), status: 'fail', message: 'IAM role AuditRole can reach backups outside the core group: s3:GetObject, s3:GetObjectVersion on backups-dr (managed policy ReadOnlyAccess, statement #1).' },
  {
    name: 's3:* on everything',
    evaluator: 'iam-backup-access',
    params: BACKUPS,
    resource: p('bob'),
    status: 'fail',
    message: 'IAM user bob can reach backups outside the core group: s3:DeleteObject, s3:DeleteObjectVersion, s3:DeleteBucket, s3:PutLifecycleConfiguration and 2 more on backups-dr (inline policy s3-full-access, statement #1).',
  },
  {
    name: 'NotAction with a Deny for some backup actions',
    evaluator: 'iam-backup-access',
    params: { ...BACKUPS, snapshotActions: ['rds:DeleteDBSnapshot', 'rds:ModifyDBSnapshotAttribute', 'ec2:DeleteSnapshot'], bucketDeleteActions: ['s3:DeleteObject'] },
    resource: p('DataPipelineRole'),
    status: 'fail',
    message: 'IAM role DataPipelineRole can reach backups outside the core group: rds:ModifyDBSnapshotAttribute on snapshots; s3:GetObject, s3:GetObjectVersion on backups-dr (managed policy everything-but-iam, statement EverythingButIam).',
  },
  { name: 'backup access unreadable', evaluator: 'iam-backup-access', params: BACKUPS, resource: p('GhostRole'), status: 'error', message: /^IAM role GhostRole has 1 policy Vigil cannot evaluate/ },
  { name: 'a bucket given as an ARN pattern', evaluator: 'iam-backup-access', params: { ...BACKUPS, allowedPrincipals: [], backupBuckets: ['arn:aws:s3:::backups-*'], snapshotActions: ['rds:DeleteDBSnapshot'] }, resource: p('backup-operator'), status: 'fail', message: /^IAM user backup-operator can reach backups outside the core group: rds:DeleteDBSnapshot on snapshots \(inline policy delete-backups of group backup-admins, statement DeleteSnapshots\); s3:DeleteObject on arn:aws:s3:::backups-\* \(inline policy delete-backups of group backup-admins, statement DeleteBackupObjects\)\.$/ },

  // iam-unused-services
  {
    name: 'a service unused for 100 days',
    evaluator: 'iam-unused-services',
    resource: p('ci-deploy'),
    ctx: { data: { [SERVICE_LAST_ACCESSED]: { [users['ci-deploy']?.arn as string]: lastAccessed({ ec2: daysAgo(100), iam: hoursAgo(1), lambda: hoursAgo(1) }) } } },
    status: 'fail',
    message: 'IAM user ci-deploy is granted 1 service it has not used in 90 days: ec2 (last used 100 days ago).',
  },
  {
    name: 'a service never used',
    evaluator: 'iam-unused-services',
    resource: p('DataPipelineRole'),
    ctx: { data: { [SERVICE_LAST_ACCESSED]: { [roles['DataPipelineRole']?.arn as string]: lastAccessed({ iam: undefined, s3: daysAgo(3) }) } } },
    status: 'fail',
    message: 'IAM role DataPipelineRole is granted 1 service it has not used in 90 days: iam (never used).',
  },
  { name: 'every service used', evaluator: 'iam-unused-services', resource: p('bob'), ctx: { data: { [SERVICE_LAST_ACCESSED]: { [users['bob']?.arn as string]: lastAccessed({ s3: daysAgo(3) }) } } }, status: 'pass', message: 'IAM user bob used every service it is granted within the last 90 days: s3.' },
  { name: 'granted nothing', evaluator: 'iam-unused-services', resource: p('erin'), ctx: { data: { [SERVICE_LAST_ACCESSED]: { [users['erin']?.arn as string]: lastAccessed({}) } } }, status: 'not_applicable', message: 'IAM user erin is granted no services.' },
  {
    name: 'last accessed data unreadable',
    evaluator: 'iam-unused-services',
    resource: p('bob'),
    ctx: { data: { [SERVICE_LAST_ACCESSED]: { [users['bob']?.arn as string]: notFetched('iam:GenerateServiceLastAccessedDetails in 222222222222: access denied (AccessDenied)') } } },
    status: 'error',
    message: 'could not read its service last accessed data: iam:GenerateServiceLastAccessedDetails in 222222222222: access denied (AccessDenied)',
  },
];

describe('access evaluators', () => {
  it.each(CASES)('$evaluator: $name', (c) => {
    const verdict = judge(c);

    expect(verdict.status).toBe(c.status);
    if (typeof c.message === 'string') expect(verdict.message).toBe(c.message);
    else expect(verdict.message).toMatch(c.message);
  });

  it('covers pass, fail and error for every access evaluator, and not_applicable wherever the state can arise', () => {
    const seen = new Map<string, Set<Status>>();
    for (const c of CASES) seen.set(c.evaluator, new Set([...(seen.get(c.evaluator) ?? []), c.status]));
    const noNotApplicable = new Set(['iam-root-access-keys', 'iam-root-not-used', 'iam-no-direct-policies', 'iam-admin-power', 'iam-escalation-paths', 'iam-backup-access']);
    const noError = new Set(['iam-no-direct-policies']);

    for (const [name, statuses] of seen) {
      const expected = ['pass', 'fail', 'error', 'not_applicable'].filter((s) => !(s === 'not_applicable' && noNotApplicable.has(name)) && !(s === 'error' && noError.has(name)));
      expect([name, [...statuses].sort()]).toEqual([name, expected.sort()]);
    }
    expect([...seen.keys()].sort()).toEqual([...EVALUATORS.keys()].filter((k) => k.startsWith('iam-')).sort());
  });

  it('names the identity, the policy and the statement in the facts', () => {
    const verdict = judge({ name: '', evaluator: 'iam-escalation-paths', resource: p('ci-deploy'), status: 'fail', message: '' });

    expect((verdict.facts['paths'] as Array<{ path: string; actions: Array<{ action: string; allowedBy: unknown[] }> }>)[0]).toMatchObject({
      path: 'passrole-ec2',
      actions: [
        { action: 'iam:PassRole', decision: 'allowed', allowedBy: [{ policy: 'ci-deploy-policy', policyType: 'managed', policyArn: 'arn:aws:iam::222222222222:policy/ci-deploy-policy', policyVersion: 'v1', statement: 'statement DeployCompute', statementIndex: 0, sid: 'DeployCompute' }] },
        { action: 'ec2:RunInstances', decision: 'allowed' },
      ],
    });
  });

  it('records the Deny that protects backups from an identity that otherwise could reach them', () => {
    const verdict = judge({ name: '', evaluator: 'iam-backup-access', params: BACKUPS, resource: p('DataPipelineRole'), status: 'fail', message: '' });

    expect(verdict.facts['deniedExplicitly']).toEqual(['rds:DeleteDBSnapshot on snapshots', 'ec2:DeleteSnapshot on snapshots', 's3:DeleteObject on backups-dr', 's3:DeleteObjectVersion on backups-dr']);
  });
});

describe('normalized identities', () => {
  it('gives a user its own policies and its groups\', each labelled with where it comes from', () => {
    const backupOperator = users['backup-operator'];

    expect(backupOperator?.policies.map((policy) => policy.source)).toEqual([{ name: 'delete-backups', type: 'inline', group: 'backup-admins' }]);
    expect(backupOperator?.directPolicies).toEqual([]);
  });

  it('evaluates only the default version of a managed policy', () => {
    expect(roles['PipelineRole']?.policies.map((policy) => [policy.source.versionId, policy.statements.length])).toEqual([['v2', 1]]);
  });

  it('keeps every malformed document as a typed problem naming the policy', () => {
    expect(roles['LegacyAppRole']?.problems.map((problem) => [problem.source.name, problem.kind])).toEqual([
      ['legacy-queue', 'invalid-json'],
      ['legacy-uploads', 'unknown-condition-operator'],
    ]);
  });

  it('joins users with their credential report rows', () => {
    expect(users['bob']?.credentials).toEqual(fetched({ reportGeneratedAt: hoursAgo(1), password: { lastUsedAt: hoursAgo(9), lastChangedAt: daysAgo(300) }, mfaActive: false, accessKeys: [key(1, { rotatedAt: daysAgo(200), lastUsedAt: daysAgo(3) })] }));
  });
});
