/**
 * The public status page's data: what each component's status is now, the open incidents as the
 * public hears about them, maintenance, and 90 days of daily uptime per component. Everything is read
 * from the store at `clock.now()`; the render functions only print it.
 *
 * What the public sees of an incident is what the Statuspage channel would post (see
 * src/adapters/channels/statuspage.ts): the opening, mitigation, monitoring, resolution, a reopening and a
 * reassessed impact, each with the reason its author gave. Acknowledgements, notes (`update`), commander
 * changes, joined signals and approvals stay internal, and no actor's name is shown. With the status-page
 * approval gate on (`incidents.statuspageApproval`), the page shows an incident only as of its latest
 * approval, exactly as far as the held Statuspage posts were let out.
 */
import type { Clock } from '../../core/clock.js';
import { MINUTE_MS } from '../../core/clock.js';
import type { ComponentStatus } from '../../incidents/delivery.js';
import type { ProbeState } from '../../incidents/probes.js';
import { EVENT_OF_ACTION, PUBLIC_SENTENCES } from '../../incidents/public.js';
import { isAutomaticActor, type Incident, type IncidentSeverity, type IncidentState, type TimelineEntry } from '../../incidents/types.js';
import type { MaintenanceWindow } from '../../store/incident-types.js';
import type { Store } from '../../store/types.js';
import { utcText } from './format.js';
import { calendarDays, componentDays, directUptime, type ComponentDay, type UptimeSource } from './uptime.js';

export const UPTIME_DAYS = 90;

/** The severities shown by default: Sev4 is "minor or cosmetic issues, and all feature requests". */
export const DEFAULT_PUBLIC_SEVERITIES: readonly IncidentSeverity[] = ['sev1', 'sev2', 'sev3'];

/** What an open incident of each severity does to its components (the Statuspage channel's defaults). */
export const SEVERITY_COMPONENT_STATUS: Record<IncidentSeverity, ComponentStatus | undefined> = {
  sev1: 'major_outage',
  sev2: 'partial_outage',
  sev3: 'degraded_performance',
  sev4: undefined,
};

/** `unknown`: no fresh probe data and nothing declared; shown as "No data", never as operational. */
export type PageStatus = ComponentStatus | 'unknown';

/** Worst first; `unknown` is not on the scale (see `overallStatus`). */
const STATUS_ORDER: readonly ComponentStatus[] = ['major_outage', 'partial_outage', 'degraded_performance', 'under_maintenance', 'operational'];

export const STATUS_LABELS: Record<PageStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
  unknown: 'No data',
};

/** The probes that watch components, as configured (`probes:` in vigil.config.yaml). */
export interface StatusProbe {
  name: string;
  component: string;
  intervalMs: number;
}

export interface StatusPageOptions {
  title: string;
  /** The platform's components, in page order; components of probes, open incidents and maintenance are added after them. */
  components: readonly string[];
  probes: readonly StatusProbe[];
  /** Incidents of these severities appear and move components; default Sev1 to Sev3. */
  publicSeverities?: readonly IncidentSeverity[];
  /** `incidents.statuspageApproval`: show incidents only as far as a person approved them. */
  requireApproval?: boolean;
  /** Calendar days of the uptime bars, in this IANA zone. Default UTC. */
  timeZone?: string;
  /** Default: read straight from the store. The service passes one UptimeCache for its lifetime. */
  uptime?: UptimeSource;
}

export interface UptimeCell {
  day: string;
  /** CSS class suffix: full, minor, partial, major, none (no data), maintenance. */
  level: 'full' | 'minor' | 'partial' | 'major' | 'none' | 'maintenance';
  uptimePercent: number | null;
  /** Title and aria-label: the day and what it measured. */
  label: string;
}

export interface ComponentView {
  name: string;
  status: PageStatus;
  statusLabel: string;
  /** The probes' latest check of the component, for "checked at". */
  checkedAt: string | null;
  checkedAtText: string | null;
  uptime: {
    cells: UptimeCell[];
    /** Over the days with data; null when no day has any. */
    percentText: string | null;
    label: string;
  };
}

export interface IncidentUpdateView {
  at: string;
  atText: string;
  /** The state as the public reads it after this update. */
  label: string;
  text: string;
  reason: string;
}

