/** STS (awsQuery): who is calling, and role sessions into other accounts. */
import type { Scenario } from '../scenario.js';
import type { SandboxCredential, World } from '../world.js';
import { findRole, trustDenial } from './iam.js';
import { AwsError, queryNumber, queryString } from './protocol.js';
import type { AwsServiceEmulator } from './service.js';
import { randomBytes } from 'node:crypto';

/** Creates the scenario's accounts and the long-lived access keys that identify callers. */
export function seedAccounts(world: World, scenario: Scenario): void {
  for (const account of scenario.accounts) {
    world.accounts.set(account.id, {
      id: account.id,
      name: account.name,
      email: account.email ?? `aws+${account.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}@example.com`,
      status: account.status,
      enabledRegions: account.enabledRegions,
      joinedAt: world.ago(account.joined),
    });
    for (const key of account.accessKeys) {
      const root = key.user === 'root';
      world.credentials.set(key.accessKeyId, {
        accessKeyId: key.accessKeyId,
        secretAccessKey: key.secretAccessKey,
        accountId: account.id,
        principalArn: root ? `arn:aws:iam::${account.id}:root` : `arn:aws:iam::${account.id}:user/${key.user}`,
        principalName: key.user,
        principalType: root ? 'root' : 'user',
        denyActions: key.denyActions,
      });
    }
  }
  if (scenario.organization) {
    world.organizationId = scenario.organization.id;
    world.managementAccountId = scenario.organization.managementAccount;
    const root = `r-${scenario.organization.id.slice(2, 6)}`;
    world.organizationRootId = root;
    for (const unit of scenario.organization.units) {
      world.organizationalUnits.set(unit.id, { id: unit.id, name: unit.name, parentId: unit.parent ?? root });
      for (const id of unit.accounts) {
        const account = world.account(id);
        if (account) account.parentId = unit.id;
      }
    }
  }
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;

export const sts: AwsServiceEmulator = {
  signingName: 'sts',
  protocol: 'query',
  xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
  throttlingError: { code: 'Throttling', status: 400 },
  accessDeniedError: { code: 'AccessDenied', status: 403 },
  operations: {
    GetCallerIdentity: ({ credential }) => ({
      UserId: credential.principalType === 'assumed-role' ? `AROA${credential.accountId}:${credential.principalName}` : `AIDA${credential.accountId}`,
      Account: credential.accountId,
      Arn: credential.principalArn,
    }),

    AssumeRole: ({ world, params, credential }) => {
      const roleArn = queryString(params, 'RoleArn') ?? '';
      const sessionName = queryString(params, 'RoleSessionName') ?? '';
      const externalId = queryString(params, 'ExternalId');
      const durationSeconds = queryNumber(params, 'DurationSeconds') ?? 3600;
      if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
        throw new AwsError('ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`, 400);
      }
      if (durationSeconds < 900 || durationSeconds > 43_200) {
        throw new AwsError('ValidationError', `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`, 400);
      }
      const match = ROLE_ARN.exec(roleArn);
      const denied = () =>
        new AwsError('AccessDenied', `User: ${credential.principalArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
      if (!match) throw new AwsError('ValidationError', `${roleArn} is not a valid role ARN`, 400);
      const [, accountId, roleName] = match as unknown as [string, string, string];
      const target = world.account(accountId);
      if (!target || target.status !== 'ACTIVE') throw denied();
      const role = findRole(world, accountId, roleName);
      if (!role || trustDenial(role, credential, externalId) !== undefined) throw denied();

      const expiresAt = new Date(world.now().getTime() + durationSeconds * 1000);
      const session: SandboxCredential = {
        accessKeyId: world.accessKeyId('ASIA'),
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: randomBytes(96).toString('base64'),
        accountId,
        principalArn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
        principalName: `${roleName}/${sessionName}`,
        principalType: 'assumed-role',
        expiresAt,
        denyActions: role.denyActions,
      };
      world.credentials.set(session.accessKeyId, session);
      return {
        Credentials: {
          AccessKeyId: session.accessKeyId,
          SecretAccessKey: session.secretAccessKey,
          SessionToken: session.sessionToken,
          Expiration: expiresAt,
        },
        AssumedRoleUser: { AssumedRoleId: `${role.roleId}:${sessionName}`, Arn: session.principalArn },
      };
    },
  },
};
