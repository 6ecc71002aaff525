/**
 * Runs schedules on time. One wake-up timer for the earliest thing due; on each wake, every schedule
 * whose cron tick has come runs, unless its previous run is still going (the tick is skipped and
 * logged, never queued). Ticks missed while the process was down or asleep are not replayed: the next
 * tick is computed from now. A schedule with a window rule ("a successful run within 7 days") is also
 * due, whatever its cron says, once that long has passed since its last successful run started, or
 * at start when it never succeeded; the window gets one catch-up attempt per lapse, so a job that
 * keeps failing raises its failure and waits for the cron instead of running back to back.
 *
 * Every run is a store run of kind 'job': started before the job begins, finished with its outcome,
 * never left 'running' by a stop, and recovered as 'aborted' at the next start after a crash.
 *
 * With a Replica (several `vigil serve` processes on one database), each occurrence (schedule name and
 * scheduled instant) is claimed through the database before it runs, so exactly one replica runs it.
 * A catch-up's key is the instant its window lapsed, read from the shared run history, so replicas
 * starting together agree on it. A schedule never runs two occurrences at once across the replicas. At
 * every heartbeat each replica looks for occurrences whose holder stopped heartbeating (or gave them
 * back when it stopped): the oldest still current is taken over and run again, with the dead run closed
 * as aborted; one a newer occurrence has replaced is closed as superseded, as a single process would
 * not replay a missed tick either.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../core/clock.js';
import { redact } from '../core/redact.js';
import type { Lease } from '../store/cluster-types.js';
import type { RunRecord, RunStatus, Store } from '../store/types.js';
import { isLive, type Replica } from './cluster.js';
import { describeJob, nextRunAfter, type Job, type Schedule } from './schedules.js';
import { settle, systemTimer, type Timer, type TimerHandle } from './timer.js';

export type JobTrigger = 'schedule' | 'catch-up';

export interface JobRun {
  id: string;
  trigger: JobTrigger;
  /** The cron tick this run is for; for a catch-up, when the window rule made it due. */
  scheduledFor: Date;
  /** Aborted when the service stops or the schedule's timeout passes: tear down and return. */
  signal: AbortSignal;
  /** Set when this run takes over an occurrence whose replica stopped heartbeating in the middle of it. */
  takeover?: { previousOwner?: string; previousRunId?: string };
}

export interface JobOutcome {
  status: 'succeeded' | 'failed' | 'error';
  /** What the job produced (a check run id and counts, drill ids, a report path): stored with the run. */
  summary: Record<string, unknown>;
}

export type JobRunner = (schedule: Schedule, run: JobRun) => Promise<JobOutcome>;

/** The part of a pino logger the scheduler uses: a static message plus a metadata object. */
export interface SchedulerLog {
  info(meta: object, message: string): void;
  warn(meta: object, message: string): void;
  error(meta: object, message: string): void;
}

const silentLog: SchedulerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface SchedulerOptions {
  schedules: readonly Schedule[];
  store: Store;
  clock: Clock;
  runner: JobRunner;
  timer?: Timer;
  log?: SchedulerLog;
  /** Called with every finished run record, e.g. to raise a signal for one that failed or errored. */
  onFinished?: (run: RunRecord, schedule: Schedule) => void | Promise<void>;
  /** `pid@host` recorded with each run, so the next start can tell a crashed run from a live one. */
  owner?: string;
  processAlive?: (pid: number) => boolean;
  /** Several replicas on one database: claim each occurrence before running it (the run's owner is the replica's id). */
  replica?: Replica;
}

/** What a job is told when the service stops under it. */
export class ShutdownAbort extends Error {
  override name = 'AbortError';
}

interface Running {
  id: string;
  trigger: JobTrigger;
  scheduledFor: Date;
  startedAt: Date;
  controller: AbortController;
  /** What the run record was started with; the finished record adds to it. */
  summary: Record<string, unknown>;
  stopRequested: boolean;
  timedOut: boolean;
  timeout?: TimerHandle;
  /** The run record is closed (by the job's end or by stop's deadline); nothing writes it again. */
  finalized: boolean;
  done: Promise<void>;
  /** The occurrence's lease, with a replica. */
  leaseKey?: string;
  /** Why the lease was lost (taken over, or the database was gone past the timeout); the job was told to stop. */
  leaseLost?: string;
  takeover?: JobRun['takeover'];
  /** The job has returned; its run is being recorded. */
  closing?: boolean;
}

