/**
 * Runs check definitions over accounts and regions: lists the subjects each check judges, fetches
 * what its evaluator needs once, and streams one result per resource. Anything that could not be
 * read becomes an `error` result naming what and why; it never becomes a pass or a fail.
 *
 * Units (one check in one account-region, one account, or the run) are scheduled round-robin across
 * account-regions, with a deadline on each: a region that hangs holds its own units until its calls
 * time out, while every other region goes on. Waiting units cost nothing but memory, and every AWS
 * call is paced per rate-limit scope (src/adapters/aws/pacer.ts), so many units run at once: the
 * scan's pace is set by AWS's limits, not by how many units the engine lets start.
 *
 * The longest chains start first. Within an account-region, a unit that starts a read with a long
 * chain of calls (LookupEvents at 2 a second, a sharing read per RDS snapshot, pages of findings and
 * snapshots) goes before the units that reuse that read or need only short ones, and round-robin
 * across account-regions starts those first units everywhere before the rest.
 *
 * Accounts are taken a window at a time, and each account's reads are cached, and its clients kept,
 * only while its units run: memory follows the window, not the estate.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { AccountConfig } from '../config/schema.js';
import { ExternalServiceError } from '../core/errors.js';
import { errorVerdict, notApplicable, type CheckResult, type Verdict } from '../core/results.js';
import type { UnavailableAccount } from './accounts.js';
import type { CheckDefinition } from './definitions.js';
import type { EvalContext, Evaluator, NeedLoader } from './evaluator.js';
import { IAM_NEED_READS, IAM_NEEDS } from './iam/index.js';
import { cachedInventory, type CachedInventory, type InventoryPort } from './inventory.js';
import { CouldNotLook, type BackupSource, type Resource, type ResourceKind, type S3Bucket, type Snapshot, type SourceKind } from './resources.js';
import { describeScope, inScope, type Scope } from './scope.js';
import { subjectKind, type Level, type ListWindow } from './subjects.js';
import { THREAT_NEED_READS, THREAT_NEEDS } from './threat/index.js';

/** Where results of account-level and global checks are filed. */
export const GLOBAL_REGION = 'global';
export const NO_ACCOUNT = '-';

const REGISTERED_NEEDS: Readonly<Record<string, NeedLoader>> = { ...IAM_NEEDS, ...THREAT_NEEDS };
const REGISTERED_NEED_READS: Readonly<Record<string, ReadonlyArray<keyof InventoryPort>>> = { ...IAM_NEED_READS, ...THREAT_NEED_READS };

const SNAPSHOT_READS: Record<SourceKind, keyof InventoryPort> = { 'rds-instance': 'rdsSnapshots', 'rds-cluster': 'rdsClusterSnapshots', 'ebs-volume': 'ebsSnapshots' };

/** Every inventory method a check's evaluation may call: what Vigil's IAM policy must allow for it. */
export function inventoryReads(check: CheckDefinition, evaluator: Evaluator<Record<string, unknown>>): Set<keyof InventoryPort> {
  const reads = new Set<keyof InventoryPort>(subjectKind(check.resource).reads);
  for (const need of evaluator.needs(check.params)) {
    const snapshots = SNAPSHOT_READS[check.resource as SourceKind];
    if ((need === 'snapshots' || need === 'drCopies') && snapshots) reads.add(snapshots);
    else if (need === 'buckets') reads.add('s3Buckets');
    else for (const method of REGISTERED_NEED_READS[need] ?? []) reads.add(method);
  }
  return reads;
}

/** inventoryReads; for a check whose evaluator is unknown, its subjects' lists (its units list them, then fail). */
function readsOfCheck(check: CheckDefinition, evaluators: ReadonlyMap<string, Evaluator<Record<string, unknown>>>): ReadonlySet<keyof InventoryPort> {
  const evaluator = evaluators.get(check.evaluator);
  return evaluator ? inventoryReads(check, evaluator) : new Set(subjectKind(check.resource).reads);
}

export interface EvaluationPlan {
  checks: CheckDefinition[];
  accounts: AccountConfig[];
  /** Accounts that cannot be scanned: every check gets an `error` result there, with the reason. */
  unavailable?: UnavailableAccount[];
  /** Only these regions, when given. */
  regions?: string[];
  scope: Scope;
  /**
   * When each check was last evaluated without error in each account and region (key
   * `check|account|region`), for checks that judge what happened since then.
   */
  since?: ReadonlyMap<string, Date>;
}

