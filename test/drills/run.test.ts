import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/checks/resources.js';
import { configSchema } from '../../src/config/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import { EnvironmentError } from '../../src/core/errors.js';
import type { AccountConfig } from '../../src/config/schema.js';
import type { CredentialSource, DatabaseConnector, DrillPlatform, RestoredInstance, RestoreRequest } from '../../src/drills/ports.js';
import { runDrill, type DrillDeps } from '../../src/drills/run.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { snapshot } from '../checks/fixtures.js';
import { FakeS3 } from './fake-s3.js';
import { definition } from './fixtures.js';

const START = new Date('2026-11-24T12:00:00.000Z');
const CONFIG = configSchema.parse({
  version: 1,
  accounts: [{ id: '222222222222', name: 'production', regions: ['us-east-1', 'us-west-2'], drRegion: 'us-west-2' }],
  drills: { pollIntervalSeconds: 60, maxWaitMinutes: 30 },
});

/** An RDS that takes `restoreMinutes` of the manual clock to restore and two polls to delete. */
class FakeRds implements DrillPlatform {
  instances = new Map<string, RestoredInstance & { readyAt: number; deletingSince?: number }>();
  calls: string[] = [];
  constructor(private readonly clock: ManualClock, private readonly restoreMinutes: number, private readonly points: Snapshot[]) {}
  async snapshots(_a: AccountConfig, region: string) {
    this.calls.push(`snapshots ${region}`);
    return this.points.filter((p) => p.region === region);
  }
  async restore(_a: AccountConfig, region: string, r: RestoreRequest) {
    this.calls.push(`restore ${region} ${r.snapshotId}`);
    this.instances.set(r.instanceId, { id: r.instanceId, status: 'creating', tags: r.tags, readyAt: this.clock.now().getTime() + this.restoreMinutes * 60_000 });
  }
  async describe(_a: AccountConfig, _r: string, id: string) {
    const i = this.instances.get(id);
    if (!i) return undefined;
    if (i.deletingSince !== undefined) {
      if (this.clock.now().getTime() - i.deletingSince >= 60_000) {
        this.instances.delete(id);
        return undefined;
      }
      return { ...i, status: 'deleting' };
    }
    return this.clock.now().getTime() >= i.readyAt ? { ...i, status: 'available', endpoint: { address: '127.0.0.1', port: 5432 } } : i;
  }
  async delete(_a: AccountConfig, _r: string, id: string) {
    this.calls.push(`delete ${id}`);
    const i = this.instances.get(id);
    if (i) i.deletingSince = this.clock.now().getTime();
  }
  async drillInstances() {
    return [...this.instances.values()];
  }
}

function deps(clock: ManualClock, platform: FakeRds, rows: Record<string, Array<Record<string, unknown>>>, overrides: Partial<DrillDeps> = {}): DrillDeps {
  const credentials: CredentialSource = { read: async () => ({ username: 'lms_admin', password: 'secret-password-value' }) };
  const connector: DatabaseConnector = {
    connect: async () => {
      clock.advance(2 * 60_000);
      return { query: async (sql) => rows[sql] ?? [], close: async () => undefined };
    },
  };
  return {
    config: CONFIG,
    platform,
    s3: new FakeS3(clock),
    credentials,
    connector,
    scripts: { run: async () => ({ exitCode: 0, output: '' }) },
    store: SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-drill-'))),
    clock,
    sleep: async (ms) => clock.advance(ms),
    root: '/',
    ...overrides,
  };
}

const COUNT = 'SELECT count(*) FROM learners';
const copy = (hours: number) => snapshot('lms-copy', new Date(START.getTime() - (hours - 1) * 3_600_000), { region: 'us-west-2', sourceRegion: 'us-east-1', dataAsOf: new Date(START.getTime() - hours * 3_600_000) });

