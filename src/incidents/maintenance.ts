/**
 * Scheduled maintenance under the seeds' policy: announced at least 24 hours ahead unless it is an
 * emergency, posted to the status page, components moved into and out of maintenance on time, and probe
 * signals for those components muted while the window is open. Windows are stored; the service's sweep
 * moves them by the clock, so a restart in the middle of a window changes nothing.
 */
import type { Clock } from '../core/clock.js';
import { HOUR_MS } from '../core/clock.js';
import { ConfigError, ConflictError, type Problem } from '../core/errors.js';
import type { IncidentStore, MaintenanceWindow } from '../store/incident-types.js';
import type { Channel, MaintenanceEvent, MaintenanceNotification, Notification } from './delivery.js';

/** The seed: "maintenance announced 24 h ahead". */
export const MAINTENANCE_NOTICE_MS = 24 * HOUR_MS;

export interface MaintenanceDeps {
  store: IncidentStore;
  clock: Clock;
  channels: readonly Channel[];
}

export interface MaintenanceRequest {
  title?: string;
  start: string;
  end: string;
  components: string[];
  reason: string;
  emergency: boolean;
  actor: string;
}

const FILE = 'arguments';

/** An instant with an explicit zone (`Z` or `+02:00`); a bare local time would mean different things on different hosts. */
function instant(text: string, path: string, problems: Problem[]): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text.trim())) {
    problems.push({ file: FILE, path, message: `"${text}" is not an ISO 8601 instant with a zone, e.g. 2026-12-01T02:00Z` });
    return undefined;
  }
  return Date.parse(text.trim());
}

export function validateWindow(request: MaintenanceRequest, now: Date): { startsAt: string; endsAt: string } {
  const problems: Problem[] = [];
  const start = instant(request.start, 'start', problems);
  const end = instant(request.end, 'end', problems);
  if (start !== undefined && end !== undefined && end <= start) {
    problems.push({ file: FILE, path: 'end', message: `the window ends (${request.end}) before it starts (${request.start})` });
  }
  if (start !== undefined && !request.emergency && start - now.getTime() < MAINTENANCE_NOTICE_MS) {
    const hours = ((start - now.getTime()) / HOUR_MS).toFixed(1);
    problems.push({
      file: FILE,
      path: 'start',
      message: `maintenance must be announced at least 24 h ahead and this one starts in ${hours} h; choose a later start or pass --emergency with the reason`,
    });
  }
  if (end !== undefined && end <= now.getTime()) problems.push({ file: FILE, path: 'end', message: `the window ends in the past (${request.end})` });
  if (request.components.length === 0) problems.push({ file: FILE, path: 'components', message: 'name at least one component' });
  if (!request.reason.trim()) problems.push({ file: FILE, path: 'reason', message: 'a reason is required' });
  if (!request.actor.trim()) problems.push({ file: FILE, path: 'actor', message: 'an actor is required' });
  if (problems.length > 0) throw new ConfigError(problems);
  return { startsAt: new Date(start as number).toISOString(), endsAt: new Date(end as number).toISOString() };
}

export async function scheduleMaintenance(deps: MaintenanceDeps, request: MaintenanceRequest): Promise<MaintenanceWindow> {
  const now = deps.clock.now();
  const { startsAt, endsAt } = validateWindow(request, now);
  const id = await deps.store.nextMaintenanceId();
  const window: MaintenanceWindow = {
    id,
    title: request.title?.trim() || `Scheduled maintenance: ${request.components.join(', ')}`,
    components: request.components,
    startsAt,
    endsAt,
    reason: request.reason.trim(),
    emergency: request.emergency,
    actor: request.actor,
    status: 'scheduled',
    createdAt: now.toISOString(),
    version: 0,
  };
  return deps.store.saveMaintenance(window, 0, notify(deps.channels, window, 'maintenance-scheduled', request.actor, window.reason, now.toISOString()));
}

export async function cancelMaintenance(deps: MaintenanceDeps, id: string, who: { actor: string; reason: string }): Promise<MaintenanceWindow> {
  const window = await deps.store.getMaintenance(id);
  if (!window) throw new ConfigError([{ file: FILE, path: 'id', message: `no maintenance window ${id}; \`vigil maintenance list\` shows them` }]);
  if (window.status === 'completed' || window.status === 'cancelled') {
    throw new ConfigError([{ file: FILE, path: 'id', message: `maintenance ${window.id} is already ${window.status}` }]);
  }
  if (!who.reason.trim()) throw new ConfigError([{ file: FILE, path: 'reason', message: 'a reason is required' }]);
  const at = deps.clock.now().toISOString();
  const next = { ...window, status: 'cancelled' as const };
  return deps.store.saveMaintenance(next, window.version, notify(deps.channels, next, 'maintenance-cancelled', who.actor, who.reason, at));
}

/** Moves windows by the clock: scheduled -> in progress at the start, -> completed at the end. */
export async function sweepMaintenance(deps: MaintenanceDeps): Promise<Array<{ id: string; event: MaintenanceEvent }>> {
  const now = deps.clock.now();
  const moved: Array<{ id: string; event: MaintenanceEvent }> = [];
  for (const window of await deps.store.listMaintenance({ status: ['scheduled', 'in_progress'] })) {
    let current = window;
    try {
      if (current.status === 'scheduled' && Date.parse(current.startsAt) <= now.getTime()) {
        current = await move(deps, current, 'in_progress', 'maintenance-started', current.startsAt);
        moved.push({ id: current.id, event: 'maintenance-started' });
      }
      if (current.status === 'in_progress' && Date.parse(current.endsAt) <= now.getTime()) {
        current = await move(deps, current, 'completed', 'maintenance-completed', current.endsAt);
        moved.push({ id: current.id, event: 'maintenance-completed' });
      }
    } catch (err) {
      // Another process moved it first; the next sweep sees its new state.
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  return moved;
}

function move(deps: MaintenanceDeps, window: MaintenanceWindow, status: MaintenanceWindow['status'], event: MaintenanceEvent, at: string): Promise<MaintenanceWindow> {
  const next = { ...window, status };
  const reason = event === 'maintenance-started' ? 'The maintenance window opened.' : 'The maintenance window closed.';
  return deps.store.saveMaintenance(next, window.version, notify(deps.channels, next, event, 'vigil', reason, at));
}

/** Components under maintenance at `now`: probe signals for them are muted. */
export function mutedComponents(windows: readonly MaintenanceWindow[], now: Date): Set<string> {
  const t = now.getTime();
  const muted = new Set<string>();
  for (const w of windows) {
    if (w.status === 'cancelled' || w.status === 'completed') continue;
    if (Date.parse(w.startsAt) <= t && t < Date.parse(w.endsAt)) for (const c of w.components) muted.add(c);
  }
  return muted;
}

function notify(channels: readonly Channel[], window: MaintenanceWindow, event: MaintenanceEvent, actor: string, reason: string, at: string): Notification[] {
  const announcement: Omit<MaintenanceNotification, 'id' | 'channel'> = {
    subject: 'maintenance',
    event,
    maintenance: {
      id: window.id,
      title: window.title,
      components: window.components,
      startsAt: window.startsAt,
      endsAt: window.endsAt,
      reason: window.reason,
      emergency: window.emergency,
    },
    actor,
    reason,
    at,
  };
  return channels.filter((c) => c.wants(announcement)).map((c) => ({ ...announcement, id: `${window.id}/${event}/${c.name}`, channel: c.name }));
}
