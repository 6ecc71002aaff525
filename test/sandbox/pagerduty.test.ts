import { Agent } from 'node:https';
import { event } from '@pagerduty/pdjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const OTHER_KEY = 'ffffeeeeddddccccbbbbaaaa99998888';
const UNKNOWN_KEY = '0123456789abcdef0123456789abcdef';

const SCENARIO = `
name: pagerduty-test
accounts:
  - id: "111111111111"
    name: management
pagerduty:
  routingKeys:
    - { key: ${KEY}, service: Coursecraft Platform }
    - { key: ${OTHER_KEY}, service: Coursecraft Data }
`;

/** pdjs does not re-export its event types from the package root. */
type EventPayloadV2 = Parameters<typeof event>[0]['data'];
type EventResponse = Awaited<ReturnType<typeof event>>;

let sandbox: TestSandbox;
let agent: Agent;

/**
 * pdjs passes its options through to node-fetch, so an https.Agent trusting the sandbox CA goes in
 * as `agent`; `retryTimeout` shortens pdjs's fixed 20 s wait after a 429.
 */
function send(data: Record<string, unknown>, type?: 'change', extra: Record<string, unknown> = {}): Promise<EventResponse> {
  const options = { server: sandbox.info.pagerdutyServer, data: data as unknown as EventPayloadV2, type, agent, retryTimeout: 20, ...extra };
  return event(options as Parameters<typeof event>[0]);
}

function trigger(dedupKey: string | undefined, summary = 'LMS database unreachable', routingKey = KEY): Promise<EventResponse> {
  return send({
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: { summary, source: 'lms-prod.us-east-1', severity: 'critical', component: 'postgres', group: 'lms', class: 'availability', custom_details: { region: 'us-east-1' } },
    links: [{ href: 'https://status.example.com', text: 'Status page' }],
  });
}

interface AlertView {
  dedup_key: string;
  service: string;
  status: string;
  trigger_count: number;
  routing_key: string;
  summary: string;
}

async function alerts(dedupKey: string): Promise<AlertView[]> {
  return (await sandbox.inspect<AlertView[]>('pagerduty/alerts')).filter((a) => a.dedup_key === dedupKey);
}

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO);
  agent = new Agent({ ca: sandbox.caCertPem });
});

afterAll(async () => {
  agent.destroy();
  await sandbox.stop();
});

