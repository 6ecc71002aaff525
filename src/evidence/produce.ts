/**
 * Producing an evidence report end to end: verify the ledger over the period, build the report, render
 * it, and write the bundle. `vigil report` calls this; so can a scheduled report job.
 */
import type { ApplicabilityStatement } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import type { SlaPolicy } from '../incidents/sla.js';
import type { LedgerVerification } from '../store/ledger-types.js';
import type { Store } from '../store/types.js';
import { applicabilityProblems, type ConfigLocation } from './applicability.js';
import { checkBundleDirectory, writeBundle, type BundleManifest } from './bundle.js';
import type { Framework } from './framework.js';
import { verifyLedger } from './ledger.js';
import { toOscalAssessmentResults } from './oscal.js';
import type { TrustedKey } from './signing.js';
import { renderCsvReport } from './render-csv.js';
import { renderHtmlReport } from './render-html.js';
import { renderMarkdownReport } from './render-md.js';
import { buildReport, type ReportCheck, type ReportDrill } from './report.js';
import type { EvidenceReport, ReportPeriod } from './report-model.js';

/** `oscal`: NIST OSCAL assessment-results JSON, for other GRC tools. */
export const REPORT_FORMATS = ['html', 'md', 'json', 'csv', 'oscal'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The frameworks `vigil report` knows, by the name given on the command line. */
export const FRAMEWORK_NAMES: Record<string, string> = { iso27001: 'iso27001-2022', 'iso27001-2022': 'iso27001-2022' };

export interface ReportSources {
  framework: Framework;
  checks: readonly ReportCheck[];
  drills: readonly ReportDrill[];
  applicability: readonly ApplicabilityStatement[];
  policy: SlaPolicy;
  clock: Clock;
}

export interface ReportRequest {
  period: ReportPeriod;
  format: ReportFormat;
  /** Write the bundle here (a new or empty directory). */
  outDir?: string;
  /** Produce the report over a broken ledger, saying where it breaks. */
  allowBrokenLedger: boolean;
  /** Keys whose checkpoint signatures are accepted (as `vigil evidence verify` loads them); unchecked when absent. */
  publicKeys?: TrustedKey[];
  /** Vigil's version (package.json), recorded in the report and the manifest. */
  version: string;
  /** Who asked for the report. */
  actor: string;
}

export type ReportOutcome =
  | { kind: 'refused'; ledger: LedgerVerification }
  | { kind: 'produced'; report: EvidenceReport; fileName: string; text: string; manifest?: BundleManifest };

/** Checks the statement of applicability against the framework; throws every problem at once. */
export function checkApplicability(sources: Pick<ReportSources, 'applicability' | 'framework'>, where: ConfigLocation): void {
  const problems = applicabilityProblems(sources.applicability, sources.framework, where);
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Verifies the ledger entries appended in the period, and the link into the first of them. */
export async function verifyLedgerForPeriod(store: Store, period: ReportPeriod, publicKeys?: TrustedKey[]): Promise<LedgerVerification> {
  const range = await store.ledger.rangeOf(period);
  if (!range) return { from: 0, to: 0, entries: 0, ok: true, checkpoints: { checked: 0, signed: 0 } };
  return verifyLedger(store.ledger, range, publicKeys ? { publicKeys } : {});
}

/** The report in one format, as the text of one file. */
export async function renderReport(report: EvidenceReport, format: ReportFormat): Promise<string> {
  switch (format) {
    case 'md':
      return renderMarkdownReport(report);
    case 'csv':
      return renderCsvReport(report);
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'html':
      return renderHtmlReport(report);
    case 'oscal':
      return `${JSON.stringify(toOscalAssessmentResults(report), null, 2)}\n`;
  }
}

export async function produceReport(store: Store, sources: ReportSources, request: ReportRequest): Promise<ReportOutcome> {
  // Before the work: a year's report takes seconds, and the answer "that directory is not empty" does not.
  if (request.outDir) checkBundleDirectory(request.outDir);
  const ledger = await verifyLedgerForPeriod(store, request.period, request.publicKeys);
  if (!ledger.ok && !request.allowBrokenLedger) return { kind: 'refused', ledger };
  const report = await buildReport(store, {
    framework: sources.framework,
    checks: sources.checks,
    drills: sources.drills,
    period: request.period,
    applicability: sources.applicability,
    policy: sources.policy,
    clock: sources.clock,
    generatedBy: `vigil ${request.version} (${request.actor})`,
    ledger,
  });
  const fileName = request.format === 'oscal' ? 'report.oscal.json' : `report.${request.format}`;
  const text = await renderReport(report, request.format);
  if (!request.outDir) return { kind: 'produced', report, fileName, text };
  // The bundle always carries the report as data too, whatever format was asked for.
  const rendered: Record<string, string> = { [fileName]: text };
  if (request.format !== 'json') rendered['report.json'] = await renderReport(report, 'json');
  // And as OSCAL assessment results, so another GRC tool can import the same period.
  if (request.format !== 'oscal') rendered['report.oscal.json'] = await renderReport(report, 'oscal');
  const manifest = await writeBundle(store, request.outDir, { report, rendered, version: request.version });
  return { kind: 'produced', report, fileName, text, manifest };
}
