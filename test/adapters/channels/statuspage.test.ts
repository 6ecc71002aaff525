import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Announcement, Channel } from '../../../src/incidents/delivery.js';
import { createStatuspageChannel, type StatuspageConfig } from '../../../src/adapters/channels/statuspage.js';
import { startTestSandbox, type TestSandbox } from '../../helpers/sandbox.js';
import {
  CHANNELS_SCENARIO,
  componentNote,
  deliverAll,
  deliveryFailure,
  incident,
  incidentNote,
  integrations,
  maintenance,
  maintenanceNote,
  PAGE_ID,
  STATUSPAGE_KEY,
} from './fixtures.js';

interface IncidentView {
  id: string;
  name: string;
  status: string;
  impact: string;
  scheduled_for: string | null;
  scheduled_until: string | null;
  components: Array<{ name: string }>;
  metadata: { vigil?: Record<string, string> };
  incident_updates: Array<{ status: string; body: string; affected_components: Array<{ name: string; old_status: string; new_status: string }> | null }>;
}

let sandbox: TestSandbox;
let config: StatuspageConfig;
let channel: Channel;

function statuspageConfig(overrides: Record<string, unknown> = {}): StatuspageConfig {
  return integrations({ statuspage: { apiKey: STATUSPAGE_KEY, pageId: PAGE_ID, apiUrl: sandbox.info.statuspageApiUrl, timeoutMs: 5_000, ...overrides } }).statuspage as StatuspageConfig;
}

async function pageIncidents(key: 'incident_id' | 'maintenance_id', id: string): Promise<IncidentView[]> {
  return (await sandbox.inspect<IncidentView[]>('statuspage/incidents')).filter((i) => i.metadata.vigil?.[key] === id);
}

async function componentStatuses(...names: string[]): Promise<Record<string, string>> {
  const all = await sandbox.inspect<Array<{ name: string; status: string }>>('statuspage/components');
  return Object.fromEntries(all.filter((c) => names.includes(c.name)).map((c) => [c.name, c.status]));
}

/** Oldest first: the page renders updates newest first. */
function updates(i: IncidentView | undefined): Array<[string, string]> {
  return [...(i?.incident_updates ?? [])].reverse().map((u) => [u.status, u.body]);
}

beforeAll(async () => {
  sandbox = await startTestSandbox(CHANNELS_SCENARIO);
  config = statuspageConfig();
  channel = createStatuspageChannel(config);
});

afterEach(async () => {
  await sandbox.setFaults([]);
});

afterAll(async () => {
  await sandbox.stop();
});

