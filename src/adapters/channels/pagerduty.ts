/**
 * Paging through PagerDuty's Events API v2 (@pagerduty/pdjs). One alert per incident, keyed by the
 * incident id, follows the incident: trigger on open and reopen, acknowledge while people work on it,
 * resolve at the end, trigger again to change its severity. An SLA escalation is its own alert: a
 * trigger on the open key would only bump PagerDuty's duplicate count and notify nobody.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { event } from '@pagerduty/pdjs';
import type { VigilConfig } from '../../config/schema.js';
import type { Announcement, Channel, ChannelRefs, IncidentNotification } from '../../incidents/delivery.js';
import type { IncidentSeverity } from '../../incidents/types.js';
import { asDeliveryError, httpFailure } from './failures.js';
import { changeLine, headline, slaLine, STATE_LABELS, truncate } from './render.js';

export type PagerDutyConfig = NonNullable<VigilConfig['integrations']['pagerduty']>;
/** pdjs does not re-export its event types from the package root. */
type EventPayloadV2 = Parameters<typeof event>[0]['data'];
type AlertSeverity = EventPayloadV2['payload']['severity'];
type AlertEvent = Pick<EventPayloadV2, 'event_action' | 'dedup_key' | 'payload' | 'links'>;

export interface PagerDutyDeps {
  /** Reads `caFile`; the file system by default. */
  readFile?: (path: string) => string;
  /**
   * pdjs retries a 429 three times on its own, waiting this long before each (its default is 20 s, the
   * request timeout's worth). Kept short: the outbox owns backoff.
   */
  throttleRetryMs?: number;
}

const SERVICE = 'PagerDuty';
/** Refs keys of escalation alerts: `sla:<clock>/<severity>/<percent>` -> their dedup_key. */
const ESCALATION = 'sla:';
const MAX_SUMMARY = 1024;

/** The alert severity an incident severity pages with; undefined when it does not page. */
export function alertSeverity(config: PagerDutyConfig, severity: IncidentSeverity): AlertSeverity | undefined {
  const mapped = config.severities[severity];
  return mapped === 'none' ? undefined : mapped;
}

export function wantsPage(config: PagerDutyConfig, a: Announcement): boolean {
  if (a.subject !== 'incident') return false;
  const pages = (severity: IncidentSeverity | undefined) => severity !== undefined && alertSeverity(config, severity) !== undefined;
  switch (a.event) {
    case 'updated':
      return false;
    case 'sla-warning':
    case 'sla-breach':
      return a.escalate === true && pages(a.incident.severity);
    case 'reclassified':
      // Down to a severity that does not page: the page still has to be resolved.
      return pages(a.incident.severity) || pages(a.previousSeverity);
    default:
      return pages(a.incident.severity);
  }
}

/** `<incident>/sla/<clock>/<severity>/<percent>`: one per threshold crossed, as the SLA sweep fires them. */
export function escalationKey(n: IncidentNotification): string | undefined {
  if (!n.sla) return undefined;
  return `${n.incident.id}/sla/${n.sla.clock}/${n.incident.severity}/${Math.round(n.sla.threshold * 100)}`;
}

function withoutEscalations(refs: ChannelRefs): ChannelRefs {
  return Object.fromEntries(Object.entries(refs).filter(([key]) => !key.startsWith(ESCALATION)));
}

function trigger(n: IncidentNotification, dedupKey: string, severity: AlertSeverity, summary: string): AlertEvent {
  const incident = n.incident;
  return {
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      summary: truncate(summary, MAX_SUMMARY),
      // The affected service is the "system" a responder looks at; Vigil only reports on it.
      source: incident.components.join(', ') || 'vigil',
      severity,
      timestamp: n.at,
      ...(incident.components[0] ? { component: incident.components[0] } : {}),
      group: 'vigil-incidents',
      class: n.event,
      custom_details: {
        incident: incident.id,
        severity: incident.severity,
        state: STATE_LABELS[incident.state],
        components: incident.components,
        commander: incident.commander ?? 'unassigned',
        reported_at: incident.reportedAt,
        change: changeLine(n),
      },
    },
    links: incident.links.map((l) => ({ href: l.href, text: l.text })),
  };
}

