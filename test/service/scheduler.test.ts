import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, ManualClock, MINUTE_MS } from '../../src/core/clock.js';
import { Scheduler, scheduleStatuses, windowDueAt, type JobOutcome, type JobRun, type JobRunner, type SchedulerLog } from '../../src/service/scheduler.js';
import type { Job, Schedule } from '../../src/service/schedules.js';
import { ManualTimer, settle } from '../../src/service/timer.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { RunRecord } from '../../src/store/types.js';

const OWNER = `4242@${hostname()}`;

function schedule(name: string, cron: string, overrides: Partial<Schedule> = {}): Schedule {
  const job: Job = overrides.job ?? { kind: 'drills', due: true };
  return { name, description: `${name} for a test`, cron, timeZone: 'UTC', job, enabled: true, file: `schedules/${name}.yaml`, ...overrides };
}

const weeklyDrills = schedule('restore-drills-weekly', '0 5 * * 0', { ensure: { successWithin: '7d', successWithinMs: 7 * DAY_MS } });
const dailyChecks = schedule('backup-checks-daily', '30 4 * * *', { job: { kind: 'checks', checks: ['rds-*'], checkIds: ['rds-backup-retention'] } });
const everyMinute = schedule('incidents-every-minute', '* * * * *', { job: { kind: 'incidents' } });

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
}

interface Call {
  schedule: string;
  trigger: JobRun['trigger'];
  scheduledFor: string;
  at: string;
}

let store: SqliteStore;
let clock: ManualClock;
let timer: ManualTimer;
let calls: Call[];
let finished: RunRecord[];
let logs: Array<{ level: string; message: string; meta: Record<string, unknown> }>;
let schedulers: Scheduler[];

const log: SchedulerLog = {
  info: (meta, message) => logs.push({ level: 'info', message, meta: meta as Record<string, unknown> }),
  warn: (meta, message) => logs.push({ level: 'warn', message, meta: meta as Record<string, unknown> }),
  error: (meta, message) => logs.push({ level: 'error', message, meta: meta as Record<string, unknown> }),
};

/** A runner that records each call and answers with `outcome` (or what the function returns). */
function recording(outcome: JobOutcome | ((schedule: Schedule, run: JobRun) => Promise<JobOutcome>) = { status: 'succeeded', summary: { ok: true } }): JobRunner {
  return async (s, run) => {
    calls.push({ schedule: s.name, trigger: run.trigger, scheduledFor: run.scheduledFor.toISOString(), at: clock.now().toISOString() });
    return typeof outcome === 'function' ? outcome(s, run) : outcome;
  };
}

function scheduler(schedules: Schedule[], runner: JobRunner): Scheduler {
  const s = new Scheduler({ schedules, store, clock, timer, runner, log, owner: OWNER, onFinished: (run) => void finished.push(run), processAlive: () => false });
  schedulers.push(s);
  return s;
}

async function jobRuns(name?: string): Promise<RunRecord[]> {
  return (await store.listRuns({ kind: 'job', limit: 1000, ...(name ? { schedule: name } : {}) })).reverse();
}

/** A finished job run as an earlier process would have left it. */
async function pastRun(name: string, startedAt: string, status: 'succeeded' | 'failed' | 'aborted', trigger: 'schedule' | 'catch-up' = 'schedule'): Promise<void> {
  const id = `${name}-${startedAt}`;
  await store.startRun({ id, kind: 'job', startedAt, trigger: 'schedule', actor: 'scheduler', summary: { schedule: name, job: 'drills', trigger, scheduledFor: startedAt, owner: '1@elsewhere' } });
  await store.finishRun(id, status, new Date(Date.parse(startedAt) + 30 * MINUTE_MS).toISOString(), { schedule: name, job: 'drills', trigger, scheduledFor: startedAt });
}

beforeEach(() => {
  store = SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-scheduler-')));
  calls = [];
  finished = [];
  logs = [];
  schedulers = [];
});

afterEach(async () => {
  for (const s of schedulers) await s.stop({ deadlineMs: 0 }).catch(() => undefined);
  await store.close();
});

function at(iso: string): void {
  clock = new ManualClock(iso);
  timer = new ManualTimer(clock);
}

