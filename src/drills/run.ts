/**
 * A restore drill: record it, run the kind its source names, measure RTO and RPO, judge them against
 * the targets, and raise a `drill-failed` signal with the record when anything failed.
 *
 * The RDS kind lives here: pick the recovery point, restore it into a throwaway instance named and
 * tagged as this run's, wait for it, fetch credentials from Vault, connect, verify the data, and always
 * tear down what this run created, after re-reading its tags. The S3 kind is in s3-run.ts.
 */
import { randomUUID } from 'node:crypto';
import type { AccountConfig } from '../config/schema.js';
import { EnvironmentError, SafetyError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import type { DrillPhase, DrillRecord } from '../store/types.js';
import { accountOf, DrillFailure, failureText, joinFailures, ownerId, type DrillDeps, type DrillRequest, type Execution, type PlanResult, type RunContext } from './context.js';
import { isS3Drill, type DrillDefinition, type RdsDrillDefinition } from './definitions.js';
import { assertOurs, chooseRecoveryPoint, drillInstanceName, drillTags, plannedCalls, restoreRegion, snapshotsOfSource, type PlannedCall, type RecoveryPoint } from './plan.js';
import type { DatabaseSession } from './ports.js';
import { executeS3Drill, planS3Drill, type S3DrillPlan } from './s3-run.js';
import { judgeRows, type StepOutcome } from './verify.js';

export { ownerId, type DrillDeps, type DrillRequest } from './context.js';
export { assertOurs } from './plan.js';

export interface RdsDrillPlan {
  kind: 'rds-instance';
  drillId: string;
  target: string;
  account: string;
  region: string;
  recoveryPoint: RecoveryPoint;
  instanceName: string;
  calls: PlannedCall[];
}

export type DrillPlan = RdsDrillPlan | S3DrillPlan;

function withOverrides(def: RdsDrillDefinition, request: DrillRequest): RdsDrillDefinition {
  return {
    ...def,
    restore: { ...def.restore, ...(request.recoveryPoint ? { recoveryPoint: request.recoveryPoint } : {}), ...(request.fromRegion ? { from: request.fromRegion } : {}) },
  };
}

/** Resolves the plan with read-only calls. Failures here are the drill's own failures, not bugs. */
export async function planDrill(def: DrillDefinition, request: DrillRequest, deps: DrillDeps, drillId: string = randomUUID()): Promise<PlanResult<DrillPlan>> {
  return isS3Drill(def) ? planS3Drill(def, request, deps, drillId) : planRdsDrill(def, request, deps, drillId);
}

async function planRdsDrill(def: RdsDrillDefinition, request: DrillRequest, deps: DrillDeps, drillId: string): Promise<PlanResult<RdsDrillPlan>> {
  const effective = withOverrides(def, request);
  const account = accountOf(deps.config, def);
  if (!deps.config.drills.allowedInstanceClasses.includes(effective.restore.instanceClass)) {
    return { ok: false, reason: `instance class ${effective.restore.instanceClass} is not in drills.allowedInstanceClasses (${deps.config.drills.allowedInstanceClasses.join(', ')})` };
  }
  const where = restoreRegion(effective, account.drRegion);
  if (!where.ok) return where;
  const all = await deps.platform.snapshots(account, where.region);
  const choice = chooseRecoveryPoint(effective, snapshotsOfSource(effective, all, where.region), all, deps.clock.now(), deps.random ?? Math.random);
  if (!choice.ok) return { ...choice, region: where.region };
  const instanceName = drillInstanceName(def.id, drillId);
  return {
    ok: true,
    plan: {
      kind: 'rds-instance',
      drillId,
      target: def.id,
      account: account.id,
      region: where.region,
      recoveryPoint: choice.point,
      instanceName,
      calls: plannedCalls(effective, choice.point, instanceName, drillId, deps.config.drills.pollIntervalSeconds),
    },
  };
}

export async function runDrill(def: DrillDefinition, request: DrillRequest, deps: DrillDeps): Promise<DrillRecord> {
  const running = await deps.store.listDrills({ status: 'running' });
  if (running.length >= deps.config.drills.maxConcurrent) {
    throw new EnvironmentError(`${running.length} drill(s) already running (${running.map((d) => `${d.target} ${d.id}`).join(', ')}); the limit is drills.maxConcurrent = ${deps.config.drills.maxConcurrent}`);
  }
  const account = accountOf(deps.config, def);
  const drillId = randomUUID();
  const now = () => deps.clock.now().toISOString();
  const phases: DrillPhase[] = [{ name: 'planned', at: now() }];
  const record: DrillRecord = {
    id: drillId,
    target: def.id,
    accountId: account.id,
    region: def.source.region,
    status: 'running',
    trigger: request.trigger,
    actor: request.actor,
    reason: request.reason,
    owner: deps.owner ?? ownerId(),
    startedAt: phases[0]?.at as string,
    heartbeatAt: phases[0]?.at as string,
    phases,
    verification: [],
    measures: { rtoTargetSeconds: def.targets.rto / 1000, rpoTargetSeconds: def.targets.rpo / 1000 },
  };
  await deps.store.createDrill(record);
  const run: RunContext = {
    drillId,
    account,
    phase: async (name) => {
      phases.push({ name, at: now() });
      deps.onPhase?.(name);
      await deps.store.updateDrill(drillId, { phases, heartbeatAt: now() });
    },
    save: async (patch) => {
      await deps.store.updateDrill(drillId, { ...patch, heartbeatAt: now() });
    },
  };

  const execution = isS3Drill(def) ? await executeS3Drill(def, request, deps, run) : await executeRdsDrill(def, request, deps, run);

  const measures = measure(def, execution);
  let failure = execution.failure;
  if (!failure && measures.rtoSeconds !== undefined && measures.rtoSeconds > def.targets.rto / 1000) failure = `RTO ${formatSeconds(measures.rtoSeconds)} exceeds the ${formatSeconds(def.targets.rto / 1000)} target`;
  if (!failure && measures.rpoSeconds !== undefined && measures.rpoSeconds > def.targets.rpo / 1000) failure = `RPO ${formatSeconds(measures.rpoSeconds)} (age of the recovery point) exceeds the ${formatSeconds(def.targets.rpo / 1000)} target`;
  const status = failure ? 'failed' : 'succeeded';
  const finishedAt = now();
  const signal = failure
    ? {
        id: randomUUID(),
        kind: 'drill-failed',
        key: `drill:${def.id}`,
        source: `drill ${drillId}`,
        raisedAt: finishedAt,
        summary: `Restore drill ${def.id} failed: ${failure}`,
        payload: { drillId, target: def.id, account: account.id, failure, recoveryPoint: execution.point?.id },
      }
    : undefined;
  return deps.store.finishDrillWithSignal(drillId, { status, finishedAt, heartbeatAt: finishedAt, measures, failure, verification: execution.verification }, signal);
}

async function executeRdsDrill(def: RdsDrillDefinition, request: DrillRequest, deps: DrillDeps, run: RunContext): Promise<Execution> {
  const { account, drillId } = run;
  let failure: string | undefined;
  let created: { region: string; instanceId: string } | undefined;
  let session: DatabaseSession | undefined;
  let verification: StepOutcome[] = [];
  let point: RecoveryPoint | undefined;
  let requestedAt: Date | undefined;
  let verifiedAt: Date | undefined;
  try {
    const planned = await planRdsDrill(def, request, deps, drillId);
    if (!planned.ok) throw new DrillFailure(planned.reason);
    const { plan } = planned;
    point = plan.recoveryPoint;
    await run.save({ region: plan.region, recoveryPoint: { ...point, createdAt: point.createdAt.toISOString() }, restoredResource: plan.instanceName });

    stopIfAborted(deps.signal);
    // Recorded before the call: if this process dies right after it, the sweep still knows the name.
    created = { region: plan.region, instanceId: plan.instanceName };
    await run.phase('restore-requested');
    requestedAt = deps.clock.now();
    const effective = withOverrides(def, request);
    await deps.platform.restore(account, plan.region, {
      instanceId: plan.instanceName,
      snapshotId: point.id,
      instanceClass: effective.restore.instanceClass,
      subnetGroup: effective.restore.subnetGroup,
      securityGroups: effective.restore.securityGroups,
      tags: drillTags(def, drillId),
    });

    const available = await waitFor(deps, () => deps.platform.describe(account, plan.region, plan.instanceName), (i) => i?.status === 'available' && i.endpoint !== undefined, `${plan.instanceName} to become available`, drillId, deps.signal);
    await run.phase('available');

    stopIfAborted(deps.signal);
    if (!deps.credentials) throw new DrillFailure('no Vault is configured (VAULT_ADDR/VAULT_TOKEN or integrations.vault), so there are no database credentials');
    let secret: Record<string, string>;
    try {
      secret = await deps.credentials.read(def.credentials.vault);
    } catch (err) {
      throw new DrillFailure(`Vault did not give credentials from ${def.credentials.vault}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const user = secret[def.credentials.usernameKey];
    const password = secret[def.credentials.passwordKey];
    if (!user || !password) throw new DrillFailure(`Vault secret ${def.credentials.vault} has no ${!user ? def.credentials.usernameKey : def.credentials.passwordKey} field`);
    registerSecret(password);

    const endpoint = available?.endpoint as { address: string; port: number };
    try {
      session = await deps.connector.connect({ host: endpoint.address, port: endpoint.port, user, password, database: def.connection.database, tls: def.connection.tls, engine: available?.engine });
    } catch (err) {
      throw new DrillFailure(`could not connect to ${plan.instanceName} as ${user}: ${err instanceof Error ? err.message : String(err)}`);
    }
    await run.phase('connected');

    deps.onPhase?.('verifying');
    verification = await verify(def, session, { host: endpoint.address, port: endpoint.port, user, password }, point, deps);
    await run.save({ verification: verification as unknown as Array<Record<string, unknown>> });
    const failed = verification.filter((s) => !s.passed);
    if (failed.length > 0) throw new DrillFailure(`verification failed: ${failed.map((s) => s.message).join(' ')}`);
    verifiedAt = deps.clock.now();
    await run.phase('verified');
  } catch (err) {
    failure = failureText(err);
  } finally {
    await session?.close().catch(() => undefined);
    if (created) failure = joinFailures(failure, await tearDown(account, created.region, created.instanceId, drillId, deps, run.phase));
  }
  const newestAt = verification.map((s) => s.newestAt).filter((t): t is string => t !== undefined).sort().pop();
  return { failure, point, requestedAt, verifiedAt, verification: verification as unknown as Array<Record<string, unknown>>, newestAt };
}

async function verify(
  def: RdsDrillDefinition,
  session: DatabaseSession,
  conn: { host: string; port: number; user: string; password: string },
  point: RecoveryPoint,
  deps: DrillDeps,
): Promise<StepOutcome[]> {
  const out: StepOutcome[] = [];
  for (const step of def.verify) {
    const started = Date.now();
    if ('sql' in step) {
      try {
        const rows = await session.query(step.sql);
        out.push({ ...judgeRows(step.name, rows, step.expect, { pointCreatedAt: point.createdAt, rpoMs: def.targets.rpo }), kind: 'sql', durationMs: Date.now() - started });
      } catch (err) {
        out.push({ name: step.name, kind: 'sql', passed: false, observed: null, expected: { ...step.expect }, message: `${step.name}: the query failed: ${err instanceof Error ? err.message : String(err)}.`, durationMs: Date.now() - started });
      }
      continue;
    }
    const env = {
      DRILL_HOST: conn.host,
      DRILL_PORT: String(conn.port),
      DRILL_USER: conn.user,
      DRILL_PASSWORD: conn.password,
      DRILL_DATABASE: def.connection.database,
      DRILL_TLS: def.connection.tls,
      DRILL_RECOVERY_POINT: point.id,
      DRILL_RECOVERY_POINT_TIME: point.createdAt.toISOString(),
    };
    const result = await deps.scripts.run(step.script, env, step.timeout);
    out.push({
      name: step.name,
      kind: 'script',
      passed: result.exitCode === 0,
      observed: { exitCode: result.exitCode, output: result.output },
      expected: { exitCode: 0 },
      message: result.exitCode === 0 ? `${step.name}: the script passed.` : `${step.name}: the script exited ${result.exitCode}.`,
      durationMs: Date.now() - started,
    });
  }
  return out;
}

/** Deletes what this run created, after re-reading its tags; returns a failure sentence, if any. */
async function tearDown(
  account: AccountConfig,
  region: string,
  instanceId: string,
  drillId: string,
  deps: DrillDeps,
  phase: (name: DrillPhase['name']) => Promise<void>,
): Promise<string | undefined> {
  try {
    const current = await deps.platform.describe(account, region, instanceId);
    if (!current) {
      await phase('deleted');
      return undefined;
    }
    assertOurs(current, drillId);
    await deps.platform.delete(account, region, instanceId);
    await phase('delete-requested');
    await waitFor(deps, () => deps.platform.describe(account, region, instanceId), (i) => i === undefined, `${instanceId} to be deleted`, drillId);
    await phase('deleted');
    return undefined;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return err instanceof SafetyError ? `teardown refused: ${reason}` : `teardown failed, ${instanceId} may still exist in ${region} (the next drill command sweeps it): ${reason}`;
  }
}

/**
 * Polls until `done`. With a signal (waiting for a restore), a stopping service ends the wait so the
 * drill tears down; without one (waiting for a deletion), the wait goes on: teardown is never abandoned.
 */
async function waitFor<T>(deps: DrillDeps, read: () => Promise<T>, done: (value: T) => boolean, what: string, drillId: string, signal?: AbortSignal): Promise<T> {
  const deadline = deps.clock.now().getTime() + deps.config.drills.maxWaitMinutes * 60_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    stopIfAborted(signal);
    if (deps.clock.now().getTime() >= deadline) throw new DrillFailure(`gave up waiting for ${what} after ${deps.config.drills.maxWaitMinutes} minutes`);
    await deps.store.updateDrill(drillId, { heartbeatAt: deps.clock.now().toISOString() });
    await deps.sleep(deps.config.drills.pollIntervalSeconds * 1000);
  }
}

function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DrillFailure('the service is stopping: the drill was abandoned and what it created is torn down');
}

function measure(def: DrillDefinition, execution: Execution): Record<string, number | undefined> {
  const { point, requestedAt, verifiedAt, newestAt } = execution;
  return {
    rtoTargetSeconds: def.targets.rto / 1000,
    rpoTargetSeconds: def.targets.rpo / 1000,
    /** Request to verified: how long recovery took. */
    rtoSeconds: requestedAt && verifiedAt ? (verifiedAt.getTime() - requestedAt.getTime()) / 1000 : undefined,
    /** Age of the recovery point when the restore was requested: the data a disaster would lose. */
    rpoSeconds: point && requestedAt ? (requestedAt.getTime() - point.createdAt.getTime()) / 1000 : undefined,
    /** How far the newest restored row lags the recovery point. */
    freshnessLagSeconds: point && newestAt ? (point.createdAt.getTime() - Date.parse(newestAt)) / 1000 : undefined,
  };
}

export function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}
