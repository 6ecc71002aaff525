/**
 * Opening an incident and applying an action to it: pure functions from the old record to the new one,
 * each change recorded in the timeline with actor, time and reason. A refused action is a ConfigError
 * that names the action and the state (exit 2 at the CLI, nothing written).
 */
import type { Clock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import { dueInstants, rebaseClocks, type SlaPolicy } from './sla.js';
import {
  ACTION_RULES,
  INCIDENT_SEVERITIES,
  type Incident,
  type IncidentAction,
  type IncidentSeverity,
  type IncidentState,
  type Signal,
  type TimelineEntry,
} from './types.js';

export interface ChangeContext {
  actor: string;
  /** Required: every change says why. */
  reason: string;
  clock: Clock;
}

export type ActionRequest =
  | { action: 'ack'; commander?: string }
  | { action: 'update' }
  | { action: 'mitigate' }
  | { action: 'monitor' }
  | { action: 'resolve' }
  | { action: 'reclassify'; severity: IncidentSeverity }
  | { action: 'reopen' };

export interface OpenRequest {
  id: string;
  severity: IncidentSeverity;
  title: string;
  components: string[];
  classification: { ruleId?: string; explanation: string };
  /** The report time, when earlier than now (a signal's raisedAt); defaults to now. */
  reportedAt?: string;
  commander?: string;
  signal?: Signal;
  /** `triage` unless the person opening it is already working on it. */
  state?: Extract<IncidentState, 'triage' | 'investigating'>;
}

const FILE = 'incident';

export function openIncident(request: OpenRequest, ctx: ChangeContext, policy: SlaPolicy): Incident {
  const at = ctx.clock.now().toISOString();
  const problems = [...contextProblems(ctx), ...severityProblems(request.severity)];
  if (!request.title.trim()) problems.push({ file: FILE, path: 'title', message: 'a title is required' });
  const reportedAt = request.reportedAt ?? request.signal?.raisedAt ?? at;
  if (Number.isNaN(Date.parse(reportedAt))) problems.push({ file: FILE, path: 'reportedAt', message: `"${reportedAt}" is not an ISO instant` });
  else if (Date.parse(reportedAt) > Date.parse(at)) problems.push({ file: FILE, path: 'reportedAt', message: `${reportedAt} is in the future` });
  if (problems.length > 0) throw new ConfigError(problems);

  const reported = new Date(reportedAt).toISOString();
  const state = request.state ?? 'triage';
  const timeline: TimelineEntry[] = [
    {
      at,
      actor: ctx.actor,
      reason: ctx.reason,
      change: { kind: 'opened', severity: request.severity, state, classification: request.classification, due: dueInstants(reported, request.severity, policy) },
    },
  ];
  if (request.signal) timeline.push(signalEntry(request.signal, ctx.actor, at));
  return {
    id: request.id,
    severity: request.severity,
    title: request.title.trim(),
    components: [...request.components],
    state,
    ...(request.commander ? { commander: request.commander } : {}),
    reportedAt: reported,
    signalKeys: request.signal ? [request.signal.key] : [],
    signalIds: request.signal ? [request.signal.id] : [],
    timeline,
  };
}

/** Applies one action; throws ConfigError naming the state when the lifecycle does not allow it. */
export function applyAction(incident: Incident, request: ActionRequest, ctx: ChangeContext, policy: SlaPolicy): Incident {
  const at = ctx.clock.now();
  const problems = contextProblems(ctx);
  const rule = ACTION_RULES[request.action];
  if (!rule.from.includes(incident.state)) {
    problems.push({ file: FILE, path: 'state', message: refusal(incident, request.action) });
  }
  const last = incident.timeline[incident.timeline.length - 1];
  if (last && at.getTime() < Date.parse(last.at)) {
    problems.push({ file: FILE, path: 'at', message: `${at.toISOString()} is before the last timeline entry (${last.at})` });
  }
  if (request.action === 'reclassify') {
    problems.push(...severityProblems(request.severity));
    if (request.severity === incident.severity) problems.push({ file: FILE, path: 'severity', message: `incident ${incident.id} is already ${incident.severity}` });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const base = { at: at.toISOString(), actor: ctx.actor, reason: ctx.reason };
  if (request.action === 'reclassify') {
    return rebaseClocks(incident, request.severity, { actor: ctx.actor, reason: ctx.reason, at }, policy).incident;
  }
  if (request.action === 'update') {
    return { ...incident, timeline: [...incident.timeline, { ...base, change: { kind: 'note', action: 'update' } }] };
  }

  const to = rule.to as IncidentState;
  const entries: TimelineEntry[] = [{ ...base, change: { kind: 'state', action: request.action, from: incident.state, to } }];
  let commander = incident.commander;
  // Whoever acknowledges leads unless someone already does or a commander is named.
  const wanted = request.action === 'ack' ? (request.commander ?? incident.commander ?? ctx.actor) : undefined;
  if (wanted !== undefined && wanted !== incident.commander) {
    entries.push({ ...base, change: { kind: 'commander', ...(incident.commander ? { from: incident.commander } : {}), to: wanted } });
    commander = wanted;
  }
  return { ...incident, state: to, ...(commander ? { commander } : {}), timeline: [...incident.timeline, ...entries] };
}

/** Records that a signal with the incident's key arrived again (or cleared); the state is unchanged. */
export function joinSignal(incident: Incident, signal: Signal, ctx: { actor: string; clock: Clock }): Incident {
  if (incident.signalIds.includes(signal.id)) return incident;
  const entry = signalEntry(signal, ctx.actor, ctx.clock.now().toISOString());
  return {
    ...incident,
    signalKeys: incident.signalKeys.includes(signal.key) ? incident.signalKeys : [...incident.signalKeys, signal.key],
    signalIds: [...incident.signalIds, signal.id],
    timeline: [...incident.timeline, entry],
  };
}

function signalEntry(signal: Signal, actor: string, at: string): TimelineEntry {
  const cleared = signal.payload['cleared'] === true;
  return { at, actor, reason: signal.summary, change: { kind: 'signal', signalId: signal.id, key: signal.key, cleared } };
}

function refusal(incident: Incident, action: IncidentAction): string {
  if (incident.state === 'resolved') return `not allowed: cannot ${action} incident ${incident.id}: it is resolved, not open (reopen it first)`;
  return `not allowed: cannot ${action} incident ${incident.id} in state ${incident.state}; ${action} applies in ${ACTION_RULES[action].from.join(', ')}`;
}

function contextProblems(ctx: ChangeContext): Array<{ file: string; path: string; message: string }> {
  const problems: Array<{ file: string; path: string; message: string }> = [];
  if (!ctx.actor.trim()) problems.push({ file: FILE, path: 'actor', message: 'an actor is required' });
  if (!ctx.reason.trim()) problems.push({ file: FILE, path: 'reason', message: 'a reason is required' });
  return problems;
}

function severityProblems(severity: string): Array<{ file: string; path: string; message: string }> {
  return (INCIDENT_SEVERITIES as readonly string[]).includes(severity)
    ? []
    : [{ file: FILE, path: 'severity', message: `unknown severity "${severity}"; expected one of: ${INCIDENT_SEVERITIES.join(', ')}` }];
}
