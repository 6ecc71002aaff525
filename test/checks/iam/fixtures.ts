/** Builders for an account's IAM as read, so access tests read as data. */
import { identitiesOf, rootOf } from '../../../src/checks/iam/normalize.js';
import type {
  AccessKeyInfo,
  CredentialReport,
  CredentialReportRow,
  GroupDetail,
  IamAccountSummary,
  IamAuthorization,
  IamPrincipal,
  IamRole,
  IamRoot,
  IamUser,
  ManagedPolicyDetail,
  RoleDetail,
  UserDetail,
} from '../../../src/checks/iam/resources.js';
import { fetched, type Fetched } from '../../../src/checks/resources.js';
import { DAY_MS, HOUR_MS } from '../../../src/core/clock.js';
import { NOW } from '../fixtures.js';

export { NOW };
export const ACCOUNT_ID = '222222222222';
export const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY_MS);
export const hoursAgo = (n: number) => new Date(NOW.getTime() - n * HOUR_MS);

export const doc = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });
export const allow = (Action: unknown, Resource: unknown = '*', extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Action, Resource, ...extra });
export const deny = (Action: unknown, Resource: unknown = '*', extra: Record<string, unknown> = {}) => ({ Effect: 'Deny', Action, Resource, ...extra });

const arn = (kind: string, name: string) => `arn:aws:iam::${ACCOUNT_ID}:${kind}/${name}`;

export function user(name: string, overrides: Partial<UserDetail> = {}): UserDetail {
  return { name, arn: arn('user', name), id: `AIDA${name.toUpperCase()}`, path: '/', createdAt: daysAgo(400), groups: [], attached: [], inline: [], ...overrides };
}

export function group(name: string, overrides: Partial<GroupDetail> = {}): GroupDetail {
  return { name, arn: arn('group', name), id: `AGPA${name.toUpperCase()}`, path: '/', createdAt: daysAgo(600), attached: [], inline: [], ...overrides };
}

export function role(name: string, overrides: Partial<RoleDetail> = {}): RoleDetail {
  return { name, arn: arn('role', name), id: `AROA${name.toUpperCase()}`, path: '/', createdAt: daysAgo(300), attached: [], inline: [], ...overrides };
}

/** A customer managed policy; the last version is the default unless one says otherwise. */
export function managed(name: string, ...versions: Array<string | { text: string; isDefault: boolean }>): ManagedPolicyDetail {
  const list = versions.map((v, i) => ({ versionId: `v${i + 1}`, isDefault: typeof v === 'string' ? i === versions.length - 1 : v.isDefault, text: typeof v === 'string' ? v : v.text }));
  return { name, arn: arn('policy', name), awsManaged: false, defaultVersionId: list.find((v) => v.isDefault)?.versionId, versions: list };
}

export const ref = (policy: ManagedPolicyDetail) => ({ name: policy.name, arn: policy.arn });

export function authorization(parts: Partial<IamAuthorization>): IamAuthorization {
  return { accountId: ACCOUNT_ID, users: [], groups: [], roles: [], policies: [], ...parts };
}

export function key(slot: number, overrides: Partial<AccessKeyInfo> = {}): AccessKeyInfo {
  return { slot, active: true, rotatedAt: daysAgo(30), lastUsedAt: daysAgo(1), lastUsedService: 's3', lastUsedRegion: 'us-east-1', ...overrides };
}

export function row(name: string, overrides: Partial<CredentialReportRow> = {}): CredentialReportRow {
  return { user: name, arn: arn('user', name), createdAt: daysAgo(400), passwordEnabled: false, mfaActive: false, accessKeys: [], ...overrides };
}

export function report(rows: CredentialReportRow[], root?: Partial<CredentialReportRow>): Fetched<CredentialReport> {
  return fetched({ generatedAt: hoursAgo(1), root: { ...row('<root_account>', { arn: `arn:aws:iam::${ACCOUNT_ID}:root`, passwordEnabled: true, mfaActive: true }), ...root }, users: rows });
}

/** Normalizes an account and returns its users and roles by name. */
export function identities(auth: IamAuthorization, credentials: Fetched<CredentialReport> = report([])): { users: Record<string, IamUser>; roles: Record<string, IamRole> } {
  const { users, roles } = identitiesOf(auth, credentials);
  return { users: Object.fromEntries(users.map((u) => [u.name, u])), roles: Object.fromEntries(roles.map((r) => [r.name, r])) };
}

export function principal(identity: IamUser | IamRole): IamPrincipal {
  return { kind: 'iam-principal', id: identity.arn, identity };
}

export function summary(overrides: Partial<IamAccountSummary> = {}): Fetched<IamAccountSummary> {
  return fetched({ rootAccessKeysPresent: false, rootMfaEnabled: true, values: {}, ...overrides });
}

export function root(credentials: Partial<CredentialReportRow> = {}, accountSummary: Fetched<IamAccountSummary> = summary()): IamRoot {
  return rootOf(ACCOUNT_ID, report([], credentials), accountSummary);
}
