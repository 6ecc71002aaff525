/**
 * Two real `vigil serve` processes on one PostgreSQL against the demo sandbox. The replica that claims the
 * weekly restore drill is killed with SIGKILL in the middle of the restore: after the lease timeout the
 * other replica takes the occurrence over, sweeps the instance the dead drill restored, records that drill
 * as aborted, and runs the drill to success. `vigil cluster status` then shows who did what.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { demoConfig } from '../../src/cli/commands/demo.js';
import type { AccountConfig } from '../../src/config/schema.js';
import { createDrillDeps } from '../../src/drills/wiring.js';
import { sandboxEnv } from '../../src/sandbox/index.js';
import { DEMO_SCENARIO_URL, loadScenario } from '../../src/sandbox/scenario.js';
import type { ClusterStatus } from '../../src/service/cluster-status.js';
import type { PostgresStore } from '../../src/store/postgres.js';
import type { DrillRecord } from '../../src/store/types.js';
import { runCli } from '../helpers/cli.js';
import { skipWithoutPostgres, startTestPostgres } from '../helpers/postgres.js';
import { demoRoleCredentials, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const REPLICAS = ['vigil-a', 'vigil-b'] as const;
const DRILL_SCHEDULE = `name: drill-lms-prod
description: Restore drill of lms-prod, weekly, at once when none succeeded this week
cron: "0 5 * * 0"
timeZone: UTC
job: { kind: drills, targets: [lms-prod] }
ensure: { successWithin: 7d }
`;

interface Child {
  id: string;
  process: ChildProcess;
  output: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Bounded polling of real work in other processes. */
/**
 * Boots the sandbox's copy of the LMS database once, before the replicas start: the first connection to
 * a sandbox Postgres compiles PGlite and generates the LMS rows, which on a busy 2-core box can take
 * longer than a drill waits to connect. A real RDS restore has no such first-use cost.
 */
async function warmLmsDatabase(sandbox: TestSandbox): Promise<void> {
  const rds = new RDSClient(sandbox.aws('us-east-1', await demoRoleCredentials(sandbox, '222222222222')));
  const { DBInstances: [instance] = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'lms-prod' }));
  const client = new pg.Client({
    host: instance?.Endpoint?.Address,
    port: instance?.Endpoint?.Port,
    user: 'lms_admin',
    password: 'sandbox-lms-prod-master-password',
    database: 'lms',
    connectionTimeoutMillis: 60_000,
  });
  await client.connect();
  try {
    await client.query('SELECT count(*) FROM learners');
  } finally {
    await client.end();
  }
}

