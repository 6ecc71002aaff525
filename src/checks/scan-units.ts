/**
 * A check run spread over several replicas sharing one database. The replica that runs the scheduled
 * job records the run and offers one unit per account (every region of it, and its account-level
 * checks); any replica claims units, evaluates them and streams their results into the shared store.
 * The offering replica works units too, evaluates the run-level checks (Vault), waits until every unit
 * is done, taking over the units of a replica that stopped heartbeating, and closes the run.
 *
 * An account is the unit because AWS's rate limits are per account (and region): while one replica
 * works an account, it is the only one calling that account's scopes, so its own pacer keeps each
 * scope under its rate without replicas sharing buckets. A unit taken over is evaluated again, but the
 * batches (one check in one account-region) the first replica already stored are not written twice.
 */
import type { AccountConfig } from '../config/schema.js';
import { redact } from '../core/redact.js';
import type { Lease, LeaseItem } from '../store/cluster-types.js';
import type { CheckDefinition } from './definitions.js';
import { sinceKey, type UnitProgress } from './engine.js';
import { evaluateInto, failCheckRun, finishCheckRun, RunTally, startCheckRun, type CheckRunDeps, type CheckRunOutcome, type CheckRunRequest, type StartedCheckRun } from './run.js';
import { subjectKind } from './subjects.js';

export const SCAN_UNIT = 'scan-unit';

/** A unit that failed as a whole this many times (the store threw) is given up, and the run fails naming it. */
export const UNIT_ATTEMPTS = 3;

/** What a replica needs to evaluate one account of a run; no secret (the external id comes from its own config). */
export interface ScanUnitDetail {
  runId: string;
  /** The replica that offered the unit and closes the run; its death abandons the run. */
  coordinator: { id: string; incarnation: string };
  startedAt: string;
  checkIds: string[];
  regions?: string[];
  account: { id: string; name?: string; roleArn?: string; regions: string[]; drRegion?: string };
  /** Why the account cannot be scanned, when it cannot: its checks get `error` results. */
  unavailable?: string;
  /** When each (check, region) of the account was last evaluated, for checks that judge what happened since. */
  since: Array<{ checkId: string; region: string; at: string }>;
}

/** The part of a replica scan units use: leases on the shared database (src/service/scan-worker.ts). */
export interface UnitLeases {
  readonly owner: { id: string; incarnation: string };
  offer(items: LeaseItem[]): Promise<void>;
  /** Claims one claimable unit (of `runId` when given; open, or held past its expiry); `onLost` hears when it is taken away. */
  claimNext(runId: string | undefined, onLost: () => void): Promise<Lease | undefined>;
  /** Gives a unit back as done (`reopen` false) or for another replica to take (`reopen` true). */
  release(key: string, outcome: string, reopen: boolean, detail?: Record<string, unknown>): Promise<void>;
  /** Every unit of the run, done or not. */
  units(runId: string): Promise<Lease[]>;
  /** Whether the replica that offered a unit still runs (same incarnation, heartbeat not expired). */
  alive(coordinator: ScanUnitDetail['coordinator']): Promise<boolean>;
}

export interface DistributedOptions {
  /** Units this replica evaluates at once. */
  unitsInFlight: number;
  /** How long the offering replica waits between looks at units other replicas hold. */
  pollMs: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  onProgress?: (unit: UnitProgress) => void;
  /** Told about each unit that failed as a whole (the store threw); it is given back for another try. */
  onUnitError?: (key: string, err: unknown) => void;
}

/** Run-level checks (Vault) are not any account's: the offering replica evaluates them itself. */
function isRunLevel(check: CheckDefinition): boolean {
  return subjectKind(check.resource).level === 'global';
}

export function unitKey(runId: string, accountId: string): string {
  return `${SCAN_UNIT}:${runId}:${accountId}`;
}

