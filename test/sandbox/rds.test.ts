import {
  AddTagsToResourceCommand,
  CopyDBSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  ModifyDBInstanceCommand,
  ModifyDBSnapshotAttributeCommand,
  paginateDescribeDBInstances,
  paginateDescribeDBSnapshots,
  RDSClient,
  RemoveTagsFromResourceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type DBInstance,
  type DBSnapshot,
  type DescribeDBSnapshotsCommandInput,
} from '@aws-sdk/client-rds';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, ManualClock } from '../../src/core/clock.js';
import { executeSql, seedRds } from '../../src/sandbox/aws/rds.js';
import { regionState } from '../../src/sandbox/aws/rds-model.js';
import { fileURLToPath } from 'node:url';
import { DEMO_SCENARIO_URL, loadScenario, parseScenario, type Scenario } from '../../src/sandbox/scenario.js';
import { World } from '../../src/sandbox/world.js';
import { startTestSandbox, TEST_KEY, type TestSandbox } from '../helpers/sandbox.js';

const NOW = '2025-06-15T10:00:00.000Z';
const SELF = '111111111111';
const PARTNER = '222222222222';

/** `count` metadata-only instances, for paging DescribeDBInstances. */
function fleet(count: number): string {
  return Array.from({ length: count }, (_, i) => `            - { id: fleet-${i + 1}, engine: mysql, backupRetentionDays: 0 }`).join('\n');
}

const SCENARIO = `
name: rds-test
accounts:
  - id: "${SELF}"
    name: platform
    accessKeys:
      - accessKeyId: ${TEST_KEY.accessKeyId}
        secretAccessKey: ${TEST_KEY.secretAccessKey}
    iam:
      roles:
        - name: NoSnapshots
          trustedAccounts: ["${SELF}"]
          denyActions: ["rds:DescribeDBSnapshots"]
    regions:
      us-east-1:
        rds:
          instances:
            - id: lms-db
              engine: postgres
              class: db.r6g.large
              multiAZ: true
              backupRetentionDays: 30
              deletionProtection: true
              masterUsername: lmsadmin
              dbName: lms
              age: 300d
              tags: { env: production, app: lms }
              data:
                generate: { learners: 60, courses: 8, enrollmentsPerLearner: 2, span: 400d }
                sql: "CREATE TABLE release_marker (note text); INSERT INTO release_marker VALUES ('seeded');"
              snapshots:
                daily: { at: "04:00", missingDaysAgo: [3] }
                manual:
                  - { id: lms-db-broken, age: 2h, data: empty }
                  - { id: lms-db-stale, age: 1h, data: { asOf: 200d } }
                  - { id: lms-db-public, age: 10d, encrypted: false, public: true }
                  - { id: lms-db-pre-migration, age: 120d, tags: { reason: migration } }
            - id: reports-db
              engine: mysql
              backupRetentionDays: 7
              encrypted: false
              tags: { env: production }
            - { id: page-a, engine: mysql, backupRetentionDays: 20 }
            - { id: page-b, engine: mysql, backupRetentionDays: 21 }
          clusters:
            - id: content-aurora
              engine: aurora-postgresql
              backupRetentionDays: 7
              tags: { env: production }
              snapshots:
                manual:
                  - { id: content-aurora-before-upgrade, age: 40d }
      us-west-2:
        rds:
          copies:
            - { sourceRegion: us-east-1, sourceInstance: lms-db, count: 2, after: 1h, kmsKeyId: alias/dr }
      us-east-2:
        rds:
          instances:
${fleet(20)}
      eu-west-1:
        rds:
          instances:
${fleet(21)}
  - id: "${PARTNER}"
    name: partner
    regions:
      us-east-1:
        rds:
          instances:
            - id: partner-db
              backupRetentionDays: 1
              snapshots:
                manual:
                  - { id: partner-shared, sharedWith: ["${SELF}"] }
                  - { id: partner-public, encrypted: false, public: true }
                  - { id: partner-private }
`;

let sandbox: TestSandbox;
let clock: ManualClock;
let rds: RDSClient;

beforeAll(async () => {
  clock = new ManualClock(NOW);
  sandbox = await startTestSandbox(SCENARIO, { clock });
  rds = new RDSClient(sandbox.aws('us-east-1'));
});

afterAll(async () => {
  await sandbox.stop();
});

async function describeInstance(id: string, client = rds): Promise<DBInstance> {
  const result = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  return result.DBInstances?.[0] as DBInstance;
}

