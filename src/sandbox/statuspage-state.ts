/**
 * Statuspage's pages, components and incidents in the sandbox, and how they render on the wire
 * (snake_case, ISO timestamps, incident updates newest first).
 */
import type { World } from './world.js';

export const COMPONENT_STATUSES = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];
export const REALTIME_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'];
export const SCHEDULED_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'];
export const IMPACTS = ['none', 'minor', 'major', 'critical', 'maintenance'];

export interface Component {
  id: string;
  pageId: string;
  name: string;
  description: string | null;
  status: ComponentStatus;
  position: number;
  showcase: boolean;
  onlyShowIfDegraded: boolean;
  groupId: string | null;
  startDate: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AffectedComponent {
  code: string;
  name: string;
  old_status: ComponentStatus;
  new_status: ComponentStatus;
}

export interface IncidentUpdate {
  id: string;
  incidentId: string;
  status: string;
  body: string;
  createdAt: Date;
  deliverNotifications: boolean;
  affectedComponents: AffectedComponent[] | null;
}

export interface Incident {
  id: string;
  pageId: string;
  name: string;
  status: string;
  /** Scheduled maintenance rather than a realtime incident. */
  scheduled: boolean;
  impactOverride: string | null;
  /** Statuses the incident asked for, by component id: the basis of its calculated impact. */
  componentStatuses: Map<string, ComponentStatus>;
  componentIds: string[];
  metadata: Record<string, unknown>;
  scheduledFor: Date | null;
  scheduledUntil: Date | null;
  scheduledRemindPrior: boolean;
  scheduledAutoInProgress: boolean;
  scheduledAutoCompleted: boolean;
  autoTransitionToMaintenanceState: boolean;
  autoTransitionToOperationalState: boolean;
  autoTransitionDeliverNotificationsAtStart: boolean;
  autoTransitionDeliverNotificationsAtEnd: boolean;
  /** Oldest first; rendered newest first. */
  updates: IncidentUpdate[];
  createdAt: Date;
  updatedAt: Date;
  monitoringAt: Date | null;
  resolvedAt: Date | null;
  shortlink: string;
}

export interface Page {
  id: string;
  name: string;
  subdomain: string;
  createdAt: Date;
  components: Map<string, Component>;
  incidents: Map<string, Incident>;
  /** Incident ids oldest first. */
  incidentOrder: string[];
  /** Maintenances that may still transition on their own at scheduled_for / scheduled_until. */
  pendingSchedules: Set<string>;
}

export interface StatuspageState {
  apiKeys: Set<string>;
  pages: Map<string, Page>;
}

export function statuspageState(world: World): StatuspageState {
  return world.slice('statuspage', () => ({ apiKeys: new Set<string>(), pages: new Map<string, Page>() }));
}

/** Statuspage ids: 12 lowercase letters and digits. */
export function statuspageId(world: World, kind: string): string {
  return world.id(kind, 12).slice(kind.length + 1);
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

export function renderComponent(c: Component) {
  return {
    id: c.id,
    page_id: c.pageId,
    group_id: c.groupId,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    group: false,
    name: c.name,
    description: c.description,
    position: c.position,
    status: c.status,
    showcase: c.showcase,
    only_show_if_degraded: c.onlyShowIfDegraded,
    automation_email: `component+${c.id}@notifications.statuspage.io`,
    start_date: c.startDate,
  };
}

const IMPACT_OF: Record<ComponentStatus, string> = {
  operational: 'none',
  under_maintenance: 'maintenance',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
};
const IMPACT_ORDER = ['none', 'maintenance', 'minor', 'major', 'critical'];

/** The override, else maintenance for maintenances, else the worst impact of the statuses it set. */
export function impactOf(incident: Incident): string {
  if (incident.impactOverride) return incident.impactOverride;
  if (incident.scheduled) return 'maintenance';
  let worst = 'none';
  for (const status of incident.componentStatuses.values()) {
    const impact = IMPACT_OF[status] === 'maintenance' ? 'none' : IMPACT_OF[status];
    if (IMPACT_ORDER.indexOf(impact) > IMPACT_ORDER.indexOf(worst)) worst = impact;
  }
  return worst;
}

export function renderIncident(page: Page, i: Incident) {
  const components = i.componentIds.map((id) => page.components.get(id)).filter((c): c is Component => c !== undefined);
  return {
    id: i.id,
    components: components.map(renderComponent),
    created_at: iso(i.createdAt),
    impact: impactOf(i),
    impact_override: i.impactOverride,
    incident_updates: [...i.updates].reverse().map((u) => ({
      id: u.id,
      incident_id: u.incidentId,
      affected_components: u.affectedComponents,
      body: u.body,
      created_at: iso(u.createdAt),
      custom_tweet: null,
      deliver_notifications: u.deliverNotifications,
      display_at: iso(u.createdAt),
      status: u.status,
      tweet_id: null,
      twitter_updated_at: null,
      updated_at: iso(u.createdAt),
      wants_twitter_update: false,
    })),
    metadata: i.metadata,
    monitoring_at: iso(i.monitoringAt),
    name: i.name,
    page_id: i.pageId,
    postmortem_body: null,
    postmortem_body_last_updated_at: null,
    postmortem_ignored: false,
    postmortem_notified_subscribers: false,
    postmortem_notified_twitter: false,
    postmortem_published_at: null,
    resolved_at: iso(i.resolvedAt),
    scheduled_auto_completed: i.scheduledAutoCompleted,
    scheduled_auto_in_progress: i.scheduledAutoInProgress,
    scheduled_for: iso(i.scheduledFor),
    auto_transition_deliver_notifications_at_end: i.autoTransitionDeliverNotificationsAtEnd,
    auto_transition_deliver_notifications_at_start: i.autoTransitionDeliverNotificationsAtStart,
    auto_transition_to_maintenance_state: i.autoTransitionToMaintenanceState,
    auto_transition_to_operational_state: i.autoTransitionToOperationalState,
    scheduled_remind_prior: i.scheduledRemindPrior,
    scheduled_reminded_at: null,
    scheduled_until: iso(i.scheduledUntil),
    shortlink: i.shortlink,
    status: i.status,
    updated_at: iso(i.updatedAt),
    reminder_intervals: null,
  };
}
