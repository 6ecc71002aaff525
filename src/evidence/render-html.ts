/**
 * The evidence report as one self-contained, printable HTML file: cover, notices, summary with charts,
 * the table of every control, then a page per control with its evidence. Renders an `EvidenceReport`
 * and nothing else; it never queries the store.
 *
 * The templates are handlebars files in reports/ (found through PROJECT_ROOT, so the same path works
 * from src/ and dist/), compiled in strict mode: a field the view lacks is an error, never an empty
 * cell in an audit report. Every value is escaped by handlebars; no template uses a triple-stash. The
 * only unescaped insertions are our own stylesheet and the charts, which charts.ts escapes itself.
 * The file needs no JavaScript and no external asset, and its Content-Security-Policy says so.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { EnvironmentError } from '../core/errors.js';
import { PROJECT_ROOT } from '../core/paths.js';
import { redactValue } from '../core/redact.js';
import { CLOCK_LABELS } from '../adapters/channels/render.js';
import { SLA_CLOCKS, type SlaClock } from '../incidents/types.js';
import { durationText, utcText } from '../service/web/format.js';
import { drillRtoChart, passRateChart, percentText, slaAdherenceChart } from './charts.js';
import {
  CONTROL_VERDICTS,
  VERDICT_LABELS,
  type CheckEvidence,
  type ClockTally,
  type ControlReport,
  type ControlVerdict,
  type DrillEvidence,
  type EvidenceReport,
  type IncidentEvidence,
} from './report-model.js';

export const REPORTS_DIR = join(PROJECT_ROOT, 'reports');
const TEMPLATE = 'iso27001.html.hbs';
const STYLES = 'html/report.css';
const PARTIALS = { control: 'html/control.hbs' } as const;

const THEME_LABELS: Record<string, string> = { organizational: 'Organizational', people: 'People', physical: 'Physical', technological: 'Technological' };

export interface CheckRow {
  checkId: string;
  title: string;
  severity: string;
  runs: number;
  evaluations: number;
  pass: number;
  fail: number;
  error: number;
  notApplicable: number;
  passRateText: string;
  lastEvaluatedText: string;
}

export interface FailingRow {
  checkId: string;
  name: string;
  resource: string;
  accountId: string;
  region: string;
  message: string;
  lastSeenAt: string;
  lastSeenText: string;
  waiverText: string;
  waived: boolean;
}

export interface MeasureView {
  medianText: string;
  maxText: string;
  targetText: string;
  /** The longest successful drill was over the target. */
  over: boolean;
}

export interface DrillRow {
  target: string;
  runs: number;
  succeeded: number;
  failed: number;
  aborted: number;
  rto: MeasureView;
  rpo: MeasureView;
  withinTargetsText: string;
  lastText: string;
  history: Array<{ id: string; atText: string; status: string; failedRun: boolean; rtoText: string; rpoText: string; failure: string }>;
}

export interface IncidentsView {
  opened: number;
  resolved: number;
  severities: Array<{ severity: string; label: string; incidents: number; clocks: Array<{ clock: string; text: string }>; adherenceText: string }>;
  list: Array<{ id: string; severity: string; title: string; state: string; reportedText: string; resolvedText: string; breachesText: string; breached: boolean }>;
}

export interface ControlView {
  id: string;
  anchor: string;
  title: string;
  themeLabel: string;
  verdict: ControlVerdict;
  verdictLabel: string;
  verdictReason: string;
  applicable: boolean;
  applicabilityText: string;
  justification: string | null;
  evidenceKindsText: string;
  guidance: string;
  showChecks: boolean;
  checks: CheckRow[];
  failing: FailingRow[];
  showDrills: boolean;
  drills: DrillRow[];
  showIncidents: boolean;
  incidents: IncidentsView | null;
  showAttestations: boolean;
  attestations: Array<{ id: string; owner: string; reason: string; file: { name: string; sha256: string; bytesText: string } | null; atText: string; actor: string; expiresText: string }>;
  exceptions: Array<{ id: string; checkId: string; resource: string; reason: string; untilText: string; atText: string; actor: string; revokedText: string | null }>;
}

