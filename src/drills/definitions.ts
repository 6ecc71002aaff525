/**
 * Restore-drill definitions: one YAML file per target under runbooks/drills/, its id equal to its
 * file name. What to restore, from where, into what, the RTO and RPO targets, and how to prove the
 * data came back. `source.kind` selects the shape: an RDS instance (restored from a snapshot, queried
 * with credentials from Vault) or a versioned S3 bucket (noncurrent versions copied to a scratch
 * prefix and checked against the checksums S3 recorded when they were written).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { CONTROL_ID } from '../checks/definitions.js';
import { parseDuration } from '../core/clock.js';
import { ConfigError, type Problem } from '../core/errors.js';
import { formatPath, issuesToProblems, parseYamlDocument } from '../core/input.js';

const duration = z
  .string()
  .refine((t) => parseDuration(t) !== undefined, { message: 'expected a duration such as 2h, 24h or 7d' })
  .transform((t) => parseDuration(t) as number);

const accountId = z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id');
const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'expected an AWS region name such as us-east-1');

/** `latest`, `random:7d` (a random recovery point from the last 7 days), or a snapshot id. */
export const recoveryPointSchema = z.union([
  z.literal('latest'),
  z.string().regex(/^random:\d+[dh]$/, 'expected random:<n>d, such as random:7d'),
  z.string().regex(/^(rds:)?[a-zA-Z][a-zA-Z0-9-]*$/, 'expected latest, random:7d or a snapshot id'),
]);

const expectationSchema = z
  .strictObject({
    /** At least this many rows. */
    rowsAtLeast: z.number().int().min(0).optional(),
    /** The first column of the first row is a number of at least this. */
    valueAtLeast: z.number().optional(),
    /** The first column of the first row equals this (a schema version, a checksum). */
    equals: z.union([z.string(), z.number()]).optional(),
    /** The first column of the first row is a timestamp no older than the RPO at the recovery point's time. */
    freshWithinRpo: z.boolean().optional(),
  })
  .refine((e) => Object.values(e).some((v) => v !== undefined), { message: 'state at least one expectation: rowsAtLeast, valueAtLeast, equals or freshWithinRpo' });
export type Expectation = z.output<typeof expectationSchema>;

const sqlStepSchema = z.strictObject({ name: z.string().min(3), sql: z.string().min(6), expect: expectationSchema });
const scriptStepSchema = z.strictObject({
  name: z.string().min(3),
  /** A zx script, relative to the project root; it gets the endpoint and credentials in its environment. */
  script: z.string().regex(/^runbooks\/drills\/[\w./-]+\.(mjs|js)$/, 'expected a path under runbooks/drills/ ending in .mjs'),
  timeout: duration.prefault('5m'),
});
export type VerifyStep = z.output<typeof sqlStepSchema> | z.output<typeof scriptStepSchema>;

const id = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'expected lower-case words joined by hyphens');
/** The desired state: "The LMS database restores from its DR copy with its data". */
const title = z.string().min(10);
const targets = z.strictObject({ rto: duration.prefault('2h'), rpo: duration.prefault('24h') }).prefault({});
/** How often the drill must succeed: "a test restore this week". */
const window = duration.prefault('7d');
const controls = z.array(z.string().regex(CONTROL_ID, 'expected an ISO/IEC 27001:2022 Annex A control such as A.8.13')).default(['A.8.13', 'A.5.30']);

export const rdsDrillSchema = z.strictObject({
  id,
  title,
  source: z.strictObject({
    kind: z.literal('rds-instance'),
    account: accountId,
    region,
    id: z.string().min(1),
  }),
  restore: z
    .strictObject({
      /** `source`, `dr` (the account's DR region copies: what a real disaster would use), or a region. */
      from: z.union([z.literal('source'), z.literal('dr'), region]).default('dr'),
      recoveryPoint: recoveryPointSchema.default('latest'),
      instanceClass: z.string().default('db.t3.medium'),
      subnetGroup: z.string().optional(),
      securityGroups: z.array(z.string().regex(/^sg-[0-9a-f]+$/, 'expected a security group id such as sg-0abc')).default([]),
    })
    .prefault({}),
  targets,
  window,
  credentials: z.strictObject({
    /** A Vault path: a KV secret (`secret/data/rds/lms-prod`) or database engine creds (`database/creds/lms-readonly`). */
    vault: z.string().regex(/^[\w.-]+(\/[\w.-]+)+$/, 'expected a Vault path such as secret/data/rds/lms-prod'),
    usernameKey: z.string().default('username'),
    passwordKey: z.string().default('password'),
  }),
  connection: z
    .strictObject({
      database: z.string().min(1),
      /** `require` for real RDS; `disable` for a database that speaks no TLS. */
      tls: z.enum(['require', 'disable']).default('require'),
    }),
  verify: z.array(z.union([sqlStepSchema, scriptStepSchema])).min(1, 'a drill must verify the data; list at least one step'),
  controls,
});

