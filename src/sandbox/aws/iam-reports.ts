/**
 * IAM's account-wide reports: the credential report (CSV with AWS's exact columns and placeholder
 * values), the account summary, and service last accessed details.
 */
import { actionNamespaces } from './iam-policy.js';
import { findPolicy, type AccessKey, type IamGroup, type IamRole, type IamState, type IamUser } from './iam-state.js';

export const CREDENTIAL_REPORT_COLUMNS = [
  'user', 'arn', 'user_creation_time', 'password_enabled', 'password_last_used', 'password_last_changed',
  'password_next_rotation', 'mfa_active',
  'access_key_1_active', 'access_key_1_last_rotated', 'access_key_1_last_used_date', 'access_key_1_last_used_region', 'access_key_1_last_used_service',
  'access_key_2_active', 'access_key_2_last_rotated', 'access_key_2_last_used_date', 'access_key_2_last_used_region', 'access_key_2_last_used_service',
  'cert_1_active', 'cert_1_last_rotated', 'cert_2_active', 'cert_2_last_rotated',
] as const;

/** The report's timestamp format: `2017-06-10T02:35:07+00:00`. */
function reportTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function keyColumns(key: AccessKey | undefined): string[] {
  if (!key) return ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
  const used = key.lastUsed;
  return [
    String(key.status === 'Active'),
    reportTime(key.createdAt),
    used ? reportTime(used.date) : 'N/A',
    used ? used.region : 'N/A',
    used ? used.service : 'N/A',
  ];
}

const NO_CERTIFICATES = ['false', 'N/A', 'false', 'N/A'];

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The CSV as AWS writes it: the root account first, then every user; no trailing newline. */
export function credentialReportCsv(state: IamState): string {
  const { root } = state;
  const rows: string[][] = [
    [
      '<root_account>',
      root.arn,
      reportTime(root.createdAt),
      // The root user always has a password, and IAM does not track its changes.
      'not_supported',
      root.passwordLastUsed ? reportTime(root.passwordLastUsed) : 'no_information',
      'not_supported',
      'not_supported',
      String(root.mfa !== undefined),
      ...keyColumns(root.accessKeys[0]),
      ...keyColumns(root.accessKeys[1]),
      ...NO_CERTIFICATES,
    ],
  ];
  for (const user of state.users.values()) {
    const password = user.password;
    rows.push([
      user.userName,
      user.arn,
      reportTime(user.createdAt),
      String(password !== undefined),
      password ? (password.lastUsed ? reportTime(password.lastUsed) : 'no_information') : 'N/A',
      password ? reportTime(password.createdAt) : 'N/A',
      // No password policy with a maximum age: passwords never have to rotate.
      'N/A',
      String(user.mfa.length > 0),
      ...keyColumns(user.accessKeys[0]),
      ...keyColumns(user.accessKeys[1]),
      ...NO_CERTIFICATES,
    ]);
  }
  return [CREDENTIAL_REPORT_COLUMNS.join(','), ...rows.map((row) => row.map(csvField).join(','))].join('\n');
}

/** GetAccountSummary's SummaryMap: usage counts next to the default quotas. */
export function accountSummary(state: IamState): Record<string, number> {
  const users = [...state.users.values()];
  const policies = [...state.policies.values()];
  const mfaDevices = users.filter((u) => u.mfa.some((d) => d.virtual)).length + (state.root.mfa?.virtual ? 1 : 0);
  const mfaInUse = users.filter((u) => u.mfa.length > 0).length + (state.root.mfa ? 1 : 0);
  return {
    AccessKeysPerUserQuota: 2,
    AccountAccessKeysPresent: state.root.accessKeys.length > 0 ? 1 : 0,
    AccountMFAEnabled: state.root.mfa ? 1 : 0,
    AccountPasswordPresent: 1,
    AccountSigningCertificatesPresent: 0,
    AssumeRolePolicySizeQuota: 2048,
    AttachedPoliciesPerGroupQuota: 10,
    AttachedPoliciesPerRoleQuota: 10,
    AttachedPoliciesPerUserQuota: 10,
    GlobalEndpointTokenVersion: 1,
    GroupPolicySizeQuota: 5120,
    Groups: state.groups.size,
    GroupsPerUserQuota: 10,
    GroupsQuota: 300,
    InstanceProfiles: 0,
    InstanceProfilesQuota: 1000,
    MFADevices: mfaDevices,
    MFADevicesInUse: mfaInUse,
    Policies: policies.length,
    PoliciesQuota: 1500,
    PolicySizeQuota: 6144,
    PolicyVersionsInUse: policies.reduce((n, p) => n + p.versions.length, 0),
    PolicyVersionsInUseQuota: 10000,
    Providers: 0,
    RolePolicySizeQuota: 10240,
    Roles: state.roles.size,
    RolesQuota: 1000,
    ServerCertificates: 0,
    ServerCertificatesQuota: 20,
    SigningCertificatesPerUserQuota: 2,
    UserPolicySizeQuota: 2048,
    Users: users.length,
    UsersQuota: 5000,
    VersionsPerPolicyQuota: 5,
  };
}

