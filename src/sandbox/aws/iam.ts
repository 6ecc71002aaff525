/**
 * IAM (awsQuery, global: clients sign for us-east-1, state is per account). Users, groups, roles,
 * managed and inline policies, access keys and MFA, and the account-wide reports auditors read. Roles
 * are also what STS AssumeRole resolves against: their trust policy decides who may assume them.
 */
import { randomBytes } from 'node:crypto';
import type { Scenario } from '../scenario.js';
import type { SandboxCredential, World } from '../world.js';
import { AwsError, queryBool, queryList, queryString, xmlList } from './protocol.js';
import type { AwsCall, AwsServiceEmulator, OperationHandler } from './service.js';
import { encodeDocument, policyDocumentProblem, trustPolicyDenial } from './iam-policy.js';
import { accountSummary, credentialReportCsv, servicesLastAccessed, type AccessEntity } from './iam-reports.js';
import {
  accessKeyShape, attachedShape, findGroup, findRoleOrFail, findUser, groupShape, inlineList, listResult, noSuchEntity,
  paginate, policyShape, required, roleLastUsed, roleShape, userShape, validationError, versionShape, withPathPrefix,
} from './iam-shapes.js';
import {
  awsManagedPolicies, findPolicy, iamState, seconds, seedIamState, stableId,
  type AccessKey, type IamGroup, type IamRole, type IamState, type IamUser, type ManagedPolicy,
} from './iam-state.js';

export { iamAccountScenario } from './iam-scenario.js';
export type { IamRole } from './iam-state.js';

export function seedIam(world: World, scenario: Scenario): void {
  seedIamState(world, scenario);
}

export function findRole(world: World, accountId: string, roleName: string): IamRole | undefined {
  return iamState(world, accountId).roles.get(roleName);
}

/** Why the role's trust policy refuses this caller, or undefined when it allows it. */
export function trustDenial(role: IamRole, caller: SandboxCredential, externalId: string | undefined): string | undefined {
  return trustPolicyDenial(role.trustPolicy, caller, externalId);
}

/** For STS: a session of the role was created, which GetRole's RoleLastUsed then shows. */
export function recordRoleUse(world: World, accountId: string, roleName: string, region: string): void {
  const role = findRole(world, accountId, roleName);
  if (role) role.lastUsed = { date: seconds(world.now()), region };
}

/** A credential report is kept 4 hours; after that GetCredentialReport answers ReportExpired. */
const REPORT_LIFETIME_MS = 4 * 3600 * 1000;

const state = (call: AwsCall): IamState => iamState(call.world, call.account.id);

type KeyOwner = { kind: 'user'; user: IamUser } | { kind: 'root' };

/** Operations whose UserName is optional act on the caller: a user, or the root user. */
function keyOwner(call: AwsCall, iam: IamState): KeyOwner {
  const name = queryString(call.params, 'UserName');
  if (name) return { kind: 'user', user: findUser(iam, name) };
  if (call.credential.principalType === 'user') return { kind: 'user', user: findUser(iam, call.credential.principalName) };
  if (call.credential.principalType === 'root') return { kind: 'root' };
  throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials', 400);
}

function keysOf(owner: KeyOwner, iam: IamState): AccessKey[] {
  return owner.kind === 'user' ? owner.user.accessKeys : iam.root.accessKeys;
}

function findKey(keys: AccessKey[], accessKeyId: string): AccessKey {
  const key = keys.find((k) => k.accessKeyId === accessKeyId);
  if (!key) throw noSuchEntity(`The Access Key with id ${accessKeyId} cannot be found.`);
  return key;
}

function findManagedPolicy(iam: IamState, arn: string): ManagedPolicy {
  const policy = findPolicy(iam, arn);
  if (!policy) throw noSuchEntity(`Policy ${arn} was not found.`);
  return policy;
}

const sortedNames = (inline: Map<string, string>) => [...inline.keys()].sort();

