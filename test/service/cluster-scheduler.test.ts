/**
 * Several schedulers, each a replica with its own store connection and its own timer over one manual
 * clock, sharing one database: a simulated week in which every occurrence runs exactly once, a replica
 * killed mid-job (it stops heartbeating) whose job another replica takes over, a slow replica that hears
 * its job was taken, and catch-ups that replicas starting together run once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, ManualClock, MINUTE_MS } from '../../src/core/clock.js';
import { Replica, type ClusterSettings } from '../../src/service/cluster.js';
import { Scheduler, type JobOutcome, type JobRun, type JobRunner } from '../../src/service/scheduler.js';
import { nextRunAfter, type Job, type Schedule } from '../../src/service/schedules.js';
import { ManualTimer } from '../../src/service/timer.js';
import type { ClusterStore } from '../../src/store/cluster-types.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { RunRecord, Store } from '../../src/store/types.js';
import { clusterBackends, type ClusterBackend } from './cluster-backends.js';

function schedule(name: string, cron: string, overrides: Partial<Schedule> = {}): Schedule {
  const job: Job = overrides.job ?? { kind: 'probes' };
  return { name, description: `${name} for a test`, cron, timeZone: 'UTC', job, enabled: true, file: `schedules/${name}.yaml`, ...overrides };
}

const weeklyDrills = schedule('restore-drills-weekly', '0 5 * * 0', { job: { kind: 'drills', due: true }, ensure: { successWithin: '7d', successWithinMs: 7 * DAY_MS } });
const dailyChecks = schedule('backup-checks-daily', '30 4 * * *', { job: { kind: 'checks', checks: ['rds-*'], checkIds: ['rds-backup-retention'] } });
const hourlyChecks = schedule('threat-checks-hourly', '10 * * * *', { job: { kind: 'checks', checks: ['guardduty-*'], checkIds: ['guardduty-enabled'] } });
const halfPastHourly = schedule('probes-hourly', '40 * * * *');

const SETTINGS = { leaseTimeoutMs: 3 * MINUTE_MS, heartbeatIntervalMs: MINUTE_MS };

interface Call {
  replica: string;
  schedule: string;
  trigger: JobRun['trigger'];
  scheduledFor: string;
  at: string;
  takeover?: JobRun['takeover'];
}

interface Node {
  name: string;
  store: Store;
  timer: ManualTimer;
  replica: Replica;
  scheduler: Scheduler;
  /** A killed node's timer is never advanced again: it neither heartbeats nor ticks. */
  alive: boolean;
}

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
}

class Cluster {
  readonly nodes: Node[] = [];
  readonly calls: Call[] = [];
  /** A fixed-seed generator: who wakes first at one instant varies, the same way on every run. */
  private seed = 7;

  constructor(
    readonly backend: ClusterBackend,
    readonly clock: ManualClock,
  ) {}

  async add(name: string, schedules: Schedule[], runner: (node: string) => JobRunner, settings: Partial<ClusterSettings> = {}): Promise<Node> {
    const store = await this.backend.store();
    const timer = new ManualTimer(this.clock);
    const replica = new Replica({ store: store.cluster as ClusterStore, clock: this.clock, timer, settings: { replicaId: name, ...SETTINGS, ...settings }, version: 'test' });
    const inner = runner(name);
    const recording: JobRunner = async (s, run) => {
      this.calls.push({ replica: name, schedule: s.name, trigger: run.trigger, scheduledFor: run.scheduledFor.toISOString(), at: this.clock.now().toISOString(), ...(run.takeover ? { takeover: run.takeover } : {}) });
      return inner(s, run);
    };
    const scheduler = new Scheduler({ schedules, store, clock: this.clock, timer, runner: recording, replica, processAlive: () => true });
    const node = { name, store, timer, replica, scheduler, alive: true };
    this.nodes.push(node);
    return node;
  }

  async start(...nodes: Node[]): Promise<void> {
    for (const node of nodes) await node.replica.join();
    await Promise.all(nodes.map((n) => n.scheduler.start()));
    await this.idle();
  }