interface Slot {
  schedule: Schedule;
  nextCronAt: number;
  /** When the newest successful run started. */
  lastSuccessAt?: number;
  /** When the newest failed or errored run started. Aborted runs do not count: they were interrupted, not tried. */
  lastAttemptAt?: number;
  running?: Running;
  /** With a replica: the window rule is not looked at again before this (blocked by another replica's run, or no database). */
  deferUntil?: number;
  /** With a replica: the catch-up key another replica claimed; not tried again while the window lapse is the same. */
  lostCatchUp?: string;
}

/**
 * When the window rule makes a schedule due: `-Infinity` (now) when it never succeeded and was never
 * tried, the lapse of its last success otherwise; undefined once a catch-up was tried since the lapse.
 */
export function windowDueAt(successWithinMs: number, facts: { lastSuccessAt?: number; lastAttemptAt?: number }): number | undefined {
  const lapse = facts.lastSuccessAt === undefined ? -Infinity : facts.lastSuccessAt + successWithinMs;
  if (facts.lastAttemptAt !== undefined && facts.lastAttemptAt >= lapse) return undefined;
  return lapse;
}

interface RunFacts {
  lastRun?: RunRecord;
  lastSuccess?: RunRecord;
  lastAttempt?: RunRecord;
}

async function runFacts(store: Store, schedule: string): Promise<RunFacts> {
  const [lastRun] = await store.listRuns({ schedule, limit: 1 });
  const [lastSuccess] = await store.listRuns({ schedule, status: 'succeeded', limit: 1 });
  const [failed] = await store.listRuns({ schedule, status: 'failed', limit: 1 });
  const [errored] = await store.listRuns({ schedule, status: 'error', limit: 1 });
  const lastAttempt = failed && errored ? (failed.startedAt > errored.startedAt ? failed : errored) : (failed ?? errored);
  return { lastRun, lastSuccess, lastAttempt };
}

const time = (run: RunRecord | undefined) => (run ? Date.parse(run.startedAt) : undefined);

/** The lease key of one occurrence: a cron tick's instant, or the instant the window lapsed for a catch-up. */
export function occurrenceKey(schedule: string, trigger: JobTrigger, at: number): string {
  if (trigger === 'catch-up') return `schedule:${schedule}@catch-up:${Number.isFinite(at) ? new Date(at).toISOString() : 'never-succeeded'}`;
  return `schedule:${schedule}@${new Date(at).toISOString()}`;
}

export function defaultOwner(): string {
  return `${process.pid}@${hostname()}`;
}

function defaultProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function errorText(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err));
}

