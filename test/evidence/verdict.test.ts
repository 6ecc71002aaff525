/** The verdict rules, one case per rule: never effective without evidence in the period. */
import { describe, expect, it } from 'vitest';
import type { Attestation, CheckEvidence, DrillEvidence, IncidentEvidence } from '../../src/evidence/report-model.js';
import { judgeControl, type ControlEvidenceInput } from '../../src/evidence/verdict.js';

function check(overrides: Partial<CheckEvidence> = {}): CheckEvidence {
  return { checkId: 'rds-multi-az', title: 'RDS instances are Multi-AZ', severity: 'high', runs: 1, evaluations: 1, pass: 0, fail: 0, error: 0, notApplicable: 0, failing: [], ...overrides };
}

const failing = { checkId: 'rds-multi-az', resource: 'arn:db:lms', name: 'lms', accountId: '111111111111', region: 'us-east-1', message: 'lms is single-AZ.', lastSeenAt: '2025-03-25T00:00:00.000Z' };

function drill(overrides: Partial<DrillEvidence> = {}): DrillEvidence {
  return { target: 'lms-prod', runs: 0, succeeded: 0, failed: 0, aborted: 0, rtoSeconds: {}, rpoSeconds: {}, withinTargets: 0, history: [], ...overrides };
}

const attestation: Attestation = { id: 'ATT-1', control: 'A.8.14', owner: 'CISO', reason: 'Redundancy reviewed.', at: '2025-03-01T00:00:00.000Z', actor: 'dave' };

function incidents(breaches: Array<'workBegins' | 'temporary' | 'final'>): IncidentEvidence {
  return { opened: 1, resolved: 1, bySeverity: [], list: [{ id: 'INC-1', severity: 'sev1', title: 'Down', state: 'resolved', reportedAt: '2025-03-01T00:00:00.000Z', breaches }] };
}

function input(overrides: Partial<ControlEvidenceInput>): ControlEvidenceInput {
  return { applicable: true, checks: [], drills: [], attestations: [], expectsDrills: false, ...overrides };
}

describe('judgeControl', () => {
  const cases: Array<[string, Partial<ControlEvidenceInput>, string]> = [
    ['excluded by the statement of applicability', { applicable: false, justification: 'No offices.', checks: [check({ fail: 1, failing: [failing] })] }, 'not_applicable'],
    ['passing checks', { checks: [check({ pass: 3 })] }, 'effective'],
    ['a failure left at the end, unwaived', { checks: [check({ pass: 2, fail: 1, failing: [failing] })] }, 'not_effective'],
    ['a failure left at the end, waived', { checks: [check({ pass: 2, fail: 1, failing: [{ ...failing, waiverId: 'WVR-1' }] })] }, 'effective_with_exceptions'],
    ['a failure fixed before the end', { checks: [check({ pass: 2, fail: 1 })] }, 'effective'],
    ['only errors', { checks: [check({ error: 3 })] }, 'not_evidenced'],
    ['only not-applicable results', { checks: [check({ notApplicable: 3 })] }, 'not_evidenced'],
    ['no results at all', { checks: [check({ runs: 0, evaluations: 0 })] }, 'not_evidenced'],
    ['only errors, but attested', { checks: [check({ error: 3 })], attestations: [attestation] }, 'attested'],
    ['a failure outweighs an attestation', { checks: [check({ fail: 1, failing: [failing] })], attestations: [attestation] }, 'not_effective'],
    ['a failed drill, whatever came after', { expectsDrills: true, checks: [check({ pass: 3 })], drills: [drill({ runs: 2, succeeded: 1, failed: 1, history: [{ id: 'd1', at: '2025-03-02T00:00:00Z', status: 'failed' }, { id: 'd2', at: '2025-03-09T00:00:00Z', status: 'succeeded' }] })] }, 'not_effective'],
    ['passing checks but no drill of a mapped target', { expectsDrills: true, checks: [check({ pass: 3 })], drills: [drill()] }, 'not_evidenced'],
    ['passing checks and a successful drill', { expectsDrills: true, checks: [check({ pass: 3 })], drills: [drill({ runs: 1, succeeded: 1, history: [{ id: 'd1', at: '2025-03-02T00:00:00Z', status: 'succeeded' }] })] }, 'effective'],
    ['a successful drill but no results of the mapped checks', { expectsDrills: true, checks: [check({ runs: 0, evaluations: 0 })], drills: [drill({ runs: 1, succeeded: 1, history: [{ id: 'd1', at: '2025-03-02T00:00:00Z', status: 'succeeded' }] })] }, 'not_evidenced'],
    ['incidents handled but the mapped checks never judged', { checks: [check({ error: 2 })], incidents: incidents([]) }, 'not_evidenced'],
    ['passing checks and a quiet period for incidents', { checks: [check({ pass: 3 })], incidents: { opened: 0, resolved: 0, bySeverity: [], list: [] } }, 'effective'],
    ['drills expected but no target mapped: judged on checks', { expectsDrills: true, checks: [check({ pass: 3 })], drills: [] }, 'effective'],
    ['an SLA breach, not waivable', { incidents: incidents(['workBegins']) }, 'not_effective'],
    ['incidents with every clock met', { incidents: incidents([]) }, 'effective'],
    ['an incident control in a quiet period', { incidents: { opened: 0, resolved: 0, bySeverity: [], list: [] } }, 'not_evidenced'],
    ['nothing but an attestation', { attestations: [attestation] }, 'attested'],
    ['nothing at all', {}, 'not_evidenced'],
  ];

  it.each(cases)('%s', (_name, overrides, verdict) => {
    const judgement = judgeControl(input(overrides));

    expect(judgement.verdict).toBe(verdict);
    expect(judgement.reason).toMatch(/^[A-Z0-9].*\.$/);
  });
});
