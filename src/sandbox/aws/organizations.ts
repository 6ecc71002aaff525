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
      const maxResults = Math.min(Number(call.params['MaxResults'] ?? MAX_RESULTS), MAX_RESULTS);
      if (!Number.isInteger(maxResults) || maxResults < 1) throw new AwsError('InvalidInputException', 'MaxResults must be between 1 and 20.', 400);
      const start = call.params['NextToken'] ? Number(Buffer.from(String(call.params['NextToken']), 'base64url').toString()) : 0;
      if (!Number.isInteger(start) || start < 0) throw new AwsError('InvalidInputException', 'The NextToken is not valid.', 400);
      const accounts = [...call.world.accounts.values()];
      const page = accounts.slice(start, start + maxResults);
      const next = start + maxResults < accounts.length ? Buffer.from(String(start + maxResults)).toString('base64url') : undefined;
      return { Accounts: page.map((a) => describe(organizationId, a)), NextToken: next };
    },

    DescribeAccount: (call) => {
      const organizationId = requireManagement(call);
      const account = call.world.account(String(call.params['AccountId'] ?? ''));
      if (!account) throw new AwsError('AccountNotFoundException', 'You specified an account that doesn\'t exist.', 400);
      return { Account: describe(organizationId, account) };
    },
  },
};
