/**
 * Two `vigil serve` replicas on one PostgreSQL database against the demo sandbox: the check schedule's
 * window rule fires on both at start, one replica claims the occurrence and splits the run into account
 * units, the replicas work them, and the run's verdicts equal a run in one process.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { runChecks } from '../../src/checks/run.js';
import { SCAN_UNIT } from '../../src/checks/scan-units.js';
import { demoConfig } from '../../src/cli/commands/demo.js';
import type { CheckResult } from '../../src/core/results.js';
import { sandboxEnv } from '../../src/sandbox/index.js';
import { DEMO_SCENARIO_URL, loadScenario } from '../../src/sandbox/scenario.js';
import { checkRunDeps, loadJobDefinitions } from '../../src/service/jobs.js';
import { startService, type RunningService } from '../../src/service/serve.js';
import { skipWithoutPostgres, startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';

const SCHEDULE = `name: backup-checks
description: Backup checks, daily, and at once when none succeeded today
cron: "30 4 * * *"
timeZone: UTC
job: { kind: checks, checks: [rds-*, ebs-*, s3-*] }
ensure: { successWithin: 1d }
`;

const tuple = (r: CheckResult) => [r.checkId, r.accountId, r.region, r.resource, r.status].join(' ');

describe.skipIf(skipWithoutPostgres)('vigil serve replicas on PostgreSQL', () => {
  let sandbox: TestSandbox;
  let postgres: TestPostgres;
  let restoreEnv: () => void;
  const apps: App[] = [];
  const services: RunningService[] = [];

  async function replica(name: string, url: string, schedulesDir: string): Promise<RunningService> {
    const dataDir = mkdtempSync(join(tmpdir(), `vigil-${name}-`));
    const config = demoConfig(sandbox.info).replace(
      'service:\n',
      `store:\n  postgres: { url: "${url}" }\nservice:\n  cluster: { replicaId: ${name}, leaseTimeout: 3s, heartbeatInterval: 500ms, scanUnitsInFlight: 1 }\n  port: 0\n`,
    );
    writeFileSync(join(dataDir, 'vigil.config.yaml'), config);
    const app = await createApp({ configFile: join(dataDir, 'vigil.config.yaml'), dataDir, env: process.env });
    apps.push(app);
    const service = await startService(app, { schedulesDir });
    services.push(service);
    return service;
  }

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-serve-replicas-'));
    mkdirSync(join(dir, 'sandbox'));
    sandbox = await startTestSandbox(loadScenario(fileURLToPath(DEMO_SCENARIO_URL)), { stateDir: join(dir, 'sandbox') });
    postgres = await startTestPostgres();
    const saved = { ...process.env };
    Object.assign(process.env, sandboxEnv(sandbox));
    delete process.env['AWS_PROFILE'];
    restoreEnv = () => {
      process.env = saved;
    };
  }, 60_000);

  afterAll(async () => {
    for (const s of services) await s.stop().catch(() => undefined);
    for (const a of apps) await a.close().catch(() => undefined);
    restoreEnv?.();
    await sandbox?.stop();
  });

  it('runs the scheduled check run once, split into account units, with the verdicts of one process', async () => {
    const url = await postgres.newDatabase();
    const schedulesDir = mkdtempSync(join(tmpdir(), 'vigil-schedules-'));
    writeFileSync(join(schedulesDir, 'backup-checks.yaml'), SCHEDULE);
    const [one] = await Promise.all([replica('replica-1', url, schedulesDir), replica('replica-2', url, schedulesDir)]);
    const store = (apps[0] as App).store();

    const job = await waitFor('the scheduled job run to finish', async () => (await store.listRuns({ kind: 'job', limit: 10 })).find((r) => r.status !== 'running'));
    const runId = String((job.summary['result'] as Record<string, unknown>)['checkRun']);
    expect(job.status).toBe('succeeded');
    expect(await store.listRuns({ kind: 'job', limit: 10 })).toHaveLength(1);
    const units = (await store.cluster?.listLeases({ kind: SCAN_UNIT, subject: runId })) ?? [];
    expect(units.map((u) => [u.key.split(':').pop(), u.status, u.claims, u.outcome])).toEqual([
      ['222222222222', 'done', 1, 'completed'],
      ['333333333333', 'done', 1, 'completed'],
    ]);
    expect(units.every((u) => u.owner === 'replica-1' || u.owner === 'replica-2')).toBe(true);

    const checks = loadJobDefinitions().checks;
    const checkIds = checks.filter((c) => c.enabled && /^(rds|ebs|s3)-/.test(c.id)).map((c) => c.id);
    const alone = await runChecks({ checkIds, trigger: 'cli' }, await checkRunDeps({ app: apps[0] as App, checks }));
    expect((await store.checkResults(runId)).map(tuple).sort()).toEqual(alone.results.map(tuple).sort());
    expect(one.replica?.id).toBe('replica-1');
  }, 120_000);
});
