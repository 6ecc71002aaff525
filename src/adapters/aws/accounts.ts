/**
 * Accounts from AWS Organizations: ListAccounts from the management account (or the role in
 * `organization.managementRoleArn`), filtered by include and exclude, merged with the accounts the
 * config lists, and each account's enabled regions read with EC2 DescribeRegions when
 * `regions: enabled`. Accounts Organizations reports as suspended or closed, and accounts whose role
 * refuses Vigil, come back as unavailable with the reason, so the engine files `error` results for
 * them rather than leaving them out. One discovery per run: make one directory per run. The IAM
 * actions it calls are declared with the identity ones (identity.ts: IDENTITY_ACTIONS).
 */
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { paginateListAccounts, paginateListAccountsForParent, paginateListOrganizationalUnitsForParent } from '@aws-sdk/client-organizations';
import { ExternalServiceError } from '../../core/errors.js';
import type { AccountSource, ResolvedAccounts, UnavailableAccount } from '../../checks/accounts.js';
import { configuredAccounts, organizationAccount } from '../../checks/accounts.js';
import type { AccountConfig, OrganizationConfig, VigilConfig } from '../../config/schema.js';
import type { AwsClients } from './clients.js';
import { awsCall } from './errors.js';

/** ListAccounts' largest page. */
const ORGANIZATIONS_PAGE = 20;
/** Accounts whose regions are read at once; each is one AssumeRole and one DescribeRegions. */
const REGION_LOOKUPS_AT_ONCE = 8;

export interface OrganizationAccount {
  id: string;
  name: string;
  /** `aws`, `aws-us-gov`, `aws-cn`: from the account's ARN, for the role ARN built from it. */
  partition: string;
  /** ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION. */
  state: string;
}

type DiscoveryConfig = Pick<VigilConfig, 'accounts' | 'organization'>;

export interface AccountSelection {
  /** Accounts to scan; those with `needsRegions` get their enabled regions read first. */
  scan: Array<{ account: AccountConfig; needsRegions: boolean }>;
  unavailable: UnavailableAccount[];
}

const STATE_WORDS: Record<string, string> = {
  SUSPENDED: 'suspended',
  PENDING_CLOSURE: 'being closed',
  CLOSED: 'closed',
  PENDING_ACTIVATION: 'not active yet',
};

function stateReason(state: string): string {
  return `account ${STATE_WORDS[state] ?? state.toLowerCase()} (AWS Organizations state ${state})`;
}

/**
 * Which accounts a run scans, from what Organizations lists and what the config says (pure). Listed
 * accounts are scanned as the config lists them; include and exclude narrow the discovered ones.
 */
export function selectAccounts(listed: readonly OrganizationAccount[], config: DiscoveryConfig, members: UnitMembers = new Map()): AccountSelection {
  const org = config.organization as OrganizationConfig;
  const matches = (entries: readonly string[], id: string) => entries.some((entry) => entry === id || members.get(entry)?.has(id) === true);
  const byId = new Map(listed.map((a) => [a.id, a]));
  const explicit = new Set(config.accounts.map((a) => a.id));
  const knownRegions = org.regions === 'enabled' ? [] : org.regions;
  const out: AccountSelection = { scan: [], unavailable: [] };

  for (const account of config.accounts) {
    const state = byId.get(account.id)?.state ?? 'ACTIVE';
    if (state !== 'ACTIVE') out.unavailable.push({ account, reason: stateReason(state) });
    else out.scan.push({ account, needsRegions: false });
  }
  for (const id of (org.include ?? []).filter(isAccountId)) {
    if (byId.has(id) || explicit.has(id)) continue;
    out.unavailable.push({ account: { id, name: id, regions: knownRegions }, reason: 'not an account of the organization (it is in organization.include)' });
  }
  for (const found of [...listed].sort((a, b) => a.id.localeCompare(b.id))) {
    if (explicit.has(found.id) || matches(org.exclude, found.id)) continue;
    if (org.include && !matches(org.include, found.id)) continue;
    const account = organizationAccount(org, found);
    if (found.state !== 'ACTIVE') out.unavailable.push({ account, reason: stateReason(found.state) });
    else out.scan.push({ account, needsRegions: org.regions === 'enabled' });
  }
  return out;
}

/** The regions an account has enabled (AllRegions off: AWS lists only those), sorted. */
export async function enabledRegions(clients: AwsClients, account: AccountConfig, defaultRegion: string): Promise<string[]> {
  const ec2 = clients.client('ec2', account, defaultRegion);
  const out = await awsCall({ service: 'ec2', operation: 'DescribeRegions', account: account.id, region: defaultRegion }, () => ec2.send(new DescribeRegionsCommand({ AllRegions: false })));
  return (out.Regions ?? []).map((r) => r.RegionName ?? '').filter(Boolean).sort();
}

