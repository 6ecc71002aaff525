import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Announcement, Channel } from '../../../src/incidents/delivery.js';
import { createPagerDutyChannel, type PagerDutyConfig } from '../../../src/adapters/channels/pagerduty.js';
import type { IncidentSeverity } from '../../../src/incidents/types.js';
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
  ROUTING_KEY,
} from './fixtures.js';

interface AlertView {
  dedup_key: string;
  status: string;
  severity: string;
  summary: string;
  source: string;
  component: string | null;
  links: Array<{ href: string; text: string }>;
  custom_details: Record<string, unknown> | null;
  trigger_count: number;
}

interface EventView {
  dedup_key?: string;
  event_action: string;
  outcome: string | null;
}

let sandbox: TestSandbox;
let stateDir: string;
let config: PagerDutyConfig;
let channel: Channel;

async function alerts(incidentId: string): Promise<AlertView[]> {
  return (await sandbox.inspect<AlertView[]>('pagerduty/alerts')).filter((a) => a.dedup_key === incidentId || a.dedup_key.startsWith(`${incidentId}/`));
}

async function events(incidentId: string): Promise<EventView[]> {
  return (await sandbox.inspect<EventView[]>('pagerduty/events')).filter((e) => e.dedup_key === incidentId || e.dedup_key?.startsWith(`${incidentId}/`));
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'vigil-pd-'));
  sandbox = await startTestSandbox(CHANNELS_SCENARIO, { stateDir });
  config = integrations({
    pagerduty: { routingKey: ROUTING_KEY, server: sandbox.info.pagerdutyServer, caFile: sandbox.info.caCertFile, timeoutMs: 5_000 },
  }).pagerduty as PagerDutyConfig;
  channel = createPagerDutyChannel(config, { throttleRetryMs: 10 });
});

afterEach(async () => {
  await sandbox.setFaults([]);
});