function inlineDocument(inline: Map<string, string>, policyName: string, kind: 'user' | 'role' | 'group'): string {
  const text = inline.get(policyName);
  if (text === undefined) throw noSuchEntity(`The ${kind} policy with name ${policyName} cannot be found.`);
  return text;
}

function attachedList(call: AwsCall, iam: IamState, arns: string[]) {
  const policies = withPathPrefix(arns.map((arn) => ({ arn, path: findPolicy(iam, arn)?.path ?? '/' })), call.params);
  return listResult('AttachedPolicies', paginate(policies, call.params), (p) => attachedShape(iam, p.arn));
}

function userDetail(iam: IamState, user: IamUser) {
  return {
    ...userShape(user, true),
    PasswordLastUsed: undefined,
    UserPolicyList: inlineList(user.inline),
    GroupList: xmlList(user.groups),
    AttachedManagedPolicies: xmlList(user.attached.map((arn) => attachedShape(iam, arn))),
  };
}

function groupDetail(iam: IamState, group: IamGroup) {
  return {
    ...groupShape(group),
    GroupPolicyList: inlineList(group.inline),
    AttachedManagedPolicies: xmlList(group.attached.map((arn) => attachedShape(iam, arn))),
  };
}

function roleDetail(iam: IamState, role: IamRole) {
  const { Description: _description, MaxSessionDuration: _max, ...base } = roleShape(role, true);
  return {
    ...base,
    InstanceProfileList: xmlList([]),
    RolePolicyList: inlineList(role.inline),
    AttachedManagedPolicies: xmlList(role.attached.map((arn) => attachedShape(iam, arn))),
    RoleLastUsed: roleLastUsed(role),
  };
}

function policyDetail(iam: IamState, policy: ManagedPolicy) {
  return { ...policyShape(iam, policy, true), PolicyVersionList: xmlList(policy.versions.map((v) => versionShape(v, true))) };
}

const AUTHORIZATION_FILTERS = ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'];

type Detail = { kind: 'user'; user: IamUser } | { kind: 'group'; group: IamGroup } | { kind: 'role'; role: IamRole } | { kind: 'policy'; policy: ManagedPolicy };

/** Every entity, in the order pages walk them: users, groups, roles, then policies (AWS ones only when attached). */
function authorizationEntries(iam: IamState, filters: string[]): Detail[] {
  const wants = (f: string) => filters.length === 0 || filters.includes(f);
  const policies = [
    ...(wants('LocalManagedPolicy') ? [...iam.policies.values()] : []),
    ...(wants('AWSManagedPolicy') ? awsManagedPolicies().filter((p) => (iam.attachments.get(p.arn) ?? 0) > 0) : []),
  ];
  return [
    ...(wants('User') ? [...iam.users.values()].map((user): Detail => ({ kind: 'user', user })) : []),
    ...(wants('Group') ? [...iam.groups.values()].map((group): Detail => ({ kind: 'group', group })) : []),
    ...(wants('Role') ? [...iam.roles.values()].map((role): Detail => ({ kind: 'role', role })) : []),
    ...policies.map((policy): Detail => ({ kind: 'policy', policy })),
  ];
}

const ENTITY_ARN = /^arn:aws:iam::(\d{12}|aws):(user|group|role|policy)(\/(?:.*\/)?)([^/]+)$/;

/** The user, group, role or policy an ARN names in this account, for service last accessed jobs. */
function accessEntity(iam: IamState, arn: string): AccessEntity {
  const match = ENTITY_ARN.exec(arn);
  if (!match || (match[1] !== iam.accountId && !(match[1] === 'aws' && match[2] === 'policy'))) throw new AwsError('InvalidInput', `ARN ${arn} is not valid.`, 400);
  const [, , kind, , name] = match as unknown as [string, string, string, string, string];
  const notFound = () => noSuchEntity(`The entity ${arn} cannot be found.`);
  switch (kind) {
    case 'user': {
      const user = iam.users.get(name);
      if (user?.arn !== arn) throw notFound();
      return { kind: 'user', user };
    }
    case 'group': {
      const group = iam.groups.get(name);
      if (group?.arn !== arn) throw notFound();
      return { kind: 'group', group };
    }
    case 'role': {
      const role = iam.roles.get(name);
      if (role?.arn !== arn) throw notFound();
      return { kind: 'role', role };
    }
    default:
      if (!findPolicy(iam, arn)) throw notFound();
      return { kind: 'policy', arn };
  }
}

