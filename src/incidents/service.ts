/**
 * The incident pipeline: every change (a person's action, a routed signal, an SLA threshold, an
 * auto-resolution) is computed by the pure core, turned into announcements, and written together with
 * its outbox rows in one store transaction. Nothing here talks to PagerDuty, Slack or the status page:
 * the dispatcher delivers what the outbox holds.
 */
import type { Clock } from '../core/clock.js';
import { ConfigError, ConflictError } from '../core/errors.js';
import type { IncidentStore, IncidentWrite, StoredIncident } from '../store/incident-types.js';
import { classifyAnswers, classifySignal, routeSignal, type Classification, type SeverityAnswers, type SeverityRules } from './classify.js';
import type { Announcement, Channel, IncidentEvent, Link, Notification } from './delivery.js';
import { EVENT_OF_ACTION } from './public.js';
import { clockEvents, type ClockEvent, type SlaPolicy } from './sla.js';
import { applyAction, joinSignal, openIncident, type ActionRequest } from './transitions.js';
import { INCIDENT_SEVERITIES, type Incident, type IncidentSeverity, type Signal, type TimelineEntry } from './types.js';

export interface IncidentSettings {
  policy: SlaPolicy;
  rules: SeverityRules;
  /** How long a cleared signal must stay clear before its incident resolves by rule. */
  autoResolveAfterMs: number;
  /** Hold status-page posts until a person approves them (`vigil incident approve`). */
  statuspageApproval: boolean;
  /** Where runbook paths (`runbooks/...`) are published, for links in pages and messages. */
  runbookBaseUrl?: string;
}

export interface IncidentDeps {
  store: IncidentStore;
  clock: Clock;
  /** The configured channels; only their `wants` is used here. */
  channels: readonly Channel[];
  settings: IncidentSettings;
}

export interface Actor {
  actor: string;
  reason: string;
}

/** The actor of automatic changes. */
export const VIGIL_ACTOR = 'vigil';

// ---------------------------------------------------------------------------------------------------
// A person opens an incident.

export interface ManualOpen extends Actor {
  title: string;
  components: string[];
  /** A severity given outright (the reason says why)... */
  severity?: string;
  /** ...or the seed's questions answered. */
  answers?: SeverityAnswers;
  commander?: string;
  /** For the public status pages when the title is internal; default: the title. */
  publicTitle?: string;
  /** The person is already working on it: start in `investigating`. */
  investigating?: boolean;
}

export async function openManually(deps: IncidentDeps, request: ManualOpen): Promise<StoredIncident> {
  const classification = manualClassification(request);
  return deps.store.createIncident((id) => {
    const incident = openIncident(
      {
        id,
        severity: classification.severity,
        title: request.title,
        components: request.components,
        classification: { explanation: classification.explanation },
        ...(request.commander ? { commander: request.commander } : {}),
        ...(request.investigating ? { state: 'investigating' as const } : {}),
      },
      { actor: request.actor, reason: request.reason, clock: deps.clock },
      deps.settings.policy,
    );
    return writeFor(deps, undefined, request.publicTitle?.trim() ? { ...incident, publicTitle: request.publicTitle.trim() } : incident);
  });
}

function manualClassification(request: ManualOpen): Classification {
  if (request.severity !== undefined && request.answers !== undefined) {
    throw new ConfigError([{ file: 'arguments', path: 'severity', message: 'give either a severity or the answers to the questions, not both' }]);
  }
  if (request.answers) return classifyAnswers(request.answers);
  if (request.severity === undefined) {
    throw new ConfigError([{ file: 'arguments', path: 'severity', message: 'give a severity (sev1-sev4) with a reason, or answer the seed\'s questions' }]);
  }
  const severity = request.severity.trim().toLowerCase().replace(/^([1-4])$/, 'sev$1');
  if (!(INCIDENT_SEVERITIES as readonly string[]).includes(severity)) {
    throw new ConfigError([{ file: 'arguments', path: 'severity', message: `unknown severity "${request.severity}"; expected one of: ${INCIDENT_SEVERITIES.join(', ')}` }]);
  }
  return { severity: severity as IncidentSeverity, ruleId: null, explanation: `Set to ${severity} by ${request.actor}: ${request.reason}` };
}

// ---------------------------------------------------------------------------------------------------
// A person (or a rule) acts on an incident.

export async function act(deps: IncidentDeps, id: string, request: ActionRequest, who: Actor): Promise<StoredIncident> {
  return withRetry(deps, id, (stored) => {
    const next = applyAction(stored.incident, request, { ...who, clock: deps.clock }, deps.settings.policy);
    return writeFor(deps, stored, next);
  });
}

