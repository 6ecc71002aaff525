/**
 * The incident pipeline on two replicas sharing one real PostgreSQL, delivering through the real Slack,
 * PagerDuty and Statuspage clients to the sandbox: concurrent dispatchers deliver each notification once
 * (counted by what the sandbox received), and SLA warnings and breaches fire once while both replicas
 * sweep the same incidents at the same instants of a manual clock.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { ManualClock, MINUTE_MS } from '../../src/core/clock.js';
import { drainOutbox, type DispatchOutcome } from '../../src/incidents/dispatcher.js';
import { incidentPass, incidentRuntime, type IncidentRuntime } from '../../src/incidents/runtime.js';
import { act, openManually, sweepIncidents } from '../../src/incidents/service.js';
import { Replica } from '../../src/service/cluster.js';
import { ManualTimer } from '../../src/service/timer.js';
import type { ClusterStore } from '../../src/store/cluster-types.js';
import type { OutboxRecord } from '../../src/store/incident-types.js';
import { skipWithoutPostgres, startTestPostgres } from '../helpers/postgres.js';
import { incidentChannelsScenario } from '../helpers/incident-channels.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const SLACK_TOKEN = 'xoxb-cluster-incidents';
const ROUTING_KEY = 'clusterroutingkey000000000000001';
const STATUSPAGE_KEY = 'cluster-incidents-statuspage-key';
const T0 = '2026-11-24T09:00:00.000Z';

const SCENARIO = incidentChannelsScenario('cluster-incidents', { slackToken: SLACK_TOKEN, routingKey: ROUTING_KEY, statuspageKey: STATUSPAGE_KEY });

interface Node {
  app: App;
  replica: Replica;
  runtime: IncidentRuntime;
}

interface Setup {
  sandbox: TestSandbox;
  clock: ManualClock;
  nodes: [Node, Node];
}

let current: Setup | undefined;
afterEach(async () => {
  if (!current) return;
  for (const node of current.nodes) {
    await node.replica.leave();
    await node.app.close();
  }
  await current.sandbox.stop();
  current = undefined;
});

/** A sandbox, a fresh database and two replicas on it, each with its own connection pool and channels. */
async function setup(): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cluster-incidents-'));
  const sandbox = await startTestSandbox(SCENARIO, { stateDir: join(dir, 'sandbox') });
  const url = await (await startTestPostgres()).newDatabase();
  const configFile = join(dir, 'vigil.config.yaml');
  writeFileSync(
    configFile,
    `version: 1
accounts:
  - { id: "111111111111", name: management, regions: [us-east-1] }
store:
  postgres:
    url: ${url}
integrations:
  slack: { token: ${SLACK_TOKEN}, channel: "#incidents", apiUrl: ${sandbox.info.slackApiUrl}, timeoutMs: 5000 }
  pagerduty: { routingKey: ${ROUTING_KEY}, server: ${sandbox.info.pagerdutyServer}, caFile: ${sandbox.info.caCertFile}, timeoutMs: 5000 }
  statuspage: { apiKey: ${STATUSPAGE_KEY}, pageId: cc-status, apiUrl: ${sandbox.info.statuspageApiUrl}, timeoutMs: 5000 }
`,
  );
  const clock = new ManualClock(T0);
  const node = async (replicaId: string): Promise<Node> => {
    const app = await createApp({ configFile, dataDir: dir, env: {}, clock });
    const store = app.store();
    const replica = new Replica({
      store: store.cluster as ClusterStore,
      clock,
      timer: new ManualTimer(clock),
      settings: { replicaId, leaseTimeoutMs: MINUTE_MS, heartbeatIntervalMs: 20_000 },
      version: 'test',
    });
    await replica.join();
    const runtime = await incidentRuntime(app, { owner: replica.id, exclusive: (name, work) => replica.exclusive(name, work) });
    return { app, replica, runtime };
  };
  current = { sandbox, clock, nodes: [await node('vigil-a'), await node('vigil-b')] };
  return current;
}

interface PdEvent {
  event_action: string;
  dedup_key?: string;
  status: number;
}
interface SlackMessage {
  ts: string;
  metadata?: { event_payload?: Record<string, string> } | null;
}

/** What the sandbox received: each PagerDuty event and each Slack post, keyed so a repeat shows. */
async function received(sandbox: TestSandbox): Promise<{ pagerduty: string[]; slack: string[]; slackPosts: number }> {
  const events = await sandbox.inspect<PdEvent[]>('pagerduty/events');
  const messages = await sandbox.inspect<SlackMessage[]>('slack/messages');
  const posts = await sandbox.inspect<unknown[]>('calls?service=slack&operation=chat.postMessage');
  return {
    pagerduty: events.map((e) => `${e.dedup_key}/${e.event_action}`),
    slack: messages.map((m) => m.metadata?.event_payload?.['notification_id'] ?? `untagged ${m.ts}`),
    slackPosts: posts.length,
  };
}

const repeated = (keys: string[]) => keys.filter((k, i) => keys.indexOf(k) !== i);

