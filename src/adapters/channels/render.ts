/**
 * The words every channel shares: an incident's headline, what a change was and who made it, an SLA
 * threshold, a maintenance window. Pure functions over a notification; each channel adds its own markup.
 */
import type { IncidentEvent, IncidentNotification, MaintenanceEvent, MaintenanceSnapshot, IncidentSnapshot } from '../../incidents/delivery.js';
import type { IncidentSeverity, IncidentState, SlaClock } from '../../incidents/types.js';

export function severityLabel(severity: IncidentSeverity): string {
  return severity.toUpperCase();
}

/** `[SEV1] LMS database unreachable`: the line a pager, a channel and a log all lead with. */
export function headline(incident: IncidentSnapshot): string {
  return `[${severityLabel(incident.severity)}] ${incident.title}`;
}

export const EVENT_LABELS: Record<IncidentEvent | MaintenanceEvent, string> = {
  opened: 'Opened',
  acknowledged: 'Acknowledged',
  updated: 'Update',
  mitigated: 'Mitigated (temporary fix in place)',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  reopened: 'Reopened',
  reclassified: 'Reclassified',
  'sla-warning': 'SLA warning',
  'sla-breach': 'SLA breach',
  'maintenance-scheduled': 'Maintenance scheduled',
  'maintenance-started': 'Maintenance started',
  'maintenance-completed': 'Maintenance completed',
  'maintenance-cancelled': 'Maintenance cancelled',
};

export const STATE_LABELS: Record<IncidentState, string> = {
  triage: 'Triage',
  investigating: 'Investigating',
  mitigated: 'Mitigated',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};

/** The seed's three promises, in its words. */
export const CLOCK_LABELS: Record<SlaClock, string> = {
  workBegins: 'work begins',
  temporary: 'temporary solution',
  final: 'final resolution',
};

/** `SLA breach: final resolution was due 2025-01-06 14:00 UTC`, or `... at 75% (due ...)`. */
export function slaLine(n: IncidentNotification): string {
  if (!n.sla) return EVENT_LABELS[n.event];
  const clock = CLOCK_LABELS[n.sla.clock];
  const due = utc(n.sla.dueAt);
  if (n.event === 'sla-breach') return `SLA breach: ${clock} was due ${due}`;
  return `SLA warning: ${clock} is at ${Math.round(n.sla.threshold * 100)}% of its time (due ${due})`;
}

/** What changed, by whom, and why: one line for a thread, a page's details or a status-page body. */
export function changeLine(n: IncidentNotification): string {
  const why = n.reason ? `: ${n.reason}` : '';
  if (n.event === 'sla-warning' || n.event === 'sla-breach') return `${slaLine(n)}${why}`;
  if (n.event === 'reclassified' && n.previousSeverity) {
    return `Reclassified ${severityLabel(n.previousSeverity)} → ${severityLabel(n.incident.severity)} by ${n.actor}${why}`;
  }
  return `${EVENT_LABELS[n.event]} by ${n.actor}${why}`;
}

/** `2025-01-06 10:00 UTC`: minutes are what people plan by. */
export function utc(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function maintenanceWindow(m: MaintenanceSnapshot): string {
  return `${utc(m.startsAt)} – ${utc(m.endsAt)}`;
}

/** Cuts at `max` characters with an ellipsis; vendors reject over-long fields outright. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
