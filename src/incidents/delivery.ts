/**
 * The contract between the durable outbox and the outside world: a notification is one thing a channel
 * (PagerDuty, Slack, the status page) must be told, written to the outbox in the same transaction as the
 * change that caused it. A channel delivers it and returns what it must remember for the next delivery
 * about the same subject (Slack's message ts, the status page's incident id).
 */
import type { SlaClock, IncidentSeverity, IncidentState } from './types.js';

export const CHANNELS = ['pagerduty', 'slack', 'statuspage'] as const;
export type ChannelName = (typeof CHANNELS)[number];

export const INCIDENT_EVENTS = [
  'opened',
  'acknowledged',
  'updated',
  'mitigated',
  'monitoring',
  'resolved',
  'reopened',
  'reclassified',
  'sla-warning',
  'sla-breach',
] as const;
export type IncidentEvent = (typeof INCIDENT_EVENTS)[number];

export const MAINTENANCE_EVENTS = ['maintenance-scheduled', 'maintenance-started', 'maintenance-completed', 'maintenance-cancelled'] as const;
export type MaintenanceEvent = (typeof MAINTENANCE_EVENTS)[number];

export interface Link {
  href: string;
  text: string;
}

/** The incident as it stands after the change, so a delivery never reads the store. */
export interface IncidentSnapshot {
  id: string;
  title: string;
  /** For public pages; absent means the title is fit to publish. */
  publicTitle?: string;
  severity: IncidentSeverity;
  state: IncidentState;
  /** Vigil's component names; the status page matches them to its components by name. */
  components: string[];
  commander?: string;
  reportedAt: string;
  /** Runbooks and evidence (the drill, the check) to put in the page and the message. */
  links: Link[];
}

export interface MaintenanceSnapshot {
  id: string;
  title: string;
  components: string[];
  startsAt: string;
  endsAt: string;
  reason: string;
  emergency: boolean;
}

interface NotificationBase {
  /** The outbox id: unique and stable across retries. A channel uses it to recognise its own earlier delivery. */
  id: string;
  channel: ChannelName;
  /** Who made the change and why, from the timeline. */
  actor: string;
  reason: string;
  at: string;
}

export interface IncidentNotification extends NotificationBase {
  subject: 'incident';
  event: IncidentEvent;
  incident: IncidentSnapshot;
  /** For reclassified: the severity before. */
  previousSeverity?: IncidentSeverity;
  /** For sla-warning and sla-breach. */
  sla?: { clock: SlaClock; threshold: number; dueAt: string };
  /** Escalate: page again (PagerDuty), mention people (Slack). Set on SLA warnings and breaches. */
  escalate?: boolean;
}

export interface MaintenanceNotification extends NotificationBase {
  subject: 'maintenance';
  event: MaintenanceEvent;
  maintenance: MaintenanceSnapshot;
}

export const COMPONENT_STATUSES = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

/** A probe saw a public endpoint go down or come back: the status page's component follows. */
export interface ComponentNotification extends NotificationBase {
  subject: 'component';
  event: 'component-status';
  component: string;
  status: ComponentStatus;
}

export type Notification = IncidentNotification | MaintenanceNotification | ComponentNotification;

/** A notification before it has an id and a channel: what the pipeline decides to say. */
export type Announcement = DistributiveOmit<Notification, 'id' | 'channel'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * What a channel remembers about one subject (an incident or a maintenance) between deliveries:
 * string values only, stored as JSON next to the subject. Empty before the first delivery.
 */
export type ChannelRefs = Record<string, string>;

export interface Channel {
  readonly name: ChannelName;
  /**
   * Whether the channel says anything about this (Sev4 is not paged, Sev3 is not on the status page,
   * maintenance is not paged). The pipeline writes outbox rows only for channels that want them.
   */
  wants(announcement: Announcement): boolean;
  /**
   * Delivers one notification and returns the refs to keep (the old ones when nothing changed).
   * Idempotent per notification id: called again after a crash that came after the remote side accepted
   * but before the result was recorded, it must not post twice (PagerDuty: dedup_key; Slack: find the
   * message by its metadata; Statuspage: find the incident by its metadata).
   * Throws DeliveryError; anything else thrown is treated as retryable.
   */
  deliver(notification: Notification, refs: ChannelRefs): Promise<ChannelRefs>;
}

/**
 * A delivery that did not happen. `retryable` (429, 5xx, network, timeout): the dispatcher backs off and
 * tries again, honouring `retryAfterMs`. Not retryable (other 4xx, a component missing on the page): the
 * message stops and is reported until a person retries it.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
