/** IAM (awsQuery, global). Roles are also what STS AssumeRole resolves against. */
import { z } from 'zod';
import type { Scenario } from '../scenario.js';
import type { SandboxCredential, World } from '../world.js';
import type { AwsServiceEmulator } from './service.js';

const roleScenario = z.strictObject({
  name: z.string().min(1),
  path: z.string().default('/'),
  /** Accounts whose principals may assume the role (its trust policy). */
  trustedAccounts: z.array(z.string()).default([]),
  /** When set, AssumeRole must present this external id. */
  externalId: z.string().optional(),
  /** Actions the role's sessions are denied: the sandbox answers AccessDenied. */
  denyActions: z.array(z.string()).default([]),
});

export const iamAccountScenario = z.strictObject({
  roles: z.array(roleScenario).default([]),
});

export interface IamRole {
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
  trustedAccounts: string[];
  externalId?: string;
  denyActions: string[];
  createdAt: Date;
}

interface IamState {
  roles: Map<string, IamRole>;
}

function state(world: World, accountId: string): IamState {
  return world.slice(`iam:${accountId}`, () => ({ roles: new Map<string, IamRole>() }));
}

export function seedIam(world: World, scenario: Scenario): void {
  for (const account of scenario.accounts) {
    const iamState = state(world, account.id);
    for (const role of account.iam?.roles ?? []) {
      iamState.roles.set(role.name, {
        roleName: role.name,
        roleId: `AROA${world.id('role', 16).slice(5).toUpperCase()}`,
        arn: `arn:aws:iam::${account.id}:role${role.path}${role.name}`,
        path: role.path,
        trustedAccounts: role.trustedAccounts,
        externalId: role.externalId,
        denyActions: role.denyActions,
        createdAt: world.ago(300 * 24 * 3600 * 1000),
      });
    }
  }
}

export function findRole(world: World, accountId: string, roleName: string): IamRole | undefined {
  return state(world, accountId).roles.get(roleName);
}

/** Why the role's trust policy refuses this caller, or undefined when it allows it. */
export function trustDenial(role: IamRole, caller: SandboxCredential, externalId: string | undefined): string | undefined {
  if (!role.trustedAccounts.includes(caller.accountId) && !role.trustedAccounts.includes('*')) return 'caller account not trusted';
  if (role.externalId !== undefined && role.externalId !== externalId) return 'external id does not match';
  return undefined;
}

export const iam: AwsServiceEmulator = {
  signingName: 'iam',
  protocol: 'query',
  xmlNamespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
  throttlingError: { code: 'Throttling', status: 400 },
  accessDeniedError: { code: 'AccessDenied', status: 403 },
  operations: {},
};
