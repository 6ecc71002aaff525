/**
 * The sandbox's mysql and mariadb instances against a real MariaDB server: seeded rows over the MySQL
 * wire protocol with mysql2, point-in-time snapshots and restores, and Vault-issued users.
 */
import { CreateDBSnapshotCommand, DeleteDBInstanceCommand, DescribeDBInstancesCommand, RDSClient, RestoreDBInstanceFromDBSnapshotCommand, type DBInstance } from '@aws-sdk/client-rds';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import nodeVault from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { MARIADB_EMPTY_IMAGE, MariaDbBackend, MariaDbHome } from '../../src/sandbox/aws/rds-mariadb.js';
import { executeSql } from '../../src/sandbox/aws/rds.js';
import { skipWithoutMariaDb } from '../helpers/mariadb.js';
import { startTestSandbox, TEST_KEY, type TestSandbox } from '../helpers/sandbox.js';

const NOW = '2025-06-15T10:00:00.000Z';
const SELF = '111111111111';
const MASTER = { user: 'reporting', password: 'reports-master-password' };

const SCENARIO = `
name: rds-mariadb
accounts:
  - id: "${SELF}"
    name: platform
    accessKeys:
      - accessKeyId: ${TEST_KEY.accessKeyId}
        secretAccessKey: ${TEST_KEY.secretAccessKey}
    regions:
      us-east-1:
        rds:
          instances:
            - id: reports-db
              engine: mysql
              masterUsername: ${MASTER.user}
              masterPassword: ${MASTER.password}
              dbName: reporting
              backupRetentionDays: 7
              age: 300d
              data:
                generate: { learners: 120, courses: 8, enrollmentsPerLearner: 2, span: 200d, seed: 3 }
                sql: "CREATE TABLE release_marker (note varchar(64) NOT NULL); INSERT INTO release_marker VALUES ('seeded');"
              snapshots:
                daily: { at: "04:00" }
                manual:
                  - { id: reports-db-broken, age: 2h, data: empty }
                  - { id: reports-db-stale, age: 1h, data: { asOf: 100d } }
            - { id: no-data-db, engine: mariadb, backupRetentionDays: 0 }
vault:
  tokens: [{ token: hvs.mariadb-test-token, displayName: token-vigil }]
  database:
    connections:
      reports-db:
        account: "${SELF}"
        region: us-east-1
        dbInstanceIdentifier: reports-db
        pluginName: mysql-database-plugin
        username: ${MASTER.user}
        dbName: reporting
    roles:
      reports-readonly:
        connection: reports-db
        defaultTtl: 1h
        maxTtl: 24h
        creationStatements:
          - "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';"
          - "GRANT SELECT ON reporting.* TO '{{name}}'@'%';"
`;

let sandbox: TestSandbox;
let clock: ManualClock;
let rds: RDSClient;

async function describeInstance(id: string): Promise<DBInstance> {
  const result = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  return result.DBInstances?.[0] as DBInstance;
}

async function query<T>(endpoint: DBInstance['Endpoint'], sql: string, params: unknown[] = [], login: { user: string; password: string } = MASTER): Promise<T[]> {
  const connection = await createConnection({ host: endpoint?.Address, port: endpoint?.Port, ...login, database: 'reporting', timezone: 'Z' });
  try {
    const [rows] = await connection.query<RowDataPacket[]>(sql, params);
    return rows as T[];
  } finally {
    await connection.end();
  }
}

/** Restores `snapshot` as `id`, moves the clock past the restore, and returns the available instance. */
async function restore(id: string, snapshot: string): Promise<DBInstance> {
  await rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: id, DBSnapshotIdentifier: snapshot }));
  clock.advance(3_000);
  return describeInstance(id);
}

async function remove(id: string): Promise<void> {
  await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }));
}