const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens');

/**
 * Which noncurrent version of each sampled object: `latest` (the newest one: what an accidental
 * overwrite or delete would be undone to), `noncurrent` (any one still kept, picked at random), or
 * `random:30d` (one written within the last 30 days, picked at random).
 */
export const s3RecoveryPointSchema = z.string().regex(/^(latest|noncurrent|random:\d+[dh])$/, 'expected latest, noncurrent or random:<n>d, such as random:30d');

/** Drill copies land under this prefix; `*` and `?` would turn the IAM resource that confines Vigil's writes into a wildcard. */
const scratchPrefix = z
  .string()
  .regex(/^[^/*?][^*?]*\/$/, 'expected a key prefix ending in "/" without * or ?, such as vigil-drill/')
  .refine((p) => !p.split('/').includes('..'), { message: 'must not contain ".." segments' });

export const s3DrillSchema = z
  .strictObject({
    id,
    title,
    source: z.strictObject({
      kind: z.literal('s3-bucket'),
      account: accountId,
      region,
      bucket: bucketName,
      /** Sample only keys under this prefix (the live data the drill proves restorable); the whole bucket when omitted. */
      prefix: z.string().default(''),
    }),
    restore: z
      .strictObject({
        recoveryPoint: s3RecoveryPointSchema.default('noncurrent'),
        /** How many objects with noncurrent versions to restore and verify. */
        sample: z.number().int().min(1).max(100).default(5),
        /** Where copies go: a bucket in the same account and region; the source bucket when omitted. */
        scratchBucket: bucketName.optional(),
        scratchPrefix: scratchPrefix.default('vigil-drill/'),
      })
      .prefault({}),
    targets,
    window,
    controls,
  })
  .superRefine((def, ctx) => {
    // Copies must never land among live data: in the source bucket, the scratch prefix and the sampled prefix are disjoint.
    const scratchBucket = def.restore.scratchBucket ?? def.source.bucket;
    const live = def.source.prefix;
    const scratch = def.restore.scratchPrefix;
    // zod runs this even when the prefix itself was refused; one problem about it is enough.
    if (scratchBucket !== def.source.bucket || typeof scratch !== 'string' || !scratch.endsWith('/')) return;
    if (live === '') {
      ctx.addIssue({ code: 'custom', path: ['restore', 'scratchPrefix'], message: `the drill samples the whole bucket ${def.source.bucket}, so ${scratch} would lie among its live data; set source.prefix or restore.scratchBucket` });
    } else if (scratch.startsWith(live) || live.startsWith(scratch)) {
      ctx.addIssue({ code: 'custom', path: ['restore', 'scratchPrefix'], message: `overlaps the live data under source.prefix ${live}; choose a prefix outside it, or restore.scratchBucket` });
    }
  });

export type RdsDrillDefinition = z.output<typeof rdsDrillSchema> & { file: string };
export type S3DrillDefinition = z.output<typeof s3DrillSchema> & { file: string };
export type DrillDefinition = RdsDrillDefinition | S3DrillDefinition;
/** TypeScript does not narrow an object on a nested discriminant (`def.source.kind`); these guards do. */
export function isS3Drill(def: DrillDefinition): def is S3DrillDefinition {
  return def.source.kind === 's3-bucket';
}

export function isRdsDrill(def: DrillDefinition): def is RdsDrillDefinition {
  return def.source.kind === 'rds-instance';
}

/** A definition as validated, before it knows its file. */
type DrillDocument = z.output<typeof rdsDrillSchema> | z.output<typeof s3DrillSchema>;

export const SOURCE_KINDS = ['rds-instance', 's3-bucket'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];
const SCHEMAS: Record<SourceKind, z.ZodType<DrillDocument>> = { 'rds-instance': rdsDrillSchema, 's3-bucket': s3DrillSchema };