export class Scheduler {
  private readonly slots = new Map<string, Slot>();
  private readonly timer: Timer;
  private readonly log: SchedulerLog;
  private readonly owner: string;
  private wakeHandle: TimerHandle | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: SchedulerOptions) {
    this.timer = options.timer ?? systemTimer();
    this.log = options.log ?? silentLog;
    this.owner = options.replica?.id ?? options.owner ?? defaultOwner();
  }

  /**
   * Closes runs a crashed process left 'running', reads each schedule's history, starts what the window
   * rules make due now, and arms the timer. Resolves once those catch-up runs have started.
   */
  async start(): Promise<{ recovered: string[] }> {
    if (this.started) throw new Error('the scheduler was already started');
    this.started = true;
    const recovered = await this.recoverInterrupted();
    const now = this.options.clock.now();
    for (const schedule of this.options.schedules) {
      if (!schedule.enabled) continue;
      const facts = await runFacts(this.options.store, schedule.name);
      this.slots.set(schedule.name, {
        schedule,
        nextCronAt: nextRunAfter(schedule, now).getTime(),
        lastSuccessAt: time(facts.lastSuccess),
        lastAttemptAt: time(facts.lastAttempt),
      });
    }
    if (this.options.replica) {
      this.options.replica.onBeat(() => this.enqueue(() => this.clusterPass()));
      await this.enqueue(() => this.clusterPass());
    }
    await this.enqueueTick();
    return { recovered };
  }

  /**
   * Resolves once no tick is in progress and no finished job is still being recorded: what a test waits
   * for before it moves time on. Jobs still running are not waited for.
   */
  async idle(): Promise<void> {
    for (;;) {
      const ticking = this.ticking;
      await ticking;
      // A job that returns at once has its outcome in hand within a few turns.
      await settle(3);
      const closing = [...this.slots.values()].flatMap((slot) => (slot.running?.closing ? [slot.running.done] : []));
      await Promise.all(closing);
      if (ticking === this.ticking && closing.length === 0) return;
    }
  }

  /** What is planned and running, for the overview and the API. */
  snapshot(): Array<{ name: string; nextRunAt: Date; running?: { runId: string; trigger: JobTrigger; startedAt: Date } }> {
    return [...this.slots.values()].map((slot) => ({
      name: slot.schedule.name,
      nextRunAt: new Date(this.nextWake(slot, this.options.clock.now().getTime())),
      running: slot.running ? { runId: slot.running.id, trigger: slot.running.trigger, startedAt: slot.running.startedAt } : undefined,
    }));
  }

  /**
   * Takes no new work, aborts running jobs' signals and waits for them up to `deadlineMs`; a job still
   * going then has its run closed as 'aborted' so no record stays 'running'.
   */
  stop(options: { deadlineMs?: number } = {}): Promise<void> {
    this.stopping ??= this.shutdown(options.deadlineMs ?? 30_000);
    return this.stopping;
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    if (this.wakeHandle) this.timer.clear(this.wakeHandle);
    this.wakeHandle = undefined;
    // A tick in progress finishes recording what it started, so every run is either begun or not.
    await this.ticking;
    const running = [...this.slots.values()].flatMap((slot) => (slot.running ? [{ slot, run: slot.running }] : []));
    for (const { run } of running) {
      run.stopRequested = true;
      run.controller.abort(new ShutdownAbort('the service is stopping'));
    }
    if (running.length === 0) return;
    this.log.info({ runs: running.map(({ slot, run }) => ({ schedule: slot.schedule.name, run: run.id })), deadlineMs }, 'waiting for running jobs to stop');
    let deadline: TimerHandle | undefined;
    await Promise.race([
      Promise.all(running.map(({ run }) => run.done)),
      new Promise<void>((resolve) => {
        deadline = this.timer.set(resolve, deadlineMs);
      }),
    ]);
    if (deadline) this.timer.clear(deadline);
    for (const { slot, run } of running) {
      if (run.finalized) continue;
      run.finalized = true;
      // A pending timeout timer would keep the process alive for a job nobody waits for any more.
      if (run.timeout) this.timer.clear(run.timeout);
      const finishedAt = this.options.clock.now();
      this.log.warn({ schedule: slot.schedule.name, run: run.id, deadlineMs }, 'job did not stop before the shutdown deadline; its run is recorded aborted');
      await this.close(slot, run, 'aborted', finishedAt, { abortedBy: 'shutdown', error: `the job did not stop within ${deadlineMs} ms of the shutdown` });
    }
  }

  private async recoverInterrupted(): Promise<string[]> {
    const { store, clock } = this.options;
    const processAlive = this.options.processAlive ?? defaultProcessAlive;
    const recovered: string[] = [];
    for (const run of await store.listRuns({ kind: 'job', status: 'running', limit: 1000 })) {
      const owner = typeof run.summary['owner'] === 'string' ? run.summary['owner'] : undefined;
      const [pid, host] = owner?.split('@') ?? [];
      // Our own pid@host on a run we did not start is an earlier process (a container's pid repeats).
      const gone = owner === this.owner || (host === hostname() && pid !== undefined && !processAlive(Number(pid)));
      if (!gone) continue;
      await store.finishRun(run.id, 'aborted', clock.now().toISOString(), { ...run.summary, abortedBy: 'recovery', error: `the process ${owner} ended without finishing this run` });
      this.log.warn({ run: run.id, schedule: run.summary['schedule'], owner }, 'a job run interrupted by a crash is recorded aborted');
      recovered.push(run.id);
    }
    return recovered;
  }

  private enqueueTick(): Promise<void> {
    return this.enqueue(() => this.tick());
  }

  /** Ticks and cluster passes run one at a time, in order. */
  private enqueue(work: () => Promise<void>): Promise<void> {
    this.ticking = this.ticking.then(work).catch((err: unknown) => this.log.error({ error: errorText(err) }, 'scheduler tick failed'));
    return this.ticking;
  }

  private windowAt(slot: Slot): number | undefined {
    const ensure = slot.schedule.ensure;
    if (!ensure || slot.running) return undefined;
    const due = windowDueAt(ensure.successWithinMs, slot);
    if (due === undefined || !this.options.replica) return due;
    if (slot.lostCatchUp === occurrenceKey(slot.schedule.name, 'catch-up', due)) return undefined;
    return Math.max(due, slot.deferUntil ?? -Infinity);
  }

  private nextWake(slot: Slot, now: number): number {
    const window = this.windowAt(slot);
    return Math.max(now, Math.min(slot.nextCronAt, window ?? Infinity));
  }

  private async tick(): Promise<void> {
    if (this.stopping) return;
    const now = this.options.clock.now().getTime();
    for (const slot of this.slots.values()) {
      if (this.stopping) return;
      const { schedule } = slot;
      if (slot.nextCronAt <= now) {
        const scheduledFor = new Date(slot.nextCronAt);
        // Ticks missed while the process was down or asleep are not replayed: the next is computed from now.
        slot.nextCronAt = nextRunAfter(schedule, new Date(now)).getTime();
        if (slot.running) {
          this.log.warn(
            { schedule: schedule.name, scheduledFor: scheduledFor.toISOString(), running: slot.running.id, runningSince: slot.running.startedAt.toISOString() },
            'schedule tick skipped: the previous run is still going',
          );
          continue;
        }
        const reason = `cron ${schedule.cron} (${schedule.timeZone})`;
        if (this.options.replica) await this.claimOccurrence(slot, { trigger: 'schedule', scheduledFor, at: scheduledFor.getTime(), reason });
        else await this.begin(slot, 'schedule', scheduledFor, reason);
        continue;
      }
      const window = this.windowAt(slot);
      if (window !== undefined && window <= now) {
        if (this.options.replica) {
          await this.catchUpAcrossReplicas(slot, now);
          continue;
        }
        await this.begin(slot, 'catch-up', new Date(now), catchUpReason(slot));
      }
    }
    this.arm();
  }

  /**
   * The window rule with replicas: the facts are read again from the shared history (another replica
   * may have run the job since), and the catch-up is claimed under the instant the window lapsed.
   */
  private async catchUpAcrossReplicas(slot: Slot, now: number): Promise<void> {
    const replica = this.options.replica as Replica;
    const ensure = slot.schedule.ensure;
    if (!ensure) return;
    const facts = await replica.read(() => runFacts(this.options.store, slot.schedule.name));
    if (!facts) {
      slot.deferUntil = now + replica.settings.heartbeatIntervalMs;
      return;
    }
    slot.lastSuccessAt = time(facts.lastSuccess);
    slot.lastAttemptAt = time(facts.lastAttempt);
    const lapse = windowDueAt(ensure.successWithinMs, slot);
    if (lapse === undefined || lapse > now) return;
    // An occurrence a dead replica left unfinished is the run the window waits for: take it over first.
    const held = await replica.read((cluster) => cluster.listLeases({ kind: 'schedule', subject: slot.schedule.name, status: 'held' }));
    const open = await replica.read((cluster) => cluster.listLeases({ kind: 'schedule', subject: slot.schedule.name, status: 'open' }));
    if (!held || !open) return;
    for (const orphan of orphansOf(held, open, new Date(now))) {
      await this.settleOrphan(slot, orphan, new Date(now));
      if (slot.running) return;
    }
    await this.claimOccurrence(slot, { trigger: 'catch-up', scheduledFor: new Date(now), at: lapse, reason: catchUpReason(slot) });
  }

  /**
   * Claims one occurrence and runs it when this replica wins. A schedule whose previous occurrence still
   * runs on a live replica skips the tick, as one process would.
   */
  private async claimOccurrence(slot: Slot, occurrence: { trigger: JobTrigger; scheduledFor: Date; at: number; reason: string }): Promise<void> {
    const replica = this.options.replica as Replica;
    const { schedule } = slot;
    const now = this.options.clock.now();
    const key = occurrenceKey(schedule.name, occurrence.trigger, occurrence.at);
    const meta = { schedule: schedule.name, occurrence: key, replica: replica.id };
    if (!replica.canClaim()) {
      slot.deferUntil = now.getTime() + replica.settings.heartbeatIntervalMs;
      this.log.warn(meta, 'occurrence not claimed: this replica cannot claim work now (the database cannot be reached, or it is stopping)');
      return;
    }
    const held = await replica.read((cluster) => cluster.listLeases({ kind: 'schedule', subject: schedule.name, status: 'held' }));
    const running = held?.find((l) => l.key !== key && isLive(l, now));
    if (!held || running) {
      slot.deferUntil = now.getTime() + replica.settings.heartbeatIntervalMs;
      if (running) this.log.warn({ ...meta, running: running.key, runningOn: running.owner }, 'schedule tick skipped: the previous run is still going on another replica');
      return;
    }
    const id = randomUUID();
    const lost = lostRelay();
    const claim = await replica.claim(
      { key, kind: 'schedule', subject: schedule.name, dueAt: occurrence.scheduledFor.toISOString(), detail: { runId: id, trigger: occurrence.trigger, scheduledFor: occurrence.scheduledFor.toISOString() } },
      lost.fire,
    );
    if (!claim) {
      slot.deferUntil = now.getTime() + replica.settings.heartbeatIntervalMs;
      return;
    }
    if (!claim.claimed) {
      if (occurrence.trigger === 'catch-up') slot.lostCatchUp = key;
      return;
    }
    slot.deferUntil = undefined;
    const takeover = claim.previous ? await this.closePrevious(claim.previous, 'taken over') : undefined;
    await this.begin(slot, occurrence.trigger, occurrence.scheduledFor, takeover ? `${takeoverReason(claim.previous as Lease)}; ${occurrence.reason}` : occurrence.reason, {
      id,
      leaseKey: key,
      takeover,
      bindLost: lost.bind,
    });
  }

  /**
   * At every heartbeat: refreshes the window facts of catch-ups another replica ran, and takes over occurrences
   * whose replica died (or gave them back when it stopped). An occurrence a newer one has replaced is
   * closed as superseded instead: the newer occurrence does the job.
   */
  private async clusterPass(): Promise<void> {
    const replica = this.options.replica as Replica;
    if (this.stopping || !replica.canClaim()) return;
    const now = this.options.clock.now();
    // A catch-up another replica claimed is not tried here while its lapse is the same: the shared
    // history says when that run has moved the window on (or failed, which ends the catch-up).
    for (const slot of this.slots.values()) {
      if (!slot.schedule.ensure || slot.running || slot.lostCatchUp === undefined) continue;
      const facts = await replica.read(() => runFacts(this.options.store, slot.schedule.name));
      if (!facts) return;
      slot.lastSuccessAt = time(facts.lastSuccess);
      slot.lastAttemptAt = time(facts.lastAttempt);
      const due = windowDueAt(slot.schedule.ensure.successWithinMs, slot);
      if (due === undefined || occurrenceKey(slot.schedule.name, 'catch-up', due) !== slot.lostCatchUp) slot.lostCatchUp = undefined;
    }
    const held = await replica.read((cluster) => cluster.listLeases({ kind: 'schedule', status: 'held' }));
    const open = await replica.read((cluster) => cluster.listLeases({ kind: 'schedule', status: 'open' }));
    if (!held || !open) return;
    for (const lease of orphansOf(held, open, now)) {
      if (this.stopping) return;
      const slot = this.slots.get(lease.subject);
      if (!slot || slot.running) continue;
      await this.settleOrphan(slot, lease, now);
    }
    this.arm();
  }

  /**
   * An occurrence nobody runs any more: superseded when a newer occurrence of its schedule exists,
   * taken over otherwise; left alone while another occurrence of the schedule runs on a live replica.
   */
  private async settleOrphan(slot: Slot, lease: Lease, now: Date): Promise<void> {
    const replica = this.options.replica as Replica;
    const family = await replica.read((cluster) => cluster.listLeases({ kind: 'schedule', subject: lease.subject, dueFrom: lease.dueAt, order: 'newest-due', limit: 50 }));
    if (!family || family.some((l) => l.key !== lease.key && isLive(l, now))) return;
    const newer = family.find((l) => l.key !== lease.key && l.dueAt > lease.dueAt);
    if (newer) await this.supersede(lease, newer);
    else await this.takeOver(slot, lease);
  }

  private async takeOver(slot: Slot, lease: Lease): Promise<void> {
    const trigger: JobTrigger = lease.detail['trigger'] === 'catch-up' ? 'catch-up' : 'schedule';
    const scheduledFor = new Date(typeof lease.detail['scheduledFor'] === 'string' ? lease.detail['scheduledFor'] : lease.dueAt);
    const at = trigger === 'catch-up' ? catchUpInstant(lease.key) : scheduledFor.getTime();
    this.log.warn({ schedule: lease.subject, occurrence: lease.key, from: lease.owner, expiredAt: lease.expiresAt, outcome: lease.outcome }, 'taking over an occurrence whose replica stopped');
    await this.claimOccurrence(slot, { trigger, scheduledFor, at, reason: trigger === 'catch-up' ? catchUpReason(slot) : `cron ${slot.schedule.cron} (${slot.schedule.timeZone})` });
  }

  private async supersede(lease: Lease, newer: Lease): Promise<void> {
    const replica = this.options.replica as Replica;
    const claim = await replica.claim({ key: lease.key, kind: lease.kind, subject: lease.subject, dueAt: lease.dueAt }, () => undefined);
    if (!claim?.claimed) return;
    await this.closePrevious(claim.previous ?? lease, `superseded by ${newer.key}`);
    await replica.release(lease.key, { outcome: 'superseded', detail: { supersededBy: newer.key } });
    this.log.warn({ schedule: lease.subject, occurrence: lease.key, from: lease.owner, supersededBy: newer.key }, 'an occurrence left by a stopped replica is superseded by a newer one');
  }

  /** Closes the run a dead replica left 'running' under a lease this replica now holds. */
  private async closePrevious(previous: Lease, what: string): Promise<JobRun['takeover']> {
    const previousRunId = typeof previous.detail['runId'] === 'string' ? previous.detail['runId'] : undefined;
    const takeover = { ...(previous.owner ? { previousOwner: previous.owner } : {}), ...(previousRunId ? { previousRunId } : {}) };
    if (!previousRunId) return takeover;
    const { store, clock } = this.options;
    const run = await store.getRun(previousRunId).catch(() => undefined);
    if (run?.status !== 'running') return takeover;
    const why = previous.status === 'held' ? `replica ${previous.owner ?? '?'} stopped heartbeating (its lease expired ${previous.expiresAt ?? '?'})` : `replica ${previous.owner ?? '?'} gave the occurrence back`;
    try {
      await store.finishRun(run.id, 'aborted', clock.now().toISOString(), { ...run.summary, abortedBy: 'takeover', error: `${why}; ${what} by ${this.owner}` });
      this.log.warn({ run: run.id, schedule: run.summary['schedule'], owner: previous.owner }, 'a job run left by a stopped replica is recorded aborted');
    } catch (err) {
      this.log.warn({ run: run.id, error: errorText(err) }, 'could not close the run a stopped replica left');
    }
    return takeover;
  }

  private arm(): void {
    if (this.stopping) return;
    if (this.wakeHandle) this.timer.clear(this.wakeHandle);
    this.wakeHandle = undefined;
    const now = this.options.clock.now().getTime();
    let at = Infinity;
    for (const slot of this.slots.values()) at = Math.min(at, this.nextWake(slot, now));
    if (!Number.isFinite(at)) return;
    if (at <= now) {
      void this.enqueueTick();
      return;
    }
    this.wakeHandle = this.timer.set(() => {
      this.wakeHandle = undefined;
      void this.enqueueTick();
    }, at - now);
  }

  private async begin(
    slot: Slot,
    trigger: JobTrigger,
    scheduledFor: Date,
    reason: string,
    lease?: { id: string; leaseKey: string; takeover?: JobRun['takeover']; bindLost: (onLost: (reason: string) => void) => void },
  ): Promise<void> {
    const { schedule } = slot;
    const startedAt = this.options.clock.now();
    const id = lease?.id ?? randomUUID();
    const summary: Record<string, unknown> = { schedule: schedule.name, job: schedule.job.kind, trigger, scheduledFor: scheduledFor.toISOString(), owner: this.owner };
    if (lease) summary['occurrence'] = lease.leaseKey;
    if (lease?.takeover?.previousRunId || lease?.takeover?.previousOwner) summary['takeoverOf'] = lease.takeover;
    try {
      await this.options.store.startRun({ id, kind: 'job', startedAt: startedAt.toISOString(), trigger: 'schedule', actor: 'scheduler', reason, summary });
    } catch (err) {
      // Counted as an attempt, so a window rule does not retry at once against a store that refuses writes.
      slot.lastAttemptAt = startedAt.getTime();
      this.log.error({ schedule: schedule.name, error: errorText(err) }, 'could not record a job run; the job was not started');
      // Given back, so another replica can run it.
      if (lease) await this.options.replica?.release(lease.leaseKey, { outcome: 'abandoned', reopen: true, detail: { error: errorText(err) } });
      return;
    }
    const run: Running = { id, trigger, scheduledFor, startedAt, controller: new AbortController(), summary, stopRequested: false, timedOut: false, finalized: false, done: Promise.resolve() };
    if (lease) {
      run.leaseKey = lease.leaseKey;
      run.takeover = lease.takeover;
      lease.bindLost((why) => {
        run.leaseLost = why;
        this.log.warn({ schedule: schedule.name, run: id, reason: why }, 'this replica lost the lease of a running job; the job is told to stop');
        run.controller.abort(new Error(`this replica lost its claim on the job: ${why}`));
      });
    }
    slot.running = run;
    this.log.info({ schedule: schedule.name, run: id, trigger, scheduledFor: summary.scheduledFor, job: describeJob(schedule.job) }, 'job started');
    run.done = this.execute(slot, run);
  }

  private async execute(slot: Slot, run: Running): Promise<void> {
    const { schedule } = slot;
    if (schedule.timeoutMs !== undefined) {
      run.timeout = this.timer.set(() => {
        run.timedOut = true;
        run.controller.abort(new Error(`the job ran longer than its timeout of ${schedule.timeout}`));
      }, schedule.timeoutMs);
    }
    let outcome: JobOutcome | undefined;
    let error: string | undefined;
    try {
      // Called once begin() has registered the run, so a runner's synchronous start cannot delay the tick.
      await Promise.resolve();
      outcome = await this.options.runner(schedule, { id: run.id, trigger: run.trigger, scheduledFor: run.scheduledFor, signal: run.controller.signal, ...(run.takeover ? { takeover: run.takeover } : {}) });
    } catch (err) {
      error = errorText(err);
    } finally {
      if (run.timeout) this.timer.clear(run.timeout);
    }
    run.closing = true;
    const finishedAt = this.options.clock.now();
    const status = finalStatus(outcome, run);
    if (status === 'succeeded') slot.lastSuccessAt = run.startedAt.getTime();
    else if (status === 'failed' || status === 'error') slot.lastAttemptAt = run.startedAt.getTime();
    if (run.finalized) {
      this.log.warn({ schedule: schedule.name, run: run.id, status }, 'job ended after the shutdown deadline had recorded it aborted');
    } else {
      run.finalized = true;
      const extra: Record<string, unknown> = { result: outcome?.summary };
      if (error !== undefined) extra['error'] = error;
      if (run.stopRequested && status === 'aborted') extra['abortedBy'] = 'shutdown';
      if (run.leaseLost !== undefined && status === 'aborted') Object.assign(extra, { abortedBy: 'lease-lost', error: run.leaseLost });
      if (run.timedOut) extra['timedOutAfter'] = schedule.timeout;
      await this.close(slot, run, status, finishedAt, extra);
    }
    if (slot.running === run) slot.running = undefined;
    // A failure may leave a window rule due now.
    this.arm();
  }

  /**
   * The occurrence is done once its run has an outcome; a run the shutdown interrupted is given back, so
   * another replica takes it over. A lost lease is not ours to release.
   */
  private async releaseLease(run: Running, status: Exclude<RunStatus, 'running'>): Promise<void> {
    const replica = this.options.replica;
    if (!replica || run.leaseKey === undefined) return;
    if (run.leaseLost !== undefined) {
      replica.forget(run.leaseKey);
      return;
    }
    const giveBack = status === 'aborted';
    await replica.release(run.leaseKey, { outcome: giveBack ? 'abandoned' : 'completed', reopen: giveBack, detail: { runId: run.id, status } });
  }

  private async close(slot: Slot, run: Running, status: Exclude<RunStatus, 'running'>, finishedAt: Date, extra: Record<string, unknown>): Promise<void> {
    const { schedule } = slot;
    const durationMs = finishedAt.getTime() - run.startedAt.getTime();
    let record: RunRecord;
    try {
      record = await this.options.store.finishRun(run.id, status, finishedAt.toISOString(), { ...run.summary, durationMs, ...extra });
    } catch (err) {
      this.log.error({ schedule: schedule.name, run: run.id, error: errorText(err) }, 'could not record the end of a job run');
      await this.releaseLease(run, status);
      return;
    }
    await this.releaseLease(run, status);
    const meta = { schedule: schedule.name, run: run.id, status, durationMs };
    if (status === 'succeeded') this.log.info(meta, 'job finished');
    else this.log.warn({ ...meta, error: extra['error'] }, 'job did not succeed');
    try {
      await this.options.onFinished?.(record, schedule);
    } catch (err) {
      this.log.error({ schedule: schedule.name, run: run.id, error: errorText(err) }, 'onFinished hook failed');
    }
  }
}

