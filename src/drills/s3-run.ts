/**
 * An S3 restore drill: sample objects with noncurrent versions, read the checksum S3 recorded when each
 * chosen version was written, copy the version under this run's scratch prefix tagged as this run's,
 * read the copy back and recompute its checksum, and in every outcome delete exactly the versions this
 * run created, each only after re-reading its tags.
 */
import type { AccountConfig } from '../config/schema.js';
import { SafetyError } from '../core/errors.js';
import { checksumOfStream } from './checksums.js';
import { accountOf, DrillFailure, failureText, joinFailures, type DrillDeps, type DrillRequest, type Execution, type PlanResult, type RunContext } from './context.js';
import type { S3DrillDefinition } from './definitions.js';
import { assertOurs, drillTags, type PlannedCall, type RecoveryPoint } from './plan.js';
import type { S3VersionEntry, S3VersionRef } from './ports.js';
import {
  maxSourceKeyBytes,
  parseS3RecoveryPoint,
  replicationCovering,
  runPrefix,
  s3PlannedCalls,
  s3RecoveryPoint,
  s3Uri,
  sampleVersions,
  scratchBucketOf,
  scratchKey,
  seededRandom,
  type ChosenVersion,
  type Sample,
} from './s3-plan.js';
import { describeVersion, judgeCopy, recordedChecksum, type ObjectOutcome, type RecordedChecksum } from './s3-verify.js';

export interface S3DrillPlan {
  kind: 's3-bucket';
  drillId: string;
  target: string;
  account: string;
  region: string;
  recoveryPoint: RecoveryPoint;
  source: { bucket: string; prefix: string };
  /** Where this run's copies go: `<scratchPrefix><drillId>/`. */
  scratch: { bucket: string; prefix: string };
  objects: ChosenVersion[];
  /** The sample size asked for; fewer objects when fewer have a usable noncurrent version. */
  requested: number;
  listedKeys: number;
  eligibleKeys: number;
  skipped: Sample['skipped'];
  calls: PlannedCall[];
}

function noSampleReason(def: S3DrillDefinition, sample: Sample, recoveryPoint: string): string {
  const skipped = Object.entries(sample.skipped).map(([reason, n]) => `${n} ${reason}`);
  return `no object under s3://${def.source.bucket}/${def.source.prefix} has a noncurrent version to restore for recovery point ${recoveryPoint} (${sample.listedKeys} keys listed${skipped.length ? `; versions skipped: ${skipped.join(', ')}` : ''})`;
}

/** Resolves the sample with read-only calls. Failures here are the drill's own failures, not bugs. */
export async function planS3Drill(def: S3DrillDefinition, request: DrillRequest, deps: DrillDeps, drillId: string): Promise<PlanResult<S3DrillPlan>> {
  if (request.fromRegion) return { ok: false, reason: `--from-region applies only to rds-instance drills; ${def.id} restores within its bucket's region` };
  const text = request.recoveryPoint ?? def.restore.recoveryPoint;
  const choice = parseS3RecoveryPoint(text);
  if (!choice) return { ok: false, reason: `recovery point ${text} does not apply to an s3-bucket drill: expected latest, noncurrent or random:<n>d` };
  const account = accountOf(deps.config, def);
  const region = def.source.region;
  const scratch = scratchBucketOf(def);

  const rules = await deps.s3.replicationRules(account, region, scratch);
  const covering = replicationCovering(rules, def.restore.scratchPrefix, drillTags(def, drillId));
  if (covering) {
    return {
      ok: false,
      region,
      reason: `replication rule ${covering.id} of ${scratch} would copy drill objects under ${def.restore.scratchPrefix} to ${covering.destination}, where deleting them here does not reach; set restore.scratchBucket to a bucket without replication`,
    };
  }

  const sample = await sampleVersions(
    deps.s3.versions(account, region, def.source.bucket, def.source.prefix),
    { size: def.restore.sample, choice, now: deps.clock.now(), maxKeyBytes: maxSourceKeyBytes(def) },
    deps.random ?? seededRandom(drillId),
  );
  if (sample.chosen.length === 0) return { ok: false, region, reason: noSampleReason(def, sample, text) };
  return {
    ok: true,
    plan: {
      kind: 's3-bucket',
      drillId,
      target: def.id,
      account: account.id,
      region,
      recoveryPoint: s3RecoveryPoint(def, sample.chosen),
      source: { bucket: def.source.bucket, prefix: def.source.prefix },
      scratch: { bucket: scratch, prefix: runPrefix(def, drillId) },
      objects: sample.chosen,
      requested: def.restore.sample,
      listedKeys: sample.listedKeys,
      eligibleKeys: sample.eligibleKeys,
      skipped: sample.skipped,
      calls: s3PlannedCalls(def, sample.chosen, drillId),
    },
  };
}

/** One sampled object on its way through the drill. */
interface Work {
  object: ChosenVersion;
  recorded?: RecordedChecksum;
  /** Why the object cannot be verified, found before copying. */
  problem?: string;
  copy?: S3VersionRef;
}

