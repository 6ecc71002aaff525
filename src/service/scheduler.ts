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
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../core/clock.js';
import { redact } from '../core/redact.js';
import type { RunRecord, RunStatus, Store } from '../store/types.js';
import { describeJob, nextRunAfter, type Job, type Schedule } from './schedules.js';
import { systemTimer, type Timer, type TimerHandle } from './timer.js';

export type JobTrigger = 'schedule' | 'catch-up';

export interface JobRun {
  id: string;
  trigger: JobTrigger;
  /** The cron tick this run is for; for a catch-up, when the window rule made it due. */
  scheduledFor: Date;
  /** Aborted when the service stops or the schedule's timeout passes: tear down and return. */
  signal: AbortSignal;
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
}

interface Slot {
  schedule: Schedule;
  nextCronAt: number;
  /** When the newest successful run started. */
  lastSuccessAt?: number;
  /** When the newest failed or errored run started. Aborted runs do not count: they were interrupted, not tried. */
  lastAttemptAt?: number;
  running?: Running;
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
    this.owner = options.owner ?? defaultOwner();
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
    await this.enqueueTick();
    return { recovered };
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
    this.ticking = this.ticking
      .then(() => this.tick())
      .catch((err: unknown) => this.log.error({ error: errorText(err) }, 'scheduler tick failed'));
    return this.ticking;
  }

  private windowAt(slot: Slot): number | undefined {
    const ensure = slot.schedule.ensure;
    if (!ensure || slot.running) return undefined;
    return windowDueAt(ensure.successWithinMs, slot);
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
        await this.begin(slot, 'schedule', scheduledFor, `cron ${schedule.cron} (${schedule.timeZone})`);
        continue;
      }
      const window = this.windowAt(slot);
      if (window !== undefined && window <= now) {
        const reason =
          slot.lastSuccessAt === undefined
            ? `catch-up: no successful run on record; the window is ${schedule.ensure?.successWithin}`
            : `catch-up: no successful run within ${schedule.ensure?.successWithin} (last started ${new Date(slot.lastSuccessAt).toISOString()})`;
        await this.begin(slot, 'catch-up', new Date(now), reason);
      }
    }
    this.arm();
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

  private async begin(slot: Slot, trigger: JobTrigger, scheduledFor: Date, reason: string): Promise<void> {
    const { schedule } = slot;
    const startedAt = this.options.clock.now();
    const id = randomUUID();
    const summary = { schedule: schedule.name, job: schedule.job.kind, trigger, scheduledFor: scheduledFor.toISOString(), owner: this.owner };
    try {
      await this.options.store.startRun({ id, kind: 'job', startedAt: startedAt.toISOString(), trigger: 'schedule', actor: 'scheduler', reason, summary });
    } catch (err) {
      // Counted as an attempt, so a window rule does not retry at once against a store that refuses writes.
      slot.lastAttemptAt = startedAt.getTime();
      this.log.error({ schedule: schedule.name, error: errorText(err) }, 'could not record a job run; the job was not started');
      return;
    }
    const run: Running = { id, trigger, scheduledFor, startedAt, controller: new AbortController(), summary, stopRequested: false, timedOut: false, finalized: false, done: Promise.resolve() };
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
      outcome = await this.options.runner(schedule, { id: run.id, trigger: run.trigger, scheduledFor: run.scheduledFor, signal: run.controller.signal });
    } catch (err) {
      error = errorText(err);
    } finally {
      if (run.timeout) this.timer.clear(run.timeout);
    }
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
      if (run.timedOut) extra['timedOutAfter'] = schedule.timeout;
      await this.close(slot, run, status, finishedAt, extra);
    }
    if (slot.running === run) slot.running = undefined;
    // A failure may leave a window rule due now.
    this.arm();
  }

  private async close(slot: Slot, run: Running, status: Exclude<RunStatus, 'running'>, finishedAt: Date, extra: Record<string, unknown>): Promise<void> {
    const { schedule } = slot;
    const durationMs = finishedAt.getTime() - run.startedAt.getTime();
    let record: RunRecord;
    try {
      record = await this.options.store.finishRun(run.id, status, finishedAt.toISOString(), { ...run.summary, durationMs, ...extra });
    } catch (err) {
      this.log.error({ schedule: schedule.name, run: run.id, error: errorText(err) }, 'could not record the end of a job run');
      return;
    }
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

function finalStatus(outcome: JobOutcome | undefined, run: Running): Exclude<RunStatus, 'running'> {
  if (outcome?.status === 'succeeded') return 'succeeded';
  // Interrupted by the shutdown: not a real attempt, so a window rule tries again after a restart.
  if (run.stopRequested) return 'aborted';
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
