/**
 * SLA clocks: three per incident (work begins, temporary solution, final resolution), all counted from
 * the report. Everything here is derived from the incident's record and a policy, as ISO instants, so
 * nothing lives in a timer: a sweep after downtime asks `clockEvents` for the window it missed and gets
 * each warning and breach exactly once.
 */
import { z } from 'zod';
import { DAY_MS, HOUR_MS, parseDuration, type Clock } from '../core/clock.js';
import {
  INCIDENT_SEVERITIES,
  SLA_CLOCKS,
  type ClockDue,
  type Incident,
  type IncidentSeverity,
  type IncidentState,
  type SlaClock,
  type TimelineEntry,
} from './types.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Working hours in one time zone; a clock counted in business hours only runs inside them. */
export interface BusinessHours {
  /** IANA zone, e.g. `America/New_York`; DST follows the zone. */
  timeZone: string;
  days: Weekday[];
  /** `HH:MM`, local. */
  start: string;
  /** `HH:MM`, local, after `start` (`24:00` allowed). */
  end: string;
}

export interface SeverityTargets {
  /** Absent clock = no promise (Sev4: at the team's discretion). */
  withinMs: Partial<Record<SlaClock, number>>;
  businessHours?: BusinessHours;
}

export interface SlaPolicy {
  /** Fractions of each target at which a warning is raised, each in (0, 1). The breach at 1 is implied. */
  warnAt: number[];
  severities: Record<IncidentSeverity, SeverityTargets>;
}

/** The seed's table, in calendar time. */
export const DEFAULT_SLA_POLICY: SlaPolicy = {
  warnAt: [0.5, 0.8],
  severities: {
    sev1: { withinMs: { workBegins: 1 * HOUR_MS, temporary: 4 * HOUR_MS, final: 7 * HOUR_MS } },
    sev2: { withinMs: { workBegins: 2 * HOUR_MS, temporary: 48 * HOUR_MS, final: 14 * DAY_MS } },
    sev3: { withinMs: { workBegins: 72 * HOUR_MS, temporary: 7 * DAY_MS, final: 30 * DAY_MS } },
    sev4: { withinMs: {} },
  },
};

// ---------------------------------------------------------------------------------------------------
// Policy file schema (durations as `1h`, `14d`); strict, so a misspelt key is an error, not a default.

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

