/**
 * Builds the ISO/IEC 27001 evidence report for a period from the store. The store counts (a year of
 * hourly checks is a million rows; only aggregates, the failing results at the period's end, drills,
 * incidents, attestations and waivers come back), this module assembles them per control, and
 * src/evidence/verdict.ts judges each control.
 */
import type { Clock } from '../core/clock.js';
import type { ApplicabilityStatement } from '../config/schema.js';
import { deadlines, type SlaPolicy } from '../incidents/sla.js';
import { INCIDENT_SEVERITIES, SLA_CLOCKS, type Incident, type IncidentSeverity, type IncidentState, type SlaClock } from '../incidents/types.js';
import type { CheckStats, StoredWaiver } from '../store/evidence-types.js';
import type { LedgerVerification } from '../store/ledger-types.js';
import type { CheckResultRecord, DrillRecord, Store } from '../store/types.js';
import { applicabilityOf } from './applicability.js';
import type { Framework } from './framework.js';
import {
  CONTROL_VERDICTS,
  type CheckEvidence,
  type ClockTally,
  type ControlReport,
  type ControlVerdict,
  type DrillEvidence,
  type EvidenceReport,
  type FailingResource,
  type IncidentEvidence,
  type ReportPeriod,
  type SeverityAdherence,
  type Waiver,
} from './report-model.js';
import { judgeControl } from './verdict.js';

/** What the report needs of a check definition. */
export interface ReportCheck {
  id: string;
  title: string;
  severity: string;
}

/** What the report needs of a drill definition: its targets (ms, as loaded) and the controls it evidences. */
export interface ReportDrill {
  id: string;
  targets: { rto: number; rpo: number };
  controls: string[];
}

export interface BuildReportOptions {
  framework: Pick<Framework, 'id' | 'name' | 'controls'>;
  checks: readonly ReportCheck[];
  drills: readonly ReportDrill[];
  period: ReportPeriod;
  applicability: readonly ApplicabilityStatement[];
  policy: SlaPolicy;
  clock: Clock;
  /** `vigil 0.1.0` and who ran it. */
  generatedBy: string;
  /** The ledger's verification over the period; absent when it was not verified. */
  ledger?: LedgerVerification;
}

