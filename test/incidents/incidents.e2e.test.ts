/**
 * Incidents end to end: the real pdjs, @slack/web-api and Statuspage calls against the sandbox. A failed
 * drill's signal becomes a Sev2 with a page, a Slack message and a status-page incident, each following
 * acknowledgement and resolution; under 429s, 5xx and a restart in the middle every notification lands once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannels } from '../../src/adapters/channels/index.js';
import { configSchema } from '../../src/config/schema.js';
import { ManualClock, MINUTE_MS } from '../../src/core/clock.js';
import { DEFAULT_RULES } from '../../src/incidents/classify.js';
import { drainOutbox } from '../../src/incidents/dispatcher.js';
import { act, openManually, routeSignals, type IncidentDeps } from '../../src/incidents/service.js';
import { DEFAULT_SLA_POLICY } from '../../src/incidents/sla.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { DrillRecord } from '../../src/store/types.js';
import { incidentChannelsScenario } from '../helpers/incident-channels.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const SLACK_TOKEN = 'xoxb-incidents-e2e';
const ROUTING_KEY = 'e2eroutingkey0000000000000000001';
const STATUSPAGE_KEY = 'incidents-e2e-statuspage-key';

const SCENARIO = incidentChannelsScenario('incidents-e2e', { slackToken: SLACK_TOKEN, routingKey: ROUTING_KEY, statuspageKey: STATUSPAGE_KEY });

interface PdEvent {
  event_action: string;
  dedup_key?: string;
  payload?: { severity?: string; summary?: string };
  links?: Array<{ href: string }>;
  status: number;
  outcome: string | null;
}
interface SlackMessage {
  ts: string;
  thread_ts: string | null;
  text: string;
  metadata?: { event_payload?: Record<string, unknown> } | null;
}
interface SpIncident {
  id: string;
  name: string;
  status: string;
  impact: string;
  components: Array<{ name: string; status: string }>;
  incident_updates: Array<{ status: string; body: string }>;
}

let sandbox: TestSandbox;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'vigil-incidents-e2e-'));
  sandbox = await startTestSandbox(SCENARIO, { stateDir: join(stateDir, 'sandbox') });
}, 60_000);

afterAll(async () => {
  await sandbox.stop();
});

function runtime(dataDir: string, clock: ManualClock) {
  const store = SqliteStore.open(dataDir);
  const integrations = configSchema.shape.integrations.parse({
    slack: { token: SLACK_TOKEN, channel: '#incidents', apiUrl: sandbox.info.slackApiUrl, mention: '<!here>', timeoutMs: 5_000 },
    pagerduty: { routingKey: ROUTING_KEY, server: sandbox.info.pagerdutyServer, caFile: sandbox.info.caCertFile, timeoutMs: 5_000 },
    statuspage: { apiKey: STATUSPAGE_KEY, pageId: 'cc-status', apiUrl: sandbox.info.statuspageApiUrl, timeoutMs: 5_000 },
  });
  const deps: IncidentDeps = {
    store: store.incidents,
    clock,
    channels: createChannels(integrations, { throttleRetryMs: 10 }),
    settings: { policy: DEFAULT_SLA_POLICY, rules: DEFAULT_RULES, autoResolveAfterMs: 30 * MINUTE_MS, statuspageApproval: false, runbookBaseUrl: 'https://git.example.com/vigil/blob/main/' },
  };
  const deliver = () => drainOutbox({ store: deps.store, clock, channels: deps.channels }, { initialBackoffMs: 5_000, maxBackoffMs: 60_000 });
  return { store, deps, deliver };
}

const pdEvents = (dedup: string) => sandbox.inspect<PdEvent[]>('pagerduty/events').then((all) => all.filter((e) => e.dedup_key?.startsWith(dedup)));
/** A thread's parent carries thread_ts equal to its own ts once it has replies, as in Slack. */
const isRoot = (m: SlackMessage) => m.thread_ts === null || m.thread_ts === m.ts;
const slackMessages = (incidentId: string) =>
  sandbox.inspect<SlackMessage[]>('slack/messages').then((all) => {
    const roots = all.filter((m) => isRoot(m) && m.metadata?.event_payload?.['incident_id'] === incidentId);
    const root = roots[0];
    return { root, roots, replies: all.filter((m) => m.thread_ts === root?.ts && m.ts !== root?.ts) };
  });
const statusIncidents = (title: string) => sandbox.inspect<SpIncident[]>('statuspage/incidents').then((all) => all.filter((i) => i.name.includes(title)));
const statusIncidentsNamed = (name: string) => sandbox.inspect<SpIncident[]>('statuspage/incidents').then((all) => all.filter((i) => i.name === name));