/** Lets the held status-page posts of an incident go out, recording who approved them and why. */
export async function approveStatusPage(deps: IncidentDeps, id: string, who: Actor): Promise<{ stored: StoredIncident; released: number }> {
  const held = (await deps.store.listOutbox({ subjectId: (await load(deps, id)).incident.id, status: 'held' })).length;
  if (held === 0) throw new ConfigError([{ file: 'arguments', path: 'id', message: `incident ${id} has no status-page post waiting for approval` }]);
  const stored = await withRetry(deps, id, (current) => {
    const entry: TimelineEntry = { at: deps.clock.now().toISOString(), ...who, change: { kind: 'approval', channel: 'statuspage', released: held } };
    return writeFor(deps, current, { ...current.incident, timeline: [...current.incident.timeline, entry] });
  });
  const released = await deps.store.outboxRelease(stored.incident.id, 'statuspage', deps.clock.now().toISOString());
  return { stored, released };
}

async function load(deps: IncidentDeps, id: string): Promise<StoredIncident> {
  const stored = await deps.store.getIncident(id);
  if (!stored) throw new ConfigError([{ file: 'arguments', path: 'id', message: `no incident ${id}; \`vigil incident list\` shows them` }]);
  return stored;
}

/** Re-reads and re-applies when another process changed the incident in between. */
async function withRetry(
  deps: IncidentDeps,
  id: string,
  change: (stored: StoredIncident) => IncidentWrite & { before?: Incident },
  worthWriting: (write: IncidentWrite & { before?: Incident }) => boolean = () => true,
  /** Already read by the caller: the first attempt uses it; a retry after a conflict reads again. */
  first?: StoredIncident,
): Promise<StoredIncident> {
  for (let attempt = 1; ; attempt++) {
    const stored = attempt === 1 && first ? first : await load(deps, id);
    try {
      const write = change(stored);
      if (!worthWriting(write)) return stored;
      return await deps.store.saveIncident(write);
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= 5) throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Signals: open, join, clear or ignore.

export interface RouteOutcome {
  signalId: string;
  action: 'open' | 'join' | 'clear' | 'ignore';
  incidentId?: string;
  explanation: string;
}

/** Routes every stored signal not routed yet. Safe to run from several processes: each write is checked. */
export async function routeSignals(deps: IncidentDeps): Promise<RouteOutcome[]> {
  const outcomes: RouteOutcome[] = [];
  for (const signal of await deps.store.unroutedSignals()) outcomes.push(await routeOne(deps, signal));
  return outcomes;
}

async function routeOne(deps: IncidentDeps, signal: Signal): Promise<RouteOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await tryRoute(deps, signal);
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= 5) throw err;
    }
  }
}

async function tryRoute(deps: IncidentDeps, signal: Signal): Promise<RouteOutcome> {
  const candidates = await deps.store.incidentsForSignal(signal.key, signal.id);
  const route = routeSignal(signal, candidates.map((c) => c.incident));
  const routed = [{ id: signal.id, action: route.action }];
  const links = signalLinks(signal, deps.settings.runbookBaseUrl);
  if (route.action === 'ignore') {
    await deps.store.markSignalsRouted(routed, deps.clock.now().toISOString());
    return { signalId: signal.id, action: 'ignore', explanation: route.reason, ...(route.incidentId ? { incidentId: route.incidentId } : {}) };
  }
  if (route.action === 'open') {
    const classification = classifySignal(signal, deps.settings.rules);
    const actor = classification.ruleId ? `rule:${classification.ruleId}` : VIGIL_ACTOR;
    const stored = await deps.store.createIncident((id) => {
      const opened = openIncident(
        {
          id,
          severity: classification.severity,
          title: signal.summary,
          components: stringList(signal.payload['components']),
          classification: { ...(classification.ruleId ? { ruleId: classification.ruleId } : {}), explanation: classification.explanation },
          signal,
        },
        { actor, reason: classification.explanation, clock: deps.clock },
        deps.settings.policy,
      );
      const publicTitle = classification.publicTitle ?? defaultPublicTitle(opened.components);
      return { ...writeFor(deps, undefined, { ...opened, links, publicTitle }), routedSignals: routed };
    });
    return { signalId: signal.id, action: 'open', incidentId: stored.incident.id, explanation: classification.explanation };
  }
  const holder = candidates.find((c) => c.incident.id === route.incidentId) as StoredIncident;
  let next = joinSignal(holder.incident, signal, { actor: VIGIL_ACTOR, clock: deps.clock });
  next = { ...next, links: mergeLinks(next.links ?? [], links) };
  let explanation = `signal ${signal.id} joins ${holder.incident.id}: same key ${signal.key}`;
  if (route.action === 'clear') {
    next = applyAction(next, { action: 'monitor' }, { actor: VIGIL_ACTOR, reason: `The signal cleared: ${signal.summary}`, clock: deps.clock }, deps.settings.policy);
    explanation = `signal ${signal.key} cleared; ${holder.incident.id} moves to monitoring and resolves by rule if it stays clear`;
  }
  await deps.store.saveIncident({ ...writeFor(deps, holder, next), routedSignals: routed });
  return { signalId: signal.id, action: route.action, incidentId: holder.incident.id, explanation };
}

