/**
 * The public status page through Atlassian Statuspage's REST API v1 (`Authorization: OAuth <key>`).
 * Posted incident severities get a page incident (impact and component statuses by severity) that
 * follows the incident's state; maintenances become scheduled maintenances; probes set component
 * statuses. Every incident Vigil writes carries `metadata.vigil` with the subject's id and the ids of the
 * notifications already applied, so a retried delivery finds its own work instead of repeating it.
 */
import type { VigilConfig } from '../../config/schema.js';
import {
  DeliveryError,
  type Announcement,
  type Channel,
  type ChannelRefs,
  type ComponentNotification,
  type ComponentStatus,
  type IncidentEvent,
  type IncidentNotification,
  type MaintenanceEvent,
  type MaintenanceNotification,
} from '../../incidents/delivery.js';
import { PUBLIC_SENTENCES } from '../../incidents/public.js';
import { isAutomaticActor, isOpen, type IncidentSeverity, type IncidentState } from '../../incidents/types.js';
import { asDeliveryError, httpFailure } from './failures.js';
import { EVENT_LABELS, truncate } from './render.js';

export type StatuspageConfig = NonNullable<VigilConfig['integrations']['statuspage']>;

const SERVICE = 'Statuspage';
const PER_PAGE = 100;
/** How many applied notification ids an incident remembers: enough for any retry, small enough for metadata. */
const REMEMBERED = 20;

/** Incident events the public hears about; acknowledgements, notes and SLA clocks stay internal. */
const PUBLIC_EVENTS: readonly IncidentEvent[] = ['opened', 'mitigated', 'monitoring', 'resolved', 'reopened', 'reclassified'];

const PAGE_STATUS: Record<IncidentState, string> = {
  triage: 'investigating',
  investigating: 'investigating',
  mitigated: 'identified',
  monitoring: 'monitoring',
  resolved: 'resolved',
};

/** What the public reads for each change; the actor's reason follows it. */

const MAINTENANCE_SENTENCES: Record<Exclude<MaintenanceEvent, 'maintenance-scheduled'>, string> = {
  'maintenance-started': 'The scheduled maintenance is in progress.',
  'maintenance-completed': 'The scheduled maintenance has been completed.',
  'maintenance-cancelled': 'This maintenance has been cancelled.',
};

/** The parts of Statuspage's incident we read. */
export interface PageIncident {
  id: string;
  status: string;
  components?: Array<{ id: string; name: string }>;
  metadata?: { vigil?: Record<string, unknown> } | null;
}

interface PageComponent {
  id: string;
  name: string;
}

export function wantsStatuspage(config: StatuspageConfig, a: Announcement): boolean {
  if (a.subject !== 'incident') return true;
  if (!PUBLIC_EVENTS.includes(a.event)) return false;
  const posted = (severity: IncidentSeverity | undefined) => severity !== undefined && config.severities.includes(severity);
  // A reclassification out of the posted severities still updates the page incident that exists.
  return posted(a.incident.severity) || (a.event === 'reclassified' && posted(a.previousSeverity));
}

