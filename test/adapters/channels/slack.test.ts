import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../../../src/incidents/delivery.js';
import { createSlackChannel, type SlackConfig } from '../../../src/adapters/channels/slack.js';
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
  SLACK_TOKEN,
} from './fixtures.js';

interface MessageView {
  channel: string;
  channel_name: string;
  ts: string;
  thread_ts: string | null;
  text: string;
  blocks: Array<Record<string, unknown>> | null;
  metadata: { event_type: string; event_payload: Record<string, string> } | null;
  reply_broadcast: boolean;
  edits: Array<{ text: string }>;
}

let sandbox: TestSandbox;
let config: SlackConfig;
let channel: Channel;

function slackConfig(overrides: Record<string, unknown> = {}): SlackConfig {
  return integrations({ slack: { token: SLACK_TOKEN, channel: '#incidents', apiUrl: sandbox.info.slackApiUrl, mention: '<!here>', timeoutMs: 5_000, ...overrides } }).slack as SlackConfig;
}

/** Everything posted about one subject: its message first, then its thread. */
async function posted(key: 'incident_id' | 'maintenance_id', id: string): Promise<{ roots: MessageView[]; replies: MessageView[] }> {
  const all = (await sandbox.inspect<MessageView[]>('slack/messages?channel=incidents')).filter((m) => m.metadata?.event_payload[key] === id);
  return { roots: all.filter((m) => m.thread_ts === null || m.thread_ts === m.ts), replies: all.filter((m) => m.thread_ts !== null && m.thread_ts !== m.ts) };
}

beforeAll(async () => {
  sandbox = await startTestSandbox(CHANNELS_SCENARIO);
  config = slackConfig();
  channel = createSlackChannel(config);
});

afterEach(async () => {
  await sandbox.setFaults([]);
});

afterAll(async () => {
  await sandbox.stop();
});

