/** How resources are named in result messages. */
import type { BackupSource, S3Bucket, SourceKind } from '../resources.js';

/** The backup and storage resources these helpers name; capability folders name their own. */
type Named = BackupSource | S3Bucket;

const KIND_NAMES: Record<Named['kind'], string> = {
  'rds-instance': 'RDS instance',
  'rds-cluster': 'Aurora cluster',
  'ebs-volume': 'EBS volume',
  's3-bucket': 'S3 bucket',
};

export function kindName(kind: Named['kind']): string {
  return KIND_NAMES[kind];
}

/** `RDS instance lms-prod`, `EBS volume vol-0abc (worker-data)`. */
export function describeResource(resource: Named): string {
  switch (resource.kind) {
    case 's3-bucket':
      return `S3 bucket ${resource.name}`;
    case 'ebs-volume':
      return `EBS volume ${resource.id}${resource.name ? ` (${resource.name})` : ''}`;
    default:
      return `${KIND_NAMES[resource.kind]} ${resource.id}`;
  }
}

export function resourceName(resource: Named): string {
  if (resource.kind === 's3-bucket') return resource.name;
  if (resource.kind === 'ebs-volume' && resource.name) return `${resource.id} (${resource.name})`;
  return resource.id;
}

export const SOURCE_KINDS = ['rds-instance', 'rds-cluster', 'ebs-volume'] as const satisfies readonly SourceKind[];

/** Lists at most `max` items for a message: `a, b, c and 4 more`. */
export function listSome(items: readonly string[], max = 5): string {
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
