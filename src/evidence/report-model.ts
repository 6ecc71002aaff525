/**
 * The ISO/IEC 27001 evidence report as data: what `vigil report` computes from the store for a period,
 * and what every format (HTML, Markdown, JSON, CSV, OSCAL) renders. A control is never called effective
 * without evidence in the period.
 */
import type { IncidentSeverity, SlaClock } from '../incidents/types.js';

export const CONTROL_VERDICTS = ['effective', 'effective_with_exceptions', 'not_effective', 'not_evidenced', 'attested', 'not_applicable'] as const;
export type ControlVerdict = (typeof CONTROL_VERDICTS)[number];

export const VERDICT_LABELS: Record<ControlVerdict, string> = {
  effective: 'Effective',
  effective_with_exceptions: 'Effective with exceptions',
  not_effective: 'Not effective',
  not_evidenced: 'Not evidenced',
  attested: 'Attested',
  not_applicable: 'Not applicable',
};

export interface ReportPeriod {
  /** ISO instant, inclusive. */
  from: string;
  /** ISO instant, exclusive. */
  to: string;
}

export interface FailingResource {
  checkId: string;
  resource: string;
  name: string;
  accountId: string;
  region: string;
  message: string;
  lastSeenAt: string;
  /** The waiver that accepts it, when one covered it at the time. */
  waiverId?: string;
}

export interface CheckEvidence {
  checkId: string;
  title: string;
  severity: string;
  /** Check runs in the period that evaluated this check. */
  runs: number;
  evaluations: number;
  pass: number;
  fail: number;
  error: number;
  notApplicable: number;
  /** pass / (pass + fail); absent when nothing was judged. */
  passRate?: number;
  lastEvaluatedAt?: string;
  /** As of the check's last run in the period. */
  failing: FailingResource[];
}

export interface DrillEvidence {
  target: string;
  runs: number;
  succeeded: number;
  failed: number;
  aborted: number;
  lastAt?: string;
  lastStatus?: string;
  rtoTargetSeconds?: number;
  rpoTargetSeconds?: number;
  /** Of the successful drills. */
  rtoSeconds: { median?: number; max?: number };
  rpoSeconds: { median?: number; max?: number };
  /** Successful drills with RTO and RPO within their targets. */
  withinTargets: number;
  /** Every drill in the period, oldest first, for the RTO chart and the appendix. */
  history: Array<{ id: string; at: string; status: string; rtoSeconds?: number; rpoSeconds?: number; failure?: string }>;
}

export interface ClockTally {
  met: number;
  breached: number;
  /** Still running at the end of the period. */
  running: number;
  /** The severity promises nothing for this clock (Sev4). */
  notApplicable: number;
}

export interface SeverityAdherence {
  severity: IncidentSeverity;
  incidents: number;
  clocks: Record<SlaClock, ClockTally>;
  /** met / (met + breached) across the three clocks; absent when none was decided. */
  adherencePercent?: number;
}

export interface IncidentEvidence {
  opened: number;
  resolved: number;
  bySeverity: SeverityAdherence[];
  /** Incidents reported in the period, for the appendix. */
  list: Array<{ id: string; severity: IncidentSeverity; title: string; state: string; reportedAt: string; resolvedAt?: string; breaches: SlaClock[] }>;
}

export interface Attestation {
  id: string;
  control: string;
  owner: string;
  reason: string;
  /** The file attested, by name and SHA-256 (the file itself stays with its owner). */
  file?: { name: string; sha256: string; bytes: number };
  at: string;
  actor: string;
  /** An attestation covers the period when it was made before the period ends and has not expired by its start. */
  expiresAt?: string;
}

export interface Waiver {
  id: string;
  checkId: string;
  /** A resource ARN or id; `*` for every resource of the check. */
  resource: string;
  reason: string;
  until: string;
  at: string;
  actor: string;
  revokedAt?: string;
}

export interface ControlReport {
  id: string;
  title: string;
  theme: string;
  /** The evidence kinds the framework file lists for it. */
  evidenceKinds: string[];
  applicable: boolean;
  /** From the statement of applicability. */
  justification?: string;
  verdict: ControlVerdict;
  /** One sentence saying why, naming the evidence (or its absence). */
  verdictReason: string;
  checks: CheckEvidence[];
  drills: DrillEvidence[];
  /** Set for controls whose evidence includes incidents. */
  incidents?: IncidentEvidence;
  attestations: Attestation[];
  exceptions: Waiver[];
  guidance: string;
}

export interface EvidenceReport {
  framework: { id: string; name: string };
  period: ReportPeriod;
  generatedAt: string;
  generatedBy: string;
  ledger: {
    fromSeq?: number;
    toSeq?: number;
    headHash?: string;
    verified: boolean;
    /** Where the chain breaks, when the report was produced anyway. */
    break?: { seq: number; kind: string; message: string };
  };
  summary: {
    controls: number;
    byVerdict: Record<ControlVerdict, number>;
    checkRuns: number;
    checkEvaluations: number;
    drills: number;
    incidents: number;
    attestations: number;
    exceptions: number;
  };
  charts: {
    /** Per drill target, each drill's RTO against its target. */
    drillRto: Array<{ target: string; targetSeconds?: number; points: Array<{ at: string; rtoSeconds?: number; status: string }> }>;
    slaAdherence: Array<{ severity: IncidentSeverity; adherencePercent?: number; met: number; breached: number }>;
    /** Daily pass rate over all checks judged that day. */
    passRate: Array<{ day: string; passRate?: number; pass: number; fail: number }>;
  };
  controls: ControlReport[];
  /** Things the reader must know: "no evidence in this period", "the ledger breaks at 1234". */
  notices: string[];
}