export interface PublicIncidentView {
  id: string;
  title: string;
  impact: PageStatus;
  impactLabel: string;
  stateLabel: string;
  components: string[];
  reportedAt: string;
  reportedAtText: string;
  /** Newest first. */
  updates: IncidentUpdateView[];
}

export interface MaintenanceView {
  id: string;
  title: string;
  components: string[];
  startsAt: string;
  endsAt: string;
  windowText: string;
  reason: string;
  inProgress: boolean;
  statusLabel: string;
}

export interface StatusPageView {
  title: string;
  generatedAt: string;
  generatedAtText: string;
  overall: { status: PageStatus; label: string };
  components: ComponentView[];
  incidents: PublicIncidentView[];
  maintenance: { inProgress: MaintenanceView[]; scheduled: MaintenanceView[] };
  uptimeDays: number;
  timeZone: string;
}

export async function loadStatusPage(store: Store, clock: Clock, options: StatusPageOptions): Promise<StatusPageView> {
  const now = clock.now();
  const timeZone = options.timeZone ?? 'UTC';
  const severities = options.publicSeverities ?? DEFAULT_PUBLIC_SEVERITIES;

  const incidents = (await store.incidents.listIncidents({ open: true }))
    .map((s) => publicIncident(s.incident, { severities, requireApproval: options.requireApproval ?? false }))
    .filter((p): p is PublicIncident => p !== undefined)
    .sort((a, b) => b.incident.reportedAt.localeCompare(a.incident.reportedAt));
  const windows = (await store.incidents.listMaintenance({ status: ['scheduled', 'in_progress'] })).filter((w) => Date.parse(w.endsAt) > now.getTime());
  const names = componentNames(options, incidents, windows);
  const probeStates = new Map<string, ProbeState | undefined>();
  for (const probe of options.probes) probeStates.set(probe.name, await store.probes.load(probe.name));

  const days = calendarDays(now, UPTIME_DAYS, timeZone);
  const rows = await (options.uptime ?? directUptime).dailyRows(store.probes, days, timeZone, now);
  const uptime = componentDays(rows, options.probes, names, days);

  const components = names.map((name): ComponentView => {
    const probes = options.probes.filter((p) => p.component === name);
    const status = componentStatus({
      inMaintenance: windows.some((w) => isInProgress(w, now) && w.components.includes(name)),
      incidentSeverities: incidents.filter((p) => p.incident.components.includes(name)).map((p) => p.severity),
      probes: probes.map((p) => ({ probe: p, state: probeStates.get(p.name) })),
      now,
    });
    const checkedAt = latest(probes.map((p) => probeStates.get(p.name)?.lastObservedAt));
    return {
      name,
      status,
      statusLabel: STATUS_LABELS[status],
      checkedAt: checkedAt ?? null,
      checkedAtText: checkedAt ? utcText(checkedAt) : null,
      uptime: uptimeView(name, uptime.get(name) ?? []),
    };
  });

  const maintenance = windows.sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.id.localeCompare(b.id)).map((w) => maintenanceView(w, now));
  const overall = overallStatus(components.map((c) => c.status));
  return {
    title: options.title,
    generatedAt: now.toISOString(),
    generatedAtText: utcText(now.toISOString()),
    overall: { status: overall, label: OVERALL_LABELS[overall] },
    components,
    incidents: incidents.map(incidentView),
    maintenance: { inProgress: maintenance.filter((m) => m.inProgress), scheduled: maintenance.filter((m) => !m.inProgress) },
    uptimeDays: UPTIME_DAYS,
    timeZone,
  };
}

function componentNames(options: StatusPageOptions, incidents: readonly PublicIncident[], windows: readonly MaintenanceWindow[]): string[] {
  const names = [...options.components];
  const more = [...options.probes.map((p) => p.component), ...incidents.flatMap((p) => p.incident.components), ...windows.flatMap((w) => w.components)];
  for (const name of [...new Set(more)].sort((a, b) => a.localeCompare(b))) if (!names.includes(name)) names.push(name);
  return [...new Set(names)];
}

function latest(instants: ReadonlyArray<string | undefined>): string | undefined {
  return instants.filter((t): t is string => t !== undefined).sort().pop();
}

// ---------------------------------------------------------------------------------------------------
// Component status.

/**
 * A probe's word counts while it is fresh: its last check is at most this many intervals old (plus a
 * minute of scheduler slack). Older means the probes stopped, and the page says "No data".
 */
