/**
 * The accounts a run covers, as the engine receives them: resolved once per run, from the config or
 * from AWS Organizations (src/adapters/aws/accounts.ts). An account that cannot be scanned (suspended,
 * its role refused) stays in the list with the reason, so it gets `error` results instead of silence.
 */
import type { AccountConfig, VigilConfig } from '../config/schema.js';

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