/** Fields that mean something for one kind of source only; on the other they get a sentence saying so, not "unknown field". */
const ONLY_FOR: Record<SourceKind, ReadonlyArray<readonly string[]>> = {
  'rds-instance': [['credentials'], ['connection'], ['verify'], ['source', 'id'], ['restore', 'from'], ['restore', 'instanceClass'], ['restore', 'subnetGroup'], ['restore', 'securityGroups']],
  's3-bucket': [['source', 'bucket'], ['source', 'prefix'], ['restore', 'sample'], ['restore', 'scratchBucket'], ['restore', 'scratchPrefix']],
};

type Checked =
  | { ok: true; data: DrillDocument }
  | {
      ok: false;
      /** The schema `source.kind` selected, for "did you mean" hints. */
      schema?: z.ZodType;
      issues: z.core.$ZodIssue[];
      /** Problems zod cannot phrase: a missing or unknown kind, a field of the other kind. */
      own: Array<{ path: string[]; message: string }>;
    };

function sourceKindOf(value: unknown): unknown {
  const source = (value as { source?: unknown } | null)?.source;
  return typeof source === 'object' && source !== null ? (source as { kind?: unknown }).kind : undefined;
}

/** Validates against the schema that `source.kind` names. */
function checkDrill(value: unknown): Checked {
  const kind = sourceKindOf(value);
  if (kind !== 'rds-instance' && kind !== 's3-bucket') {
    const message = kind === undefined ? `required field is missing (expected ${SOURCE_KINDS.join(' or ')})` : `expected ${SOURCE_KINDS.join(' or ')}`;
    return { ok: false, issues: [], own: [{ path: ['source', 'kind'], message }] };
  }
  const schema = SCHEMAS[kind];
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, data: result.data };
  const other: SourceKind = kind === 'rds-instance' ? 's3-bucket' : 'rds-instance';
  const misplaced = new Set(ONLY_FOR[other].map((p) => p.join('.')));
  const own: Array<{ path: string[]; message: string }> = [];
  const issues = result.error.issues.flatMap((issue): z.core.$ZodIssue[] => {
    if (issue.code !== 'unrecognized_keys') return [issue];
    const keys = issue.keys.filter((key) => {
      const path = [...issue.path.map(String), key];
      if (!misplaced.has(path.join('.'))) return true;
      own.push({ path, message: `applies only to ${other} drills; this one's source.kind is ${kind}` });
      return false;
    });
    return keys.length > 0 ? [{ ...issue, keys }] : [];
  });
  return { ok: false, schema, issues, own };
}

/** The definition schema: the shape `source.kind` selects, every problem of the document at once. */
export const drillDefinitionSchema = z.unknown().transform((value, ctx): DrillDocument => {
  const checked = checkDrill(value);
  if (checked.ok) return checked.data;
  for (const p of checked.own) ctx.addIssue({ code: 'custom', path: p.path, message: p.message, input: value });
  for (const issue of checked.issues) ctx.addIssue({ ...issue, input: value } as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

/** Validates a parsed document; a ConfigError names every problem with its line. */
export function validateDrillDefinition(value: unknown, file: string, locate: (path: readonly PropertyKey[]) => number | undefined = () => undefined): DrillDocument {
  const checked = checkDrill(value);
  if (checked.ok) return checked.data;
  const problems: Problem[] = [
    ...checked.own.map((p) => ({ file, line: locate(p.path), path: formatPath(p.path), message: p.message })),
    ...(checked.schema ? issuesToProblems(checked.issues, checked.schema, file, locate) : []),
  ];
  throw new ConfigError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
}

export function drillFiles(root: string): string[] {
  const dir = join(root, 'runbooks', 'drills');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

export function loadDrillDefinitions(root: string): DrillDefinition[] {
  const problems: Problem[] = [];
  const drills: DrillDefinition[] = [];
  for (const file of drillFiles(root)) {
    const shown = file.slice(root.length).replace(/^\//, '');
    try {
      const doc = parseYamlDocument(readFileSync(file, 'utf8'), shown);
      const def = validateDrillDefinition(doc.value, shown, doc.locate);
      const expectedId = basename(file, '.yaml');
      if (def.id !== expectedId) problems.push({ file: shown, line: doc.locate(['id']), path: 'id', message: `must equal the file name "${expectedId}"` });
      const drill: DrillDefinition = { ...def, file: shown };
      if (isRdsDrill(drill)) {
        drill.verify.forEach((step, i) => {
          if ('script' in step && !existsSync(join(root, step.script))) problems.push({ file: shown, line: doc.locate(['verify', i, 'script']), path: `verify[${i}].script`, message: `no such script: ${step.script}` });
        });
      }
      drills.push(drill);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return drills;
}
