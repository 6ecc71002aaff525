/** Drill definitions for tests, with overrides. */
import { drillDefinitionSchema, isRdsDrill, isS3Drill, type RdsDrillDefinition, type S3DrillDefinition } from '../../src/drills/definitions.js';

export function definition(overrides: Record<string, unknown> = {}): RdsDrillDefinition {
  const parsed = drillDefinitionSchema.parse({
    id: 'lms-prod',
    title: 'The LMS database restores with its data',
    source: { kind: 'rds-instance', account: '222222222222', region: 'us-east-1', id: 'lms-prod' },
    credentials: { vault: 'secret/data/rds/lms-prod' },
    connection: { database: 'lms', tls: 'disable' },
    verify: [{ name: 'learners came back', sql: 'SELECT count(*) FROM learners', expect: { valueAtLeast: 1 } }],
    ...overrides,
  });
  const def = { ...parsed, file: 'runbooks/drills/lms-prod.yaml' };
  if (!isRdsDrill(def)) throw new Error('expected an rds-instance drill');
  return def;
}

export function s3Definition(overrides: Record<string, unknown> = {}): S3DrillDefinition {
  const parsed = drillDefinitionSchema.parse({
    id: 'course-content',
    title: 'Course content restores from its noncurrent versions',
    source: { kind: 's3-bucket', account: '222222222222', region: 'us-east-1', bucket: 'content-prod', prefix: 'courses/' },
    ...overrides,
  });
  const def = { ...parsed, file: 'runbooks/drills/course-content.yaml' };
  if (!isS3Drill(def)) throw new Error('expected an s3-bucket drill');
  return def;
}
