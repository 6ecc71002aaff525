/**
 * A scan of an organization split into per-account units over three replicas sharing one database
 * (SQLite and a real PostgreSQL), against the sandbox with the real SDK clients: the same verdicts as
 * one replica scanning alone, each unit done once, and a unit whose replica died mid-way taken over
 * without its stored results written twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsAccountDirectory } from '../../src/adapters/aws/accounts.js';
import { AwsClients } from '../../src/adapters/aws/clients.js';
import { createAwsInventory } from '../../src/adapters/aws/inventory-all.js';
import { loadCheckDefinitions } from '../../src/checks/definitions.js';
import { EVALUATORS } from '../../src/checks/registry.js';
import { evaluateInto, runChecks, type CheckRunDeps } from '../../src/checks/run.js';
import { runChecksAcrossReplicas, SCAN_UNIT, workUnits, type ScanUnitDetail, type UnitLeases } from '../../src/checks/scan-units.js';
import { configSchema, type AccountConfig } from '../../src/config/schema.js';
import { ManualClock, MINUTE_MS } from '../../src/core/clock.js';
import { PROJECT_ROOT } from '../../src/core/paths.js';
import type { CheckResult } from '../../src/core/results.js';
import { Replica } from '../../src/service/cluster.js';
import { replicaUnitLeases } from '../../src/service/scan-worker.js';
import { ManualTimer } from '../../src/service/timer.js';
import type { ClusterStore } from '../../src/store/cluster-types.js';
import type { Store } from '../../src/store/types.js';
import { ORG_SCENARIO_HEAD, orgRole } from '../helpers/organization.js';
import { startTestSandbox, useSandboxEnv, type TestSandbox } from '../helpers/sandbox.js';
import { clusterBackends } from './cluster-backends.js';

const member = (id: string, name: string, volumes: string) => `  - id: "${id}"
    name: ${name}
    enabledRegions: [us-east-1, us-west-2]
${orgRole()}
    regions:
      us-east-1:
        rds:
          instances:
            - { id: ${name}-db, multiAZ: true, backupRetentionDays: 30, encrypted: true }
            - { id: ${name}-weak-db, backupRetentionDays: 3, encrypted: false }
        ec2:
          volumes:
${volumes}
        s3:
          buckets:
            - { name: ${name}-content, versioning: Enabled }
      us-west-2:
        ec2:
          volumes:
            - { name: ${name}-west-vol, encrypted: false, age: 100d }`;

const SCENARIO = `${ORG_SCENARIO_HEAD('scan-units')}
${member('222222222222', 'production', '            - { name: prod-vol, encrypted: true, age: 100d, snapshots: { daily: { keep: 10d } } }')}
${member('333333333333', 'staging', '            - { name: staging-vol, encrypted: false, age: 10d }')}
${member('444444444444', 'analytics', '            - { name: analytics-vol, encrypted: true, age: 30d }')}
  - id: "555555555555"
    name: closed-project
    status: SUSPENDED
${orgRole()}
`;

const CONFIG = configSchema.parse({
  version: 1,
  aws: { connectTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 2, roleSessionName: 'vigil-test' },
  organization: { discover: true, externalId: 'org-external', regions: 'enabled' },
});

/** Region-, account- and run-level checks (the Vault ones, which error alike everywhere without Vault). */
const CHECKS = loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS }).filter(
  (c) => c.enabled && !/-dr-copy$|^s3-replication$/.test(c.id) && (/^(rds|ebs|s3|vault)-/.test(c.id) || ['guardduty-enabled', 'cloudtrail-logging', 'iam-root-mfa'].includes(c.id)),
);

const SETTINGS = { leaseTimeoutMs: 3 * MINUTE_MS, heartbeatIntervalMs: MINUTE_MS };

/** What a verdict is, without when it was made. */
const tuple = (r: CheckResult) => [r.checkId, r.accountId, r.region, r.resource, r.status].join(' ');

let sandbox: TestSandbox;
let restoreEnv: () => void;
let alone: string[];
const clients: AwsClients[] = [];

/** One replica's view of the estate: its own SDK clients (and pacer), its own store connection. */
function depsOf(store: Store, clock = new ManualClock(new Date('2026-11-24T04:30:00Z'))): CheckRunDeps {
  const aws = new AwsClients(CONFIG.aws);
  clients.push(aws);
  return { config: CONFIG, checks: CHECKS, evaluators: EVALUATORS, inventory: createAwsInventory(aws), store, clock, accounts: new AwsAccountDirectory(aws, CONFIG) };
}

const OPTIONS = { unitsInFlight: 2, pollMs: 5, sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO);
  restoreEnv = useSandboxEnv(sandbox);
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  restoreEnv();
  await sandbox.stop();
});