/** Metadata values are kept as strings, so the ids travel as a JSON array in one. */
function applied(incident: PageIncident): string[] {
  const ids = incident.metadata?.vigil?.['notifications'];
  if (typeof ids !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(ids);
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

function vigilMetadata(subject: Record<string, string>, before: string[], notificationId: string): { vigil: Record<string, string> } {
  return { vigil: { ...subject, notifications: JSON.stringify([...before, notificationId].slice(-REMEMBERED)) } };
}

/** A person's reason goes on the page after the sentence; a rule's explanation is internal. */
function publicReason(n: IncidentNotification): string {
  return isAutomaticActor(n.actor) ? '' : n.reason;
}

function body(sentence: string, reason: string): string {
  return truncate(reason ? `${sentence}\n\n${reason}` : sentence, 25_000);
}

function incidentSentence(config: StatuspageConfig, n: IncidentNotification): string {
  if (n.event === 'reclassified') return `We have reassessed the impact of this incident as ${config.impacts[n.incident.severity]}.`;
  return PUBLIC_SENTENCES[n.event] ?? `${EVENT_LABELS[n.event]}.`;
}

function errorText(text: string, fallback: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    const error = parsed.error ?? parsed.message;
    if (Array.isArray(error)) return error.map(String).join('; ');
    if (typeof error === 'string') return error;
  } catch {
    // not JSON: a proxy's page, say
  }
  return text.trim() === '' ? fallback : truncate(text.trim(), 300);
}

export function createStatuspageChannel(config: StatuspageConfig): Channel {
  const base = `${config.apiUrl.replace(/\/+$/, '')}/pages/${encodeURIComponent(config.pageId)}`;
  let components: Map<string, PageComponent> | undefined;

  async function request<T>(method: string, path: string, payload?: unknown): Promise<T> {
    try {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { Authorization: `OAuth ${config.apiKey}`, Accept: 'application/json', ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal: AbortSignal.timeout(config.timeoutMs),
      });
      const text = await response.text();
      if (!response.ok) throw httpFailure(SERVICE, response.status, errorText(text, response.statusText), response.headers.get('retry-after'));
      return (text === '' ? undefined : JSON.parse(text)) as T;
    } catch (err) {
      throw asDeliveryError(SERVICE, err, config.timeoutMs);
    }
  }

  async function listAll<T>(path: string): Promise<T[]> {
    const all: T[] = [];
    for (let page = 1; ; page++) {
      const items = await request<T[]>('GET', `${path}?per_page=${PER_PAGE}&page=${page}`);
      all.push(...items);
      if (items.length < PER_PAGE) return all;
    }
  }

  async function loadComponents(): Promise<Map<string, PageComponent>> {
    const list = await listAll<PageComponent>('/components');
    components = new Map(list.map((c) => [c.name.toLowerCase(), { id: c.id, name: c.name }]));
    return components;
  }

  /** Vigil's component names to the page's ids, case-insensitively; the cache is refreshed once on a miss. */
  async function componentIds(names: string[]): Promise<string[]> {
    const cached = components;
    let known = cached ?? (await loadComponents());
    if (cached && names.some((name) => !known.has(name.toLowerCase()))) known = await loadComponents();
    const missing = names.filter((name) => !known.has(name.toLowerCase()));
    if (missing.length > 0) {
      const existing = [...known.values()].map((c) => c.name).join(', ') || 'none';
      const what = missing.map((name) => `"${name}"`).join(', ');
      throw new DeliveryError(`the status page ${config.pageId} has no component named ${what}; it has: ${existing}`, false);
    }
    return names.map((name) => (known.get(name.toLowerCase()) as PageComponent).id);
  }

  async function statuses(names: string[], status: ComponentStatus): Promise<Record<string, ComponentStatus>> {
    return Object.fromEntries((await componentIds(names)).map((id) => [id, status]));
  }

  /**
   * The page incident for a subject: by the id we kept, else by our metadata in the lists Statuspage
   * keeps of what is still open (an earlier attempt that was not recorded left it there).
   */
  async function find(refs: ChannelRefs, lists: string[], key: string, id: string): Promise<PageIncident | undefined> {
    const kept = refs['incidentId'];
    if (kept) return request<PageIncident>('GET', `/incidents/${encodeURIComponent(kept)}`);
    for (const list of lists) {
      const found = (await listAll<PageIncident>(`/incidents/${list}`)).find((i) => i.metadata?.vigil?.[key] === id);
      if (found) return found;
    }
    return undefined;
  }

  async function deliverIncident(n: IncidentNotification, refs: ChannelRefs): Promise<ChannelRefs> {
    const incident = n.incident;
    const subject = { incident_id: incident.id };
    const existing = await find(refs, ['unresolved'], 'incident_id', incident.id);
    if (existing && applied(existing).includes(n.id)) return { ...refs, incidentId: existing.id };
    const severityStatus = config.componentStatuses[incident.severity];
    if (!existing) {
      // Nothing on the page yet: an open incident of a posted severity gets one (opened, or reclassified
      // up into the posted severities); anything else has nothing to update.
      if (!isOpen(incident.state) || !config.severities.includes(incident.severity)) return refs;
      const created = await request<PageIncident>('POST', '/incidents', {
        incident: {
          name: incident.publicTitle ?? incident.title,
          status: PAGE_STATUS[incident.state],
          impact_override: config.impacts[incident.severity],
          body: body(PUBLIC_SENTENCES.opened as string, publicReason(n)),
          components: await statuses(incident.components, severityStatus),
          component_ids: await componentIds(incident.components),
          deliver_notifications: true,
          metadata: vigilMetadata(subject, [], n.id),
        },
      });
      return { ...refs, incidentId: created.id };
    }
    const change: Record<string, unknown> = {
      status: PAGE_STATUS[incident.state],
      body: body(incidentSentence(config, n), publicReason(n)),
      deliver_notifications: true,
      metadata: vigilMetadata(subject, applied(existing), n.id),
    };
    if (n.event === 'resolved') {
      // Every component the page incident touched, whatever Vigil's list says now.
      change['components'] = Object.fromEntries((existing.components ?? []).map((c) => [c.id, 'operational']));
    } else if (n.event === 'reclassified' || n.event === 'reopened' || n.event === 'opened') {
      change['impact_override'] = config.impacts[incident.severity];
      change['components'] = await statuses(incident.components, severityStatus);
    }
    await request('PATCH', `/incidents/${encodeURIComponent(existing.id)}`, { incident: change });
    return { ...refs, incidentId: existing.id };
  }

  async function deliverMaintenance(n: MaintenanceNotification, refs: ChannelRefs): Promise<ChannelRefs> {
    const m = n.maintenance;
    const subject = { maintenance_id: m.id };
    const existing = await find(refs, ['scheduled', 'active_maintenance'], 'maintenance_id', m.id);
    if (existing && applied(existing).includes(n.id)) return { ...refs, incidentId: existing.id };
    // Announced with why it happens; each later step says what it is, then why (the actor's reason).
    const text = n.event === 'maintenance-scheduled' ? body(m.reason, '') : body(MAINTENANCE_SENTENCES[n.event], n.reason);
    if (!existing) {
      // An emergency maintenance may start without having been announced; completing or cancelling
      // one that was never on the page has nothing to do.
      if (n.event !== 'maintenance-scheduled' && n.event !== 'maintenance-started') return refs;
      const started = n.event === 'maintenance-started';
      const created = await request<PageIncident>('POST', '/incidents', {
        incident: {
          name: m.title,
          status: started ? 'in_progress' : 'scheduled',
          scheduled_for: m.startsAt,
          scheduled_until: m.endsAt,
          // Vigil moves the maintenance along itself; Statuspage's own timers would race it.
          scheduled_remind_prior: false,
          scheduled_auto_in_progress: false,
          scheduled_auto_completed: false,
          body: started ? body(MAINTENANCE_SENTENCES['maintenance-started'], m.reason) : text,
          component_ids: await componentIds(m.components),
          ...(started ? { components: await statuses(m.components, 'under_maintenance') } : {}),
          deliver_notifications: true,
          metadata: vigilMetadata(subject, [], n.id),
        },
      });
      return { ...refs, incidentId: created.id };
    }
    const change: Record<string, unknown> = { body: text, deliver_notifications: true, metadata: vigilMetadata(subject, applied(existing), n.id) };
    switch (n.event) {
      case 'maintenance-scheduled':
        Object.assign(change, { scheduled_for: m.startsAt, scheduled_until: m.endsAt });
        break;
      case 'maintenance-started':
        Object.assign(change, { status: 'in_progress', components: await statuses(m.components, 'under_maintenance') });
        break;
      case 'maintenance-completed':
        Object.assign(change, { status: 'completed', components: await statuses(m.components, 'operational') });
        break;
      case 'maintenance-cancelled':
        // Completed, not deleted: subscribers were told it was coming and are told it is off, and the
        // page keeps the record. Components change only if the maintenance had put them under it.
        Object.assign(change, {
          status: 'completed',
          ...(existing.status === 'scheduled' ? {} : { components: await statuses(m.components, 'operational') }),
        });
        break;
    }
    await request('PATCH', `/incidents/${encodeURIComponent(existing.id)}`, { incident: change });
    return { ...refs, incidentId: existing.id };
  }

  async function deliverComponent(n: ComponentNotification, refs: ChannelRefs): Promise<ChannelRefs> {
    const [id] = await componentIds([n.component]);
    await request('PATCH', `/components/${encodeURIComponent(id as string)}`, { component: { status: n.status } });
    return refs;
  }

  return {
    name: 'statuspage',
    wants: (announcement) => wantsStatuspage(config, announcement),
    deliver(n, refs) {
      if (n.subject === 'incident') return deliverIncident(n, refs);
      if (n.subject === 'maintenance') return deliverMaintenance(n, refs);
      return deliverComponent(n, refs);
    },
  };
}
