/** Backups of RDS instances, Aurora clusters and EBS volumes: freshness, schedule, retention, exposure, copies. */
import { z } from 'zod';
import { errorVerdict, fail, notApplicable, pass, type Verdict } from '../../core/results.js';
import { defineEvaluator, type EvalContext } from '../evaluator.js';
import type { BackupSource, Resource, Snapshot } from '../resources.js';
import { ageDays, ageHours, dailyCoverage, describeDays } from '../schedule.js';
import { describeResource, listSome, plural, SOURCE_KINDS } from './describe.js';

const source = z.enum(SOURCE_KINDS);
const COMPLETE = new Set(['available', 'completed']);

function asSource(resource: Resource): BackupSource {
  if (resource.kind !== 'rds-instance' && resource.kind !== 'rds-cluster' && resource.kind !== 'ebs-volume') throw new Error(`a backup evaluator was given ${resource.kind}`);
  return resource;
}

/** A read replica's backups are its source's; backup evaluators judge the source instead. */
export function replicaNotApplicable(subject: BackupSource): Verdict | undefined {
  if (subject.kind !== 'rds-instance' || !subject.replicaOf) return undefined;
  return notApplicable(`${describeResource(subject)} is a read replica of ${subject.replicaOf}; its backups are judged on the source.`, { replicaOf: subject.replicaOf });
}

function usable(snapshots: readonly Snapshot[]): Snapshot[] {
  return snapshots.filter((s) => COMPLETE.has(s.status));
}

function newest(snapshots: readonly Snapshot[]): Snapshot | undefined {
  let best: Snapshot | undefined;
  for (const s of snapshots) if (!best || s.createdAt > best.createdAt) best = s;
  return best;
}

export const snapshotFreshness = defineEvaluator({
  name: 'snapshot-freshness',
  summary: 'The newest completed snapshot of each source is no older than maxAgeHours.',
  params: z.strictObject({ source, maxAgeHours: z.number().positive().default(24) }),
  subject: (p) => p.source,
  needs: () => ['snapshots'],
  evaluate(resource, ctx) {
    const subject = asSource(resource);
    const replica = replicaNotApplicable(subject);
    if (replica) return replica;
    const name = describeResource(subject);
    const latest = newest(usable(ctx.snapshots));
    if (!latest) {
      if (ageHours(subject.createdAt, ctx.now) < ctx.params.maxAgeHours) {
        return notApplicable(`${name} was created ${ageHours(subject.createdAt, ctx.now)} hours ago; its first backup is not due yet.`, { createdAt: subject.createdAt });
      }
      return fail(`${name} has no completed snapshot.`, { snapshots: ctx.snapshots.length });
    }
    const hours = ageHours(latest.createdAt, ctx.now);
    const facts = { newestSnapshot: latest.id, newestAt: latest.createdAt.toISOString(), ageHours: hours };
    return hours <= ctx.params.maxAgeHours
      ? pass(`${name} has a snapshot ${hours} hours old (${latest.id}).`, facts)
      : fail(`${name}'s newest snapshot is ${hours} hours old (${latest.id}), older than ${ctx.params.maxAgeHours} hours.`, facts);
  },
});

export const snapshotDaily = defineEvaluator({
  name: 'snapshot-daily',
  summary: 'Every UTC day of the window (back to when the source was created) has a completed snapshot.',
  params: z.strictObject({ source, windowDays: z.number().int().min(2).max(3650) }),
  subject: (p) => p.source,
  needs: () => ['snapshots'],
  evaluate(resource, ctx) {
    const subject = asSource(resource);
    const replica = replicaNotApplicable(subject);
    if (replica) return replica;
    const name = describeResource(subject);
    const times = usable(ctx.snapshots).map((s) => s.createdAt);
    const coverage = dailyCoverage(times, ctx.now, ctx.params.windowDays, subject.createdAt);
    const facts = {
      windowDays: coverage.windowDays.length,
      missingDays: coverage.missingDays,
      oldestAt: coverage.oldest?.toISOString(),
      oldestAgeDays: coverage.oldest ? ageDays(coverage.oldest, ctx.now) : undefined,
      snapshots: times.length,
    };
    if (coverage.windowDays.length === 0) return notApplicable(`${name} is less than a day old; no full day to judge yet.`, facts);
    if (coverage.missingDays.length === 0) {
      return pass(`${name} has a snapshot on each of the last ${plural(coverage.windowDays.length, 'day')}.`, facts);
    }
    return fail(
      `${name} has no snapshot on ${plural(coverage.missingDays.length, 'day')} of the last ${coverage.windowDays.length}: ${describeDays(coverage.missingDays)}.`,
      facts,
    );
  },
});