async function allSnapshots(input: DescribeDBSnapshotsCommandInput, pageSize = 100, client = rds): Promise<DBSnapshot[][]> {
  const pages: DBSnapshot[][] = [];
  for await (const page of paginateDescribeDBSnapshots({ client, pageSize }, input)) pages.push(page.DBSnapshots ?? []);
  return pages;
}

async function query<T>(endpoint: DBInstance['Endpoint'], sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ host: endpoint?.Address, port: endpoint?.Port, user: 'lmsadmin', password: 'sandbox', database: 'lms' });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Restores `snapshot` as `id`, moves the clock past the restore, and returns the available instance. */
async function restore(id: string, snapshot: string, client = rds): Promise<DBInstance> {
  await client.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: id, DBSnapshotIdentifier: snapshot }));
  clock.advance(3_000);
  return describeInstance(id, client);
}

describe('DB instances', () => {
  it('describes a postgres instance with every field Vigil reads', async () => {
    const instance = await describeInstance('lms-db');

    expect(instance).toMatchObject({
      DBInstanceIdentifier: 'lms-db',
      DBInstanceArn: `arn:aws:rds:us-east-1:${SELF}:db:lms-db`,
      Engine: 'postgres',
      EngineVersion: '16.4',
      DBInstanceClass: 'db.r6g.large',
      DBInstanceStatus: 'available',
      MultiAZ: true,
      BackupRetentionPeriod: 30,
      StorageEncrypted: true,
      KmsKeyId: expect.stringMatching(new RegExp(`^arn:aws:kms:us-east-1:${SELF}:key/`)),
      DeletionProtection: true,
      PubliclyAccessible: false,
      InstanceCreateTime: new Date(Date.parse(NOW) - 300 * DAY_MS),
      LatestRestorableTime: new Date(Date.parse(NOW) - 5 * 60_000),
      Endpoint: { Address: '127.0.0.1', Port: expect.any(Number) },
      MasterUsername: 'lmsadmin',
      DBName: 'lms',
      AvailabilityZone: 'us-east-1a',
      DbiResourceId: expect.stringMatching(/^db-[A-Z0-9]{26}$/),
      TagList: [
        { Key: 'env', Value: 'production' },
        { Key: 'app', Value: 'lms' },
      ],
    });
  });

  it('filters by engine and by instance id or ARN', async () => {
    const mysql = await rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'engine', Values: ['mysql'] }] }));
    const byId = await rds.send(
      new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-instance-id', Values: ['reports-db', `arn:aws:rds:us-east-1:${SELF}:db:lms-db`] }] }),
    );

    expect(mysql.DBInstances?.map((i) => i.DBInstanceIdentifier)).toEqual(['reports-db', 'page-a', 'page-b']);
    expect(byId.DBInstances?.map((i) => i.DBInstanceIdentifier)).toEqual(['lms-db', 'reports-db']);
  });

  it('lists Aurora cluster members as instances of their cluster', async () => {
    const members = await rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: ['content-aurora'] }] }));

    expect(members.DBInstances?.map((i) => [i.DBInstanceIdentifier, i.Engine, i.DBClusterIdentifier])).toEqual([
      ['content-aurora-instance-1', 'aurora-postgresql', 'content-aurora'],
      ['content-aurora-instance-2', 'aurora-postgresql', 'content-aurora'],
    ]);
  });

  it.each([
    ['exactly one full page', 'us-east-2', [20]],
    ['one over a full page', 'eu-west-1', [20, 1]],
  ])('pages DescribeDBInstances at %s', async (_case, region, sizes) => {
    const client = new RDSClient(sandbox.aws(region));

    const pages: number[] = [];
    for await (const page of paginateDescribeDBInstances({ client, pageSize: 20 }, {})) pages.push(page.DBInstances?.length ?? 0);

    expect(pages).toEqual(sizes);
  });

  it('rejects MaxRecords outside 20..100 and unknown filters', async () => {
    const tooSmall = await rds.send(new DescribeDBInstancesCommand({ MaxRecords: 5 })).catch((e: unknown) => e);
    const badFilter = await rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'colour', Values: ['blue'] }] })).catch((e: unknown) => e);

    expect(tooSmall).toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
    expect(badFilter).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('answers an unknown instance with DBInstanceNotFound (404)', async () => {
    const error = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' })).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'DBInstanceNotFoundFault', Code: 'DBInstanceNotFound', $metadata: { httpStatusCode: 404 } });
  });

  it('holds MultiAZ changes pending without ApplyImmediately and applies them with it', async () => {
    const pending = await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'reports-db', MultiAZ: true, BackupRetentionPeriod: 14 }));
    const applied = await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'reports-db', ApplyImmediately: true, DeletionProtection: true }));
    clock.advance(1_000);
    const settled = await describeInstance('reports-db');

    expect(pending.DBInstance).toMatchObject({ MultiAZ: false, BackupRetentionPeriod: 14, PendingModifiedValues: { MultiAZ: true } });
    expect(applied.DBInstance).toMatchObject({ MultiAZ: true, DBInstanceStatus: 'modifying', DeletionProtection: true });
    expect(settled).toMatchObject({ MultiAZ: true, DBInstanceStatus: 'available', BackupRetentionPeriod: 14 });
    expect(settled.PendingModifiedValues?.MultiAZ).toBeUndefined();
  });

  it('refuses to delete an instance with deletion protection', async () => {
    const error = await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'lms-db', SkipFinalSnapshot: true })).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'InvalidParameterCombination', message: expect.stringContaining('deletion protection') });
  });
});