describe('a restore drill', () => {
  it('measures RTO from request to verified and RPO from the recovery point, and tears down', async () => {
    const clock = new ManualClock(START);
    const platform = new FakeRds(clock, 20, [copy(5)]);
    const d = deps(clock, platform, { [COUNT]: [{ count: '1500' }] });

    const drill = await runDrill(definition(), { trigger: 'cli', actor: 'ops', reason: 'weekly' }, d);

    expect(drill.status).toBe('succeeded');
    // Polled every 60 s, the 20-minute restore is seen available at exactly 20 min; connecting takes 2 min.
    expect(drill.measures).toMatchObject({ rtoSeconds: 20 * 60 + 120, rpoSeconds: 5 * 3600, rtoTargetSeconds: 7200, rpoTargetSeconds: 86400 });
    expect(drill.phases.map((p) => p.name)).toEqual(['planned', 'restore-requested', 'available', 'connected', 'verified', 'delete-requested', 'deleted']);
    expect(platform.instances.size).toBe(0);
    expect(drill.recoveryPoint).toMatchObject({ id: 'lms-copy', region: 'us-west-2' });
  });

  it('fails when the RTO target is exceeded, and still tears down', async () => {
    const clock = new ManualClock(START);
    const platform = new FakeRds(clock, 150, [copy(5)]);
    const d = deps(clock, platform, { [COUNT]: [{ count: '1500' }] }, { config: { ...CONFIG, drills: { ...CONFIG.drills, maxWaitMinutes: 300 } } });

    const drill = await runDrill(definition(), { trigger: 'schedule' }, d);

    expect(drill.status).toBe('failed');
    expect(drill.failure).toMatch(/^RTO 2\.\d h exceeds the 2\.0 h target$/);
    expect(platform.instances.size).toBe(0);
  });

  it('fails verification with the reason, tears down, and raises a drill-failed signal', async () => {
    const clock = new ManualClock(START);
    const platform = new FakeRds(clock, 5, [copy(5)]);
    const d = deps(clock, platform, { [COUNT]: [{ count: '0' }] });

    const drill = await runDrill(definition(), { trigger: 'cli', reason: 'x' }, d);
    const signals = await d.store.listSignals({ kind: 'drill-failed' });

    expect(drill.failure).toBe('verification failed: learners came back: returned 0, expected at least 1.');
    expect(drill.phases.map((p) => p.name)).toContain('deleted');
    expect(signals).toEqual([expect.objectContaining({ key: 'drill:lms-prod', summary: `Restore drill lms-prod failed: ${drill.failure}` })]);
  });

  it('fails before creating anything when the instance class is not allowed', async () => {
    const clock = new ManualClock(START);
    const platform = new FakeRds(clock, 5, [copy(5)]);
    const d = deps(clock, platform, {});

    const drill = await runDrill(definition({ restore: { instanceClass: 'db.r6g.16xlarge' } }), { trigger: 'cli', reason: 'x' }, d);

    expect(drill.failure).toContain('instance class db.r6g.16xlarge is not in drills.allowedInstanceClasses');
    expect(platform.calls.filter((c) => c.startsWith('restore'))).toEqual([]);
  });

  it('tears down when Vault denies the credentials', async () => {
    const clock = new ManualClock(START);
    const platform = new FakeRds(clock, 5, [copy(5)]);
    const d = deps(clock, platform, {}, { credentials: { read: async () => Promise.reject(new Error('Vault denied access (permission denied)')) } });

    const drill = await runDrill(definition(), { trigger: 'cli', reason: 'x' }, d);

    expect(drill.failure).toBe('Vault did not give credentials from secret/data/rds/lms-prod: Vault denied access (permission denied)');
    expect(platform.instances.size).toBe(0);
  });

  it('refuses to delete an instance whose tags are no longer this run\'s', async () => {
    const clock = new ManualClock(START);
    const platform = new FakeRds(clock, 5, [copy(5)]);
    const d = deps(clock, platform, { [COUNT]: [{ count: '9' }] }, {
      onPhase: (phase) => {
        // Someone re-tags the throwaway instance while the drill verifies it.
        if (phase === 'connected') for (const i of platform.instances.values()) i.tags = { owner: 'someone-else' };
      },
    });

    const drill = await runDrill(definition(), { trigger: 'cli', reason: 'x' }, d);

    expect(drill.failure).toMatch(/teardown refused: vigil-drill-lms-prod-\w+ is not tagged as created by this drill .*Vigil will not delete it$/);
    expect(platform.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
    expect(platform.instances.size).toBe(1);
  });

  it('refuses to start beyond the concurrency limit', async () => {
    const clock = new ManualClock(START);
    const platform = new FakeRds(clock, 5, [copy(5)]);
    const d = deps(clock, platform, {}, { config: { ...CONFIG, drills: { ...CONFIG.drills, maxConcurrent: 1 } } });
    await d.store.createDrill({ id: 'other', target: 'x', accountId: '222222222222', region: 'us-east-1', status: 'running', trigger: 'cli', owner: '1@h', startedAt: START.toISOString(), heartbeatAt: START.toISOString(), phases: [], verification: [], measures: {} });

    const error = await runDrill(definition(), { trigger: 'cli', reason: 'x' }, d).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as Error).message).toBe('1 drill(s) already running (x other); the limit is drills.maxConcurrent = 1');
  });
});