export const STALE_AFTER_INTERVALS = 3;

export interface ComponentFacts {
  inMaintenance: boolean;
  /** Severities of the public open incidents naming the component. */
  incidentSeverities: readonly IncidentSeverity[];
  probes: ReadonlyArray<{ probe: StatusProbe; state: ProbeState | undefined }>;
  now: Date;
}

/**
 * Maintenance in progress wins (it explains everything else); then the worst public open incident (a
 * person has judged the impact, and reclassifying is how they change it); then the probes. A probe speaks
 * through its confirmed status (`ProbeState.componentStatus`, set only after `failuresToAlert` failures,
 * so one blip never reaches the page), the worst of the component's fresh probes. Nothing fresh: unknown.
 */
export function componentStatus(facts: ComponentFacts): PageStatus {
  if (facts.inMaintenance) return 'under_maintenance';
  const declared = worst(facts.incidentSeverities.map((s) => SEVERITY_COMPONENT_STATUS[s]).filter((s): s is ComponentStatus => s !== undefined));
  if (declared !== undefined) return declared;
  const said = facts.probes
    .filter(({ probe, state }) => state?.lastObservedAt !== undefined && facts.now.getTime() - Date.parse(state.lastObservedAt) <= STALE_AFTER_INTERVALS * probe.intervalMs + MINUTE_MS)
    .map(({ state }) => state?.componentStatus)
    .filter((s): s is ComponentStatus => s !== undefined);
  return worst(said) ?? 'unknown';
}

function worst(statuses: readonly ComponentStatus[]): ComponentStatus | undefined {
  return [...statuses].sort((a, b) => STATUS_ORDER.indexOf(a) - STATUS_ORDER.indexOf(b))[0];
}

const OVERALL_LABELS: Record<PageStatus, string> = {
  operational: 'All systems operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Maintenance in progress',
  unknown: 'Status unknown for some components',
};

/** The worst component; all operational but some unknown is unknown, not "all systems operational". */
export function overallStatus(statuses: readonly PageStatus[]): PageStatus {
  const known = statuses.filter((s): s is ComponentStatus => s !== 'unknown');
  const w = worst(known);
  if (w === undefined) return 'unknown';
  if (w === 'operational' && known.length < statuses.length) return 'unknown';
  return w;
}

// ---------------------------------------------------------------------------------------------------
// Incidents as the public sees them.

export interface PublicIncident {
  incident: Incident;
  /** Severity and state as of the last public update (the approval cut-off), not necessarily the record's. */
  severity: IncidentSeverity;
  state: IncidentState;
  entries: TimelineEntry[];
}

const PUBLIC_ACTIONS = new Set(['mitigate', 'monitor', 'resolve', 'reopen']);

/** Whether a timeline entry is something the public hears about. */
export function isPublicEntry(entry: TimelineEntry): boolean {
  const change = entry.change;
  if (change.kind === 'opened' || change.kind === 'severity') return true;
  return change.kind === 'state' && PUBLIC_ACTIONS.has(change.action);
}

/**
 * The incident as far as the public may know it, or undefined when it is not public: not yet approved
 * (with the gate on), resolved as of the cut-off, or of a severity that is not posted.
 */
export function publicIncident(incident: Incident, rules: { severities: readonly IncidentSeverity[]; requireApproval: boolean }): PublicIncident | undefined {
  let timeline = incident.timeline;
  if (rules.requireApproval) {
    const cut = timeline.findLastIndex((e) => e.change.kind === 'approval');
    if (cut < 0) return undefined;
    timeline = timeline.slice(0, cut + 1);
  }
  let severity: IncidentSeverity | undefined;
  let state: IncidentState | undefined;
  for (const entry of timeline) {
    const change = entry.change;
    if (change.kind === 'opened') [severity, state] = [change.severity, change.state];
    if (change.kind === 'severity') severity = change.to;
    if (change.kind === 'state') state = change.to;
  }
  if (severity === undefined || state === undefined || state === 'resolved' || !rules.severities.includes(severity)) return undefined;
  return { incident, severity, state, entries: timeline.filter(isPublicEntry) };
}

const PUBLIC_STATE_LABELS: Record<IncidentState, string> = {
  triage: 'Investigating',
  investigating: 'Investigating',
  mitigated: 'Mitigated',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};


