/** Who Vigil is in each account, and which regions the account has enabled. */
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AccountConfig } from '../../config/schema.js';
import type { AwsClients } from './clients.js';
import { awsCall } from './errors.js';

/**
 * IAM actions these functions and account discovery (accounts.ts) call, for Vigil's own least-privilege
 * policy. AssumeRole and ListAccounts are made by the principal Vigil starts as, not by the audit role.
 */
export const IDENTITY_ACTIONS = [
  'sts:GetCallerIdentity',
  'sts:AssumeRole',
  'ec2:DescribeRegions',
  'organizations:ListAccounts',
  'organizations:ListAccountsForParent',
  'organizations:ListOrganizationalUnitsForParent',
] as const;
export const PRINCIPAL_ACTIONS: ReadonlySet<string> = new Set(['sts:AssumeRole', 'organizations:ListAccounts', 'organizations:ListAccountsForParent', 'organizations:ListOrganizationalUnitsForParent']);

export interface CallerIdentity {
  account: string;
  arn: string;
}

export async function callerIdentity(clients: AwsClients, account: AccountConfig): Promise<CallerIdentity> {
  const sts = clients.client('sts', account);
  const who = await awsCall({ service: 'sts', operation: 'GetCallerIdentity', account: account.id }, () => sts.send(new GetCallerIdentityCommand({})));
  return { account: who.Account ?? '', arn: who.Arn ?? '' };
}

/** Opt-in status per region: `opt-in-not-required`, `opted-in`, `not-opted-in`, or `unknown` if AWS does not list it. */
export async function regionStatus(clients: AwsClients, account: AccountConfig, regions: string[]): Promise<Map<string, string>> {
  const ec2 = clients.client('ec2', account, regions[0]);
  const described = await awsCall({ service: 'ec2', operation: 'DescribeRegions', account: account.id, region: regions[0] }, () =>
    ec2.send(new DescribeRegionsCommand({ AllRegions: true })),
  );
  const known = new Map((described.Regions ?? []).map((r) => [r.RegionName ?? '', r.OptInStatus ?? 'opt-in-not-required']));
  return new Map(regions.map((region) => [region, known.get(region) ?? 'unknown']));
}