export interface EngineDeps {
  inventory: InventoryPort;
  evaluators: ReadonlyMap<string, Evaluator<Record<string, unknown>>>;
  /** The time verdicts are judged at (one instant for the whole run). */
  now: Date;
  /** When each result was produced. */
  clock: () => Date;
  /** How many units (a check in an account-region, an account, or the run) are evaluated at once. */
  concurrency?: number;
  /** How many units of one account-region (or one account) at once. */
  scopeConcurrency?: number;
  /** How many accounts have units running at once; each account's cached reads are dropped when it is done. */
  accountWindow?: number;
  /** A unit still running after this long gets one `error` result; 15 minutes by default. */
  unitTimeoutMs?: number;
  /** Waits `ms` unless aborted; injected so tests never wait. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Units waiting on AWS cost memory (their signed requests, their promises) and nothing else: every call
 * is paced. Enough of them keep every scope's queue fed; many more only hold memory, and starting them
 * all at once holds the event loop.
 */
export const DEFAULT_CONCURRENCY = 512;
export const DEFAULT_SCOPE_CONCURRENCY = 64;
/**
 * Accounts scanned at once. Memory follows it (500 accounts peaked at 541-568 MB with 64 at once, 484 MB
 * with 32); 32 accounts in their regions are still a thousand units, more than the pacer can send at
 * once, and an account let in when one finishes starts within seconds, as small accounts take a few.
 */
export const DEFAULT_ACCOUNT_WINDOW = 32;

/**
 * How long a chain of calls each read starts, roughly: what decides which units go first. RDS
 * snapshots need one sharing read per manual snapshot at 12 a second (thousands of calls in a large
 * account: the usual floor of a scan); LookupEvents allows 2 calls a second, but a region's lookups
 * run side by side and come to tens of calls; findings and snapshots page by the thousand; the rest is
 * a few calls.
 */
const CHAIN_WEIGHT: Partial<Record<keyof InventoryPort, number>> = {
  cloudTrailEvents: 85,
  rdsSnapshots: 100,
  rdsClusterSnapshots: 90,
  guardDutyFindings: 70,
  ebsSnapshots: 60,
  iamAuthorization: 50,
  iamCredentialReport: 50,
  iamServiceLastAccessed: 50,
  s3Buckets: 40,
  cloudTrailBucket: 30,
  cloudTrailTrails: 20,
  ebsVolumes: 20,
  guardDutyDetectors: 20,
};
export const DEFAULT_UNIT_TIMEOUT_MS = 15 * 60_000;

/**
 * Starting thousands of units, or evaluating thousands of subjects, takes seconds of CPU; done in one
 * go it would hold every paced call, timer and answer of the scan for that long. Those loops let them
 * through at least this often.
 */
const YIELD_EVERY_MS = 20;

export interface UnitProgress {
  checkId: string;
  accountId: string;
  region: string;
  results: number;
}

interface Unit {
  level: Level;
  account?: AccountConfig;
  region: string;
  /** Why the account cannot be scanned, when it cannot. */
  unavailable?: string;
}

/**
 * The units a plan covers at each level: every account-region, every account, and the run itself.
 * An unavailable account whose regions are unknown gets its region-level units filed under `global`.
 */
export function planUnits(plan: EvaluationPlan): Unit[] {
  const units: Unit[] = [];
  const wanted = (region: string) => !plan.regions || plan.regions.includes(region);
  for (const account of plan.accounts) {
    for (const region of account.regions) if (wanted(region)) units.push({ level: 'region', account, region });
    units.push({ level: 'account', account, region: GLOBAL_REGION });
  }
  for (const { account, reason } of plan.unavailable ?? []) {
    const regions = account.regions.length > 0 ? account.regions.filter(wanted) : [GLOBAL_REGION];
    for (const region of regions) units.push({ level: 'region', account, region, unavailable: reason });
    units.push({ level: 'account', account, region: GLOBAL_REGION, unavailable: reason });
  }
  units.push({ level: 'global', region: GLOBAL_REGION });
  return units;
}

/** How many (check, unit) evaluations a plan makes; for progress bars. */
export function countEvaluations(plan: EvaluationPlan): number {
  const units = planUnits(plan);
  return plan.checks.reduce((n, check) => n + units.filter((u) => u.level === subjectKind(check.resource).level).length, 0);
}

/**
 * The checks in the order their units start: first, for each read with a long chain of calls, the
 * first check that needs it (longest first); then the others, longest reads first. Ties keep the
 * checks' own order.
 */
export function chainOrder(checks: readonly CheckDefinition[], evaluators: ReadonlyMap<string, Evaluator<Record<string, unknown>>>): CheckDefinition[] {
  const ranked = checks.map((check, index) => {
    const reads = [...readsOfCheck(check, evaluators)];
    const lead = reads.reduce<{ read?: keyof InventoryPort; weight: number }>((best, read) => ((CHAIN_WEIGHT[read] ?? 0) > best.weight ? { read, weight: CHAIN_WEIGHT[read] ?? 0 } : best), { weight: 0 });
    return { check, index, ...lead };
  });
  const byWeight = (a: (typeof ranked)[number], b: (typeof ranked)[number]) => b.weight - a.weight || a.index - b.index;
  const leaders = new Map<keyof InventoryPort, (typeof ranked)[number]>();
  for (const r of [...ranked].sort(byWeight)) if (r.read && !leaders.has(r.read)) leaders.set(r.read, r);
  const first = new Set(leaders.values());
  return [...first, ...ranked.filter((r) => !first.has(r)).sort(byWeight)].map((r) => r.check);
}

/** Evaluates the plan, handing each batch of results (one check in one unit) to `onBatch`. */
export async function evaluate(plan: EvaluationPlan, deps: EngineDeps, onBatch: (batch: CheckResult[], unit: UnitProgress) => Promise<void> | void): Promise<void> {
  // One queue per account-region (or account, or the run), grouped by account, each in chain order.
  const checks = chainOrder(plan.checks, deps.evaluators);
  const readsOf = new Map(checks.map((check) => [check, readsOfCheck(check, deps.evaluators)]));
  const groups = new Map<string, Map<string, Array<{ check: CheckDefinition; unit: Unit }>>>();
  // How many of each account's evaluations are still to read each list.
  const readers = new Map<string, Map<keyof InventoryPort, number>>();
  for (const unit of planUnits(plan)) {
    const group = unit.account?.id ?? NO_ACCOUNT;
    const queues = groups.get(group) ?? new Map<string, Array<{ check: CheckDefinition; unit: Unit }>>();
    const left = readers.get(group) ?? new Map<keyof InventoryPort, number>();
    const key = `${group}|${unit.region}`;
    const queue = queues.get(key) ?? [];
    for (const check of checks) {
      if (subjectKind(check.resource).level !== unit.level) continue;
      queue.push({ check, unit });
      for (const read of readsOf.get(check) ?? []) left.set(read, (left.get(read) ?? 0) + 1);
    }
    queues.set(key, queue);
    groups.set(group, queues);
    readers.set(group, left);
  }
  // Every list is fetched at most once per account, however many checks need it, and forgotten when
  // the last of them is done: a large account's 25,000 EBS snapshots are not held for the quarter of a
  // minute its RDS snapshots' sharing takes to read.
  const caches = new Map<string, CachedInventory>();
  const inventoryOf = (group: string) => {
    let cached = caches.get(group);
    if (!cached) {
      cached = cachedInventory(deps.inventory);
      caches.set(group, cached);
    }
    return cached;
  };
  const doneReading = (group: string, check: CheckDefinition) => {
    const left = readers.get(group);
    for (const read of readsOf.get(check) ?? []) {
      const n = (left?.get(read) ?? 1) - 1;
      left?.set(read, n);
      if (n === 0) caches.get(group)?.forget(read);
    }
  };
  const timeoutMs = deps.unitTimeoutMs ?? DEFAULT_UNIT_TIMEOUT_MS;
  const sleep = deps.sleep ?? deadlineTimer;
  const limits = { concurrency: deps.concurrency ?? DEFAULT_CONCURRENCY, perQueue: deps.scopeConcurrency ?? DEFAULT_SCOPE_CONCURRENCY, groups: deps.accountWindow ?? DEFAULT_ACCOUNT_WINDOW };
  await runScheduled(
    [...groups].map(([id, queues]) => ({ id, queues })),
    limits,
    async ({ check, unit }) => {
      const group = unit.account?.id ?? NO_ACCOUNT;
      let batch: CheckResult[];
      try {
        batch = await withDeadline(evaluateUnit(check, unit, plan, deps, inventoryOf(group)), timeoutMs, sleep, () => timedOut(check, unit, deps, timeoutMs));
      } finally {
        doneReading(group, check);
      }
      await onBatch(batch, { checkId: check.id, accountId: unit.account?.id ?? NO_ACCOUNT, region: unit.region, results: batch.length });
    },
    (group) => {
      caches.delete(group);
      readers.delete(group);
      deps.inventory.release?.(group);
    },
  );
}

/**
 * Runs every queue's items, at most `concurrency` at once and `perQueue` of one queue at once, taking
 * the next item from the queues in turn. The first failure stops new work and is thrown.
 */
export function runRoundRobin<T>(queues: ReadonlyMap<string, T[]>, limits: { concurrency: number; perQueue: number }, run: (item: T) => Promise<void>): Promise<void> {
  return runScheduled([{ id: 'all', queues }], limits, run);
}

export interface ScheduleLimits {
  concurrency: number;
  perQueue: number;
  /** Groups whose queues run at once; the next group is let in when one has finished every item. */
  groups?: number;
}

/**
 * runRoundRobin over groups of queues (an account's account-regions), a window of groups at a time:
 * `onGroupDone` hears when a group has finished, before the next one is let in.
 */
export function runScheduled<T>(
  groups: ReadonlyArray<{ id: string; queues: ReadonlyMap<string, T[]> }>,
  limits: ScheduleLimits,
  run: (item: T) => Promise<void>,
  onGroupDone?: (id: string) => void,
): Promise<void> {
  const waiting = [...groups];
  const order: string[] = [];
  const pending = new Map<string, T[]>();
  const groupOf = new Map<string, string>();
  const left = new Map<string, number>();
  const running = new Map<string, number>();
  const concurrency = Math.max(1, limits.concurrency);
  const perQueue = Math.max(1, limits.perQueue);
  const window = Math.max(1, limits.groups ?? Infinity);
  let open = 0;
  let active = 0;
  let cursor = 0;
  let failed = false;
  const admit = () => {
    while (open < window && waiting.length > 0) {
      const group = waiting.shift() as (typeof waiting)[number];
      let items = 0;
      for (const [key, queue] of group.queues) {
        if (queue.length === 0) continue;
        pending.set(key, [...queue]);
        groupOf.set(key, group.id);
        order.push(key);
        items += queue.length;
      }
      if (items === 0) {
        onGroupDone?.(group.id);
        continue;
      }
      left.set(group.id, items);
      open += 1;
    }
  };
  const finished = (key: string) => {
    const group = groupOf.get(key) as string;
    const remaining = (left.get(group) as number) - 1;
    left.set(group, remaining);
    if (remaining > 0) return;
    open -= 1;
    onGroupDone?.(group);
    admit();
  };
  admit();
  const take = (): [string, T] | undefined => {
    for (let i = 0; i < order.length; i++) {
      const index = (cursor + i) % order.length;
      const key = order[index] as string;
      if ((running.get(key) ?? 0) >= perQueue) continue;
      const queue = pending.get(key) as T[];
      const item = queue.shift() as T;
      if (queue.length === 0) {
        order.splice(index, 1);
        cursor = order.length === 0 ? 0 : index % order.length;
      } else {
        cursor = (index + 1) % order.length;
      }
      return [key, item];
    }
    return undefined;
  };
  return new Promise<void>((resolve, reject) => {
    let resumeScheduled = false;
    const launch = () => {
      if (failed) return;
      const startedAt = performance.now();
      while (active < concurrency) {
        // Starting a unit runs it up to its first wait (building its first AWS request): thousands at
        // once would hold the event loop for seconds, and every answer already in with it.
        if (performance.now() - startedAt > YIELD_EVERY_MS) {
          if (!resumeScheduled) {
            resumeScheduled = true;
            setImmediate(() => {
              resumeScheduled = false;
              launch();
            });
          }
          return;
        }
        const next = take();
        if (!next) break;
        const [key, item] = next;
        active += 1;
        running.set(key, (running.get(key) ?? 0) + 1);
        run(item).then(
          () => {
            active -= 1;
            running.set(key, (running.get(key) as number) - 1);
            finished(key);
            launch();
          },
          (err: unknown) => {
            failed = true;
            reject(err);
          },
        );
      }
      if (active === 0 && order.length === 0 && waiting.length === 0) resolve();
    };
    launch();
  });
}

const TIMED_OUT = Symbol('timed out');
/**
 * Why a deadline timer is stopped: its unit settled. A reason given up front spares the DOMException
 * (and its stack trace) an abort without one builds, once per unit: thousands in a large scan.
 */
const UNIT_SETTLED = Symbol('unit settled');

/** Resolves after `ms`, or never once `signal` aborts (its timer cleared): nothing to reject, nothing to build. */
function deadlineTimer(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  });
}

