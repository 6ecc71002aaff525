/**
 * The incident part of the store: incidents with an optimistic version, the durable outbox written in the
 * same transaction as every change, what each channel remembers per subject, SLA events as fired, which
 * signals were routed, and maintenance windows. Every write method commits all its rows or none.
 */
import type { ChannelName, ChannelRefs, Notification } from '../incidents/delivery.js';
import type { ClockEvent } from '../incidents/sla.js';
import type { Incident, IncidentSeverity, IncidentState } from '../incidents/types.js';
import type { Signal } from './types.js';

export interface StoredIncident {
  incident: Incident;
  /** Bumped by every write; a write names the version it read so two writers cannot both win. */
  version: number;
  /** SLA events are swept up to this instant; the next sweep starts here. */
  slaSweptTo: string;
}

/** `held`: waiting for a person's approval (the status page gate). `failed`: a 4xx; waits for `retry`. */
export type OutboxStatus = 'pending' | 'held' | 'delivered' | 'failed';

export interface OutboxRecord {
  id: string;
  /** Insertion order: a subject's messages to a channel go out in this order. */
  seq: number;
  subjectId: string;
  channel: ChannelName;
  notification: Notification;
  status: OutboxStatus;
  attempts: number;
  createdAt: string;
  nextAttemptAt: string;
  deliveredAt?: string;
  lastError?: string;
}

export interface IncidentWrite {
  incident: Incident;
  /** The version read; 0 for a new incident. */
  expectedVersion: number;
  notifications: Notification[];
  /** Notifications written `held` instead of `pending`. */
  hold?: (n: Notification) => boolean;
  /** Signals this write routes, so none is routed twice. */
  routedSignals?: Array<{ id: string; action: string }>;
  slaEvents?: ClockEvent[];
  slaSweptTo?: string;
}

export interface IncidentFilter {
  open?: boolean;
  severity?: IncidentSeverity;
  state?: IncidentState;
  /** Reported at or after. */
  since?: string;
  limit?: number;
}

export interface MaintenanceWindow {
  id: string;
  title: string;
  components: string[];
  startsAt: string;
  endsAt: string;
  reason: string;
  emergency: boolean;
  actor: string;
  status: 'scheduled' | 'in_progress' | 'completed' | 'cancelled';
  createdAt: string;
  version: number;
}

/** A recorded SLA event, for `vigil incident sla` and the evidence reports. */
export type SlaEventRecord = ClockEvent;

export interface IncidentStore {
  /** Allocates the next id (`INC-<n>`) and writes what `build` makes of it, in one transaction. */
  createIncident(build: (id: string) => Omit<IncidentWrite, 'expectedVersion'>): Promise<StoredIncident>;
  /** Writes a change; throws ConflictError when the incident moved since `expectedVersion`. */
  saveIncident(write: IncidentWrite): Promise<StoredIncident>;
  getIncident(id: string): Promise<StoredIncident | undefined>;
  listIncidents(filter?: IncidentFilter): Promise<StoredIncident[]>;
  /** Open incidents holding the key, and any incident that already recorded the signal. */
  incidentsForSignal(key: string, signalId: string): Promise<StoredIncident[]>;
  /** Stored signals not routed yet, oldest first. */
  unroutedSignals(limit?: number): Promise<Signal[]>;
  /** Records a routing that changed no incident (ignored), so it is not retried. */
  markSignalsRouted(routes: Array<{ id: string; action: string }>, at: string): Promise<void>;
  /** Stores signals raised outside a drill (probes, checks); an id already stored is ignored. */
  recordSignals(signals: Signal[]): Promise<void>;

  /**
   * Claims up to `limit` deliverable messages: pending, due, and the first undelivered one of their subject
   * and channel (so order holds); claimed rows are leased to `owner` until `leaseUntil`.
   */
  claimOutbox(now: string, owner: string, leaseUntil: string, limit: number): Promise<OutboxRecord[]>;
  /** Marks a claimed message delivered and stores the channel's refs for its subject, together. */
  outboxDelivered(id: string, at: string, refs: ChannelRefs): Promise<void>;
  outboxRetry(id: string, nextAttemptAt: string, error: string): Promise<void>;
  outboxFailed(id: string, error: string): Promise<void>;
  /** `failed` back to `pending` (a person fixed the cause). Returns how many. */
  outboxRequeue(ids: string[], now: string): Promise<number>;
  /** Releases held messages of a subject and channel; returns how many. */
  outboxRelease(subjectId: string, channel: ChannelName, now: string): Promise<number>;
  listOutbox(filter?: { subjectId?: string; status?: OutboxStatus; limit?: number }): Promise<OutboxRecord[]>;
  /** Messages per status and channel, counted in the store (the metrics read this every scrape). */
  outboxCounts(): Promise<Array<{ status: OutboxStatus; channel: ChannelName; count: number }>>;
  channelRefs(subjectId: string, channel: ChannelName): Promise<ChannelRefs>;

  slaEvents(incidentId?: string): Promise<SlaEventRecord[]>;

  saveMaintenance(window: MaintenanceWindow, expectedVersion: number, notifications: Notification[]): Promise<MaintenanceWindow>;
  getMaintenance(id: string): Promise<MaintenanceWindow | undefined>;
  listMaintenance(filter?: { status?: MaintenanceWindow['status'][]; limit?: number }): Promise<MaintenanceWindow[]>;
  /** Allocates the next maintenance id (`MNT-<n>`). */
  nextMaintenanceId(): Promise<string>;
  /** Writes component-status notifications (from probes) to the outbox. */
  enqueue(notifications: Notification[], now: string): Promise<void>;
}