/** Both replicas drain the outbox at once, until neither delivers anything more. */
async function drainTogether(nodes: readonly Node[], batch: number): Promise<DispatchOutcome[]> {
  const outcomes = nodes.map((): DispatchOutcome => ({ delivered: [], retrying: [], failed: [] }));
  for (let round = 0; round < 20; round++) {
    const passes = await Promise.all(nodes.map((n) => drainOutbox({ store: n.runtime.store, clock: n.runtime.clock, channels: n.runtime.channels }, { ...n.runtime.dispatch, batch })));
    passes.forEach((p, i) => outcomes[i]?.delivered.push(...p.delivered));
    if (passes.every((p) => p.delivered.length === 0)) break;
  }
  return outcomes;
}

function deliveredOnce(outbox: OutboxRecord[]): Array<[string, string, number]> {
  return outbox.filter((o) => o.status !== 'delivered' || o.attempts !== 1).map((o) => [o.id, o.status, o.attempts]);
}

describe.skipIf(skipWithoutPostgres)('the incident pipeline on two replicas', () => {
  it('delivers each notification once with both replicas dispatching at the same time', async () => {
    const { sandbox, nodes } = await setup();
    const [a, b] = nodes;
    for (let i = 1; i <= 6; i++) {
      await openManually(a.runtime, { title: `Outage ${i}`, components: ['SCORM Cloud API'], severity: i % 2 ? 'sev1' : 'sev2', actor: 'alice', reason: `case ${i}` });
    }
    for (const id of ['INC-1', 'INC-2', 'INC-3']) await act(b.runtime, id, { action: 'ack' }, { actor: 'bob', reason: 'on it' });
    // Each call takes a while, so both dispatchers are in the middle of deliveries at once.
    await sandbox.setFaults([{ service: '*', latencyMs: 15 }]);

    const [byA, byB] = await drainTogether(nodes, 2);

    const outbox = await a.runtime.store.listOutbox({});
    const delivered = [...(byA?.delivered ?? []), ...(byB?.delivered ?? [])].map((d) => d.id);
    expect(outbox.length).toBeGreaterThan(20);
    expect(deliveredOnce(outbox)).toEqual([]);
    expect(repeated(delivered)).toEqual([]);
    expect(delivered.sort()).toEqual(outbox.map((o) => o.id).sort());
    expect([byA?.delivered.length, byB?.delivered.length].every((n) => (n ?? 0) > 0)).toBe(true);
    const got = await received(sandbox);
    expect(repeated(got.pagerduty)).toEqual([]);
    expect(got.pagerduty.length).toBe(outbox.filter((o) => o.channel === 'pagerduty').length);
    expect(repeated(got.slack)).toEqual([]);
    expect(got.slack.sort()).toEqual(outbox.filter((o) => o.channel === 'slack').map((o) => o.id).sort());
    expect(got.slackPosts).toBe(got.slack.length);
  }, 60_000);

  it('fires each SLA warning and breach once while both replicas sweep at the same instants', async () => {
    const { sandbox, clock, nodes } = await setup();
    const [a] = nodes;
    await openManually(a.runtime, { title: 'Website down', components: ['SCORM Cloud Website'], severity: 'sev1', actor: 'alice', reason: 'every page returns 503' });
    await drainTogether(nodes, 5);

    // Eight hours in ten-minute steps: both replicas sweep the raw clocks at once (no lock), then both run
    // the service's pass (the lock lets one route and sweep; both deliver).
    for (let step = 0; step < 48; step++) {
      clock.advance(10 * MINUTE_MS);
      await Promise.all(nodes.map((n) => sweepIncidents(n.runtime)));
      await Promise.all(nodes.map((n) => incidentPass(n.runtime)));
    }
    await drainTogether(nodes, 5);

    const events = await a.runtime.store.slaEvents();
    expect(events.map((e) => [e.clock, e.kind, e.threshold, e.at])).toEqual([
      ['workBegins', 'warning', 0.5, '2026-11-24T09:30:00.000Z'],
      ['workBegins', 'warning', 0.8, '2026-11-24T09:48:00.000Z'],
      ['workBegins', 'breach', 1, '2026-11-24T10:00:00.000Z'],
      ['temporary', 'warning', 0.5, '2026-11-24T11:00:00.000Z'],
      ['temporary', 'warning', 0.8, '2026-11-24T12:12:00.000Z'],
      ['final', 'warning', 0.5, '2026-11-24T12:30:00.000Z'],
      ['temporary', 'breach', 1, '2026-11-24T13:00:00.000Z'],
      ['final', 'warning', 0.8, '2026-11-24T14:36:00.000Z'],
      ['final', 'breach', 1, '2026-11-24T16:00:00.000Z'],
    ]);
    const outbox = await a.runtime.store.listOutbox({});
    expect(deliveredOnce(outbox)).toEqual([]);
    const got = await received(sandbox);
    expect(repeated(got.pagerduty)).toEqual([]);
    expect(got.pagerduty.filter((k) => k.includes('sla')).length).toBeGreaterThan(0);
    expect(repeated(got.slack)).toEqual([]);
    expect(got.slackPosts).toBe(got.slack.length);
  }, 120_000);
});