describe('Statuspage channel: incidents', () => {
  it('creates a Sev1 as critical with its components in major outage, matched by name regardless of case', async () => {
    const subject = incident({ severity: 'sev1', components: ['scorm cloud api', 'REPORTING'] });
    const opened = incidentNote('statuspage', 'opened', subject, { reason: 'Course launches fail for every customer.' });

    const refs = await channel.deliver(opened, {});

    const [created] = await pageIncidents('incident_id', subject.id);
    expect(refs).toEqual({ incidentId: created?.id });
    expect(created).toMatchObject({ name: 'LMS database unreachable', status: 'investigating', impact: 'critical', metadata: { vigil: { incident_id: subject.id, notifications: JSON.stringify([opened.id]) } } });
    expect(created?.components.map((c) => c.name)).toEqual(['SCORM Cloud API', 'Reporting']);
    expect(updates(created)).toEqual([['investigating', 'We are investigating an issue affecting this service.\n\nCourse launches fail for every customer.']]);
    expect(await componentStatuses('SCORM Cloud API', 'Reporting')).toEqual({ 'SCORM Cloud API': 'major_outage', Reporting: 'major_outage' });
  });

  it('follows the incident: identified on mitigated, monitoring, then resolved with its components operational again', async () => {
    const open = incident({ severity: 'sev2', components: ['Search'] });
    const refs = await channel.deliver(incidentNote('statuspage', 'opened', open), {});
    const afterOpen = await componentStatuses('Search');

    await deliverAll(
      channel,
      [
        incidentNote('statuspage', 'mitigated', { ...open, state: 'mitigated' }, { reason: 'Traffic moved to the standby index.' }),
        incidentNote('statuspage', 'monitoring', { ...open, state: 'monitoring' }, { reason: '' }),
        incidentNote('statuspage', 'resolved', { ...open, state: 'resolved' }, { reason: 'The index was rebuilt.' }),
      ],
      refs,
    );

    const [page] = await pageIncidents('incident_id', open.id);
    expect(afterOpen).toEqual({ Search: 'partial_outage' });
    expect(page).toMatchObject({ status: 'resolved', impact: 'major' });
    expect(updates(page)).toEqual([
      ['investigating', 'We are investigating an issue affecting this service.\n\nopened for the test'],
      ['identified', 'We have identified the issue and a temporary fix is in place.\n\nTraffic moved to the standby index.'],
      ['monitoring', 'A fix has been put in place and we are monitoring the results.'],
      ['resolved', 'This incident has been resolved.\n\nThe index was rebuilt.'],
    ]);
    expect(page?.incident_updates[0]?.affected_components).toEqual([{ code: expect.any(String), name: 'Search', old_status: 'partial_outage', new_status: 'operational' }]);
    expect(await componentStatuses('Search')).toEqual({ Search: 'operational' });
  });

  it('a reclassification to a severity not posted still updates the page incident, and its resolution is then not wanted', async () => {
    const open = incident({ severity: 'sev2', components: ['Billing'] });
    const refs = await channel.deliver(incidentNote('statuspage', 'opened', open), {});
    const downgraded = incidentNote('statuspage', 'reclassified', { ...open, severity: 'sev3' }, { previousSeverity: 'sev2', reason: 'Only invoices are late.' });

    const wanted = channel.wants(downgraded);
    await channel.deliver(downgraded, refs);

    const [page] = await pageIncidents('incident_id', open.id);
    expect(wanted).toBe(true);
    expect(page).toMatchObject({ status: 'investigating', impact: 'minor' });
    expect(updates(page).at(-1)).toEqual(['investigating', 'We have reassessed the impact of this incident as minor.\n\nOnly invoices are late.']);
    expect(await componentStatuses('Billing')).toEqual({ Billing: 'degraded_performance' });
    expect(channel.wants(incidentNote('statuspage', 'resolved', { ...open, severity: 'sev3', state: 'resolved' }))).toBe(false);
  });

  it('a reclassification up into the posted severities creates the page incident', async () => {
    const open = incident({ severity: 'sev3', components: ['Webhooks'], state: 'investigating' });

    const refs = await channel.deliver(incidentNote('statuspage', 'reclassified', { ...open, severity: 'sev1' }, { previousSeverity: 'sev3' }), {});

    const [page] = await pageIncidents('incident_id', open.id);
    expect(refs).toEqual({ incidentId: page?.id });
    expect(page).toMatchObject({ status: 'investigating', impact: 'critical' });
  });

  it('reopening a resolved incident puts it back to investigating with its components down again', async () => {
    const open = incident({ severity: 'sev1', components: ['Course Player'] });
    const refs = await deliverAll(channel, [incidentNote('statuspage', 'opened', open), incidentNote('statuspage', 'resolved', { ...open, state: 'resolved' })]);

    await channel.deliver(incidentNote('statuspage', 'reopened', { ...open, state: 'investigating' }), refs);

    const [page] = await pageIncidents('incident_id', open.id);
    expect(page?.status).toBe('investigating');
    expect(updates(page).at(-1)?.[0]).toBe('investigating');
    expect(await componentStatuses('Course Player')).toEqual({ 'Course Player': 'major_outage' });
  });

  it('follows the configured impacts and component statuses', async () => {
    const custom = createStatuspageChannel(statuspageConfig({ impacts: { sev1: 'major' }, componentStatuses: { sev1: 'partial_outage' } }));
    const open = incident({ severity: 'sev1', components: ['Admin Console'] });

    await custom.deliver(incidentNote('statuspage', 'opened', open), {});

    expect((await pageIncidents('incident_id', open.id))[0]?.impact).toBe('major');
    expect(await componentStatuses('Admin Console')).toEqual({ 'Admin Console': 'partial_outage' });
  });
});