describe.each(clusterBackends())('a scan split over replicas on $name', (backend) => {
  beforeAll(async () => {
    if (backend.skip) return;
    await backend.reset();
    const store = await backend.store();
    alone ??= (await runChecks({ trigger: 'cli' }, depsOf(store))).results.map(tuple).sort();
  }, 60_000);

  afterAll(() => backend.reset());

  async function replica(name: string, clock: ManualClock): Promise<{ store: Store; replica: Replica; leases: UnitLeases; deps: CheckRunDeps }> {
    const store = await backend.store();
    const r = new Replica({ store: store.cluster as ClusterStore, clock, timer: new ManualTimer(clock), settings: { replicaId: name, ...SETTINGS }, version: 'test' });
    await r.join();
    return { store, replica: r, leases: replicaUnitLeases(r), deps: depsOf(store, clock) };
  }

  it.skipIf(backend.skip)('gives the same verdicts as one replica, each account unit done once, spread over the three', async () => {
    const clock = new ManualClock(new Date('2026-11-24T04:30:00Z'));
    const [a, b, c] = [await replica('a', clock), await replica('b', clock), await replica('c', clock)];
    // The other two work whatever is offered until the run is closed, as `vigil serve` does at each heartbeat.
    let closed = false;
    const worker = async (node: typeof b) => {
      let units = 0;
      while (!closed) {
        units += await workUnits(node.leases, node.deps, { unitsInFlight: 1 });
        await OPTIONS.sleep(5);
      }
      return units;
    };
    const workers = Promise.all([worker(b), worker(c)]);

    const outcome = await runChecksAcrossReplicas({ trigger: 'schedule', actor: 'schedule:checks' }, a.deps, a.leases, { ...OPTIONS, unitsInFlight: 1 });
    closed = true;
    const [byB, byC] = await workers;

    expect(outcome.run.status).toBe('failed');
    expect(outcome.results.map(tuple).sort()).toEqual(alone);
    const units = (await a.store.cluster?.listLeases({ kind: SCAN_UNIT, subject: outcome.run.id })) ?? [];
    expect(units.map((u) => u.key.split(':').pop()).sort()).toEqual(['111111111111', '222222222222', '333333333333', '444444444444', '555555555555']);
    expect(units.every((u) => u.status === 'done' && u.claims === 1 && u.outcome === 'completed')).toBe(true);
    const workedBy = new Set(units.map((u) => u.owner));
    expect(byB + byC + units.filter((u) => u.owner === 'a').length).toBe(5);
    expect(workedBy.size).toBeGreaterThan(1);
    for (const node of [a, b, c]) await node.replica.leave();
  }, 90_000);

  it.skipIf(backend.skip)('gives up a unit that failed three times and fails the run, naming the account', async () => {
    const clock = new ManualClock(new Date('2026-11-24T06:30:00Z'));
    const a = await replica('a3', clock);
    // The store refuses every write of one account's results, as a full disk or a broken connection would.
    const store = new Proxy(a.store, {
      get: (target, name, receiver) =>
        name === 'appendCheckResults'
          ? async (results: Array<{ accountId: string }>) => {
              if (results.some((r) => r.accountId === '333333333333')) throw new Error('disk full');
              return target.appendCheckResults(results as Parameters<Store['appendCheckResults']>[0]);
            }
          : (Reflect.get(target, name, receiver) as unknown),
    });

    const run = runChecksAcrossReplicas({ trigger: 'schedule', actor: 'schedule:checks' }, { ...a.deps, store }, a.leases, OPTIONS);

    await expect(run).rejects.toThrow(/account 333333333333 \(disk full\) failed 3 times and were given up/);
    const [checkRun] = await a.store.listRuns({ kind: 'check', limit: 1 });
    expect(checkRun?.status).toBe('error');
    const units = (await a.store.cluster?.listLeases({ kind: SCAN_UNIT, subject: checkRun?.id })) ?? [];
    expect(units.filter((u) => u.outcome === 'failed').map((u) => [u.key.split(':').pop(), u.claims, u.status])).toEqual([['333333333333', 3, 'done']]);
    await a.replica.leave();
  }, 90_000);

  it.skipIf(backend.skip)('takes over the unit of a replica that stopped heartbeating, keeping what it stored and writing nothing twice', async () => {
    const clock = new ManualClock(new Date('2026-11-24T05:30:00Z'));
    const [a, b] = [await replica('a2', clock), await replica('b2', clock)];
    // b claims a unit as soon as one is offered, stores one check's results for it, and dies: no more heartbeats, no release.
    const partial: { account?: string; stored?: number } = {};
    const offer = a.leases.offer.bind(a.leases);
    a.leases.offer = async (items) => {
      await offer(items);
      const lease = await b.leases.claimNext(undefined, () => undefined);
      const detail = lease?.detail as unknown as ScanUnitDetail;
      const run = await b.store.getRun(detail.runId);
      if (!lease || !run || detail.account.id === '555555555555') throw new Error(`b should hold a scannable account's unit, holds ${lease?.key}`);
      partial.account = detail.account.id;
      const account = { ...detail.account, externalId: 'org-external' } as AccountConfig;
      const rdsBackups = CHECKS.filter((c) => c.id === 'rds-backup-retention');
      await evaluateInto({ run, started: new Date(detail.startedAt) }, { checks: rdsBackups, accounts: [account], unavailable: [], since: new Map() }, b.deps);
      partial.stored = (await b.store.checkResults(run.id)).length;
      // Past the lease timeout by a's clock: b's lease has expired and a takes the unit over.
      clock.advance(SETTINGS.leaseTimeoutMs + MINUTE_MS);
    };

    const outcome = await runChecksAcrossReplicas({ trigger: 'schedule', actor: 'schedule:checks' }, a.deps, a.leases, OPTIONS);

    expect(partial.stored).toBeGreaterThan(0);

    expect(outcome.results.map(tuple).sort()).toEqual(alone);
    const units = (await a.store.cluster?.listLeases({ kind: SCAN_UNIT, subject: outcome.run.id })) ?? [];
    const takenOver = units.filter((u) => u.claims === 2);
    expect(takenOver).toHaveLength(1);
    expect(takenOver[0]).toMatchObject({ key: `${SCAN_UNIT}:${outcome.run.id}:${partial.account}`, owner: 'a2', previousOwner: 'b2', status: 'done', outcome: 'completed' });
    expect(takenOver[0]?.detail['kept']).toBe(1);
    await a.replica.leave();
  }, 90_000);
});
