import { afterEach, describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from '../../src/core/clock.js';
import { ConfigError } from '../../src/core/errors.js';
import { act, approveStatusPage, openManually, routeSignals, sweepIncidents } from '../../src/incidents/service.js';
import { drillFailed, pipeline, T0 } from './pipeline-helpers.js';

const opened: Array<{ close(): Promise<void> }> = [];
function setup(options: Parameters<typeof pipeline>[0] = {}) {
  const p = pipeline(options);
  opened.push(p.store);
  return p;
}
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

describe('signals become incidents', () => {
  it('opens a Sev2 from a failed drill, explains why, and queues one notification per channel that wants it', async () => {
    const { deps } = setup();
    await deps.store.recordSignals([drillFailed('sig-1', T0)]);

    const outcomes = await routeSignals(deps);

    expect(outcomes).toEqual([
      { signalId: 'sig-1', action: 'open', incidentId: 'INC-1', explanation: expect.stringContaining('Rule drill-failed matched drill-failed signal') },
    ]);
    const stored = await deps.store.getIncident('INC-1');
    expect(stored?.incident).toMatchObject({ severity: 'sev2', state: 'triage', components: ['Reporting'], signalKeys: ['drill:analytics-prod'], reportedAt: T0 });
    // The summary names an instance and an error; the public pages get the rule's plain title.
    expect(stored?.incident.publicTitle).toBe('Degraded backup and recovery');
    expect(stored?.incident.timeline[0]).toMatchObject({ actor: 'rule:drill-failed', change: { kind: 'opened', due: { workBegins: '2026-11-24T11:00:00.000Z' } } });
    expect(stored?.incident.links).toEqual([{ href: 'https://git.example.com/vigil/blob/main/runbooks/drills/analytics-prod.yaml', text: 'Drill definition analytics-prod' }]);
    const outbox = await deps.store.listOutbox({ subjectId: 'INC-1' });
    expect(outbox.map((o) => [o.channel, o.status, o.notification.subject === 'incident' && o.notification.event])).toEqual([
      ['pagerduty', 'pending', 'opened'],
      ['slack', 'pending', 'opened'],
      ['statuspage', 'pending', 'opened'],
    ]);
  });

  it('joins a signal with the same key, ignores a redelivered one, and opens a new incident after resolution', async () => {
    const { deps, clock } = setup();
    await deps.store.recordSignals([drillFailed('sig-1', T0)]);
    await routeSignals(deps);
    clock.advance(HOUR_MS);
    await deps.store.recordSignals([drillFailed('sig-2', clock.now().toISOString()), drillFailed('sig-1', T0)]);

    const second = await routeSignals(deps);
    expect(second.map((o) => [o.signalId, o.action, o.incidentId])).toEqual([['sig-2', 'join', 'INC-1']]);
    expect((await deps.store.listIncidents()).length).toBe(1);

    await act(deps, 'INC-1', { action: 'resolve' }, { actor: 'alice', reason: 'restored from an older snapshot; fixed the backup job' });
    await deps.store.recordSignals([drillFailed('sig-3', clock.now().toISOString())]);
    const third = await routeSignals(deps);
    expect(third.map((o) => [o.signalId, o.action, o.incidentId])).toEqual([['sig-3', 'open', 'INC-2']]);
  });

  it('moves to monitoring when the signal clears and resolves by rule once it stays clear', async () => {
    const { deps, clock } = setup({ autoResolveAfterMs: 30 * MINUTE_MS });
    await deps.store.recordSignals([drillFailed('sig-1', T0)]);
    await routeSignals(deps);
    clock.advance(HOUR_MS);
    await deps.store.recordSignals([drillFailed('sig-ok', clock.now().toISOString(), { cleared: true })]);

    expect((await routeSignals(deps)).map((o) => o.action)).toEqual(['clear']);
    expect((await deps.store.getIncident('INC-1'))?.incident.state).toBe('monitoring');
    clock.advance(29 * MINUTE_MS);
    expect((await sweepIncidents(deps)).autoResolved).toEqual([]);
    clock.advance(2 * MINUTE_MS);
    expect((await sweepIncidents(deps)).autoResolved).toEqual(['INC-1']);
    const incident = (await deps.store.getIncident('INC-1'))?.incident;
    expect(incident?.state).toBe('resolved');
    expect(incident?.timeline.at(-1)).toMatchObject({ actor: 'rule:auto-resolve', reason: expect.stringContaining('stayed clear for 31 minutes') });
  });

  it('does not resolve by rule what a person moved to monitoring', async () => {
    const { deps, clock } = setup();
    await deps.store.recordSignals([drillFailed('sig-1', T0)]);
    await routeSignals(deps);
    await act(deps, 'INC-1', { action: 'monitor' }, { actor: 'alice', reason: 'watching the next nightly snapshot' });
    clock.advance(10 * HOUR_MS);
    expect((await sweepIncidents(deps)).autoResolved).toEqual([]);
  });
});

describe('SLA sweep', () => {
  it('fires each warning and breach once, in the outbox with escalation, even across a restart', async () => {
    const first = setup();
    await openManually(first.deps, { title: 'LMS down', components: ['SCORM Cloud Website'], severity: 'sev1', actor: 'alice', reason: 'the site returns 503 for everyone' });
    first.clock.advance(31 * MINUTE_MS);
    const warned = await sweepIncidents(first.deps);
    expect(warned.slaEvents.map((e) => e.id)).toEqual(['INC-1:workBegins:sev1:50%']);
    await first.store.close();
    opened.splice(0);

    // Vigil was down for 5 hours: the restart catches up on everything due meanwhile, once.
    const second = setup({ dataDir: first.dataDir, now: new Date(Date.parse(T0) + 5 * HOUR_MS + 31 * MINUTE_MS).toISOString() });
    const caught = await sweepIncidents(second.deps);
    expect(caught.slaEvents.map((e) => e.id)).toEqual([
      'INC-1:workBegins:sev1:80%',
      'INC-1:workBegins:sev1:100%',
      'INC-1:temporary:sev1:50%',
      'INC-1:temporary:sev1:80%',
      'INC-1:final:sev1:50%',
      'INC-1:temporary:sev1:100%',
    ]);
    expect((await sweepIncidents(second.deps)).slaEvents).toEqual([]);
    const breaches = (await second.deps.store.listOutbox({ subjectId: 'INC-1' })).filter((o) => o.notification.subject === 'incident' && o.notification.event === 'sla-breach');
    expect(breaches.map((o) => [o.id, o.notification.subject === 'incident' && o.notification.escalate])).toEqual([
      ['INC-1:workBegins:sev1:100%/pagerduty', true],
      ['INC-1:workBegins:sev1:100%/slack', true],
      ['INC-1:workBegins:sev1:100%/statuspage', true],
      ['INC-1:temporary:sev1:100%/pagerduty', true],
      ['INC-1:temporary:sev1:100%/slack', true],
      ['INC-1:temporary:sev1:100%/statuspage', true],
    ]);
    expect((await second.deps.store.slaEvents('INC-1')).length).toBe(6 + 1);
  });

  it('records the breach that happened before a late resolution in the same write as the resolution', async () => {
    const { deps, clock } = setup();
    await openManually(deps, { title: 'Reports slow', components: ['Reporting'], severity: 'sev1', actor: 'alice', reason: 'timeouts' });
    clock.advance(8 * HOUR_MS);
    await act(deps, 'INC-1', { action: 'resolve' }, { actor: 'alice', reason: 'index rebuilt' });
    const kinds = (await deps.store.slaEvents('INC-1')).filter((e) => e.kind === 'breach').map((e) => e.clock);
    expect(kinds).toEqual(['workBegins', 'temporary', 'final']);
  });

  it('re-bases the clocks on reclassification and records why', async () => {
    const { deps, clock } = setup();
    await openManually(deps, { title: 'Exports fail', components: ['Reporting'], severity: 'sev3', actor: 'alice', reason: 'CSV exports error' });
    clock.advance(30 * MINUTE_MS);
    const stored = await act(deps, 'INC-1', { action: 'reclassify', severity: 'sev1' }, { actor: 'bob', reason: 'all reports fail, customers blocked' });
    expect(stored.incident.timeline.at(-1)).toMatchObject({ actor: 'bob', reason: 'all reports fail, customers blocked', change: { kind: 'severity', from: 'sev3', to: 'sev1' } });
    // Half the Sev1 hour had already gone: that warning fires with the reclassification itself.
    expect((await deps.store.slaEvents('INC-1')).map((e) => [e.id, e.at])).toEqual([['INC-1:workBegins:sev1:50%', '2026-11-24T09:30:00.000Z']]);
    clock.advance(31 * MINUTE_MS);
    expect((await sweepIncidents(deps)).slaEvents.map((e) => e.id)).toEqual(['INC-1:workBegins:sev1:80%', 'INC-1:workBegins:sev1:100%']);
    const reclassified = (await deps.store.listOutbox({ subjectId: 'INC-1' })).find((o) => o.notification.subject === 'incident' && o.notification.event === 'reclassified');
    expect(reclassified?.notification).toMatchObject({ previousSeverity: 'sev3', incident: { severity: 'sev1' } });
  });
});

describe('people act on incidents', () => {
  it('opens from the seed\'s questions and explains the severity', async () => {
    const { deps } = setup();
    const stored = await openManually(deps, {
      title: 'Course player stutters',
      components: ['Content Delivery'],
      answers: { unavailable: false, substantiallyDegraded: true, nonEssentialDegraded: false, cosmetic: false },
      actor: 'alice',
      reason: 'customers report playback stalls',
    });
    expect(stored.incident.severity).toBe('sev2');
    expect(stored.incident.timeline[0]?.change).toMatchObject({ classification: { explanation: expect.stringContaining('substantially degraded') } });
  });

  it('refuses an unknown severity and a missing reason, all at once, writing nothing', async () => {
    const { deps } = setup();
    const err = await openManually(deps, { title: '', components: [], severity: 'sev9', actor: 'alice', reason: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.path)).toEqual(['severity']);
    const err2 = await openManually(deps, { title: '', components: [], severity: 'sev2', actor: 'alice', reason: '' }).catch((e: unknown) => e);
    expect((err2 as ConfigError).problems.map((p) => p.path)).toEqual(['reason', 'title']);
    expect(await deps.store.listIncidents()).toEqual([]);
    expect(await deps.store.listOutbox()).toEqual([]);
  });

  it('refuses resolving what is resolved, and writes nothing', async () => {
    const { deps } = setup();
    await openManually(deps, { title: 'x', components: [], severity: 'sev3', actor: 'alice', reason: 'r' });
    await act(deps, 'INC-1', { action: 'resolve' }, { actor: 'alice', reason: 'done' });
    const before = await deps.store.listOutbox();
    const err = await act(deps, 'INC-1', { action: 'resolve' }, { actor: 'alice', reason: 'again' }).catch((e: unknown) => e);
    expect((err as ConfigError).problems[0]?.message).toContain('it is resolved, not open');
    expect(await deps.store.listOutbox()).toEqual(before);
    expect((await deps.store.getIncident('INC-1'))?.version).toBe(2);
  });

  it('tells a channel that posted the incident how it ends, even after a reclassification it would not post', async () => {
    const { deps } = setup();
    await openManually(deps, { title: 'API errors', components: ['SCORM Cloud API'], severity: 'sev2', actor: 'alice', reason: '5% of calls fail' });
    await act(deps, 'INC-1', { action: 'reclassify', severity: 'sev3' }, { actor: 'bob', reason: 'only the legacy endpoint fails' });
    await act(deps, 'INC-1', { action: 'update' }, { actor: 'bob', reason: 'legacy endpoint patched in staging' });
    await act(deps, 'INC-1', { action: 'resolve' }, { actor: 'bob', reason: 'patched in production' });

    const statuspage = (await deps.store.listOutbox({ subjectId: 'INC-1' })).filter((o) => o.channel === 'statuspage');

    expect(statuspage.map((o) => o.notification.event)).toEqual(['opened', 'reclassified', 'resolved']);
  });

  it('holds status-page posts until a person approves them, and records the approval', async () => {
    const { deps } = setup({ statuspageApproval: true });
    await openManually(deps, { title: 'API errors', components: ['SCORM Cloud API'], severity: 'sev2', actor: 'alice', reason: '5% of calls fail' });
    expect((await deps.store.listOutbox({ status: 'held' })).map((o) => o.channel)).toEqual(['statuspage']);

    const { released } = await approveStatusPage(deps, 'inc-1', { actor: 'carol', reason: 'wording reviewed' });

    expect(released).toBe(1);
    expect(await deps.store.listOutbox({ status: 'held' })).toEqual([]);
    expect((await deps.store.getIncident('INC-1'))?.incident.timeline.at(-1)).toMatchObject({ actor: 'carol', change: { kind: 'approval', released: 1 } });
  });
});