export async function buildReport(store: Store, options: BuildReportOptions): Promise<EvidenceReport> {
  const { period } = options;
  const now = options.clock.now();
  const [stats, runCount, failingAtEnd, daily, drills, incidents, attestations, waivers] = await Promise.all([
    store.evidence.checkStats(period),
    store.evidence.checkRunCount(period),
    store.evidence.failingAtEnd(period),
    store.evidence.dailyCheckCounts(period),
    store.evidence.drillsIn(period),
    store.evidence.incidentsIn(period),
    store.evidence.listAttestations({ period }),
    store.evidence.listWaivers({ period }),
  ]);

  const checkEvidence = checkEvidenceById(options.checks, stats, failingAtEnd, waivers);
  const drillEvidence = drillEvidenceByTarget(options.drills, drills);
  // SLA clocks are read as they stood at the period's end (or now, for a period ending today).
  const asOf = new Date(Math.min(Date.parse(period.to), now.getTime()));
  const incidentEvidence = incidentEvidenceOf(incidents, options.policy, asOf);
  const soa = applicabilityOf(options.applicability);

  const controls = options.framework.controls.map((control): ControlReport => {
    const statement = soa.get(control.id);
    const checks = control.checks.map((id) => checkEvidence.get(id) ?? emptyCheckEvidence(id, options.checks));
    const targets = options.drills.filter((d) => d.controls.includes(control.id)).map((d) => d.id);
    const controlDrills = control.evidence.includes('drills') ? targets.map((t) => drillEvidence.get(t) as DrillEvidence) : [];
    const controlIncidents = control.evidence.includes('incidents') ? incidentEvidence : undefined;
    const controlAttestations = attestations.filter((a) => a.control === control.id);
    const exceptions: Waiver[] = waivers.filter((w) => control.checks.includes(w.checkId));
    const applicable = statement?.applicable ?? true;
    const judgement = judgeControl({
      applicable,
      ...(statement?.justification !== undefined ? { justification: statement.justification } : {}),
      checks,
      drills: controlDrills,
      ...(controlIncidents ? { incidents: controlIncidents } : {}),
      attestations: controlAttestations,
      expectsDrills: control.evidence.includes('drills'),
    });
    return {
      id: control.id,
      title: control.title,
      theme: control.theme,
      evidenceKinds: [...control.evidence],
      applicable,
      ...(statement?.justification !== undefined ? { justification: statement.justification } : {}),
      verdict: judgement.verdict,
      verdictReason: judgement.reason,
      checks,
      drills: controlDrills,
      ...(controlIncidents ? { incidents: controlIncidents } : {}),
      attestations: controlAttestations,
      exceptions,
      guidance: control.guidance,
    };
  });

  const byVerdict = Object.fromEntries(CONTROL_VERDICTS.map((v) => [v, 0])) as Record<ControlVerdict, number>;
  for (const c of controls) byVerdict[c.verdict] += 1;

  const empty = stats.length === 0 && drills.length === 0 && incidents.length === 0 && attestations.length === 0;
  return {
    framework: { id: options.framework.id, name: options.framework.name },
    period,
    generatedAt: now.toISOString(),
    generatedBy: options.generatedBy,
    ledger: ledgerSection(options.ledger),
    summary: {
      controls: controls.length,
      byVerdict,
      checkRuns: runCount,
      checkEvaluations: stats.reduce((n, s) => n + s.evaluations, 0),
      drills: drills.length,
      incidents: incidents.length,
      attestations: attestations.length,
      exceptions: waivers.length,
    },
    charts: {
      drillRto: [...drillEvidence.values()]
        .filter((d) => d.history.length > 0)
        .map((d) => ({
          target: d.target,
          ...(d.rtoTargetSeconds !== undefined ? { targetSeconds: d.rtoTargetSeconds } : {}),
          points: d.history.map((h) => ({ at: h.at, status: h.status, ...(h.rtoSeconds !== undefined ? { rtoSeconds: h.rtoSeconds } : {}) })),
        })),
      slaAdherence: incidentEvidence.bySeverity.map((s) => {
        const met = SLA_CLOCKS.reduce((n, c) => n + s.clocks[c].met, 0);
        const breached = SLA_CLOCKS.reduce((n, c) => n + s.clocks[c].breached, 0);
        return { severity: s.severity, met, breached, ...(s.adherencePercent !== undefined ? { adherencePercent: s.adherencePercent } : {}) };
      }),
      passRate: daily.map((d) => ({ day: d.day, pass: d.pass, fail: d.fail, ...(d.pass + d.fail > 0 ? { passRate: ratio(d.pass, d.pass + d.fail) } : {}) })),
    },
    controls,
    notices: notices(period, empty, options.ledger),
  };
}

function ratio(part: number, whole: number): number {
  return Math.round((part / whole) * 10_000) / 10_000;
}

function ledgerSection(ledger: LedgerVerification | undefined): EvidenceReport['ledger'] {
  if (!ledger) return { verified: false };
  return {
    ...(ledger.entries > 0 ? { fromSeq: ledger.from, toSeq: ledger.to } : {}),
    ...(ledger.headHash !== undefined ? { headHash: ledger.headHash } : {}),
    verified: ledger.ok,
    ...(ledger.break ? { break: { seq: ledger.break.seq, kind: ledger.break.kind, message: ledger.break.message } } : {}),
  };
}