describe('PagerDuty Events API v2 over HTTPS', () => {
  it('accepts a trigger with 202 and opens an alert for the routing key\'s service', async () => {
    const res = await trigger('lms-db-down');

    expect(res.status).toBe(202);
    expect(res.data).toEqual({ status: 'success', message: 'Event processed', dedup_key: 'lms-db-down' });
    expect(await alerts('lms-db-down')).toEqual([
      expect.objectContaining({ service: 'Coursecraft Platform', status: 'triggered', summary: 'LMS database unreachable', trigger_count: 1, routing_key: '****8f90' }),
    ]);
  });

  it('refuses a client that does not trust the sandbox CA', async () => {
    const error = await event({ server: sandbox.info.pagerdutyServer, data: { routing_key: KEY, event_action: 'resolve', dedup_key: 'x' } as EventPayloadV2 }).catch(
      (err: Error) => err,
    );

    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toMatch(/certificate/i);
  });

  it('generates a dedup_key when the trigger has none', async () => {
    const res = await trigger(undefined, 'Backups late');

    expect(res.data.dedup_key).toMatch(/^[0-9a-f]{32}$/);
    expect(await alerts(res.data.dedup_key)).toHaveLength(1);
  });

  it('folds repeated triggers into one alert, then acknowledges and resolves it', async () => {
    await trigger('snapshots-missing');
    await trigger('snapshots-missing');
    const ack = await send({ routing_key: KEY, event_action: 'acknowledge', dedup_key: 'snapshots-missing' });
    const acknowledged = await alerts('snapshots-missing');
    await send({ routing_key: KEY, event_action: 'resolve', dedup_key: 'snapshots-missing' });

    expect(ack.status).toBe(202);
    expect(acknowledged).toEqual([expect.objectContaining({ status: 'acknowledged', trigger_count: 2 })]);
    expect(await alerts('snapshots-missing')).toEqual([expect.objectContaining({ status: 'resolved' })]);
  });

  it('drops acknowledge/resolve without an open alert, or from another routing key, and opens a new alert after resolve', async () => {
    await trigger('guardduty-off');
    const foreign = await send({ routing_key: OTHER_KEY, event_action: 'resolve', dedup_key: 'guardduty-off' });
    await send({ routing_key: KEY, event_action: 'resolve', dedup_key: 'guardduty-off' });
    const late = await send({ routing_key: KEY, event_action: 'acknowledge', dedup_key: 'guardduty-off' });
    await trigger('guardduty-off');
    const events = await sandbox.inspect<Array<{ dedup_key?: string; outcome: string; routing_key: string }>>('pagerduty/events');

    expect([foreign.status, late.status]).toEqual([202, 202]);
    expect(events.filter((e) => e.dedup_key === 'guardduty-off').map((e) => e.outcome)).toEqual(['created', 'dropped', 'resolved', 'dropped', 'created']);
    expect((await alerts('guardduty-off')).map((a) => a.status)).toEqual(['resolved', 'triggered']);
  });

  it('accepts change events', async () => {
    const res = await send(
      { routing_key: KEY, payload: { summary: 'Vault root token rotated', source: 'vault', timestamp: '2026-03-01T12:00:00Z', custom_details: {} }, links: [] },
      'change',
    );

    expect(res.status).toBe(202);
    expect(res.data).toEqual({ status: 'success', message: 'Change event processed' });
  });

  it('never shows a whole routing key in the events view', async () => {
    const events = await sandbox.inspect<Array<{ routing_key: string }>>('pagerduty/events');

    expect(events.length).toBeGreaterThan(0);
    expect(JSON.stringify(events)).not.toContain(KEY);
    expect(events.every((e) => /^\*{4}\w{0,4}$/.test(e.routing_key))).toBe(true);
  });
});

describe('PagerDuty validation', () => {
  it.each([
    [
      'a short routing key and no action',
      { routing_key: 'short', payload: { summary: 's', source: 's', severity: 'info' } },
      ["Length of 'routing_key' is incorrect (should be 32 characters)", "'event_action' is missing or blank"],
    ],
    [
      'a trigger with a bad severity and no source',
      { routing_key: KEY, event_action: 'trigger', payload: { summary: 's', severity: 'sev1' } },
      ["'payload.source' is missing or blank", "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')"],
    ],
    ['a resolve without a dedup_key', { routing_key: KEY, event_action: 'resolve' }, ["'dedup_key' is missing or blank"]],
    ['an unknown routing key', { routing_key: UNKNOWN_KEY, event_action: 'trigger', payload: { summary: 's', source: 's', severity: 'info' } }, ['Invalid routing key']],
  ])('answers 400 invalid event for %s', async (_case, data, errors) => {
    const res = await send(data);

    expect(res.status).toBe(400);
    expect(res.data).toEqual({ status: 'invalid event', message: 'Event object is invalid', errors });
  });
});

describe('PagerDuty faults', () => {
  it('answers 429 when throttled, which pdjs retries', async () => {
    await sandbox.setFaults([{ service: 'pagerduty', operation: 'enqueue', throttle: { ratePerSecond: 50, burst: 1 } }]);

    const results = await Promise.all([trigger('throttle-a'), trigger('throttle-b')]);
    const summary = await sandbox.inspect<{ counts: Array<{ service: string; operation: string; throttled: number }> }>('calls/summary');
    await sandbox.setFaults([]);

    expect(results.map((r) => r.status)).toEqual([202, 202]);
    expect(summary.counts.find((c) => c.service === 'pagerduty' && c.operation === 'enqueue')?.throttled).toBeGreaterThan(0);
  });

  it('answers an injected failure with a 500 that pdjs does not retry', async () => {
    await sandbox.setFaults([{ service: 'pagerduty', operation: 'enqueue', errorRate: 1, times: 1 }]);

    const failed = await trigger('flaky');
    const retried = await trigger('flaky');
    await sandbox.setFaults([]);

    expect(failed.status).toBe(500);
    expect(retried.status).toBe(202);
  });
});