const durationSchema = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a positive duration (e.g. 4h, 14d)` });
    return z.NEVER;
  }
  return ms;
});

const businessHoursSchema = z
  .strictObject({
    timeZone: z.string().refine(isTimeZone, { message: 'not a known IANA time zone' }),
    days: z.array(z.enum(WEEKDAYS)).min(1),
    start: z.string().regex(HHMM, 'expected HH:MM'),
    end: z.string().regex(HHMM, 'expected HH:MM'),
  })
  .refine((b) => minutesOf(b.end) > minutesOf(b.start), { message: 'end must be after start', path: ['end'] });

const severityTargetsSchema = z
  .strictObject({
    workBegins: durationSchema.optional(),
    temporary: durationSchema.optional(),
    final: durationSchema.optional(),
    businessHours: businessHoursSchema.optional(),
  })
  .transform((t): SeverityTargets => {
    const withinMs: Partial<Record<SlaClock, number>> = {};
    for (const clock of SLA_CLOCKS) if (t[clock] !== undefined) withinMs[clock] = t[clock];
    return t.businessHours ? { withinMs, businessHours: t.businessHours } : { withinMs };
  });

/** The `sla:` section of a config file. Every severity is listed, so none falls back silently. */
export const slaPolicySchema = z.strictObject({
  warnAt: z
    .array(z.number().gt(0).lt(1))
    .default([...DEFAULT_SLA_POLICY.warnAt])
    .transform((xs) => [...new Set(xs)].sort((a, b) => a - b)),
  severities: z.strictObject(
    Object.fromEntries(INCIDENT_SEVERITIES.map((s) => [s, severityTargetsSchema])) as Record<IncidentSeverity, typeof severityTargetsSchema>,
  ),
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

// ---------------------------------------------------------------------------------------------------
// Business-hours arithmetic through Intl; no timezone library needed for "add N working hours".

const formatters = new Map<string, Intl.DateTimeFormat>();

function zonedParts(t: number, timeZone: string): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const out: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(t))) if (part.type !== 'literal') out[part.type] = Number(part.value);
  return { y: out['year'] ?? 0, m: out['month'] ?? 0, d: out['day'] ?? 0, h: out['hour'] ?? 0, mi: out['minute'] ?? 0, s: out['second'] ?? 0 };
}

/** The zone's offset from UTC at instant `t`, in ms (New York in winter: -5 h). */
function offsetMs(t: number, timeZone: string): number {
  const p = zonedParts(t, timeZone);
  return Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s) - Math.floor(t / 1000) * 1000;
}

/** The instant of a local wall time; two passes settle the offset across a DST change. */
function zonedToUtc(y: number, m: number, d: number, minutes: number, timeZone: string): number {
  const wall = Date.UTC(y, m - 1, d, 0, minutes);
  const first = wall - offsetMs(wall, timeZone);
  const second = wall - offsetMs(first, timeZone);
  return second;
}

// A policy with business hours that never open would loop forever; ten years is a bug, not a wait.
const MAX_DAYS = 3660;

/** `start` plus `ms` of time counted only inside the business hours. */
export function addBusinessTime(start: number, ms: number, hours: BusinessHours): number {
  const open = minutesOf(hours.start);
  const close = minutesOf(hours.end);
  const days = new Set(hours.days.map((d) => WEEKDAYS.indexOf(d)));
  const local = zonedParts(start, hours.timeZone);
  let remaining = ms;
  for (let i = 0; i < MAX_DAYS; i++) {
    const date = new Date(Date.UTC(local.y, local.m - 1, local.d + i));
    if (!days.has(date.getUTCDay())) continue;
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const from = Math.max(zonedToUtc(y, m, d, open, hours.timeZone), start);
    const to = zonedToUtc(y, m, d, close, hours.timeZone);
    if (from >= to) continue;
    if (remaining <= to - from) return from + remaining;
    remaining -= to - from;
  }
  throw new Error(`business hours ${JSON.stringify(hours)} never accumulate ${ms} ms within ${MAX_DAYS} days`);
}

function addTime(start: number, ms: number, targets: SeverityTargets): number {
  return targets.businessHours ? addBusinessTime(start, ms, targets.businessHours) : start + ms;
}

// ---------------------------------------------------------------------------------------------------
// Deadlines.

/** The due instant of each clock for a severity, counted from the report. */
export function dueInstants(reportedAt: string, severity: IncidentSeverity, policy: SlaPolicy): ClockDue {
  const targets = policy.severities[severity];
  const start = Date.parse(reportedAt);
  const due: ClockDue = {};
  for (const clock of SLA_CLOCKS) {
    const within = targets.withinMs[clock];
    if (within !== undefined) due[clock] = new Date(addTime(start, within, targets)).toISOString();
  }
  return due;
}

export type ClockStatus = 'running' | 'met' | 'breached' | 'not_applicable';

export interface ClockReading {
  clock: SlaClock;
  severity: IncidentSeverity;
  status: ClockStatus;
  startedAt: string;
  dueAt?: string;
  /** When the clock's condition last became true and still holds. */
  metAt?: string;
  withinMs?: number;
  businessHours: boolean;
}

/** What stops each clock: any work (ack or later), a temporary solution or better, the final resolution. */
const SATISFIED: Record<SlaClock, (s: IncidentState) => boolean> = {
  workBegins: (s) => s !== 'triage',
  temporary: (s) => s === 'mitigated' || s === 'monitoring' || s === 'resolved',
  final: (s) => s === 'resolved',
};

/** The incident's state over time, from its timeline. */
function stateHistory(incident: Incident): Array<{ at: number; state: IncidentState }> {
  const out: Array<{ at: number; state: IncidentState }> = [];
  for (const entry of incident.timeline) {
    if (entry.change.kind === 'opened') out.push({ at: Date.parse(incident.reportedAt), state: entry.change.state });
    if (entry.change.kind === 'state') out.push({ at: Date.parse(entry.at), state: entry.change.to });
  }
  return out;
}

/** Half-open intervals [from, to) during which the clock's condition did not hold. */
function unmetIntervals(incident: Incident, clock: SlaClock): Array<{ from: number; to: number }> {
  const out: Array<{ from: number; to: number }> = [];
  let openSince: number | undefined;
  for (const { at, state } of stateHistory(incident)) {
    const met = SATISFIED[clock](state);
    if (!met && openSince === undefined) openSince = at;
    if (met && openSince !== undefined) {
      out.push({ from: openSince, to: at });
      openSince = undefined;
    }
  }
  if (openSince !== undefined) out.push({ from: openSince, to: Infinity });
  return out;
}

function metAt(incident: Incident, clock: SlaClock): string | undefined {
  const unmet = unmetIntervals(incident, clock);
  const last = unmet[unmet.length - 1];
  if (last === undefined) return incident.reportedAt;
  return last.to === Infinity ? undefined : new Date(last.to).toISOString();
}

/** Each clock's deadline and standing at `clock.now()`. A clock met after its deadline reads `breached`. */
export function deadlines(incident: Incident, policy: SlaPolicy, clock: Clock): Record<SlaClock, ClockReading> {
  const now = clock.now().getTime();
  const targets = policy.severities[incident.severity];
  const due = dueInstants(incident.reportedAt, incident.severity, policy);
  const out = {} as Record<SlaClock, ClockReading>;
  for (const name of SLA_CLOCKS) {
    const base = { clock: name, severity: incident.severity, startedAt: incident.reportedAt, businessHours: targets.businessHours !== undefined };
    const dueAt = due[name];
    const met = metAt(incident, name);
    if (dueAt === undefined) {
      out[name] = { ...base, status: 'not_applicable', ...(met ? { metAt: met } : {}) };
      continue;
    }
    let status: ClockStatus = 'running';
    if (met !== undefined) status = Date.parse(met) <= Date.parse(dueAt) ? 'met' : 'breached';
    else if (now >= Date.parse(dueAt)) status = 'breached';
    out[name] = { ...base, status, dueAt, ...(met ? { metAt: met } : {}), withinMs: targets.withinMs[name] as number };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Warning and breach events.

export interface ClockEvent {
  /** `<incident>:<clock>:<severity>:<percent>`; the outbox's dedup key. */
  id: string;
  incidentId: string;
  clock: SlaClock;
  severity: IncidentSeverity;
  kind: 'warning' | 'breach';
  /** Fraction of the target, 1 for a breach. */
  threshold: number;
  /** When it fired: the threshold instant, or later if the clock only then became liable (reclassified, reopened). */
  at: string;
  dueAt: string;
}

/** The severities the incident has had and since when, from its timeline. */
function severitySegments(incident: Incident): Array<{ severity: IncidentSeverity; from: number; to: number }> {
  const marks: Array<{ severity: IncidentSeverity; at: number }> = [];
  for (const entry of incident.timeline) {
    if (entry.change.kind === 'opened') marks.push({ severity: entry.change.severity, at: Date.parse(incident.reportedAt) });
    if (entry.change.kind === 'severity') marks.push({ severity: entry.change.to, at: Date.parse(entry.at) });
  }
  return marks.map((m, i) => ({ severity: m.severity, from: m.at, to: marks[i + 1]?.at ?? Infinity }));
}

/**
 * Every warning and breach that fires in (from, to]. A threshold fires at the first instant at or after
 * it when the clock is unmet under the severity then in force; one that fell before a reclassification
 * fires at the reclassification. Each (clock, severity, threshold) fires at most once, so sweeping
 * adjacent windows, however far apart in wall time, yields every event exactly once.
 */
export function clockEvents(incident: Incident, policy: SlaPolicy, from: Date | string, to: Date | string): ClockEvent[] {
  const lo = new Date(from).getTime();
  const hi = new Date(to).getTime();
  const start = Date.parse(incident.reportedAt);
  const seen = new Set<string>();
  const out: ClockEvent[] = [];
  for (const segment of severitySegments(incident)) {
    const targets = policy.severities[segment.severity];
    for (const clock of SLA_CLOCKS) {
      const within = targets.withinMs[clock];
      if (within === undefined) continue;
      const unmet = unmetIntervals(incident, clock);
      const dueAt = new Date(addTime(start, within, targets)).toISOString();
      for (const threshold of [...policy.warnAt, 1]) {
        const id = `${incident.id}:${clock}:${segment.severity}:${Math.round(threshold * 100)}%`;
        if (seen.has(id)) continue;
        const instant = threshold === 1 ? Date.parse(dueAt) : addTime(start, Math.round(within * threshold), targets);
        const firesAt = firstUnmet(unmet, Math.max(instant, segment.from), segment.to);
        if (firesAt === undefined) continue;
        seen.add(id);
        if (firesAt <= lo || firesAt > hi) continue;
        out.push({
          id,
          incidentId: incident.id,
          clock,
          severity: segment.severity,
          kind: threshold === 1 ? 'breach' : 'warning',
          threshold,
          at: new Date(firesAt).toISOString(),
          dueAt,
        });
      }
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
}

function firstUnmet(unmet: Array<{ from: number; to: number }>, notBefore: number, before: number): number | undefined {
  for (const interval of unmet) {
    const t = Math.max(interval.from, notBefore);
    if (t < interval.to && t < before) return t;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Reclassification.

/**
 * The incident under a new severity: the clocks keep counting from the report (the promise is "within
 * N hours from report"), with the new severity's targets, and the timeline records the new due instants
 * and why. Callers check that the change is allowed (see transitions.ts).
 */
export function rebaseClocks(
  incident: Incident,
  severity: IncidentSeverity,
  ctx: { actor: string; reason: string; at: Date },
  policy: SlaPolicy,
): { incident: Incident; entry: TimelineEntry } {
  const entry: TimelineEntry = {
    at: ctx.at.toISOString(),
    actor: ctx.actor,
    reason: ctx.reason,
    change: { kind: 'severity', from: incident.severity, to: severity, due: dueInstants(incident.reportedAt, severity, policy) },
  };
  return { incident: { ...incident, severity, timeline: [...incident.timeline, entry] }, entry };
}
