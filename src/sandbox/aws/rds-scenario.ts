/**
 * The `rds:` part of a region in the scenario YAML: DB instances with their automated and manual
 * snapshots, Aurora clusters, and snapshot copies from other regions (disaster recovery). Ages are
 * relative to the world clock. Every field is optional or defaulted, so `{}` is valid.
 */
import { z } from 'zod';
import { durationSchema, regionNameSchema, tagsSchema } from '../scenario-types.js';

/** RDS identifiers: a letter first, then letters, digits and single hyphens, no trailing hyphen. */
const identifierSchema = z
  .string()
  .regex(/^[a-zA-Z](?:-?[a-zA-Z0-9])*$/, 'expected an RDS identifier: a letter, then letters, digits and single hyphens')
  .max(63)
  .transform((id) => id.toLowerCase());
const snapshotIdSchema = z
  .string()
  .regex(/^[a-zA-Z](?:-?[a-zA-Z0-9])*$/, 'expected an RDS snapshot identifier: a letter, then letters, digits and single hyphens')
  .max(255)
  .transform((id) => id.toLowerCase());
const accountIdListSchema = z.array(z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id')).default([]);
const timeOfDaySchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a UTC time of day such as 04:00');

/**
 * Rows an instance starts with. Postgres instances hold them in PGlite; mysql and mariadb instances in a
 * real MariaDB server when one is installed (see rds-mariadb.ts), where `sql` is MySQL and runs in `dbName`.
 */
const dataScenario = z.strictObject({
  /** The built-in e-learning generator: courses, learners and enrollments with timestamps spread over `span`. */
  generate: z
    .strictObject({
      learners: z.number().int().min(0).max(200_000).default(400),
      courses: z.number().int().min(0).max(5_000).default(24),
      enrollmentsPerLearner: z.number().min(0).max(50).default(3),
      span: durationSchema.prefault('540d'),
      seed: z.number().int().default(1),
    })
    .optional(),
  /** SQL run after the generated rows: more tables, rows, views. */
  sql: z.string().optional(),
});
export type DataScenario = z.output<typeof dataScenario>;

/**
 * What a snapshot holds, when it differs from "the instance's rows as of the snapshot's time":
 * `empty` is a database with nothing in it (a broken recovery point); `asOf` makes it stale (rows
 * created after that age are absent); `sql` runs on top.
 */
const snapshotDataScenario = z.union([
  z.literal('empty'),
  z.strictObject({ asOf: durationSchema.optional(), sql: z.string().optional() }),
]);
export type SnapshotDataScenario = z.output<typeof snapshotDataScenario>;

/** Automated backups: one snapshot a day at `at` (UTC), kept for the retention period. */
const dailyScenario = z.strictObject({
  at: timeOfDaySchema.default('04:00'),
  /** Seed at most this much history (the retention period and the instance's age also limit it). */
  keep: durationSchema.optional(),
  /** Days with no automated snapshot (a failed backup): 0 is today, 1 yesterday. */
  missingDaysAgo: z.array(z.number().int().min(0)).default([]),
});
export type DailyScenario = z.output<typeof dailyScenario>;

const manualSnapshotScenario = z.strictObject({
  id: snapshotIdSchema,
  age: durationSchema.prefault('1d'),
  /** Defaults to the instance's encryption. */
  encrypted: z.boolean().optional(),
  /** Restorable by every AWS account (restore attribute `all`). */
  public: z.boolean().default(false),
  /** Account ids allowed to copy and restore it. */
  sharedWith: accountIdListSchema,
  /** Added to the instance's tags (copied when the instance copies tags to snapshots). */
  tags: tagsSchema.default({}),
  data: snapshotDataScenario.optional(),
});
export type ManualSnapshotScenario = z.output<typeof manualSnapshotScenario>;

const snapshotsScenario = z.strictObject({
  /** `false`: no automated snapshots even though backups are retained (they failed or were purged). */
  daily: z.union([z.literal(false), dailyScenario]).prefault({}),
  manual: z.array(manualSnapshotScenario).default([]),
});

const instanceScenario = z.strictObject({
  id: identifierSchema,
  /** MySQL and MariaDB instances are served by a real MariaDB server when one is installed (rds-mariadb.ts). */
  engine: z.enum(['postgres', 'mysql', 'mariadb']).default('postgres'),
  engineVersion: z.string().optional(),
  class: z.string().default('db.t3.medium'),
  multiAZ: z.boolean().default(false),
  /** 0 turns automated backups off. */
  backupRetentionDays: z.number().int().min(0).max(35).default(7),
  encrypted: z.boolean().default(true),
  /** KMS key id, alias or ARN; the account's `aws/rds` key when encrypted without one. */
  kmsKeyId: z.string().optional(),
  deletionProtection: z.boolean().default(false),
  public: z.boolean().default(false),
  allocatedStorageGiB: z.number().int().min(20).max(65_536).default(100),
  age: durationSchema.prefault('400d'),
  tags: tagsSchema.default({}),
  copyTagsToSnapshot: z.boolean().default(true),
  masterUsername: z.string().default('dbadmin'),
  /**
   * MySQL and MariaDB: the master user's password (a random one nobody knows when omitted). Postgres
   * instances accept any password, so they ignore it.
   */
  masterPassword: z.string().min(8, 'expected at least 8 characters, as RDS requires').optional(),
  dbName: z.string().optional(),
  data: dataScenario.optional(),
  snapshots: snapshotsScenario.prefault({}),
}).refine((instance) => instance.engine === 'postgres' || instance.data === undefined || instance.dbName !== undefined, {
  path: ['dbName'],
  message: 'a mysql or mariadb instance with data needs dbName: MySQL has no default database to put the rows in',
});
export type InstanceScenario = z.output<typeof instanceScenario>;

const clusterSnapshotScenario = manualSnapshotScenario.omit({ data: true });

const clusterScenario = z.strictObject({
  id: identifierSchema,
  engine: z.enum(['aurora-postgresql', 'aurora-mysql']).default('aurora-postgresql'),
  engineVersion: z.string().optional(),
  /** Class of the member instances. */
  instanceClass: z.string().default('db.r6g.large'),
  /** Member instances: the first is the writer. More than one spreads them across zones (Multi-AZ). */
  instances: z.number().int().min(0).max(15).default(2),
  backupRetentionDays: z.number().int().min(1).max(35).default(7),
  encrypted: z.boolean().default(true),
  kmsKeyId: z.string().optional(),
  deletionProtection: z.boolean().default(false),
  age: durationSchema.prefault('400d'),
  tags: tagsSchema.default({}),
  masterUsername: z.string().default('dbadmin'),
  dbName: z.string().optional(),
  snapshots: z
    .strictObject({
      daily: z.union([z.literal(false), dailyScenario]).prefault({}),
      manual: z.array(clusterSnapshotScenario).default([]),
    })
    .prefault({}),
});
export type ClusterScenario = z.output<typeof clusterScenario>;

/**
 * Manual snapshots in this region copied from another region (DR copies): either the newest `count`
 * automated snapshots of `sourceInstance`, or one named `sourceSnapshot`.
 */
const copyScenario = z
  .strictObject({
    sourceRegion: regionNameSchema,
    sourceInstance: identifierSchema.optional(),
    /** Identifier (not ARN) of the snapshot in the source region, e.g. `rds:lms-prod-2025-01-31-04-00`. */
    sourceSnapshot: z.string().transform((id) => id.toLowerCase()).optional(),
    /** With `sourceInstance`: how many of its newest automated snapshots have copies here. */
    count: z.number().int().min(1).default(1),
    /** With `sourceSnapshot`: the copy's identifier (defaults to the source's, `rds:` removed, plus `-copy`). */
    id: snapshotIdSchema.optional(),
    /** How long after its source each copy was made. */
    after: durationSchema.prefault('1h'),
    /** KMS key in this region for encrypted sources; this region's `aws/rds` key by default. */
    kmsKeyId: z.string().optional(),
    copyTags: z.boolean().default(true),
    tags: tagsSchema.default({}),
  })
  .refine((copy) => (copy.sourceInstance === undefined) !== (copy.sourceSnapshot === undefined), {
    message: 'give exactly one of sourceInstance and sourceSnapshot',
  });
export type CopyScenario = z.output<typeof copyScenario>;

export const rdsRegionScenario = z
  .strictObject({
    instances: z.array(instanceScenario).default([]),
    clusters: z.array(clusterScenario).default([]),
    copies: z.array(copyScenario).default([]),
    /** How long RestoreDBInstanceFromDBSnapshot stays `creating` (world clock). */
    restoreTakes: durationSchema.prefault('3s'),
    /** How long CreateDBSnapshot and final snapshots stay `creating`. */
    snapshotTakes: durationSchema.prefault('2s'),
    /** How long CopyDBSnapshot into this region stays `creating`. */
    copyTakes: durationSchema.prefault('5s'),
    /** How long DeleteDBInstance stays `deleting` before the instance is gone. */
    deleteTakes: durationSchema.prefault('2s'),
    /** How long ModifyDBInstance with ApplyImmediately stays `modifying`. */
    modifyTakes: durationSchema.prefault('1s'),
  })
  .superRefine((rds, ctx) => {
    const duplicate = (seen: Set<string>, id: string, path: Array<string | number>) => {
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path, message: `duplicate identifier ${id}` });
      seen.add(id);
    };
    const instances = new Set<string>();
    const snapshots = new Set<string>();
    rds.instances.forEach((instance, i) => {
      duplicate(instances, instance.id, ['instances', i, 'id']);
      instance.snapshots.manual.forEach((snapshot, m) => duplicate(snapshots, snapshot.id, ['instances', i, 'snapshots', 'manual', m, 'id']));
    });
    const clusters = new Set<string>();
    rds.clusters.forEach((cluster, c) => duplicate(clusters, cluster.id, ['clusters', c, 'id']));
  });
export type RdsRegionScenario = z.output<typeof rdsRegionScenario>;
