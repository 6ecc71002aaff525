import { afterEach, describe, expect, it } from 'vitest';
import { HOUR_MS, ManualClock } from '../../../src/core/clock.js';
import { clearSecrets, registerSecret } from '../../../src/core/redact.js';
import { deadlines, DEFAULT_SLA_POLICY } from '../../../src/incidents/sla.js';
import { openIncident } from '../../../src/incidents/transitions.js';
import { clockView, loadOverview, measureView } from '../../../src/service/web/overview-data.js';
import type { SqliteStore } from '../../../src/store/sqlite.js';
import { NOW, SCHEDULES, seedPlatform, tempStore } from './fixtures.js';

const stores: SqliteStore[] = [];
async function seeded(): Promise<{ s: SqliteStore; clock: ManualClock }> {
  const s = tempStore();
  stores.push(s);
  return { s, clock: await seedPlatform(s) };
}
afterEach(async () => {
  clearSecrets();
  for (const s of stores.splice(0)) await s.close();
});

const OPTIONS = { policy: DEFAULT_SLA_POLICY, schedules: async () => SCHEDULES };

describe('loadOverview', () => {
  it('shows each open incident with its three SLA clocks: missed, warned and running', async () => {
    const { s, clock } = await seeded();

    const view = await loadOverview(s, clock, OPTIONS);

    expect(view.incidents.map((i) => [i.id, i.severity, i.state, i.commander, i.reportedAtText])).toEqual([['INC-1', 'SEV2', 'Investigating', 'oncall-bob', '2026-03-14 06:00 UTC']]);
    expect(view.incidents[0]?.clocks.map((c) => [c.label, c.level, c.dueAtText, c.detail])).toEqual([
      ['work begins', 'breached', '2026-03-14 08:00 UTC', 'met 2026-03-14 08:30 UTC, 30 min late'],
      ['temporary solution', 'warning', '2026-03-16 06:00 UTC', 'due in 18.0 h'],
      ['final resolution', 'running', '2026-03-28 06:00 UTC', 'due in 12.8 d'],
    ]);
  });

  it('counts the latest finished check run by status and lists failures before errors, worst first', async () => {
    const { s, clock } = await seeded();

    const { checks } = await loadOverview(s, clock, OPTIONS);

    expect(checks.run).toMatchObject({ id: 'run-latest', status: 'failed', trigger: 'schedule', startedAtText: '2026-03-15 03:00 UTC' });
    expect(checks.running).toBeNull();
    expect(checks.counts).toEqual([
      { status: 'pass', count: 2 },
      { status: 'fail', count: 2 },
      { status: 'error', count: 1 },
      { status: 'not_applicable', count: 0 },
      { status: 'manual', count: 0 },
    ]);
    expect(checks.failures.map((f) => [f.checkId, f.status, f.severity, f.resource])).toEqual([
      ['rds-snapshot-daily', 'fail', 'high', 'reporting-prod'],
      ['rds-deletion-protection', 'fail', 'medium', 'reporting-prod'],
      ['rds-snapshot-encrypted', 'error', 'critical', 'analytics-prod'],
    ]);
    expect(checks.moreFailures).toBe(0);
  });

  it('keeps showing the last finished run while a newer one is running, and caps the failures listed', async () => {
    const { s, clock } = await seeded();
    await s.startRun({ id: 'run-now', kind: 'check', startedAt: '2026-03-15T11:55:00.000Z', trigger: 'api' });

    const { checks } = await loadOverview(s, clock, { ...OPTIONS, maxFailures: 1 });

    expect(checks.run?.id).toBe('run-latest');
    expect(checks.running).toEqual({ id: 'run-now', startedAtText: '2026-03-15 11:55 UTC' });
    expect(checks.failures.map((f) => f.checkId)).toEqual(['rds-snapshot-daily']);
    expect(checks.moreFailures).toBe(2);
  });

  it('shows the last drill of each target with RTO and RPO against target, and the last success of a failed one', async () => {
    const { s, clock } = await seeded();

    const { drills } = await loadOverview(s, clock, OPTIONS);

    expect(drills.map((d) => [d.target, d.id, d.status, d.rto.text, d.rpo.text, d.lastSuccessText])).toEqual([
      ['lms-prod', 'drill-1', 'succeeded', 'RTO 25 min / target 60 min, within target', 'RPO 50 min / target 24.0 h, within target', null],
      ['reporting-prod', 'drill-3', 'failed', 'RTO 90 min / target 60 min, over target', 'RPO 67 min / target 24.0 h, within target', 'last success 2026-03-01 04:00 UTC (drill-2)'],
    ]);
    expect(drills[1]?.failure).toBe('RTO 90 min exceeds the 60 min target');
  });

  it('lists the schedules by next run', async () => {
    const { s, clock } = await seeded();

    const { schedules } = await loadOverview(s, clock, OPTIONS);

    expect(schedules).toEqual({
      error: null,
      items: [
        { name: 'sla-sweep', job: 'incidents', nextRunText: '2026-03-15 12:01 UTC', nextRunRelative: 'in 60 s', lastRunText: null },
        { name: 'retention-daily', job: 'checks:retention', nextRunText: '2026-03-16 03:00 UTC', nextRunRelative: 'in 15.0 h', lastRunText: '2026-03-15 03:00 UTC (failed)' },
        { name: 'drills-weekly', job: 'drills', nextRunText: '2026-03-19 04:00 UTC', nextRunRelative: 'in 3.7 d', lastRunText: null },
      ],
    });
  });

  it('shows the rest when the schedules cannot be read, with secrets masked in the reason', async () => {
    const { s, clock } = await seeded();
    registerSecret('s3cr3t-token-value');

    const view = await loadOverview(s, clock, { ...OPTIONS, schedules: () => Promise.reject(new Error('scheduler refused token s3cr3t-token-value')) });

    expect(view.schedules).toEqual({ items: [], error: 'could not read the schedules: scheduler refused token ****' });
    expect(view.incidents).toHaveLength(1);
  });

  it('is empty but whole on an empty store', async () => {
    const s = tempStore();
    stores.push(s);

    const view = await loadOverview(s, new ManualClock(NOW), { policy: DEFAULT_SLA_POLICY, schedules: async () => [] });

    expect(view).toMatchObject({ incidents: [], drills: [], checks: { run: null, running: null, counts: [], failures: [], moreFailures: 0 }, schedules: { items: [], error: null } });
  });
});

