/**
 * RDS (awsQuery): DB instances, DB snapshots (automated, manual, shared, public, cross-region copies),
 * Aurora clusters and their snapshots, and tags. Postgres, MySQL and MariaDB instances are real: each
 * has a loopback endpoint backed by PGlite (postgres) or a MariaDB server (mysql, mariadb; when one is
 * installed), a snapshot carries the data, and a restore serves it on a new port. Aurora is metadata only.
 */
import type { World } from '../world.js';
import type { AwsServiceEmulator } from './service.js';
import { MariaDbBackend } from './rds-mariadb.js';
import { instanceStatus, regionState, settle } from './rds-model.js';
import { instanceOperations } from './rds-instances.js';
import { snapshotOperations } from './rds-snapshots.js';

export { rdsRegionScenario } from './rds-scenario.js';
export { seedRds } from './rds-seed.js';

export const rds: AwsServiceEmulator = {
  signingName: 'rds',
  protocol: 'query',
  xmlNamespace: 'http://rds.amazonaws.com/doc/2014-10-31/',
  throttlingError: { code: 'Throttling', status: 400 },
  accessDeniedError: { code: 'AccessDenied', status: 403 },
  operations: { ...instanceOperations, ...snapshotOperations },
};

/**
 * Runs SQL on a sandbox database instance that is backed by a real database (Vault's database engine
 * uses it to create the users it issues): as the superuser, in the instance's engine's dialect. Throws
 * when the instance does not exist or holds no data.
 */
export async function executeSql(
  world: World,
  target: { accountId: string; region: string; dbInstanceIdentifier: string },
  sql: string,
): Promise<void> {
  const state = regionState(world, target.accountId, target.region);
  settle(state, world.now());
  const where = `in account ${target.accountId}, region ${target.region}`;
  const instance = state.instanceIndex.get(target.dbInstanceIdentifier.toLowerCase());
  if (!instance) throw new Error(`executeSql: no DB instance "${target.dbInstanceIdentifier}" ${where}`);
  if (!instance.backend) {
    throw new Error(`executeSql: DB instance "${instance.id}" ${where} is ${instance.engine}; only postgres, mysql and mariadb instances hold data in the sandbox`);
  }
  const status = instanceStatus(instance, world.now());
  if (status !== 'available' && status !== 'modifying') {
    throw new Error(`executeSql: DB instance "${instance.id}" ${where} is ${status}, not available`);
  }
  if (instance.backend instanceof MariaDbBackend) await instance.backend.execute(sql);
  else await (await instance.backend.database()).exec(sql);
}