const SERVICE_NAMES: Record<string, string> = {
  backup: 'AWS Backup',
  cloudtrail: 'AWS CloudTrail',
  cloudwatch: 'Amazon CloudWatch',
  dynamodb: 'Amazon DynamoDB',
  ec2: 'Amazon EC2',
  guardduty: 'Amazon GuardDuty',
  iam: 'AWS Identity and Access Management',
  kms: 'AWS Key Management Service',
  lambda: 'AWS Lambda',
  logs: 'Amazon CloudWatch Logs',
  organizations: 'AWS Organizations',
  rds: 'Amazon RDS',
  s3: 'Amazon S3',
  sns: 'Amazon SNS',
  sqs: 'Amazon SQS',
  sts: 'AWS Security Token Service',
};

export type AccessEntity = { kind: 'user'; user: IamUser } | { kind: 'group'; group: IamGroup } | { kind: 'role'; role: IamRole } | { kind: 'policy'; arn: string };

interface Accessor {
  arn: string;
  lastAccessed: Map<string, Date | null>;
  documents: string[];
}

/** The users and roles whose activity a report on `entity` covers: a group's members, a policy's holders. */
function accessors(state: IamState, entity: AccessEntity): Accessor[] {
  const ofUser = (u: IamUser): Accessor => ({ arn: u.arn, lastAccessed: u.lastAccessed, documents: userDocuments(state, u) });
  const ofRole = (r: IamRole): Accessor => ({ arn: r.arn, lastAccessed: r.lastAccessed, documents: [...r.inline.values(), ...policyDocuments(state, r.attached)] });
  switch (entity.kind) {
    case 'user':
      return [ofUser(entity.user)];
    case 'role':
      return [ofRole(entity.role)];
    case 'group':
      return entity.group.members.map((m) => ofUser(state.users.get(m) as IamUser));
    case 'policy': {
      const holders = [...state.users.values()].filter((u) => u.attached.includes(entity.arn) || u.groups.some((g) => state.groups.get(g)?.attached.includes(entity.arn)));
      const roles = [...state.roles.values()].filter((r) => r.attached.includes(entity.arn));
      return [...holders.map(ofUser), ...roles.map(ofRole)];
    }
  }
}

function policyDocuments(state: IamState, arns: string[]): string[] {
  return arns.flatMap((arn) => findPolicy(state, arn)?.versions.filter((v) => v.isDefault).map((v) => v.document) ?? []);
}

function userDocuments(state: IamState, user: IamUser): string[] {
  const groups = user.groups.map((g) => state.groups.get(g)).filter((g): g is IamGroup => g !== undefined);
  return [...user.inline.values(), ...policyDocuments(state, user.attached), ...groups.flatMap((g) => [...g.inline.values(), ...policyDocuments(state, g.attached)])];
}

export interface ServiceLastAccessed {
  ServiceName: string;
  ServiceNamespace: string;
  LastAuthenticated?: Date;
  LastAuthenticatedEntity?: string;
  LastAuthenticatedRegion?: string;
  TotalAuthenticatedEntities: number;
}

/**
 * One row per service the entity's policies name (AWS lists every service they allow) plus every
 * service the scenario says it used; `*` grants name none, so for admins only the scenario's list shows.
 */
export function servicesLastAccessed(state: IamState, entity: AccessEntity): ServiceLastAccessed[] {
  const people = accessors(state, entity);
  const namespaces = new Set<string>();
  for (const person of people) {
    for (const ns of person.lastAccessed.keys()) namespaces.add(ns);
    for (const doc of person.documents) for (const ns of actionNamespaces(doc)) namespaces.add(ns);
  }
  return [...namespaces].sort().map((ns) => {
    let latest: { date: Date; arn: string } | undefined;
    let total = 0;
    for (const person of people) {
      const date = person.lastAccessed.get(ns);
      if (!date) continue;
      total += 1;
      if (!latest || date > latest.date) latest = { date, arn: person.arn };
    }
    return {
      ServiceName: SERVICE_NAMES[ns] ?? ns,
      ServiceNamespace: ns,
      LastAuthenticated: latest?.date,
      LastAuthenticatedEntity: latest?.arn,
      // The scenario gives an age per service, not where the use happened: say the primary region.
      LastAuthenticatedRegion: latest ? 'us-east-1' : undefined,
      TotalAuthenticatedEntities: total,
    };
  });
}
