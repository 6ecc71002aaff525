/**
 * The verdict on one control for a period: the only place the rules live. `VERDICT_RULES` states them
 * in the words every report prints; `judgeControl` applies them in that order. The reasons behind
 * the choices:
 *
 * - A failed restore drill makes a control not effective for the whole period, whatever later drills
 *   showed: the data was not recoverable then.
 * - SLA breaches cannot be waived: a waiver accepts a resource's state going forward, and a missed
 *   promise to customers stays missed.
 * - Every automated source a control has must speak in the period: passing backup checks show backups
 *   exist, not that they restore (A.8.13 asks for regularly tested backups), and a drill does not show
 *   backups are kept. A quiet period without incidents is not missing evidence when something else
 *   speaks.
 * - Errors and not-applicable results are not evidence: a check that could not look proves nothing.
 *
 * A control is therefore never effective without evidence in the period.
 */
import type { ControlVerdict, DrillEvidence, FailingResource, IncidentEvidence, CheckEvidence, Attestation } from './report-model.js';

export const VERDICT_RULES: readonly string[] = [
  'Not applicable: the statement of applicability says the control does not apply, with its justification.',
  'Not effective: a check result still failing at the end of the period (its last run in the period) without a waiver in force when it was seen; or a restore drill of a target mapped to the control failed in the period; or an SLA clock of an incident reported in the period was breached (breaches cannot be waived).',
  'Effective with exceptions: as effective, except that failures left at the end of the period are all accepted by waivers.',
  'Effective: every automated source the control has produced evidence in the period (a pass or fail result of its mapped checks, a successful drill of its mapped drill targets, or, for a control evidenced only by incidents, an incident reported in the period), and nothing is failing at its end. Errors and not-applicable results are not evidence.',
  'Attested: not every automated source produced evidence, and an attestation covers the period (made before it ended, not expired before it began).',
  'Not evidenced: anything else. A control is never called effective without evidence in the period.',
];

export interface ControlEvidenceInput {
  applicable: boolean;
  justification?: string;
  checks: CheckEvidence[];
  /** One per drill target mapped to the control (those with no drill in the period included). */
  drills: DrillEvidence[];
  /** Set for controls whose evidence includes incidents. */
  incidents?: IncidentEvidence;
  attestations: Attestation[];
  /** The framework lists drills as evidence for the control. */
  expectsDrills: boolean;
}

