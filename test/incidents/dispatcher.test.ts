import { afterEach, describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../../src/core/clock.js';
import { DeliveryError } from '../../src/incidents/delivery.js';
import { backoff, dispatchOnce, drainOutbox } from '../../src/incidents/dispatcher.js';
import { act, openManually } from '../../src/incidents/service.js';
import { pipeline } from './pipeline-helpers.js';

const opened: Array<{ close(): Promise<void> }> = [];
function setup(options: Parameters<typeof pipeline>[0] = {}) {
  const p = pipeline(options);
  opened.push(p.store);
  return p;
}
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

async function openSev2(deps: ReturnType<typeof pipeline>['deps']) {
  return openManually(deps, { title: 'API errors', components: ['SCORM Cloud API'], severity: 'sev2', actor: 'alice', reason: '5% of calls fail' });
}

describe('dispatcher', () => {
  it('delivers each message once, in order per subject and channel, keeping the channel refs', async () => {
    const { deps, clock, channels } = setup();
    await openSev2(deps);
    await act(deps, 'INC-1', { action: 'ack' }, { actor: 'bob', reason: 'on it' });
    await act(deps, 'INC-1', { action: 'resolve' }, { actor: 'bob', reason: 'rolled back' });

    const outcome = await drainOutbox({ store: deps.store, clock, channels: deps.channels });

    expect(outcome.delivered.length).toBe(9);
    expect(channels.slack.accepted).toEqual(['INC-1/0/slack', 'INC-1/1/slack', 'INC-1/3/slack']);
    expect(await deps.store.channelRefs('INC-1', 'slack')).toEqual({ last: 'INC-1/3/slack', count: '3' });
    expect(await deps.store.listOutbox({ status: 'pending' })).toEqual([]);
    expect((await drainOutbox({ store: deps.store, clock, channels: deps.channels })).delivered).toEqual([]);
  });

  it('backs off on 429 honouring Retry-After and on 5xx exponentially, holding later messages back, then delivers once', async () => {
    const { deps, clock, channels } = setup();
    await openSev2(deps);
    await act(deps, 'INC-1', { action: 'ack' }, { actor: 'bob', reason: 'on it' });
    channels.pagerduty.failures.push(new DeliveryError('429 Too Many Requests', true, 429, 90_000), new DeliveryError('502 Bad Gateway', true, 502));
    const dispatch = { store: deps.store, clock, channels: deps.channels };

    const first = await drainOutbox(dispatch);
    expect(first.retrying).toEqual([{ id: 'INC-1/0/pagerduty', channel: 'pagerduty', error: 'pagerduty: 429 Too Many Requests', nextAttemptAt: '2026-11-24T09:01:30.000Z' }]);
    // The acknowledgement must not overtake the trigger it acknowledges.
    expect(channels.pagerduty.calls.map((c) => c.id)).toEqual(['INC-1/0/pagerduty']);

    clock.advance(89_000);
    expect((await dispatchOnce(dispatch)).delivered).toEqual([]);
    clock.advance(1_000);
    const second = await drainOutbox(dispatch);
    expect(second.retrying.map((r) => r.nextAttemptAt)).toEqual([new Date(clock.now().getTime() + backoff(1, { initialBackoffMs: 5_000, maxBackoffMs: 900_000 })).toISOString()]);
    clock.advance(10_000);
    await drainOutbox(dispatch);

    expect(channels.pagerduty.accepted).toEqual(['INC-1/0/pagerduty', 'INC-1/1/pagerduty']);
    const trigger = (await deps.store.listOutbox({ subjectId: 'INC-1' })).find((o) => o.id === 'INC-1/0/pagerduty');
    expect(trigger).toMatchObject({ status: 'delivered', attempts: 3 });
  });

  it('stops a message on a 4xx, reports it, and delivers it after a requeue', async () => {
    const { deps, clock, channels } = setup();
    await openSev2(deps);
    channels.statuspage.failures.push(new DeliveryError('component "SCORM Cloud API" is not on the page', false, 422));
    const dispatch = { store: deps.store, clock, channels: deps.channels };

    const outcome = await drainOutbox(dispatch);

    expect(outcome.failed).toEqual([{ id: 'INC-1/0/statuspage', channel: 'statuspage', error: 'statuspage: component "SCORM Cloud API" is not on the page' }]);
    expect(await deps.store.listOutbox({ status: 'failed' })).toHaveLength(1);
    expect(await deps.store.outboxRequeue(['INC-1/0/statuspage'], clock.now().toISOString())).toBe(1);
    expect((await drainOutbox(dispatch)).delivered.map((d) => d.id)).toEqual(['INC-1/0/statuspage']);
  });

  it('after a crash between delivery and its record, redelivers to a channel that recognises its own message', async () => {
    const { deps, clock, channels } = setup();
    await openSev2(deps);
    channels.slack.crashAfterAccept = true;
    const dispatch = { store: deps.store, clock, channels: deps.channels, };

    await drainOutbox({ ...dispatch });
    // The "crash" left the row pending with a backoff; a restart delivers it again after the lease.
    clock.advance(MINUTE_MS);
    await drainOutbox(dispatch);

    expect(channels.slack.calls.map((c) => c.id)).toEqual(['INC-1/0/slack', 'INC-1/0/slack']);
    expect(channels.slack.accepted).toEqual(['INC-1/0/slack']);
    expect((await deps.store.listOutbox({ subjectId: 'INC-1' })).every((o) => o.status === 'delivered')).toBe(true);
  });

  it('never hands one message to two dispatchers at once', async () => {
    const { deps, clock } = setup();
    await openSev2(deps);
    const now = clock.now().toISOString();
    const lease = new Date(clock.now().getTime() + 60_000).toISOString();

    const a = await deps.store.claimOutbox(now, 'a@host', lease, 10);
    const b = await deps.store.claimOutbox(now, 'b@host', lease, 10);

    expect(a.map((o) => o.id)).toEqual(['INC-1/0/pagerduty', 'INC-1/0/slack', 'INC-1/0/statuspage']);
    expect(b).toEqual([]);
  });

  it('fails a message for a channel that is no longer configured, naming it', async () => {
    const { deps, clock } = setup();
    await openSev2(deps);
    const outcome = await drainOutbox({ store: deps.store, clock, channels: deps.channels.filter((c) => c.name !== 'pagerduty') });
    expect(outcome.failed).toEqual([{ id: 'INC-1/0/pagerduty', channel: 'pagerduty', error: expect.stringContaining('pagerduty integration is not configured') }]);
  });
});