function follow(action: 'acknowledge' | 'resolve', dedupKey: string): AlertEvent {
  return { event_action: action, dedup_key: dedupKey } as AlertEvent;
}

/**
 * The events one notification sends, and the refs after them. Pure: every event is keyed by a dedup_key
 * derived from the incident, so sending them again changes nothing PagerDuty would notify about.
 */
export function planPage(config: PagerDutyConfig, n: IncidentNotification, refs: ChannelRefs): { events: AlertEvent[]; refs: ChannelRefs } {
  const main = n.incident.id;
  const escalations = Object.entries(refs)
    .filter(([key]) => key.startsWith(ESCALATION))
    .map(([, dedupKey]) => dedupKey);
  const every = [main, ...escalations];
  const severity = alertSeverity(config, n.incident.severity);
  const kept = { ...refs, dedupKey: main };
  switch (n.event) {
    case 'opened':
    case 'reopened':
      return severity ? { events: [trigger(n, main, severity, headline(n.incident))], refs: kept } : { events: [], refs };
    case 'reclassified':
      // A trigger on the open key replaces the alert's severity (an acknowledgement stands).
      if (severity) return { events: [trigger(n, main, severity, headline(n.incident))], refs: kept };
      return { events: every.map((key) => follow('resolve', key)), refs: withoutEscalations(kept) };
    case 'acknowledged':
    case 'mitigated':
    case 'monitoring':
      return { events: every.map((key) => follow('acknowledge', key)), refs: kept };
    case 'resolved':
      return { events: every.map((key) => follow('resolve', key)), refs: withoutEscalations(kept) };
    case 'sla-warning':
    case 'sla-breach': {
      const key = escalationKey(n);
      if (!n.escalate || !severity || key === undefined) return { events: [], refs };
      const summary = `${slaLine(n)}: ${headline(n.incident)}`;
      return { events: [trigger(n, key, severity, summary)], refs: { ...kept, [`${ESCALATION}${key.slice(main.length + '/sla/'.length)}`]: key } };
    }
    case 'updated':
      return { events: [], refs };
  }
}

export function createPagerDutyChannel(config: PagerDutyConfig, deps: PagerDutyDeps = {}): Channel {
  const readFile = deps.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const agent = config.caFile ? new Agent({ ca: readFile(config.caFile) }) : undefined;
  const retryTimeout = deps.throttleRetryMs ?? 1_000;

  async function send(alert: AlertEvent): Promise<void> {
    const data = { routing_key: config.routingKey, ...alert } as EventPayloadV2;
    let response: Awaited<ReturnType<typeof event>>;
    try {
      // pdjs hands these options to node-fetch: `agent` trusts the CA, `signal` bounds the whole call
      // (its own `requestTimeout` sets a timer that aborts nothing).
      const options = { server: config.server, data, agent, retryTimeout, signal: AbortSignal.timeout(config.timeoutMs) };
      response = await event(options as Parameters<typeof event>[0]);
    } catch (err) {
      throw asDeliveryError(SERVICE, err, config.timeoutMs);
    }
    if (response.status >= 200 && response.status < 300) return;
    const body = (response.data ?? {}) as { message?: unknown; errors?: unknown };
    const errors = Array.isArray(body.errors) ? body.errors.map(String) : [];
    const message = [typeof body.message === 'string' ? body.message : response.statusText, ...errors].filter(Boolean).join('; ');
    throw httpFailure(SERVICE, response.status, message, response.headers.get('retry-after'));
  }

  return {
    name: 'pagerduty',
    wants: (announcement) => wantsPage(config, announcement),
    async deliver(notification, refs) {
      if (notification.subject !== 'incident') return refs;
      const plan = planPage(config, notification, refs);
      // In order, stopping at the first failure: a retry sends them all again, which PagerDuty folds.
      for (const alert of plan.events) await send(alert);
      return plan.refs;
    },
  };
}
