import { z } from 'zod';
import type { Scenario } from '../scenario.js';
import type { World } from '../world.js';
import type { AwsServiceEmulator } from './service.js';

export const rdsRegionScenario = z.strictObject({});

export async function seedRds(_world: World, _scenario: Scenario): Promise<void> {}

export const rds: AwsServiceEmulator = {
  signingName: 'rds',
  protocol: 'query',
  xmlNamespace: 'http://rds.amazonaws.com/doc/2014-10-31/',
  throttlingError: { code: 'Throttling', status: 400 },
  accessDeniedError: { code: 'AccessDenied', status: 403 },
  operations: {},
};

/**
 * Runs SQL on a sandbox database instance that is backed by real Postgres (Vault's database engine
 * uses it to create the users it issues). Throws when the instance does not exist or holds no data.
 */
export async function executeSql(
  _world: World,
  _target: { accountId: string; region: string; dbInstanceIdentifier: string },
  _sql: string,
): Promise<void> {
  throw new Error('executeSql: the RDS emulator does not hold data yet');
}
