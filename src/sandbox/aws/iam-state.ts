/**
 * IAM's per-account state and how the scenario seeds it. IAM is global: one slice per account
 * (`iam:<accountId>`), whatever region a client signs for. Access keys of scenario users are also
 * registered as sandbox credentials, so they can call every emulated service as that user.
 */
import { createHash } from 'node:crypto';
import { ConfigError, type Problem } from '../../core/errors.js';
import type { AccountScenario, Scenario } from '../scenario.js';
import type { SandboxCredential, World } from '../world.js';
import { AWS_MANAGED_POLICIES, awsManagedPolicyArn, findAwsManagedPolicy } from './iam-managed-policies.js';
import { documentText, trustPolicyFor } from './iam-policy.js';
import { iamAccountScenario, type AccessKeyScenario, type IamAccountScenario, type PolicyScenario } from './iam-scenario.js';

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  status: 'Active' | 'Inactive';
  createdAt: Date;
  lastUsed?: { date: Date; service: string; region: string };
  /** Registered in `world.credentials` while the key is Active. */
  credential: SandboxCredential;
}

export interface MfaDevice {
  serialNumber: string;
  enabledAt: Date;
  virtual: boolean;
}

export interface IamUser {
  userName: string;
  userId: string;
  arn: string;
  path: string;
  createdAt: Date;
  password?: { createdAt: Date; lastUsed?: Date; resetRequired: boolean };
  mfa: MfaDevice[];
  accessKeys: AccessKey[];
  groups: string[];
  /** Managed policy ARNs. */
  attached: string[];
  /** Inline policy name -> document text. */
  inline: Map<string, string>;
  tags: Record<string, string>;
  denyActions: string[];
  /** Service namespace -> last use, or null when never used. */
  lastAccessed: Map<string, Date | null>;
}

export interface IamGroup {
  groupName: string;
  groupId: string;
  arn: string;
  path: string;
  createdAt: Date;
  attached: string[];
  inline: Map<string, string>;
  members: string[];
}

export interface IamRole {
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
  description?: string;
  createdAt: Date;
  /** The AssumeRolePolicyDocument as text. */
  trustPolicy: string;
  maxSessionDuration: number;
  attached: string[];
  inline: Map<string, string>;
  lastUsed?: { date: Date; region: string };
  /** Actions the role's sessions are denied. */
  denyActions: string[];
  tags: Record<string, string>;
  lastAccessed: Map<string, Date | null>;
}

export interface PolicyVersion {
  versionId: string;
  document: string;
  isDefault: boolean;
  createdAt: Date;
}

export interface ManagedPolicy {
  policyName: string;
  policyId: string;
  arn: string;
  path: string;
  description?: string;
  createdAt: Date;
  updatedAt: Date;
  versions: PolicyVersion[];
  awsManaged: boolean;
}

export interface IamRoot {
  arn: string;
  createdAt: Date;
  mfa?: MfaDevice;
  accessKeys: AccessKey[];
  passwordLastUsed?: Date;
}

export interface CredentialReport {
  startedAt: Date;
  /** Calls that have looked at the report since it started: generation finishes after the first. */
  polls: number;
  generatedAt?: Date;
  content?: string;
}

export interface AccessJob {
  jobId: string;
  arn: string;
  granularity: string;
  createdAt: Date;
  polls: number;
  completedAt?: Date;
}

export interface IamState {
  accountId: string;
  root: IamRoot;
  users: Map<string, IamUser>;
  groups: Map<string, IamGroup>;
  roles: Map<string, IamRole>;
  /** Customer managed policies by ARN; AWS managed ones live in the shared catalogue. */
  policies: Map<string, ManagedPolicy>;
  /** Policy ARN -> number of users, groups and roles it is attached to. */
  attachments: Map<string, number>;
  aliases: string[];
  report?: CredentialReport;
  jobs: Map<string, AccessJob>;
}

export function iamState(world: World, accountId: string): IamState {
  return world.slice(`iam:${accountId}`, () => ({
    accountId,
    root: { arn: `arn:aws:iam::${accountId}:root`, createdAt: seconds(world.account(accountId)?.joinedAt ?? world.now()), accessKeys: [] },
    users: new Map(),
    groups: new Map(),
    roles: new Map(),
    policies: new Map(),
    attachments: new Map(),
    aliases: [],
    jobs: new Map(),
  }));
}

