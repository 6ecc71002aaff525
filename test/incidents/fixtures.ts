import { ManualClock } from '../../src/core/clock.js';
import type { SlaPolicy } from '../../src/incidents/sla.js';
import { DEFAULT_SLA_POLICY } from '../../src/incidents/sla.js';
import { applyAction, openIncident, type ActionRequest } from '../../src/incidents/transitions.js';
import type { Incident, IncidentSeverity, Signal } from '../../src/incidents/types.js';

export const T0 = '2025-01-06T10:00:00.000Z';

/** Opens an incident at `reportedAt` on a manual clock the test then moves. */
export function opened(severity: IncidentSeverity, reportedAt = T0, policy: SlaPolicy = DEFAULT_SLA_POLICY): { incident: Incident; clock: ManualClock } {
  const clock = new ManualClock(reportedAt);
  const incident = openIncident(
    { id: 'inc-1', severity, title: 'Site not responding', components: ['web'], classification: { explanation: 'test' } },
    { actor: 'alice', reason: 'reported by a customer', clock },
    policy,
  );
  return { incident, clock };
}

/** Applies actions in order, each `afterMs` after the report. */
export function play(
  incident: Incident,
  clock: ManualClock,
  steps: Array<[afterMs: number, request: ActionRequest]>,
  policy: SlaPolicy = DEFAULT_SLA_POLICY,
): Incident {
  let current = incident;
  for (const [afterMs, request] of steps) {
    clock.set(Date.parse(incident.reportedAt) + afterMs);
    current = applyAction(current, request, { actor: 'bob', reason: `${request.action} for the test`, clock }, policy);
  }
  return current;
}

export function signal(kind: string, payload: Record<string, unknown> = {}, overrides: Partial<Signal> = {}): Signal {
  return { id: `sig-${kind}`, kind, key: `${kind}:key`, source: 'test', raisedAt: T0, summary: `${kind} happened`, payload, ...overrides };
}
