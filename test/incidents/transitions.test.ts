import { describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../../src/core/clock.js';
import { ConfigError } from '../../src/core/errors.js';
import { DEFAULT_SLA_POLICY } from '../../src/incidents/sla.js';
import { applyAction, joinSignal, openIncident, type ActionRequest } from '../../src/incidents/transitions.js';
import { ACTION_RULES, ALLOWED_TRANSITIONS, INCIDENT_ACTIONS, INCIDENT_STATES, type Incident, type IncidentState } from '../../src/incidents/types.js';
import { T0, opened, play, signal } from './fixtures.js';

/** An incident brought to each state by the shortest path. */
function inState(state: IncidentState): { incident: Incident; clock: ReturnType<typeof opened>['clock'] } {
  const { incident, clock } = opened('sev2');
  const paths: Record<IncidentState, ActionRequest[]> = {
    triage: [],
    investigating: [{ action: 'ack' }],
    mitigated: [{ action: 'mitigate' }],
    monitoring: [{ action: 'monitor' }],
    resolved: [{ action: 'resolve' }],
  };
  const played = play(incident, clock, paths[state].map((r, i) => [(i + 1) * MINUTE_MS, r]));
  return { incident: played, clock };
}

function request(action: (typeof INCIDENT_ACTIONS)[number]): ActionRequest {
  return action === 'reclassify' ? { action, severity: 'sev1' } : { action };
}

function refusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const cases = INCIDENT_STATES.flatMap((state) => INCIDENT_ACTIONS.map((action) => ({ state, action, allowed: ACTION_RULES[action].from.includes(state) })));

describe('applyAction', () => {
  it.each(cases.filter((c) => c.allowed))('$action from $state is allowed', ({ state, action }) => {
    const { incident, clock } = inState(state);
    clock.advance(10 * MINUTE_MS);

    const next = applyAction(incident, request(action), { actor: 'carol', reason: 'because', clock }, DEFAULT_SLA_POLICY);

    expect(next.state).toBe(ACTION_RULES[action].to ?? state);
    const entry = next.timeline.find((e, i) => i >= incident.timeline.length);
    expect(entry).toMatchObject({ at: clock.now().toISOString(), actor: 'carol', reason: 'because' });
  });

  it.each(cases.filter((c) => !c.allowed))('$action from $state is refused, naming the state', ({ state, action }) => {
    const { incident, clock } = inState(state);

    const err = refusal(() => applyAction(incident, request(action), { actor: 'carol', reason: 'because', clock }, DEFAULT_SLA_POLICY));

    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]?.path).toBe('state');
    expect(err.message).toContain(`not allowed: cannot ${action} incident inc-1`);
    expect(err.message).toContain(state);
  });

  it('refuses resolving what is not open', () => {
    const { incident, clock } = inState('resolved');

    const err = refusal(() => applyAction(incident, { action: 'resolve' }, { actor: 'carol', reason: 'again', clock }, DEFAULT_SLA_POLICY));

    expect(err.problems[0]?.message).toBe('not allowed: cannot resolve incident inc-1: it is resolved, not open (reopen it first)');
  });

  it('derives the state graph from the action table', () => {
    expect(ALLOWED_TRANSITIONS).toEqual({
      triage: ['investigating', 'mitigated', 'monitoring', 'resolved'],
      investigating: ['mitigated', 'monitoring', 'resolved'],
      mitigated: ['monitoring', 'resolved', 'investigating'],
      monitoring: ['resolved', 'investigating'],
      resolved: ['investigating'],
    });
  });

  it.each([
    { name: 'a blank reason', actor: 'carol', reason: ' ', req: { action: 'ack' } as ActionRequest, paths: ['reason'] },
    { name: 'a blank actor', actor: '', reason: 'why', req: { action: 'ack' } as ActionRequest, paths: ['actor'] },
    { name: 'the same severity', actor: 'carol', reason: 'why', req: { action: 'reclassify', severity: 'sev2' } as ActionRequest, paths: ['severity'] },
    { name: 'an unknown severity', actor: 'carol', reason: 'why', req: { action: 'reclassify', severity: 'sev9' } as unknown as ActionRequest, paths: ['severity'] },
  ])('refuses $name', ({ actor, reason, req, paths }) => {
    const { incident, clock } = inState('triage');

    const err = refusal(() => applyAction(incident, req, { actor, reason, clock }, DEFAULT_SLA_POLICY));

    expect(err.problems.map((p) => p.path)).toEqual(paths);
  });

  it('refuses a change dated before the last timeline entry', () => {
    const { incident, clock } = inState('investigating');
    clock.set(T0);

    const err = refusal(() => applyAction(incident, { action: 'mitigate' }, { actor: 'carol', reason: 'why', clock }, DEFAULT_SLA_POLICY));

    expect(err.problems.map((p) => p.path)).toEqual(['at']);
  });

  it('makes whoever acknowledges the commander unless one is named', () => {
    const { incident, clock } = opened('sev1');

    const byActor = applyAction(incident, { action: 'ack' }, { actor: 'dave', reason: 'on it', clock }, DEFAULT_SLA_POLICY);
    const named = applyAction(incident, { action: 'ack', commander: 'erin' }, { actor: 'dave', reason: 'paging erin', clock }, DEFAULT_SLA_POLICY);

    expect(byActor.commander).toBe('dave');
    expect(named.commander).toBe('erin');
    expect(named.timeline.at(-1)?.change).toEqual({ kind: 'commander', to: 'erin' });
  });

  it('leaves the input incident untouched', () => {
    const { incident, clock } = opened('sev1');
    const before = structuredClone(incident);

    applyAction(incident, { action: 'resolve' }, { actor: 'dave', reason: 'fixed', clock }, DEFAULT_SLA_POLICY);

    expect(incident).toEqual(before);
  });
});

