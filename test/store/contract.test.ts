/**
 * The Store contract, held by SQLite and PostgreSQL alike: runs and check results, the latest results,
 * drills and signals, probes, tokens and evidence records. Incidents and the outbox are in
 * contract-incidents.test.ts, the ledger in contract-ledger.test.ts.
 */
import { expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import type { CheckResultRecord, DrillRecord, Signal } from '../../src/store/types.js';
import { describeStores } from '../helpers/stores.js';

const T0 = '2026-11-24T03:00:00.000Z';

function result(runId: string, n: number, overrides: Partial<CheckResultRecord> = {}): CheckResultRecord {
  return {
    runId,
    checkId: 'rds-backup-retention',
    accountId: '222222222222',
    region: 'us-east-1',
    resource: `arn:aws:rds:us-east-1:222222222222:db:db-${n}`,
    name: `db-${n}`,
    severity: 'high',
    remediation: 'runbooks/rds-backup-retention.md',
    status: 'pass',
    message: `db-${n} keeps automated backups for 30 days.`,
    facts: { retentionDays: 30, tags: { env: 'prod' } },
    params: { minDays: 30 },
    evaluatedAt: '2026-11-24T03:00:01.000Z',
    ...overrides,
  };
}

function drill(id: string, overrides: Partial<DrillRecord> = {}): DrillRecord {
  return {
    id,
    target: 'lms-prod',
    accountId: '222222222222',
    region: 'us-west-2',
    status: 'running',
    trigger: 'schedule',
    actor: 'scheduler',
    reason: 'weekly drill',
    owner: '4242@host',
    startedAt: '2026-11-24T04:00:00.000Z',
    heartbeatAt: '2026-11-24T04:00:00.000Z',
    phases: [{ name: 'planned', at: '2026-11-24T04:00:00.000Z' }],
    verification: [],
    measures: { rtoTargetSeconds: 14400, rpoTargetSeconds: 86400 },
    ...overrides,
  };
}

function signal(id: string, kind: string, raisedAt: string): Signal {
  return { id, kind, key: `${kind}:lms-prod`, source: 'test', raisedAt, summary: `${kind} happened`, payload: { target: 'lms-prod', nested: { n: 1 } } };
}

describeStores('store: runs and check results', ({ open, kind }) => {
  it('reports its kind and the newest schema version', async () => {
    const store = await open();

    expect(store.kind).toBe(kind);
    expect(await store.schemaVersion()).toBeGreaterThanOrEqual(7);
  });

  it('records a run with its results in order across appends, and finishes it once', async () => {
    const store = await open();
    await store.startRun({ id: 'run-1', kind: 'check', startedAt: T0, trigger: 'schedule', actor: 'scheduler', reason: 'daily retention checks' });

    await store.appendCheckResults([result('run-1', 1), result('run-1', 2, { status: 'fail' })]);
    await store.appendCheckResults([result('run-1', 3, { status: 'error', accountId: '333333333333' })]);
    const finished = await store.finishRun('run-1', 'failed', '2026-11-24T03:00:05.000Z', { pass: 1, fail: 1, error: 1 });
    const again = await store.finishRun('run-1', 'succeeded', '2026-11-24T03:00:06.000Z', {}).catch((e: unknown) => e);
    const missing = await store.finishRun('run-404', 'succeeded', '2026-11-24T03:00:06.000Z', {}).catch((e: unknown) => e);

    expect(finished).toEqual({
      id: 'run-1',
      kind: 'check',
      startedAt: T0,
      finishedAt: '2026-11-24T03:00:05.000Z',
      status: 'failed',
      trigger: 'schedule',
      actor: 'scheduler',
      reason: 'daily retention checks',
      summary: { pass: 1, fail: 1, error: 1 },
    });
    expect(await store.getRun('run-1')).toEqual(finished);
    expect(await store.checkResults('run-1')).toEqual([result('run-1', 1), result('run-1', 2, { status: 'fail' }), result('run-1', 3, { status: 'error', accountId: '333333333333' })]);
    expect(String(again)).toContain('run run-1 is already failed');
    expect(String(missing)).toContain('no run run-404');
  });

  it('writes all results of an append or none', async () => {
    const store = await open();
    await store.startRun({ id: 'run-1', kind: 'check', startedAt: T0, trigger: 'cli' });

    // The second result names a run that does not exist: the foreign key refuses it, and the first goes too.
    const failed = await store.appendCheckResults([result('run-1', 1), result('run-missing', 2)]).catch((e: unknown) => e);

    expect(failed).toBeInstanceOf(Error);
    expect(await store.checkResults('run-1')).toEqual([]);
  });

  it('lists runs newest first, by kind, status, start and schedule, with a limit', async () => {
    const store = await open();
    await store.startRun({ id: 'run-a', kind: 'check', startedAt: '2026-11-24T01:00:00.000Z', trigger: 'cli' });
    await store.startRun({ id: 'job-a', kind: 'job', startedAt: '2026-11-24T02:00:00.000Z', trigger: 'schedule', summary: { schedule: 'nightly-checks' } });
    await store.startRun({ id: 'job-b', kind: 'job', startedAt: '2026-11-24T03:00:00.000Z', trigger: 'schedule', summary: { schedule: 'weekly-drills' } });
    await store.startRun({ id: 'run-b', kind: 'check', startedAt: '2026-11-24T04:00:00.000Z', trigger: 'api' });
    await store.finishRun('run-a', 'succeeded', '2026-11-24T01:00:05.000Z', {});

    const ids = async (filter: Parameters<typeof store.listRuns>[0]) => (await store.listRuns(filter)).map((r) => r.id);

    expect(await ids({})).toEqual(['run-b', 'job-b', 'job-a', 'run-a']);
    expect(await ids({ kind: 'check' })).toEqual(['run-b', 'run-a']);
    expect(await ids({ status: 'running' })).toEqual(['run-b', 'job-b', 'job-a']);
    expect(await ids({ since: '2026-11-24T02:00:00.000Z' })).toEqual(['run-b', 'job-b', 'job-a']);
    expect(await ids({ schedule: 'weekly-drills' })).toEqual(['job-b']);
    expect(await ids({ limit: 2 })).toEqual(['run-b', 'job-b']);
  });

  it('gives the results of the newest run per check, account and region, and when each was last judged', async () => {
    const store = await open();
    await store.startRun({ id: 'run-1', kind: 'check', startedAt: '2026-11-24T01:00:00.000Z', trigger: 'cli' });
    await store.appendCheckResults([
      result('run-1', 1, { status: 'fail', evaluatedAt: '2026-11-24T01:00:01.000Z' }),
      result('run-1', 2, { region: 'eu-west-1', evaluatedAt: '2026-11-24T01:00:01.000Z' }),
      result('run-1', 3, { checkId: 'iam-root-mfa', accountId: null as unknown as string, region: null as unknown as string, evaluatedAt: '2026-11-24T01:00:01.000Z' }),
    ]);
    await store.startRun({ id: 'run-2', kind: 'check', startedAt: '2026-11-24T02:00:00.000Z', trigger: 'cli' });
    await store.appendCheckResults([result('run-2', 1, { evaluatedAt: '2026-11-24T02:00:01.000Z' }), result('run-2', 4, { status: 'error', evaluatedAt: '2026-11-24T02:00:02.000Z' })]);

    const latest = await store.latestCheckResults();
    const evaluations = await store.lastEvaluations(['rds-backup-retention', 'iam-root-mfa', 'unknown-check']);
    const none = await store.lastEvaluations([]);

    // Check, then account and region (a missing one first), then the order within the run.
    expect(latest.map((r) => [r.runId, r.checkId, r.accountId, r.region, r.name, r.status])).toEqual([
      ['run-1', 'iam-root-mfa', null, null, 'db-3', 'pass'],
      ['run-1', 'rds-backup-retention', '222222222222', 'eu-west-1', 'db-2', 'pass'],
      ['run-2', 'rds-backup-retention', '222222222222', 'us-east-1', 'db-1', 'pass'],
      ['run-2', 'rds-backup-retention', '222222222222', 'us-east-1', 'db-4', 'error'],
    ]);
    expect([...evaluations].sort((a, b) => `${a.checkId}${a.region}`.localeCompare(`${b.checkId}${b.region}`))).toEqual([
      { checkId: 'iam-root-mfa', accountId: null, region: null, at: '2026-11-24T01:00:01.000Z' },
      { checkId: 'rds-backup-retention', accountId: '222222222222', region: 'eu-west-1', at: '2026-11-24T01:00:01.000Z' },
      { checkId: 'rds-backup-retention', accountId: '222222222222', region: 'us-east-1', at: '2026-11-24T02:00:01.000Z' },
    ]);
    expect(none).toEqual([]);
  });
});

describeStores('store: drills and signals', ({ open }) => {
  it('creates, updates and finishes a drill with its signal, and lists drills', async () => {
    const store = await open();
    await store.createDrill(drill('drill-1'));
    await store.createDrill(drill('drill-0', { target: 'analytics-prod', startedAt: '2026-11-23T04:00:00.000Z', status: 'succeeded', finishedAt: '2026-11-23T04:30:00.000Z' }));

    const updated = await store.updateDrill('drill-1', {
      heartbeatAt: '2026-11-24T04:05:00.000Z',
      phases: [...drill('drill-1').phases, { name: 'restore-requested', at: '2026-11-24T04:05:00.000Z' }],
      recoveryPoint: { id: 'rp-1', arn: 'arn:aws:rds:us-west-2:222222222222:snapshot:rds:lms-prod-2026-11-24', createdAt: '2026-11-24T00:00:00.000Z', region: 'us-west-2', type: 'snapshot' },
      restoredResource: 'vigil-drill-1',
    });
    const failed = await store.finishDrillWithSignal(
      'drill-1',
      { status: 'failed', finishedAt: '2026-11-24T04:40:00.000Z', failure: 'the restored database has no tables', measures: { rtoSeconds: 2400 } },
      signal('sig-1', 'drill-failed', '2026-11-24T04:40:00.000Z'),
    );
    const missing = await store.updateDrill('drill-404', { status: 'aborted' }).catch((e: unknown) => e);

    expect(updated).toMatchObject({ restoredResource: 'vigil-drill-1', heartbeatAt: '2026-11-24T04:05:00.000Z', status: 'running' });
    expect(await store.getDrill('drill-1')).toEqual(failed);
    expect(failed).toEqual({
      ...drill('drill-1'),
      status: 'failed',
      heartbeatAt: '2026-11-24T04:05:00.000Z',
      finishedAt: '2026-11-24T04:40:00.000Z',
      phases: updated.phases,
      recoveryPoint: updated.recoveryPoint,
      restoredResource: 'vigil-drill-1',
      failure: 'the restored database has no tables',
      measures: { rtoSeconds: 2400 },
    });
    expect(await store.getDrill('drill-404')).toBeUndefined();
    expect(String(missing)).toContain('no drill drill-404');
    expect((await store.listDrills()).map((d) => d.id)).toEqual(['drill-1', 'drill-0']);
    expect((await store.listDrills({ target: 'analytics-prod' })).map((d) => d.id)).toEqual(['drill-0']);
    expect((await store.listDrills({ status: 'failed' })).map((d) => d.id)).toEqual(['drill-1']);
    expect((await store.listDrills({ limit: 1 })).map((d) => d.id)).toEqual(['drill-1']);
    expect(await store.listSignals()).toEqual([signal('sig-1', 'drill-failed', '2026-11-24T04:40:00.000Z')]);
  });

  it('rolls a drill back with its signal when the signal cannot be written', async () => {
    const store = await open();
    await store.createDrill(drill('drill-1'));
    await store.incidents.recordSignals([signal('sig-1', 'drill-failed', T0)]);

    const duplicate = await store.finishDrillWithSignal('drill-1', { status: 'failed', finishedAt: '2026-11-24T04:40:00.000Z' }, signal('sig-1', 'drill-failed', T0)).catch((e: unknown) => e);

    expect(duplicate).toBeInstanceOf(Error);
    expect((await store.getDrill('drill-1'))?.status).toBe('running');
  });

  it('gives the newest successful drill of each target', async () => {
    const store = await open();
    await store.createDrill(drill('d-1', { status: 'succeeded', startedAt: '2026-11-20T04:00:00.000Z', finishedAt: '2026-11-20T04:30:00.000Z' }));
    await store.createDrill(drill('d-2', { status: 'succeeded', startedAt: '2026-11-22T04:00:00.000Z', finishedAt: '2026-11-22T04:30:00.000Z' }));
    await store.createDrill(drill('d-3', { status: 'failed', startedAt: '2026-11-23T04:00:00.000Z', finishedAt: '2026-11-23T04:30:00.000Z' }));
    await store.createDrill(drill('d-4', { target: 'analytics-prod', status: 'succeeded', startedAt: '2026-11-21T04:00:00.000Z', finishedAt: '2026-11-21T04:30:00.000Z' }));

    const last = await store.lastSuccessfulDrills();

    expect(Object.fromEntries([...last].map(([target, d]) => [target, d.id]))).toEqual({ 'lms-prod': 'd-2', 'analytics-prod': 'd-4' });
  });

  it('lists signals oldest first, by kind and since', async () => {
    const store = await open();
    await store.incidents.recordSignals([signal('sig-2', 'probe-failed', '2026-11-24T05:00:00.000Z'), signal('sig-1', 'drill-failed', '2026-11-24T04:00:00.000Z')]);
    await store.incidents.recordSignals([signal('sig-1', 'drill-failed', '2026-11-24T04:00:00.000Z')]);

    expect((await store.listSignals()).map((s) => s.id)).toEqual(['sig-1', 'sig-2']);
    expect((await store.listSignals({ kind: 'probe-failed' })).map((s) => s.id)).toEqual(['sig-2']);
    expect((await store.listSignals({ since: '2026-11-24T04:30:00.000Z' })).map((s) => s.id)).toEqual(['sig-2']);
    expect((await store.incidents.unroutedSignals()).map((s) => s.id)).toEqual(['sig-1', 'sig-2']);
  });
});

describeStores('store: probes and tokens', ({ open }) => {
  it('keeps each probe\'s state and its observations', async () => {
    const store = await open();
    const observation = (probe: string, at: string, outcome: 'up' | 'down') => ({ probe, at, ok: outcome === 'up', outcome, latencyMs: 120, ...(outcome === 'down' ? { reason: 'status' as const, httpStatus: 503 } : {}) });

    await store.probes.save('api', { failures: 2, failingSince: T0, worst: 'down', muted: false });
    await store.probes.save('api', { failures: 0, lastObservedAt: '2026-11-24T03:05:00.000Z', muted: true });
    await store.probes.record(observation('api', '2026-11-24T03:00:00.000Z', 'down'));
    await store.probes.record(observation('web', '2026-11-24T03:01:00.000Z', 'up'));
    await store.probes.record(observation('api', '2026-11-24T03:02:00.000Z', 'up'));

    expect(await store.probes.load('api')).toEqual({ failures: 0, lastObservedAt: '2026-11-24T03:05:00.000Z', muted: true });
    expect(await store.probes.load('web')).toBeUndefined();
    expect((await store.probes.observations('2026-11-24T03:00:30.000Z')).map((o) => [o.probe, o.outcome])).toEqual([
      ['web', 'up'],
      ['api', 'up'],
    ]);
    expect(await store.probes.observations(T0, 'api')).toEqual([observation('api', '2026-11-24T03:00:00.000Z', 'down'), observation('api', '2026-11-24T03:02:00.000Z', 'up')]);
  });

  it('creates, finds, touches and revokes tokens; a name is never reused', async () => {
    const store = await open();
    const token = { id: 'tok-1', name: 'prometheus', role: 'auditor' as const, hash: 'a'.repeat(64), createdAt: T0, createdBy: 'alice', reason: 'metrics scraping' };
    await store.tokens.createToken(token);
    await store.tokens.createToken({ ...token, id: 'tok-2', name: 'ci', role: 'ops', hash: 'b'.repeat(64), createdAt: '2026-11-24T03:00:01.000Z' });

    await store.tokens.touchToken('tok-1', '2026-11-24T04:00:00.000Z');
    const revoked = await store.tokens.revokeToken('prometheus', { at: '2026-11-24T05:00:00.000Z', by: 'bob', reason: 'moved to a new scraper' });
    const twice = await store.tokens.revokeToken('prometheus', { at: '2026-11-24T05:00:01.000Z', by: 'bob', reason: 'again' });
    const reused = await store.tokens.createToken({ ...token, id: 'tok-3', hash: 'c'.repeat(64) }).catch((e: unknown) => e);

    const expected = { id: 'tok-1', name: 'prometheus', role: 'auditor', createdAt: T0, createdBy: 'alice', reason: 'metrics scraping', lastUsedAt: '2026-11-24T04:00:00.000Z', revokedAt: '2026-11-24T05:00:00.000Z', revokedBy: 'bob', revokeReason: 'moved to a new scraper' };
    expect(revoked).toEqual(expected);
    expect(twice).toBeUndefined();
    expect(reused).toBeInstanceOf(ConflictError);
    expect(await store.tokens.findByHash('a'.repeat(64))).toEqual({ ...expected, hash: 'a'.repeat(64) });
    expect(await store.tokens.findByHash('f'.repeat(64))).toBeUndefined();
    expect(await store.tokens.getToken('ci')).toMatchObject({ id: 'tok-2', role: 'ops' });
    expect((await store.tokens.listTokens()).map((t) => t.name)).toEqual(['prometheus', 'ci']);
  });
});

describeStores('store: evidence records and report queries', ({ open }) => {
  it('numbers attestations and waivers, lists them by period, and revokes a waiver once', async () => {
    const store = await open();
    const first = await store.evidence.createAttestation({ control: 'A.5.24', owner: 'alice', reason: 'incident process reviewed', at: '2026-01-10T00:00:00.000Z', actor: 'alice', expiresAt: '2026-07-10T00:00:00.000Z' });
    const second = await store.evidence.createAttestation({ control: 'A.7.1', owner: 'bob', reason: 'office badge audit', file: { name: 'badges.pdf', sha256: 'd'.repeat(64), bytes: 3_000_000_000 }, at: '2026-02-01T00:00:00.000Z', actor: 'bob' });
    const waiver = await store.evidence.createWaiver({ checkId: 'rds-backup-retention', resource: '*', reason: 'migration window', until: '2026-03-01T00:00:00.000Z', at: '2026-02-01T00:00:00.000Z', actor: 'carol' });

    const revoked = await store.evidence.revokeWaiver('wvr-1', { at: '2026-02-15T00:00:00.000Z', actor: 'dave', reason: 'migration done' });
    const again = await store.evidence.revokeWaiver('WVR-1', { at: '2026-02-16T00:00:00.000Z', actor: 'dave', reason: 'again' });

    expect([first.id, second.id, waiver.id]).toEqual(['ATT-1', 'ATT-2', 'WVR-1']);
    expect(await store.evidence.listAttestations({ control: 'A.7.1' })).toEqual([second]);
    expect((await store.evidence.listAttestations({ period: { from: '2026-08-01T00:00:00.000Z', to: '2026-09-01T00:00:00.000Z' } })).map((a) => a.id)).toEqual(['ATT-2']);
    expect(revoked).toEqual({ ...waiver, revokedAt: '2026-02-15T00:00:00.000Z', revokedBy: 'dave', revokeReason: 'migration done' });
    expect(again).toBeUndefined();
    expect(await store.evidence.getWaiver('wvr-1')).toEqual(revoked);
    expect(await store.evidence.listWaivers({ activeAt: '2026-02-10T00:00:00.000Z' })).toEqual([revoked]);
    expect(await store.evidence.listWaivers({ activeAt: '2026-02-20T00:00:00.000Z' })).toEqual([]);
    expect((await store.evidence.listWaivers({ checkId: 'rds-backup-retention', period: { from: '2026-02-10T00:00:00.000Z', to: '2026-02-11T00:00:00.000Z' } })).map((w) => w.id)).toEqual(['WVR-1']);
  });

  it('counts a period\'s results in the store, finds what was failing at its end, and streams them', async () => {
    const store = await open();
    await store.startRun({ id: 'run-1', kind: 'check', startedAt: '2026-11-01T01:00:00.000Z', trigger: 'schedule' });
    await store.appendCheckResults([
      result('run-1', 1, { status: 'fail', evaluatedAt: '2026-11-01T01:00:01.000Z' }),
      result('run-1', 2, { evaluatedAt: '2026-11-01T01:00:01.000Z' }),
      result('run-1', 3, { checkId: 'iam-root-mfa', status: 'manual', evaluatedAt: '2026-11-01T01:00:02.000Z' }),
    ]);
    await store.startRun({ id: 'run-2', kind: 'check', startedAt: '2026-11-02T01:00:00.000Z', trigger: 'schedule' });
    await store.appendCheckResults([
      result('run-2', 1, { status: 'fail', evaluatedAt: '2026-11-02T01:00:01.000Z' }),
      result('run-2', 2, { status: 'fail', evaluatedAt: '2026-11-02T01:00:01.000Z' }),
      result('run-2', 5, { status: 'error', evaluatedAt: '2026-11-02T01:00:01.000Z' }),
    ]);
    await store.createDrill(drill('drill-1', { startedAt: '2026-11-01T04:00:00.000Z' }));
    const period = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };

    const stats = await store.evidence.checkStats(period);
    const streamed: string[] = [];
    for await (const r of store.evidence.streamCheckResults(period)) streamed.push(`${r.runId}/${r.name}`);

    expect(stats).toEqual([
      { checkId: 'iam-root-mfa', runs: 1, evaluations: 1, pass: 0, fail: 0, error: 0, notApplicable: 0, manual: 1, lastEvaluatedAt: '2026-11-01T01:00:02.000Z' },
      { checkId: 'rds-backup-retention', runs: 2, evaluations: 5, pass: 1, fail: 3, error: 1, notApplicable: 0, manual: 0, lastEvaluatedAt: '2026-11-02T01:00:01.000Z' },
    ]);
    expect(await store.evidence.checkRunCount(period)).toBe(2);
    expect((await store.evidence.failingAtEnd(period)).map((r) => `${r.runId}/${r.name}`)).toEqual(['run-2/db-1', 'run-2/db-2']);
    expect(await store.evidence.dailyCheckCounts(period)).toEqual([
      { day: '2026-11-01', pass: 1, fail: 1 },
      { day: '2026-11-02', pass: 0, fail: 2 },
    ]);
    expect((await store.evidence.drillsIn(period)).map((d) => d.id)).toEqual(['drill-1']);
    expect(await store.evidence.incidentsIn(period)).toEqual([]);
    expect(streamed).toEqual(['run-1/db-1', 'run-1/db-2', 'run-1/db-3', 'run-2/db-1', 'run-2/db-2', 'run-2/db-5']);
  });
});