describe('running on time', () => {
  it('runs a job at its cron tick and records start, end, outcome and what it produced', async () => {
    at('2026-11-24T04:00:00.000Z');
    const s = scheduler([dailyChecks], recording(async () => {
      clock.advance(90_000);
      return { status: 'succeeded', summary: { checkRun: 'run-7', counts: { pass: 12, fail: 0 } } };
    }));

    await s.start();
    await timer.advanceTo('2026-11-24T05:00:00.000Z');

    const [run] = await jobRuns();
    expect(calls).toEqual([{ schedule: 'backup-checks-daily', trigger: 'schedule', scheduledFor: '2026-11-24T04:30:00.000Z', at: '2026-11-24T04:30:00.000Z' }]);
    expect(run).toEqual({
      id: expect.any(String),
      kind: 'job',
      startedAt: '2026-11-24T04:30:00.000Z',
      finishedAt: '2026-11-24T04:31:30.000Z',
      status: 'succeeded',
      trigger: 'schedule',
      actor: 'scheduler',
      reason: 'cron 30 4 * * * (UTC)',
      summary: {
        schedule: 'backup-checks-daily',
        job: 'checks',
        trigger: 'schedule',
        scheduledFor: '2026-11-24T04:30:00.000Z',
        owner: OWNER,
        durationMs: 90_000,
        result: { checkRun: 'run-7', counts: { pass: 12, fail: 0 } },
      },
    });
  });

  it('follows the schedule\'s zone across a spring-forward night', async () => {
    at('2026-03-07T00:00:00.000Z');
    const s = scheduler([schedule('nightly', '30 2 * * *', { timeZone: 'America/New_York', job: { kind: 'probes' } })], recording());

    await s.start();
    await timer.advanceTo('2026-03-10T00:00:00.000Z');

    expect(calls.map((c) => c.at)).toEqual(['2026-03-07T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']);
  });

  it('never runs a disabled schedule', async () => {
    at('2026-11-24T00:00:00.000Z');
    const s = scheduler([{ ...everyMinute, enabled: false }, { ...weeklyDrills, enabled: false }], recording());

    await s.start();
    await timer.advance(10 * MINUTE_MS);

    expect(calls).toEqual([]);
    expect(timer.size).toBe(0);
  });
});