const AWS_POLICIES = new Map(
  AWS_MANAGED_POLICIES.map((p): [string, ManagedPolicy] => [
    awsManagedPolicyArn(p),
    {
      policyName: p.name,
      policyId: p.policyId,
      arn: awsManagedPolicyArn(p),
      path: p.path,
      description: p.description,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
      versions: [{ versionId: p.defaultVersionId, document: documentText(p.document), isDefault: true, createdAt: p.updatedAt }],
      awsManaged: true,
    },
  ]),
);

export function awsManagedPolicies(): ManagedPolicy[] {
  return [...AWS_POLICIES.values()];
}

export function findPolicy(state: IamState, arn: string): ManagedPolicy | undefined {
  return state.policies.get(arn) ?? AWS_POLICIES.get(arn);
}

/** IAM timestamps have whole seconds; keeping them so makes the XML and the credential report agree. */
export function seconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Stable AWS-style ids (`AIDA` + 17 base32 characters) from a seed, so a scenario always yields the same ids. */
export function stableId(prefix: string, seed: string, length = 17): string {
  const digest = createHash('sha256').update(seed).digest();
  let body = '';
  for (let i = 0; i < length; i += 1) body += BASE32[(digest[i] as number) % 32];
  return `${prefix}${body}`;
}

const byName = (a: { name: string }, b: { name: string }) => a.name.toLowerCase().localeCompare(b.name.toLowerCase());