afterAll(async () => {
  await sandbox.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('PagerDuty channel: the page follows the incident', () => {
  it('opens a critical alert keyed by the incident id, with summary, source, component, details and runbook links', async () => {
    const subject = incident({ severity: 'sev1', components: ['SCORM Cloud API', 'Reporting'], commander: 'carol' });

    const refs = await channel.deliver(incidentNote('pagerduty', 'opened', subject), {});

    expect(refs).toEqual({ dedupKey: subject.id });
    expect(await alerts(subject.id)).toEqual([
      expect.objectContaining({
        dedup_key: subject.id,
        status: 'triggered',
        severity: 'critical',
        summary: '[SEV1] LMS database unreachable',
        source: 'SCORM Cloud API, Reporting',
        component: 'SCORM Cloud API',
        links: [{ href: 'https://runbooks.example.com/rds-down', text: 'Runbook: RDS instance down' }],
        custom_details: expect.objectContaining({ incident: subject.id, severity: 'sev1', state: 'Triage', commander: 'carol', change: 'Opened by alice: opened for the test' }),
      }),
    ]);
  });

  it.each([
    ['sev2', 'error'],
    ['sev3', 'warning'],
  ] as Array<[IncidentSeverity, string]>)('pages %s as %s', async (severity, expected) => {
    const subject = incident({ severity });

    await channel.deliver(incidentNote('pagerduty', 'opened', subject), {});

    expect((await alerts(subject.id)).map((a) => a.severity)).toEqual([expected]);
  });

  it('acknowledges on ack, keeps it acknowledged through mitigated and monitoring, and resolves on resolve', async () => {
    const open = incident();
    const refs = await channel.deliver(incidentNote('pagerduty', 'opened', open), {});

    const acked = await deliverAll(channel, [incidentNote('pagerduty', 'acknowledged', { ...open, state: 'investigating' })], refs);
    const afterAck = await alerts(open.id);
    await deliverAll(channel, [incidentNote('pagerduty', 'mitigated', { ...open, state: 'mitigated' }), incidentNote('pagerduty', 'monitoring', { ...open, state: 'monitoring' })], acked);
    const afterMonitoring = await alerts(open.id);
    await channel.deliver(incidentNote('pagerduty', 'resolved', { ...open, state: 'resolved' }), acked);

    expect(afterAck.map((a) => a.status)).toEqual(['acknowledged']);
    expect(afterMonitoring.map((a) => a.status)).toEqual(['acknowledged']);
    expect((await alerts(open.id)).map((a) => a.status)).toEqual(['resolved']);
  });

  it('triggers a new alert when a resolved incident is reopened', async () => {
    const open = incident({ severity: 'sev2' });
    const refs = await deliverAll(channel, [incidentNote('pagerduty', 'opened', open), incidentNote('pagerduty', 'resolved', { ...open, state: 'resolved' })]);

    await channel.deliver(incidentNote('pagerduty', 'reopened', { ...open, state: 'investigating' }), refs);

    expect((await alerts(open.id)).map((a) => [a.dedup_key, a.status])).toEqual([
      [open.id, 'resolved'],
      [open.id, 'triggered'],
    ]);
  });

  it('changes the open alert\'s severity on reclassification, keeping its acknowledgement', async () => {
    const open = incident({ severity: 'sev2' });
    const refs = await deliverAll(channel, [incidentNote('pagerduty', 'opened', open), incidentNote('pagerduty', 'acknowledged', { ...open, state: 'investigating' })]);

    await channel.deliver(incidentNote('pagerduty', 'reclassified', { ...open, severity: 'sev1', state: 'investigating' }, { previousSeverity: 'sev2' }), refs);

    expect((await alerts(open.id)).map((a) => [a.status, a.severity, a.summary])).toEqual([['acknowledged', 'critical', '[SEV1] LMS database unreachable']]);
  });

  it('resolves the pages when reclassified down to a severity that does not page', async () => {
    const open = incident({ severity: 'sev3' });
    const refs = await channel.deliver(incidentNote('pagerduty', 'opened', open), {});

    const after = await channel.deliver(incidentNote('pagerduty', 'reclassified', { ...open, severity: 'sev4' }, { previousSeverity: 'sev3' }), refs);

    expect(after).toEqual({ dedupKey: open.id });
    expect((await alerts(open.id)).map((a) => a.status)).toEqual(['resolved']);
  });
});

describe('PagerDuty channel: SLA escalation', () => {
  it('re-pages with an alert of its own per threshold, and resolving the incident resolves those too', async () => {
    const open = incident({ severity: 'sev1' });
    const refs = await channel.deliver(incidentNote('pagerduty', 'opened', open), {});
    const warning = incidentNote('pagerduty', 'sla-warning', open, { actor: 'vigil', escalate: true, sla: { clock: 'workBegins', threshold: 0.75, dueAt: '2025-01-06T11:00:00.000Z' } });
    const breach = incidentNote('pagerduty', 'sla-breach', open, { actor: 'vigil', escalate: true, sla: { clock: 'workBegins', threshold: 1, dueAt: '2025-01-06T11:00:00.000Z' } });

    const escalated = await deliverAll(channel, [warning, breach], refs);
    const whileOpen = await alerts(open.id);
    const final = await channel.deliver(incidentNote('pagerduty', 'resolved', { ...open, state: 'resolved' }), escalated);

    expect(escalated).toEqual({
      dedupKey: open.id,
      'sla:workBegins/sev1/75': `${open.id}/sla/workBegins/sev1/75`,
      'sla:workBegins/sev1/100': `${open.id}/sla/workBegins/sev1/100`,
    });
    expect(whileOpen.map((a) => [a.dedup_key, a.status, a.summary])).toEqual([
      [open.id, 'triggered', '[SEV1] LMS database unreachable'],
      [`${open.id}/sla/workBegins/sev1/75`, 'triggered', 'SLA warning: work begins is at 75% of its time (due 2025-01-06 11:00 UTC): [SEV1] LMS database unreachable'],
      [`${open.id}/sla/workBegins/sev1/100`, 'triggered', 'SLA breach: work begins was due 2025-01-06 11:00 UTC: [SEV1] LMS database unreachable'],
    ]);
    expect(final).toEqual({ dedupKey: open.id });
    expect((await alerts(open.id)).map((a) => a.status)).toEqual(['resolved', 'resolved', 'resolved']);
  });

  it('acknowledging the incident acknowledges its escalation alerts', async () => {
    const open = incident({ severity: 'sev2' });
    const sla = { clock: 'workBegins' as const, threshold: 1, dueAt: '2025-01-06T12:00:00.000Z' };
    const refs = await deliverAll(channel, [incidentNote('pagerduty', 'opened', open), incidentNote('pagerduty', 'sla-breach', open, { escalate: true, sla })]);

    await channel.deliver(incidentNote('pagerduty', 'acknowledged', { ...open, state: 'investigating' }), refs);

    expect((await alerts(open.id)).map((a) => a.status)).toEqual(['acknowledged', 'acknowledged']);
  });
});

describe('PagerDuty channel: exactly once', () => {
  it('a notification delivered again with the refs from before it notifies once', async () => {
    const open = incident();
    const opened = incidentNote('pagerduty', 'opened', open);
    const breach = incidentNote('pagerduty', 'sla-breach', open, { escalate: true, sla: { clock: 'final', threshold: 1, dueAt: '2025-01-07T10:00:00.000Z' } });

    const first = await channel.deliver(opened, {});
    const again = await channel.deliver(opened, {});
    const escalated = await channel.deliver(breach, first);
    const escalatedAgain = await channel.deliver(breach, first);

    expect(again).toEqual(first);
    expect(escalatedAgain).toEqual(escalated);
    expect((await alerts(open.id)).map((a) => [a.dedup_key, a.status, a.trigger_count])).toEqual([
      [open.id, 'triggered', 2],
      [`${open.id}/sla/final/sev1/100`, 'triggered', 2],
    ]);
    expect((await events(open.id)).map((e) => e.outcome)).toEqual(['created', 'deduplicated', 'created', 'deduplicated']);
  });
});

describe('PagerDuty channel: failures', () => {
  it('a 5xx is a retryable DeliveryError, and the retry pages', async () => {
    const open = incident();
    await sandbox.setFaults([{ service: 'pagerduty', operation: 'enqueue', errorRate: 1, errorStatus: 503, times: 1 }]);

    const error = await deliveryFailure(channel.deliver(incidentNote('pagerduty', 'opened', open), {}));
    await channel.deliver(incidentNote('pagerduty', 'opened', open), {});

    expect(error).toMatchObject({ retryable: true, status: 503, message: 'PagerDuty failed (HTTP 503): Internal server error' });
    expect((await alerts(open.id)).map((a) => a.status)).toEqual(['triggered']);
  });

  it('a 429 (after pdjs\'s own three quick retries) is retryable; PagerDuty sends no Retry-After, so the outbox\'s backoff decides', async () => {
    const open = incident();
    await sandbox.setFaults([{ service: 'pagerduty', operation: 'enqueue', throttle: { ratePerSecond: 0.001, burst: 1 } }]);
    await channel.deliver(incidentNote('pagerduty', 'opened', open), {});

    const error = await deliveryFailure(channel.deliver(incidentNote('pagerduty', 'acknowledged', { ...open, state: 'investigating' }), { dedupKey: open.id }));

    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterMs: undefined });
    expect(error.message).toContain('PagerDuty is rate limiting Vigil (HTTP 429)');
  });

  it('a rejected event (400) is not retryable and says what PagerDuty objected to, never the key', async () => {
    const other = createPagerDutyChannel({ ...config, routingKey: 'not-a-key' }, { throttleRetryMs: 10 });

    const error = await deliveryFailure(other.deliver(incidentNote('pagerduty', 'opened', incident()), {}));

    expect(error).toMatchObject({ retryable: false, status: 400 });
    expect(error.message).toBe(
      "PagerDuty rejected the request (HTTP 400): Event object is invalid; Length of 'routing_key' is incorrect (should be 32 characters); 'routing_key' cannot contain non-alphanumeric characters.",
    );
  });

  it('a request that hangs times out as retryable (pdjs\'s own requestTimeout aborts nothing)', async () => {
    const impatient = createPagerDutyChannel({ ...config, timeoutMs: 300 }, { throttleRetryMs: 10 });
    await sandbox.setFaults([{ service: 'pagerduty', hangRate: 1, times: 1 }]);

    const error = await deliveryFailure(impatient.deliver(incidentNote('pagerduty', 'opened', incident()), {}));

    expect(error).toMatchObject({ retryable: true, message: 'PagerDuty did not answer within 300 ms' });
  });

  it('an unreachable server is retryable', async () => {
    const other = createPagerDutyChannel({ ...config, server: '127.0.0.1:1' }, { throttleRetryMs: 10 });

    const error = await deliveryFailure(other.deliver(incidentNote('pagerduty', 'opened', incident()), {}));

    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^PagerDuty could not be reached: /);
  });
});