describe('DB snapshots', () => {
  it('keeps one automated snapshot a day for the retention period, minus the missing day', async () => {
    const [page] = await allSnapshots({ DBInstanceIdentifier: 'lms-db', SnapshotType: 'automated' });
    const ids = (page ?? []).map((s) => s.DBSnapshotIdentifier);

    expect(ids).toHaveLength(29);
    expect(ids.at(-1)).toBe('rds:lms-db-2025-06-15-04-00');
    expect(ids).not.toContain('rds:lms-db-2025-06-12-04-00');
    expect(page?.[0]).toMatchObject({
      DBSnapshotIdentifier: 'rds:lms-db-2025-05-17-04-00',
      DBSnapshotArn: `arn:aws:rds:us-east-1:${SELF}:snapshot:rds:lms-db-2025-05-17-04-00`,
      DBInstanceIdentifier: 'lms-db',
      SnapshotType: 'automated',
      Status: 'available',
      Engine: 'postgres',
      Encrypted: true,
      PercentProgress: 100,
      AllocatedStorage: 100,
      SnapshotCreateTime: new Date('2025-05-17T04:00:00.000Z'),
      OriginalSnapshotCreateTime: new Date('2025-05-17T04:00:00.000Z'),
      InstanceCreateTime: new Date(Date.parse(NOW) - 300 * DAY_MS),
      TagList: [
        { Key: 'env', Value: 'production' },
        { Key: 'app', Value: 'lms' },
      ],
    });
  });

  it.each([
    ['exactly one full page', 'page-a', [20]],
    ['one over a full page', 'page-b', [20, 1]],
  ])('pages DescribeDBSnapshots at %s', async (_case, instance, sizes) => {
    const pages = await allSnapshots({ DBInstanceIdentifier: instance }, 20);

    expect(pages.map((p) => p.length)).toEqual(sizes);
  });

  it('includes shared and public snapshots of other accounts only when asked', async () => {
    const own = await allSnapshots({ DBInstanceIdentifier: 'partner-db' });
    const shared = await allSnapshots({ SnapshotType: 'shared' });
    const withBoth = await allSnapshots({ DBInstanceIdentifier: 'partner-db', IncludeShared: true, IncludePublic: true });
    const publicOnes = await allSnapshots({ SnapshotType: 'public' });

    expect(own.flat()).toEqual([]);
    expect(shared.flat().map((s) => [s.DBSnapshotIdentifier, s.SnapshotType])).toEqual([['partner-shared', 'shared']]);
    expect(withBoth.flat().map((s) => [s.DBSnapshotIdentifier, s.SnapshotType])).toEqual([
      ['partner-shared', 'shared'],
      ['partner-public', 'public'],
    ]);
    expect(publicOnes.flat().map((s) => s.DBSnapshotIdentifier)).toEqual(['lms-db-public', 'partner-public']);
  });

  it('answers an unknown snapshot with DBSnapshotNotFound (404), also for another account\'s private one', async () => {
    const missing = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'nope' })).catch((e: unknown) => e);
    const privateArn = `arn:aws:rds:us-east-1:${PARTNER}:snapshot:partner-private`;
    const hidden = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: privateArn })).catch((e: unknown) => e);

    expect(missing).toMatchObject({ name: 'DBSnapshotNotFoundFault', $metadata: { httpStatusCode: 404 } });
    expect(hidden).toMatchObject({ name: 'DBSnapshotNotFoundFault' });
  });

  it('shares a manual snapshot with accounts and publicly through the restore attribute', async () => {
    const before = await rds.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: 'lms-db-public' }));
    const shared = await rds.send(
      new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: 'lms-db-public', AttributeName: 'restore', ValuesToAdd: [PARTNER], ValuesToRemove: ['all'] }),
    );
    const encryptedPublic = await rds
      .send(new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: 'lms-db-pre-migration', AttributeName: 'restore', ValuesToAdd: ['all'] }))
      .catch((e: unknown) => e);

    expect(before.DBSnapshotAttributesResult).toEqual({
      DBSnapshotIdentifier: 'lms-db-public',
      DBSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: ['all'] }],
    });
    expect(shared.DBSnapshotAttributesResult?.DBSnapshotAttributes).toEqual([{ AttributeName: 'restore', AttributeValues: [PARTNER] }]);
    expect(encryptedPublic).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('creates a manual snapshot that is creating, then available, and deletes it', async () => {
    const created = await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'reports-db', DBSnapshotIdentifier: 'reports-manual', Tags: [{ Key: 'why', Value: 'test' }] }));
    const duplicate = await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'reports-db', DBSnapshotIdentifier: 'reports-manual' })).catch((e: unknown) => e);
    clock.advance(2_000);
    const [available] = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'reports-manual' }))).DBSnapshots ?? [];
    const deleted = await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'reports-manual' }));
    const gone = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'reports-manual' })).catch((e: unknown) => e);

    expect(created.DBSnapshot).toMatchObject({ Status: 'creating', SnapshotType: 'manual', Engine: 'mysql', Encrypted: false, TagList: [{ Key: 'why', Value: 'test' }] });
    expect(duplicate).toMatchObject({ name: 'DBSnapshotAlreadyExistsFault' });
    expect(available).toMatchObject({ Status: 'available', PercentProgress: 100 });
    expect(deleted.DBSnapshot?.Status).toBe('deleted');
    expect(gone).toMatchObject({ name: 'DBSnapshotNotFoundFault' });
  });

  it('copies a snapshot into another region, where SourceRegion points back', async () => {
    const west = new RDSClient(sandbox.aws('us-west-2'));
    const source = `arn:aws:rds:us-east-1:${SELF}:snapshot:rds:lms-db-2025-06-14-04-00`;

    const withoutKey = await west.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: source, TargetDBSnapshotIdentifier: 'lms-db-dr-test' })).catch((e: unknown) => e);
    const copy = await west.send(
      new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: source, TargetDBSnapshotIdentifier: 'lms-db-dr-test', KmsKeyId: 'alias/dr', CopyTags: true }),
    );
    clock.advance(5_000);
    const [done] = (await west.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'lms-db-dr-test' }))).DBSnapshots ?? [];
    const seeded = await allSnapshots({ SnapshotType: 'manual', DBInstanceIdentifier: 'lms-db' }, 100, west);

    expect(withoutKey).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('KMS key') });
    expect(copy.DBSnapshot).toMatchObject({ Status: 'creating', SourceRegion: 'us-east-1', SourceDBSnapshotIdentifier: source, Encrypted: true });
    expect(done).toMatchObject({
      Status: 'available',
      SnapshotType: 'manual',
      DBInstanceIdentifier: 'lms-db',
      KmsKeyId: expect.stringMatching(new RegExp(`^arn:aws:kms:us-west-2:${SELF}:key/`)),
      OriginalSnapshotCreateTime: new Date('2025-06-14T04:00:00.000Z'),
      TagList: [
        { Key: 'env', Value: 'production' },
        { Key: 'app', Value: 'lms' },
      ],
    });
    expect(seeded.flat().map((s) => [s.DBSnapshotIdentifier, s.SourceRegion, s.SnapshotCreateTime?.toISOString()])).toEqual([
      ['lms-db-2025-06-14-04-00-copy', 'us-east-1', '2025-06-14T05:00:00.000Z'],
      ['lms-db-2025-06-15-04-00-copy', 'us-east-1', '2025-06-15T05:00:00.000Z'],
      ['lms-db-dr-test', 'us-east-1', expect.any(String)],
    ]);
  });
});