/** Builds each account's IAM from the scenario; throws ConfigError listing every key that clashes. */
export function seedIamState(world: World, scenario: Scenario): void {
  const problems: Problem[] = [];
  scenario.accounts.forEach((account, a) => {
    const iam = account.iam ?? iamAccountScenario.parse({});
    const state = iamState(world, account.id);
    const at = (...path: Array<string | number>) => `accounts[${a}].iam.${path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[')}`;
    state.aliases = [...iam.aliases];
    for (const policy of [...iam.policies].sort(byName)) seedPolicy(world, state, policy);
    for (const group of [...iam.groups].sort(byName)) {
      const arn = `arn:aws:iam::${account.id}:group${group.path}${group.name}`;
      state.groups.set(group.name, {
        groupName: group.name,
        groupId: stableId('AGPA', arn),
        arn,
        path: group.path,
        createdAt: seconds(world.ago(group.age)),
        attached: group.attached.map((ref) => policyArn(state, ref)),
        inline: inlineMap(group.inline),
        members: [],
      });
    }
    seedUsers(world, state, account, iam, at, problems);
    for (const role of [...iam.roles].sort(byName)) {
      const arn = `arn:aws:iam::${account.id}:role${role.path}${role.name}`;
      const lastUsed = role.lastUsed === 'never' ? undefined : typeof role.lastUsed === 'number' ? { age: role.lastUsed, region: 'us-east-1' } : role.lastUsed;
      state.roles.set(role.name, {
        roleName: role.name,
        roleId: stableId('AROA', arn),
        arn,
        path: role.path,
        description: role.description,
        createdAt: seconds(world.ago(role.age)),
        trustPolicy: documentText(role.trustPolicy ?? trustPolicyFor(role.trustedAccounts, role.externalId)),
        maxSessionDuration: role.maxSessionDuration,
        attached: role.attached.map((ref) => policyArn(state, ref)),
        inline: inlineMap(role.inline),
        lastUsed: lastUsed ? { date: seconds(world.ago(lastUsed.age)), region: lastUsed.region } : undefined,
        denyActions: role.denyActions,
        tags: role.tags,
        lastAccessed: lastAccessedMap(world, role.lastAccessed),
      });
    }
    seedRoot(world, state, account, iam, at, problems);
    for (const entity of [...state.users.values(), ...state.groups.values(), ...state.roles.values()]) {
      for (const arn of entity.attached) state.attachments.set(arn, (state.attachments.get(arn) ?? 0) + 1);
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
}

function seedPolicy(world: World, state: IamState, policy: PolicyScenario): void {
  const arn = `arn:aws:iam::${state.accountId}:policy${policy.path}${policy.name}`;
  const createdAt = seconds(world.ago(policy.age));
  const given = policy.versions ?? [{ document: policy.document ?? '', isDefault: true, age: undefined }];
  const flagged = given.findIndex((v) => v.isDefault);
  const defaultIndex = flagged >= 0 ? flagged : given.length - 1;
  const versions = given.map((v, i) => ({
    versionId: `v${i + 1}`,
    document: documentText(v.document),
    isDefault: i === defaultIndex,
    createdAt: v.age === undefined ? createdAt : seconds(world.ago(v.age)),
  }));
  state.policies.set(arn, {
    policyName: policy.name,
    policyId: stableId('ANPA', arn),
    arn,
    path: policy.path,
    description: policy.description,
    createdAt,
    updatedAt: versions.reduce((latest, v) => (v.createdAt > latest ? v.createdAt : latest), createdAt),
    versions,
    awsManaged: false,
  });
}

/** A scenario reference (name or ARN, already validated) as the ARN IAM attaches. */
function policyArn(state: IamState, ref: string): string {
  if (ref.startsWith('arn:aws:iam::aws:')) return ref;
  const name = ref.startsWith('arn:') ? (ref.split('/').pop() as string) : ref;
  const local = [...state.policies.values()].find((p) => p.policyName === name);
  if (local) return local.arn;
  const aws = findAwsManagedPolicy(name);
  if (!aws) throw new Error(`unresolved managed policy ${ref}: the scenario schema should have refused it`);
  return awsManagedPolicyArn(aws);
}

function inlineMap(inline: Record<string, string | Record<string, unknown>>): Map<string, string> {
  return new Map(Object.keys(inline).sort().map((name) => [name, documentText(inline[name] as string | Record<string, unknown>)]));
}

function lastAccessedMap(world: World, lastAccessed: Record<string, number | 'never'>): Map<string, Date | null> {
  return new Map(Object.entries(lastAccessed).map(([ns, age]) => [ns, age === 'never' ? null : seconds(world.ago(age))]));
}

type At = (...path: Array<string | number>) => string;

function seedUsers(world: World, state: IamState, account: AccountScenario, iam: IamAccountScenario, at: At, problems: Problem[]): void {
  const indexOf = new Map(iam.users.map((u, i) => [u.name, i]));
  for (const user of [...iam.users].sort(byName)) {
    const u = indexOf.get(user.name) as number;
    const arn = `arn:aws:iam::${account.id}:user${user.path}${user.name}`;
    const createdAt = seconds(world.ago(user.age));
    const password = user.console === true ? { lastUsed: 'never' as const, resetRequired: false, passwordAge: undefined } : user.console || undefined;
    const iamUser: IamUser = {
      userName: user.name,
      userId: stableId('AIDA', arn),
      arn,
      path: user.path,
      createdAt,
      password: password && {
        createdAt: password.passwordAge === undefined ? createdAt : seconds(world.ago(password.passwordAge)),
        lastUsed: password.lastUsed === 'never' ? undefined : seconds(world.ago(password.lastUsed)),
        resetRequired: password.resetRequired,
      },
      mfa: user.mfa === false ? [] : [mfaDevice(account.id, user.name, user.mfa !== 'hardware', createdAt)],
      accessKeys: [],
      groups: [...user.groups].sort(),
      attached: user.attached.map((ref) => policyArn(state, ref)),
      inline: inlineMap(user.inline),
      tags: user.tags,
      denyActions: user.denyActions,
      lastAccessed: lastAccessedMap(world, user.lastAccessed),
    };
    const owner: KeyOwner = { accountId: account.id, arn, name: user.name, type: 'user', denyActions: user.denyActions, createdAt };
    user.accessKeys.forEach((key, k) => {
      const added = seedKey(world, owner, key, k, at('users', u, 'accessKeys', k, 'accessKeyId'), problems);
      if (added) iamUser.accessKeys.push(added);
    });
    iamUser.accessKeys.push(...adoptAccountKeys(world, account, owner, iamUser.accessKeys));
    state.users.set(user.name, iamUser);
    for (const group of iamUser.groups) state.groups.get(group)?.members.push(user.name);
  }
}

function seedRoot(world: World, state: IamState, account: AccountScenario, iam: IamAccountScenario, at: At, problems: Problem[]): void {
  const root = state.root;
  if (iam.root.mfa !== false) root.mfa = mfaDevice(account.id, 'root', iam.root.mfa !== 'hardware', root.createdAt);
  root.passwordLastUsed = iam.root.passwordLastUsed === 'never' ? undefined : seconds(world.ago(iam.root.passwordLastUsed));
  const owner: KeyOwner = { accountId: account.id, arn: root.arn, name: 'root', type: 'root', denyActions: [], createdAt: root.createdAt };
  iam.root.accessKeys.forEach((key, k) => {
    const added = seedKey(world, owner, key, k, at('root', 'accessKeys', k, 'accessKeyId'), problems);
    if (added) root.accessKeys.push(added);
  });
  root.accessKeys.push(...adoptAccountKeys(world, account, owner, root.accessKeys));
}

function mfaDevice(accountId: string, userName: string, virtual: boolean, enabledAt: Date): MfaDevice {
  if (!virtual) {
    // Hardware tokens are named by the serial printed on them, e.g. GAHT12345678.
    const digits = String(createHash('sha256').update(`${accountId}:${userName}`).digest().readUInt32BE(0) % 100_000_000).padStart(8, '0');
    return { serialNumber: `GAHT${digits}`, enabledAt, virtual };
  }
  const device = userName === 'root' ? 'root-account-mfa-device' : userName;
  return { serialNumber: `arn:aws:iam::${accountId}:mfa/${device}`, enabledAt, virtual };
}

interface KeyOwner {
  accountId: string;
  arn: string;
  name: string;
  type: 'user' | 'root';
  denyActions: string[];
  createdAt: Date;
}

function seedKey(world: World, owner: KeyOwner, key: AccessKeyScenario, index: number, path: string, problems: Problem[]): AccessKey | undefined {
  const existing = key.accessKeyId ? world.credentials.get(key.accessKeyId) : undefined;
  if (existing && (existing.accountId !== owner.accountId || existing.principalName !== owner.name)) {
    problems.push({ file: 'scenario', path, message: `access key ${key.accessKeyId} already belongs to ${existing.principalArn}` });
    return undefined;
  }
  if (existing && key.secretAccessKey !== undefined && key.secretAccessKey !== existing.secretAccessKey) {
    problems.push({ file: 'scenario', path, message: `access key ${key.accessKeyId} is declared under accessKeys with a different secret` });
    return undefined;
  }
  const accessKeyId = key.accessKeyId ?? freeKeyId(world, `${owner.arn}#${index}`);
  const secretAccessKey = existing?.secretAccessKey ?? key.secretAccessKey ?? createHash('sha256').update(`secret:${accessKeyId}`).digest('base64').slice(0, 40);
  const credential: SandboxCredential = existing ?? {
    accessKeyId,
    secretAccessKey,
    accountId: owner.accountId,
    principalArn: owner.arn,
    principalName: owner.name,
    principalType: owner.type,
    denyActions: owner.denyActions,
  };
  if (existing) credential.denyActions = [...new Set([...existing.denyActions, ...owner.denyActions])];
  const created = key.age === undefined ? owner.createdAt : seconds(world.ago(key.age));
  const accessKey: AccessKey = {
    accessKeyId,
    secretAccessKey,
    status: key.active ? 'Active' : 'Inactive',
    createdAt: created,
    lastUsed: key.lastUsed === 'never' ? undefined : { date: seconds(world.ago(key.lastUsed.age)), service: key.lastUsed.service, region: key.lastUsed.region },
    credential,
  };
  if (key.active) world.credentials.set(accessKeyId, credential);
  else world.credentials.delete(accessKeyId);
  return accessKey;
}

/** Keys from the account's `accessKeys` list that belong to this user (or root) and the IAM scenario does not describe. */
function adoptAccountKeys(world: World, account: AccountScenario, owner: KeyOwner, described: AccessKey[]): AccessKey[] {
  return account.accessKeys
    .filter((key) => key.user === owner.name && !described.some((d) => d.accessKeyId === key.accessKeyId))
    .map((key) => ({
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      status: 'Active' as const,
      createdAt: owner.createdAt,
      credential: world.credentials.get(key.accessKeyId) as SandboxCredential,
    }));
}

/** A key id derived from its owner, skipping any the scenario's `accessKeys` already use. */
function freeKeyId(world: World, seed: string): string {
  for (let attempt = 0; ; attempt += 1) {
    const id = stableId('AKIA', `${seed}:${attempt}`, 16);
    if (!world.credentials.has(id)) return id;
  }
}
