/**
 * The evidence report as CSV (RFC 4180): one row per control with its verdict and the evidence counts,
 * for a spreadsheet or a GRC tool's import. The bundle's raw-evidence CSVs use the same quoting.
 */
import { redactValue } from '../core/redact.js';
import { VERDICT_LABELS, type EvidenceReport } from './report-model.js';

/** A field quoted when it holds a comma, quote or line break. */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export const REPORT_CSV_COLUMNS = [
  'control',
  'title',
  'theme',
  'applicable',
  'justification',
  'verdict',
  'verdict_label',
  'verdict_reason',
  'evidence_kinds',
  'checks',
  'check_evaluations',
  'pass',
  'fail',
  'error',
  'not_applicable',
  'pass_rate',
  'failing_at_end',
  'failing_waived',
  'drills',
  'drills_succeeded',
  'drills_failed',
  'incidents',
  'sla_breaches',
  'attestations',
  'exceptions',
  'period_from',
  'period_to',
] as const;

export function renderCsvReport(input: EvidenceReport): string {
  const report = redactValue(input);
  let out = csvLine(REPORT_CSV_COLUMNS);
  for (const c of report.controls) {
    const sum = (pick: (k: (typeof c.checks)[number]) => number) => c.checks.reduce((n, k) => n + pick(k), 0);
    const pass = sum((k) => k.pass);
    const fail = sum((k) => k.fail);
    const failing = c.checks.flatMap((k) => k.failing);
    out += csvLine([
      c.id,
      c.title,
      c.theme,
      c.applicable,
      c.justification,
      c.verdict,
      VERDICT_LABELS[c.verdict],
      c.verdictReason,
      c.evidenceKinds.join(' '),
      c.checks.length,
      sum((k) => k.evaluations),
      pass,
      fail,
      sum((k) => k.error),
      sum((k) => k.notApplicable),
      pass + fail > 0 ? Math.round((pass / (pass + fail)) * 10_000) / 10_000 : undefined,
      failing.length,
      failing.filter((f) => f.waiverId !== undefined).length,
      c.drills.reduce((n, d) => n + d.runs, 0),
      c.drills.reduce((n, d) => n + d.succeeded, 0),
      c.drills.reduce((n, d) => n + d.failed, 0),
      c.incidents?.opened,
      c.incidents?.list.reduce((n, i) => n + i.breaches.length, 0),
      c.attestations.length,
      c.exceptions.length,
      report.period.from,
      report.period.to,
    ]);
  }
  return out;
}
