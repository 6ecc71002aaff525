/**
 * A run's accounts: the selection is checked against the accounts the run resolved (discovered ones
 * included), unavailable accounts stay in it, and a config that discovers accounts never falls back
 * to its own list in silence.
 */
import { describe, expect, it } from 'vitest';
import { configuredAccounts, type ResolvedAccounts } from '../../src/checks/accounts.js';
import type { CheckDefinition } from '../../src/checks/definitions.js';
import { resolveSelection } from '../../src/checks/run.js';
import { configSchema } from '../../src/config/schema.js';
import { ConfigError } from '../../src/core/errors.js';

const CHECK: CheckDefinition = {
  id: 'rds-multi-az',
  title: 'RDS instances run Multi-AZ',
  severity: 'high',
  evaluator: 'multi-az',
  params: { source: 'rds-instance' },
  risk: 'r'.repeat(20),
  remediation: 'runbooks/rds-multi-az.md',
  controls: ['A.8.14'],
  enabled: true,
  resource: 'rds-instance',
  file: 'checks/rds-multi-az.yaml',
};

const DISCOVERING = configSchema.parse({ version: 1, organization: { discover: true, regions: 'enabled' } });
const RESOLVED: ResolvedAccounts = {
  accounts: [{ id: '222222222222', name: 'production', regions: ['us-east-1', 'us-west-2'] }],
  unavailable: [{ account: { id: '333333333333', name: 'closed', regions: [] }, reason: 'account suspended (AWS Organizations state SUSPENDED)' }],
};

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.file}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('resolveSelection with the run\'s accounts', () => {
  it('selects discovered and unavailable accounts by id, and counts the unavailable ones\' units', () => {
    const selection = resolveSelection({ accountIds: ['333333333333'] }, [CHECK], DISCOVERING, RESOLVED);

    expect(selection.accounts).toEqual([]);
    expect(selection.unavailable.map((u) => u.account.id)).toEqual(['333333333333']);
    expect(selection.units).toBe(1);
  });

  it('names an account neither listed nor discovered, and a region no selected account has', () => {
    expect(problems(() => resolveSelection({ accountIds: ['999999999999'] }, [CHECK], DISCOVERING, RESOLVED))).toEqual([
      'argument --account: account 999999999999 is not in the configuration or the organization (known: 222222222222, 333333333333)',
    ]);
    expect(problems(() => resolveSelection({ regions: ['eu-west-1'] }, [CHECK], DISCOVERING, RESOLVED))).toEqual([
      'argument --region: region eu-west-1 is not configured for the selected accounts (known: us-east-1, us-west-2)',
    ]);
  });

  it('leaves account and region names unchecked until discovery has run', () => {
    const selection = resolveSelection({ accountIds: ['999999999999'], regions: ['eu-west-1'] }, [CHECK], DISCOVERING);

    expect(selection.accounts).toEqual([]);
  });
});

describe('configuredAccounts', () => {
  it('gives the listed accounts', async () => {
    const config = configSchema.parse({ version: 1, accounts: [{ id: '222222222222', name: 'production', regions: ['us-east-1'] }] });

    expect(await configuredAccounts(config).resolve()).toEqual({ accounts: config.accounts, unavailable: [] });
  });

  it('refuses to stand in for discovery', async () => {
    await expect(configuredAccounts(DISCOVERING).resolve()).rejects.toThrow(/discovers accounts through AWS Organizations, but this run was given no account discovery/);
  });
});