describe('Aurora clusters', () => {
  it('describes a cluster with its members and its automated and manual cluster snapshots', async () => {
    const clusters = await rds.send(new DescribeDBClustersCommand({}));
    const snapshots = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: 'content-aurora' }));
    const missing = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'nope' })).catch((e: unknown) => e);

    expect(clusters.DBClusters?.[0]).toMatchObject({
      DBClusterIdentifier: 'content-aurora',
      Engine: 'aurora-postgresql',
      MultiAZ: true,
      BackupRetentionPeriod: 7,
      StorageEncrypted: true,
      DBClusterMembers: [
        { DBInstanceIdentifier: 'content-aurora-instance-1', IsClusterWriter: true },
        { DBInstanceIdentifier: 'content-aurora-instance-2', IsClusterWriter: false },
      ],
      TagList: [{ Key: 'env', Value: 'production' }],
    });
    expect(snapshots.DBClusterSnapshots?.map((s) => s.SnapshotType)).toEqual([...Array(7).fill('automated'), 'manual']);
    expect(snapshots.DBClusterSnapshots?.at(-1)).toMatchObject({ DBClusterSnapshotIdentifier: 'content-aurora-before-upgrade', Status: 'available' });
    expect(missing).toMatchObject({ name: 'DBClusterNotFoundFault', $metadata: { httpStatusCode: 404 } });
  });
});

