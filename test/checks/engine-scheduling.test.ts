/**
 * How the engine schedules units across accounts and regions: accounts that cannot be scanned get an
 * `error` per check with the reason, a unit past its deadline gets one `error`, and a region that
 * hangs holds only its own share of the workers while every other region finishes.
 */
import { describe, expect, it } from 'vitest';
import type { CheckDefinition } from '../../src/checks/definitions.js';
import { evaluate, planUnits, runRoundRobin, type EngineDeps, type EvaluationPlan } from '../../src/checks/engine.js';
import type { InventoryPort } from '../../src/checks/inventory.js';
import type { Resource } from '../../src/checks/resources.js';
import { EVALUATORS } from '../../src/checks/registry.js';
import type { AccountConfig } from '../../src/config/schema.js';
import type { CheckResult } from '../../src/core/results.js';
import { NOW, rdsInstance } from './fixtures.js';

function check(id: string, evaluator: string, params: Record<string, unknown>, resource: Resource['kind']): CheckDefinition {
  const parsed = (EVALUATORS.get(evaluator)?.params.parse(params) ?? {}) as Record<string, unknown>;
  return { id, title: `${id} holds`, severity: 'high', evaluator, params: parsed, risk: 'r'.repeat(20), remediation: `runbooks/${id}.md`, controls: ['A.8.13'], enabled: true, resource, file: `checks/${id}.yaml` };
}

const MULTI_AZ = check('rds-multi-az', 'multi-az', { source: 'rds-instance' }, 'rds-instance');
const RETENTION = check('rds-backup-retention', 'backup-retention', { source: 'rds-instance', minDays: 30 }, 'rds-instance');
const ROOT_MFA = check('iam-root-mfa', 'iam-root-mfa', {}, 'iam-root');

const PRODUCTION: AccountConfig = { id: '222222222222', name: 'production', regions: ['us-east-1', 'us-west-2'] };
const SUSPENDED: AccountConfig = { id: '333333333333', name: 'closed', regions: [] };
const LOCKED: AccountConfig = { id: '444444444444', name: 'locked', regions: ['us-east-1'] };

/** RDS instances per region; a region mapped to `hang` never answers. */
function inventory(regions: Record<string, Resource[] | 'hang'>, log: string[] = []): InventoryPort {
  return {
    rdsInstances: (account: AccountConfig, region: string) => {
      log.push(`rdsInstances:${account.id}/${region}`);
      const found = regions[region];
      return found === 'hang' ? new Promise<never>(() => {}) : Promise.resolve(found ?? []);
    },
  } as unknown as InventoryPort;
}

/** Deadlines that pass only when the test says so, and at once from then on. */
function manualDeadline(): { sleep: NonNullable<EngineDeps['sleep']>; pass: () => void; waits: number[] } {
  const waiting: Array<() => void> = [];
  const waits: number[] = [];
  let passed = false;
  return {
    waits,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        waits.push(ms);
        if (passed) return resolve();
        waiting.push(resolve);
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      }),
    pass: () => {
      passed = true;
      for (const wake of waiting.splice(0)) wake();
    },
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

function deps(port: InventoryPort, extra: Partial<EngineDeps> = {}): EngineDeps {
  return { inventory: port, evaluators: EVALUATORS, now: NOW, clock: () => NOW, ...extra };
}

const brief = (r: CheckResult) => [r.checkId, r.accountId, r.region, r.status, r.message];
const byKey = (a: CheckResult, b: CheckResult) => `${a.accountId}|${a.region}|${a.checkId}|${a.name}`.localeCompare(`${b.accountId}|${b.region}|${b.checkId}|${b.name}`);

describe('accounts that cannot be scanned', () => {
  it('get one error per check and scope with the reason, in their known regions or filed under global', async () => {
    const results: CheckResult[] = [];
    const log: string[] = [];
    const plan: EvaluationPlan = {
      checks: [MULTI_AZ, ROOT_MFA],
      accounts: [],
      unavailable: [
        { account: SUSPENDED, reason: 'account suspended (AWS Organizations state SUSPENDED)' },
        { account: LOCKED, reason: 'sts:AssumeRole in 444444444444: access denied (AccessDenied)' },
      ],
      scope: { include: [], exclude: [] },
    };

    await evaluate(plan, deps(inventory({}, log)), (batch) => {
      results.push(...batch);
    });

    expect(results.sort(byKey).map(brief)).toEqual([
      ['iam-root-mfa', '333333333333', 'global', 'error', 'Could not list root users in account 333333333333: account suspended (AWS Organizations state SUSPENDED).'],
      ['rds-multi-az', '333333333333', 'global', 'error', 'Could not list RDS instances in account 333333333333: account suspended (AWS Organizations state SUSPENDED).'],
      ['iam-root-mfa', '444444444444', 'global', 'error', 'Could not list root users in account 444444444444: sts:AssumeRole in 444444444444: access denied (AccessDenied).'],
      ['rds-multi-az', '444444444444', 'us-east-1', 'error', 'Could not list RDS instances in 444444444444/us-east-1: sts:AssumeRole in 444444444444: access denied (AccessDenied).'],
    ]);
    expect(log).toEqual([]);
  });

  it('are counted in the plan like any other account', () => {
    const units = planUnits({ checks: [], accounts: [PRODUCTION], unavailable: [{ account: SUSPENDED, reason: 'x' }], scope: { include: [], exclude: [] } });

    expect(units.map((u) => [u.level, u.account?.id, u.region])).toEqual([
      ['region', '222222222222', 'us-east-1'],
      ['region', '222222222222', 'us-west-2'],
      ['account', '222222222222', 'global'],
      ['region', '333333333333', 'global'],
      ['account', '333333333333', 'global'],
      ['global', undefined, 'global'],
    ]);
  });
});