export interface Judgement {
  verdict: ControlVerdict;
  reason: string;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function listOf(items: string[], max = 3): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function failingPhrase(failing: FailingResource[]): string {
  const byCheck = new Map<string, string[]>();
  for (const f of failing) byCheck.set(f.checkId, [...(byCheck.get(f.checkId) ?? []), f.name || f.resource]);
  return listOf([...byCheck].map(([check, names]) => `${check} (${listOf(names, 2)})`));
}

function withoutPeriod(text: string): string {
  return text.replace(/\.$/, '');
}

export function judgeControl(input: ControlEvidenceInput): Judgement {
  if (!input.applicable) {
    return { verdict: 'not_applicable', reason: `Not applicable per the statement of applicability: ${withoutPeriod(input.justification ?? 'no justification given')}.` };
  }

  const failing = input.checks.flatMap((c) => c.failing);
  const unwaived = failing.filter((f) => f.waiverId === undefined);
  const waived = failing.filter((f) => f.waiverId !== undefined);
  const failedDrills = input.drills.flatMap((d) => d.history.filter((h) => h.status === 'failed').map((h) => ({ target: d.target, ...h })));
  const breaches = (input.incidents?.list ?? []).flatMap((i) => i.breaches.map((clock) => `${i.id} ${i.severity} ${clock}`));

  const against: string[] = [];
  if (unwaived.length > 0) against.push(`${plural(unwaived.length, 'resource')} still failing at the end of the period without a waiver: ${failingPhrase(unwaived)}`);
  if (failedDrills.length > 0) {
    const first = failedDrills[0] as (typeof failedDrills)[number];
    against.push(`${plural(failedDrills.length, 'restore drill')} failed in the period (${first.target} on ${first.at.slice(0, 10)}${first.failure ? `: ${withoutPeriod(first.failure)}` : ''})`);
  }
  if (breaches.length > 0) against.push(`${plural(breaches.length, 'SLA clock')} breached (${listOf(breaches)})`);
  if (against.length > 0) return { verdict: 'not_effective', reason: `${against.join('; ')}.` };

  const judged = input.checks.reduce((n, c) => n + c.pass + c.fail, 0);
  const errors = input.checks.reduce((n, c) => n + c.error, 0);
  const failures = input.checks.reduce((n, c) => n + c.fail, 0);
  const drillsDone = input.drills.reduce((n, d) => n + d.succeeded, 0);
  const incidents = input.incidents?.opened ?? 0;
  const checksWithResults = input.checks.filter((c) => c.pass + c.fail > 0).length;

  const found: string[] = [];
  if (judged > 0) found.push(`${plural(judged, 'evaluation')} of ${checksWithResults === input.checks.length ? plural(checksWithResults, 'check') : `${checksWithResults} of its ${input.checks.length} checks`}`);
  if (drillsDone > 0) found.push(`${plural(drillsDone, 'successful restore drill')}`);
  if (incidents > 0) found.push(`${plural(incidents, 'incident')}, no SLA clock breached`);
  const notes: string[] = [];
  if (failures > 0 && failing.length === 0) notes.push(`${plural(failures, 'failing result')} earlier in the period, none left at its end`);
  if (errors > 0) notes.push(`${plural(errors, 'evaluation')} could not be made (error)`);
  const running = (input.incidents?.bySeverity ?? []).reduce((n, s) => n + s.clocks.workBegins.running + s.clocks.temporary.running + s.clocks.final.running, 0);
  if (incidents > 0 && running > 0) notes.push(`${plural(running, 'SLA clock')} still running at its end`);
  const noteText = notes.length > 0 ? ` (${notes.join('; ')})` : '';

  // Every source of automated evidence the control has must have spoken in the period (incidents
  // excepted: a quiet period is not missing evidence, as long as something else evidences the control).
  const missing: string[] = [];
  if (input.checks.length > 0 && judged === 0) missing.push(checksMissing(input.checks, errors));
  if (input.expectsDrills && input.drills.length > 0 && drillsDone === 0) missing.push(`no successful restore drill of ${listOf(input.drills.map((d) => d.target))} in the period`);
  if (found.length === 0 && input.incidents) missing.push('no incidents reported');

  if (found.length > 0 && missing.length === 0) {
    if (waived.length > 0) {
      const waivers = [...new Set(waived.map((f) => f.waiverId as string))];
      return {
        verdict: 'effective_with_exceptions',
        reason: `${found.join(', ')}; ${plural(waived.length, 'failing resource')} accepted by ${plural(waivers.length, 'waiver')} (${listOf(waivers)})${noteText}.`,
      };
    }
    return { verdict: 'effective', reason: `${found.join(', ')}; nothing failing at the end of the period${noteText}.` };
  }

  if (missing.length === 0) missing.push('nothing Vigil automates evidences this control');
  const partly = found.length > 0 ? ` (only ${found.join(', ')})` : '';
  const attestation = input.attestations[input.attestations.length - 1];
  if (attestation) {
    return { verdict: 'attested', reason: `Attested by ${attestation.owner} (${attestation.id}, ${attestation.at.slice(0, 10)}): ${withoutPeriod(attestation.reason)}; ${missing.join('; ')}${partly}.` };
  }
  const head = found.length > 0 ? 'Not fully evidenced' : 'No evidence in the period';
  return { verdict: 'not_evidenced', reason: `${head}: ${missing.join('; ')}${partly}, and no attestation covers it.` };
}

function checksMissing(checks: CheckEvidence[], errors: number): string {
  const evaluations = checks.reduce((n, c) => n + c.evaluations, 0);
  const its = `its ${plural(checks.length, 'check')}`;
  if (errors > 0) return `${its} could not evaluate (${plural(errors, 'error')})`;
  if (evaluations > 0) return `${its} found nothing to judge (${plural(evaluations, 'result')}, none pass or fail)`;
  return `no results of ${its}`;
}