export interface ReportHtmlView {
  documentTitle: string;
  frameworkName: string;
  frameworkId: string;
  period: { from: string; to: string; fromText: string; toText: string; days: string };
  generatedAt: string;
  generatedAtText: string;
  generatedBy: string;
  ledger: { rangeText: string; headHash: string | null; verified: boolean; statusText: string; breakText: string | null };
  notices: string[];
  verdictCounts: Array<{ verdict: ControlVerdict; label: string; count: number }>;
  evidenceCounts: Array<{ label: string; count: number }>;
  controlCount: number;
  charts: { drillRto: string; slaAdherence: string; passRate: string };
  controls: ControlView[];
}

function timeText(iso: string | undefined): string {
  return iso === undefined ? '–' : utcText(iso);
}

function secondsText(seconds: number | undefined): string {
  return seconds === undefined || !Number.isFinite(seconds) ? '–' : durationText(seconds * 1000);
}

/** `control-a-8-13`: an id that needs no escaping in a URL fragment or a CSS selector. */
export function controlAnchor(id: string): string {
  return `control-${id.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function checkRow(check: CheckEvidence): CheckRow {
  const judged = check.pass + check.fail;
  return {
    checkId: check.checkId,
    title: check.title,
    severity: check.severity,
    runs: check.runs,
    evaluations: check.evaluations,
    pass: check.pass,
    fail: check.fail,
    error: check.error,
    notApplicable: check.notApplicable,
    passRateText: judged > 0 ? percentText(check.pass / judged) : '–',
    lastEvaluatedText: timeText(check.lastEvaluatedAt),
  };
}

function failingRows(checks: CheckEvidence[]): FailingRow[] {
  return checks.flatMap((check) =>
    check.failing.map((f) => ({
      checkId: f.checkId,
      name: f.name,
      resource: f.resource,
      accountId: f.accountId,
      region: f.region,
      message: f.message,
      lastSeenAt: f.lastSeenAt,
      lastSeenText: utcText(f.lastSeenAt),
      waiverText: f.waiverId === undefined ? 'not waived' : `waived by ${f.waiverId}`,
      waived: f.waiverId !== undefined,
    })),
  );
}

function measure(values: { median?: number; max?: number }, targetSeconds: number | undefined): MeasureView {
  return {
    medianText: secondsText(values.median),
    maxText: secondsText(values.max),
    targetText: targetSeconds === undefined ? 'no target' : secondsText(targetSeconds),
    over: targetSeconds !== undefined && values.max !== undefined && values.max > targetSeconds,
  };
}

function drillRow(drill: DrillEvidence): DrillRow {
  return {
    target: drill.target,
    runs: drill.runs,
    succeeded: drill.succeeded,
    failed: drill.failed,
    aborted: drill.aborted,
    rto: measure(drill.rtoSeconds, drill.rtoTargetSeconds),
    rpo: measure(drill.rpoSeconds, drill.rpoTargetSeconds),
    withinTargetsText: `${drill.withinTargets} of ${plural(drill.succeeded, 'successful drill')}`,
    lastText: drill.lastAt === undefined ? 'none in the period' : `${utcText(drill.lastAt)}, ${drill.lastStatus ?? 'unknown'}`,
    history: drill.history.map((h) => ({
      id: h.id,
      atText: utcText(h.at),
      status: h.status,
      failedRun: h.status !== 'succeeded',
      rtoText: secondsText(h.rtoSeconds),
      rpoText: secondsText(h.rpoSeconds),
      failure: h.failure ?? '',
    })),
  };
}

function tallyText(tally: ClockTally): string {
  if (tally.met + tally.breached + tally.running === 0 && tally.notApplicable > 0) return 'no promise';
  const parts = [`${tally.met} met`, `${tally.breached} breached`];
  if (tally.running > 0) parts.push(`${tally.running} running`);
  return parts.join(', ');
}

/** Met over decided, from the tallies themselves, so the text always agrees with the counts beside it. */
function adherenceText(clocks: Record<SlaClock, ClockTally>): string {
  const met = SLA_CLOCKS.reduce((sum, c) => sum + clocks[c].met, 0);
  const decided = met + SLA_CLOCKS.reduce((sum, c) => sum + clocks[c].breached, 0);
  return decided === 0 ? '–' : percentText(met / decided);
}

function incidentsView(incidents: IncidentEvidence): IncidentsView {
  return {
    opened: incidents.opened,
    resolved: incidents.resolved,
    severities: incidents.bySeverity.map((s) => ({
      severity: s.severity,
      label: s.severity.replace(/^sev/, 'Sev'),
      incidents: s.incidents,
      clocks: SLA_CLOCKS.map((clock) => ({ clock: CLOCK_LABELS[clock], text: tallyText(s.clocks[clock]) })),
      adherenceText: adherenceText(s.clocks),
    })),
    list: incidents.list.map((i) => ({
      id: i.id,
      severity: i.severity.replace(/^sev/, 'Sev'),
      title: i.title,
      state: i.state,
      reportedText: utcText(i.reportedAt),
      resolvedText: timeText(i.resolvedAt),
      breachesText: i.breaches.length === 0 ? 'none' : i.breaches.map((c) => CLOCK_LABELS[c]).join(', '),
      breached: i.breaches.length > 0,
    })),
  };
}

function controlView(control: ControlReport): ControlView {
  const kinds = new Set(control.evidenceKinds);
  return {
    id: control.id,
    anchor: controlAnchor(control.id),
    title: control.title,
    themeLabel: THEME_LABELS[control.theme] ?? control.theme,
    verdict: control.verdict,
    verdictLabel: VERDICT_LABELS[control.verdict],
    verdictReason: control.verdictReason,
    applicable: control.applicable,
    applicabilityText: control.applicable ? 'Applicable' : 'Not applicable',
    justification: control.justification ?? null,
    evidenceKindsText: control.evidenceKinds.join(', '),
    guidance: control.guidance,
    showChecks: kinds.has('checks') || control.checks.length > 0,
    checks: control.checks.map(checkRow),
    failing: failingRows(control.checks),
    showDrills: kinds.has('drills') || control.drills.length > 0,
    drills: control.drills.map(drillRow),
    showIncidents: kinds.has('incidents') || control.incidents !== undefined,
    incidents: control.incidents === undefined ? null : incidentsView(control.incidents),
    showAttestations: kinds.has('attestation') || control.attestations.length > 0,
    attestations: control.attestations.map((a) => ({
      id: a.id,
      owner: a.owner,
      reason: a.reason,
      file: a.file === undefined ? null : { name: a.file.name, sha256: a.file.sha256, bytesText: `${a.file.bytes.toLocaleString('en-US')} bytes` },
      atText: utcText(a.at),
      actor: a.actor,
      expiresText: a.expiresAt === undefined ? 'does not expire' : utcText(a.expiresAt),
    })),
    exceptions: control.exceptions.map((w) => ({
      id: w.id,
      checkId: w.checkId,
      resource: w.resource === '*' ? 'every resource' : w.resource,
      reason: w.reason,
      untilText: utcText(w.until),
      atText: utcText(w.at),
      actor: w.actor,
      revokedText: w.revokedAt === undefined ? null : utcText(w.revokedAt),
    })),
  };
}

function ledgerView(ledger: EvidenceReport['ledger']): ReportHtmlView['ledger'] {
  const rangeText = ledger.fromSeq === undefined || ledger.toSeq === undefined ? 'no ledger entries' : `entries ${ledger.fromSeq} to ${ledger.toSeq}`;
  const breakText = ledger.break ? `The chain breaks at entry ${ledger.break.seq} (${ledger.break.kind}): ${ledger.break.message}` : null;
  return {
    rangeText,
    headHash: ledger.headHash ?? null,
    verified: ledger.verified,
    statusText: !ledger.verified
      ? 'NOT verified: the ledger does not match its hash chain.'
      : ledger.toSeq === undefined
        ? 'Nothing to verify: the period has no ledger entries.'
        : 'Verified: every entry in the range matches its hash chain.',
    breakText,
  };
}

/** The template's data: every field present (strict mode), times and durations already in words. */
export function buildHtmlView(report: EvidenceReport): ReportHtmlView {
  const fromDay = report.period.from.slice(0, 10);
  const lastDay = new Date(Date.parse(report.period.to) - 1).toISOString().slice(0, 10);
  const days = Math.max(0, Math.round((Date.parse(report.period.to) - Date.parse(report.period.from)) / 86_400_000));
  return {
    documentTitle: `${report.framework.name}: evidence report, ${fromDay} to ${lastDay}`,
    frameworkName: report.framework.name,
    frameworkId: report.framework.id,
    period: { from: report.period.from, to: report.period.to, fromText: utcText(report.period.from), toText: utcText(report.period.to), days: plural(days, 'day') },
    generatedAt: report.generatedAt,
    generatedAtText: utcText(report.generatedAt),
    generatedBy: report.generatedBy,
    ledger: ledgerView(report.ledger),
    notices: report.notices,
    verdictCounts: CONTROL_VERDICTS.map((verdict) => ({ verdict, label: VERDICT_LABELS[verdict], count: report.summary.byVerdict[verdict] ?? 0 })),
    evidenceCounts: [
      { label: 'check runs', count: report.summary.checkRuns },
      { label: 'check evaluations', count: report.summary.checkEvaluations },
      { label: 'restore drills', count: report.summary.drills },
      { label: 'incidents', count: report.summary.incidents },
      { label: 'attestations', count: report.summary.attestations },
      { label: 'exceptions', count: report.summary.exceptions },
    ],
    controlCount: report.controls.length,
    charts: {
      drillRto: drillRtoChart(report.charts.drillRto, report.period, { idPrefix: 'chart-drill-rto' }),
      slaAdherence: slaAdherenceChart(report.charts.slaAdherence, { idPrefix: 'chart-sla' }),
      passRate: passRateChart(report.charts.passRate, report.period, { idPrefix: 'chart-pass-rate' }),
    },
    controls: report.controls.map(controlView),
  };
}

function readTemplate(dir: string, file: string): string {
  const path = join(dir, file);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new EnvironmentError(`cannot read the report template ${path} (${code}); the templates ship in reports/ next to dist/`);
  }
}

export interface HtmlReportRenderer {
  render(report: EvidenceReport): string;
}

/** Reads and parses every template now, so a broken one fails before any evidence is gathered. */
export function createHtmlReportRenderer(dir: string = REPORTS_DIR): HtmlReportRenderer {
  const hb = Handlebars.create();
  const css = readTemplate(dir, STYLES).trim();
  // The file is opened from disk, where no server sends headers: the policy travels in a meta tag.
  const csp = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(css).digest('base64')}'; base-uri 'none'; form-action 'none'`;
  hb.registerHelper('inlineStyles', () => new hb.SafeString(css));
  const compile = (file: string) => {
    const source = readTemplate(dir, file);
    try {
      // compile() defers parsing to the first render; parse now so a syntax error names its file.
      hb.parse(source);
    } catch (err) {
      throw new EnvironmentError(`the report template ${join(dir, file)} does not parse: ${(err as Error).message}`);
    }
    return hb.compile(source, { strict: true });
  };
  for (const [name, file] of Object.entries(PARTIALS)) hb.registerPartial(name, compile(file));
  const page = compile(TEMPLATE);

  return {
    render(report) {
      // Secrets registered with the redactor are masked before anything is escaped into markup or drawn.
      const view = buildHtmlView(redactValue(report));
      const charts = {
        drillRto: new hb.SafeString(view.charts.drillRto),
        slaAdherence: new hb.SafeString(view.charts.slaAdherence),
        passRate: new hb.SafeString(view.charts.passRate),
      };
      return page({ ...view, charts, contentSecurityPolicy: csp });
    },
  };
}

let shared: HtmlReportRenderer | undefined;

/** The evidence report as one self-contained HTML file, from the shipped templates in reports/. */
export function renderHtmlReport(report: EvidenceReport): string {
  return (shared ??= createHtmlReportRenderer()).render(report);
}