/** The work's result, or `onTimeout()` once `ms` pass first; the timer never outlives the work. */
async function withDeadline<T>(work: Promise<T>, ms: number, sleep: (ms: number, signal: AbortSignal) => Promise<void>, onTimeout: () => T): Promise<T> {
  const timer = new AbortController();
  try {
    const first = await Promise.race([work, sleep(ms, timer.signal).then(() => TIMED_OUT)]);
    return first === TIMED_OUT ? onTimeout() : (first as T);
  } finally {
    timer.abort(UNIT_SETTLED);
  }
}

export function sinceKey(checkId: string, accountId: string, region: string): string {
  return `${checkId}|${accountId}|${region}`;
}

function reasonOf(err: unknown): string {
  if (err instanceof ExternalServiceError || err instanceof CouldNotLook) return err.message;
  return `internal error: ${err instanceof Error ? err.message : String(err)}`;
}

/** Global checks (Vault) are not about an AWS account; they get a placeholder the store can key. */
const NO_ACCOUNT_CONFIG: AccountConfig = { id: NO_ACCOUNT, name: 'none', regions: [GLOBAL_REGION] };

/** How a unit names itself and files its results. */
function frameOf(check: CheckDefinition, unit: Unit, deps: EngineDeps) {
  const kind = subjectKind(check.resource);
  const account = unit.account ?? NO_ACCOUNT_CONFIG;
  const region = unit.region;
  const where = unit.level === 'global' ? 'the run' : unit.level === 'account' || region === GLOBAL_REGION ? `account ${account.id}` : `${account.id}/${region}`;
  const result = (subject: { resource: string; name: string }, { about, ...verdict }: Verdict): CheckResult => ({
    ...verdict,
    ...(about ?? subject),
    accountId: account.id,
    region,
    checkId: check.id,
    severity: check.severity,
    params: check.params,
    evaluatedAt: deps.clock().toISOString(),
    remediation: check.remediation,
  });
  const whole = { resource: `aws:${account.id}:${region}:${check.resource}`, name: `${kind.plural} in ${where}` };
  return { kind, account, region, where, result, whole };
}