export const snapshotOverRetention = defineEvaluator({
  name: 'snapshot-over-retention',
  summary: 'No snapshot is kept beyond the retention window plus a grace period (information deletion).',
  params: z.strictObject({
    source,
    maxAgeDays: z.number().int().min(1),
    graceDays: z.number().int().min(0).default(7),
    /** Snapshot types judged; AWS deletes automated RDS snapshots itself, so manual ones are the risk. */
    types: z.array(z.enum(['automated', 'manual', 'awsbackup'])).min(1).default(['automated', 'manual', 'awsbackup']),
  }),
  subject: (p) => p.source,
  needs: () => ['snapshots'],
  evaluate(resource, ctx) {
    const subject = asSource(resource);
    const name = describeResource(subject);
    const limit = ctx.params.maxAgeDays + ctx.params.graceDays;
    const judged = ctx.snapshots.filter((s) => (ctx.params.types as string[]).includes(s.type));
    const old = judged.filter((s) => ageDays(s.createdAt, ctx.now) > limit).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const facts = { limitDays: limit, judged: judged.length, overRetained: old.map((s) => ({ id: s.id, ageDays: ageDays(s.createdAt, ctx.now), type: s.type })) };
    if (judged.length === 0) return notApplicable(`${name} has no snapshots to judge.`, facts);
    if (old.length === 0) return pass(`${name} keeps no snapshot beyond ${limit} days.`, facts);
    const list = old.map((s) => `${s.id} (${ageDays(s.createdAt, ctx.now)} days)`);
    return fail(`${name} keeps ${plural(old.length, 'snapshot')} beyond ${limit} days: ${listSome(list)}.`, facts);
  },
});

export const snapshotEncryption = defineEvaluator({
  name: 'snapshot-encryption',
  summary: 'Every snapshot of the source is encrypted.',
  params: z.strictObject({ source }),
  subject: (p) => p.source,
  needs: () => ['snapshots'],
  evaluate(resource, ctx) {
    const name = describeResource(asSource(resource));
    const plain = ctx.snapshots.filter((s) => !s.encrypted).map((s) => s.id);
    const facts = { snapshots: ctx.snapshots.length, unencrypted: plain };
    if (ctx.snapshots.length === 0) return notApplicable(`${name} has no snapshots to judge.`, facts);
    if (plain.length === 0) return pass(`${name} has ${plural(ctx.snapshots.length, 'snapshot')}, all encrypted.`, facts);
    return fail(`${name} has ${plural(plain.length, 'unencrypted snapshot')}: ${listSome(plain)}.`, facts);
  },
});