export async function executeS3Drill(def: S3DrillDefinition, request: DrillRequest, deps: DrillDeps, run: RunContext): Promise<Execution> {
  const { account, drillId } = run;
  const region = def.source.region;
  const bucket = scratchBucketOf(def);
  const created: S3VersionRef[] = [];
  let copying = false;
  let failure: string | undefined;
  let point: RecoveryPoint | undefined;
  let requestedAt: Date | undefined;
  let verifiedAt: Date | undefined;
  const verification: ObjectOutcome[] = [];
  try {
    const planned = await planS3Drill(def, request, deps, drillId);
    if (!planned.ok) throw new DrillFailure(planned.reason);
    const { plan } = planned;
    point = plan.recoveryPoint;
    await run.save({ region, recoveryPoint: { ...point, createdAt: point.createdAt.toISOString() }, restoredResource: `s3://${bucket}/${plan.scratch.prefix}` });

    // What S3 recorded when each version was written, read before anything is copied.
    const work: Work[] = [];
    for (const object of plan.objects) {
      const head = await deps.s3.head(account, region, { bucket: def.source.bucket, key: object.key, versionId: object.versionId });
      if (!head) {
        work.push({ object, problem: 'the version no longer exists (a lifecycle rule may have expired it since it was listed)' });
        continue;
      }
      const recorded = recordedChecksum(head);
      work.push(recorded.ok ? { object, recorded: recorded.recorded } : { object, problem: recorded.reason });
    }

    await run.phase('restore-requested');
    requestedAt = deps.clock.now();
    // From the first copy on, teardown runs: even a copy whose answer was lost may have been written.
    copying = true;
    for (const w of work) {
      if (w.problem) continue;
      const target = { bucket, key: scratchKey(def, drillId, w.object.key) };
      const { versionId } = await deps.s3.copy(account, region, { source: { bucket: def.source.bucket, key: w.object.key, versionId: w.object.versionId }, target, tags: drillTags(def, drillId) });
      w.copy = { ...target, versionId };
      created.push(w.copy);
      // A heartbeat per copy: a long sample must not look crashed to another process's sweep.
      await run.save({});
    }
    await run.phase('available');

    deps.onPhase?.('verifying');
    for (const w of work) {
      verification.push(await verifyCopy(w, account, region, deps));
      await run.save({ verification: verification as unknown as Array<Record<string, unknown>> });
    }
    const failed = verification.filter((o) => !o.passed);
    if (failed.length > 0) throw new DrillFailure(`verification failed: ${failed.map((o) => o.message).join(' ')}`);
    verifiedAt = deps.clock.now();
    await run.phase('verified');
  } catch (err) {
    failure = failureText(err);
  } finally {
    if (copying) failure = joinFailures(failure, await tearDown(def, run, deps, created));
  }
  return { failure, point, requestedAt, verifiedAt, verification: verification as unknown as Array<Record<string, unknown>> };
}

async function verifyCopy(w: Work, account: AccountConfig, region: string, deps: DrillDeps): Promise<ObjectOutcome> {
  const started = deps.clock.now().getTime();
  const base = { name: w.object.key, kind: 'checksum' as const, versionId: w.object.versionId, writtenAt: w.object.lastModified.toISOString(), state: w.object.state, copy: w.copy };
  const done = (fields: Pick<ObjectOutcome, 'passed' | 'message' | 'observed'>): ObjectOutcome => ({
    ...base,
    ...fields,
    expected: w.recorded ? { algorithm: w.recorded.algorithm, checksum: w.recorded.value, size: w.recorded.size } : {},
    durationMs: deps.clock.now().getTime() - started,
  });
  if (w.problem || !w.recorded || !w.copy) return done({ passed: false, observed: null, message: `${describeVersion(w.object)}: cannot be verified: ${w.problem ?? 'it was not copied'}.` });
  try {
    const observed = await checksumOfStream(w.recorded.algorithm, await deps.s3.read(account, region, w.copy));
    return done({ ...judgeCopy(w.object, w.recorded, observed), observed: { algorithm: w.recorded.algorithm, ...observed } });
  } catch (err) {
    return done({ passed: false, observed: null, message: `${describeVersion(w.object)}: could not read the restored copy back: ${failureText(err)}.` });
  }
}

/**
 * Deletes the versions this run created, each only if its tags (re-read just before) are this run's,
 * then lists the run's prefix: anything still there is reported. Returns a failure sentence, if any.
 */
async function tearDown(def: S3DrillDefinition, run: RunContext, deps: DrillDeps, created: S3VersionRef[]): Promise<string | undefined> {
  const { account, drillId } = run;
  const region = def.source.region;
  const bucket = scratchBucketOf(def);
  const prefix = runPrefix(def, drillId);
  const refused: string[] = [];
  const errors: string[] = [];
  const kept = new Set<string>();
  for (const ref of created) {
    try {
      const tags = await deps.s3.tags(account, region, ref);
      if (tags === undefined) continue;
      assertOurs({ id: s3Uri(ref), tags }, drillId);
      await deps.s3.deleteVersion(account, region, ref);
    } catch (err) {
      kept.add(`${ref.key}@${ref.versionId}`);
      if (err instanceof SafetyError) refused.push(err.message);
      else errors.push(`${s3Uri(ref)}: ${failureText(err)}`);
    }
  }
  const strays: S3VersionEntry[] = [];
  try {
    for await (const v of deps.s3.versions(account, region, bucket, prefix)) if (!kept.has(`${v.key}@${v.versionId}`)) strays.push(v);
  } catch (err) {
    errors.push(`could not list what is left under s3://${bucket}/${prefix}: ${failureText(err)}`);
  }
  if (refused.length === 0 && errors.length === 0 && strays.length === 0) {
    await run.phase('deleted');
    return undefined;
  }
  return joinFailures(
    refused.length > 0 ? `teardown refused: ${refused.join('; ')}` : undefined,
    errors.length > 0 ? `teardown failed, the next drill command sweeps what is left: ${errors.join('; ')}` : undefined,
    strays.length > 0 ? `${strays.length} version(s) this run did not record are left under s3://${bucket}/${prefix}: ${strays.map((v) => s3Uri({ bucket, ...v })).join(', ')} (the next drill command sweeps them)` : undefined,
  );
}