describe('PagerDuty channel: what it wants', () => {
  const subject = incident();
  const cases: Array<[string, Announcement, boolean]> = [
    ['a Sev1 opening', { ...incidentNote('pagerduty', 'opened', subject) }, true],
    ['a Sev3 opening', { ...incidentNote('pagerduty', 'opened', { ...subject, severity: 'sev3' }) }, true],
    ['a Sev4 opening', { ...incidentNote('pagerduty', 'opened', { ...subject, severity: 'sev4' }) }, false],
    ['a Sev4 resolution', { ...incidentNote('pagerduty', 'resolved', { ...subject, severity: 'sev4' }) }, false],
    ['a note', { ...incidentNote('pagerduty', 'updated', subject) }, false],
    ['a Sev2 reclassified to Sev4', { ...incidentNote('pagerduty', 'reclassified', { ...subject, severity: 'sev4' }, { previousSeverity: 'sev2' }) }, true],
    ['an escalating breach', { ...incidentNote('pagerduty', 'sla-breach', subject, { escalate: true }) }, true],
    ['a breach that does not escalate', { ...incidentNote('pagerduty', 'sla-breach', subject) }, false],
    ['a maintenance', { ...maintenanceNote('pagerduty', 'maintenance-started', maintenance()) }, false],
    ['a component status', { ...componentNote('pagerduty', 'Reporting', 'major_outage') }, false],
  ];

  it.each(cases)('%s', (_case, announcement, wanted) => {
    expect(channel.wants(announcement)).toBe(wanted);
  });

  it('follows the configured severities: Sev3 set to none is not paged, Sev4 set to info is', () => {
    const custom = createPagerDutyChannel(
      integrations({ pagerduty: { routingKey: ROUTING_KEY, severities: { sev3: 'none', sev4: 'info' } } }).pagerduty as PagerDutyConfig,
    );

    const wanted = (['sev1', 'sev2', 'sev3', 'sev4'] as const).map((severity) => custom.wants(incidentNote('pagerduty', 'opened', { ...subject, severity })));

    expect(wanted).toEqual([true, true, false, true]);
  });
});