function unitItem(started: StartedCheckRun, owner: UnitLeases['owner'], account: AccountConfig, unavailable?: string): LeaseItem {
  const { run, selection } = started;
  const since = [...started.since]
    .map(([key, at]) => ({ key: key.split('|'), at }))
    .filter(({ key }) => key[1] === account.id)
    .map(({ key, at }) => ({ checkId: key[0] as string, region: key[2] as string, at: at.toISOString() }));
  const detail: ScanUnitDetail = {
    runId: run.id,
    coordinator: owner,
    startedAt: started.started.toISOString(),
    checkIds: selection.checks.filter((c) => !isRunLevel(c)).map((c) => c.id),
    ...(selection.regions ? { regions: selection.regions } : {}),
    account: { id: account.id, ...(account.name ? { name: account.name } : {}), ...(account.roleArn ? { roleArn: account.roleArn } : {}), regions: account.regions, ...(account.drRegion ? { drRegion: account.drRegion } : {}) },
    ...(unavailable !== undefined ? { unavailable } : {}),
    since,
  };
  return { key: unitKey(run.id, account.id), kind: SCAN_UNIT, subject: run.id, dueAt: run.startedAt, detail: detail as unknown as Record<string, unknown> };
}

/**
 * The whole run, from the replica the scheduler gave the job to: offer the units, work them alongside
 * the other replicas, evaluate the run-level checks, wait for the rest and close the run.
 */
export async function runChecksAcrossReplicas(request: CheckRunRequest, deps: CheckRunDeps, leases: UnitLeases, options: DistributedOptions): Promise<CheckRunOutcome> {
  const started = await startCheckRun(request, deps);
  const { run, selection } = started;
  try {
    await leases.offer([...selection.accounts.map((a) => unitItem(started, leases.owner, a)), ...selection.unavailable.map((u) => unitItem(started, leases.owner, u.account, u.reason))]);
    const runLevel = selection.checks.filter(isRunLevel);
    await Promise.all([
      evaluateInto(started, { checks: runLevel, accounts: [], unavailable: [], regions: selection.regions, since: started.since }, deps, { onProgress: options.onProgress }),
      untilDone(run.id, deps, leases, options),
    ]);
  } catch (err) {
    await failCheckRun(started, err, deps, 0).catch(() => undefined);
    throw err;
  }
  // Every replica wrote its units' results; the run's counts and signals come from what was stored.
  const results = await deps.store.checkResults(run.id);
  const tally = new RunTally();
  tally.add(results);
  return { run: await finishCheckRun(started, tally, deps), results, counts: tally.counts };
}

async function untilDone(runId: string, deps: CheckRunDeps, leases: UnitLeases, options: DistributedOptions): Promise<void> {
  for (;;) {
    options.signal?.throwIfAborted();
    await workUnits(leases, deps, { ...options, runId });
    const units = await leases.units(runId);
    if (units.every((u) => u.status === 'done')) {
      const failed = units.filter((u) => u.outcome === 'failed');
      if (failed.length > 0) {
        const which = failed.map((u) => `account ${(u.detail as unknown as ScanUnitDetail).account.id} (${String(u.detail['error'] ?? 'no reason recorded')})`);
        throw new Error(`the units of ${which.join(', ')} failed ${UNIT_ATTEMPTS} times and were given up`);
      }
      return;
    }
    await options.sleep(options.pollMs, options.signal);
  }
}

/**
 * Claims and evaluates units (of one run, or of any) until none is left to claim, `unitsInFlight` at
 * once. Returns how many it worked. A unit that fails as a whole is given back for another try, up to
 * UNIT_ATTEMPTS claims.
 * `deps` may be a factory, asked once per claimed unit: a replica's worker reads each unit through a
 * fresh inventory, so nothing read for one run is reused in a later one.
 */