describe('no overlap', () => {
  it('skips and logs a tick while the previous run is still going, and runs again once it ended', async () => {
    at('2026-11-24T12:00:30.000Z');
    const first = deferred<JobOutcome>();
    let n = 0;
    const s = scheduler([everyMinute], recording(() => (++n === 1 ? first.promise : Promise.resolve({ status: 'succeeded', summary: {} }))));

    await s.start();
    await timer.advanceTo('2026-11-24T12:03:30.000Z');
    const duringLongRun = calls.length;
    first.resolve({ status: 'succeeded', summary: {} });
    await settle();
    await timer.advanceTo('2026-11-24T12:04:30.000Z');

    expect(duringLongRun).toBe(1);
    expect(logs.filter((l) => l.message === 'schedule tick skipped: the previous run is still going').map((l) => l.meta['scheduledFor'])).toEqual(['2026-11-24T12:02:00.000Z', '2026-11-24T12:03:00.000Z']);
    expect(calls.map((c) => c.scheduledFor)).toEqual(['2026-11-24T12:01:00.000Z', '2026-11-24T12:04:00.000Z']);
    expect((await jobRuns()).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  });
});

describe('the window rule and catch-up', () => {
  it('makes a never-run drill schedule due at start', async () => {
    at('2026-11-25T10:00:00.000Z');
    const s = scheduler([weeklyDrills, dailyChecks], recording());

    await s.start();
    await settle();

    const runs = await jobRuns();
    expect(calls).toEqual([{ schedule: 'restore-drills-weekly', trigger: 'catch-up', scheduledFor: '2026-11-25T10:00:00.000Z', at: '2026-11-25T10:00:00.000Z' }]);
    expect(runs.map((r) => [r.reason, r.summary['trigger'], r.status])).toEqual([['catch-up: no successful run on record; the window is 7d', 'catch-up', 'succeeded']]);
  });

  it('catches up once after a week of downtime, then keeps to the cron', async () => {
    await pastRun('restore-drills-weekly', '2026-11-08T05:00:00.000Z', 'succeeded');
    await pastRun('backup-checks-daily', '2026-11-16T04:30:00.000Z', 'succeeded');
    at('2026-11-25T10:00:00.000Z');
    const s = scheduler([weeklyDrills, dailyChecks], recording());

    await s.start();
    await timer.advanceTo('2026-11-29T06:00:00.000Z');

    expect(calls.filter((c) => c.schedule === 'restore-drills-weekly').map((c) => [c.trigger, c.at])).toEqual([
      ['catch-up', '2026-11-25T10:00:00.000Z'],
      ['schedule', '2026-11-29T05:00:00.000Z'],
    ]);
    expect(calls.filter((c) => c.schedule === 'backup-checks-daily').map((c) => c.at)).toEqual([
      '2026-11-26T04:30:00.000Z',
      '2026-11-27T04:30:00.000Z',
      '2026-11-28T04:30:00.000Z',
      '2026-11-29T04:30:00.000Z',
    ]);
  });

  it('does not run the catch-up again after a restart', async () => {
    await pastRun('restore-drills-weekly', '2026-11-08T05:00:00.000Z', 'succeeded');
    at('2026-11-25T10:00:00.000Z');
    const first = scheduler([weeklyDrills], recording());
    await first.start();
    await settle();
    await first.stop();
    clock.advance(HOUR_MS);
    const second = scheduler([weeklyDrills], recording());

    await second.start();
    await settle();

    expect(calls.map((c) => [c.trigger, c.at])).toEqual([['catch-up', '2026-11-25T10:00:00.000Z']]);
  });

  it('runs a catch-up on the tick where the window lapses between cron runs', async () => {
    await pastRun('restore-drills-weekly', '2026-11-21T10:00:00.000Z', 'succeeded', 'catch-up');
    at('2026-11-25T10:00:00.000Z');
    const s = scheduler([weeklyDrills], recording());

    await s.start();
    await timer.advanceTo('2026-11-28T12:00:00.000Z');

    expect(calls.map((c) => [c.trigger, c.at])).toEqual([['catch-up', '2026-11-28T10:00:00.000Z']]);
  });

  it('tries a failing catch-up once per lapse, raising it, and leaves the rest to the cron, across restarts', async () => {
    at('2026-11-25T10:00:00.000Z');
    const failing = recording({ status: 'failed', summary: { drills: [{ target: 'lms-prod', status: 'failed' }] } });
    const first = scheduler([weeklyDrills], failing);
    await first.start();
    await timer.advanceTo('2026-11-26T10:00:00.000Z');
    await first.stop();
    const second = scheduler([weeklyDrills], failing);

    await second.start();
    await timer.advanceTo('2026-11-29T06:00:00.000Z');

    expect(calls.map((c) => [c.trigger, c.at])).toEqual([
      ['catch-up', '2026-11-25T10:00:00.000Z'],
      ['schedule', '2026-11-29T05:00:00.000Z'],
    ]);
    expect(finished.map((r) => [r.status, r.summary['result']])).toEqual([
      ['failed', { drills: [{ target: 'lms-prod', status: 'failed' }] }],
      ['failed', { drills: [{ target: 'lms-prod', status: 'failed' }] }],
    ]);
  });

  it('retries after a restart a catch-up that the shutdown interrupted', async () => {
    at('2026-11-25T10:00:00.000Z');
    const first = scheduler([weeklyDrills], recording((_s, run) => untilAborted(run.signal)));
    await first.start();
    await first.stop();
    clock.advance(MINUTE_MS);
    const second = scheduler([weeklyDrills], recording());

    await second.start();
    await settle();

    expect(calls.map((c) => [c.trigger, c.at])).toEqual([
      ['catch-up', '2026-11-25T10:00:00.000Z'],
      ['catch-up', '2026-11-25T10:01:00.000Z'],
    ]);
    expect((await jobRuns()).map((r) => r.status)).toEqual(['aborted', 'succeeded']);
  });

  it('computes when the window makes a schedule due', () => {
    const week = 7 * DAY_MS;

    expect([
      windowDueAt(week, {}),
      windowDueAt(week, { lastSuccessAt: 0 }),
      windowDueAt(week, { lastSuccessAt: 0, lastAttemptAt: week - 1 }),
      windowDueAt(week, { lastSuccessAt: 0, lastAttemptAt: week }),
      windowDueAt(week, { lastAttemptAt: 5 }),
    ]).toEqual([-Infinity, week, week, undefined, undefined]);
  });
});

describe('outcomes', () => {
  it('records a runner that throws as error, with the message, and hands the record to onFinished', async () => {
    at('2026-11-24T12:00:30.000Z');
    const s = scheduler([everyMinute], recording(() => Promise.reject(new Error('the store is locked'))));

    await s.start();
    await timer.advanceTo('2026-11-24T12:01:30.000Z');

    expect(finished.map((r) => [r.status, r.summary['error'], r.summary['schedule']])).toEqual([['error', 'the store is locked', 'incidents-every-minute']]);
  });

  it('aborts a job that runs past its timeout and records it as error', async () => {
    at('2026-11-24T12:00:30.000Z');
    const s = scheduler([{ ...everyMinute, cron: '0 13 * * *', timeout: '10m', timeoutMs: 10 * MINUTE_MS }], recording((_s, run) => untilAborted(run.signal)));

    await s.start();
    await timer.advanceTo('2026-11-24T13:30:00.000Z');

    expect(finished.map((r) => [r.status, r.finishedAt, r.summary['timedOutAfter'], r.summary['error']])).toEqual([
      ['error', '2026-11-24T13:10:00.000Z', '10m', 'the job ran longer than its timeout of 10m'],
    ]);
  });
});

describe('stop()', () => {
  it('aborts a running job, which tears down and is recorded aborted; nothing runs afterwards', async () => {
    at('2026-11-25T10:00:00.000Z');
    let tornDown = false;
    const s = scheduler([weeklyDrills, everyMinute], recording(async (_s, run) => {
      if (run.trigger !== 'catch-up') return { status: 'succeeded', summary: {} };
      await untilAborted(run.signal).catch(() => (tornDown = true));
      return { status: 'failed', summary: { torndown: true } };
    }));
    await s.start();

    await s.stop();
    await timer.advance(10 * MINUTE_MS);

    const runs = await jobRuns();
    expect(tornDown).toBe(true);
    expect(runs.map((r) => [r.summary['schedule'], r.status, r.summary['abortedBy'], r.summary['result']])).toEqual([['restore-drills-weekly', 'aborted', 'shutdown', { torndown: true }]]);
    expect(calls).toHaveLength(1);
  });

  it('lets a short job that finishes anyway keep its outcome', async () => {
    at('2026-11-24T12:00:30.000Z');
    const pass = deferred<JobOutcome>();
    const s = scheduler([everyMinute], recording(() => pass.promise));
    await s.start();
    await timer.advanceTo('2026-11-24T12:01:00.000Z');

    const stopping = s.stop();
    pass.resolve({ status: 'succeeded', summary: { delivered: 3 } });
    await stopping;

    expect((await jobRuns()).map((r) => [r.status, r.summary['result']])).toEqual([['succeeded', { delivered: 3 }]]);
  });

  it('closes the run as aborted at the deadline when the job does not stop, and keeps it so when the job ends later', async () => {
    at('2026-11-25T10:00:00.000Z');
    const stuck = deferred<JobOutcome>();
    const s = scheduler([weeklyDrills], recording(() => stuck.promise));
    await s.start();

    const stopping = s.stop({ deadlineMs: 30_000 });
    await timer.advance(30_000);
    await stopping;
    const atDeadline = await jobRuns();
    stuck.resolve({ status: 'succeeded', summary: {} });
    await settle();

    expect(atDeadline.map((r) => [r.status, r.finishedAt, r.summary['error']])).toEqual([['aborted', '2026-11-25T10:00:30.000Z', 'the job did not stop within 30000 ms of the shutdown']]);
    expect((await jobRuns()).map((r) => r.status)).toEqual(['aborted']);
    expect(logs.map((l) => l.message)).toContain('job ended after the shutdown deadline had recorded it aborted');
  });
});

describe('recovery at start', () => {
  it('records runs a crashed process left running as aborted, and leaves live ones alone', async () => {
    const summary = (owner: string) => ({ schedule: 'backup-checks-daily', job: 'checks', trigger: 'schedule', scheduledFor: '2026-11-24T04:30:00.000Z', owner });
    await store.startRun({ id: 'crashed', kind: 'job', startedAt: '2026-11-24T04:30:00.000Z', trigger: 'schedule', summary: summary(`999999@${hostname()}`) });
    await store.startRun({ id: 'other-host', kind: 'job', startedAt: '2026-11-24T04:30:00.000Z', trigger: 'schedule', summary: summary('1@another-host') });
    at('2026-11-24T05:00:00.000Z');
    const s = scheduler([dailyChecks], recording());

    const { recovered } = await s.start();

    expect(recovered).toEqual(['crashed']);
    expect((await store.getRun('crashed'))?.status).toBe('aborted');
    expect((await store.getRun('crashed'))?.summary['abortedBy']).toBe('recovery');
    expect((await store.getRun('other-host'))?.status).toBe('running');
  });
});

describe('scheduleStatuses', () => {
  it('shows the next run, the window rule and the last run of each schedule', async () => {
    await pastRun('restore-drills-weekly', '2026-11-15T05:00:00.000Z', 'succeeded');
    await pastRun('restore-drills-weekly', '2026-11-22T05:00:00.000Z', 'failed');

    const statuses = await scheduleStatuses([weeklyDrills, dailyChecks], store, new Date('2026-11-24T12:00:00.000Z'));

    expect(statuses.map((s) => [s.name, s.nextRunAt, s.window, s.lastRun?.status, s.lastRun?.startedAt])).toEqual([
      ['restore-drills-weekly', '2026-11-29T05:00:00.000Z', { successWithin: '7d', lastSuccessAt: '2026-11-15T05:00:00.000Z', dueAt: undefined, dueNow: false }, 'failed', '2026-11-22T05:00:00.000Z'],
      ['backup-checks-daily', '2026-11-25T04:30:00.000Z', undefined, undefined, undefined],
    ]);
  });
});