describe('Slack channel: one message per incident', () => {
  it('posts the incident with Block Kit, fallback text and metadata naming the incident and the notification', async () => {
    const subject = incident({ commander: 'carol', components: ['SCORM Cloud API', 'Reporting'] });
    const opened = incidentNote('slack', 'opened', subject);

    const refs = await channel.deliver(opened, {});

    const { roots, replies } = await posted('incident_id', subject.id);
    expect(refs).toEqual({ channel: roots[0]?.channel, ts: roots[0]?.ts });
    expect(roots).toHaveLength(1);
    expect(replies).toEqual([]);
    expect(roots[0]).toMatchObject({
      channel_name: 'incidents',
      text: `[SEV1] LMS database unreachable: Triage (incident ${subject.id})`,
      metadata: { event_type: 'vigil_incident', event_payload: { incident_id: subject.id, notification_id: opened.id } },
    });
    expect(roots[0]?.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: ':rotating_light: [SEV1] LMS database unreachable', emoji: true } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Severity*\nSEV1' },
          { type: 'mrkdwn', text: '*State*\nTriage' },
          { type: 'mrkdwn', text: '*Commander*\ncarol' },
          { type: 'mrkdwn', text: '*Components*\nSCORM Cloud API, Reporting' },
        ],
      },
      { type: 'section', text: { type: 'mrkdwn', text: '*Runbooks and evidence*\n• <https://runbooks.example.com/rds-down|Runbook: RDS instance down>' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Incident ${subject.id} · reported 2025-01-06 10:00 UTC · last change: Opened by alice: opened for the test` }] },
    ]);
  });

  it('updates the message in place on every change and tells each change, with actor and reason, in its thread', async () => {
    const open = incident({ severity: 'sev2' });
    const notes = [
      incidentNote('slack', 'opened', open),
      incidentNote('slack', 'acknowledged', { ...open, state: 'investigating' }, { actor: 'bob', reason: 'on it' }),
      incidentNote('slack', 'reclassified', { ...open, state: 'investigating', severity: 'sev1' }, { actor: 'bob', reason: 'every customer is affected', previousSeverity: 'sev2' }),
      incidentNote('slack', 'mitigated', { ...open, state: 'mitigated', severity: 'sev1' }, { actor: 'bob', reason: 'failed over to the replica' }),
      incidentNote('slack', 'resolved', { ...open, state: 'resolved', severity: 'sev1' }, { actor: 'carol', reason: 'primary rebuilt' }),
    ];

    const refs = await deliverAll(channel, notes);

    const { roots, replies } = await posted('incident_id', open.id);
    expect(roots).toHaveLength(1);
    expect(refs).toEqual({ channel: roots[0]?.channel, ts: roots[0]?.ts });
    expect(roots[0]?.edits.map((e) => e.text)).toEqual([
      `[SEV2] LMS database unreachable: Investigating (incident ${open.id})`,
      `[SEV1] LMS database unreachable: Investigating (incident ${open.id})`,
      `[SEV1] LMS database unreachable: Mitigated (incident ${open.id})`,
      `[SEV1] LMS database unreachable: Resolved (incident ${open.id})`,
    ]);
    expect(roots[0]?.blocks?.[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: ':white_check_mark: [SEV1] LMS database unreachable', emoji: true } });
    expect(replies.map((r) => [r.thread_ts, r.text, r.metadata?.event_type, r.metadata?.event_payload['notification_id']])).toEqual([
      [roots[0]?.ts, 'Acknowledged by bob: on it', 'vigil_incident_update', notes[1]?.id],
      [roots[0]?.ts, 'Reclassified SEV2 → SEV1 by bob: every customer is affected', 'vigil_incident_update', notes[2]?.id],
      [roots[0]?.ts, 'Mitigated (temporary fix in place) by bob: failed over to the replica', 'vigil_incident_update', notes[3]?.id],
      [roots[0]?.ts, 'Resolved by carol: primary rebuilt', 'vigil_incident_update', notes[4]?.id],
    ]);
  });

  it('escapes what people typed, so a title cannot mention the channel or break the markup', async () => {
    const open = incident({ title: 'Login <!channel> & <https://evil.example|click>' });

    await channel.deliver(incidentNote('slack', 'opened', open), {});

    const { roots } = await posted('incident_id', open.id);
    expect(roots[0]?.text).toBe(`[SEV1] Login &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;: Triage (incident ${open.id})`);
    // Block Kit's plain_text header shows text as typed and never notifies.
    expect(roots[0]?.blocks?.[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: ':rotating_light: [SEV1] Login <!channel> & <https://evil.example|click>', emoji: true } });
  });
});

describe('Slack channel: escalation', () => {
  it('calls the configured mention in the thread, also sent to the channel', async () => {
    const open = incident();
    const refs = await channel.deliver(incidentNote('slack', 'opened', open), {});
    const breach = incidentNote('slack', 'sla-breach', open, { actor: 'vigil', reason: 'Nobody acknowledged within 1 h.', escalate: true, sla: { clock: 'workBegins', threshold: 1, dueAt: '2025-01-06T11:00:00.000Z' } });

    await channel.deliver(breach, refs);

    const { replies } = await posted('incident_id', open.id);
    expect(replies.map((r) => [r.text, r.reply_broadcast])).toEqual([['<!here> SLA breach: work begins was due 2025-01-06 11:00 UTC: Nobody acknowledged within 1 h.', true]]);
  });

  it('without a configured mention, or for a warning that does not escalate, it only tells the thread', async () => {
    const quiet = createSlackChannel(slackConfig({ mention: undefined }));
    const open = incident();
    const refs = await quiet.deliver(incidentNote('slack', 'opened', open), {});
    const sla = { clock: 'temporary' as const, threshold: 0.5, dueAt: '2025-01-06T14:00:00.000Z' };

    await deliverAll(quiet, [incidentNote('slack', 'sla-warning', open, { escalate: true, sla, reason: '' }), incidentNote('slack', 'sla-warning', open, { sla, reason: '' })], refs);

    const { replies } = await posted('incident_id', open.id);
    expect(replies.map((r) => [r.text, r.reply_broadcast])).toEqual([
      ['SLA warning: temporary solution is at 50% of its time (due 2025-01-06 14:00 UTC)', true],
      ['SLA warning: temporary solution is at 50% of its time (due 2025-01-06 14:00 UTC)', false],
    ]);
  });
});

describe('Slack channel: maintenance', () => {
  it('announces a scheduled maintenance, then tells its start and completion in the thread', async () => {
    const planned = maintenance();

    const refs = await deliverAll(channel, [
      maintenanceNote('slack', 'maintenance-scheduled', planned),
      maintenanceNote('slack', 'maintenance-started', planned),
      maintenanceNote('slack', 'maintenance-completed', planned),
    ]);

    const { roots, replies } = await posted('maintenance_id', planned.id);
    expect(refs).toEqual({ channel: roots[0]?.channel, ts: roots[0]?.ts });
    expect(roots).toHaveLength(1);
    expect(roots[0]?.metadata?.event_type).toBe('vigil_maintenance');
    expect(roots[0]?.text).toMatch(/^Maintenance: Database engine upgrade \(Completed, \d{4}-\d\d-\d\d \d\d:\d\d UTC – .* UTC\)$/);
    expect(roots[0]?.edits.map((e) => e.text.split(' (')[1]?.split(',')[0])).toEqual(['In progress', 'Completed']);
    expect(roots[0]?.blocks?.[2]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '*Why*\nPostgreSQL 16 brings the security fixes we need.' } });
    expect(replies.map((r) => r.text)).toEqual(['Maintenance started by bob: maintenance-started for the test', 'Maintenance completed by bob: maintenance-completed for the test']);
  });
});

describe('Slack channel: exactly once', () => {
  it('finds its own message and thread reply by metadata when delivered again with the refs from before', async () => {
    const open = incident();
    const opened = incidentNote('slack', 'opened', open);
    const acked = incidentNote('slack', 'acknowledged', { ...open, state: 'investigating' });

    const first = await channel.deliver(opened, {});
    const again = await channel.deliver(opened, {});
    await channel.deliver(acked, first);
    const ackedAgain = await channel.deliver(acked, first);

    const { roots, replies } = await posted('incident_id', open.id);
    expect(again).toEqual(first);
    expect(ackedAgain).toEqual(first);
    expect(roots).toHaveLength(1);
    expect(replies.map((r) => r.text)).toEqual(['Acknowledged by alice: acknowledged for the test']);
  });

  it('a change delivered before any message was recorded finds the message it posted last time', async () => {
    const open = incident({ state: 'investigating' });
    const acked = incidentNote('slack', 'acknowledged', open);
    await sandbox.setFaults([{ service: 'slack', operation: 'chat.postMessage', errorRate: 1, errorStatus: 500, times: 1 }]);
    // The first call posts nothing (500); the retry posts the message and its reply.
    await deliveryFailure(channel.deliver(acked, {}));

    const first = await channel.deliver(acked, {});
    const again = await channel.deliver(acked, {});

    const { roots, replies } = await posted('incident_id', open.id);
    expect(again).toEqual(first);
    expect(roots).toHaveLength(1);
    expect(replies).toHaveLength(1);
  });

  it('the same maintenance announcement delivered twice posts once', async () => {
    const planned = maintenance();
    const scheduled = maintenanceNote('slack', 'maintenance-scheduled', planned);

    const first = await channel.deliver(scheduled, {});
    const again = await channel.deliver(scheduled, {});

    expect(again).toEqual(first);
    expect((await posted('maintenance_id', planned.id)).roots).toHaveLength(1);
  });
});

describe('Slack channel: failures', () => {
  it('a 429 is retryable, with Retry-After as retryAfterMs, and the client does not retry on its own', async () => {
    const open = incident();
    await sandbox.setFaults([{ service: 'slack', throttle: { ratePerSecond: 0.001, burst: 1, per: 'service' } }]);

    const error = await deliveryFailure(channel.deliver(incidentNote('slack', 'opened', open), {}));

    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterMs: 1000, message: 'Slack is rate limiting Vigil (HTTP 429)' });
  });

  it('a 5xx is retryable', async () => {
    await sandbox.setFaults([{ service: 'slack', operation: 'chat.postMessage', errorRate: 1, errorStatus: 503, times: 1 }]);

    const error = await deliveryFailure(channel.deliver(incidentNote('slack', 'opened', incident()), {}));

    expect(error).toMatchObject({ retryable: true, status: 503 });
  });

  it('a rejected token is not retryable and the message carries Slack\'s error code, never the token', async () => {
    const bad = createSlackChannel(slackConfig({ token: 'xoxb-not-a-real-token', channel: 'C0000000000' }));

    const error = await deliveryFailure(bad.deliver(incidentNote('slack', 'opened', incident()), {}));

    expect(error).toMatchObject({ retryable: false, message: 'Slack answered invalid_auth' });
    expect(error.message).not.toContain('xoxb');
  });

  it('a channel that does not exist is not retryable and is named', async () => {
    const lost = createSlackChannel(slackConfig({ channel: '#war-room' }));

    const error = await deliveryFailure(lost.deliver(incidentNote('slack', 'opened', incident()), {}));

    expect(error).toMatchObject({ retryable: false, message: 'Slack channel #war-room was not found, or it is private and the bot is not in it' });
  });

  it('a request that hangs times out as retryable', async () => {
    const impatient = createSlackChannel(slackConfig({ timeoutMs: 300 }));
    await sandbox.setFaults([{ service: 'slack', hangRate: 1, times: 1 }]);

    const error = await deliveryFailure(impatient.deliver(incidentNote('slack', 'opened', incident()), {}));

    expect(error).toMatchObject({ retryable: true, message: 'Slack did not answer within 300 ms' });
  });

  it('an unreachable API is retryable', async () => {
    const away = createSlackChannel(slackConfig({ apiUrl: 'http://127.0.0.1:1/api/' }));

    const error = await deliveryFailure(away.deliver(incidentNote('slack', 'opened', incident()), {}));

    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^Slack could not be reached: /);
  });
});

describe('Slack channel: what it wants', () => {
  it('every incident change and every maintenance step, but not component statuses', () => {
    const subject = incident({ severity: 'sev4' });

    const wanted = [
      channel.wants(incidentNote('slack', 'opened', subject)),
      channel.wants(incidentNote('slack', 'updated', subject)),
      channel.wants(incidentNote('slack', 'sla-warning', subject)),
      channel.wants(maintenanceNote('slack', 'maintenance-cancelled', maintenance())),
      channel.wants(componentNote('slack', 'Reporting', 'major_outage')),
    ];

    expect(wanted).toEqual([true, true, true, true, false]);
  });
});
