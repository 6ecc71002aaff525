/**
 * Creating and updating Statuspage incidents: validation in Statuspage's words (422 with every
 * problem), incident updates, component status changes, and maintenances that move to in progress
 * and completed on their own at their scheduled times (evaluated against the world clock when read).
 */
import {
  COMPONENT_STATUSES,
  IMPACTS,
  REALTIME_STATUSES,
  SCHEDULED_STATUSES,
  statuspageId,
  type AffectedComponent,
  type ComponentStatus,
  type Incident,
  type Page,
} from './statuspage-state.js';
import type { World } from './world.js';

const CLOSED = ['resolved', 'postmortem', 'completed'];
const MAINTENANCE_RUNNING = ['in_progress', 'verifying'];

function flag(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  return value === true || value === 'true' || value === 't' || value === '1' || value === 1;
}

function dateField(raw: Record<string, unknown>, key: string, label: string, errors: string[]): Date | null | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (value === null || value === '') return null;
  const date = new Date(String(value));
  if (Number.isNaN(date.getTime())) {
    errors.push(`${label} is invalid`);
    return undefined;
  }
  return date;
}

interface Changes {
  name?: string;
  status?: string;
  body?: string;
  impactOverride?: string | null;
  components: Map<string, ComponentStatus>;
  componentIds: string[];
  scheduledFor?: Date | null;
  scheduledUntil?: Date | null;
}

/** Every problem with an incident body, or the changes it asks for. */
function readChanges(page: Page, raw: Record<string, unknown>, existing: Incident | undefined): Changes | string[] {
  const errors: string[] = [];
  const name = raw['name'] === undefined ? existing?.name : String(raw['name'] ?? '').trim();
  if (!name) errors.push("Name can't be blank");
  else if (name.length > 255) errors.push('Name is too long (maximum is 255 characters)');

  const scheduledFor = dateField(raw, 'scheduled_for', 'Scheduled for', errors);
  const scheduledUntil = dateField(raw, 'scheduled_until', 'Scheduled until', errors);
  const scheduled = existing ? existing.scheduled : Boolean(scheduledFor);
  const start = scheduledFor === undefined ? existing?.scheduledFor : scheduledFor;
  const end = scheduledUntil === undefined ? existing?.scheduledUntil : scheduledUntil;
  if (scheduled && !end) errors.push("Scheduled until can't be blank");
  if (start && end && end.getTime() <= start.getTime()) errors.push('Scheduled until must be after scheduled for');

  const status = raw['status'] === undefined ? undefined : String(raw['status']);
  if (status !== undefined && !(scheduled ? SCHEDULED_STATUSES : REALTIME_STATUSES).includes(status)) errors.push('Status is not included in the list');

  const impact = raw['impact_override'];
  if (impact !== undefined && impact !== null && impact !== '' && !IMPACTS.includes(String(impact))) errors.push('Impact override is not included in the list');

  const components = new Map<string, ComponentStatus>();
  const asked = raw['components'];
  if (asked !== undefined && asked !== null && (typeof asked !== 'object' || Array.isArray(asked))) errors.push('Components must be a map of component id to status');
  for (const [id, value] of Object.entries((asked as Record<string, unknown> | null) ?? {})) {
    if (!page.components.has(id)) errors.push(`Component ${id} could not be found`);
    else if (!(COMPONENT_STATUSES as readonly string[]).includes(String(value))) errors.push('Component status is not included in the list');
    else components.set(id, value as ComponentStatus);
  }
  const idsRaw = raw['component_ids'];
  const componentIds = Array.isArray(idsRaw) ? idsRaw.map(String) : [];
  for (const id of componentIds) if (!page.components.has(id)) errors.push(`Component ${id} could not be found`);

  if (errors.length > 0) return errors;
  return {
    name,
    status,
    body: raw['body'] === undefined || raw['body'] === null ? undefined : String(raw['body']),
    impactOverride: impact === undefined ? undefined : impact === null || impact === '' ? null : String(impact),
    components,
    componentIds,
    scheduledFor,
    scheduledUntil,
  };
}

/** Sets component statuses; answers what changed, as an incident update's affected_components. */
function setComponents(world: World, page: Page, statuses: Map<string, ComponentStatus>): AffectedComponent[] {
  const affected: AffectedComponent[] = [];
  for (const [id, status] of statuses) {
    const component = page.components.get(id);
    if (!component || component.status === status) continue;
    affected.push({ code: id, name: component.name, old_status: component.status, new_status: status });
    component.status = status;
    component.updatedAt = world.now();
  }
  return affected;
}

interface Transition {
  status: string;
  body: string;
  at: Date;
  deliverNotifications: boolean;
  components: Map<string, ComponentStatus>;
}

/** One incident update: the status it moves to, the components it changes, and its timestamps. */
function addUpdate(world: World, page: Page, incident: Incident, t: Transition): void {
  const statuses = new Map(t.components);
  if (incident.scheduled && MAINTENANCE_RUNNING.includes(t.status) && incident.autoTransitionToMaintenanceState) {
    for (const id of incident.componentIds) if (!statuses.has(id)) statuses.set(id, 'under_maintenance');
  }
  if (incident.scheduled && t.status === 'completed' && incident.autoTransitionToOperationalState) {
    for (const id of incident.componentIds) statuses.set(id, 'operational');
  }
  // A maintenance changes components only once it runs; a realtime incident changes them at once.
  const applies = !incident.scheduled || MAINTENANCE_RUNNING.includes(t.status) || t.status === 'completed';
  const affected = applies ? setComponents(world, page, statuses) : [];
  incident.status = t.status;
  if (t.status === 'monitoring') incident.monitoringAt ??= t.at;
  if (CLOSED.includes(t.status)) incident.resolvedAt ??= t.at;
  incident.updatedAt = t.at;
  incident.updates.push({
    id: statuspageId(world, 'update'),
    incidentId: incident.id,
    status: t.status,
    body: t.body,
    createdAt: t.at,
    deliverNotifications: t.deliverNotifications,
    affectedComponents: affected.length > 0 ? affected : null,
  });
}

