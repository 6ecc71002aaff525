/**
 * Evidence reports built by hand for the renderers (HTML, charts, OSCAL): the renderers take an
 * `EvidenceReport` and never query the store, so their tests need none. The controls come from the
 * shipped framework file (all 93, real titles and evidence kinds); the evidence is a month of a
 * platform like the demo's:
 *
 * - A.8.13 is not effective: rds-snapshot-daily fails on reporting-prod, and one of its drills failed;
 *   drills of four targets, one with an outlier RTO, one with a single drill, one without a target.
 * - A.8.5 and A.5.25 are effective with exceptions (waived failing resources, one with markup in its
 *   name to prove escaping).
 * - Incidents of every severity with met, breached and running clocks evidence A.5.24-A.5.26, A.8.16.
 * - A.5.1-A.5.3 are attested with files; A.7.1-A.7.4 are not applicable; the other attestation-only
 *   controls are not evidenced; every other control with checks is effective.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../src/core/paths.js';
import { loadFramework } from '../../src/evidence/framework.js';
import {
  CONTROL_VERDICTS,
  type Attestation,
  type CheckEvidence,
  type ControlReport,
  type ControlVerdict,
  type DrillEvidence,
  type EvidenceReport,
  type IncidentEvidence,
  type Waiver,
} from '../../src/evidence/report-model.js';

export const PERIOD = { from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' };
export const GENERATED_AT = '2026-04-01T06:00:00.000Z';
export const HEAD_HASH = '9f2c4e1a7b3d5f6071829a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8';
export const FAILING_RESOURCE = 'arn:aws:rds:us-east-1:222222222222:db:reporting-prod';
export const MARKUP_NAME = 'reports<script>alert("x")</script> & co';
export const NOT_APPLICABLE = ['A.7.1', 'A.7.2', 'A.7.3', 'A.7.4'];
export const ATTESTED = ['A.5.1', 'A.5.2', 'A.5.3'];
export const INCIDENT_CONTROLS = ['A.5.24', 'A.5.25', 'A.5.26', 'A.8.16'];

const framework = loadFramework(PROJECT_ROOT);

function checkMeta(id: string): { title: string; severity: string } {
  const doc = parse(readFileSync(join(PROJECT_ROOT, 'checks', `${id}.yaml`), 'utf8')) as { title: string; severity: string };
  return { title: doc.title, severity: doc.severity };
}

/** A month of daily runs of one check over `resources` resources, all passing unless told otherwise. */
function checkEvidence(id: string, resources = 4, failing: CheckEvidence['failing'] = []): CheckEvidence {
  const runs = 31;
  const fail = failing.length * 6;
  const pass = runs * resources - fail;
  return { checkId: id, ...checkMeta(id), runs, evaluations: runs * resources, pass, fail, error: 0, notApplicable: 0, passRate: pass / (pass + fail), lastEvaluatedAt: '2026-03-31T23:00:00.000Z', failing };
}

function emptyCheck(id: string): CheckEvidence {
  return { checkId: id, ...checkMeta(id), runs: 0, evaluations: 0, pass: 0, fail: 0, error: 0, notApplicable: 0, failing: [] };
}

const WAIVERS: Waiver[] = [
  { id: 'W-1', checkId: 'iam-access-key-rotation', resource: 'arn:aws:iam::222222222222:user/ci-deployer', reason: 'Key used by the legacy CI; replaced by OIDC in April.', until: '2026-04-30T00:00:00.000Z', at: '2026-02-20T10:00:00.000Z', actor: 'maria' },
  { id: 'W-2', checkId: 'guardduty-medium-findings-age', resource: '*', reason: 'Findings triaged weekly during the SIEM migration.', until: '2026-03-31T00:00:00.000Z', at: '2026-03-02T09:00:00.000Z', actor: 'sam', revokedAt: '2026-03-20T09:00:00.000Z' },
];

