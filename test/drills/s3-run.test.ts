import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import type { DrillPlatform } from '../../src/drills/ports.js';
import { planDrill, runDrill, type DrillDeps } from '../../src/drills/run.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { FakeS3 } from './fake-s3.js';
import { s3Definition } from './fixtures.js';

const START = new Date('2026-11-24T12:00:00.000Z');
const daysAgo = (d: number) => new Date(START.getTime() - d * 86_400_000);
const CONFIG = configSchema.parse({ version: 1, accounts: [{ id: '222222222222', name: 'production', regions: ['us-east-1'] }] });
const SOURCE = 'content-prod';
const SCRATCH = 'scratch';

/** Three course packages written three times, a catalog written once, and a deleted course. */
function bucket(clock: ManualClock): FakeS3 {
  const s3 = new FakeS3(clock, 2_000);
  for (const course of ['a', 'b', 'c']) {
    for (const age of [30, 10, 1]) s3.put(SOURCE, `courses/${course}.zip`, `${course} as of ${age} days ago`, daysAgo(age));
  }
  s3.put(SOURCE, 'courses/catalog.json', '{"courses": 3}', daysAgo(1));
  s3.put(SOURCE, 'courses/legacy.zip', 'the retired course', daysAgo(50));
  s3.deleteMarker(SOURCE, 'courses/legacy.zip', daysAgo(5));
  return s3;
}

const noRds = new Proxy({}, { get: () => () => Promise.reject(new Error('an S3 drill does not call RDS')) }) as DrillPlatform;

function deps(clock: ManualClock, s3: FakeS3, overrides: Partial<DrillDeps> = {}): DrillDeps {
  return {
    config: CONFIG,
    platform: noRds,
    s3,
    credentials: undefined,
    connector: { connect: () => Promise.reject(new Error('an S3 drill does not connect to a database')) },
    scripts: { run: () => Promise.reject(new Error('an S3 drill runs no scripts')) },
    store: SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-s3-drill-'))),
    clock,
    sleep: async (ms) => clock.advance(ms),
    // The first draw of every choice: reservoir slot 0, the newest noncurrent version.
    random: () => 0,
    root: '/',
    ...overrides,
  };
}

const drill = (restore: Record<string, unknown> = {}, targets: Record<string, unknown> = {}) =>
  s3Definition({ restore: { scratchBucket: SCRATCH, sample: 2, recoveryPoint: 'latest', ...restore }, targets: { rto: '15m', rpo: '60d', ...targets } });

