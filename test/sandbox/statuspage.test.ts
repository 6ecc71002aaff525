import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, ManualClock } from '../../src/core/clock.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const KEY = 'sp-test-api-key-0001';

const SCENARIO = `
name: statuspage-test
accounts:
  - id: "111111111111"
    name: management
statuspage:
  apiKeys: [${KEY}]
  pages:
    - id: cc-status
      name: Coursecraft Status
      components:
        - { name: SCORM Cloud Website }
        - { name: SCORM Cloud API }
        - { name: Content Delivery }
        - { name: Reporting }
    - id: scratch
      name: Scratch page
      components:
        - { name: One }
`;

interface Component {
  id: string;
  name: string;
  status: string;
  position: number;
}

interface Incident {
  id: string;
  name: string;
  status: string;
  impact: string;
  resolved_at: string | null;
  monitoring_at: string | null;
  components: Component[];
  incident_updates: Array<{ status: string; body: string; affected_components: Array<{ code: string; old_status: string; new_status: string }> | null }>;
}

const START = new Date('2026-03-01T12:00:00Z');
let clock: ManualClock;
let sandbox: TestSandbox;

async function api<T = unknown>(method: string, path: string, body?: unknown, auth: string | null = `OAuth ${KEY}`): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (auth) headers['authorization'] = auth;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${sandbox.info.statuspageApiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

async function componentIds(page = 'cc-status'): Promise<Record<string, string>> {
  const { body } = await api<Component[]>('GET', `/pages/${page}/components`);
  return Object.fromEntries(body.map((c) => [c.name, c.id]));
}

beforeAll(async () => {
  clock = new ManualClock(START);
  sandbox = await startTestSandbox(SCENARIO, { clock });
});

afterAll(async () => {
  await sandbox.stop();
});

describe('Statuspage auth and errors', () => {
  it.each([
    ['no Authorization header', null],
    ['a wrong key', 'OAuth not-the-key'],
    ['a Bearer token instead of OAuth', `Bearer ${KEY}`],
  ])('answers 401 for %s', async (_case, auth) => {
    const res = await api('GET', '/pages/cc-status/components', undefined, auth);

    expect(res).toMatchObject({ status: 401, body: { error: 'Could not authenticate' } });
  });

  it('accepts the key as ?api_key= too', async () => {
    const res = await api('GET', `/pages/cc-status?api_key=${KEY}`, undefined, null);

    expect(res).toMatchObject({ status: 200, body: { id: 'cc-status', name: 'Coursecraft Status' } });
  });

  it.each([
    ['an unknown page', '/pages/nope/components'],
    ['an unknown incident', '/pages/cc-status/incidents/zzzzzzzzzzzz'],
    ['an unknown component', '/pages/cc-status/components/zzzzzzzzzzzz'],
  ])('answers 404 for %s', async (_case, path) => {
    const res = await api('GET', path);

    expect(res).toMatchObject({ status: 404, body: { error: 'The requested resource could not be found.' } });
  });
});

describe('Statuspage components', () => {
  it('lists the page components in order, all operational', async () => {
    const { status, body } = await api<Component[]>('GET', '/pages/cc-status/components');

    expect(status).toBe(200);
    expect(body.map((c) => [c.name, c.status, c.position])).toEqual([
      ['SCORM Cloud Website', 'operational', 1],
      ['SCORM Cloud API', 'operational', 2],
      ['Content Delivery', 'operational', 3],
      ['Reporting', 'operational', 4],
    ]);
    expect(body[0]).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{12}$/), page_id: 'cc-status', group: false, showcase: true });
  });

  it('pages with page and per_page: an exactly full last page and one over', async () => {
    const byTwo = await Promise.all([1, 2, 3].map((p) => api<Component[]>('GET', `/pages/cc-status/components?per_page=2&page=${p}`)));
    const byThree = await Promise.all([1, 2].map((p) => api<Component[]>('GET', `/pages/cc-status/components?per_page=3&page=${p}`)));

    expect(byTwo.map((r) => r.body.length)).toEqual([2, 2, 0]);
    expect(byThree.map((r) => r.body.map((c) => c.name))).toEqual([['SCORM Cloud Website', 'SCORM Cloud API', 'Content Delivery'], ['Reporting']]);
  });

  it('creates, updates and deletes a component', async () => {
    const created = await api<Component>('POST', '/pages/scratch/components', { component: { name: 'Two', status: 'degraded_performance' } });
    const updated = await api<Component>('PATCH', `/pages/scratch/components/${created.body.id}`, { component: { status: 'major_outage' } });
    const deleted = await api('DELETE', `/pages/scratch/components/${created.body.id}`);
    const after = await api('GET', `/pages/scratch/components/${created.body.id}`);

    expect(created).toMatchObject({ status: 201, body: { name: 'Two', status: 'degraded_performance', position: 2 } });
    expect(updated).toMatchObject({ status: 200, body: { status: 'major_outage' } });
    expect([deleted.status, after.status]).toEqual([204, 404]);
  });

  it('answers 422 for an unknown status and a blank name', async () => {
    const res = await api('POST', '/pages/scratch/components', { component: { name: ' ', status: 'on_fire' } });

    expect(res).toMatchObject({ status: 422, body: { error: ["Name can't be blank", 'Status is not included in the list'] } });
  });
});