const DRILLS: DrillEvidence[] = [
  {
    target: 'reporting-prod',
    runs: 5,
    succeeded: 4,
    failed: 1,
    aborted: 0,
    lastAt: '2026-03-29T04:00:00.000Z',
    lastStatus: 'succeeded',
    rtoTargetSeconds: 3600,
    rpoTargetSeconds: 86_400,
    rtoSeconds: { median: 2880, max: 34_200 },
    rpoSeconds: { median: 43_200, max: 64_800 },
    withinTargets: 3,
    history: [
      { id: 'drill-101', at: '2026-03-01T04:00:00.000Z', status: 'succeeded', rtoSeconds: 2700, rpoSeconds: 43_200 },
      { id: 'drill-102', at: '2026-03-08T04:00:00.000Z', status: 'failed', failure: 'verification query returned 0 rows from enrollments' },
      { id: 'drill-103', at: '2026-03-15T04:00:00.000Z', status: 'succeeded', rtoSeconds: 34_200, rpoSeconds: 64_800 },
      { id: 'drill-104', at: '2026-03-22T04:00:00.000Z', status: 'succeeded', rtoSeconds: 3060, rpoSeconds: 40_000 },
      { id: 'drill-105', at: '2026-03-29T04:00:00.000Z', status: 'succeeded', rtoSeconds: 2880, rpoSeconds: 50_000 },
    ],
  },
  {
    target: 'lms-prod',
    runs: 4,
    succeeded: 4,
    failed: 0,
    aborted: 0,
    lastAt: '2026-03-26T04:00:00.000Z',
    lastStatus: 'succeeded',
    rtoTargetSeconds: 1800,
    rpoTargetSeconds: 86_400,
    rtoSeconds: { median: 1200, max: 1500 },
    rpoSeconds: { median: 30_000, max: 40_000 },
    withinTargets: 4,
    history: [
      { id: 'drill-201', at: '2026-03-05T04:00:00.000Z', status: 'succeeded', rtoSeconds: 1100, rpoSeconds: 30_000 },
      { id: 'drill-202', at: '2026-03-12T04:00:00.000Z', status: 'succeeded', rtoSeconds: 1300, rpoSeconds: 31_000 },
      { id: 'drill-203', at: '2026-03-19T04:00:00.000Z', status: 'succeeded', rtoSeconds: 1500, rpoSeconds: 40_000 },
      { id: 'drill-204', at: '2026-03-26T04:00:00.000Z', status: 'succeeded', rtoSeconds: 1200, rpoSeconds: 29_000 },
    ],
  },
  {
    target: 'analytics-prod',
    runs: 1,
    succeeded: 1,
    failed: 0,
    aborted: 0,
    lastAt: '2026-03-17T04:00:00.000Z',
    lastStatus: 'succeeded',
    rtoTargetSeconds: 7200,
    rtoSeconds: { median: 4000, max: 4000 },
    rpoSeconds: { median: 20_000, max: 20_000 },
    withinTargets: 1,
    history: [{ id: 'drill-301', at: '2026-03-17T04:00:00.000Z', status: 'succeeded', rtoSeconds: 4000, rpoSeconds: 20_000 }],
  },
  {
    target: 'course-content',
    runs: 2,
    succeeded: 1,
    failed: 0,
    aborted: 1,
    lastAt: '2026-03-24T04:00:00.000Z',
    lastStatus: 'aborted',
    rtoSeconds: { median: 600, max: 600 },
    rpoSeconds: { median: 3600, max: 3600 },
    withinTargets: 1,
    history: [
      { id: 'drill-401', at: '2026-03-10T04:00:00.000Z', status: 'succeeded', rtoSeconds: 600, rpoSeconds: 3600 },
      { id: 'drill-402', at: '2026-03-24T04:00:00.000Z', status: 'aborted', failure: 'the service stopped during the restore' },
    ],
  },
];

const tally = (met: number, breached: number, running = 0, notApplicable = 0) => ({ met, breached, running, notApplicable });

const INCIDENTS: IncidentEvidence = {
  opened: 6,
  resolved: 5,
  bySeverity: [
    { severity: 'sev1', incidents: 1, clocks: { workBegins: tally(1, 0), temporary: tally(1, 0), final: tally(0, 1) }, adherencePercent: 66.67 },
    { severity: 'sev2', incidents: 2, clocks: { workBegins: tally(2, 0), temporary: tally(1, 0, 1), final: tally(1, 0, 1) }, adherencePercent: 100 },
    { severity: 'sev3', incidents: 2, clocks: { workBegins: tally(1, 1), temporary: tally(2, 0), final: tally(2, 0) }, adherencePercent: 83.33 },
    { severity: 'sev4', incidents: 1, clocks: { workBegins: tally(0, 0, 0, 1), temporary: tally(0, 0, 0, 1), final: tally(0, 0, 0, 1) } },
  ],
  list: [
    { id: 'INC-7', severity: 'sev1', title: 'SCORM Cloud API unavailable', state: 'resolved', reportedAt: '2026-03-03T09:12:00.000Z', resolvedAt: '2026-03-03T17:40:00.000Z', breaches: ['final'] },
    { id: 'INC-8', severity: 'sev2', title: 'Course uploads slow', state: 'resolved', reportedAt: '2026-03-09T14:00:00.000Z', resolvedAt: '2026-03-10T08:00:00.000Z', breaches: [] },
    { id: 'INC-9', severity: 'sev3', title: 'Report exports delayed', state: 'resolved', reportedAt: '2026-03-13T16:00:00.000Z', resolvedAt: '2026-03-16T10:00:00.000Z', breaches: ['workBegins'] },
    { id: 'INC-10', severity: 'sev2', title: 'Login errors for SSO tenants', state: 'monitoring', reportedAt: '2026-03-30T20:00:00.000Z', breaches: [] },
    { id: 'INC-11', severity: 'sev3', title: 'Webhook retries backlog', state: 'resolved', reportedAt: '2026-03-21T11:00:00.000Z', resolvedAt: '2026-03-22T11:00:00.000Z', breaches: [] },
    { id: 'INC-12', severity: 'sev4', title: 'Typo on the status page', state: 'resolved', reportedAt: '2026-03-25T08:00:00.000Z', resolvedAt: '2026-03-25T09:00:00.000Z', breaches: [] },
  ],
};