export async function listOrganizationAccounts(clients: AwsClients, org: OrganizationConfig): Promise<OrganizationAccount[]> {
  const management = managementAccount(org);
  const client = clients.client('organizations', management);
  return awsCall({ service: 'organizations', operation: 'ListAccounts', account: management?.id }, async () => {
    const out: OrganizationAccount[] = [];
    for await (const page of paginateListAccounts({ client, pageSize: ORGANIZATIONS_PAGE }, {})) {
      for (const a of page.Accounts ?? []) {
        if (!a.Id) continue;
        // `State` replaced `Status` in 2025; older answers carry only `Status`.
        out.push({ id: a.Id, name: a.Name ?? a.Id, partition: a.Arn?.split(':')[1] || 'aws', state: a.State ?? a.Status ?? 'ACTIVE' });
      }
    }
    return out;
  });
}

/** The accounts beneath each organizational unit or root that include or exclude name, nested units included. */
export type UnitMembers = ReadonlyMap<string, ReadonlySet<string>>;

const isAccountId = (entry: string) => /^\d{12}$/.test(entry);

/**
 * Walks each unit include or exclude names, down through its child units, collecting the accounts
 * beneath it. A unit the organization does not have is a configuration mistake, named as such.
 */
export async function listUnitMembers(clients: AwsClients, org: OrganizationConfig): Promise<UnitMembers> {
  const units = [...new Set([...(org.include ?? []), ...org.exclude].filter((e) => !isAccountId(e)))];
  const out = new Map<string, Set<string>>();
  if (units.length === 0) return out;
  const management = managementAccount(org);
  const client = clients.client('organizations', management);
  const ctx = (operation: string) => ({ service: 'organizations', operation, account: management?.id });
  const beneath = new Map<string, { accounts: string[]; units: string[] }>();
  const read = async (parent: string) => {
    const known = beneath.get(parent);
    if (known) return known;
    const found = { accounts: [] as string[], units: [] as string[] };
    await awsCall(ctx('ListAccountsForParent'), async () => {
      for await (const page of paginateListAccountsForParent({ client, pageSize: ORGANIZATIONS_PAGE }, { ParentId: parent })) {
        for (const a of page.Accounts ?? []) if (a.Id) found.accounts.push(a.Id);
      }
    });
    await awsCall(ctx('ListOrganizationalUnitsForParent'), async () => {
      for await (const page of paginateListOrganizationalUnitsForParent({ client, pageSize: ORGANIZATIONS_PAGE }, { ParentId: parent })) {
        for (const u of page.OrganizationalUnits ?? []) if (u.Id) found.units.push(u.Id);
      }
    });
    beneath.set(parent, found);
    return found;
  };
  for (const unit of units) {
    const field = (org.include ?? []).includes(unit) ? 'organization.include' : 'organization.exclude';
    const accounts = new Set<string>();
    const queue = [unit];
    try {
      for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
        const found = await read(parent);
        for (const id of found.accounts) accounts.add(id);
        queue.push(...found.units);
      }
    } catch (err) {
      if (err instanceof ExternalServiceError && err.details.code === 'ParentNotFoundException') {
        throw new ExternalServiceError(`${field}: ${unit} is not the root or an organizational unit of this organization (${err.details.code})`, err.details, { cause: err });
      }
      throw err;
    }
    out.set(unit, accounts);
  }
  return out;
}

/** The role ListAccounts runs as, when the config names one. */
function managementAccount(org: OrganizationConfig): AccountConfig | undefined {
  if (!org.managementRoleArn) return undefined;
  const id = org.managementRoleArn.split(':')[4] as string;
  return { id, name: 'organization management', roleArn: org.managementRoleArn, ...(org.externalId ? { externalId: org.externalId } : {}), regions: [] };
}

/** Runs `fn` over `items`, at most `limit` at once, keeping their order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class AwsAccountDirectory implements AccountSource {
  private resolved?: Promise<ResolvedAccounts>;

  constructor(
    private readonly clients: AwsClients,
    private readonly config: DiscoveryConfig & { aws: Pick<VigilConfig['aws'], 'defaultRegion'> },
  ) {}

  resolve(): Promise<ResolvedAccounts> {
    this.resolved ??= this.discover();
    return this.resolved;
  }

  private async discover(): Promise<ResolvedAccounts> {
    const org = this.config.organization;
    if (!org) return configuredAccounts(this.config).resolve();
    const [listed, members] = await Promise.all([listOrganizationAccounts(this.clients, org), listUnitMembers(this.clients, org)]);
    const selection = selectAccounts(listed, this.config, members);
    const unavailable = [...selection.unavailable];
    const looked = await mapLimited(selection.scan, REGION_LOOKUPS_AT_ONCE, async ({ account, needsRegions }) => {
      if (!needsRegions) return account;
      try {
        return { ...account, regions: await enabledRegions(this.clients, account, this.config.aws.defaultRegion) };
      } catch (err) {
        unavailable.push({ account, reason: err instanceof Error ? err.message : String(err) });
        return undefined;
      }
    });
    const accounts = looked.filter((a): a is AccountConfig => a !== undefined);
    return { accounts, unavailable: unavailable.sort((a, b) => a.account.id.localeCompare(b.account.id)) };
  }
}

/** The account source for a run: discovery when the config asks for it, the listed accounts otherwise. */
export function accountSource(clients: AwsClients, config: DiscoveryConfig & { aws: Pick<VigilConfig['aws'], 'defaultRegion'> }): AccountSource {
  return config.organization ? new AwsAccountDirectory(clients, config) : configuredAccounts(config);
}
