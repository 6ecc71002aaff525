/** RDS instances and Aurora clusters: automated backups, Multi-AZ, deletion protection. */
import { z } from 'zod';
import { fail, notApplicable, pass } from '../../core/results.js';
import { defineEvaluator } from '../evaluator.js';
import type { RdsCluster, RdsInstance, Resource } from '../resources.js';
import { replicaNotApplicable } from './backups.js';
import { describeResource } from './describe.js';

const database = z.enum(['rds-instance', 'rds-cluster']);

function asDatabase(resource: Resource): RdsInstance | RdsCluster {
  if (resource.kind !== 'rds-instance' && resource.kind !== 'rds-cluster') throw new Error(`a database evaluator was given ${resource.kind}`);
  return resource;
}

export const backupRetention = defineEvaluator({
  name: 'backup-retention',
  summary: 'Automated backups are on and kept for at least minDays.',
  params: z.strictObject({ source: database, minDays: z.number().int().min(1).max(35).default(30) }),
  subject: (p) => p.source,
  needs: () => [],
  evaluate(resource, ctx) {
    const db = asDatabase(resource);
    const replica = replicaNotApplicable(db);
    if (replica) return replica;
    const name = describeResource(db);
    const facts = { backupRetentionDays: db.backupRetentionDays, minDays: ctx.params.minDays };
    if (db.backupRetentionDays === 0) return fail(`${name} has automated backups turned off.`, facts);
    if (db.backupRetentionDays < ctx.params.minDays) {
      return fail(`${name} keeps automated backups for ${db.backupRetentionDays} days, fewer than ${ctx.params.minDays}.`, facts);
    }
    return pass(`${name} keeps automated backups for ${db.backupRetentionDays} days.`, facts);
  },
});

export const multiAz = defineEvaluator({
  name: 'multi-az',
  summary: 'The database runs in more than one availability zone.',
  params: z.strictObject({ source: database }),
  subject: (p) => p.source,
  needs: () => [],
  evaluate(resource) {
    const db = asDatabase(resource);
    const name = describeResource(db);
    const facts = { multiAZ: db.multiAZ, ...(db.kind === 'rds-cluster' ? { members: db.members } : {}) };
    if (db.kind === 'rds-cluster' && db.members.length === 0) return notApplicable(`${name} has no instances.`, facts);
    return db.multiAZ ? pass(`${name} is Multi-AZ.`, facts) : fail(`${name} runs in a single availability zone.`, facts);
  },
});

export const deletionProtection = defineEvaluator({
  name: 'deletion-protection',
  summary: 'Deletion protection is on.',
  params: z.strictObject({ source: database }),
  subject: (p) => p.source,
  needs: () => [],
  evaluate(resource) {
    const db = asDatabase(resource);
    const name = describeResource(db);
    const facts = { deletionProtection: db.deletionProtection };
    return db.deletionProtection ? pass(`${name} has deletion protection on.`, facts) : fail(`${name} has deletion protection off.`, facts);
  },
});
