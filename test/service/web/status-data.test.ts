import { afterEach, describe, expect, it, vi } from 'vitest';
import { DAY_MS, ManualClock, MINUTE_MS } from '../../../src/core/clock.js';
import type { ProbeState } from '../../../src/incidents/probes.js';
import { approveStatusPage, act, openManually } from '../../../src/incidents/service.js';
import type { Incident } from '../../../src/incidents/types.js';
import {
  componentStatus,
  loadStatusPage,
  overallStatus,
  percentText,
  publicIncident,
  type ComponentFacts,
  type StatusPageView,
} from '../../../src/service/web/status-data.js';
import { calendarDays, UptimeCache } from '../../../src/service/web/uptime.js';
import type { SqliteStore } from '../../../src/store/sqlite.js';
import { FIRST_DAY, incidentDeps, INCIDENT_TITLE, INTERNAL_NOTE, NOW, OUTAGE_DAY, PROBES, PUBLIC_REASON, seedPlatform, seedProbes, tempStore } from './fixtures.js';

const stores: SqliteStore[] = [];
function store(): SqliteStore {
  const s = tempStore();
  stores.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

const OPTIONS = { title: 'CourseCraft status', components: ['Web app', 'API'], probes: PROBES };

describe('componentStatus', () => {
  const now = new Date(NOW);
  const probe = { name: 'web', component: 'Web app', intervalMs: MINUTE_MS };
  const fresh = (componentStatus?: ProbeState['componentStatus']): ProbeState => ({
    failures: 0,
    muted: false,
    lastObservedAt: new Date(now.getTime() - MINUTE_MS).toISOString(),
    ...(componentStatus ? { componentStatus } : {}),
  });
  const facts = (overrides: Partial<ComponentFacts>): ComponentFacts => ({ inMaintenance: false, incidentSeverities: [], probes: [{ probe, state: fresh('operational') }], now, ...overrides });

  it.each([
    ['maintenance in progress beats a Sev1', facts({ inMaintenance: true, incidentSeverities: ['sev1'] }), 'under_maintenance'],
    ['an open Sev1 is a major outage', facts({ incidentSeverities: ['sev1'] }), 'major_outage'],
    ['an open Sev2 is a partial outage', facts({ incidentSeverities: ['sev2'] }), 'partial_outage'],
    ['an open Sev3 is degraded performance', facts({ incidentSeverities: ['sev3'] }), 'degraded_performance'],
    ['the worst of several incidents', facts({ incidentSeverities: ['sev3', 'sev1', 'sev2'] }), 'major_outage'],
    ['a declared Sev3 wins over probes that see the endpoint down', facts({ incidentSeverities: ['sev3'], probes: [{ probe, state: fresh('major_outage') }] }), 'degraded_performance'],
    ['a Sev4 leaves it to the probes', facts({ incidentSeverities: ['sev4'], probes: [{ probe, state: fresh('major_outage') }] }), 'major_outage'],
    ['no incident: the probes confirmed status', facts({}), 'operational'],
    ['the worst of the component probes', facts({ probes: [{ probe, state: fresh('operational') }, { probe: { ...probe, name: 'web-2' }, state: fresh('degraded_performance') }] }), 'degraded_performance'],
    ['a probe that has not confirmed a status says nothing', facts({ probes: [{ probe, state: fresh(undefined) }] }), 'unknown'],
    ['a probe never run says nothing', facts({ probes: [{ probe, state: undefined }] }), 'unknown'],
    ['a component without probes is unknown', facts({ probes: [] }), 'unknown'],
    [
      'a stale probe says nothing',
      facts({ probes: [{ probe, state: { ...fresh('operational'), lastObservedAt: new Date(now.getTime() - 3 * MINUTE_MS - MINUTE_MS - 1).toISOString() } }] }),
      'unknown',
    ],
  ] as const)('%s', (_name, input, expected) => {
    const status = componentStatus(input);

    expect(status).toBe(expected);
  });
});

describe('overallStatus', () => {
  it.each([
    [['operational', 'operational'], 'operational'],
    [['operational', 'partial_outage', 'degraded_performance'], 'partial_outage'],
    [['operational', 'under_maintenance'], 'under_maintenance'],
    [['operational', 'unknown'], 'unknown'],
    [['unknown', 'major_outage'], 'major_outage'],
    [[], 'unknown'],
  ] as const)('%j -> %s', (statuses, expected) => {
    expect(overallStatus(statuses)).toBe(expected);
  });
});

describe('percentText', () => {
  it.each([
    [100, '100%'],
    [99.999, '99.99%'],
    [99.5, '99.5%'],
    [95.833, '95.83%'],
    [0, '0%'],
  ])('%d -> %s (never rounds up)', (percent, expected) => {
    expect(percentText(percent)).toBe(expected);
  });
});

describe('calendarDays', () => {
  it('ends with the day of now in the zone, oldest first', () => {
    const now = new Date('2026-03-15T02:00:00Z');

    const utc = calendarDays(now, 3, 'UTC');
    const newYork = calendarDays(now, 3, 'America/New_York');

    expect(utc).toEqual(['2026-03-13', '2026-03-14', '2026-03-15']);
    expect(newYork).toEqual(['2026-03-12', '2026-03-13', '2026-03-14']);
  });

  it('rejects an unknown zone naming the field', () => {
    expect(() => calendarDays(new Date(NOW), 3, 'Mars/Olympus')).toThrow(/timeZone: "Mars\/Olympus" is not a known IANA time zone/);
  });
});

describe('publicIncident', () => {
  async function seededIncident(s: SqliteStore, approval: boolean): Promise<{ clock: ManualClock; id: string; load: () => Promise<Incident> }> {
    const clock = new ManualClock(NOW);
    const deps = incidentDeps(s, clock, approval);
    const opened = await openManually(deps, { title: 'Login fails', components: ['Web app'], severity: 'sev2', actor: 'bob', reason: 'Logins fail for all users.' });
    const id = opened.incident.id;
    clock.advance(MINUTE_MS);
    await act(deps, id, { action: 'ack' }, { actor: 'bob', reason: 'On it.' });
    clock.advance(MINUTE_MS);
    await act(deps, id, { action: 'update' }, { actor: 'bob', reason: 'Internal: the IdP certificate expired.' });
    clock.advance(MINUTE_MS);
    await act(deps, id, { action: 'mitigate' }, { actor: 'bob', reason: 'Logins work again with a temporary certificate.' });
    return { clock, id, load: async () => (await s.incidents.getIncident(id))?.incident as Incident };
  }

  it('shows the opening and state changes with their reasons, not acknowledgements, notes or commanders', async () => {
    const s = store();
    const { load } = await seededIncident(s, false);

    const shown = publicIncident(await load(), { severities: ['sev1', 'sev2', 'sev3'], requireApproval: false });

    expect(shown?.entries.map((e) => [e.change.kind, e.reason])).toEqual([
      ['opened', 'Logins fail for all users.'],
      ['state', 'Logins work again with a temporary certificate.'],
    ]);
    expect(shown).toMatchObject({ severity: 'sev2', state: 'mitigated' });
  });

  it('hides severities that are not posted and resolved incidents', async () => {
    const s = store();
    const { clock, id, load } = await seededIncident(s, false);

    const sev2NotPosted = publicIncident(await load(), { severities: ['sev1'], requireApproval: false });
    clock.advance(MINUTE_MS);
    await act(incidentDeps(s, clock), id, { action: 'resolve' }, { actor: 'bob', reason: 'New certificate installed.' });
    const resolved = publicIncident(await load(), { severities: ['sev1', 'sev2', 'sev3'], requireApproval: false });

    expect(sev2NotPosted).toBeUndefined();
    expect(resolved).toBeUndefined();
  });

  it('with the approval gate, shows nothing before an approval and only what was approved after it', async () => {
    const s = store();
    const { clock, id, load } = await seededIncident(s, true);
    const rules = { severities: ['sev1', 'sev2', 'sev3'] as const, requireApproval: true };

    const before = publicIncident(await load(), rules);
    clock.advance(MINUTE_MS);
    await approveStatusPage(incidentDeps(s, clock, true), id, { actor: 'lead', reason: 'Wording checked.' });
    clock.advance(MINUTE_MS);
    await act(incidentDeps(s, clock, true), id, { action: 'monitor' }, { actor: 'bob', reason: 'Watching the error rate.' });
    const after = publicIncident(await load(), rules);

    expect(before).toBeUndefined();
    expect(after?.state).toBe('mitigated');
    expect(after?.entries.map((e) => e.reason)).toEqual(['Logins fail for all users.', 'Logins work again with a temporary certificate.']);
  });
});

describe('loadStatusPage', () => {
  async function seeded(): Promise<{ view: StatusPageView; s: SqliteStore; clock: ManualClock }> {
    const s = store();
    const clock = await seedPlatform(s);
    const view = await loadStatusPage(s, clock, OPTIONS);
    return { view, s, clock };
  }

  it('derives each component status and lists components of probes, incidents and maintenance after the configured ones', async () => {
    const { view } = await seeded();

    expect(view.components.map((c) => [c.name, c.status, c.statusLabel])).toEqual([
      ['Web app', 'operational', 'Operational'],
      ['API', 'partial_outage', 'Partial outage'],
      ['Reports', 'under_maintenance', 'Under maintenance'],
    ]);
    expect(view.overall).toEqual({ status: 'partial_outage', label: 'Partial outage' });
    expect(view.components[0]?.checkedAt).toBe(NOW);
  });

  it('shows the open incident with its public updates, newest first, and no internal note', async () => {
    const { view } = await seeded();

    expect(view.incidents).toHaveLength(1);
    const incident = view.incidents[0];
    expect(incident).toMatchObject({ title: INCIDENT_TITLE, impact: 'partial_outage', stateLabel: 'Investigating', components: ['API'] });
    expect(incident?.updates.map((u) => [u.label, u.text, u.reason])).toEqual([
      ['Update', 'We have reassessed the impact of this incident as partial outage.', PUBLIC_REASON],
      ['Investigating', 'We are investigating an issue affecting this service.', 'Customers report slow and failing API calls.'],
    ]);
    expect(JSON.stringify(view)).not.toContain(INTERNAL_NOTE);
    expect(JSON.stringify(view)).not.toContain('oncall-bob');
  });

  it('splits maintenance into in progress and scheduled', async () => {
    const { view } = await seeded();

    expect(view.maintenance.inProgress.map((m) => [m.title, m.statusLabel, m.windowText])).toEqual([
      ['Reporting database upgrade', 'In progress', '2026-03-15 11:00 UTC – 2026-03-15 15:00 UTC'],
    ]);
    expect(view.maintenance.scheduled.map((m) => [m.title, m.statusLabel, m.windowText, m.components])).toEqual([
      ['Web app load balancer replacement', 'Scheduled', '2026-03-18 12:00 UTC – 2026-03-18 14:00 UTC', ['Web app']],
    ]);
  });

  it('has 90 daily cells per component, "no data" before the probes started, the outage day down, and muted checks left out', async () => {
    const { view } = await seeded();
    const web = view.components.find((c) => c.name === 'Web app');
    const reports = view.components.find((c) => c.name === 'Reports');

    const cells = web?.uptime.cells ?? [];
    expect(cells).toHaveLength(90);
    expect(cells[0]).toEqual({ day: '2025-12-16', level: 'none', uptimePercent: null, label: '2025-12-16: no data' });
    expect(cells.filter((c) => c.level === 'none')).toHaveLength(79);
    expect(cells.find((c) => c.day === FIRST_DAY)?.level).toBe('full');
    expect(cells.find((c) => c.day === OUTAGE_DAY)).toEqual({ day: OUTAGE_DAY, level: 'major', uptimePercent: 0, label: `${OUTAGE_DAY}: 0% uptime, 24 of 24 checks down` });
    expect(web?.uptime.percentText).toBe('90.51%');
    expect(reports?.uptime.cells.at(-1)).toMatchObject({ day: '2026-03-15', level: 'full', uptimePercent: 100 });
  });

  it('counts a day that was all maintenance as maintenance, not as uptime', async () => {
    const s = store();
    const clock = new ManualClock('2026-03-06T12:00:00Z');
    await seedProbes(s, new Date('2026-03-05T23:00:00Z'), { component: 'API', from: Date.parse('2026-03-05T00:00:00Z'), to: Date.parse('2026-03-06T00:00:00Z') });

    const view = await loadStatusPage(s, clock, OPTIONS);

    const api = view.components.find((c) => c.name === 'API');
    expect(api?.uptime.cells.at(-2)).toEqual({ day: '2026-03-05', level: 'maintenance', uptimePercent: null, label: '2026-03-05: under maintenance, not counted' });
    expect(api?.uptime.cells.at(-1)?.level).toBe('none');
    expect(api?.status).toBe('unknown');
  });

  it('reads only recent observations once the cache holds the final days, with the same result', async () => {
    const s = store();
    const clock = await seedPlatform(s);
    const cache = new UptimeCache();
    const first = await loadStatusPage(s, clock, { ...OPTIONS, uptime: cache });
    const read = vi.spyOn(s.probes, 'observations');

    const second = await loadStatusPage(s, clock, { ...OPTIONS, uptime: cache });

    expect(second).toEqual(first);
    // Days end by 14:00 UTC the next day in every zone, plus grace: 2026-03-13 is the last final day at noon on the 15th.
    expect(read.mock.calls.map((c) => c[0])).toEqual(['2026-03-13T10:00:00.000Z']);
  });

  it('moves a new day into the bars as the clock advances', async () => {
    const s = store();
    const clock = await seedPlatform(s);
    const cache = new UptimeCache();
    await loadStatusPage(s, clock, { ...OPTIONS, uptime: cache });
    clock.advance(DAY_MS);
    await s.probes.record({ probe: 'web', at: clock.now().toISOString(), ok: false, outcome: 'down', latencyMs: 1, reason: 'timeout' });

    const view = await loadStatusPage(s, clock, { ...OPTIONS, uptime: cache });

    const cells = view.components[0]?.uptime.cells ?? [];
    expect(cells).toHaveLength(90);
    expect(cells.at(-1)).toMatchObject({ day: '2026-03-16', level: 'major', uptimePercent: 0 });
    expect(cells.at(-2)).toMatchObject({ day: '2026-03-15', level: 'full', uptimePercent: 100 });
    expect(view.components[0]?.checkedAt).toBe(NOW);
  });
});