function updateView(entry: TimelineEntry): IncidentUpdateView {
  const change = entry.change;
  let label = 'Update';
  let text = '';
  if (change.kind === 'opened') [label, text] = [PUBLIC_STATE_LABELS[change.state], PUBLIC_SENTENCES.opened ?? ''];
  if (change.kind === 'state') {
    const event = EVENT_OF_ACTION[change.action];
    [label, text] = [PUBLIC_STATE_LABELS[change.to], (event && PUBLIC_SENTENCES[event]) ?? ''];
  }
  if (change.kind === 'severity') {
    const impact = SEVERITY_COMPONENT_STATUS[change.to];
    [label, text] = ['Update', `We have reassessed the impact of this incident as ${impact ? STATUS_LABELS[impact].toLowerCase() : 'minor'}.`];
  }
  // A person's reason is written for the public update; an automatic one (a rule's explanation) is not.
  return { at: entry.at, atText: utcText(entry.at), label, text, reason: isAutomaticActor(entry.actor) ? '' : entry.reason };
}

function incidentView(p: PublicIncident): PublicIncidentView {
  const impact = SEVERITY_COMPONENT_STATUS[p.severity] ?? 'unknown';
  return {
    id: p.incident.id,
    title: p.incident.publicTitle ?? p.incident.title,
    impact,
    impactLabel: STATUS_LABELS[impact],
    stateLabel: PUBLIC_STATE_LABELS[p.state],
    components: p.incident.components,
    reportedAt: p.incident.reportedAt,
    reportedAtText: utcText(p.incident.reportedAt),
    updates: p.entries.map(updateView).reverse(),
  };
}

// ---------------------------------------------------------------------------------------------------
// Maintenance.

/** By the clock, not the stored status: a sweep a minute late must not keep the page wrong. */
export function isInProgress(window: MaintenanceWindow, now: Date): boolean {
  const t = now.getTime();
  return (window.status === 'scheduled' || window.status === 'in_progress') && Date.parse(window.startsAt) <= t && t < Date.parse(window.endsAt);
}

function maintenanceView(w: MaintenanceWindow, now: Date): MaintenanceView {
  const inProgress = isInProgress(w, now);
  return {
    id: w.id,
    title: w.title,
    components: w.components,
    startsAt: w.startsAt,
    endsAt: w.endsAt,
    windowText: `${utcText(w.startsAt)} – ${utcText(w.endsAt)}`,
    reason: w.reason,
    inProgress,
    statusLabel: inProgress ? 'In progress' : 'Scheduled',
  };
}

// ---------------------------------------------------------------------------------------------------
// Uptime bars.

/** Lower bounds of each colour; below the last is `major`. */
const LEVELS: ReadonlyArray<{ level: UptimeCell['level']; atLeast: number }> = [
  { level: 'full', atLeast: 100 },
  { level: 'minor', atLeast: 99 },
  { level: 'partial', atLeast: 95 },
];

/** Never rounds up: 99.999% must not read as 100%. */
export function percentText(percent: number): string {
  const floored = Math.floor(percent * 100) / 100;
  return `${floored.toFixed(2).replace(/\.?0+$/, '')}%`;
}

export function uptimeCell(day: ComponentDay): UptimeCell {
  if (day.uptimePercent === null) {
    if (day.muted > 0) return { day: day.day, level: 'maintenance', uptimePercent: null, label: `${day.day}: under maintenance, not counted` };
    return { day: day.day, level: 'none', uptimePercent: null, label: `${day.day}: no data` };
  }
  const level = LEVELS.find((l) => (day.uptimePercent as number) >= l.atLeast)?.level ?? 'major';
  const failed = day.down > 0 ? `, ${day.down} of ${day.checks} checks down` : '';
  return { day: day.day, level, uptimePercent: day.uptimePercent, label: `${day.day}: ${percentText(day.uptimePercent)} uptime${failed}` };
}

function uptimeView(component: string, days: readonly ComponentDay[]): ComponentView['uptime'] {
  const checks = days.reduce((n, d) => n + d.checks, 0);
  const good = days.reduce((n, d) => n + d.up + d.degraded, 0);
  const text = checks === 0 ? null : percentText((good / checks) * 100);
  return {
    cells: days.map(uptimeCell),
    percentText: text,
    label: `Daily uptime of ${component} over the last ${days.length} days${text ? `: ${text} overall` : ': no data'}`,
  };
}