describe('an S3 restore drill', () => {
  it('restores sampled versions, verifies their checksums, measures, and deletes exactly what it created', async () => {
    const clock = new ManualClock(START);
    const s3 = bucket(clock);
    const live = s3.listing(SOURCE);

    const record = await runDrill(drill(), { trigger: 'cli', actor: 'ops', reason: 'weekly' }, deps(clock, s3));

    expect([record.status, record.failure]).toEqual(['succeeded', undefined]);
    expect(record.phases.map((p) => p.name)).toEqual(['planned', 'restore-requested', 'available', 'verified', 'deleted']);
    // Reservoir draws of 0 keep replacing slot 0: the last eligible key, legacy.zip, and b.zip stay.
    expect(record.verification.map((v) => [v['name'], v['versionId'], v['state'], v['passed']])).toEqual([
      ['courses/b.zip', 'v5', 'overwritten', true],
      ['courses/legacy.zip', 'v11', 'deleted', true],
    ]);
    expect(record.verification[0]).toMatchObject({
      expected: { algorithm: 'SHA256', size: 19 },
      observed: { algorithm: 'SHA256', size: 19 },
      copy: { bucket: SCRATCH, key: `vigil-drill/${record.id}/courses/b.zip` },
    });
    expect((record.verification[0]?.['observed'] as { checksum: string }).checksum).toBe((record.verification[0]?.['expected'] as { checksum: string }).checksum);
    // Two copies of two seconds each; the oldest version restored was written 50 days before.
    expect(record.measures).toMatchObject({ rtoSeconds: 4, rpoSeconds: 50 * 86_400, rtoTargetSeconds: 900, rpoTargetSeconds: 60 * 86_400 });
    expect(record.restoredResource).toBe(`s3://${SCRATCH}/vigil-drill/${record.id}/`);
    expect(record.recoveryPoint).toMatchObject({ id: '2 noncurrent versions in s3://content-prod/courses/', createdAt: daysAgo(50).toISOString() });
    expect(s3.listing(SCRATCH)).toEqual([]);
    expect(s3.listing(SOURCE)).toEqual(live);
    expect(s3.calls.filter((c) => c.startsWith('delete'))).toEqual([`delete vigil-drill/${record.id}/courses/b.zip@v13`, `delete vigil-drill/${record.id}/courses/legacy.zip@v14`]);
  });

  it('fails on a checksum mismatch, naming the object, and still tears down', async () => {
    const clock = new ManualClock(START);
    const s3 = bucket(clock);
    s3.corrupt = (key) => (key === 'courses/legacy.zip' ? Buffer.from('the retired cours3') : undefined);
    const d = deps(clock, s3);

    const record = await runDrill(drill(), { trigger: 'schedule' }, d);
    const signals = await d.store.listSignals({ kind: 'drill-failed' });

    expect(record.status).toBe('failed');
    expect(record.failure).toMatch(
      new RegExp(`^verification failed: courses/legacy\\.zip \\(version v11, written ${daysAgo(50).toISOString().replace(/\./g, '\\.')}\\): the restored copy's SHA256 is \\S+, but S3 recorded \\S+ when the version was written\\.$`),
    );
    expect(record.verification.map((v) => [v['name'], v['passed']])).toEqual([
      ['courses/b.zip', true],
      ['courses/legacy.zip', false],
    ]);
    expect(record.phases.map((p) => p.name)).toEqual(['planned', 'restore-requested', 'available', 'deleted']);
    expect(record.measures['rtoSeconds']).toBeUndefined();
    expect(s3.listing(SCRATCH)).toEqual([]);
    expect(signals).toEqual([expect.objectContaining({ key: 'drill:course-content', summary: `Restore drill course-content failed: ${record.failure}` })]);
  });

  it('refuses to delete a copy whose tags are no longer this run\'s, deletes the rest, and raises a signal', async () => {
    const clock = new ManualClock(START);
    const s3 = bucket(clock);
    const d = deps(clock, s3, {
      onPhase: (phase) => {
        // Someone re-tags one copy while the drill verifies.
        if (phase !== 'available') return;
        for (const [key, versions] of s3.buckets.get(SCRATCH) ?? []) if (key.endsWith('b.zip')) for (const v of versions) v.tags = { owner: 'someone-else' };
      },
    });

    const record = await runDrill(drill(), { trigger: 'cli', reason: 'x' }, d);
    const signals = await d.store.listSignals({ kind: 'drill-failed' });

    expect(record.status).toBe('failed');
    expect(record.failure).toBe(
      `teardown refused: s3://${SCRATCH}/vigil-drill/${record.id}/courses/b.zip (version v13) is not tagged as created by this drill (vigil:managed-by=absent, vigil:drill-run=absent); Vigil will not delete it`,
    );
    expect(record.phases.map((p) => p.name)).toEqual(['planned', 'restore-requested', 'available', 'verified']);
    expect(s3.calls.filter((c) => c.startsWith('delete'))).toEqual([`delete vigil-drill/${record.id}/courses/legacy.zip@v14`]);
    expect(s3.listing(SCRATCH)).toEqual([`vigil-drill/${record.id}/courses/b.zip@v13`]);
    expect(signals.map((s) => s.summary)).toEqual([`Restore drill course-content failed: ${record.failure}`]);
  });

  it('refuses a scratch location that replication copies elsewhere, before creating anything', async () => {
    const clock = new ManualClock(START);
    const s3 = bucket(clock);
    s3.replication[SOURCE] = [{ id: 'content-to-dr', enabled: true, prefix: '', tags: {}, destination: 'content-dr' }];

    const record = await runDrill(drill({ scratchBucket: undefined, scratchPrefix: 'vigil-drill/' }), { trigger: 'cli', reason: 'x' }, deps(clock, s3));

    expect(record.failure).toBe(
      'replication rule content-to-dr of content-prod would copy drill objects under vigil-drill/ to content-dr, where deleting them here does not reach; set restore.scratchBucket to a bucket without replication',
    );
    expect(record.phases.map((p) => p.name)).toEqual(['planned']);
    expect(s3.calls.filter((c) => c.startsWith('copy'))).toEqual([]);
  });

  it('fails with the reason when no object has a version to restore', async () => {
    const clock = new ManualClock(START);
    const s3 = new FakeS3(clock);
    s3.put(SOURCE, 'courses/only.zip', 'one version', daysAgo(3));

    const record = await runDrill(drill(), { trigger: 'cli', reason: 'x' }, deps(clock, s3));

    expect(record.failure).toBe('no object under s3://content-prod/courses/ has a noncurrent version to restore for recovery point latest (1 keys listed)');
  });

  it('fails an object whose version vanished after it was listed, verifies the others, and cleans up', async () => {
    const clock = new ManualClock(START);
    const s3 = bucket(clock);
    const head = s3.head.bind(s3);
    s3.head = async (a, r, ref) => (ref.key === 'courses/b.zip' ? undefined : head(a, r, ref));

    const record = await runDrill(drill(), { trigger: 'cli', reason: 'x' }, deps(clock, s3));

    expect(record.failure).toBe(
      `verification failed: courses/b.zip (version v5, written ${daysAgo(10).toISOString()}): cannot be verified: the version no longer exists (a lifecycle rule may have expired it since it was listed).`,
    );
    expect(record.verification.map((v) => [v['name'], v['passed']])).toEqual([
      ['courses/b.zip', false],
      ['courses/legacy.zip', true],
    ]);
    expect(s3.calls.filter((c) => c.startsWith('copy'))).toEqual([`copy courses/legacy.zip@v11 -> ${SCRATCH}/vigil-drill/${record.id}/courses/legacy.zip`]);
    expect(s3.listing(SCRATCH)).toEqual([]);
  });

  it('reports a copy whose answer was lost as left for the sweep, without deleting what it cannot name', async () => {
    const clock = new ManualClock(START);
    const s3 = bucket(clock);
    s3.loseAnswerFor = (key) => key === 'courses/legacy.zip';

    const record = await runDrill(drill(), { trigger: 'cli', reason: 'x' }, deps(clock, s3));

    expect(record.failure).toBe(
      `internal error: socket hang up; 1 version(s) this run did not record are left under s3://${SCRATCH}/vigil-drill/${record.id}/: s3://${SCRATCH}/vigil-drill/${record.id}/courses/legacy.zip (version v14) (the next drill command sweeps them)`,
    );
    expect(s3.listing(SCRATCH)).toEqual([`vigil-drill/${record.id}/courses/legacy.zip@v14`]);
  });

  it('fails the RPO target when the oldest version restored is older than it', async () => {
    const clock = new ManualClock(START);
    const s3 = bucket(clock);

    const record = await runDrill(drill({}, { rpo: '30d' }), { trigger: 'cli', reason: 'x' }, deps(clock, s3));

    expect(record.failure).toBe('RPO 50.0 d (age of the recovery point) exceeds the 30.0 d target');
    expect(s3.listing(SCRATCH)).toEqual([]);
  });

  it('plans with read-only calls: the sample, the scratch prefix and every call', async () => {
    const clock = new ManualClock(START);
    const s3 = bucket(clock);

    const planned = await planDrill(drill({ sample: 10 }), { trigger: 'cli', recoveryPoint: 'random:20d' }, deps(clock, s3), 'd-1');

    expect(planned.ok && planned.plan.kind === 's3-bucket' && planned.plan).toMatchObject({
      scratch: { bucket: SCRATCH, prefix: 'vigil-drill/d-1/' },
      objects: [
        { key: 'courses/a.zip', versionId: 'v2' },
        { key: 'courses/b.zip', versionId: 'v5' },
        { key: 'courses/c.zip', versionId: 'v8' },
      ],
      requested: 10,
      listedKeys: 5,
      eligibleKeys: 3,
      skipped: { 'outside-window': 4 },
    });
    expect(s3.calls.every((c) => c.startsWith('list'))).toBe(true);
  });

  it('refuses a recovery point or region override that only RDS drills know', async () => {
    const clock = new ManualClock(START);
    const d = deps(clock, bucket(clock));

    const snapshot = await planDrill(drill(), { trigger: 'cli', recoveryPoint: 'lms-prod-weekly' }, d);
    const region = await planDrill(drill(), { trigger: 'cli', fromRegion: 'us-west-2' }, d);

    expect(snapshot).toEqual({ ok: false, reason: 'recovery point lms-prod-weekly does not apply to an s3-bucket drill: expected latest, noncurrent or random:<n>d' });
    expect(region).toEqual({ ok: false, reason: "--from-region applies only to rds-instance drills; course-content restores within its bucket's region" });
  });
});
