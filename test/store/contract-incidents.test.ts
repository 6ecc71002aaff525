/**
 * The incident store's contract on SQLite and PostgreSQL, through the incident service as Vigil uses it:
 * incidents with optimistic versions, the outbox written with each change, leased claims (disjoint across
 * two stores on one database, as two replicas), SLA events recorded once, and maintenance windows.
 */
import { expect, it } from 'vitest';
import { HOUR_MS, ManualClock, MINUTE_MS } from '../../src/core/clock.js';
import { ConflictError } from '../../src/core/errors.js';
import { DEFAULT_RULES } from '../../src/incidents/classify.js';
import { drainOutbox } from '../../src/incidents/dispatcher.js';
import { scheduleMaintenance } from '../../src/incidents/maintenance.js';
import { act, openManually, routeSignals, sweepIncidents, type IncidentDeps } from '../../src/incidents/service.js';
import { DEFAULT_SLA_POLICY } from '../../src/incidents/sla.js';
import type { Store } from '../../src/store/types.js';
import { drillFailed, RecordingChannel, T0 } from '../incidents/pipeline-helpers.js';
import { describeStores } from '../helpers/stores.js';

function depsOf(store: Store, clock = new ManualClock(new Date(T0))) {
  const channels = {
    pagerduty: new RecordingChannel('pagerduty', (a) => a.subject === 'incident' && a.incident.severity !== 'sev4'),
    slack: new RecordingChannel('slack', (a) => a.subject !== 'component'),
    statuspage: new RecordingChannel('statuspage', (a) => a.subject !== 'incident' || ['sev1', 'sev2'].includes(a.incident.severity)),
  };
  const deps: IncidentDeps = {
    store: store.incidents,
    clock,
    channels: Object.values(channels),
    settings: { policy: DEFAULT_SLA_POLICY, rules: DEFAULT_RULES, autoResolveAfterMs: 30 * MINUTE_MS, statuspageApproval: false },
  };
  return { deps, clock, channels };
}

async function openSev2(deps: IncidentDeps, title = 'API errors') {
  return openManually(deps, { title, components: ['SCORM Cloud API'], severity: 'sev2', actor: 'alice', reason: '5% of calls fail' });
}

