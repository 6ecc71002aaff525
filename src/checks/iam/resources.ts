/**
 * What the access checks read, in two layers. First the account's IAM as the adapter reads it (no SDK
 * types: policy documents as text, the credential report as rows); then the shapes evaluators judge
 * (src/checks/iam/normalize.ts builds them): the root user, users with their credentials, and users
 * and roles with every policy that applies to them, parsed.
 */
import type { Fetched } from '../resources.js';
import type { Policy, PolicyProblem, PolicySource } from './policy.js';

// ---- as read ----

export interface AttachedPolicyRef {
  name: string;
  arn: string;
}

/** An inline policy; `text` is the decoded JSON, undefined when it could not be read. */
export interface InlinePolicyText {
  name: string;
  text: string | undefined;
}

interface EntityDetail {
  name: string;
  arn: string;
  id: string;
  path: string;
  createdAt: Date;
  attached: AttachedPolicyRef[];
  inline: InlinePolicyText[];
}

export interface UserDetail extends EntityDetail {
  groups: string[];
  permissionsBoundary?: AttachedPolicyRef;
}

export type GroupDetail = EntityDetail;

export interface RoleDetail extends EntityDetail {
  trustPolicy?: string;
  permissionsBoundary?: AttachedPolicyRef;
  lastUsedAt?: Date;
}

export interface ManagedPolicyDetail {
  name: string;
  arn: string;
  /** AWS managed (`arn:aws:iam::aws:policy/...`) rather than the account's own. */
  awsManaged: boolean;
  defaultVersionId?: string;
  versions: Array<{ versionId: string; isDefault: boolean; text: string | undefined; createdAt?: Date }>;
}

/** GetAccountAuthorizationDetails: one snapshot of every user, group, role and managed policy. */
export interface IamAuthorization {
  accountId: string;
  users: UserDetail[];
  groups: GroupDetail[];
  roles: RoleDetail[];
  policies: ManagedPolicyDetail[];
}

export interface AccessKeyInfo {
  /** 1 or 2: the report's access_key_1 / access_key_2 columns. */
  slot: number;
  active: boolean;
  /** When the key was created or last rotated. */
  rotatedAt?: Date;
  lastUsedAt?: Date;
  lastUsedService?: string;
  lastUsedRegion?: string;
}

/** One row of the credential report. */
export interface CredentialReportRow {
  /** `<root_account>` for the root user. */
  user: string;
  arn: string;
  createdAt?: Date;
  /** The root user's column says not_supported: it always has a password. */
  passwordEnabled: boolean;
  /** Undefined when never used (or not since IAM began tracking, October 2014). */
  passwordLastUsedAt?: Date;
  passwordLastChangedAt?: Date;
  mfaActive: boolean;
  /** The keys that exist, active or not. */
  accessKeys: AccessKeyInfo[];
}

export interface CredentialReport {
  generatedAt: Date;
  root?: CredentialReportRow;
  users: CredentialReportRow[];
}

/** GetAccountSummary, as far as the checks read it. */
export interface IamAccountSummary {
  rootAccessKeysPresent: boolean;
  rootMfaEnabled: boolean;
  values: Record<string, number>;
}

/** One service of GetServiceLastAccessedDetails. */
export interface ServiceLastAccessed {
  namespace: string;
  name: string;
  /** Undefined when never used within IAM's tracking period. */
  lastAuthenticatedAt?: Date;
  lastAuthenticatedRegion?: string;
}

// ---- as judged ----

interface IdentityBase {
  accountId: string;
  name: string;
  arn: string;
  id: string;
  path: string;
  createdAt: Date;
  /** Every identity policy in force: its own, and (for users) its groups'. */
  policies: Policy[];
  /** Documents that could not be evaluated; the identity's policy results are `error` while any exist. */
  problems: PolicyProblem[];
  /** The permissions boundary, when one is set (and readable: otherwise it is a problem). */
  boundary?: Policy;
}

export interface UserCredentials {
  reportGeneratedAt: Date;
  /** Set when the user has a console password. */
  password?: { lastUsedAt?: Date; lastChangedAt?: Date };
  mfaActive: boolean;
  accessKeys: AccessKeyInfo[];
}

export interface IamUser extends IdentityBase {
  kind: 'iam-user';
  groups: string[];
  /** Policies attached to the user itself, managed or inline, rather than through a group. */
  directPolicies: PolicySource[];
  /** From the credential report, which may be unreadable or older than the user. */
  credentials: Fetched<UserCredentials>;
}

export interface IamRole extends IdentityBase {
  kind: 'iam-role';
  lastUsedAt?: Date;
}

export interface RootCredentials {
  reportGeneratedAt: Date;
  /** False only when the root user's credentials were removed (centralized root access in an organization). */
  passwordEnabled: boolean;
  passwordLastUsedAt?: Date;
  mfaActive: boolean;
  accessKeys: AccessKeyInfo[];
}

export interface IamRoot {
  kind: 'iam-root';
  accountId: string;
  arn: string;
  id: string;
  credentials: Fetched<RootCredentials>;
  /** Live counts that do not wait for the credential report. */
  summary: Fetched<IamAccountSummary>;
}

/** A user or role judged on the powers its policies grant. */
export interface IamPrincipal {
  kind: 'iam-principal';
  id: string;
  identity: IamUser | IamRole;
}

/** `user/bob`, `role/DataPipelineRole`. */
export function principalName(identity: IamUser | IamRole): string {
  return `${identity.kind === 'iam-user' ? 'user' : 'role'}/${identity.name}`;
}

/** `IAM user bob`, `IAM role DataPipelineRole`. */
export function describeIdentity(identity: IamUser | IamRole): string {
  return `IAM ${identity.kind === 'iam-user' ? 'user' : 'role'} ${identity.name}`;
}

export function describeRoot(root: { accountId: string }): string {
  return `The root user of account ${root.accountId}`;
}