function attestation(control: string, n: number): Attestation {
  return {
    id: `ATT-${n}`,
    control,
    owner: n === 1 ? 'Dana Okafor (CISO)' : 'Security team',
    reason: `Annual review of the ${control} documents approved by management.`,
    file: { name: `${control} policy set 2026.pdf`, sha256: `${String(n).repeat(8)}${'ab'.repeat(28)}`, bytes: 184_320 + n },
    at: '2026-02-15T10:00:00.000Z',
    actor: 'dana',
    expiresAt: '2027-02-15T00:00:00.000Z',
  };
}

function control(c: (typeof framework.controls)[number], verdict: ControlVerdict, verdictReason: string, evidence: Partial<ControlReport> = {}): ControlReport {
  return {
    id: c.id,
    title: c.title,
    theme: c.theme,
    evidenceKinds: c.evidence,
    applicable: verdict !== 'not_applicable',
    verdict,
    verdictReason,
    checks: [],
    drills: [],
    attestations: [],
    exceptions: [],
    guidance: c.guidance.trim(),
    ...evidence,
  };
}

function fullControl(c: (typeof framework.controls)[number], n: number): ControlReport {
  if (NOT_APPLICABLE.includes(c.id)) {
    return control(c, 'not_applicable', 'Not applicable by the statement of applicability.', { justification: 'No own premises: the platform runs in AWS data centres, covered by AWS\'s ISO/IEC 27001 certificate.' });
  }
  if (ATTESTED.includes(c.id)) return control(c, 'attested', `Attested by ${attestation(c.id, n).owner} on 2026-02-15; no automated evidence applies.`, { attestations: [attestation(c.id, n)] });
  if (c.id === 'A.8.13') {
    const failing = [{ checkId: 'rds-snapshot-daily', resource: FAILING_RESOURCE, name: 'reporting-prod', accountId: '222222222222', region: 'us-east-1', message: 'reporting-prod has no snapshot on 2026-03-27.', lastSeenAt: '2026-03-31T23:00:00.000Z' }];
    const checks = c.checks.map((id) => (id === 'rds-snapshot-daily' ? checkEvidence(id, 4, failing) : checkEvidence(id)));
    return control(c, 'not_effective', 'rds-snapshot-daily fails on reporting-prod without a waiver, and 1 of 12 restore drills failed.', { checks, drills: DRILLS });
  }
  const incidents = INCIDENT_CONTROLS.includes(c.id) ? { incidents: INCIDENTS } : {};
  if (c.id === 'A.8.5' || c.id === 'A.5.25') {
    const checks = c.checks.map((id) => {
      if (id === 'iam-access-key-rotation') return checkEvidence(id, 6, [{ checkId: id, resource: 'arn:aws:iam::222222222222:user/ci-deployer', name: 'ci-deployer', accountId: '222222222222', region: 'us-east-1', message: 'ci-deployer has an access key 212 days old.', lastSeenAt: '2026-03-31T23:00:00.000Z', waiverId: 'W-1' }]);
      if (id === 'guardduty-medium-findings-age') return checkEvidence(id, 2, [{ checkId: id, resource: 'arn:aws:guardduty:us-east-1:222222222222:detector/d1/finding/f9', name: MARKUP_NAME, accountId: '222222222222', region: 'us-east-1', message: `Finding on ${MARKUP_NAME} is 12 days old.`, lastSeenAt: '2026-03-18T23:00:00.000Z', waiverId: 'W-2' }]);
      return checkEvidence(id);
    });
    const exceptions = WAIVERS.filter((w) => checks.some((ch) => ch.checkId === w.checkId));
    return control(c, 'effective_with_exceptions', `Every check passes except failures accepted by ${exceptions.map((w) => w.id).join(', ')}.`, { checks, exceptions, ...incidents });
  }
  if (c.checks.length > 0 || INCIDENT_CONTROLS.includes(c.id)) {
    return control(c, 'effective', 'Every check passed on its last run in the period and the evidence meets its targets.', { checks: c.checks.map((id) => checkEvidence(id)), ...incidents });
  }
  return control(c, 'not_evidenced', 'No attestation covers the period, and this control has no automated evidence.');
}