/**
 * A signal's summary is written for engineers (instance names, SQL errors); the public page gets a
 * plain sentence unless the rule that classified it says otherwise.
 */
function defaultPublicTitle(components: readonly string[]): string {
  return components.length > 0 ? `Degraded service: ${components.join(', ')}` : 'We are investigating an issue';
}

function signalLinks(signal: Signal, base: string | undefined): Link[] {
  const paths: Link[] = [];
  const runbook = signal.payload['runbook'];
  if (typeof runbook === 'string') paths.push({ href: runbook, text: 'Runbook' });
  if (signal.kind === 'drill-failed' && typeof signal.payload['target'] === 'string') {
    paths.push({ href: `runbooks/drills/${signal.payload['target']}.yaml`, text: `Drill definition ${signal.payload['target']}` });
  }
  if (!base) return [];
  return paths.map((p) => ({ href: /^https?:/.test(p.href) ? p.href : new URL(p.href, base.endsWith('/') ? base : `${base}/`).toString(), text: p.text }));
}

function mergeLinks(a: Link[], b: Link[]): Link[] {
  return [...a, ...b.filter((l) => !a.some((x) => x.href === l.href))];
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

// ---------------------------------------------------------------------------------------------------
// The sweep: SLA warnings and breaches, and resolution by rule.

export interface SweepOutcome {
  slaEvents: ClockEvent[];
  autoResolved: string[];
}

/**
 * Fires every SLA event due since the last sweep of each open incident (so events missed while Vigil
 * was down fire on the first sweep after), and resolves incidents whose signal stayed clear long enough.
 */
export async function sweepIncidents(deps: IncidentDeps): Promise<SweepOutcome> {
  const outcome: SweepOutcome = { slaEvents: [], autoResolved: [] };
  for (const listed of await deps.store.listIncidents({ open: true })) {
    const { incident } = listed;
    let fired: ClockEvent[] = [];
    let resolved = false;
    await withRetry(deps, incident.id, (current) => {
      const resolveBy = autoResolution(current.incident, deps);
      const next = resolveBy
        ? applyAction(current.incident, { action: 'resolve' }, { actor: 'rule:auto-resolve', reason: resolveBy, clock: deps.clock }, deps.settings.policy)
        : current.incident;
      const write = writeFor(deps, current, next);
      fired = write.slaEvents ?? [];
      resolved = resolveBy !== undefined;
      return write;
    }, (write) => (write.slaEvents ?? []).length > 0 || write.incident !== write.before, listed);
    outcome.slaEvents.push(...fired);
    if (resolved) outcome.autoResolved.push(incident.id);
  }
  return outcome;
}

function autoResolution(incident: Incident, deps: IncidentDeps): string | undefined {
  if (incident.state !== 'monitoring') return undefined;
  const last = incident.timeline[incident.timeline.length - 1];
  const lastState = [...incident.timeline].reverse().find((e) => e.change.kind === 'state');
  const lastSignal = [...incident.timeline].reverse().find((e) => e.change.kind === 'signal');
  // Only a move to monitoring made because the signal cleared resolves by rule; a person's monitoring waits for them.
  if (!last || lastState?.actor !== VIGIL_ACTOR || lastSignal?.change.kind !== 'signal' || !lastSignal.change.cleared) return undefined;
  const clearFor = deps.clock.now().getTime() - Date.parse(lastSignal.at);
  if (clearFor < deps.settings.autoResolveAfterMs) return undefined;
  return `The signal ${lastSignal.change.key} stayed clear for ${Math.round(clearFor / 60_000)} minutes (rule: resolve after ${Math.round(deps.settings.autoResolveAfterMs / 60_000)}).`;
}

// ---------------------------------------------------------------------------------------------------
// From a change to its outbox rows.

/**
 * The write for a change from `before` to `after`: the announcements its new timeline entries make, the
 * SLA events due since the last sweep (fired before the change applies, so a resolution never swallows a
 * breach that already happened), one notification per channel that wants each.
 */
function writeFor(deps: IncidentDeps, before: StoredIncident | undefined, after: Incident): IncidentWrite & { before?: Incident } {
  const now = deps.clock.now().toISOString();
  const sweptTo = before?.slaSweptTo ?? after.reportedAt;
  // On the incident after the change: a threshold that falls due at this very instant under a new
  // severity fires now, and the sweep window moves past it.
  const events = before && now > sweptTo ? clockEvents(after, deps.settings.policy, sweptTo, now) : [];
  const notifications: Notification[] = [];
  for (const event of events) {
    const announcement: Announcement = {
      subject: 'incident',
      event: event.kind === 'breach' ? 'sla-breach' : 'sla-warning',
      incident: snapshot(after),
      actor: VIGIL_ACTOR,
      reason: slaReason(event),
      at: event.at,
      sla: { clock: event.clock, threshold: event.threshold, dueAt: event.dueAt },
      escalate: true,
    };
    notifications.push(...fanOut(deps.channels, announcement, event.id, before?.incident.notified));
  }
  const notified = before?.incident.notified ?? [];
  const fromIndex = before ? before.incident.timeline.length : 0;
  after.timeline.slice(fromIndex).forEach((entry, offset) => {
    const announcement = announce(entry, after);
    if (announcement) notifications.push(...fanOut(deps.channels, announcement, `${after.id}/${fromIndex + offset}`, notified));
  });
  const told = [...new Set([...notified, ...notifications.map((n) => n.channel)])];
  return {
    incident: told.length > notified.length ? { ...after, notified: told } : after,
    ...(before ? { before: before.incident } : {}),
    expectedVersion: before?.version ?? 0,
    notifications,
    hold: (n) => deps.settings.statuspageApproval && n.channel === 'statuspage',
    slaEvents: events,
    slaSweptTo: before ? (now > sweptTo ? now : sweptTo) : after.reportedAt,
  };
}


function announce(entry: TimelineEntry, incident: Incident): Announcement | undefined {
  const base = { subject: 'incident' as const, incident: snapshot(incident), actor: entry.actor, reason: entry.reason, at: entry.at };
  const change = entry.change;
  if (change.kind === 'opened') return { ...base, event: 'opened' };
  if (change.kind === 'state') {
    const event = EVENT_OF_ACTION[change.action];
    return event ? { ...base, event } : undefined;
  }
  if (change.kind === 'note') return { ...base, event: 'updated' };
  if (change.kind === 'severity') return { ...base, event: 'reclassified', previousSeverity: change.from };
  // A signal that raised the incident is part of `opened`; one that joins later is news for the thread.
  if (change.kind === 'signal' && incident.timeline[0]?.at !== entry.at) return { ...base, event: 'updated' };
  return undefined;
}

/** Events that change what a channel already shows: a channel that posted the incident hears them even if it would not post it now. */
const FOLLOW_UP_EVENTS: readonly IncidentEvent[] = ['reclassified', 'mitigated', 'monitoring', 'resolved', 'reopened'];

function fanOut(channels: readonly Channel[], announcement: Announcement, key: string, notified: readonly string[] = []): Notification[] {
  const followUp = announcement.subject === 'incident' && FOLLOW_UP_EVENTS.includes(announcement.event);
  return channels
    .filter((c) => c.wants(announcement) || (followUp && notified.includes(c.name)))
    .map((c) => ({ ...announcement, id: `${key}/${c.name}`, channel: c.name }) as Notification);
}

export function snapshot(incident: Incident) {
  return {
    id: incident.id,
    title: incident.title,
    ...(incident.publicTitle ? { publicTitle: incident.publicTitle } : {}),
    severity: incident.severity,
    state: incident.state,
    components: incident.components,
    ...(incident.commander ? { commander: incident.commander } : {}),
    reportedAt: incident.reportedAt,
    links: incident.links ?? [],
  };
}

function slaReason(event: ClockEvent): string {
  const clock = { workBegins: 'work to begin', temporary: 'a temporary solution', final: 'the final resolution' }[event.clock];
  if (event.kind === 'breach') return `SLA breached: ${event.severity} promises ${clock} by ${event.dueAt}.`;
  return `SLA warning: ${Math.round(event.threshold * 100)}% of the time for ${clock} has passed (due ${event.dueAt}).`;
}
