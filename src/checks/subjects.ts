/**
 * The kinds of resource checks judge: how to list them, how to name them, at which level they live
 * (per region, per account, or once for the whole run) and whether tag scope applies. An explicit
 * map: capability folders contribute their own kinds (src/checks/iam/, src/checks/threat/).
 */
import type { AccountConfig } from '../config/schema.js';
import type { InventoryPort } from './inventory.js';
import { fetched, type Fetched, type Resource, type ResourceKind, type Tags } from './resources.js';
import { IAM_SUBJECTS } from './iam/index.js';
import { THREAT_SUBJECTS } from './threat/index.js';

export type Level = 'region' | 'account' | 'global';

export interface ListWindow {
  /** When this check last ran successfully, for subjects that are events since then. */
  since?: Date;
  now: Date;
}

export interface SubjectKind {
  /** Plural human name: `RDS instances`. */
  plural: string;
  level: Level;
  /** Whether the configured tag selectors decide which of these are in scope. */
  scoped: boolean;
  list(inventory: InventoryPort, account: AccountConfig, region: string, window: ListWindow): Promise<Resource[]>;
  /** The inventory methods `list` calls: what Vigil's IAM policy must allow for checks of this kind. */
  reads: ReadonlyArray<keyof InventoryPort>;
  /** Tags for scoping, when `scoped`. */
  tags?(resource: Resource): Fetched<Tags>;
  /** Unique id (ARN or similar) and short name of a subject. */
  identify(resource: Resource): { resource: string; name: string };
  /** `RDS instance lms-prod`, for messages. */
  describe(resource: Resource): string;
}

type Of<K extends ResourceKind> = Extract<Resource, { kind: K }>;

function kind<K extends ResourceKind>(spec: Omit<SubjectKind, 'tags' | 'identify' | 'describe' | 'list'> & {
  list(inventory: InventoryPort, account: AccountConfig, region: string, window: ListWindow): Promise<Array<Of<K>>>;
  tags?(resource: Of<K>): Fetched<Tags>;
  identify(resource: Of<K>): { resource: string; name: string };
  describe(resource: Of<K>): string;
}): SubjectKind {
  return spec as unknown as SubjectKind;
}

const CORE: Record<'rds-instance' | 'rds-cluster' | 'ebs-volume' | 's3-bucket', SubjectKind> = {
  'rds-instance': kind<'rds-instance'>({
    plural: 'RDS instances',
    level: 'region',
    scoped: true,
    reads: ['rdsInstances'],
    // Aurora members are judged as their cluster: their backups are the cluster's.
    list: async (inv, account, region) => (await inv.rdsInstances(account, region)).filter((i) => i.clusterId === undefined),
    tags: (r) => fetched(r.tags),
    identify: (r) => ({ resource: r.arn, name: r.id }),
    describe: (r) => `RDS instance ${r.id}`,
  }),
  'rds-cluster': kind<'rds-cluster'>({
    plural: 'Aurora clusters',
    level: 'region',
    scoped: true,
    reads: ['rdsClusters'],
    list: (inv, account, region) => inv.rdsClusters(account, region),
    tags: (r) => fetched(r.tags),
    identify: (r) => ({ resource: r.arn, name: r.id }),
    describe: (r) => `Aurora cluster ${r.id}`,
  }),
  'ebs-volume': kind<'ebs-volume'>({
    plural: 'EBS volumes',
    level: 'region',
    scoped: true,
    reads: ['ebsVolumes'],
    list: (inv, account, region) => inv.ebsVolumes(account, region),
    tags: (r) => fetched(r.tags),
    identify: (r) => ({ resource: r.arn, name: r.name ? `${r.id} (${r.name})` : r.id }),
    describe: (r) => `EBS volume ${r.id}${r.name ? ` (${r.name})` : ''}`,
  }),
  's3-bucket': kind<'s3-bucket'>({
    plural: 'S3 buckets',
    level: 'region',
    scoped: true,
    reads: ['s3Buckets'],
    list: async (inv, account, region) => (await inv.s3Buckets(account)).filter((b) => b.region === region),
    tags: (r) => r.tags,
    identify: (r) => ({ resource: r.arn, name: r.name }),
    describe: (r) => `S3 bucket ${r.name}`,
  }),
};

export const SUBJECTS: Readonly<Record<ResourceKind, SubjectKind>> = { ...CORE, ...IAM_SUBJECTS, ...THREAT_SUBJECTS } as Record<ResourceKind, SubjectKind>;

export function subjectKind(kind: ResourceKind): SubjectKind {
  return SUBJECTS[kind];
}