describe('Statuspage channel: maintenance', () => {
  it('schedules, starts and completes a maintenance, moving its components under maintenance and back', async () => {
    const planned = maintenance({ components: ['Content Delivery'] });
    const refs = await channel.deliver(maintenanceNote('statuspage', 'maintenance-scheduled', planned), {});
    const [scheduled] = await pageIncidents('maintenance_id', planned.id);
    const beforeStart = await componentStatuses('Content Delivery');

    await channel.deliver(maintenanceNote('statuspage', 'maintenance-started', planned), refs);
    const during = await componentStatuses('Content Delivery');
    await channel.deliver(maintenanceNote('statuspage', 'maintenance-completed', planned), refs);

    const [page] = await pageIncidents('maintenance_id', planned.id);
    expect(refs).toEqual({ incidentId: scheduled?.id });
    expect(scheduled).toMatchObject({ status: 'scheduled', impact: 'maintenance', scheduled_for: planned.startsAt, scheduled_until: planned.endsAt });
    expect(scheduled?.components.map((c) => c.name)).toEqual(['Content Delivery']);
    expect([beforeStart, during]).toEqual([{ 'Content Delivery': 'operational' }, { 'Content Delivery': 'under_maintenance' }]);
    expect(updates(page)).toEqual([
      ['scheduled', 'PostgreSQL 16 brings the security fixes we need.'],
      ['in_progress', 'The scheduled maintenance is in progress.\n\nmaintenance-started for the test'],
      ['completed', 'The scheduled maintenance has been completed.\n\nmaintenance-completed for the test'],
    ]);
    expect(await componentStatuses('Content Delivery')).toEqual({ 'Content Delivery': 'operational' });
  });

  it('cancelling before the start completes it as cancelled without touching its components', async () => {
    const planned = maintenance({ components: ['Authentication'] });
    const refs = await channel.deliver(maintenanceNote('statuspage', 'maintenance-scheduled', planned), {});

    await channel.deliver(maintenanceNote('statuspage', 'maintenance-cancelled', planned), refs);

    const [page] = await pageIncidents('maintenance_id', planned.id);
    expect(page?.status).toBe('completed');
    expect(updates(page).at(-1)).toEqual(['completed', 'This maintenance has been cancelled.\n\nmaintenance-cancelled for the test']);
    expect(page?.incident_updates[0]?.affected_components).toBeNull();
  });

  it('cancelling one under way completes it and brings its components back', async () => {
    const planned = maintenance({ components: ['SCORM Cloud Website'] });
    const refs = await deliverAll(channel, [maintenanceNote('statuspage', 'maintenance-scheduled', planned), maintenanceNote('statuspage', 'maintenance-started', planned)]);

    await channel.deliver(maintenanceNote('statuspage', 'maintenance-cancelled', planned), refs);

    expect((await pageIncidents('maintenance_id', planned.id))[0]?.status).toBe('completed');
    expect(await componentStatuses('SCORM Cloud Website')).toEqual({ 'SCORM Cloud Website': 'operational' });
  });
});

describe('Statuspage channel: component statuses from probes', () => {
  it('sets the component status', async () => {
    const refs = await channel.deliver(componentNote('statuspage', 'reporting', 'degraded_performance'), { unrelated: 'kept' });
    const down = await componentStatuses('Reporting');

    await channel.deliver(componentNote('statuspage', 'Reporting', 'operational'), refs);

    expect(refs).toEqual({ unrelated: 'kept' });
    expect(down).toEqual({ Reporting: 'degraded_performance' });
    expect(await componentStatuses('Reporting')).toEqual({ Reporting: 'operational' });
  });
});

describe('Statuspage channel: exactly once', () => {
  it('finds its incident and its own updates by metadata when delivered again with the refs from before', async () => {
    const open = incident({ components: ['SCORM Cloud API'] });
    const opened = incidentNote('statuspage', 'opened', open);
    const mitigated = incidentNote('statuspage', 'mitigated', { ...open, state: 'mitigated' });

    const first = await channel.deliver(opened, {});
    const again = await channel.deliver(opened, {});
    await channel.deliver(mitigated, first);
    const mitigatedAgain = await channel.deliver(mitigated, first);

    const pages = await pageIncidents('incident_id', open.id);
    expect(again).toEqual(first);
    expect(mitigatedAgain).toEqual(first);
    expect(pages).toHaveLength(1);
    expect(updates(pages[0]).map(([status]) => status)).toEqual(['investigating', 'identified']);
    expect(pages[0]?.metadata.vigil?.['notifications']).toBe(JSON.stringify([opened.id, mitigated.id]));
  });

  it('an emergency maintenance that starts unannounced is created in progress, once, even when delivered again', async () => {
    const urgent = maintenance({ components: ['Mobile App'], emergency: true, startsAt: new Date().toISOString() });
    const started = maintenanceNote('statuspage', 'maintenance-started', urgent);

    const first = await channel.deliver(started, {});
    const again = await channel.deliver(started, {});

    const pages = await pageIncidents('maintenance_id', urgent.id);
    expect(again).toEqual(first);
    expect(pages.map((p) => p.status)).toEqual(['in_progress']);
    expect(updates(pages[0])).toEqual([['in_progress', 'The scheduled maintenance is in progress.\n\nPostgreSQL 16 brings the security fixes we need.']]);
    expect(await componentStatuses('Mobile App')).toEqual({ 'Mobile App': 'under_maintenance' });
  });

  it('a maintenance announced twice is scheduled once', async () => {
    const planned = maintenance({ components: ['Reporting'] });
    const scheduled = maintenanceNote('statuspage', 'maintenance-scheduled', planned);

    const first = await channel.deliver(scheduled, {});
    const again = await channel.deliver(scheduled, {});

    expect(again).toEqual(first);
    expect(await pageIncidents('maintenance_id', planned.id)).toHaveLength(1);
  });
});

