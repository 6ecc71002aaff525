/**
 * From the account's IAM as read to what evaluators judge: each user and role with every policy in
 * force (its own managed and inline policies, a user's groups' policies; the default version of a
 * managed policy only), parsed once; users joined with their credential report row; the root user.
 */
import { fetched, notFetched, type Fetched } from '../resources.js';
import { parsePolicy, type Policy, type PolicyProblem, type PolicySource } from './policy.js';
import type {
  AttachedPolicyRef,
  CredentialReport,
  CredentialReportRow,
  IamAccountSummary,
  IamAuthorization,
  IamRole,
  IamRoot,
  IamUser,
  InlinePolicyText,
  ManagedPolicyDetail,
  UserCredentials,
} from './resources.js';

export interface Identities {
  users: IamUser[];
  roles: IamRole[];
}

class PolicyReader {
  private readonly managed: Map<string, ManagedPolicyDetail>;
  private readonly parsed = new Map<string, ReturnType<typeof parsePolicy>>();

  constructor(authorization: IamAuthorization) {
    this.managed = new Map(authorization.policies.map((p) => [p.arn, p]));
  }

  /** Parses a document once, however many identities hold it, and labels it with this holder's source. */
  private parse(key: string, source: PolicySource, text: string | undefined): { policy?: Policy; problem?: PolicyProblem } {
    let result = this.parsed.get(key);
    if (!result) {
      result = parsePolicy(source, text);
      this.parsed.set(key, result);
    }
    return result.ok ? { policy: { source, statements: result.policy.statements } } : { problem: { ...result.problem, source } };
  }

  attached(ref: AttachedPolicyRef, group?: string): { policy?: Policy; problem?: PolicyProblem } {
    const detail = this.managed.get(ref.arn);
    const version = detail?.versions.find((v) => v.isDefault) ?? detail?.versions.find((v) => v.versionId === detail.defaultVersionId);
    const source: PolicySource = { name: ref.name, type: 'managed', arn: ref.arn, versionId: version?.versionId, group };
    if (!detail || !version) {
      const why = !detail ? 'it is attached but was not in the account authorization details' : 'it has no default version in the account authorization details';
      return { problem: { source, kind: 'unreadable', detail: why } };
    }
    return this.parse(`${ref.arn}#${version.versionId}`, source, version.text);
  }

  inline(owner: string, policy: InlinePolicyText, group?: string): { policy?: Policy; problem?: PolicyProblem } {
    return this.parse(`${owner}#${policy.name}`, { name: policy.name, type: 'inline', group }, policy.text);
  }
}

function collect(parts: Array<{ policy?: Policy; problem?: PolicyProblem }>): { policies: Policy[]; problems: PolicyProblem[] } {
  return {
    policies: parts.flatMap((p) => (p.policy ? [p.policy] : [])),
    problems: parts.flatMap((p) => (p.problem ? [p.problem] : [])),
  };
}

function boundaryOf(reader: PolicyReader, ref: AttachedPolicyRef | undefined): { boundary?: Policy; problems: PolicyProblem[] } {
  if (!ref) return { problems: [] };
  const read = reader.attached(ref);
  return { boundary: read.policy, problems: read.problem ? [{ ...read.problem, detail: `permissions boundary: ${read.problem.detail}` }] : [] };
}

function userCredentials(row: CredentialReportRow | undefined, report: Fetched<CredentialReport>, userName: string): Fetched<UserCredentials> {
  if (!report.ok) return report;
  if (!row) return notFetched(`user ${userName} is not in the credential report generated at ${report.value.generatedAt.toISOString()} (created since?)`);
  return fetched({
    reportGeneratedAt: report.value.generatedAt,
    password: row.passwordEnabled ? { lastUsedAt: row.passwordLastUsedAt, lastChangedAt: row.passwordLastChangedAt } : undefined,
    mfaActive: row.mfaActive,
    accessKeys: row.accessKeys,
  });
}

/** Every user and role of the account with the policies in force, and users' credentials. */
export function identitiesOf(authorization: IamAuthorization, report: Fetched<CredentialReport>): Identities {
  const reader = new PolicyReader(authorization);
  const groups = new Map(authorization.groups.map((g) => [g.name, g]));
  const rows = new Map((report.ok ? report.value.users : []).map((r) => [r.user, r]));

  const users = authorization.users.map((u): IamUser => {
    const own = [...u.attached.map((ref) => reader.attached(ref)), ...u.inline.map((p) => reader.inline(u.arn, p))];
    const inherited = u.groups.flatMap((name) => {
      const group = groups.get(name);
      if (!group) return [{ problem: { source: { name, type: 'inline', group: name }, kind: 'unreadable', detail: `group ${name} was not in the account authorization details` } satisfies PolicyProblem }];
      return [...group.attached.map((ref) => reader.attached(ref, name)), ...group.inline.map((p) => reader.inline(group.arn, p, name))];
    });
    const { policies, problems } = collect([...own, ...inherited]);
    const boundary = boundaryOf(reader, u.permissionsBoundary);
    return {
      kind: 'iam-user',
      accountId: authorization.accountId,
      name: u.name,
      arn: u.arn,
      id: u.id,
      path: u.path,
      createdAt: u.createdAt,
      groups: u.groups,
      policies,
      problems: [...problems, ...boundary.problems],
      boundary: boundary.boundary,
      directPolicies: [
        ...u.attached.map((ref): PolicySource => ({ name: ref.name, type: 'managed', arn: ref.arn })),
        ...u.inline.map((p): PolicySource => ({ name: p.name, type: 'inline' })),
      ],
      credentials: userCredentials(rows.get(u.name), report, u.name),
    };
  });

  const roles = authorization.roles.map((r): IamRole => {
    const { policies, problems } = collect([...r.attached.map((ref) => reader.attached(ref)), ...r.inline.map((p) => reader.inline(r.arn, p))]);
    const boundary = boundaryOf(reader, r.permissionsBoundary);
    return {
      kind: 'iam-role',
      accountId: authorization.accountId,
      name: r.name,
      arn: r.arn,
      id: r.id,
      path: r.path,
      createdAt: r.createdAt,
      policies,
      problems: [...problems, ...boundary.problems],
      boundary: boundary.boundary,
      lastUsedAt: r.lastUsedAt,
    };
  });
  return { users, roles };
}

/** The root user: its credential report row, and the live account summary. */
export function rootOf(accountId: string, report: Fetched<CredentialReport>, summary: Fetched<IamAccountSummary>): IamRoot {
  let credentials: IamRoot['credentials'];
  if (!report.ok) credentials = report;
  else if (!report.value.root) credentials = notFetched(`the credential report generated at ${report.value.generatedAt.toISOString()} has no <root_account> row`);
  else {
    const row = report.value.root;
    credentials = fetched({ reportGeneratedAt: report.value.generatedAt, passwordEnabled: row.passwordEnabled, passwordLastUsedAt: row.passwordLastUsedAt, mfaActive: row.mfaActive, accessKeys: row.accessKeys });
  }
  return { kind: 'iam-root', accountId, arn: `arn:aws:iam::${accountId}:root`, id: `${accountId}:root`, credentials, summary };
}
