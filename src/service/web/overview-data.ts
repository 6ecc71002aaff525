/**
 * The staff overview's data: what needs attention now. Open incidents with their three SLA clocks, the
 * latest check run's counts and failures, the last drill of each target with RTO and RPO against their
 * targets, and when each schedule runs next. Read from the store at `clock.now()`; nothing is written.
 */
import type { Clock } from '../../core/clock.js';
import { redact } from '../../core/redact.js';
import { countByStatus, SEVERITIES, STATUSES, type Status } from '../../core/results.js';
import { CLOCK_LABELS, STATE_LABELS } from '../../adapters/channels/render.js';
import { clockEvents, deadlines, type ClockReading, type SlaPolicy } from '../../incidents/sla.js';
import { INCIDENT_SEVERITIES, SLA_CLOCKS, type Incident } from '../../incidents/types.js';
import type { CheckResultRecord, DrillRecord, RunRecord } from '../../store/types.js';
import type { Store } from '../../store/types.js';
import { durationText, relativeText, utcText } from './format.js';

/** One schedule as the scheduler reports it. `nextRun` absent: nothing is planned (a paused schedule). */
export interface ScheduleSummary {
  name: string;
  job: string;
  nextRun?: Date | string | null;
  lastRun?: { at: Date | string; status: string } | null;
}

export interface OverviewOptions {
  policy: SlaPolicy;
  schedules(): Promise<ScheduleSummary[]>;
  /** Failures listed in full; the rest are counted. Default 50. */
  maxFailures?: number;
}

/** `running` before a warning, `warning` once a warnAt threshold passed, then `breached`; or `met`, `none`. */
export type ClockLevel = 'running' | 'warning' | 'breached' | 'met' | 'none';

export interface SlaClockView {
  clock: string;
  label: string;
  level: ClockLevel;
  levelLabel: string;
  dueAt: string | null;
  dueAtText: string | null;
  /** `due in 40 min`, `overdue by 12 min`, `met at ... (5 min early)`, `no target for SEV4`. */
  detail: string;
}

export interface IncidentOverview {
  id: string;
  title: string;
  severity: string;
  state: string;
  components: string[];
  commander: string | null;
  reportedAt: string;
  reportedAtText: string;
  clocks: SlaClockView[];
}

export interface FailureView {
  checkId: string;
  status: Status;
  severity: string;
  resource: string;
  account: string;
  region: string;
  message: string;
  remediation: string;
}

export interface ChecksOverview {
  run: { id: string; status: string; trigger: string; startedAt: string; startedAtText: string; finishedAtText: string | null; actor: string | null } | null;
  /** A check run in progress, newer than `run`. */
  running: { id: string; startedAtText: string } | null;
  counts: Array<{ status: Status; count: number }>;
  failures: FailureView[];
  moreFailures: number;
}

export interface MeasureView {
  /** `12 min` or null when not measured. */
  actualText: string | null;
  targetText: string | null;
  /** null when either side is missing. */
  withinTarget: boolean | null;
  /** For the page's colour: within, over, or unmeasured (either side missing). */
  verdict: 'within' | 'over' | 'unmeasured';
  text: string;
}

export interface DrillOverview {
  target: string;
  id: string;
  status: string;
  startedAt: string;
  startedAtText: string;
  rto: MeasureView;
  rpo: MeasureView;
  failure: string | null;
  /** When the newest drill did not succeed: the last one that did, or that none has. */
  lastSuccessText: string | null;
}

export interface ScheduleView {
  name: string;
  job: string;
  nextRunText: string;
  nextRunRelative: string | null;
  lastRunText: string | null;
}

export interface OverviewView {
  generatedAt: string;
  generatedAtText: string;
  incidents: IncidentOverview[];
  checks: ChecksOverview;
  drills: DrillOverview[];
  schedules: { items: ScheduleView[]; error: string | null };
}