/** Occurrences whose holder died (held past expiry) or gave them back (open), oldest first. */
function orphansOf(held: Lease[], open: Lease[], now: Date): Lease[] {
  return [...held.filter((l) => !isLive(l, now)), ...open].sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.key.localeCompare(b.key));
}

/** A lease can be lost between its claim and the start of its run: the run hears of it either way. */
function lostRelay(): { fire: (reason: string) => void; bind: (handler: (reason: string) => void) => void } {
  let lost: string | undefined;
  let handler: ((reason: string) => void) | undefined;
  return {
    fire: (reason) => {
      lost = reason;
      handler?.(reason);
    },
    bind: (h) => {
      handler = h;
      if (lost !== undefined) h(lost);
    },
  };
}

function catchUpReason(slot: Slot): string {
  const { schedule } = slot;
  return slot.lastSuccessAt === undefined
    ? `catch-up: no successful run on record; the window is ${schedule.ensure?.successWithin}`
    : `catch-up: no successful run within ${schedule.ensure?.successWithin} (last started ${new Date(slot.lastSuccessAt).toISOString()})`;
}

/** The lapse instant a catch-up key names (-Infinity: never succeeded). */
function catchUpInstant(key: string): number {
  const at = Date.parse(key.slice(key.indexOf('@catch-up:') + '@catch-up:'.length));
  return Number.isNaN(at) ? -Infinity : at;
}