function timedOut(check: CheckDefinition, unit: Unit, deps: EngineDeps, timeoutMs: number): CheckResult[] {
  const { kind, where, result, whole } = frameOf(check, unit, deps);
  const limit = timeoutMs % 60_000 === 0 ? `${timeoutMs / 60_000} min` : `${timeoutMs / 1000} s`;
  return [result(whole, errorVerdict(`Could not judge ${kind.plural} in ${where}: not finished within ${limit} (aws.scopeTimeoutMs).`, {}))];
}

async function evaluateUnit(check: CheckDefinition, unit: Unit, plan: EvaluationPlan, deps: EngineDeps, inventory: InventoryPort): Promise<CheckResult[]> {
  const evaluator = deps.evaluators.get(check.evaluator) as Evaluator<Record<string, unknown>>;
  const { kind, account, region, where, result, whole } = frameOf(check, unit, deps);
  if (unit.unavailable !== undefined) return [result(whole, errorVerdict(`Could not list ${kind.plural} in ${where}: ${unit.unavailable}.`, {}))];
  const scope = check.scope ?? plan.scope;
  const window: ListWindow = { since: plan.since?.get(sinceKey(check.id, account.id, region)), now: deps.now };

  let subjects: Resource[];
  try {
    subjects = await kind.list(inventory, account, region, window);
  } catch (err) {
    return [result(whole, errorVerdict(`Could not list ${kind.plural} in ${where}: ${reasonOf(err)}.`, {}))];
  }

  const out: CheckResult[] = [];
  const judged: Resource[] = [];
  const scoped = kind.scoped && (scope.include.length > 0 || scope.exclude.length > 0);
  for (const subject of subjects) {
    if (!scoped || !kind.tags) {
      judged.push(subject);
      continue;
    }
    const tags = kind.tags(subject);
    if (!tags.ok) out.push(result(kind.identify(subject), errorVerdict(`${kind.describe(subject)}: could not read its tags to decide whether it is in scope: ${tags.reason}.`, {})));
    else if (inScope(scope, tags.value)) judged.push(subject);
  }
  if (judged.length === 0 && out.length === 0) {
    const inScopeText = scoped ? ` in scope (${describeScope(scope)})` : '';
    return [result(whole, notApplicable(`No ${kind.plural}${inScopeText} in ${where}.`, scoped ? { scope: describeScope(scope) } : {}))];
  }

  let data: NeededData;
  try {
    data = await loadNeeds(evaluator.needs(check.params), check, account, region, inventory, window);
  } catch (err) {
    const reason = reasonOf(err);
    return [...out, ...judged.map((s) => result(kind.identify(s), errorVerdict(`${kind.describe(s)}: could not read what the check needs: ${reason}.`, {})))];
  }

  let busySince = performance.now();
  for (const subject of judged) {
    if (performance.now() - busySince > YIELD_EVERY_MS) {
      await yieldToLoop();
      busySince = performance.now();
    }
    const ctx: EvalContext<Record<string, unknown>> = {
      params: check.params,
      now: deps.now,
      account,
      region,
      drRegion: account.drRegion,
      snapshots: 'id' in subject ? (data.snapshots.get(subject.id) ?? []) : [],
      drCopies: copiesOf(subject, data),
      buckets: data.buckets,
      data: data.registered,
      since: window.since,
    };
    let verdicts: Verdict | Verdict[];
    try {
      verdicts = evaluator.evaluate(subject, ctx);
    } catch (err) {
      verdicts = err instanceof CouldNotLook ? errorVerdict(`${kind.describe(subject)}: ${err.message}.`, {}) : errorVerdict(`${kind.describe(subject)}: the evaluator failed: ${reasonOf(err)}.`, {});
    }
    for (const verdict of Array.isArray(verdicts) ? verdicts : [verdicts]) out.push(result(kind.identify(subject), verdict));
  }
  return out;
}