export async function workUnits(leases: UnitLeases, deps: CheckRunDeps | (() => Promise<CheckRunDeps>), options: Pick<DistributedOptions, 'unitsInFlight' | 'onProgress' | 'onUnitError' | 'signal'> & { runId?: string }): Promise<number> {
  const running = new Set<Promise<void>>();
  let worked = 0;
  for (;;) {
    while (running.size < Math.max(1, options.unitsInFlight) && !options.signal?.aborted) {
      const lost = { value: false };
      const lease = await leases.claimNext(options.runId, () => (lost.value = true));
      if (!lease) break;
      worked += 1;
      const work: Promise<void> = (typeof deps === 'function' ? deps() : Promise.resolve(deps))
        .then((unitDeps) => workUnit(lease, unitDeps, leases, () => !lost.value, options.onProgress))
        .catch(async (err: unknown) => {
          options.onUnitError?.(lease.key, err);
          if (lost.value) return;
          // Given back for another try, unless it has failed as often as it may: then the run fails with it.
          const giveUp = lease.claims >= UNIT_ATTEMPTS;
          await leases.release(lease.key, 'failed', !giveUp, { error: redact(err instanceof Error ? err.message : String(err)) }).catch(() => undefined);
        })
        .finally(() => running.delete(work));
      running.add(work);
    }
    if (running.size === 0) return worked;
    await Promise.race(running);
  }
}

/** The account as this replica reaches it: the offered facts plus the external id from its own config. */
function unitAccount(detail: ScanUnitDetail, deps: CheckRunDeps): AccountConfig {
  const externalId = deps.config.accounts.find((a) => a.id === detail.account.id)?.externalId ?? deps.config.organization?.externalId;
  return { ...detail.account, ...(externalId ? { externalId } : {}) } as AccountConfig;
}

/** Evaluates one claimed unit and gives it back as done, unless it was lost to another replica meanwhile. */
export async function workUnit(lease: Lease, deps: CheckRunDeps, leases: UnitLeases, keep: () => boolean, onProgress?: (unit: UnitProgress) => void): Promise<void> {
  const detail = lease.detail as unknown as ScanUnitDetail;
  const run = await deps.store.getRun(detail.runId);
  if (!run || run.status !== 'running') {
    await leases.release(lease.key, 'superseded', false, { reason: `run ${detail.runId} is ${run?.status ?? 'gone'}` });
    return;
  }
  if (!(await leases.alive(detail.coordinator))) {
    // Its scheduled occurrence is taken over and run anew by another replica; this run will never be closed otherwise.
    const reason = `the replica that started this run (${detail.coordinator.id}) stopped before it finished`;
    await deps.store.finishRun(run.id, 'aborted', deps.clock.now().toISOString(), { ...run.summary, error: reason });
    await leases.release(lease.key, 'abandoned', false, { reason });
    return;
  }
  const account = unitAccount(detail, deps);
  const wanted = new Set(detail.checkIds);
  const checks = deps.checks.filter((c) => wanted.has(c.id) && !isRunLevel(c));
  // Taken over: what the replica before stored stays, and is not written again.
  const skip = lease.claims > 1 ? new Set((await deps.store.checkResults(run.id)).filter((r) => r.accountId === account.id).map((r) => sinceKey(r.checkId, r.accountId, r.region))) : undefined;
  let results = 0;
  await evaluateInto(
    { run, started: new Date(detail.startedAt) },
    {
      checks,
      accounts: detail.unavailable === undefined ? [account] : [],
      unavailable: detail.unavailable === undefined ? [] : [{ account, reason: detail.unavailable }],
      regions: detail.regions,
      since: new Map(detail.since.map((s) => [sinceKey(s.checkId, account.id, s.region), new Date(s.at)])),
    },
    deps,
    {
      ...(skip ? { skip } : {}),
      keep,
      onProgress: (unit) => {
        results += unit.results;
        onProgress?.(unit);
      },
    },
  );
  if (keep()) await leases.release(lease.key, 'completed', false, { results, ...(skip ? { kept: skip.size } : {}) });
}