describe('tags', () => {
  it('adds, lists and removes tags by ARN', async () => {
    const arn = `arn:aws:rds:us-east-1:${SELF}:snapshot:lms-db-pre-migration`;

    await rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: [{ Key: 'owner', Value: 'dba' }] }));
    await rds.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: ['reason'] }));
    const listed = await rds.send(new ListTagsForResourceCommand({ ResourceName: arn }));
    const instance = await rds.send(new ListTagsForResourceCommand({ ResourceName: `arn:aws:rds:us-east-1:${SELF}:db:lms-db` }));
    const missing = await rds.send(new ListTagsForResourceCommand({ ResourceName: `arn:aws:rds:us-east-1:${SELF}:db:nope` })).catch((e: unknown) => e);

    expect(listed.TagList).toEqual([
      { Key: 'env', Value: 'production' },
      { Key: 'app', Value: 'lms' },
      { Key: 'owner', Value: 'dba' },
    ]);
    expect(instance.TagList).toEqual([
      { Key: 'env', Value: 'production' },
      { Key: 'app', Value: 'lms' },
    ]);
    expect(missing).toMatchObject({ name: 'DBInstanceNotFoundFault' });
  });
});

describe('access and throttling', () => {
  it('answers an action denied to the role with AccessDenied', async () => {
    const sts = new STSClient(sandbox.aws());
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${SELF}:role/NoSnapshots`, RoleSessionName: 'restricted' }));
    const client = new RDSClient(
      sandbox.aws('us-east-1', {
        accessKeyId: assumed.Credentials?.AccessKeyId as string,
        secretAccessKey: assumed.Credentials?.SecretAccessKey as string,
        sessionToken: assumed.Credentials?.SessionToken as string,
      }),
    );

    const denied = await client.send(new DescribeDBSnapshotsCommand({})).catch((e: unknown) => e);
    const allowed = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'lms-db' }));

    expect(denied).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 }, message: expect.stringContaining('rds:DescribeDBSnapshots') });
    expect(allowed.DBInstances).toHaveLength(1);
  });

  it('retries a throttled call until the bucket refills', async () => {
    await sandbox.setFaults([{ service: 'rds', operation: 'DescribeDBInstances', throttle: { ratePerSecond: 20, burst: 1 } }]);

    const results = await Promise.all([1, 2, 3].map(() => describeInstance('reports-db')));
    const summary = await sandbox.inspect<{ counts: Array<{ service: string; operation: string; throttled: number }> }>('calls/summary');
    await sandbox.setFaults([]);

    expect(results.map((r) => r.DBInstanceIdentifier)).toEqual(['reports-db', 'reports-db', 'reports-db']);
    expect(summary.counts.find((c) => c.service === 'aws:rds' && c.operation === 'DescribeDBInstances')?.throttled).toBeGreaterThan(0);
  });
});

describe('real Postgres data', () => {
  it('serves the live instance over the Postgres wire protocol', async () => {
    const live = await describeInstance('lms-db');

    const [counts] = await query<{ learners: string; courses: string; marker: string }>(
      live.Endpoint,
      'SELECT (SELECT count(*) FROM learners) AS learners, (SELECT count(*) FROM courses) AS courses, (SELECT note FROM release_marker) AS marker',
    );

    expect(counts).toEqual({ learners: '60', courses: '8', marker: 'seeded' });
  });

  it('restores a snapshot whose rows were since deleted live, then deletes the restored instance', async () => {
    const snapshotTime = new Date('2025-06-14T04:00:00.000Z');
    const live = await describeInstance('lms-db');
    const oldLearners = await query<{ id: number }>(live.Endpoint, 'SELECT id FROM learners WHERE created_at <= $1 ORDER BY id LIMIT 5', [snapshotTime]);
    const ids = oldLearners.map((r) => r.id);
    await query(live.Endpoint, 'DELETE FROM learners WHERE id = ANY($1)', [ids]);

    const creating = await rds.send(new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: 'lms-restore-drill',
      DBSnapshotIdentifier: 'rds:lms-db-2025-06-14-04-00',
      DBInstanceClass: 'db.t3.medium',
      PubliclyAccessible: false,
      Tags: [{ Key: 'purpose', Value: 'restore-drill' }],
      VpcSecurityGroupIds: ['sg-0drill'],
      DBSubnetGroupName: 'drill-subnets',
    }));
    clock.advance(3_000);
    const restored = await describeInstance('lms-restore-drill');
    const stillThere = await query<{ id: number }>(restored.Endpoint, 'SELECT id FROM learners WHERE id = ANY($1) ORDER BY id', [ids]);
    const [newer] = await query<{ count: string }>(restored.Endpoint, 'SELECT count(*) FROM enrollments WHERE created_at > $1', [snapshotTime]);
    const goneLive = await query<{ id: number }>(live.Endpoint, 'SELECT id FROM learners WHERE id = ANY($1)', [ids]);
    const deleting = await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'lms-restore-drill', SkipFinalSnapshot: true }));
    clock.advance(2_000);
    const gone = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'lms-restore-drill' })).catch((e: unknown) => e);

    expect(ids).toHaveLength(5);
    expect(creating.DBInstance).toMatchObject({ DBInstanceStatus: 'creating', StorageEncrypted: true, DBInstanceClass: 'db.t3.medium' });
    expect(creating.DBInstance?.Endpoint).toBeUndefined();
    expect(restored).toMatchObject({
      DBInstanceStatus: 'available',
      Endpoint: { Address: '127.0.0.1' },
      TagList: [{ Key: 'purpose', Value: 'restore-drill' }],
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0drill', Status: 'active' }],
      DBSubnetGroup: { DBSubnetGroupName: 'drill-subnets' },
    });
    expect(restored.Endpoint?.Port).not.toBe(live.Endpoint?.Port);
    expect(stillThere.map((r) => r.id)).toEqual(ids);
    expect(newer?.count).toBe('0');
    expect(goneLive).toEqual([]);
    expect(deleting.DBInstance?.DBInstanceStatus).toBe('deleting');
    expect(gone).toMatchObject({ name: 'DBInstanceNotFoundFault' });
  }, 60_000);

  it('captures live changes in a manual snapshot, and the restore holds them', async () => {
    const live = await describeInstance('lms-db');
    await query(live.Endpoint, "INSERT INTO release_marker VALUES ('after-migration')");

    await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'lms-db', DBSnapshotIdentifier: 'lms-db-after-migration' }));
    clock.advance(2_000);
    const restored = await restore('lms-after-migration', 'lms-db-after-migration');
    const notes = await query<{ note: string }>(restored.Endpoint, 'SELECT note FROM release_marker ORDER BY note');
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'lms-after-migration', SkipFinalSnapshot: true }));

    expect(notes.map((n) => n.note)).toEqual(['after-migration', 'seeded']);
  }, 60_000);

  it('restores the planted broken snapshot to an empty database and the stale one to old rows only', async () => {
    const broken = await restore('lms-from-broken', 'lms-db-broken');
    const stale = await restore('lms-from-stale', 'lms-db-stale');

    const tables = await query<{ table_name: string }>(broken.Endpoint, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    const [newest] = await query<{ newest: Date }>(stale.Endpoint, 'SELECT max(created_at) AS newest FROM learners');
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'lms-from-broken', SkipFinalSnapshot: true }));
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'lms-from-stale', SkipFinalSnapshot: true }));

    expect(tables).toEqual([]);
    expect(newest?.newest.getTime()).toBeLessThanOrEqual(Date.parse(NOW) - 200 * DAY_MS);
  }, 60_000);

  it('restores a cross-region copy with the source data in the destination region', async () => {
    const west = new RDSClient(sandbox.aws('us-west-2'));

    const restored = await restore('lms-dr-drill', 'lms-db-2025-06-15-04-00-copy', west);
    const [counts] = await query<{ count: string }>(restored.Endpoint, 'SELECT count(*) FROM courses');
    await west.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'lms-dr-drill', SkipFinalSnapshot: true }));

    expect(counts?.count).toBe('8');
  }, 60_000);

  it('runs SQL for Vault on a postgres instance and refuses others clearly', async () => {
    const target = { accountId: SELF, region: 'us-east-1' };

    await executeSql(sandbox.world, { ...target, dbInstanceIdentifier: 'lms-db' }, "CREATE ROLE \"v-token-reader-1\" WITH LOGIN PASSWORD 'x'");
    const live = await describeInstance('lms-db');
    const roles = await query<{ rolname: string }>(live.Endpoint, "SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-token-%'");
    const aurora = await executeSql(sandbox.world, { ...target, dbInstanceIdentifier: 'content-aurora-instance-1' }, 'SELECT 1').catch((e: unknown) => e);
    const missing = await executeSql(sandbox.world, { ...target, dbInstanceIdentifier: 'nope' }, 'SELECT 1').catch((e: unknown) => e);

    expect(roles).toEqual([{ rolname: 'v-token-reader-1' }]);
    expect(aurora).toMatchObject({ message: expect.stringContaining('is aurora-postgresql; only postgres, mysql and mariadb instances hold data') });
    expect(missing).toMatchObject({ message: expect.stringContaining('no DB instance "nope"') });
  });
});

describe('a large estate', () => {
  /** 160 instances x 25 daily snapshots: 4,000 automated snapshots in one account and region. */
  const ESTATE = `
name: rds-estate
accounts:
  - id: "${SELF}"
    name: estate
    accessKeys:
      - accessKeyId: ${TEST_KEY.accessKeyId}
        secretAccessKey: ${TEST_KEY.secretAccessKey}
    regions:
      us-east-1:
        rds:
          instances:
${Array.from({ length: 160 }, (_, i) => `            - { id: db-${i + 1}, engine: mysql, backupRetentionDays: 25 }`).join('\n')}
`;

  it('seeds 4,000 snapshots quickly and pages through all of them', async () => {
    const world = new World(new ManualClock(NOW));
    const startedAt = performance.now();
    await seedRds(world, parseScenario(ESTATE, 'estate.yaml'));
    const seedMs = performance.now() - startedAt;
    const estate = await startTestSandbox(ESTATE, { clock: new ManualClock(NOW) });

    const ids: string[] = [];
    try {
      const client = new RDSClient(estate.aws('us-east-1'));
      for await (const page of paginateDescribeDBSnapshots({ client, pageSize: 100 }, {})) ids.push(...(page.DBSnapshots ?? []).map((s) => s.DBSnapshotIdentifier as string));
    } finally {
      await estate.stop();
      await world.close();
    }

    expect(regionState(world, SELF, 'us-east-1').snapshotIndex.size).toBe(4_000);
    expect(seedMs).toBeLessThan(2_000);
    expect(ids).toHaveLength(4_000);
    expect(new Set(ids).size).toBe(4_000);
  });
});

describe('the demo scenario', () => {
  /** The demo's accounts with only their IAM and RDS parts, so other emulators' changes cannot break this. */
  function demoRdsOnly(): Scenario {
    const demo = loadScenario(fileURLToPath(DEMO_SCENARIO_URL));
    return {
      ...demo,
      accounts: demo.accounts.map((account) => ({
        ...account,
        regions: Object.fromEntries(Object.entries(account.regions).map(([region, section]) => [region, { rds: section.rds }])),
      })),
    };
  }

  async function auditClient(demo: TestSandbox, account: string, region: string): Promise<RDSClient> {
    const key = { accessKeyId: 'AKIAVIGILDEMO0000001', secretAccessKey: 'sandbox-demo-secret-key' };
    const sts = new STSClient(demo.aws('us-east-1', key));
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/VigilAudit`, RoleSessionName: 'vigil', ExternalId: 'vigil-demo' }));
    return new RDSClient(
      demo.aws(region, {
        accessKeyId: assumed.Credentials?.AccessKeyId as string,
        secretAccessKey: assumed.Credentials?.SecretAccessKey as string,
        sessionToken: assumed.Credentials?.SessionToken as string,
      }),
    );
  }

  it('plants the promised RDS estate, with its broken recovery point', async () => {
    const demoClock = new ManualClock(NOW);
    const demo = await startTestSandbox(demoRdsOnly(), { clock: demoClock });
    try {
      const east = await auditClient(demo, '222222222222', 'us-east-1');
      const west = await auditClient(demo, '222222222222', 'us-west-2');
      const staging = await auditClient(demo, '333333333333', 'us-east-1');

      const instances = (await east.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
      const facts = instances.map((i) => [i.DBInstanceIdentifier, i.Engine, i.MultiAZ, i.BackupRetentionPeriod, i.StorageEncrypted, i.DeletionProtection]);
      const snapshots = (await allSnapshots({}, 100, east)).flat();
      const automated = (id: string) => snapshots.filter((s) => s.DBInstanceIdentifier === id && s.SnapshotType === 'automated').length;
      const manual = snapshots.filter((s) => s.SnapshotType === 'manual').map((s) => [s.DBSnapshotIdentifier, Math.round((Date.parse(NOW) - (s.SnapshotCreateTime?.getTime() ?? 0)) / DAY_MS)]);
      const copies = (await allSnapshots({}, 100, west)).flat();
      const publicExport = await east.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: 'analytics-prod-partner-export' }));
      const clusters = await east.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: 'content-aurora' }));
      const stagingDbs = (await staging.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];

      expect(facts).toEqual([
        ['lms-prod', 'postgres', true, 30, true, true],
        ['reporting-prod', 'mysql', false, 7, true, false],
        ['analytics-prod', 'postgres', true, 30, false, false],
        ['content-aurora-instance-1', 'aurora-postgresql', false, 30, true, false],
        ['content-aurora-instance-2', 'aurora-postgresql', false, 30, true, false],
      ]);
      expect([automated('lms-prod'), automated('reporting-prod'), automated('analytics-prod')]).toEqual([30, 6, 30]);
      expect(manual).toEqual([
        ['lms-prod-before-v3-migration', 120],
        ['analytics-prod-partner-export', 45],
        ['analytics-prod-weekly', 8],
        ['analytics-prod-broken', 1],
      ]);
      expect(copies.map((c) => [c.DBInstanceIdentifier, c.SourceRegion])).toEqual(Array(7).fill(['lms-prod', 'us-east-1']));
      expect(Date.parse(NOW) - (copies.at(-1)?.SnapshotCreateTime?.getTime() ?? 0)).toBeLessThan(DAY_MS);
      expect(publicExport.DBSnapshotAttributesResult?.DBSnapshotAttributes?.[0]?.AttributeValues).toEqual(['all']);
      expect(clusters.DBClusterSnapshots).toHaveLength(31);
      expect(stagingDbs.map((i) => [i.DBInstanceIdentifier, i.TagList])).toEqual([
        ['lms-staging', [{ Key: 'env', Value: 'staging' }, { Key: 'app', Value: 'lms' }]],
      ]);
    } finally {
      await demo.stop();
    }
  });

  it('restores analytics-prod-broken to a database without tables, while the live one has rows', async () => {
    const demoClock = new ManualClock(NOW);
    const demo = await startTestSandbox(demoRdsOnly(), { clock: demoClock });
    try {
      const production = await auditClient(demo, '222222222222', 'us-east-1');

      await production.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'analytics-drill', DBSnapshotIdentifier: 'analytics-prod-broken' }));
      demoClock.advance(3_000);
      const drill = await describeInstance('analytics-drill', production);
      const live = await describeInstance('analytics-prod', production);
      const tables = await query<{ table_name: string }>(drill.Endpoint, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
      const [learners] = await query<{ count: string }>(live.Endpoint, 'SELECT count(*) FROM learners');

      expect(tables).toEqual([]);
      expect(learners?.count).toBe('600');
    } finally {
      await demo.stop();
    }
  }, 60_000);
});