describe('incidents against the sandbox', () => {
  it('a failed drill opens a Sev2 that pages, posts to Slack and the status page, and follows acknowledgement and resolution', async () => {
    const clock = new ManualClock('2026-11-24T09:00:00.000Z');
    const { store, deps, deliver } = runtime(mkdtempSync(join(tmpdir(), 'vigil-inc-')), clock);
    // The drill records its failure and its signal together, as runDrill does.
    const drill: DrillRecord = {
      id: 'drill-e2e-1',
      target: 'analytics-prod',
      accountId: '222222222222',
      region: 'us-east-1',
      status: 'running',
      trigger: 'schedule',
      owner: 'test@host',
      startedAt: '2026-11-24T08:50:00.000Z',
      heartbeatAt: '2026-11-24T08:50:00.000Z',
      phases: [],
      verification: [],
      measures: {},
    };
    await store.createDrill(drill);
    await store.finishDrillWithSignal('drill-e2e-1', { status: 'failed', failure: 'the restored database has no tables' }, {
      id: 'signal-e2e-1',
      kind: 'drill-failed',
      key: 'drill:analytics-prod',
      source: 'drill drill-e2e-1',
      raisedAt: '2026-11-24T08:58:00.000Z',
      summary: 'Restore drill analytics-prod failed: the restored database has no tables',
      payload: { drillId: 'drill-e2e-1', target: 'analytics-prod', failure: 'the restored database has no tables', components: ['Reporting'] },
    });

    const routed = await routeSignals(deps);
    const first = await deliver();

    expect(routed.map((r) => [r.action, r.incidentId])).toEqual([['open', 'INC-1']]);
    expect((await deps.store.getIncident('INC-1'))?.incident.severity).toBe('sev2');
    expect(first.failed).toEqual([]);
    const [trigger] = await pdEvents('INC-1');
    expect(trigger).toMatchObject({ event_action: 'trigger', dedup_key: 'INC-1', status: 202, payload: { severity: 'error' } });
    expect(trigger?.links?.map((l) => l.href)).toEqual(['https://git.example.com/vigil/blob/main/runbooks/drills/analytics-prod.yaml']);
    const slack = await slackMessages('INC-1');
    expect(slack.root?.text).toContain('analytics-prod');
    const [posted] = await statusIncidentsNamed('Degraded backup and recovery');
    // Internal detail stays off the public page: no instance names, no rule explanations.
    expect(posted?.incident_updates.map((u) => u.body).join(' ')).not.toMatch(/analytics-prod|Rule /);
    expect(posted).toMatchObject({ status: 'investigating', impact: 'major', components: [{ name: 'Reporting', status: 'partial_outage' }] });

    clock.advance(20 * MINUTE_MS);
    await act(deps, 'INC-1', { action: 'ack' }, { actor: 'bob', reason: 'looking at the snapshot job' });
    clock.advance(40 * MINUTE_MS);
    await act(deps, 'INC-1', { action: 'resolve' }, { actor: 'bob', reason: 'snapshot job fixed; a new drill passed' });
    const last = await deliver();

    expect(last.failed).toEqual([]);
    expect((await pdEvents('INC-1')).map((e) => [e.event_action, e.outcome])).toEqual([
      ['trigger', 'created'],
      ['acknowledge', 'acknowledged'],
      ['resolve', 'resolved'],
    ]);
    const after = await slackMessages('INC-1');
    expect(after.roots).toHaveLength(1);
    expect(after.root?.ts).toBe(slack.root?.ts);
    expect(after.root?.text.toLowerCase()).toContain('resolved');
    expect(after.replies.map((m) => m.text)).toEqual([expect.stringContaining('bob'), expect.stringContaining('bob')]);
    const [closed] = await statusIncidentsNamed('Degraded backup and recovery');
    expect(closed).toMatchObject({ id: posted?.id, status: 'resolved', components: [{ name: 'Reporting', status: 'operational' }] });
    await store.close();
  });

  it('delivers every notification exactly once through 429s, 5xx and a restart in the middle', async () => {
    const clock = new ManualClock('2026-11-24T12:00:00.000Z');
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-inc-'));
    const one = runtime(dataDir, clock);
    // Incident ids restart in each store: this INC-1 follows the first test's in the same sandbox.
    const earlier = (await pdEvents('INC-1')).length;
    await openManually(one.deps, { title: 'Website down for every learner', components: ['SCORM Cloud Website'], severity: 'sev1', actor: 'alice', reason: 'every page returns 503' });
    // Slack's one token goes to the channel's look for its own earlier message, so the post meets a 429.
    await sandbox.setFaults([
      { service: 'pagerduty', errorRate: 1, errorStatus: 503, times: 1 },
      { service: 'slack', throttle: { ratePerSecond: 0.0001, burst: 1, per: 'service' } },
      { service: 'statuspage', errorRate: 1, errorStatus: 502, times: 1 },
    ]);

    const first = await one.deliver();
    expect(first.retrying.map((r) => [r.channel, r.error.match(/\b(429|502|503)\b/)?.[0]]).sort()).toEqual([
      ['pagerduty', '503'],
      ['slack', '429'],
      ['statuspage', '502'],
    ]);

    // The process dies in the middle: PagerDuty accepted the trigger, but the outbox never heard.
    await sandbox.setFaults([]);
    const pending = (await one.deps.store.listOutbox({ subjectId: 'INC-1', status: 'pending' })).find((o) => o.channel === 'pagerduty');
    const pagerduty = one.deps.channels.find((c) => c.name === 'pagerduty');
    await pagerduty?.deliver(pending!.notification, {});
    await one.store.close();

    clock.advance(MINUTE_MS);
    const two = runtime(dataDir, clock);
    await act(two.deps, 'INC-1', { action: 'ack' }, { actor: 'bob', reason: 'rolling back the deploy' });
    await act(two.deps, 'INC-1', { action: 'resolve' }, { actor: 'bob', reason: 'rolled back' });
    await two.deliver();
    clock.advance(5 * MINUTE_MS);
    const rest = await two.deliver();

    expect(rest.failed).toEqual([]);
    expect(await two.deps.store.listOutbox({ subjectId: 'INC-1', status: 'pending' })).toEqual([]);
    const accepted = (await pdEvents('INC-1')).slice(earlier).filter((e) => e.status === 202 && e.dedup_key === 'INC-1');
    expect(accepted.map((e) => [e.event_action, e.outcome])).toEqual([
      ['trigger', 'created'],
      ['trigger', 'deduplicated'],
      ['acknowledge', 'acknowledged'],
      ['resolve', 'resolved'],
    ]);
    const slack = await slackMessages('INC-1');
    expect(slack.roots.filter((m) => m.text.includes('Website down'))).toHaveLength(1);
    expect(await statusIncidents('Website down')).toHaveLength(1);
    await two.store.close();
  });
});