describeStores('incident store: incidents and signals', ({ open, reopen }) => {
  it('opens an incident from a signal, joins the next one with its key, and finds incidents by id, filter and signal', async () => {
    const store = await open();
    const { deps, clock } = depsOf(store);
    await deps.store.recordSignals([drillFailed('sig-1', T0)]);
    await routeSignals(deps);
    clock.advance(HOUR_MS);
    await deps.store.recordSignals([drillFailed('sig-2', clock.now().toISOString())]);

    const joined = await routeSignals(deps);
    await openSev2(deps, 'Login failures');
    await act(deps, 'INC-2', { action: 'resolve' }, { actor: 'bob', reason: 'fixed' });

    expect(joined.map((o) => [o.signalId, o.action, o.incidentId])).toEqual([['sig-2', 'join', 'INC-1']]);
    expect(await deps.store.unroutedSignals()).toEqual([]);
    expect((await deps.store.getIncident('inc-1'))?.incident).toMatchObject({ id: 'INC-1', severity: 'sev2', signalKeys: ['drill:analytics-prod'] });
    expect((await deps.store.getIncident('INC-1'))?.version).toBe(2);
    expect(await deps.store.getIncident('INC-9')).toBeUndefined();
    expect((await deps.store.listIncidents()).map((s) => s.incident.id)).toEqual(['INC-2', 'INC-1']);
    expect((await deps.store.listIncidents({ open: true })).map((s) => s.incident.id)).toEqual(['INC-1']);
    expect((await deps.store.listIncidents({ open: false, severity: 'sev2', state: 'resolved', since: T0, limit: 5 })).map((s) => s.incident.id)).toEqual(['INC-2']);
    expect((await deps.store.incidentsForSignal('drill:analytics-prod', 'sig-9')).map((s) => s.incident.id)).toEqual(['INC-1']);
    expect((await deps.store.incidentsForSignal('other:key', 'sig-1')).map((s) => s.incident.id)).toEqual(['INC-1']);
  });

  it('records a routing that changed nothing once, so the signal is not routed again', async () => {
    const store = await open();
    await store.incidents.recordSignals([drillFailed('sig-1', T0), drillFailed('sig-2', T0)]);

    await store.incidents.markSignalsRouted([{ id: 'sig-1', action: 'ignore' }], T0);
    await store.incidents.markSignalsRouted([{ id: 'sig-1', action: 'ignore' }], T0);

    expect((await store.incidents.unroutedSignals()).map((s) => s.id)).toEqual(['sig-2']);
  });

  it('refuses a write from a stale version, and of two writers at once exactly one wins', async () => {
    const store = await open();
    const other = await reopen(store);
    const { deps } = depsOf(store);
    const created = await openSev2(deps);
    const stale = { ...created, incident: { ...created.incident, title: 'renamed' } };
    await act(deps, 'INC-1', { action: 'ack' }, { actor: 'bob', reason: 'on it' });

    const refused = await store.incidents.saveIncident({ incident: stale.incident, expectedVersion: 1, notifications: [] }).catch((e: unknown) => e);
    const current = (await store.incidents.getIncident('INC-1')) as NonNullable<Awaited<ReturnType<typeof store.incidents.getIncident>>>;
    const race = await Promise.allSettled(
      [store, other].map((s, i) => s.incidents.saveIncident({ incident: { ...current.incident, title: `writer ${i}` }, expectedVersion: current.version, notifications: [] })),
    );

    expect(refused).toBeInstanceOf(ConflictError);
    expect(race.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(race.find((r) => r.status === 'rejected')).toMatchObject({ reason: expect.any(ConflictError) });
    expect((await other.incidents.getIncident('INC-1'))?.version).toBe(current.version + 1);
  });

  it('numbers incidents created at once from two stores without a gap or a duplicate', async () => {
    const store = await open();
    const other = await reopen(store);

    await Promise.all([0, 1, 2, 3].map((n) => openSev2(depsOf(n % 2 ? other : store).deps, `incident ${n}`)));

    expect((await store.incidents.listIncidents()).map((s) => s.incident.id).sort()).toEqual(['INC-1', 'INC-2', 'INC-3', 'INC-4']);
  });
});

describeStores('incident store: outbox and SLA events', ({ open, reopen }) => {
  it('queues one message per channel that wants a change, delivers them in order, and keeps the channel refs', async () => {
    const store = await open();
    const { deps, clock, channels } = depsOf(store);
    await openSev2(deps);
    await act(deps, 'INC-1', { action: 'ack' }, { actor: 'bob', reason: 'on it' });
    await act(deps, 'INC-1', { action: 'resolve' }, { actor: 'bob', reason: 'rolled back' });

    const outcome = await drainOutbox({ store: deps.store, clock, channels: deps.channels });

    expect(outcome.delivered.length).toBe(9);
    expect(channels.slack.accepted).toEqual(['INC-1/0/slack', 'INC-1/1/slack', 'INC-1/3/slack']);
    expect(await deps.store.channelRefs('INC-1', 'slack')).toEqual({ last: 'INC-1/3/slack', count: '3' });
    expect(await deps.store.channelRefs('INC-1', 'email' as never)).toEqual({});
    expect(await deps.store.listOutbox({ status: 'pending' })).toEqual([]);
    expect((await deps.store.listOutbox({ subjectId: 'INC-1', limit: 2 })).map((o) => [o.id, o.status, o.attempts])).toEqual([
      ['INC-1/0/pagerduty', 'delivered', 1],
      ['INC-1/0/slack', 'delivered', 1],
    ]);
    expect(await deps.store.outboxCounts()).toEqual([
      { status: 'delivered', channel: 'pagerduty', count: 3 },
      { status: 'delivered', channel: 'slack', count: 3 },
      { status: 'delivered', channel: 'statuspage', count: 3 },
    ]);
  });

  it('leases a claimed message until the lease ends, and holds later messages of its subject back', async () => {
    const store = await open();
    const { deps, clock } = depsOf(store);
    await openSev2(deps);
    await act(deps, 'INC-1', { action: 'ack' }, { actor: 'bob', reason: 'on it' });
    const now = clock.now().toISOString();
    const leaseEnd = new Date(clock.now().getTime() + MINUTE_MS).toISOString();

    const first = await store.incidents.claimOutbox(now, 'replica-a', leaseEnd, 10);
    const second = await store.incidents.claimOutbox(now, 'replica-b', leaseEnd, 10);
    const afterLease = await store.incidents.claimOutbox(leaseEnd, 'replica-b', new Date(Date.parse(leaseEnd) + MINUTE_MS).toISOString(), 10);

    expect(first.map((o) => o.id)).toEqual(['INC-1/0/pagerduty', 'INC-1/0/slack', 'INC-1/0/statuspage']);
    expect(second).toEqual([]);
    expect(afterLease.map((o) => o.id)).toEqual(first.map((o) => o.id));
  });

  it('gives two stores claiming at once disjoint messages, every deliverable one to someone', async () => {
    const store = await open();
    const other = await reopen(store);
    const { deps, clock } = depsOf(store);
    for (let n = 0; n < 8; n++) await openSev2(deps, `incident ${n}`);
    const now = clock.now().toISOString();
    const leaseEnd = new Date(clock.now().getTime() + MINUTE_MS).toISOString();

    const claims = await Promise.all([store, other, store, other].map((s, i) => s.incidents.claimOutbox(now, `replica-${i}`, leaseEnd, 10)));

    const ids = claims.flat().map((o) => o.id);
    expect(ids.length).toBe(new Set(ids).size);
    expect(ids.sort()).toEqual((await store.incidents.listOutbox()).map((o) => o.id).sort());
  });

  it('retries, fails, requeues and releases held messages', async () => {
    const store = await open();
    const { deps, clock } = depsOf(store);
    deps.settings.statuspageApproval = true;
    await openSev2(deps);
    const now = clock.now().toISOString();
    const [pagerduty, slack] = await store.incidents.claimOutbox(now, 'me', now, 10);

    await store.incidents.outboxRetry(pagerduty?.id as string, '2026-11-24T10:00:00.000Z', '502 Bad Gateway');
    await store.incidents.outboxFailed(slack?.id as string, '400 invalid_blocks');
    const heldBefore = await store.incidents.listOutbox({ status: 'held' });
    const released = await store.incidents.outboxRelease('INC-1', 'statuspage', now);
    const requeued = await store.incidents.outboxRequeue([slack?.id as string, 'INC-1/0/statuspage'], now);

    expect(heldBefore.map((o) => o.id)).toEqual(['INC-1/0/statuspage']);
    expect(released).toBe(1);
    expect(requeued).toBe(1);
    expect((await store.incidents.listOutbox()).map((o) => [o.id, o.status, o.attempts, o.nextAttemptAt, o.lastError ?? null])).toEqual([
      ['INC-1/0/pagerduty', 'pending', 1, '2026-11-24T10:00:00.000Z', '502 Bad Gateway'],
      ['INC-1/0/slack', 'pending', 1, now, '400 invalid_blocks'],
      ['INC-1/0/statuspage', 'pending', 0, now, null],
    ]);
  });

  it('records each SLA warning and breach once, however often the sweep runs', async () => {
    const store = await open();
    const other = await reopen(store);
    const { deps, clock } = depsOf(store);
    await openSev2(deps);
    clock.advance(3 * HOUR_MS);

    await Promise.all([sweepIncidents(deps), sweepIncidents({ ...deps, store: other.incidents })].map((p) => p.catch((e: unknown) => (e instanceof ConflictError ? undefined : Promise.reject(e)))));
    await sweepIncidents(deps);

    const events = await store.incidents.slaEvents('INC-1');
    expect(events.length).toBeGreaterThan(0);
    expect(events.map((e) => e.id).length).toBe(new Set(events.map((e) => e.id)).size);
    expect(events.every((e) => e.incidentId === 'INC-1' && typeof e.threshold === 'number')).toBe(true);
    expect(await store.incidents.slaEvents()).toEqual(events);
  });

  it('enqueues component notifications on their own', async () => {
    const store = await open();
    const notification = { id: 'component:api/1/statuspage', channel: 'statuspage', subject: 'component', component: 'api', status: 'major_outage', event: 'component-status', at: T0, actor: 'probe:api', reason: 'down' };

    await store.incidents.enqueue([notification as never], T0);
    await store.incidents.enqueue([notification as never], T0);

    expect((await store.incidents.listOutbox()).map((o) => [o.id, o.subjectId, o.status])).toEqual([['component:api/1/statuspage', 'component:api', 'pending']]);
  });
});

describeStores('incident store: maintenance windows', ({ open }) => {
  it('numbers windows, queues their announcements, refuses a stale write, and lists them by status', async () => {
    const store = await open();
    const { deps, clock } = depsOf(store);
    const request = { start: '2026-11-26T02:00Z', end: '2026-11-26T04:00Z', components: ['SCORM Cloud API'], reason: 'PostgreSQL 16 upgrade', emergency: false, actor: 'alice' };

    const first = await scheduleMaintenance({ store: deps.store, clock, channels: deps.channels }, request);
    const second = await scheduleMaintenance({ store: deps.store, clock, channels: deps.channels }, { ...request, start: '2026-11-27T02:00Z', end: '2026-11-27T04:00Z' });
    const stale = await store.incidents.saveMaintenance({ ...first, status: 'cancelled' }, 0, []).catch((e: unknown) => e);
    await store.incidents.saveMaintenance({ ...second, status: 'cancelled' }, second.version, []);

    expect([first.id, second.id, first.version]).toEqual(['MNT-1', 'MNT-2', 1]);
    expect(stale).toBeInstanceOf(ConflictError);
    expect(await store.incidents.getMaintenance('mnt-1')).toEqual(first);
    expect(await store.incidents.nextMaintenanceId()).toBe('MNT-3');
    expect((await store.incidents.listMaintenance({ status: ['scheduled'] })).map((m) => m.id)).toEqual(['MNT-1']);
    expect((await store.incidents.listMaintenance()).map((m) => [m.id, m.status, m.version])).toEqual([
      ['MNT-1', 'scheduled', 1],
      ['MNT-2', 'cancelled', 2],
    ]);
    expect((await store.incidents.listOutbox({ subjectId: 'MNT-1' })).length).toBeGreaterThan(0);
  });
});