describe('as the world clock moves', () => {
  it('takes the next daily automated snapshot and expires the oldest past retention', async () => {
    clock.set('2025-06-16T04:30:00.000Z');

    const [page] = await allSnapshots({ DBInstanceIdentifier: 'lms-db', SnapshotType: 'automated' });
    const ids = (page ?? []).map((s) => s.DBSnapshotIdentifier);

    expect(ids.at(-1)).toBe('rds:lms-db-2025-06-16-04-00');
    expect(ids[0]).toBe('rds:lms-db-2025-05-18-04-00');
    expect(ids).toHaveLength(29);
  });
});

describe('RDS cluster snapshot attributes', () => {
  it('reads the restore attribute of a cluster snapshot through the real client', async () => {
    const { RDSClient, DescribeDBClusterSnapshotAttributesCommand } = await import('@aws-sdk/client-rds');
    const { startTestSandbox, TEST_KEY } = await import('../helpers/sandbox.js');
    const sandbox = await startTestSandbox(`
name: cluster-attributes
accounts:
  - id: "111111111111"
    name: management
    accessKeys: [{ accessKeyId: ${TEST_KEY.accessKeyId}, secretAccessKey: ${TEST_KEY.secretAccessKey} }]
    regions:
      us-east-1:
        rds:
          clusters:
            - id: content
              snapshots: { manual: [{ id: content-shared, sharedWith: ["444455556666"] }] }
`);
    const client = new RDSClient(sandbox.aws());

    const shared = await client.send(new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: 'content-shared' }));
    const missing = await client.send(new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: 'nope' })).catch((e: unknown) => e);
    await sandbox.stop();

    expect(shared.DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes).toEqual([{ AttributeName: 'restore', AttributeValues: ['444455556666'] }]);
    expect(missing).toMatchObject({ name: 'DBClusterSnapshotNotFoundFault' });
  });
});