  private random(): number {
    this.seed = (this.seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return this.seed / 2_147_483_648;
  }

  private live(): Node[] {
    return this.nodes.filter((n) => n.alive);
  }

  async idle(): Promise<void> {
    for (const node of this.live()) await Promise.all([node.scheduler.idle(), node.replica.idle()]);
    for (const node of this.live()) await Promise.all([node.scheduler.idle(), node.replica.idle()]);
  }

  /** Moves time to `to`, firing every live node's timers in time order and letting each wake's work finish. */
  async runUntil(to: string | number): Promise<void> {
    const target = new Date(to).getTime();
    for (;;) {
      const next = Math.min(...this.live().map((n) => n.timer.nextAt()?.getTime() ?? Infinity));
      if (!Number.isFinite(next) || next > target) break;
      // Who wakes first at one instant varies, as among real processes.
      const order = this.live()
        .map((node) => ({ node, rank: this.random() }))
        .sort((x, y) => x.rank - y.rank)
        .map((x) => x.node);
      for (const node of order) if ((node.timer.nextAt()?.getTime() ?? Infinity) <= next) await node.timer.advanceTo(next);
      await this.idle();
    }
    if (target > this.clock.now().getTime()) this.clock.set(target);
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) {
      await node.scheduler.stop({ deadlineMs: 0 }).catch(() => undefined);
      await node.replica.leave().catch(() => undefined);
    }
  }

  async jobRuns(): Promise<RunRecord[]> {
    return (await (this.nodes[0] as Node).store.listRuns({ kind: 'job', limit: 100_000 })).reverse();
  }
}

/** Every cron instant of `s` in (from, to]. */
function cronInstants(s: Schedule, from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = nextRunAfter(s, new Date(from)); t.getTime() <= Date.parse(to); t = nextRunAfter(s, t)) out.push(t.toISOString());
  return out;
}

const succeed: (node: string) => JobRunner = () => async () => ({ status: 'succeeded', summary: {} });