export async function loadOverview(store: Store, clock: Clock, options: OverviewOptions): Promise<OverviewView> {
  const now = clock.now();
  const open = await store.incidents.listIncidents({ open: true });
  const incidents = open
    .map((s) => s.incident)
    .sort((a, b) => INCIDENT_SEVERITIES.indexOf(a.severity) - INCIDENT_SEVERITIES.indexOf(b.severity) || a.reportedAt.localeCompare(b.reportedAt))
    .map((incident) => incidentOverview(incident, options.policy, clock));
  return {
    generatedAt: now.toISOString(),
    generatedAtText: utcText(now.toISOString()),
    incidents,
    checks: await checksOverview(store, options.maxFailures ?? 50),
    drills: await drillsOverview(store),
    schedules: await schedulesOverview(options, now),
  };
}

// ---------------------------------------------------------------------------------------------------
// SLA clocks.

const LEVEL_LABELS: Record<ClockLevel, string> = { running: 'Running', warning: 'Warning', breached: 'Breached', met: 'Met', none: 'No target' };

export function incidentOverview(incident: Incident, policy: SlaPolicy, clock: Clock): IncidentOverview {
  const readings = deadlines(incident, policy, clock);
  // Warnings already due under the current severity, from the pure clock: no dependence on the sweep's pace.
  const warned = clockEvents(incident, policy, incident.reportedAt, clock.now()).filter((e) => e.kind === 'warning' && e.severity === incident.severity);
  return {
    id: incident.id,
    title: incident.title,
    severity: incident.severity.toUpperCase(),
    state: STATE_LABELS[incident.state],
    components: incident.components,
    commander: incident.commander ?? null,
    reportedAt: incident.reportedAt,
    reportedAtText: utcText(incident.reportedAt),
    clocks: SLA_CLOCKS.map((name) => clockView(readings[name], warned.some((e) => e.clock === name), clock.now())),
  };
}

export function clockView(reading: ClockReading, warned: boolean, now: Date): SlaClockView {
  const base = { clock: reading.clock, label: CLOCK_LABELS[reading.clock], dueAt: reading.dueAt ?? null, dueAtText: reading.dueAt ? utcText(reading.dueAt) : null };
  const hours = reading.businessHours ? ' (business hours)' : '';
  if (reading.status === 'not_applicable' || reading.dueAt === undefined) {
    return { ...base, level: 'none', levelLabel: LEVEL_LABELS.none, detail: `no target for ${reading.severity.toUpperCase()}` };
  }
  const due = Date.parse(reading.dueAt);
  if (reading.metAt !== undefined) {
    const margin = due - Date.parse(reading.metAt);
    const level: ClockLevel = reading.status === 'met' ? 'met' : 'breached';
    const how = margin >= 0 ? `${durationText(margin)} before the deadline` : `${durationText(margin)} late`;
    return { ...base, level, levelLabel: LEVEL_LABELS[level], detail: `met ${utcText(reading.metAt)}, ${how}` };
  }
  if (reading.status === 'breached') {
    return { ...base, level: 'breached', levelLabel: LEVEL_LABELS.breached, detail: `overdue by ${durationText(now.getTime() - due)}${hours}` };
  }
  const level: ClockLevel = warned ? 'warning' : 'running';
  return { ...base, level, levelLabel: LEVEL_LABELS[level], detail: `due ${relativeText(reading.dueAt, now)}${hours}` };
}

// ---------------------------------------------------------------------------------------------------
// Checks.

async function checksOverview(store: Store, maxFailures: number): Promise<ChecksOverview> {
  const runs = await store.listRuns({ kind: 'check', limit: 20 });
  const newest = runs[0];
  const run = runs.find((r) => r.status !== 'running');
  const running = newest && newest.status === 'running' ? { id: newest.id, startedAtText: utcText(newest.startedAt) } : null;
  if (!run) return { run: null, running, counts: [], failures: [], moreFailures: 0 };
  const results = await store.checkResults(run.id);
  const counts = countByStatus(results);
  const failures = results.filter((r) => r.status === 'fail' || r.status === 'error').sort(byAttention);
  return {
    run: runView(run),
    running,
    counts: STATUSES.map((status) => ({ status, count: counts[status] })),
    failures: failures.slice(0, maxFailures).map(failureView),
    moreFailures: Math.max(0, failures.length - maxFailures),
  };
}

/** Failures before errors, then by severity, so the worst broken promise leads. */
function byAttention(a: CheckResultRecord, b: CheckResultRecord): number {
  const statusRank = (s: Status) => (s === 'fail' ? 0 : 1);
  return statusRank(a.status) - statusRank(b.status) || SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.checkId.localeCompare(b.checkId) || a.name.localeCompare(b.name);
}