describe('Statuspage channel: failures', () => {
  it('a component not on the page is not retryable, names it and lists what exists', async () => {
    const open = incident({ components: ['SCORM Cloud API', 'Quizzes'] });

    const error = await deliveryFailure(channel.deliver(incidentNote('statuspage', 'opened', open), {}));

    expect(error).toMatchObject({ retryable: false });
    expect(error.message).toBe(
      'the status page cc-status has no component named "Quizzes"; it has: SCORM Cloud Website, SCORM Cloud API, Content Delivery, Reporting, Authentication, Search, Billing, Webhooks, Course Player, Admin Console, Mobile App',
    );
    expect(await pageIncidents('incident_id', open.id)).toEqual([]);
  });

  it('throttling (Statuspage answers 420) is retryable with Retry-After as retryAfterMs', async () => {
    await sandbox.setFaults([{ service: 'statuspage', throttle: { ratePerSecond: 0.001, burst: 1, per: 'service' } }]);

    const error = await deliveryFailure(createStatuspageChannel(config).deliver(incidentNote('statuspage', 'opened', incident()), {}));

    expect(error).toMatchObject({ retryable: true, status: 420, retryAfterMs: 1000, message: 'Statuspage is rate limiting Vigil (HTTP 420): Rate limit exceeded. Please slow down.' });
  });

  it('a 5xx is retryable, and the retry creates the incident once', async () => {
    const open = incident({ components: ['Search'] });
    await sandbox.setFaults([{ service: 'statuspage', operation: 'POST /pages/{page_id}/incidents', errorRate: 1, errorStatus: 502, times: 1 }]);

    const error = await deliveryFailure(channel.deliver(incidentNote('statuspage', 'opened', open), {}));
    await channel.deliver(incidentNote('statuspage', 'opened', open), {});

    expect(error).toMatchObject({ retryable: true, status: 502 });
    expect(await pageIncidents('incident_id', open.id)).toHaveLength(1);
  });

  it('a wrong key (401) is not retryable and carries Statuspage\'s words, never the key', async () => {
    const bad = createStatuspageChannel(statuspageConfig({ apiKey: 'not-the-statuspage-key' }));

    const error = await deliveryFailure(bad.deliver(componentNote('statuspage', 'Reporting', 'major_outage'), {}));

    expect(error).toMatchObject({ retryable: false, status: 401, message: 'Statuspage rejected the request (HTTP 401): Could not authenticate' });
  });

  it('a request that hangs times out as retryable', async () => {
    const impatient = createStatuspageChannel(statuspageConfig({ timeoutMs: 200 }));
    await sandbox.setFaults([{ service: 'statuspage', hangRate: 1, times: 1 }]);

    const error = await deliveryFailure(impatient.deliver(componentNote('statuspage', 'Reporting', 'major_outage'), {}));

    expect(error).toMatchObject({ retryable: true, message: 'Statuspage did not answer within 200 ms' });
  });
});

describe('Statuspage channel: what it wants', () => {
  const subject = incident();
  const cases: Array<[string, Announcement, boolean]> = [
    ['a Sev1 opening', incidentNote('statuspage', 'opened', subject), true],
    ['a Sev2 mitigation', incidentNote('statuspage', 'mitigated', { ...subject, severity: 'sev2' }), true],
    ['a Sev3 opening', incidentNote('statuspage', 'opened', { ...subject, severity: 'sev3' }), false],
    ['an acknowledgement', incidentNote('statuspage', 'acknowledged', subject), false],
    ['an internal note', incidentNote('statuspage', 'updated', subject), false],
    ['an SLA breach', incidentNote('statuspage', 'sla-breach', subject, { escalate: true }), false],
    ['a Sev3 reclassified to Sev2', incidentNote('statuspage', 'reclassified', { ...subject, severity: 'sev2' }, { previousSeverity: 'sev3' }), true],
    ['a Sev4 reclassified to Sev3', incidentNote('statuspage', 'reclassified', { ...subject, severity: 'sev3' }, { previousSeverity: 'sev4' }), false],
    ['a maintenance', maintenanceNote('statuspage', 'maintenance-scheduled', maintenance()), true],
    ['a component status', componentNote('statuspage', 'Reporting', 'major_outage'), true],
  ];

  it.each(cases)('%s', (_case, announcement, wanted) => {
    expect(channel.wants(announcement)).toBe(wanted);
  });

  it('follows the configured severities', () => {
    const everything = createStatuspageChannel(statuspageConfig({ severities: ['sev1', 'sev2', 'sev3'] }));

    const wanted = (['sev1', 'sev2', 'sev3', 'sev4'] as const).map((severity) => everything.wants(incidentNote('statuspage', 'opened', { ...subject, severity })));

    expect(wanted).toEqual([true, true, true, false]);
  });
});