function trackSchedule(page: Page, incident: Incident): void {
  const pending = incident.scheduled && (incident.scheduledAutoInProgress || incident.scheduledAutoCompleted) && !CLOSED.includes(incident.status);
  if (pending) page.pendingSchedules.add(incident.id);
  else page.pendingSchedules.delete(incident.id);
}

/** Creates (no `existing`) or updates an incident; answers the validation errors instead when any. */
export function writeIncident(world: World, page: Page, raw: Record<string, unknown>, existing?: Incident): Incident | string[] {
  const changes = readChanges(page, raw, existing);
  if (Array.isArray(changes)) return changes;
  const now = world.now();
  const incident: Incident = existing ?? {
    id: statuspageId(world, 'incident'),
    pageId: page.id,
    name: changes.name as string,
    status: '',
    scheduled: Boolean(changes.scheduledFor),
    impactOverride: null,
    componentStatuses: new Map(),
    componentIds: [],
    metadata: {},
    scheduledFor: null,
    scheduledUntil: null,
    scheduledRemindPrior: false,
    scheduledAutoInProgress: false,
    scheduledAutoCompleted: false,
    autoTransitionToMaintenanceState: false,
    autoTransitionToOperationalState: false,
    autoTransitionDeliverNotificationsAtStart: false,
    autoTransitionDeliverNotificationsAtEnd: false,
    updates: [],
    createdAt: now,
    updatedAt: now,
    monitoringAt: null,
    resolvedAt: null,
    shortlink: '',
  };
  incident.shortlink ||= `https://stspg.io/${incident.id.slice(0, 9)}`;
  incident.name = changes.name as string;
  if (changes.impactOverride !== undefined) incident.impactOverride = changes.impactOverride;
  if (changes.scheduledFor !== undefined) incident.scheduledFor = changes.scheduledFor;
  if (changes.scheduledUntil !== undefined) incident.scheduledUntil = changes.scheduledUntil;
  const booleans: Array<[keyof Incident, string]> = [
    ['scheduledRemindPrior', 'scheduled_remind_prior'],
    ['scheduledAutoInProgress', 'scheduled_auto_in_progress'],
    ['scheduledAutoCompleted', 'scheduled_auto_completed'],
    ['autoTransitionToMaintenanceState', 'auto_transition_to_maintenance_state'],
    ['autoTransitionToOperationalState', 'auto_transition_to_operational_state'],
    ['autoTransitionDeliverNotificationsAtStart', 'auto_transition_deliver_notifications_at_start'],
    ['autoTransitionDeliverNotificationsAtEnd', 'auto_transition_deliver_notifications_at_end'],
  ];
  for (const [field, key] of booleans) (incident as unknown as Record<string, unknown>)[field] = flag(raw[key], incident[field] as boolean);
  if (raw['metadata'] && typeof raw['metadata'] === 'object') incident.metadata = raw['metadata'] as Record<string, unknown>;
  for (const [id, status] of changes.components) incident.componentStatuses.set(id, status);
  for (const id of [...changes.components.keys(), ...changes.componentIds]) if (!incident.componentIds.includes(id)) incident.componentIds.push(id);

  const status = changes.status ?? (existing ? existing.status : incident.scheduled ? 'scheduled' : 'investigating');
  const newUpdate = !existing || status !== existing.status || changes.body !== undefined || changes.components.size > 0;
  if (newUpdate) {
    addUpdate(world, page, incident, { status, body: changes.body ?? '', at: now, deliverNotifications: flag(raw['deliver_notifications'], true), components: changes.components });
  } else {
    incident.updatedAt = now;
  }
  if (!existing) {
    page.incidents.set(incident.id, incident);
    page.incidentOrder.push(incident.id);
  }
  trackSchedule(page, incident);
  return incident;
}

/** Maintenances that reached scheduled_for / scheduled_until move on their own, as Statuspage does. */
export function advanceSchedules(world: World, page: Page): void {
  const now = world.now().getTime();
  for (const id of [...page.pendingSchedules]) {
    const incident = page.incidents.get(id);
    if (!incident) continue;
    const start = incident.scheduledFor;
    if (incident.status === 'scheduled' && incident.scheduledAutoInProgress && start && start.getTime() <= now) {
      addUpdate(world, page, incident, {
        status: 'in_progress',
        body: 'Scheduled maintenance is currently in progress. We will provide updates as necessary.',
        at: start,
        deliverNotifications: incident.autoTransitionDeliverNotificationsAtStart,
        components: new Map(),
      });
    }
    const end = incident.scheduledUntil;
    if (!CLOSED.includes(incident.status) && incident.scheduledAutoCompleted && end && end.getTime() <= now) {
      addUpdate(world, page, incident, {
        status: 'completed',
        body: 'The scheduled maintenance has been completed.',
        at: end,
        deliverNotifications: incident.autoTransitionDeliverNotificationsAtEnd,
        components: new Map(),
      });
    }
    trackSchedule(page, incident);
  }
}

export function isUnresolved(incident: Incident): boolean {
  return !incident.scheduled && !CLOSED.includes(incident.status);
}

export function isActiveMaintenance(incident: Incident): boolean {
  return incident.scheduled && MAINTENANCE_RUNNING.includes(incident.status);
}

export function isUpcoming(incident: Incident, now: Date): boolean {
  return incident.scheduled && incident.status === 'scheduled' && (incident.scheduledFor?.getTime() ?? 0) > now.getTime();
}