export const snapshotExposure = defineEvaluator({
  name: 'snapshot-exposure',
  summary: 'No snapshot is public or shared with an account outside the allow-list.',
  params: z.strictObject({
    source,
    /** Accounts snapshots may be shared with (a backup vault account, say). */
    allowedAccounts: z.array(z.string().regex(/^\d{12}$/, 'expected a 12-digit account id')).default([]),
    /**
     * Whether sharing with specific accounts is judged. EBS exposes it only through one API call per
     * snapshot, so the EBS check judges public exposure alone and says so.
     */
    judgeSharing: z.boolean().default(true),
  }),
  subject: (p) => p.source,
  needs: () => ['snapshots'],
  evaluate(resource, ctx) {
    const name = describeResource(asSource(resource));
    const allowed = new Set([...ctx.params.allowedAccounts, ctx.account.id]);
    const exposed: string[] = [];
    const unknown: string[] = [];
    for (const s of ctx.snapshots) {
      const sharing = ctx.params.judgeSharing ? s.sharedWith : { ok: true as const, value: [] };
      if (!s.isPublic.ok || !sharing.ok) {
        unknown.push(`${s.id}: ${!s.isPublic.ok ? s.isPublic.reason : (sharing as { reason: string }).reason}`);
        continue;
      }
      if (s.isPublic.value) exposed.push(`${s.id} is public`);
      const outside = sharing.value.filter((a) => !allowed.has(a));
      if (outside.length > 0) exposed.push(`${s.id} is shared with ${outside.join(', ')}`);
    }
    const judged = ctx.params.judgeSharing ? 'public or shared outside the allow-list' : 'public';
    const facts = { snapshots: ctx.snapshots.length, exposed, unreadable: unknown, allowedAccounts: ctx.params.allowedAccounts, judgeSharing: ctx.params.judgeSharing };
    // A confirmed exposure is a failure even when some other snapshots could not be read.
    if (exposed.length > 0) return fail(`${name} has exposed snapshots: ${listSome(exposed, 3)}.`, facts);
    if (unknown.length > 0) return errorVerdict(`${name}: could not read the sharing of ${plural(unknown.length, 'snapshot')}: ${listSome(unknown, 2)}.`, facts);
    if (ctx.snapshots.length === 0) return notApplicable(`${name} has no snapshots to judge.`, facts);
    return pass(`${name} has ${plural(ctx.snapshots.length, 'snapshot')}, none ${judged}.`, facts);
  },
});

export const drCopy = defineEvaluator({
  name: 'dr-copy',
  summary: 'A recent, encrypted copy of a snapshot of the source exists in the account\'s DR region.',
  params: z.strictObject({ source, maxAgeHours: z.number().positive().default(24), requireEncrypted: z.boolean().default(true) }),
  subject: (p) => p.source,
  needs: () => ['snapshots', 'drCopies'],
  evaluate(resource, ctx) {
    const subject = asSource(resource);
    return replicaNotApplicable(subject) ?? judgeDrCopy(subject, ctx);
  },
});

function judgeDrCopy(subject: BackupSource, ctx: EvalContext<{ maxAgeHours: number; requireEncrypted: boolean }>): Verdict {
  const name = describeResource(subject);
  if (!ctx.drRegion) {
    return errorVerdict(`${name}: account ${ctx.account.id} has no drRegion configured, so its DR copies cannot be judged.`, {});
  }
  if (ctx.drRegion === ctx.region) return notApplicable(`${name} is in the DR region ${ctx.drRegion} itself.`, {});
  const copies = usable(ctx.drCopies);
  const latest = newest(copies);
  const facts = { drRegion: ctx.drRegion, copies: copies.length, newestCopy: latest?.id, newestCopyAt: latest?.createdAt.toISOString(), encrypted: latest?.encrypted };
  if (!latest) return fail(`${name} has no snapshot copy in ${ctx.drRegion}.`, facts);
  const hours = ageHours(latest.createdAt, ctx.now);
  if (hours > ctx.params.maxAgeHours) {
    return fail(`${name}'s newest copy in ${ctx.drRegion} is ${hours} hours old (${latest.id}), older than ${ctx.params.maxAgeHours} hours.`, { ...facts, ageHours: hours });
  }
  if (ctx.params.requireEncrypted && !latest.encrypted) {
    return fail(`${name}'s newest copy in ${ctx.drRegion} (${latest.id}) is not encrypted.`, { ...facts, ageHours: hours });
  }
  return pass(`${name} has an encrypted copy in ${ctx.drRegion} ${hours} hours old (${latest.id}).`, { ...facts, ageHours: hours });
}

export const sourceEncrypted = defineEvaluator({
  name: 'source-encrypted',
  summary: 'The instance, cluster or volume itself is encrypted at rest.',
  params: z.strictObject({ source }),
  subject: (p) => p.source,
  needs: () => [],
  evaluate(resource) {
    const subject = asSource(resource);
    const name = describeResource(subject);
    const facts = { encrypted: subject.encrypted, kmsKeyId: subject.kmsKeyId };
    return subject.encrypted ? pass(`${name} is encrypted at rest.`, facts) : fail(`${name} is not encrypted at rest.`, facts);
  },
});