function takeoverReason(previous: Lease): string {
  return previous.status === 'held'
    ? `takeover: replica ${previous.owner ?? '?'} stopped heartbeating while running this occurrence`
    : `takeover: replica ${previous.owner ?? '?'} gave this occurrence back unfinished`;
}

function finalStatus(outcome: JobOutcome | undefined, run: Running): Exclude<RunStatus, 'running'> {
  if (outcome?.status === 'succeeded') return 'succeeded';
  // Interrupted by the shutdown, or the claim was lost: not a real attempt, so a window rule tries again.
  if (run.stopRequested || run.leaseLost !== undefined) return 'aborted';
  if (run.timedOut || !outcome) return 'error';
  return outcome.status === 'failed' ? 'failed' : 'error';
}

/** A schedule as `vigil schedule list`, the API and the overview show it, from the store. */
export interface ScheduleStatus {
  name: string;
  description: string;
  job: Job;
  jobText: string;
  cron: string;
  timeZone: string;
  enabled: boolean;
  /** The next cron tick; absent when the schedule is disabled. */
  nextRunAt?: string;
  window?: {
    successWithin: string;
    lastSuccessAt?: string;
    /** When the window rule makes the job due; absent once a catch-up was tried since the lapse. */
    dueAt?: string;
    dueNow: boolean;
  };
  lastRun?: { id: string; trigger: JobTrigger; startedAt: string; finishedAt?: string; status: RunStatus };
  file: string;
}