describe('a region that does not answer', () => {
  it('gets an error for each of its units once the deadline passes, while every other region finishes first', async () => {
    const deadline = manualDeadline();
    const done: string[] = [];
    const results: CheckResult[] = [];
    const plan: EvaluationPlan = { checks: [MULTI_AZ, RETENTION], accounts: [PRODUCTION, { ...PRODUCTION, id: '555555555555' }], scope: { include: [], exclude: [] } };
    const port = inventory({ 'us-east-1': [rdsInstance()], 'us-west-2': 'hang' });

    const run = evaluate(plan, deps(port, { concurrency: 3, scopeConcurrency: 1, unitTimeoutMs: 120_000, sleep: deadline.sleep }), (batch, unit) => {
      done.push(`${unit.accountId}/${unit.region}/${unit.checkId}`);
      results.push(...batch);
    });
    await settle();
    const beforeDeadline = [...done].sort();
    deadline.pass();
    await run;

    // Both hung regions hold one worker each; the third worker runs everything else.
    expect(beforeDeadline).toEqual([
      '222222222222/us-east-1/rds-backup-retention',
      '222222222222/us-east-1/rds-multi-az',
      '555555555555/us-east-1/rds-backup-retention',
      '555555555555/us-east-1/rds-multi-az',
    ]);
    expect(deadline.waits.every((ms) => ms === 120_000)).toBe(true);
    expect(results.filter((r) => r.region === 'us-west-2').sort(byKey).map(brief)).toEqual([
      ['rds-backup-retention', '222222222222', 'us-west-2', 'error', 'Could not judge RDS instances in 222222222222/us-west-2: not finished within 2 min (aws.scopeTimeoutMs).'],
      ['rds-multi-az', '222222222222', 'us-west-2', 'error', 'Could not judge RDS instances in 222222222222/us-west-2: not finished within 2 min (aws.scopeTimeoutMs).'],
      ['rds-backup-retention', '555555555555', 'us-west-2', 'error', 'Could not judge RDS instances in 555555555555/us-west-2: not finished within 2 min (aws.scopeTimeoutMs).'],
      ['rds-multi-az', '555555555555', 'us-west-2', 'error', 'Could not judge RDS instances in 555555555555/us-west-2: not finished within 2 min (aws.scopeTimeoutMs).'],
    ]);
    expect(results.filter((r) => r.region === 'us-east-1').map((r) => r.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });

  it('leaves no deadline timer running once its unit is done', async () => {
    const aborted: boolean[] = [];
    const sleep: NonNullable<EngineDeps['sleep']> = (_ms, signal) =>
      new Promise<void>((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          aborted.push(true);
          reject(new Error('aborted'));
        });
      });

    await evaluate({ checks: [MULTI_AZ], accounts: [PRODUCTION], scope: { include: [], exclude: [] } }, deps(inventory({ 'us-east-1': [rdsInstance()] }), { sleep }), () => {});

    expect(aborted).toEqual([true, true]);
  });
});

describe('accounts done', () => {
  it("have the adapter let go of what it holds for them, each once, after the account's last unit", async () => {
    const log: string[] = [];
    const port = { ...inventory({ 'us-east-1': [rdsInstance()], 'us-west-2': [rdsInstance()] }, log), release: (id: string) => log.push(`release:${id}`) } as unknown as InventoryPort;
    const plan: EvaluationPlan = { checks: [MULTI_AZ, RETENTION], accounts: [PRODUCTION, LOCKED], scope: { include: [], exclude: [] } };

    await evaluate(plan, deps(port, { accountWindow: 1 }), () => {});

    expect(log.filter((l) => l.startsWith('release:'))).toEqual(['release:222222222222', 'release:444444444444', 'release:-']);
    // Each account's reads come before its release: the second account starts after the first is let go.
    expect(log.indexOf('release:222222222222')).toBeLessThan(log.indexOf('rdsInstances:444444444444/us-east-1'));
  });
});

describe('runRoundRobin', () => {
  it('takes items from the queues in turn, within the global and per-queue limits', async () => {
    const started: string[] = [];
    let running = 0;
    let peak = 0;
    const perQueuePeak = new Map<string, number>();
    const active = new Map<string, number>();
    const queues = new Map([
      ['a', ['a1', 'a2', 'a3', 'a4']],
      ['b', ['b1', 'b2']],
      ['c', ['c1']],
    ]);

    await runRoundRobin(queues, { concurrency: 3, perQueue: 2 }, async (item) => {
      const queue = item[0] as string;
      started.push(item);
      running += 1;
      active.set(queue, (active.get(queue) ?? 0) + 1);
      peak = Math.max(peak, running);
      perQueuePeak.set(queue, Math.max(perQueuePeak.get(queue) ?? 0, active.get(queue) as number));
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      active.set(queue, (active.get(queue) as number) - 1);
    });

    expect(started.slice(0, 3)).toEqual(['a1', 'b1', 'c1']);
    expect([...started].sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'c1']);
    expect(peak).toBe(3);
    expect(Math.max(...perQueuePeak.values())).toBe(2);
  });

  it('stops starting work at the first failure and throws it', async () => {
    const started: string[] = [];

    const outcome = runRoundRobin(new Map([['a', ['a1', 'a2', 'a3']]]), { concurrency: 1, perQueue: 1 }, async (item) => {
      started.push(item);
      if (item === 'a2') throw new Error('the store is full');
    });

    await expect(outcome).rejects.toThrow('the store is full');
    expect(started).toEqual(['a1', 'a2']);
  });
});