function putInlinePolicy(call: AwsCall, inline: Map<string, string>): undefined {
  const policyName = required(call.params, 'PolicyName');
  const document = required(call.params, 'PolicyDocument');
  if (!/^[\w+=,.@-]{1,128}$/.test(policyName)) throw validationError(`Value '${policyName}' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`);
  const problem = policyDocumentProblem(document, 'identity');
  if (problem) throw new AwsError('MalformedPolicyDocument', problem, 400);
  inline.set(policyName, document);
  return undefined;
}

function setKeyStatus(world: World, key: AccessKey, status: 'Active' | 'Inactive'): void {
  key.status = status;
  // An inactive key no longer authenticates: AWS answers InvalidClientTokenId.
  if (status === 'Active') world.credentials.set(key.accessKeyId, key.credential);
  else world.credentials.delete(key.accessKeyId);
}

const operations: Record<string, OperationHandler> = {
  ListUsers: (call) => listResult('Users', paginate(withPathPrefix([...state(call).users.values()], call.params), call.params), (u) => userShape(u)),
  ListRoles: (call) => listResult('Roles', paginate(withPathPrefix([...state(call).roles.values()], call.params), call.params), (r) => roleShape(r)),
  ListGroups: (call) => listResult('Groups', paginate(withPathPrefix([...state(call).groups.values()], call.params), call.params), groupShape),

  ListPolicies: (call) => {
    const iam = state(call);
    const scope = queryString(call.params, 'Scope') ?? 'All';
    if (!['All', 'AWS', 'Local'].includes(scope)) throw validationError(`Value '${scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]`);
    const onlyAttached = queryBool(call.params, 'OnlyAttached') ?? false;
    const policies = [...(scope === 'AWS' ? [] : iam.policies.values()), ...(scope === 'Local' ? [] : awsManagedPolicies())]
      .filter((p) => !onlyAttached || (iam.attachments.get(p.arn) ?? 0) > 0)
      .sort((a, b) => a.policyName.localeCompare(b.policyName));
    return listResult('Policies', paginate(withPathPrefix(policies, call.params), call.params), (p) => policyShape(iam, p));
  },

  GetUser: (call) => {
    const iam = state(call);
    const owner = keyOwner(call, iam);
    if (owner.kind === 'user') return { User: userShape(owner.user, true) };
    return { User: { UserId: iam.accountId, Arn: iam.root.arn, CreateDate: iam.root.createdAt, PasswordLastUsed: iam.root.passwordLastUsed } };
  },
  GetRole: (call) => ({ Role: roleShape(findRoleOrFail(state(call), required(call.params, 'RoleName')), true) }),
  GetGroup: (call) => {
    const iam = state(call);
    const group = findGroup(iam, required(call.params, 'GroupName'));
    const members = group.members.map((name) => iam.users.get(name) as IamUser);
    return { Group: groupShape(group), ...listResult('Users', paginate(members, call.params), (u) => userShape(u)) };
  },

  GetPolicy: (call) => {
    const iam = state(call);
    return { Policy: policyShape(iam, findManagedPolicy(iam, required(call.params, 'PolicyArn')), true) };
  },
  GetPolicyVersion: (call) => {
    const policy = findManagedPolicy(state(call), required(call.params, 'PolicyArn'));
    const versionId = required(call.params, 'VersionId');
    const version = policy.versions.find((v) => v.versionId === versionId);
    if (!version) throw noSuchEntity(`Policy ${policy.arn} version ${versionId} does not exist or is not attachable.`);
    return { PolicyVersion: versionShape(version, true) };
  },
  ListPolicyVersions: (call) => {
    const policy = findManagedPolicy(state(call), required(call.params, 'PolicyArn'));
    // Newest first, as IAM lists them.
    return listResult('Versions', paginate([...policy.versions].reverse(), call.params), (v) => versionShape(v, false));
  },
  ListEntitiesForPolicy: (call) => {
    const iam = state(call);
    const arn = findManagedPolicy(iam, required(call.params, 'PolicyArn')).arn;
    const filter = queryString(call.params, 'EntityFilter');
    const wants = (kind: string) => filter === undefined || filter === kind;
    type Holder = { kind: 'group'; group: IamGroup } | { kind: 'user'; user: IamUser } | { kind: 'role'; role: IamRole };
    const holders: Holder[] = [
      ...(wants('Group') ? [...iam.groups.values()].filter((g) => g.attached.includes(arn)).map((group): Holder => ({ kind: 'group', group })) : []),
      ...(wants('User') ? [...iam.users.values()].filter((u) => u.attached.includes(arn)).map((user): Holder => ({ kind: 'user', user })) : []),
      ...(wants('Role') ? [...iam.roles.values()].filter((r) => r.attached.includes(arn)).map((role): Holder => ({ kind: 'role', role })) : []),
    ];
    const page = paginate(holders, call.params);
    return {
      PolicyGroups: xmlList(page.items.flatMap((h) => (h.kind === 'group' ? [{ GroupName: h.group.groupName, GroupId: h.group.groupId }] : []))),
      PolicyUsers: xmlList(page.items.flatMap((h) => (h.kind === 'user' ? [{ UserName: h.user.userName, UserId: h.user.userId }] : []))),
      PolicyRoles: xmlList(page.items.flatMap((h) => (h.kind === 'role' ? [{ RoleName: h.role.roleName, RoleId: h.role.roleId }] : []))),
      IsTruncated: page.IsTruncated,
      Marker: page.Marker,
    };
  },

  ListAttachedUserPolicies: (call) => attachedList(call, state(call), findUser(state(call), required(call.params, 'UserName')).attached),
  ListAttachedRolePolicies: (call) => attachedList(call, state(call), findRoleOrFail(state(call), required(call.params, 'RoleName')).attached),
  ListAttachedGroupPolicies: (call) => attachedList(call, state(call), findGroup(state(call), required(call.params, 'GroupName')).attached),

  ListUserPolicies: (call) => listResult('PolicyNames', paginate(sortedNames(findUser(state(call), required(call.params, 'UserName')).inline), call.params), (n) => n),
  ListRolePolicies: (call) => listResult('PolicyNames', paginate(sortedNames(findRoleOrFail(state(call), required(call.params, 'RoleName')).inline), call.params), (n) => n),
  ListGroupPolicies: (call) => listResult('PolicyNames', paginate(sortedNames(findGroup(state(call), required(call.params, 'GroupName')).inline), call.params), (n) => n),

  GetUserPolicy: (call) => {
    const user = findUser(state(call), required(call.params, 'UserName'));
    const policyName = required(call.params, 'PolicyName');
    return { UserName: user.userName, PolicyName: policyName, PolicyDocument: encodeDocument(inlineDocument(user.inline, policyName, 'user')) };
  },
  GetRolePolicy: (call) => {
    const role = findRoleOrFail(state(call), required(call.params, 'RoleName'));
    const policyName = required(call.params, 'PolicyName');
    return { RoleName: role.roleName, PolicyName: policyName, PolicyDocument: encodeDocument(inlineDocument(role.inline, policyName, 'role')) };
  },
  GetGroupPolicy: (call) => {
    const group = findGroup(state(call), required(call.params, 'GroupName'));
    const policyName = required(call.params, 'PolicyName');
    return { GroupName: group.groupName, PolicyName: policyName, PolicyDocument: encodeDocument(inlineDocument(group.inline, policyName, 'group')) };
  },
  PutUserPolicy: (call) => putInlinePolicy(call, findUser(state(call), required(call.params, 'UserName')).inline),
  PutRolePolicy: (call) => putInlinePolicy(call, findRoleOrFail(state(call), required(call.params, 'RoleName')).inline),
  PutGroupPolicy: (call) => putInlinePolicy(call, findGroup(state(call), required(call.params, 'GroupName')).inline),

  CreatePolicy: (call) => {
    const iam = state(call);
    const policyName = required(call.params, 'PolicyName');
    const document = required(call.params, 'PolicyDocument');
    const path = queryString(call.params, 'Path') ?? '/';
    const arn = `arn:aws:iam::${iam.accountId}:policy${path}${policyName}`;
    if ([...iam.policies.values()].some((p) => p.policyName === policyName)) {
      throw new AwsError('EntityAlreadyExists', `A policy called ${policyName} already exists. Duplicate names are not allowed.`, 409);
    }
    const problem = policyDocumentProblem(document, 'identity');
    if (problem) throw new AwsError('MalformedPolicyDocument', problem, 400);
    const now = seconds(call.world.now());
    const policy: ManagedPolicy = {
      policyName, policyId: stableId('ANPA', arn), arn, path, description: queryString(call.params, 'Description'),
      createdAt: now, updatedAt: now, versions: [{ versionId: 'v1', document, isDefault: true, createdAt: now }], awsManaged: false,
    };
    iam.policies.set(arn, policy);
    return { Policy: policyShape(iam, policy) };
  },

  ListGroupsForUser: (call) => {
    const iam = state(call);
    const user = findUser(iam, required(call.params, 'UserName'));
    return listResult('Groups', paginate(user.groups.map((g) => iam.groups.get(g) as IamGroup), call.params), groupShape);
  },

  ListAccessKeys: (call) => {
    const iam = state(call);
    const owner = keyOwner(call, iam);
    const userName = owner.kind === 'user' ? owner.user.userName : undefined;
    return listResult('AccessKeyMetadata', paginate(keysOf(owner, iam), call.params), (k) => accessKeyShape(k, userName));
  },
  GetAccessKeyLastUsed: (call) => {
    const iam = state(call);
    const accessKeyId = required(call.params, 'AccessKeyId');
    const owners = [{ name: undefined as string | undefined, keys: iam.root.accessKeys }, ...[...iam.users.values()].map((u) => ({ name: u.userName as string | undefined, keys: u.accessKeys }))];
    for (const owner of owners) {
      const key = owner.keys.find((k) => k.accessKeyId === accessKeyId);
      if (!key) continue;
      const used = key.lastUsed;
      return { UserName: owner.name, AccessKeyLastUsed: { LastUsedDate: used?.date, ServiceName: used?.service ?? 'N/A', Region: used?.region ?? 'N/A' } };
    }
    // AWS does not confirm that a key outside the account exists.
    throw new AwsError('AccessDenied', `User: ${call.credential.principalArn} is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key ${accessKeyId}`, 403);
  },
  CreateAccessKey: (call) => {
    const iam = state(call);
    const owner = keyOwner(call, iam);
    const keys = keysOf(owner, iam);
    if (keys.length >= 2) throw new AwsError('LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2', 409);
    const user = owner.kind === 'user' ? owner.user : undefined;
    const key: AccessKey = {
      accessKeyId: call.world.accessKeyId('AKIA'),
      secretAccessKey: randomBytes(30).toString('base64'),
      status: 'Active',
      createdAt: seconds(call.world.now()),
      credential: undefined as unknown as SandboxCredential,
    };
    key.credential = {
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      accountId: iam.accountId,
      principalArn: user?.arn ?? iam.root.arn,
      principalName: user?.userName ?? 'root',
      principalType: user ? 'user' : 'root',
      denyActions: user?.denyActions ?? [],
    };
    keys.push(key);
    call.world.credentials.set(key.accessKeyId, key.credential);
    return { AccessKey: { UserName: user?.userName, AccessKeyId: key.accessKeyId, Status: key.status, SecretAccessKey: key.secretAccessKey, CreateDate: key.createdAt } };
  },
  UpdateAccessKey: (call) => {
    const iam = state(call);
    const status = required(call.params, 'Status');
    if (status !== 'Active' && status !== 'Inactive') throw validationError(`Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`);
    setKeyStatus(call.world, findKey(keysOf(keyOwner(call, iam), iam), required(call.params, 'AccessKeyId')), status);
    return undefined;
  },
  DeleteAccessKey: (call) => {
    const iam = state(call);
    const keys = keysOf(keyOwner(call, iam), iam);
    const key = findKey(keys, required(call.params, 'AccessKeyId'));
    keys.splice(keys.indexOf(key), 1);
    call.world.credentials.delete(key.accessKeyId);
    return undefined;
  },

  ListMFADevices: (call) => {
    const iam = state(call);
    const owner = keyOwner(call, iam);
    const devices = owner.kind === 'user' ? owner.user.mfa : iam.root.mfa ? [iam.root.mfa] : [];
    const userName = owner.kind === 'user' ? owner.user.userName : undefined;
    return listResult('MFADevices', paginate(devices, call.params), (d) => ({ UserName: userName, SerialNumber: d.serialNumber, EnableDate: d.enabledAt }));
  },
  ListVirtualMFADevices: (call) => {
    const iam = state(call);
    const status = queryString(call.params, 'AssignmentStatus') ?? 'Any';
    if (!['Assigned', 'Unassigned', 'Any'].includes(status)) throw validationError(`Value '${status}' at 'assignmentStatus' failed to satisfy constraint: Member must satisfy enum value set: [Assigned, Unassigned, Any]`);
    const root = iam.root.mfa?.virtual
      ? [{ SerialNumber: iam.root.mfa.serialNumber, User: { UserId: iam.accountId, Arn: iam.root.arn, CreateDate: iam.root.createdAt, PasswordLastUsed: iam.root.passwordLastUsed }, EnableDate: iam.root.mfa.enabledAt }]
      : [];
    const users = [...iam.users.values()].flatMap((u) => u.mfa.filter((d) => d.virtual).map((d) => ({ SerialNumber: d.serialNumber, User: userShape(u), EnableDate: d.enabledAt })));
    // Every device the scenario creates is assigned to someone.
    const devices = status === 'Unassigned' ? [] : [...root, ...users].sort((a, b) => a.SerialNumber.localeCompare(b.SerialNumber));
    return listResult('VirtualMFADevices', paginate(devices, call.params), (d) => d);
  },
  GetLoginProfile: (call) => {
    const iam = state(call);
    const owner = keyOwner(call, iam);
    if (owner.kind === 'root') return { LoginProfile: { CreateDate: iam.root.createdAt, PasswordResetRequired: false } };
    const password = owner.user.password;
    if (!password) throw noSuchEntity(`Login Profile for User ${owner.user.userName} cannot be found.`);
    return { LoginProfile: { UserName: owner.user.userName, CreateDate: password.createdAt, PasswordResetRequired: password.resetRequired } };
  },

  GetAccountSummary: (call) => ({
    SummaryMap: { entry: Object.entries(accountSummary(state(call))).map(([key, value]) => ({ key, value })) },
  }),
  ListAccountAliases: (call) => listResult('AccountAliases', paginate(state(call).aliases, call.params), (a) => a),

  GetAccountAuthorizationDetails: (call) => {
    const iam = state(call);
    const filters = queryList(call.params, 'Filter').map(String);
    const unknown = filters.filter((f) => !AUTHORIZATION_FILTERS.includes(f));
    if (unknown.length > 0) throw validationError(`Value '[${filters.join(', ')}]' at 'filter' failed to satisfy constraint: Member must satisfy enum value set: [${AUTHORIZATION_FILTERS.join(', ')}]`);
    const page = paginate(authorizationEntries(iam, filters), call.params);
    return {
      UserDetailList: xmlList(page.items.flatMap((d) => (d.kind === 'user' ? [userDetail(iam, d.user)] : []))),
      GroupDetailList: xmlList(page.items.flatMap((d) => (d.kind === 'group' ? [groupDetail(iam, d.group)] : []))),
      RoleDetailList: xmlList(page.items.flatMap((d) => (d.kind === 'role' ? [roleDetail(iam, d.role)] : []))),
      Policies: xmlList(page.items.flatMap((d) => (d.kind === 'policy' ? [policyDetail(iam, d.policy)] : []))),
      IsTruncated: page.IsTruncated,
      Marker: page.Marker,
    };
  },

  GenerateCredentialReport: (call) => {
    const iam = state(call);
    const now = call.world.now();
    const report = iam.report;
    if (!report || (report.generatedAt && now.getTime() - report.generatedAt.getTime() > REPORT_LIFETIME_MS)) {
      iam.report = { startedAt: now, polls: 0 };
      return { State: 'STARTED', Description: 'No report exists. Starting a new report generation task' };
    }
    // Generation finishes by the first poll after it started.
    if (!report.generatedAt) finishReport(call.world, iam);
    return { State: 'COMPLETE' };
  },
  GetCredentialReport: (call) => {
    const iam = state(call);
    const report = iam.report;
    if (!report) throw new AwsError('ReportNotPresent', 'Credential report not present. To generate a credential report, use GenerateCredentialReport.', 410);
    if (!report.generatedAt) {
      report.polls += 1;
      if (report.polls === 1) throw new AwsError('ReportInProgress', 'Credential report is being generated.', 404);
      finishReport(call.world, iam);
    }
    const generatedAt = iam.report?.generatedAt as Date;
    if (call.world.now().getTime() - generatedAt.getTime() > REPORT_LIFETIME_MS) {
      throw new AwsError('ReportExpired', 'The credential report has expired. To generate a new credential report, use GenerateCredentialReport.', 410);
    }
    return { Content: Buffer.from(iam.report?.content ?? '').toString('base64'), ReportFormat: 'text/csv', GeneratedTime: generatedAt };
  },

  GenerateServiceLastAccessedDetails: (call) => {
    const iam = state(call);
    const arn = required(call.params, 'Arn');
    const granularity = queryString(call.params, 'Granularity') ?? 'SERVICE_LEVEL';
    if (granularity !== 'SERVICE_LEVEL' && granularity !== 'ACTION_LEVEL') throw validationError(`Value '${granularity}' at 'granularity' failed to satisfy constraint: Member must satisfy enum value set: [SERVICE_LEVEL, ACTION_LEVEL]`);
    accessEntity(iam, arn);
    const jobId = call.world.requestId();
    iam.jobs.set(jobId, { jobId, arn, granularity, createdAt: seconds(call.world.now()), polls: 0 });
    return { JobId: jobId };
  },
  GetServiceLastAccessedDetails: (call) => {
    const iam = state(call);
    const jobId = required(call.params, 'JobId');
    const job = iam.jobs.get(jobId);
    if (!job) throw noSuchEntity(`No such job found for job ID ${jobId}.`);
    job.polls += 1;
    // Like the credential report, the job is seen running once, then done.
    if (job.polls === 1) return { JobStatus: 'IN_PROGRESS', JobType: job.granularity, JobCreationDate: job.createdAt, ServicesLastAccessed: xmlList([]) };
    job.completedAt ??= seconds(call.world.now());
    const page = paginate(servicesLastAccessed(iam, accessEntity(iam, job.arn)), call.params);
    return {
      JobStatus: 'COMPLETED',
      JobType: job.granularity,
      JobCreationDate: job.createdAt,
      JobCompletionDate: job.completedAt,
      ...listResult('ServicesLastAccessed', page, (s) => s),
    };
  },
};

function finishReport(world: World, iam: IamState): void {
  if (!iam.report) return;
  iam.report.generatedAt = seconds(world.now());
  iam.report.content = credentialReportCsv(iam);
}

export const iam: AwsServiceEmulator = {
  signingName: 'iam',
  protocol: 'query',
  xmlNamespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
  throttlingError: { code: 'Throttling', status: 400 },
  accessDeniedError: { code: 'AccessDenied', status: 403 },
  operations,
};