function byVerdict(controls: ControlReport[]): Record<ControlVerdict, number> {
  const counts = Object.fromEntries(CONTROL_VERDICTS.map((v) => [v, 0])) as Record<ControlVerdict, number>;
  for (const c of controls) counts[c.verdict] += 1;
  return counts;
}

/** Daily pass rates over March: no checks ran on the 14th, and the 20th dipped. */
function passRates(): EvidenceReport['charts']['passRate'] {
  const days: EvidenceReport['charts']['passRate'] = [];
  for (let d = 1; d <= 31; d++) {
    const day = `2026-03-${String(d).padStart(2, '0')}`;
    if (d === 14) {
      days.push({ day, pass: 0, fail: 0 });
      continue;
    }
    const fail = d === 20 ? 170 : d >= 27 ? 6 : 2;
    const pass = 450 - fail;
    days.push({ day, pass, fail, passRate: pass / (pass + fail) });
  }
  return days;
}

export function fullReport(): EvidenceReport {
  const controls = framework.controls.map((c, i) => fullControl(c, i + 1));
  return {
    framework: { id: framework.id, name: framework.name },
    period: PERIOD,
    generatedAt: GENERATED_AT,
    generatedBy: 'maria (vigil report iso27001)',
    ledger: { fromSeq: 1201, toSeq: 48_950, headHash: HEAD_HASH, verified: true },
    summary: { controls: controls.length, byVerdict: byVerdict(controls), checkRuns: 744, checkEvaluations: 13_950, drills: 12, incidents: 6, attestations: 3, exceptions: 2 },
    charts: {
      drillRto: DRILLS.map((d) => ({ target: d.target, ...(d.rtoTargetSeconds === undefined ? {} : { targetSeconds: d.rtoTargetSeconds }), points: d.history.map((h) => ({ at: h.at, status: h.status, ...(h.rtoSeconds === undefined ? {} : { rtoSeconds: h.rtoSeconds }) })) })),
      slaAdherence: INCIDENTS.bySeverity.map((s) => {
        const met = s.clocks.workBegins.met + s.clocks.temporary.met + s.clocks.final.met;
        const breached = s.clocks.workBegins.breached + s.clocks.temporary.breached + s.clocks.final.breached;
        return { severity: s.severity, met, breached, ...(s.adherencePercent === undefined ? {} : { adherencePercent: s.adherencePercent }) };
      }),
      passRate: passRates(),
    },
    controls,
    notices: ['A.8.13 Information backup is not effective: rds-snapshot-daily fails on reporting-prod and a restore drill failed.'],
  };
}

/** A period with no evidence at all: every applicable control says so. */
export function emptyReport(): EvidenceReport {
  const controls = framework.controls.map((c) => {
    if (NOT_APPLICABLE.includes(c.id)) return control(c, 'not_applicable', 'Not applicable by the statement of applicability.', { justification: 'No own premises.' });
    const incidents: Partial<ControlReport> = INCIDENT_CONTROLS.includes(c.id)
      ? { incidents: { opened: 0, resolved: 0, bySeverity: INCIDENTS.bySeverity.map((s) => ({ severity: s.severity, incidents: 0, clocks: { workBegins: tally(0, 0), temporary: tally(0, 0), final: tally(0, 0) } })), list: [] } }
      : {};
    return control(c, 'not_evidenced', 'No evidence in this period.', { checks: c.checks.map(emptyCheck), ...incidents });
  });
  return {
    framework: { id: framework.id, name: framework.name },
    period: { from: '2026-05-01T00:00:00.000Z', to: '2026-06-01T00:00:00.000Z' },
    generatedAt: '2026-06-01T06:00:00.000Z',
    generatedBy: 'maria (vigil report iso27001)',
    ledger: { verified: true },
    summary: { controls: controls.length, byVerdict: byVerdict(controls), checkRuns: 0, checkEvaluations: 0, drills: 0, incidents: 0, attestations: 0, exceptions: 0 },
    charts: { drillRto: [], slaAdherence: INCIDENTS.bySeverity.map((s) => ({ severity: s.severity, met: 0, breached: 0 })), passRate: [] },
    controls,
    notices: ['No evidence in this period: no check run, drill, incident or attestation was recorded between 2026-05-01 and 2026-05-31.'],
  };
}