interface NeededData {
  /** Snapshots by source id, in the subject's region. */
  snapshots: Map<string, Snapshot[]>;
  /** Snapshots of the same kind in the DR region. */
  drSnapshots: Snapshot[];
  buckets: S3Bucket[];
  registered: Record<string, unknown>;
}

const SNAPSHOT_SOURCES: ReadonlySet<string> = new Set(['rds-instance', 'rds-cluster', 'ebs-volume']);

function snapshotsIn(kind: SourceKind, account: AccountConfig, region: string, inventory: InventoryPort): Promise<Snapshot[]> {
  switch (kind) {
    case 'rds-instance':
      return inventory.rdsSnapshots(account, region);
    case 'rds-cluster':
      return inventory.rdsClusterSnapshots(account, region);
    case 'ebs-volume':
      return inventory.ebsSnapshots(account, region);
  }
}

async function loadNeeds(needs: readonly string[], check: CheckDefinition, account: AccountConfig, region: string, inventory: InventoryPort, window: ListWindow): Promise<NeededData> {
  const kind: ResourceKind = check.resource;
  const data: NeededData = { snapshots: new Map(), drSnapshots: [], buckets: [], registered: {} };
  const source = SNAPSHOT_SOURCES.has(kind) ? (kind as SourceKind) : undefined;
  if (source && (needs.includes('snapshots') || needs.includes('drCopies'))) {
    for (const s of await snapshotsIn(source, account, region, inventory)) {
      const list = data.snapshots.get(s.sourceId);
      if (list) list.push(s);
      else data.snapshots.set(s.sourceId, [s]);
    }
  }
  if (source && needs.includes('drCopies') && account.drRegion && account.drRegion !== region) {
    data.drSnapshots = await snapshotsIn(source, account, account.drRegion, inventory);
  }
  if (needs.includes('buckets')) data.buckets = await inventory.s3Buckets(account);
  for (const need of needs) {
    const loader = REGISTERED_NEEDS[need];
    if (loader) data.registered[need] = await loader(inventory, account, region, window, check.params);
  }
  return data;
}

/**
 * Copies in the DR region of this subject's snapshots. RDS copies keep the instance id; EBS copies do
 * not keep the volume id, so they are matched through the snapshot they were copied from.
 */
function copiesOf(subject: Resource, data: NeededData): Snapshot[] {
  if (!SNAPSHOT_SOURCES.has(subject.kind) || data.drSnapshots.length === 0) return [];
  const source = subject as BackupSource;
  const own = new Set((data.snapshots.get(source.id) ?? []).flatMap((s) => [s.id, s.arn]));
  return data.drSnapshots.filter((copy) => {
    const fromHere = copy.sourceRegion === source.region || (copy.sourceSnapshotArn ?? '').includes(`:${source.region}:`);
    if (!fromHere) return false;
    if (copy.sourceId === source.id) return true;
    const origin = copy.sourceSnapshotArn ?? '';
    return own.has(origin) || own.has(origin.split(/[:/]/).pop() ?? '');
  });
}
