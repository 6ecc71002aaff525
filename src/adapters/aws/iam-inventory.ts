/**
 * The AWS side of the access checks: each account's IAM read once per run. Users, groups, roles and
 * managed policies come from one paginated GetAccountAuthorizationDetails (a consistent snapshot, not
 * one call per entity); credentials from the credential report; root MFA and keys also from the live
 * account summary; and, in deep mode only, service last accessed details per identity. IAM's own
 * vocabulary (URL-encoded documents, the report's CSV and its placeholder values) stops here.
 */
import {
  GenerateCredentialReportCommand,
  GenerateServiceLastAccessedDetailsCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetServiceLastAccessedDetailsCommand,
  paginateGetAccountAuthorizationDetails,
  type AttachedPolicy,
  type EntityType,
  type IAMClient,
  type ManagedPolicyDetail as AwsManagedPolicy,
  type ServiceLastAccessed as AwsServiceLastAccessed,
} from '@aws-sdk/client-iam';
import type { IamInventoryPort } from '../../checks/iam/index.js';
import type {
  AccessKeyInfo,
  AttachedPolicyRef,
  CredentialReport,
  CredentialReportRow,
  GroupDetail,
  IamAccountSummary,
  IamAuthorization,
  InlinePolicyText,
  ManagedPolicyDetail,
  RoleDetail,
  ServiceLastAccessed,
  UserDetail,
} from '../../checks/iam/resources.js';
import { fetched, notFetched, type Fetched } from '../../checks/resources.js';
import type { AccountConfig } from '../../config/schema.js';
import { ExternalServiceError } from '../../core/errors.js';
import type { AwsClients } from './clients.js';
import { awsCall, toExternalError } from './errors.js';

/** IAM actions each read calls, for Vigil's own least-privilege policy. */
export const IAM_ACTIONS: Record<keyof IamInventoryPort, readonly string[]> = {
  iamAuthorization: ['iam:GetAccountAuthorizationDetails'],
  iamCredentialReport: ['iam:GenerateCredentialReport', 'iam:GetCredentialReport'],
  iamAccountSummary: ['iam:GetAccountSummary'],
  iamServiceLastAccessed: ['iam:GenerateServiceLastAccessedDetails', 'iam:GetServiceLastAccessedDetails'],
};

const ALL_ENTITIES: EntityType[] = ['User', 'Group', 'Role', 'LocalManagedPolicy', 'AWSManagedPolicy'];
/** IAM's largest MaxItems. */
const IAM_PAGE = 1000;
/**
 * Waits between polls of report generation and last-accessed jobs: quick at first (both usually
 * finish within seconds), about a minute in all before giving up.
 */
export const POLL_DELAYS_MS: readonly number[] = [250, 500, 1000, 2000, 2000, 3000, 5000, 5000, 10_000, 10_000, 10_000];

export interface IamInventoryOptions {
  /** Injected so tests never wait. */
  sleep?: (ms: number) => Promise<void>;
  pollDelaysMs?: readonly number[];
}

const realSleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** IAM returns every policy document URL-encoded (RFC 3986); the SDK passes it on as it came. */
function decodeDocument(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function attachedRefs(list: AttachedPolicy[] | undefined): AttachedPolicyRef[] {
  return (list ?? []).map((p) => ({ name: p.PolicyName ?? p.PolicyArn?.split('/').pop() ?? '', arn: p.PolicyArn ?? '' }));
}

function inlineTexts(list: Array<{ PolicyName?: string; PolicyDocument?: string }> | undefined): InlinePolicyText[] {
  return (list ?? []).map((p) => ({ name: p.PolicyName ?? '', text: decodeDocument(p.PolicyDocument) }));
}

function boundaryRef(boundary: { PermissionsBoundaryArn?: string } | undefined): AttachedPolicyRef | undefined {
  const arn = boundary?.PermissionsBoundaryArn;
  return arn ? { name: arn.split('/').pop() ?? arn, arn } : undefined;
}

function managedPolicy(p: AwsManagedPolicy): ManagedPolicyDetail {
  const arn = p.Arn ?? '';
  return {
    name: p.PolicyName ?? '',
    arn,
    awsManaged: /^arn:aws[\w-]*:iam::aws:/.test(arn),
    defaultVersionId: p.DefaultVersionId,
    versions: (p.PolicyVersionList ?? []).map((v) => ({ versionId: v.VersionId ?? '', isDefault: v.IsDefaultVersion ?? false, text: decodeDocument(v.Document), createdAt: v.CreateDate })),
  };
}

// ---- the credential report ----

/** RFC 4180 fields: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** The report writes `N/A`, `no_information` or `not_supported` where there is no time. */
function reportTime(value: string | undefined): Date | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const reportBool = (value: string | undefined) => value === 'true';
const reportText = (value: string | undefined) => (value && value !== 'N/A' ? value : undefined);

/** Parses the report's CSV; the root user is the `<root_account>` row. */
export function parseCredentialReport(csv: string, generatedAt: Date): CredentialReport {
  const [header, ...lines] = parseCsv(csv.trim());
  if (!header) return { generatedAt, users: [] };
  const rows = lines.filter((l) => l.length > 1).map((line) => Object.fromEntries(header.map((name, i) => [name, line[i]])) as Record<string, string | undefined>);
  const toRow = (r: Record<string, string | undefined>): CredentialReportRow => {
    const keys: AccessKeyInfo[] = [];
    for (const slot of [1, 2]) {
      const active = reportBool(r[`access_key_${slot}_active`]);
      const rotatedAt = reportTime(r[`access_key_${slot}_last_rotated`]);
      // An inactive key still has its rotation date; a slot with neither holds no key.
      if (!active && !rotatedAt) continue;
      keys.push({
        slot,
        active,
        rotatedAt,
        lastUsedAt: reportTime(r[`access_key_${slot}_last_used_date`]),
        lastUsedService: reportText(r[`access_key_${slot}_last_used_service`]),
        lastUsedRegion: reportText(r[`access_key_${slot}_last_used_region`]),
      });
    }
    return {
      user: r['user'] ?? '',
      arn: r['arn'] ?? '',
      createdAt: reportTime(r['user_creation_time']),
      passwordEnabled: r['password_enabled'] === 'true' || r['password_enabled'] === 'not_supported',
      passwordLastUsedAt: reportTime(r['password_last_used']),
      passwordLastChangedAt: reportTime(r['password_last_changed']),
      mfaActive: reportBool(r['mfa_active']),
      accessKeys: keys,
    };
  };
  const all = rows.map(toRow);
  return { generatedAt, root: all.find((r) => r.user === '<root_account>'), users: all.filter((r) => r.user !== '<root_account>') };
}

export class AwsIamInventory implements IamInventoryPort {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly delays: readonly number[];

  constructor(
    private readonly clients: AwsClients,
    options: IamInventoryOptions = {},
  ) {
    this.sleep = options.sleep ?? realSleep;
    this.delays = options.pollDelaysMs ?? POLL_DELAYS_MS;
  }

  async iamAuthorization(account: AccountConfig): Promise<IamAuthorization> {
    const client = this.clients.client('iam', account);
    return awsCall({ service: 'iam', operation: 'GetAccountAuthorizationDetails', account: account.id }, async () => {
      const out: IamAuthorization = { accountId: account.id, users: [], groups: [], roles: [], policies: [] };
      for await (const page of paginateGetAccountAuthorizationDetails({ client, pageSize: IAM_PAGE }, { Filter: ALL_ENTITIES })) {
        for (const u of page.UserDetailList ?? []) {
          out.users.push({
            name: u.UserName ?? '',
            arn: u.Arn ?? '',
            id: u.UserId ?? '',
            path: u.Path ?? '/',
            createdAt: u.CreateDate ?? new Date(0),
            groups: u.GroupList ?? [],
            attached: attachedRefs(u.AttachedManagedPolicies),
            inline: inlineTexts(u.UserPolicyList),
            permissionsBoundary: boundaryRef(u.PermissionsBoundary),
          } satisfies UserDetail);
        }
        for (const g of page.GroupDetailList ?? []) {
          out.groups.push({
            name: g.GroupName ?? '',
            arn: g.Arn ?? '',
            id: g.GroupId ?? '',
            path: g.Path ?? '/',
            createdAt: g.CreateDate ?? new Date(0),
            attached: attachedRefs(g.AttachedManagedPolicies),
            inline: inlineTexts(g.GroupPolicyList),
          } satisfies GroupDetail);
        }
        for (const r of page.RoleDetailList ?? []) {
          out.roles.push({
            name: r.RoleName ?? '',
            arn: r.Arn ?? '',
            id: r.RoleId ?? '',
            path: r.Path ?? '/',
            createdAt: r.CreateDate ?? new Date(0),
            trustPolicy: decodeDocument(r.AssumeRolePolicyDocument),
            attached: attachedRefs(r.AttachedManagedPolicies),
            inline: inlineTexts(r.RolePolicyList),
            permissionsBoundary: boundaryRef(r.PermissionsBoundary),
            lastUsedAt: r.RoleLastUsed?.LastUsedDate,
          } satisfies RoleDetail);
        }
        for (const p of page.Policies ?? []) out.policies.push(managedPolicy(p));
      }
      return out;
    });
  }

  async iamCredentialReport(account: AccountConfig): Promise<CredentialReport> {
    const client = this.clients.client('iam', account);
    const ctx = (operation: string) => ({ service: 'iam', operation, account: account.id });
    // IAM reuses a report generated in the last four hours; otherwise generation takes a few seconds.
    for (let poll = 0; ; poll++) {
      const { State } = await awsCall(ctx('GenerateCredentialReport'), () => client.send(new GenerateCredentialReportCommand({})));
      if (State === 'COMPLETE') break;
      const delay = this.delays[poll];
      if (delay === undefined) throw this._failure('GenerateCredentialReport', account, `the credential report was still ${State ?? 'not ready'} after ${poll + 1} polls`, 'timeout');
      await this.sleep(delay);
    }
    const report = await awsCall(ctx('GetCredentialReport'), () => client.send(new GetCredentialReportCommand({})));
    const csv = Buffer.from(report.Content ?? new Uint8Array()).toString('utf8');
    if (!report.GeneratedTime) throw this._failure('GetCredentialReport', account, 'the credential report has no generation time', 'unavailable');
    return parseCredentialReport(csv, report.GeneratedTime);
  }

  async iamAccountSummary(account: AccountConfig): Promise<IamAccountSummary> {
    const client = this.clients.client('iam', account);
    const { SummaryMap } = await awsCall({ service: 'iam', operation: 'GetAccountSummary', account: account.id }, () => client.send(new GetAccountSummaryCommand({})));
    const values = Object.fromEntries(Object.entries(SummaryMap ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number'));
    const flag = (key: string) => {
      const value = values[key];
      if (value === undefined) throw this._failure('GetAccountSummary', account, `the account summary has no ${key}`, 'unavailable');
      return value > 0;
    };
    return { rootAccessKeysPresent: flag('AccountAccessKeysPresent'), rootMfaEnabled: flag('AccountMFAEnabled'), values };
  }

  async iamServiceLastAccessed(account: AccountConfig, arns: readonly string[]): Promise<Record<string, Fetched<ServiceLastAccessed[]>>> {
    const client = this.clients.client('iam', account);
    const out: Record<string, Fetched<ServiceLastAccessed[]>> = {};
    const jobs = new Map<string, string>();
    // Start every job first: they run in parallel on IAM's side while the first ones are polled.
    for (const arn of arns) {
      const ctx = { service: 'iam', operation: 'GenerateServiceLastAccessedDetails', account: account.id };
      try {
        const { JobId } = await client.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: arn, Granularity: 'SERVICE_LEVEL' }));
        if (JobId) jobs.set(arn, JobId);
        else out[arn] = notFetched('iam:GenerateServiceLastAccessedDetails returned no job id');
      } catch (err) {
        out[arn] = notFetched(toExternalError(err, ctx).message);
      }
    }
    for (const [arn, jobId] of jobs) out[arn] = await this._serviceJob(client, account, jobId);
    return out;
  }

  private async _serviceJob(client: IAMClient, account: AccountConfig, jobId: string): Promise<Fetched<ServiceLastAccessed[]>> {
    const ctx = { service: 'iam', operation: 'GetServiceLastAccessedDetails', account: account.id };
    try {
      const services: AwsServiceLastAccessed[] = [];
      let marker: string | undefined;
      for (let poll = 0; ; ) {
        const page = await client.send(new GetServiceLastAccessedDetailsCommand({ JobId: jobId, MaxItems: IAM_PAGE, Marker: marker }));
        if (page.JobStatus === 'FAILED') return notFetched(`service last accessed job ${jobId} failed: ${page.Error?.Message ?? page.Error?.Code ?? 'no reason given'}`);
        if (page.JobStatus !== 'COMPLETED') {
          const delay = this.delays[poll++];
          if (delay === undefined) return notFetched(`service last accessed job ${jobId} was still ${page.JobStatus ?? 'running'} after ${poll} polls`);
          await this.sleep(delay);
          continue;
        }
        services.push(...(page.ServicesLastAccessed ?? []));
        if (!page.IsTruncated) break;
        marker = page.Marker;
      }
      return fetched(
        services.map((s) => ({ namespace: s.ServiceNamespace ?? '', name: s.ServiceName ?? '', lastAuthenticatedAt: s.LastAuthenticated, lastAuthenticatedRegion: s.LastAuthenticatedRegion })),
      );
    } catch (err) {
      return notFetched(toExternalError(err, ctx).message);
    }
  }

  private _failure(operation: string, account: AccountConfig, why: string, kind: 'timeout' | 'unavailable'): ExternalServiceError {
    return new ExternalServiceError(`iam:${operation} in ${account.id}: ${why}`, { kind, service: 'aws:iam', operation, account: account.id });
  }
}