describe.skipIf(skipWithoutPostgres)('replicas taking over a drill from a killed replica', () => {
  let sandbox: TestSandbox;
  let dir: string;
  let url: string;
  let store: PostgresStore;
  const children = new Map<string, Child>();
  const savedEnv = { ...process.env };

  function configFor(replicaId: string): string {
    const cluster = `service:\n  cluster: { replicaId: ${replicaId}, leaseTimeout: 4s, heartbeatInterval: 1s }\n`;
    const config = `${demoConfig(sandbox.info).replace('service:\n', cluster)}store:\n  postgres:\n    url: ${url}\n`;
    const file = join(dir, `${replicaId}.config.yaml`);
    writeFileSync(file, config);
    return file;
  }

  function envFor(replicaId: string): NodeJS.ProcessEnv {
    const dataDir = join(dir, replicaId);
    mkdirSync(dataDir, { recursive: true });
    return { ...process.env, ...sandboxEnv(sandbox), CI: 'true', VIGIL_CONFIG: configFor(replicaId), VIGIL_DATA_DIR: dataDir };
  }

  function serve(replicaId: string, schedules: string): Child {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--port', '0', '--schedules', schedules], { env: envFor(replicaId), stdio: ['ignore', 'pipe', 'pipe'] });
    const record: Child = {
      id: replicaId,
      process: child,
      output: '',
      exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    };
    const keep = (chunk: Buffer) => (record.output = (record.output + chunk.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    children.set(replicaId, record);
    return record;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-takeover-'));
    mkdirSync(join(dir, 'sandbox'));
    sandbox = await startTestSandbox(loadScenario(fileURLToPath(DEMO_SCENARIO_URL)), { stateDir: join(dir, 'sandbox') });
    url = await (await startTestPostgres()).newDatabase();
    await warmLmsDatabase(sandbox);
    const { PostgresStore: Store } = await import('../../src/store/postgres.js');
    store = await Store.open({ url, poolSize: 2 });
    // The SDK in this process (the check that no drill instance is left) finds the sandbox as a user's would.
    Object.assign(process.env, sandboxEnv(sandbox));
    delete process.env['AWS_PROFILE'];
  }, 60_000);

  afterAll(async () => {
    for (const child of children.values()) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await Promise.all([...children.values()].map((c) => c.exited));
    await store?.close();
    await sandbox?.stop();
    process.env = savedEnv;
  });

  it('sweeps the killed replica\'s drill and completes the drill on the other replica', async () => {
    const schedules = mkdtempSync(join(dir, 'schedules-'));
    writeFileSync(join(schedules, 'drill-lms-prod.yaml'), DRILL_SCHEDULE);
    for (const id of REPLICAS) serve(id, schedules);
    const dump = () => [...children.values()].map((c) => `--- ${c.id}\n${c.output}`).join('\n');

    // Whichever replica won the catch-up is killed once its restore is under way.
    const first = await waitFor('a drill to request its restore', async () => (await store.listDrills()).find((d) => d.phases.some((p) => p.name === 'restore-requested'))).catch((err: Error) => {
      throw new Error(`${err.message}\n${dump()}`);
    });
    const killed = children.get(first.owner) as Child;
    killed.process.kill('SIGKILL');
    const survivor = REPLICAS.find((id) => id !== first.owner) as string;
    const lease = await waitFor('the other replica to finish the occurrence', async () => (await store.cluster.listLeases({ kind: 'schedule', subject: 'drill-lms-prod', status: 'done' }))[0]).catch((err: Error) => {
      throw new Error(`${err.message}\n${dump()}`);
    });

    expect(await killed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(lease).toMatchObject({ owner: survivor, previousOwner: first.owner, claims: 2, outcome: 'completed' });
    const drills = await store.listDrills();
    expect(drills.map((d) => [d.id === first.id ? 'first' : 'second', d.status, d.owner]).sort()).toEqual([
      ['first', 'aborted', first.owner],
      ['second', 'succeeded', survivor],
    ]);
    const swept = (await store.getDrill(first.id)) as DrillRecord;
    expect(swept.status).toBe('aborted');
    expect(swept.phases.map((p) => p.name)).toContain('swept');
    expect(swept.failure).toContain(`the process running this drill (${first.owner}) stopped (its replica stopped heartbeating, or restarted); the sweep deleted `);
    const runs = await store.listRuns({ kind: 'job' });
    expect(runs.map((r) => [r.status, r.summary['owner']]).sort()).toEqual([
      ['aborted', first.owner],
      ['succeeded', survivor],
    ].sort());
    const app = await createApp({ configFile: join(dir, `${survivor}.config.yaml`), dataDir: join(dir, survivor), env: process.env });
    try {
      const { platform } = await createDrillDeps(app);
      const account = app.config.accounts[0] as AccountConfig;
      for (const region of [...account.regions, account.drRegion as string]) expect(await platform.drillInstances(account, region)).toEqual([]);
    } finally {
      await app.close();
    }

    const status = await runCli(['cluster', 'status', '-o', 'json'], { env: envFor(survivor) });
    expect(status.code).toBe(0);
    const shown = JSON.parse(status.stdout) as ClusterStatus;
    expect(shown.replicas.map((r) => [r.id, r.state])).toEqual(REPLICAS.map((id) => [id, id === survivor ? 'live' : 'expired']));
    expect(shown.recent.find((l) => l.key === lease.key)).toMatchObject({ owner: survivor, takenOver: true, previousOwner: first.owner });

    const stopping = children.get(survivor) as Child;
    stopping.process.kill('SIGTERM');
    expect(await stopping.exited).toEqual({ code: 0, signal: null });
    expect((await store.cluster.listReplicas()).find((r) => r.id === survivor)?.stoppedAt).toBeDefined();
  }, 240_000);
});