describe('openIncident', () => {
  it('starts the clocks at the signal time and records the classification and due instants', () => {
    const { clock } = opened('sev1');
    clock.advance(5 * MINUTE_MS);
    const raised = signal('drill-failed', { target: 'orders-db' }, { raisedAt: T0 });

    const incident = openIncident(
      { id: 'inc-2', severity: 'sev2', title: 'Restore drill failed', components: ['orders-db'], classification: { ruleId: 'drill-failed', explanation: 'x' }, signal: raised },
      { actor: 'vigil', reason: 'signal drill-failed', clock },
      DEFAULT_SLA_POLICY,
    );

    expect(incident.reportedAt).toBe(T0);
    expect(incident.signalKeys).toEqual(['drill-failed:key']);
    expect(incident.timeline.map((e) => e.change.kind)).toEqual(['opened', 'signal']);
    expect(incident.timeline[0]?.change).toMatchObject({ due: { workBegins: '2025-01-06T12:00:00.000Z' } });
  });

  it('lists every problem at once', () => {
    const clock = opened('sev1').clock;

    const err = refusal(() =>
      openIncident(
        { id: 'x', severity: 'sev7' as never, title: ' ', components: [], classification: { explanation: '' }, reportedAt: '2030-01-01T00:00:00Z' },
        { actor: 'a', reason: '', clock },
        DEFAULT_SLA_POLICY,
      ),
    );

    expect(err.problems.map((p) => p.path)).toEqual(['reason', 'severity', 'title', 'reportedAt']);
  });
});

describe('joinSignal', () => {
  it('records a new signal once and keeps the state', () => {
    const { incident, clock } = inState('investigating');
    const again = signal('probe-failed', { cleared: true }, { id: 'sig-2', key: 'probe:web' });

    const joined = joinSignal(incident, again, { actor: 'vigil', clock });
    const twice = joinSignal(joined, again, { actor: 'vigil', clock });

    expect(twice).toBe(joined);
    expect(joined.state).toBe('investigating');
    expect(joined.signalKeys).toEqual(['probe:web']);
    expect(joined.timeline.at(-1)).toMatchObject({ actor: 'vigil', reason: 'probe-failed happened', change: { kind: 'signal', signalId: 'sig-2', cleared: true } });
  });
});
