/**
 * IAM's wire shapes (as @aws-sdk/client-iam's schema names them), its Marker/MaxItems pagination, and
 * the parameter checks every operation shares.
 */
import { toTagList } from '../scenario-types.js';
import type { AwsCall } from './service.js';
import { AwsError, queryNumber, queryString, xmlList } from './protocol.js';
import { encodeDocument } from './iam-policy.js';
import { findPolicy, type AccessKey, type IamGroup, type IamRole, type IamState, type IamUser, type ManagedPolicy, type PolicyVersion } from './iam-state.js';

const DEFAULT_MAX_ITEMS = 100;
const MAX_MAX_ITEMS = 1000;

export interface Page<T> {
  items: T[];
  IsTruncated: boolean;
  Marker?: string;
}

/** AWS's Marker is opaque; ours carries the offset of the next item. */
export function paginate<T>(items: T[], params: AwsCall['params']): Page<T> {
  const maxItems = queryNumber(params, 'MaxItems') ?? DEFAULT_MAX_ITEMS;
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > MAX_MAX_ITEMS) {
    throw validationError(`Value '${queryString(params, 'MaxItems')}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and ${MAX_MAX_ITEMS}`);
  }
  const marker = queryString(params, 'Marker');
  const start = marker === undefined ? 0 : decodeMarker(marker);
  const end = start + maxItems;
  const truncated = end < items.length;
  return { items: items.slice(start, end), IsTruncated: truncated, Marker: truncated ? Buffer.from(`iam-offset:${end}`).toString('base64') : undefined };
}

function decodeMarker(marker: string): number {
  const match = /^iam-offset:(\d+)$/.exec(Buffer.from(marker, 'base64').toString('utf8'));
  if (!match) throw new AwsError('InvalidInput', 'Invalid Marker.', 400);
  return Number(match[1]);
}

/** The `{ Users: [...], IsTruncated, Marker }` result of a list operation. */
export function listResult<T>(key: string, page: Page<T>, shape: (item: T) => unknown): Record<string, unknown> {
  return { [key]: xmlList(page.items.map(shape)), IsTruncated: page.IsTruncated, Marker: page.Marker };
}

export function validationError(detail: string): AwsError {
  return new AwsError('ValidationError', `1 validation error detected: ${detail}`, 400);
}

export function required(params: AwsCall['params'], name: string): string {
  const value = queryString(params, name);
  if (value === undefined || value === '') {
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    throw validationError(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

export function noSuchEntity(message: string): AwsError {
  return new AwsError('NoSuchEntity', message, 404);
}

export function withPathPrefix<T extends { path: string }>(items: T[], params: AwsCall['params']): T[] {
  const prefix = queryString(params, 'PathPrefix') ?? '/';
  return prefix === '/' ? items : items.filter((item) => item.path.startsWith(prefix));
}

export function findUser(state: IamState, name: string): IamUser {
  const user = state.users.get(name);
  if (!user) throw noSuchEntity(`The user with name ${name} cannot be found.`);
  return user;
}

export function findRoleOrFail(state: IamState, name: string): IamRole {
  const role = state.roles.get(name);
  if (!role) throw noSuchEntity(`The role with name ${name} cannot be found.`);
  return role;
}

export function findGroup(state: IamState, name: string): IamGroup {
  const group = state.groups.get(name);
  if (!group) throw noSuchEntity(`The group with name ${name} cannot be found.`);
  return group;
}

function tags(record: Record<string, string>): unknown {
  const list = toTagList(record);
  return list.length > 0 ? xmlList(list) : undefined;
}

/** ListUsers leaves out Tags; GetUser includes them. */
export function userShape(user: IamUser, full = false) {
  return {
    Path: user.path,
    UserName: user.userName,
    UserId: user.userId,
    Arn: user.arn,
    CreateDate: user.createdAt,
    PasswordLastUsed: user.password?.lastUsed,
    Tags: full ? tags(user.tags) : undefined,
  };
}

/** ListRoles leaves out RoleLastUsed and Tags; GetRole includes them (RoleLastUsed empty when never used). */
export function roleShape(role: IamRole, full = false) {
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: role.createdAt,
    AssumeRolePolicyDocument: encodeDocument(role.trustPolicy),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    Tags: full ? tags(role.tags) : undefined,
    RoleLastUsed: full ? roleLastUsed(role) : undefined,
  };
}

export function roleLastUsed(role: IamRole) {
  return role.lastUsed ? { LastUsedDate: role.lastUsed.date, Region: role.lastUsed.region } : {};
}

export function groupShape(group: IamGroup) {
  return { Path: group.path, GroupName: group.groupName, GroupId: group.groupId, Arn: group.arn, CreateDate: group.createdAt };
}

export function defaultVersion(policy: ManagedPolicy): PolicyVersion {
  return policy.versions.find((v) => v.isDefault) as PolicyVersion;
}

/** ListPolicies leaves out Description; GetPolicy includes it. */
export function policyShape(state: IamState, policy: ManagedPolicy, full = false) {
  return {
    PolicyName: policy.policyName,
    PolicyId: policy.policyId,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: defaultVersion(policy).versionId,
    AttachmentCount: state.attachments.get(policy.arn) ?? 0,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: full ? policy.description : undefined,
    CreateDate: policy.createdAt,
    UpdateDate: policy.updatedAt,
  };
}

/** ListPolicyVersions leaves out the Document; GetPolicyVersion and GetAccountAuthorizationDetails include it. */
export function versionShape(version: PolicyVersion, withDocument: boolean) {
  return {
    Document: withDocument ? encodeDocument(version.document) : undefined,
    VersionId: version.versionId,
    IsDefaultVersion: version.isDefault,
    CreateDate: version.createdAt,
  };
}

export function attachedShape(state: IamState, arn: string) {
  return { PolicyName: findPolicy(state, arn)?.policyName ?? arn.split('/').pop(), PolicyArn: arn };
}

export function accessKeyShape(key: AccessKey, userName: string | undefined) {
  return { UserName: userName, AccessKeyId: key.accessKeyId, Status: key.status, CreateDate: key.createdAt };
}

export function inlineList(inline: Map<string, string>) {
  return xmlList([...inline].map(([PolicyName, text]) => ({ PolicyName, PolicyDocument: encodeDocument(text) })));
}
