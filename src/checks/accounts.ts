/**
 * The accounts a run covers, as the engine receives them: resolved once per run, from the config or
 * from AWS Organizations (src/adapters/aws/accounts.ts). An account that cannot be scanned (suspended,
 * its role refused) stays in the list with the reason, so it gets `error` results instead of silence.
 */
import type { AccountConfig, OrganizationConfig, VigilConfig } from '../config/schema.js';

export interface UnavailableAccount {
  /** The account as far as it is known; `regions` may be empty when they could not be discovered. */
  account: AccountConfig;
  reason: string;
}

export interface ResolvedAccounts {
  accounts: AccountConfig[];
  unavailable: UnavailableAccount[];
}

export interface AccountSource {
  /** The same answer every time it is asked: one discovery per run. */
  resolve(): Promise<ResolvedAccounts>;
}

/**
 * The accounts the config lists. With `organization` configured, accounts come from discovery and
 * this source must not stand in for it: scanning only the listed ones would look like full coverage.
 */
export function configuredAccounts(config: Pick<VigilConfig, 'accounts' | 'organization'>): AccountSource {
  return {
    resolve: () => {
      if (config.organization) {
        return Promise.reject(new Error('the config discovers accounts through AWS Organizations, but this run was given no account discovery (src/adapters/aws/accounts.ts)'));
      }
      return Promise.resolve({ accounts: config.accounts, unavailable: [] });
    },
  };
}

/** The partition an account lives in, from the region Vigil calls global services in. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** How Vigil reaches an account of the organization: the organization's role, external id and regions. */
export function organizationAccount(org: OrganizationConfig, found: { id: string; name: string; partition: string }): AccountConfig {
  return {
    id: found.id,
    name: found.name,
    roleArn: `arn:${found.partition}:iam::${found.id}:role/${org.roleName}`,
    ...(org.externalId ? { externalId: org.externalId } : {}),
    regions: org.regions === 'enabled' ? [] : org.regions,
    ...(org.drRegion ? { drRegion: org.drRegion } : {}),
  };
}

/**
 * One account by id, for work that names its account (a drill's runbook) rather than scanning them
 * all: the config's entry, or, when accounts are discovered, the organization's settings for it.
 * Undefined when the config neither lists it nor would scan it (excluded, or outside `include`). Whether
 * the organization really holds the account shows when Vigil assumes the role.
 */
export function accountById(config: Pick<VigilConfig, 'accounts' | 'organization' | 'aws'>, id: string): AccountConfig | undefined {
  const listed = config.accounts.find((a) => a.id === id);
  if (listed) return listed;
  const org = config.organization;
  // Units in include or exclude are not walked here: an account named by a runbook is wanted there
  // unless the config names the account itself as excluded or lists only other accounts to include.
  const onlyAccounts = org?.include?.every((entry) => /^\d{12}$/.test(entry)) ?? false;
  if (!org || org.exclude.includes(id) || (onlyAccounts && !org.include?.includes(id))) return undefined;
  return organizationAccount(org, { id, name: id, partition: partitionOf(config.aws.defaultRegion) });
}

/** Why `accountById` found nothing, for the error that names the runbook field. */
export function accountMissingReason(config: Pick<VigilConfig, 'organization'>, id: string): string {
  const org = config.organization;
  if (!org) return `account ${id} is not in the configuration's accounts`;
  if (org.exclude.includes(id)) return `account ${id} is in organization.exclude`;
  return `account ${id} is neither in the configuration's accounts nor in organization.include`;
}