describe('clockView', () => {
  const opened = (severity: 'sev1' | 'sev4') =>
    openIncident({ id: 'INC-9', severity, title: 'Down', components: ['Web app'], classification: { explanation: 'test' } }, { actor: 'a', reason: 'r', clock: new ManualClock(NOW) }, DEFAULT_SLA_POLICY);

  it('reads a clock with no target for the severity as none', () => {
    const reading = deadlines(opened('sev4'), DEFAULT_SLA_POLICY, new ManualClock(NOW)).workBegins;

    const view = clockView(reading, false, new Date(NOW));

    expect(view).toEqual({ clock: 'workBegins', label: 'work begins', level: 'none', levelLabel: 'No target', dueAt: null, dueAtText: null, detail: 'no target for SEV4' });
  });

  it('reads an unmet clock past its deadline as breached, with how late', () => {
    const later = new ManualClock(Date.parse(NOW) + 2 * HOUR_MS);
    const reading = deadlines(opened('sev1'), DEFAULT_SLA_POLICY, later).workBegins;

    const view = clockView(reading, true, later.now());

    expect(view).toMatchObject({ level: 'breached', dueAtText: '2026-03-15 13:00 UTC', detail: 'overdue by 60 min' });
  });
});

describe('measureView', () => {
  it.each([
    [1_500, 3_600, 'within', 'RTO 25 min / target 60 min, within target'],
    [3_600, 3_600, 'within', 'RTO 60 min / target 60 min, within target'],
    [5_400, 3_600, 'over', 'RTO 90 min / target 60 min, over target'],
    [undefined, 3_600, 'unmeasured', 'RTO not measured / target 60 min'],
    [90, undefined, 'unmeasured', 'RTO 90 s / target none'],
  ] as const)('%s s against %s s is %s', (actual, target, verdict, text) => {
    const view = measureView('RTO', actual, target);

    expect([view.verdict, view.text]).toEqual([verdict, text]);
  });
});
