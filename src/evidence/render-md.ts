/**
 * The evidence report as Markdown, from reports/iso27001.md.hbs. The template gets a view of the report
 * with every figure already worded (durations, percentages, verdict labels), so it only lays them out.
 *
 * Handlebars escapes for HTML, which is wrong for Markdown; escaping is off and every free text (names,
 * messages, reasons) goes through the `md` helper, which keeps it from breaking a table row or opening
 * raw HTML in a Markdown viewer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { EnvironmentError } from '../core/errors.js';
import { PROJECT_ROOT } from '../core/paths.js';
import { redactValue } from '../core/redact.js';
import { SLA_CLOCKS } from '../incidents/types.js';
import { durationText } from '../service/web/format.js';
import { CONTROL_VERDICTS, VERDICT_LABELS, type DrillEvidence, type EvidenceReport } from './report-model.js';
import { VERDICT_RULES } from './verdict.js';

export const MARKDOWN_TEMPLATE = join(PROJECT_ROOT, 'reports', 'iso27001.md.hbs');

/** Text safe inside a Markdown table cell: one line, no pipe, no raw HTML. */
export function markdownText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return String(value)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function percent(fraction: number | undefined): string {
  return fraction === undefined ? '—' : `${(fraction * 100).toFixed(1)} %`;
}

function seconds(value: number | undefined): string {
  return value === undefined ? '—' : durationText(value * 1000);
}

function day(iso: string | undefined): string {
  return iso ? iso.slice(0, 10) : '—';
}

function drillRow(d: DrillEvidence): Record<string, string | number> {
  return {
    target: d.target,
    runs: d.runs,
    succeeded: d.succeeded,
    failed: d.failed,
    aborted: d.aborted,
    rtoMedian: seconds(d.rtoSeconds.median),
    rtoMax: seconds(d.rtoSeconds.max),
    rtoTarget: seconds(d.rtoTargetSeconds),
    rpoMedian: seconds(d.rpoSeconds.median),
    rpoMax: seconds(d.rpoSeconds.max),
    rpoTarget: seconds(d.rpoTargetSeconds),
    withinTargets: `${d.withinTargets} of ${d.succeeded}`,
    last: d.lastAt ? `${day(d.lastAt)} ${d.lastStatus ?? ''}`.trim() : 'none in the period',
  };
}

/** Pass rate per calendar month: a year of days is too long a table for a document people read. */
function monthlyPassRate(report: EvidenceReport): Array<{ month: string; pass: number; fail: number; rate: string }> {
  const months = new Map<string, { pass: number; fail: number }>();
  for (const point of report.charts.passRate) {
    const key = point.day.slice(0, 7);
    const m = months.get(key) ?? { pass: 0, fail: 0 };
    m.pass += point.pass;
    m.fail += point.fail;
    months.set(key, m);
  }
  return [...months].map(([month, m]) => ({ month, ...m, rate: percent(m.pass + m.fail > 0 ? m.pass / (m.pass + m.fail) : undefined) }));
}

/** Every figure of the report, worded for the template. */
export function markdownView(report: EvidenceReport): Record<string, unknown> {
  const drills = new Map<string, DrillEvidence>();
  for (const c of report.controls) for (const d of c.drills) drills.set(d.target, d);
  const incidents = report.controls.find((c) => c.incidents)?.incidents;
  return {
    report,
    verdicts: CONTROL_VERDICTS.map((v) => ({ label: VERDICT_LABELS[v], count: report.summary.byVerdict[v] })),
    rules: VERDICT_RULES,
    ledger: {
      ...report.ledger,
      range: report.ledger.fromSeq !== undefined ? `${report.ledger.fromSeq}–${report.ledger.toSeq}` : 'none',
      status: report.ledger.break ? `BROKEN at entry ${report.ledger.break.seq} (${report.ledger.break.kind})` : report.ledger.verified ? 'verified' : 'not verified',
    },
    drills: [...drills.values()].map(drillRow),
    sla: (incidents?.bySeverity ?? []).map((s) => ({
      severity: s.severity,
      incidents: s.incidents,
      clocks: SLA_CLOCKS.map((c) => `${s.clocks[c].met} / ${s.clocks[c].breached} / ${s.clocks[c].running}`),
      adherence: s.adherencePercent === undefined ? '—' : `${s.adherencePercent.toFixed(1)} %`,
    })),
    incidents: incidents?.list ?? [],
    passRate: monthlyPassRate(report),
    controls: report.controls.map((c) => ({
      ...c,
      verdictLabel: VERDICT_LABELS[c.verdict],
      applicability: c.applicable ? 'applies' : `not applicable: ${c.justification ?? ''}`,
      evidence: c.evidenceKinds.join(', '),
      checkRows: c.checks.map((k) => ({ ...k, rate: percent(k.passRate), last: day(k.lastEvaluatedAt) })),
      failing: c.checks.flatMap((k) => k.failing),
      drillRows: c.drills.map(drillRow),
      incidentLine: c.incidents
        ? `${c.incidents.opened} reported in the period, ${c.incidents.resolved} resolved by its end; SLA breaches: ${c.incidents.list.filter((i) => i.breaches.length > 0).length}`
        : undefined,
    })),
  };
}

let compiled: HandlebarsTemplateDelegate | undefined;

function template(): HandlebarsTemplateDelegate {
  if (compiled) return compiled;
  let source: string;
  try {
    source = readFileSync(MARKDOWN_TEMPLATE, 'utf8');
  } catch (err) {
    throw new EnvironmentError(`cannot read the report template ${MARKDOWN_TEMPLATE} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const hb = Handlebars.create();
  hb.registerHelper('md', (value: unknown) => markdownText(value));
  hb.registerHelper('day', (value: string | undefined) => day(value));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  // Not strict: the model's optional fields (a justification, a last drill) are absent rather than null,
  // and `{{#if}}` over them must read as false. The tests render a report with every section filled.
  compiled = hb.compile(source, { noEscape: true });
  return compiled;
}

export function renderMarkdownReport(report: EvidenceReport): string {
  // Secrets registered with the redactor never reach the document, even inside a check's message.
  return template()(markdownView(redactValue(report)));
}