describe('Statuspage incidents', () => {
  it('opens a realtime incident that sets component statuses and derives its impact', async () => {
    const ids = await componentIds();

    const res = await api<Incident>('POST', '/pages/cc-status/incidents', {
      incident: {
        name: 'SCORM Cloud API errors',
        status: 'investigating',
        body: 'We are investigating elevated error rates.',
        components: { [ids['SCORM Cloud API'] as string]: 'major_outage', [ids['Reporting'] as string]: 'degraded_performance' },
        deliver_notifications: true,
      },
    });
    const components = await componentIds();
    const api_ = (await api<Component>('GET', `/pages/cc-status/components/${components['SCORM Cloud API']}`)).body;

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'SCORM Cloud API errors', status: 'investigating', impact: 'critical', resolved_at: null });
    expect(res.body.components.map((c) => c.name)).toEqual(['SCORM Cloud API', 'Reporting']);
    expect(res.body.incident_updates).toEqual([
      expect.objectContaining({
        status: 'investigating',
        body: 'We are investigating elevated error rates.',
        affected_components: [
          expect.objectContaining({ code: ids['SCORM Cloud API'], old_status: 'operational', new_status: 'major_outage' }),
          expect.objectContaining({ code: ids['Reporting'], old_status: 'operational', new_status: 'degraded_performance' }),
        ],
      }),
    ]);
    expect(api_.status).toBe('major_outage');
  });

  it('moves an incident through monitoring to resolved, updates newest first, and lists it as unresolved until then', async () => {
    const ids = await componentIds();
    const created = await api<Incident>('POST', '/pages/cc-status/incidents', { incident: { name: 'Slow reports', body: 'Looking into it.' } });
    const path = `/pages/cc-status/incidents/${created.body.id}`;

    await api('PATCH', path, { incident: { status: 'monitoring', body: 'A fix is deployed.' } });
    const unresolved = await api<Incident[]>('GET', '/pages/cc-status/incidents/unresolved');
    const resolved = await api<Incident>('PATCH', path, { incident: { status: 'resolved', body: 'Resolved.', components: { [ids['Reporting'] as string]: 'operational' } } });
    const unresolvedAfter = await api<Incident[]>('GET', '/pages/cc-status/incidents/unresolved');

    expect(unresolved.body.map((i) => i.id)).toContain(created.body.id);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolved_at: START.toISOString(), monitoring_at: START.toISOString() });
    expect(resolved.body.incident_updates.map((u) => u.status)).toEqual(['resolved', 'monitoring', 'investigating']);
    expect(unresolvedAfter.body.map((i) => i.id)).not.toContain(created.body.id);
  });

  it('schedules a maintenance that starts and completes on its own on the clock', async () => {
    const ids = await componentIds();
    const delivery = ids['Content Delivery'] as string;
    const created = await api<Incident>('POST', '/pages/cc-status/incidents', {
      incident: {
        name: 'CDN certificate rotation',
        status: 'scheduled',
        scheduled_for: new Date(START.getTime() + HOUR_MS).toISOString(),
        scheduled_until: new Date(START.getTime() + 3 * HOUR_MS).toISOString(),
        scheduled_remind_prior: true,
        scheduled_auto_in_progress: true,
        scheduled_auto_completed: true,
        auto_transition_to_maintenance_state: true,
        auto_transition_to_operational_state: true,
        component_ids: [delivery],
        body: 'We will rotate the CDN certificate.',
      },
    });

    const upcoming = await api<Incident[]>('GET', '/pages/cc-status/incidents/upcoming');
    clock.advance(2 * HOUR_MS);
    const active = await api<Incident[]>('GET', '/pages/cc-status/incidents/active_maintenance');
    const during = (await api<Component>('GET', `/pages/cc-status/components/${delivery}`)).body.status;
    clock.advance(2 * HOUR_MS);
    const done = await api<Incident>('GET', `/pages/cc-status/incidents/${created.body.id}`);
    const after = (await api<Component>('GET', `/pages/cc-status/components/${delivery}`)).body.status;
    const scheduled = await api<Incident[]>('GET', '/pages/cc-status/incidents/scheduled');
    clock.set(START);

    expect(created.body).toMatchObject({ status: 'scheduled', impact: 'maintenance' });
    expect(upcoming.body.map((i) => i.id)).toEqual([created.body.id]);
    expect(active.body.map((i) => i.id)).toEqual([created.body.id]);
    expect(during).toBe('under_maintenance');
    expect(done.body.status).toBe('completed');
    expect(done.body.incident_updates.map((u) => u.status)).toEqual(['completed', 'in_progress', 'scheduled']);
    expect(after).toBe('operational');
    expect(scheduled.body.map((i) => i.id)).toEqual([created.body.id]);
  });

  it('answers 422 with every problem, and 400 without the incident wrapper', async () => {
    const invalid = await api('POST', '/pages/cc-status/incidents', {
      incident: { name: '', status: 'exploding', impact_override: 'apocalyptic', components: { zzzzzzzzzzzz: 'major_outage' } },
    });
    const unwrapped = await api('POST', '/pages/cc-status/incidents', { name: 'No wrapper' });
    const maintenance = await api('POST', '/pages/cc-status/incidents', { incident: { name: 'Half scheduled', scheduled_for: START.toISOString() } });

    expect(invalid).toMatchObject({
      status: 422,
      body: { error: ["Name can't be blank", 'Status is not included in the list', 'Impact override is not included in the list', 'Component zzzzzzzzzzzz could not be found'] },
    });
    expect(unwrapped).toMatchObject({ status: 400, body: { error: 'param is missing or the value is empty: incident' } });
    expect(maintenance).toMatchObject({ status: 422, body: { error: ["Scheduled until can't be blank"] } });
  });

  it('accepts form-encoded bodies in bracket notation', async () => {
    const ids = await componentIds('scratch');
    const form = new URLSearchParams({ 'incident[name]': 'Form incident', 'incident[status]': 'identified', [`incident[components][${ids['One']}]`]: 'partial_outage' });

    const res = await fetch(`${sandbox.info.statuspageApiUrl}/pages/scratch/incidents`, {
      method: 'POST',
      headers: { authorization: `OAuth ${KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const incident = (await res.json()) as Incident;

    expect(res.status).toBe(201);
    expect(incident).toMatchObject({ name: 'Form incident', status: 'identified', impact: 'major' });
  });

  it('lists incidents newest first, searches with q, and pages with limit', async () => {
    const all = await api<Incident[]>('GET', '/pages/cc-status/incidents');
    const searched = await api<Incident[]>('GET', '/pages/cc-status/incidents?q=certificate');
    const firstTwo = await api<Incident[]>('GET', '/pages/cc-status/incidents?limit=2&page=1');

    expect(all.body.length).toBeGreaterThanOrEqual(3);
    expect(searched.body.map((i) => i.name)).toEqual(['CDN certificate rotation']);
    expect(firstTwo.body.map((i) => i.id)).toEqual(all.body.slice(0, 2).map((i) => i.id));
  });

  it('shows incidents and components in the inspection views', async () => {
    const incidents = await sandbox.inspect<Incident[]>('statuspage/incidents');
    const components = await sandbox.inspect<Component[]>('statuspage/components');

    expect(incidents.map((i) => i.name)).toContain('SCORM Cloud API errors');
    expect(components.find((c) => c.name === 'SCORM Cloud API')?.status).toBe('major_outage');
  });
});

describe('Statuspage faults', () => {
  it('answers throttled requests with 420 and Retry-After', async () => {
    await sandbox.setFaults([{ service: 'statuspage', operation: 'GET /pages/{page_id}/components', throttle: { ratePerSecond: 0.001, burst: 1 } }]);

    const first = await api('GET', '/pages/cc-status/components');
    const second = await api('GET', '/pages/cc-status/components');
    await sandbox.setFaults([]);

    expect(first.status).toBe(200);
    expect(second.status).toBe(420);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(second.body).toEqual({ error: 'Rate limit exceeded. Please slow down.' });
  });

  it('answers an injected failure with a 500 and recovers on the next call', async () => {
    await sandbox.setFaults([{ service: 'statuspage', operation: 'GET /pages/{page_id}/incidents/unresolved', errorRate: 1, times: 1 }]);

    const failed = await api('GET', '/pages/cc-status/incidents/unresolved');
    const next = await api('GET', '/pages/cc-status/incidents/unresolved');
    await sandbox.setFaults([]);

    expect(failed).toMatchObject({ status: 500, body: { error: 'Internal Server Error' } });
    expect(next.status).toBe(200);
  });
});