function notices(period: ReportPeriod, empty: boolean, ledger: LedgerVerification | undefined): string[] {
  const out: string[] = [];
  if (empty) {
    out.push(`No evidence in this period: the store holds no check results, restore drills, incidents or attestations between ${period.from} and ${period.to}, so no control is shown effective.`);
  }
  if (ledger?.break) {
    out.push(`The evidence ledger breaks at entry ${ledger.break.seq} (${ledger.break.kind}): ${ledger.break.message.replace(/\.$/, '')}. This report was produced anyway; records from that entry on are not proven unaltered.`);
  } else if (!ledger) {
    out.push('The evidence ledger was not verified for this report.');
  } else if (ledger.entries === 0) {
    out.push('The evidence ledger holds no entries for this period, so no record in it is proven by the chain.');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Checks.

function waiverFor(result: CheckResultRecord, waivers: readonly StoredWaiver[]): StoredWaiver | undefined {
  const at = result.evaluatedAt;
  return waivers.find(
    (w) => w.checkId === result.checkId && (w.resource === '*' || w.resource === result.resource) && w.at <= at && at < w.until && (w.revokedAt === undefined || w.revokedAt > at),
  );
}

function checkEvidenceById(checks: readonly ReportCheck[], stats: CheckStats[], failingAtEnd: CheckResultRecord[], waivers: readonly StoredWaiver[]): Map<string, CheckEvidence> {
  const failingByCheck = new Map<string, FailingResource[]>();
  for (const r of failingAtEnd) {
    const waiver = waiverFor(r, waivers);
    const failing: FailingResource = {
      checkId: r.checkId,
      resource: r.resource,
      name: r.name,
      accountId: r.accountId,
      region: r.region,
      message: r.message,
      lastSeenAt: r.evaluatedAt,
      ...(waiver ? { waiverId: waiver.id } : {}),
    };
    failingByCheck.set(r.checkId, [...(failingByCheck.get(r.checkId) ?? []), failing]);
  }
  const out = new Map<string, CheckEvidence>();
  for (const s of stats) {
    const base = emptyCheckEvidence(s.checkId, checks);
    out.set(s.checkId, {
      ...base,
      runs: s.runs,
      evaluations: s.evaluations,
      pass: s.pass,
      fail: s.fail,
      error: s.error,
      notApplicable: s.notApplicable,
      ...(s.pass + s.fail > 0 ? { passRate: ratio(s.pass, s.pass + s.fail) } : {}),
      lastEvaluatedAt: s.lastEvaluatedAt,
      failing: failingByCheck.get(s.checkId) ?? [],
    });
  }
  return out;
}

function emptyCheckEvidence(id: string, checks: readonly ReportCheck[]): CheckEvidence {
  const def = checks.find((c) => c.id === id);
  return { checkId: id, title: def?.title ?? id, severity: def?.severity ?? 'unknown', runs: 0, evaluations: 0, pass: 0, fail: 0, error: 0, notApplicable: 0, failing: [] };
}

// ---------------------------------------------------------------------------------------------------
// Drills.

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function spread(values: number[]): { median?: number; max?: number } {
  if (values.length === 0) return {};
  return { median: median(values) as number, max: Math.max(...values) };
}

function drillEvidenceByTarget(definitions: readonly ReportDrill[], drills: DrillRecord[]): Map<string, DrillEvidence> {
  const byTarget = new Map<string, DrillRecord[]>();
  for (const d of definitions) byTarget.set(d.id, []);
  for (const d of drills) byTarget.set(d.target, [...(byTarget.get(d.target) ?? []), d]);
  const out = new Map<string, DrillEvidence>();
  for (const [target, records] of byTarget) {
    const def = definitions.find((d) => d.id === target);
    const last = records[records.length - 1];
    const rtoTarget = def ? def.targets.rto / 1000 : last?.measures['rtoTargetSeconds'];
    const rpoTarget = def ? def.targets.rpo / 1000 : last?.measures['rpoTargetSeconds'];
    const succeeded = records.filter((r) => r.status === 'succeeded');
    const rtos = succeeded.map((r) => r.measures['rtoSeconds']).filter((v): v is number => typeof v === 'number');
    const rpos = succeeded.map((r) => r.measures['rpoSeconds']).filter((v): v is number => typeof v === 'number');
    const within = (value: number | undefined, limit: number | undefined) => value === undefined || limit === undefined || value <= limit;
    out.set(target, {
      target,
      runs: records.length,
      succeeded: succeeded.length,
      failed: records.filter((r) => r.status === 'failed').length,
      aborted: records.filter((r) => r.status === 'aborted').length,
      ...(last ? { lastAt: last.startedAt, lastStatus: last.status } : {}),
      ...(rtoTarget !== undefined ? { rtoTargetSeconds: rtoTarget } : {}),
      ...(rpoTarget !== undefined ? { rpoTargetSeconds: rpoTarget } : {}),
      rtoSeconds: spread(rtos),
      rpoSeconds: spread(rpos),
      withinTargets: succeeded.filter((r) => within(r.measures['rtoSeconds'], rtoTarget) && within(r.measures['rpoSeconds'], rpoTarget)).length,
      history: records.map((r) => ({
        id: r.id,
        at: r.startedAt,
        status: r.status,
        ...(r.measures['rtoSeconds'] !== undefined ? { rtoSeconds: r.measures['rtoSeconds'] } : {}),
        ...(r.measures['rpoSeconds'] !== undefined ? { rpoSeconds: r.measures['rpoSeconds'] } : {}),
        ...(r.failure !== undefined ? { failure: r.failure } : {}),
      })),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Incidents.

/** The incident as it stood at `at`: its timeline up to then, and the state and severity that gives. */
export function incidentAsOf(incident: Incident, at: Date): Incident {
  const cut = at.toISOString();
  const timeline = incident.timeline.filter((e) => e.change.kind === 'opened' || e.at < cut);
  const opened = timeline.find((e) => e.change.kind === 'opened');
  if (!opened || opened.change.kind !== 'opened') return incident;
  let state: IncidentState = opened.change.state;
  let severity: IncidentSeverity = opened.change.severity;
  for (const e of timeline) {
    if (e.change.kind === 'state') state = e.change.to;
    if (e.change.kind === 'severity') severity = e.change.to;
  }
  return { ...incident, timeline, state, severity };
}

function emptyTally(): ClockTally {
  return { met: 0, breached: 0, running: 0, notApplicable: 0 };
}

export function incidentEvidenceOf(incidents: readonly Incident[], policy: SlaPolicy, asOf: Date): IncidentEvidence {
  const clock = { now: () => asOf };
  const bySeverity = new Map<IncidentSeverity, SeverityAdherence>(
    INCIDENT_SEVERITIES.map((severity) => [severity, { severity, incidents: 0, clocks: { workBegins: emptyTally(), temporary: emptyTally(), final: emptyTally() } }]),
  );
  const list: IncidentEvidence['list'] = [];
  for (const original of incidents) {
    const incident = incidentAsOf(original, asOf);
    const readings = deadlines(incident, policy, clock);
    const adherence = bySeverity.get(incident.severity) as SeverityAdherence;
    adherence.incidents += 1;
    const breaches: SlaClock[] = [];
    for (const name of SLA_CLOCKS) {
      const status = readings[name].status;
      const tally = adherence.clocks[name];
      if (status === 'met') tally.met += 1;
      else if (status === 'breached') {
        tally.breached += 1;
        breaches.push(name);
      } else if (status === 'running') tally.running += 1;
      else tally.notApplicable += 1;
    }
    const resolvedAt = incident.state === 'resolved' ? [...incident.timeline].reverse().find((e) => e.change.kind === 'state' && e.change.to === 'resolved')?.at : undefined;
    list.push({ id: incident.id, severity: incident.severity, title: incident.title, state: incident.state, reportedAt: incident.reportedAt, ...(resolvedAt ? { resolvedAt } : {}), breaches });
  }
  for (const adherence of bySeverity.values()) {
    const met = SLA_CLOCKS.reduce((n, c) => n + adherence.clocks[c].met, 0);
    const breached = SLA_CLOCKS.reduce((n, c) => n + adherence.clocks[c].breached, 0);
    if (met + breached > 0) adherence.adherencePercent = Math.round((met / (met + breached)) * 10_000) / 100;
  }
  return {
    opened: list.length,
    resolved: list.filter((i) => i.state === 'resolved').length,
    bySeverity: [...bySeverity.values()],
    list,
  };
}
