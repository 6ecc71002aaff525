/** Organizations (awsJson1_1): the accounts of the organization, readable from the management account. */
import { AwsError } from './protocol.js';
import type { AwsCall, AwsServiceEmulator } from './service.js';
import type { SandboxAccount } from '../world.js';

const MAX_RESULTS = 20;

function requireManagement({ world, account }: AwsCall): string {
  if (!world.organizationId) throw new AwsError('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.', 400);
  if (account.id !== world.managementAccountId) {
    throw new AwsError('AccessDeniedException', 'You don\'t have permissions to access this resource.', 400);
  }
  return world.organizationId;
}

const PARENT_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;

/** The root or unit a call names, which must exist. */
function requireParent({ world, params }: AwsCall): string {
  const parent = String(params['ParentId'] ?? '');
  if (!PARENT_ID.test(parent)) throw new AwsError('InvalidInputException', 'You provided a value that does not match the required pattern.', 400);
  if (parent !== world.organizationRootId && !world.organizationalUnits.has(parent)) {
    throw new AwsError('ParentNotFoundException', 'We can\'t find a root or OU with the ParentId that you specified.', 400);
  }
  return parent;
}

/** One page of `items` by MaxResults (at most 20) and an opaque NextToken. */
function paged<T>({ params }: AwsCall, items: T[]): { items: T[]; next?: string } {
  const maxResults = Math.min(Number(params['MaxResults'] ?? MAX_RESULTS), MAX_RESULTS);
  if (!Number.isInteger(maxResults) || maxResults < 1) throw new AwsError('InvalidInputException', 'MaxResults must be between 1 and 20.', 400);
  const start = params['NextToken'] ? Number(Buffer.from(String(params['NextToken']), 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw new AwsError('InvalidInputException', 'The NextToken is not valid.', 400);
  const next = start + maxResults < items.length ? Buffer.from(String(start + maxResults)).toString('base64url') : undefined;
  return { items: items.slice(start, start + maxResults), ...(next ? { next } : {}) };
}

function describe(organizationId: string, account: SandboxAccount) {
  return {
    Id: account.id,
    Arn: `arn:aws:organizations::${account.id}:account/${organizationId}/${account.id}`,
    Email: account.email,
    Name: account.name,
    Status: account.status,
    State: account.status,
    JoinedMethod: 'CREATED',
    // awsJson1_1 carries timestamps as epoch seconds.
    JoinedTimestamp: account.joinedAt.getTime() / 1000,
  };
}

export const organizations: AwsServiceEmulator = {
  signingName: 'organizations',
  protocol: 'json',
  targetPrefix: 'AWSOrganizationsV20161128',
  throttlingError: { code: 'TooManyRequestsException', status: 400 },
  accessDeniedError: { code: 'AccessDeniedException', status: 400 },
  operations: {
    DescribeOrganization: (call) => {
      const organizationId = requireManagement(call);
      const management = call.world.account(call.world.managementAccountId as string) as SandboxAccount;
      return {
        Organization: {
          Id: organizationId,
          Arn: `arn:aws:organizations::${management.id}:organization/${organizationId}`,
          FeatureSet: 'ALL',
          MasterAccountArn: `arn:aws:organizations::${management.id}:account/${organizationId}/${management.id}`,
          MasterAccountId: management.id,
          MasterAccountEmail: management.email,
        },
      };
    },

    ListAccounts: (call) => {
      const organizationId = requireManagement(call);
      const { items, next } = paged(call, [...call.world.accounts.values()]);
      return { Accounts: items.map((a) => describe(organizationId, a)), NextToken: next };
    },

    ListRoots: (call) => {
      const organizationId = requireManagement(call);
      const root = call.world.organizationRootId as string;
      const management = call.world.managementAccountId as string;
      return { Roots: [{ Id: root, Arn: `arn:aws:organizations::${management}:root/${organizationId}/${root}`, Name: 'Root', PolicyTypes: [] }] };
    },

    ListOrganizationalUnitsForParent: (call) => {
      const organizationId = requireManagement(call);
      const parent = requireParent(call);
      const management = call.world.managementAccountId as string;
      const { items, next } = paged(call, [...call.world.organizationalUnits.values()].filter((u) => u.parentId === parent));
      return { OrganizationalUnits: items.map((u) => ({ Id: u.id, Arn: `arn:aws:organizations::${management}:ou/${organizationId}/${u.id}`, Name: u.name })), NextToken: next };
    },

    ListAccountsForParent: (call) => {
      const organizationId = requireManagement(call);
      const parent = requireParent(call);
      const root = call.world.organizationRootId as string;
      const { items, next } = paged(call, [...call.world.accounts.values()].filter((a) => (a.parentId ?? root) === parent));
      return { Accounts: items.map((a) => describe(organizationId, a)), NextToken: next };
    },

    DescribeAccount: (call) => {
      const organizationId = requireManagement(call);
      const account = call.world.account(String(call.params['AccountId'] ?? ''));
      if (!account) throw new AwsError('AccountNotFoundException', 'You specified an account that doesn\'t exist.', 400);
      return { Account: describe(organizationId, account) };
    },
  },
};