function runView(run: RunRecord): NonNullable<ChecksOverview['run']> {
  return {
    id: run.id,
    status: run.status,
    trigger: run.trigger,
    startedAt: run.startedAt,
    startedAtText: utcText(run.startedAt),
    finishedAtText: run.finishedAt ? utcText(run.finishedAt) : null,
    actor: run.actor ?? null,
  };
}

function failureView(r: CheckResultRecord): FailureView {
  return { checkId: r.checkId, status: r.status, severity: r.severity, resource: r.name, account: r.accountId, region: r.region, message: r.message, remediation: r.remediation };
}

// ---------------------------------------------------------------------------------------------------
// Drills.

async function drillsOverview(store: Store): Promise<DrillOverview[]> {
  const newest = new Map<string, DrillRecord>();
  for (const drill of await store.listDrills({ limit: 1000 })) if (!newest.has(drill.target)) newest.set(drill.target, drill);
  const succeeded = await store.lastSuccessfulDrills();
  return [...newest.values()].sort((a, b) => a.target.localeCompare(b.target)).map((d) => drillView(d, succeeded.get(d.target)));
}

export function drillView(drill: DrillRecord, lastSuccess: DrillRecord | undefined): DrillOverview {
  const m = drill.measures;
  let lastSuccessText: string | null = null;
  if (drill.status !== 'succeeded') lastSuccessText = lastSuccess ? `last success ${utcText(lastSuccess.startedAt)} (${lastSuccess.id})` : 'no successful drill on record';
  return {
    target: drill.target,
    id: drill.id,
    status: drill.status,
    startedAt: drill.startedAt,
    startedAtText: utcText(drill.startedAt),
    rto: measureView('RTO', m['rtoSeconds'], m['rtoTargetSeconds']),
    rpo: measureView('RPO', m['rpoSeconds'], m['rpoTargetSeconds']),
    failure: drill.failure ?? null,
    lastSuccessText,
  };
}

export function measureView(name: string, actualSeconds: number | undefined, targetSeconds: number | undefined): MeasureView {
  const actualText = actualSeconds === undefined ? null : durationText(actualSeconds * 1000);
  const targetText = targetSeconds === undefined ? null : durationText(targetSeconds * 1000);
  const withinTarget = actualSeconds === undefined || targetSeconds === undefined ? null : actualSeconds <= targetSeconds;
  const verdict = withinTarget === null ? '' : withinTarget ? ', within target' : ', over target';
  const text = `${name} ${actualText ?? 'not measured'} / target ${targetText ?? 'none'}${verdict}`;
  return { actualText, targetText, withinTarget, verdict: withinTarget === null ? 'unmeasured' : withinTarget ? 'within' : 'over', text };
}

// ---------------------------------------------------------------------------------------------------
// Schedules.

async function schedulesOverview(options: OverviewOptions, now: Date): Promise<OverviewView['schedules']> {
  let schedules: ScheduleSummary[];
  try {
    schedules = await options.schedules();
  } catch (err) {
    // The rest of the overview is still worth showing; the failure is shown in place of the list.
    return { items: [], error: redact(`could not read the schedules: ${err instanceof Error ? err.message : String(err)}`) };
  }
  const iso = (t: Date | string | null | undefined) => {
    const ms = t === undefined || t === null ? NaN : new Date(t).getTime();
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
  };
  return {
    items: schedules
      .map((s) => ({ s, next: iso(s.nextRun) }))
      .sort((a, b) => (a.next ?? '\uffff').localeCompare(b.next ?? '\uffff') || a.s.name.localeCompare(b.s.name))
      .map(({ s, next }) => {
        const last = s.lastRun ? iso(s.lastRun.at) : undefined;
        return {
          name: s.name,
          job: s.job,
          nextRunText: next ? utcText(next) : 'not scheduled',
          nextRunRelative: next ? relativeText(next, now) : null,
          lastRunText: last && s.lastRun ? `${utcText(last)} (${s.lastRun.status})` : null,
        };
      }),
    error: null,
  };
}