describe.skipIf(skipWithoutMariaDb)('mysql instances backed by MariaDB', () => {
  beforeAll(async () => {
    clock = new ManualClock(NOW);
    sandbox = await startTestSandbox(SCENARIO, { clock });
    rds = new RDSClient(sandbox.aws('us-east-1'));
  });

  afterAll(async () => {
    rds.destroy();
    await sandbox.stop();
  });

  it('serves the seeded rows to mysql2 as the master user, and refuses a wrong password', async () => {
    const live = await describeInstance('reports-db');

    const [counts] = await query<{ learners: number; courses: number; marker: string; accented: number }>(
      live.Endpoint,
      "SELECT (SELECT COUNT(*) FROM learners) AS learners, (SELECT COUNT(*) FROM courses) AS courses, (SELECT note FROM release_marker) AS marker, (SELECT COUNT(*) FROM learners WHERE full_name REGEXP '[éá]') AS accented",
    );
    const refused = await query(live.Endpoint, 'SELECT 1', [], { user: MASTER.user, password: 'not-the-password' }).catch((e: unknown) => e);

    expect(live).toMatchObject({ Engine: 'mysql', DBInstanceStatus: 'available', Endpoint: { Address: '127.0.0.1', Port: expect.any(Number) }, DBName: 'reporting' });
    expect(counts).toMatchObject({ learners: 120, courses: 8, marker: 'seeded' });
    expect(counts?.accented).toBeGreaterThan(0);
    expect(refused).toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
  }, 60_000);

  it('restores an automated snapshot with exactly the rows it held, not those changed live since', async () => {
    const snapshotTime = new Date('2025-06-15T04:00:00.000Z');
    const live = await describeInstance('reports-db');
    const old = await query<{ id: number }>(live.Endpoint, 'SELECT id FROM learners WHERE created_at <= ? ORDER BY id LIMIT 5', [snapshotTime]);
    const ids = old.map((r) => r.id);
    await query(live.Endpoint, 'DELETE FROM learners WHERE id IN (?)', [ids]);
    await query(live.Endpoint, "INSERT INTO learners (email, full_name, created_at, updated_at) VALUES ('late@example.test', 'Late Comer', ?, ?)", [new Date(NOW), new Date(NOW)]);

    const restored = await restore('reports-restore', 'rds:reports-db-2025-06-15-04-00');
    const stillThere = await query<{ id: number }>(restored.Endpoint, 'SELECT id FROM learners WHERE id IN (?) ORDER BY id', [ids]);
    const late = await query(restored.Endpoint, "SELECT id FROM learners WHERE email = 'late@example.test'");
    const [newer] = await query<{ n: number }>(restored.Endpoint, 'SELECT (SELECT COUNT(*) FROM enrollments WHERE created_at > ? OR updated_at > ?) + (SELECT COUNT(*) FROM learners WHERE created_at > ?) AS n', [snapshotTime, snapshotTime, snapshotTime]);
    const [liveLearners] = await query<{ n: number }>(live.Endpoint, 'SELECT COUNT(*) AS n FROM learners');
    await remove('reports-restore');
    clock.advance(2_000);
    const gone = await describeInstance('reports-restore').catch((e: unknown) => e);

    expect(ids).toHaveLength(5);
    expect(restored.Endpoint?.Port).not.toBe(live.Endpoint?.Port);
    expect(stillThere.map((r) => r.id)).toEqual(ids);
    expect(late).toEqual([]);
    expect(newer?.n).toBe(0);
    expect(liveLearners?.n).toBe(116);
    expect(gone).toMatchObject({ name: 'DBInstanceNotFoundFault' });
  }, 60_000);

  it('captures live changes and users in a manual snapshot, and the restore holds them and nothing later', async () => {
    const live = await describeInstance('reports-db');
    await query(live.Endpoint, "INSERT INTO release_marker VALUES ('after-migration')");
    await query(live.Endpoint, "CREATE USER 'analyst'@'%' IDENTIFIED BY 'analyst-password'");
    await query(live.Endpoint, "GRANT SELECT ON reporting.* TO 'analyst'@'%'");

    await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'reports-db', DBSnapshotIdentifier: 'reports-db-after-migration' }));
    clock.advance(2_000);
    await query(live.Endpoint, "INSERT INTO release_marker VALUES ('after-snapshot')");
    const restored = await restore('reports-after-migration', 'reports-db-after-migration');
    const notes = await query<{ note: string }>(restored.Endpoint, 'SELECT note FROM release_marker ORDER BY note', [], { user: 'analyst', password: 'analyst-password' });
    await remove('reports-after-migration');

    expect(notes.map((n) => n.note)).toEqual(['after-migration', 'seeded']);
  }, 60_000);

  it('restores the planted broken snapshot to an empty database and the stale one to old rows only', async () => {
    const broken = await restore('reports-from-broken', 'reports-db-broken');
    const stale = await restore('reports-from-stale', 'reports-db-stale');

    const tables = await query(broken.Endpoint, 'SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()');
    const [newest] = await query<{ newest: Date; updated: Date }>(stale.Endpoint, 'SELECT MAX(created_at) AS newest, MAX(updated_at) AS updated FROM learners');
    await remove('reports-from-broken');
    await remove('reports-from-stale');

    expect(tables).toEqual([]);
    expect(newest?.newest.getTime()).toBeLessThanOrEqual(Date.parse(NOW) - 100 * 86_400_000);
    expect(newest?.updated.getTime()).toBeLessThanOrEqual(Date.parse(NOW) - 100 * 86_400_000);
  }, 60_000);

  it('issues Vault database credentials that log in read-only, and revocation drops the user', async () => {
    const vault = nodeVault({ apiVersion: 'v1', endpoint: sandbox.info.vaultAddr, token: 'hvs.mariadb-test-token' });
    const live = await describeInstance('reports-db');

    const creds = (await vault.read('database/creds/reports-readonly')) as { lease_id: string; data: { username: string; password: string } };
    const login = { user: creds.data.username, password: creds.data.password };
    const [count] = await query<{ n: number }>(live.Endpoint, 'SELECT COUNT(*) AS n FROM courses', [], login);
    const write = await query(live.Endpoint, 'DELETE FROM courses', [], login).catch((e: unknown) => e);
    await vault.revoke({ lease_id: creds.lease_id });
    const afterRevoke = await query(live.Endpoint, 'SELECT 1', [], login).catch((e: unknown) => e);

    // mysql-database-plugin's template: v-<display name, 10>-<role, 10>-<random>..., 32 characters at most.
    expect(creds.data.username).toMatch(/^v-token-vigi-reports-re-\w{8}$/);
    expect(count?.n).toBe(8);
    expect(write).toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    expect(afterRevoke).toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
  }, 60_000);

  it('gives an instance seeded without data its master user and nothing else, for Vault to run SQL on', async () => {
    await executeSql(sandbox.world, { accountId: SELF, region: 'us-east-1', dbInstanceIdentifier: 'no-data-db' }, "CREATE DATABASE scratch");
    const instance = await describeInstance('no-data-db');

    const refused = await query(instance.Endpoint, 'SELECT 1', [], { user: 'dbadmin', password: 'any-guess-at-all' }).catch((e: unknown) => e);

    expect(instance).toMatchObject({ Engine: 'mariadb', Endpoint: { Address: '127.0.0.1' } });
    expect(refused).toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
  }, 60_000);
});

describe('mysql instances without MariaDB installed', () => {
  it('answers every connection, and Vault, with the package to install', async () => {
    const backend = await MariaDbBackend.listen({ image: MARIADB_EMPTY_IMAGE }, new MariaDbHome(() => ({ missing: ['mariadbd', 'mariadb-install-db'] })));
    try {
      const connecting = await createConnection({ host: '127.0.0.1', port: backend.port, user: 'reporting', password: 'x' }).catch((e: unknown) => e);
      const executing = await backend.execute('SELECT 1').catch((e: unknown) => e);

      expect(connecting).toMatchObject({ errno: 1105, message: expect.stringContaining('found no mariadbd, mariadb-install-db') });
      expect(connecting).toMatchObject({ message: expect.stringContaining('Install mariadb-server (Debian and Ubuntu: apt-get install mariadb-server)') });
      expect(executing).toMatchObject({ message: expect.stringContaining('apt-get install mariadb-server') });
    } finally {
      await backend.close();
    }
  });
});