export async function scheduleStatuses(schedules: readonly Schedule[], store: Store, now: Date): Promise<ScheduleStatus[]> {
  const out: ScheduleStatus[] = [];
  for (const schedule of schedules) {
    const facts = await runFacts(store, schedule.name);
    const status: ScheduleStatus = {
      name: schedule.name,
      description: schedule.description,
      job: schedule.job,
      jobText: describeJob(schedule.job),
      cron: schedule.cron,
      timeZone: schedule.timeZone,
      enabled: schedule.enabled,
      nextRunAt: schedule.enabled ? nextRunAfter(schedule, now).toISOString() : undefined,
      file: schedule.file,
    };
    if (schedule.ensure) {
      const dueAt = windowDueAt(schedule.ensure.successWithinMs, { lastSuccessAt: time(facts.lastSuccess), lastAttemptAt: time(facts.lastAttempt) });
      status.window = {
        successWithin: schedule.ensure.successWithin,
        lastSuccessAt: facts.lastSuccess?.startedAt,
        dueAt: dueAt === undefined ? undefined : new Date(Math.max(dueAt, now.getTime())).toISOString(),
        dueNow: schedule.enabled && dueAt !== undefined && dueAt <= now.getTime(),
      };
    }
    if (facts.lastRun) {
      const trigger = facts.lastRun.summary['trigger'] === 'catch-up' ? 'catch-up' : 'schedule';
      status.lastRun = { id: facts.lastRun.id, trigger, startedAt: facts.lastRun.startedAt, finishedAt: facts.lastRun.finishedAt, status: facts.lastRun.status };
    }
    out.push(status);
  }
  return out;
}