let cluster: Cluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe.each(clusterBackends())('replicas on $name', (backend) => {
  afterEach(() => backend.reset());

  it.skipIf(backend.skip)('run every occurrence of a simulated week exactly once, two and three replicas alike', async () => {
    for (const replicas of [2, 3]) {
      await backend.reset();
      const clock = new ManualClock('2026-11-23T00:00:00.000Z');
      cluster = new Cluster(backend, clock);
      const schedules = [weeklyDrills, dailyChecks, hourlyChecks, halfPastHourly];
      const nodes = [];
      // Heartbeats every 15 minutes: nothing dies in this week, and fewer wakes keep the test quick.
      for (let i = 0; i < replicas; i++) nodes.push(await cluster.add(`replica-${i}`, schedules, succeed, { heartbeatIntervalMs: 15 * MINUTE_MS, leaseTimeoutMs: 45 * MINUTE_MS }));

      await cluster.start(...nodes);
      await cluster.runUntil('2026-11-30T00:00:00.000Z');

      const occurrences = cluster.calls.map((c) => `${c.schedule} ${c.trigger} ${c.scheduledFor}`);
      const runs = await cluster.jobRuns();
      const expected = [
        'restore-drills-weekly catch-up 2026-11-23T00:00:00.000Z',
        ...schedules.flatMap((s) => cronInstants(s, '2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z').map((t) => `${s.name} schedule ${t}`)),
      ];
      expect(occurrences.slice().sort()).toEqual(expected.sort());
      expect(new Set(occurrences).size).toBe(occurrences.length);
      expect(runs.map((r) => r.status).filter((s) => s !== 'succeeded')).toEqual([]);
      expect(runs).toHaveLength(expected.length);
      // The work spreads: every replica ran some of it.
      expect(new Set(cluster.calls.map((c) => c.replica)).size).toBe(replicas);
      await cluster.stop();
    }
  }, 120_000);

  it.skipIf(backend.skip)('take over the job of a replica that stops heartbeating mid-run, after the lease timeout, and close its run as aborted', async () => {
    const clock = new ManualClock('2026-11-29T04:59:00.000Z');
    cluster = new Cluster(backend, clock);
    // replica-a's drill never finishes (it dies under it); the others' drills succeed.
    const runner = (node: string): JobRunner => async (_s, run) => (node === 'replica-a' ? untilAborted(run.signal) : { status: 'succeeded', summary: { ranOn: node } });
    await backend.seedSuccess(weeklyDrills.name, '2026-11-22T05:00:00.000Z');
    const a = await cluster.add('replica-a', [weeklyDrills], runner);
    await cluster.start(a);
    await cluster.runUntil('2026-11-29T05:00:00.000Z');
    const b = await cluster.add('replica-b', [weeklyDrills], runner);
    const c = await cluster.add('replica-c', [weeklyDrills], runner);
    await cluster.start(b, c);

    a.alive = false;
    await cluster.runUntil('2026-11-29T05:10:00.000Z');

    const runs = (await cluster.jobRuns()).filter((r) => r.summary['owner'] !== '1@elsewhere');
    const [first, second] = runs;
    expect(cluster.calls.map((call) => [call.replica, call.scheduledFor, call.at, call.takeover])).toEqual([
      ['replica-a', '2026-11-29T05:00:00.000Z', '2026-11-29T05:00:00.000Z', undefined],
      [expect.stringMatching(/^replica-[bc]$/), '2026-11-29T05:00:00.000Z', expect.any(String), { previousOwner: 'replica-a', previousRunId: first?.id }],
    ]);
    const takenAt = Date.parse(cluster.calls[1]?.at as string);
    // Renewed last at 05:00 with a 3-minute timeout; found at the next heartbeat after 05:03.
    expect(takenAt).toBeGreaterThanOrEqual(Date.parse('2026-11-29T05:03:00.000Z'));
    expect(takenAt).toBeLessThanOrEqual(Date.parse('2026-11-29T05:04:00.000Z'));
    expect(runs.map((r) => [r.status, r.summary['owner'], r.summary['abortedBy']])).toEqual([
      ['aborted', 'replica-a', 'takeover'],
      ['succeeded', cluster.calls[1]?.replica, undefined],
    ]);
    expect(first?.summary['error']).toMatch(/^replica replica-a stopped heartbeating \(its lease expired 2026-11-29T05:03:00.000Z\); taken over by replica-[bc]$/);
    expect(second?.reason).toMatch(/^takeover: replica replica-a stopped heartbeating while running this occurrence; cron 0 5 \* \* 0 \(UTC\)$/);
    expect(second?.summary['occurrence']).toBe('schedule:restore-drills-weekly@2026-11-29T05:00:00.000Z');
  }, 60_000);

  it.skipIf(backend.skip)('tell a replica that was only slow that its job was taken over, and its job stops', async () => {
    const clock = new ManualClock('2026-11-24T04:29:00.000Z');
    cluster = new Cluster(backend, clock);
    const signals: Record<string, AbortSignal> = {};
    const runner = (node: string): JobRunner => async (_s, run) => {
      signals[node] = run.signal;
      return node === 'replica-a' ? untilAborted(run.signal) : { status: 'succeeded', summary: {} };
    };
    const a = await cluster.add('replica-a', [dailyChecks], runner);
    await cluster.start(a);
    await cluster.runUntil('2026-11-24T04:30:00.000Z');
    const b = await cluster.add('replica-b', [dailyChecks], runner);
    await cluster.start(b);

    a.alive = false;
    await cluster.runUntil('2026-11-24T04:40:00.000Z');
    a.alive = true;
    await a.replica.beat();
    await cluster.idle();

    expect(signals['replica-a']?.aborted).toBe(true);
    expect(String((signals['replica-a']?.reason as Error).message)).toBe('this replica lost its claim on the job: another replica took the lease over (this replica missed its heartbeats)');
    expect((await cluster.jobRuns()).map((r) => [r.summary['owner'], r.status])).toEqual([
      ['replica-a', 'aborted'],
      ['replica-b', 'succeeded'],
    ]);
  }, 60_000);

  it.skipIf(backend.skip)('run a catch-up once when replicas start together, under the instant the window lapsed', async () => {
    const clock = new ManualClock('2026-11-25T10:00:00.000Z');
    cluster = new Cluster(backend, clock);
    await backend.seedSuccess(weeklyDrills.name, '2026-11-15T05:00:00.000Z');
    const nodes = [await cluster.add('replica-a', [weeklyDrills], succeed), await cluster.add('replica-b', [weeklyDrills], succeed), await cluster.add('replica-c', [weeklyDrills], succeed)];

    await cluster.start(...nodes);
    await cluster.runUntil('2026-11-25T10:30:00.000Z');

    const runs = (await cluster.jobRuns()).filter((r) => r.summary['trigger'] === 'catch-up');
    expect(cluster.calls.map((c) => [c.trigger, c.at])).toEqual([['catch-up', '2026-11-25T10:00:00.000Z']]);
    expect(runs.map((r) => r.summary['occurrence'])).toEqual(['schedule:restore-drills-weekly@catch-up:2026-11-22T05:00:00.000Z']);
  }, 60_000);

  it.skipIf(backend.skip)('hand a job interrupted by a replica stopping to another replica, which runs it again', async () => {
    const clock = new ManualClock('2026-11-25T10:00:00.000Z');
    cluster = new Cluster(backend, clock);
    const runner = (node: string): JobRunner => async (_s, run) => (node === 'replica-a' ? untilAborted(run.signal) : ({ status: 'succeeded', summary: {} } satisfies JobOutcome));
    const a = await cluster.add('replica-a', [weeklyDrills], runner);
    await cluster.start(a);
    const b = await cluster.add('replica-b', [weeklyDrills], runner);
    await cluster.start(b);

    await a.scheduler.stop({ deadlineMs: 0 });
    await a.replica.leave();
    a.alive = false;
    await cluster.runUntil('2026-11-25T10:02:00.000Z');

    expect(cluster.calls.map((c) => [c.replica, c.trigger, c.at, c.takeover?.previousOwner])).toEqual([
      ['replica-a', 'catch-up', '2026-11-25T10:00:00.000Z', undefined],
      ['replica-b', 'catch-up', '2026-11-25T10:01:00.000Z', 'replica-a'],
    ]);
    expect((await cluster.jobRuns()).map((r) => [r.summary['owner'], r.status, r.summary['abortedBy']])).toEqual([
      ['replica-a', 'aborted', 'shutdown'],
      ['replica-b', 'succeeded', undefined],
    ]);
  }, 60_000);

  it.skipIf(backend.skip)('close an occurrence a dead replica left as superseded once a newer one has run, without replaying it', async () => {
    const clock = new ManualClock('2026-11-24T11:59:30.000Z');
    cluster = new Cluster(backend, clock);
    const runner = (node: string): JobRunner => async (_s, run) => (node === 'replica-a' ? untilAborted(run.signal) : { status: 'succeeded', summary: {} });
    const everyMinute = schedule('incidents-every-minute', '* * * * *', { job: { kind: 'incidents' } });
    const a = await cluster.add('replica-a', [everyMinute], runner);
    await cluster.start(a);
    await cluster.runUntil('2026-11-24T12:00:00.000Z');
    a.alive = false;
    const b = await cluster.add('replica-b', [everyMinute], runner, { leaseTimeoutMs: 90_000, heartbeatIntervalMs: 30_000 });
    await cluster.start(b);

    await cluster.runUntil('2026-11-24T12:05:00.000Z');

    const runs = await cluster.jobRuns();
    const lease = await (b.store.cluster as ClusterStore).getLease('schedule:incidents-every-minute@2026-11-24T12:00:00.000Z');
    // 12:01 and 12:02 are skipped while replica-a's lease still looks alive (it ran out at 12:03).
    expect(cluster.calls.map((c) => [c.replica, c.scheduledFor])).toEqual([
      ['replica-a', '2026-11-24T12:00:00.000Z'],
      ['replica-b', '2026-11-24T12:03:00.000Z'],
      ['replica-b', '2026-11-24T12:04:00.000Z'],
      ['replica-b', '2026-11-24T12:05:00.000Z'],
    ]);
    expect(lease).toMatchObject({ status: 'done', outcome: 'superseded', owner: 'replica-b', detail: { supersededBy: 'schedule:incidents-every-minute@2026-11-24T12:03:00.000Z' } });
    expect(runs[0]).toMatchObject({ status: 'aborted', summary: { owner: 'replica-a', abortedBy: 'takeover' } });
  }, 60_000);
});

describe('a single SQLite process', () => {
  it('keeps the scheduler as it was without a replica: no lease is taken', async () => {
    const store = SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-single-')));
    const clock = new ManualClock('2026-11-24T04:00:00.000Z');
    const timer = new ManualTimer(clock);
    const s = new Scheduler({ schedules: [dailyChecks], store, clock, timer, runner: async () => ({ status: 'succeeded', summary: {} }) });

    await s.start();
    await timer.advanceTo(Date.parse('2026-11-24T04:30:00.000Z') + HOUR_MS);
    await s.stop();

    expect((await store.listRuns({ kind: 'job' })).map((r) => [r.status, r.summary['occurrence']])).toEqual([['succeeded', undefined]]);
    expect(await store.cluster.listLeases()).toEqual([]);
    await store.close();
  });
});
