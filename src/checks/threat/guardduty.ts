/**
 * GuardDuty: a detector watches every configured region with the promised protection plans, and no
 * active finding is left unattended. Each finding of concern is its own result, shaped so that the
 * incidents feature can open an incident from it (a stable `signalKey`, severity, resource, times).
 */
import { z } from 'zod';
import { fail, notApplicable, pass, type Verdict } from '../../core/results.js';
import { DAY_MS } from '../../core/clock.js';
import { defineEvaluator } from '../evaluator.js';
import { known, type Resource } from '../resources.js';
import type { GuardDutyDetector, GuardDutyFinding } from './resources.js';
import { describeAge, isoSeconds, joinAnd } from './text.js';

/** Protection plans (DetectorFeature names) a detector can have; a misspelt one is a config error. */
export const GUARDDUTY_FEATURES = [
  'S3_DATA_EVENTS',
  'EKS_AUDIT_LOGS',
  'EBS_MALWARE_PROTECTION',
  'RDS_LOGIN_EVENTS',
  'EKS_RUNTIME_MONITORING',
  'LAMBDA_NETWORK_LOGS',
  'RUNTIME_MONITORING',
] as const;

/** The need that carries a region's active findings of medium severity and above. */
export const FINDINGS_NEED = 'guarddutyFindings';

/** The loader reads findings from this severity up, so no check can ask for less. */
export const LOWEST_FINDING_SEVERITY = 4;

export function asDetector(resource: Resource): GuardDutyDetector {
  if (resource.kind !== 'guardduty-detector') throw new Error(`a GuardDuty evaluator was given ${resource.kind}`);
  return resource;
}

export function describeDetector(d: GuardDutyDetector): string {
  return d.detectorId ? `GuardDuty detector ${d.detectorId} in ${d.accountId}/${d.region}` : `GuardDuty in ${d.accountId}/${d.region}`;
}

export function severityLabel(severity: number): 'low' | 'medium' | 'high' | 'critical' {
  if (severity >= 9) return 'critical';
  if (severity >= 7) return 'high';
  if (severity >= 4) return 'medium';
  return 'low';
}

export const guardDutyDetector = defineEvaluator({
  name: 'guardduty-detector',
  summary: 'A GuardDuty detector is enabled in the region with the listed protection plans on.',
  params: z.strictObject({ features: z.array(z.enum(GUARDDUTY_FEATURES)).default(['S3_DATA_EVENTS', 'EBS_MALWARE_PROTECTION', 'RDS_LOGIN_EVENTS']) }),
  subject: () => 'guardduty-detector',
  needs: () => [],
  evaluate(resource, ctx) {
    const detector = asDetector(resource);
    if (!detector.detectorId) return fail(`GuardDuty is not enabled in ${detector.accountId}/${detector.region}: the region has no detector.`, { detectorId: null });
    const name = describeDetector(detector);
    const details = known(detector.details, `the settings of ${name}`);
    const facts = { detectorId: detector.detectorId, status: details.status, features: details.features, findingPublishingFrequency: details.findingPublishingFrequency };
    if (details.status !== 'ENABLED') return fail(`${name} is suspended (status ${details.status}).`, facts);
    const off = ctx.params.features.filter((f) => details.features[f] !== 'ENABLED');
    if (off.length > 0) return fail(`${name} has protection plans off: ${joinAnd(off)}.`, { ...facts, featuresOff: off });
    const on = ctx.params.features.length > 0 ? ` with ${joinAnd(ctx.params.features)}` : '';
    return pass(`${name} is enabled${on}.`, facts);
  },
});

const findingsParams = z
  .strictObject({
    /** Lowest severity judged (GuardDuty: 4.0 medium, 7.0 high, 9.0 critical). */
    minSeverity: z.number().min(LOWEST_FINDING_SEVERITY, `the findings are read from severity ${LOWEST_FINDING_SEVERITY} (medium) up`).max(10).default(7),
    /** Severities from this value up are left to another check; absent means no upper bound. */
    belowSeverity: z.number().min(1).max(10.1).optional(),
    /** Only findings first seen longer ago than this count; 0 means every active finding. */
    maxAgeDays: z.number().min(0).default(0),
  })
  .refine((p) => p.belowSeverity === undefined || p.belowSeverity > p.minSeverity, { message: 'belowSeverity must be above minSeverity', path: ['belowSeverity'] });

type FindingsParams = z.output<typeof findingsParams>;

function describeBand(p: FindingsParams): string {
  const from = severityLabel(p.minSeverity);
  if (p.belowSeverity === undefined) return from === 'high' ? 'high or critical' : `${from} or higher`;
  const to = severityLabel(p.belowSeverity - 0.01);
  return from === to ? from : `${from} to ${to}`;
}

/** Stable across runs, so the same finding raises one incident, not one per run. */
export function findingSignalKey(f: GuardDutyFinding): string {
  return `guardduty:${f.accountId}:${f.region}:${f.id}`;
}

function findingFacts(f: GuardDutyFinding, now: Date): Record<string, unknown> {
  return {
    signalKey: findingSignalKey(f),
    source: 'guardduty',
    findingId: f.id,
    arn: f.arn,
    detectorId: f.detectorId,
    type: f.type,
    title: f.title,
    severity: f.severity,
    severityLabel: severityLabel(f.severity),
    resourceType: f.resourceType,
    resource: f.resource,
    firstSeen: isoSeconds(f.firstSeen),
    lastSeen: isoSeconds(f.lastSeen),
    ageDays: Math.floor((now.getTime() - f.firstSeen.getTime()) / DAY_MS),
    count: f.count,
  };
}

export const guardDutyFindings = defineEvaluator({
  name: 'guardduty-findings',
  summary: 'No active GuardDuty finding in the severity band is open longer than maxAgeDays; each one found is its own result.',
  params: findingsParams,
  subject: () => 'guardduty-detector',
  needs: () => [FINDINGS_NEED],
  evaluate(resource, ctx) {
    const detector = asDetector(resource);
    const p = ctx.params;
    const band = describeBand(p);
    if (!detector.detectorId) {
      return notApplicable(`GuardDuty is not enabled in ${detector.accountId}/${detector.region}, so there are no findings to judge (see guardduty-enabled).`, { detectorId: null });
    }
    const all = (ctx.data[FINDINGS_NEED] ?? []) as GuardDutyFinding[];
    const cutoff = ctx.now.getTime() - p.maxAgeDays * DAY_MS;
    const concerning = all
      .filter((f) => f.detectorId === detector.detectorId && f.severity >= p.minSeverity && (p.belowSeverity === undefined || f.severity < p.belowSeverity))
      .filter((f) => p.maxAgeDays === 0 || f.firstSeen.getTime() <= cutoff)
      .sort((a, b) => b.severity - a.severity || a.firstSeen.getTime() - b.firstSeen.getTime());
    const name = describeDetector(detector);
    if (concerning.length === 0) {
      const older = p.maxAgeDays > 0 ? ` open longer than ${p.maxAgeDays} days` : '';
      return pass(`${name} has no active finding of ${band} severity${older}.`, { detectorId: detector.detectorId, activeFindingsRead: all.length });
    }
    return concerning.map((f): Verdict => {
      const what = `GuardDuty finding ${f.type} (${severityLabel(f.severity)}, ${f.severity.toFixed(1)}) on ${f.resource}`;
      const seen = `first seen ${isoSeconds(f.firstSeen)}, last seen ${isoSeconds(f.lastSeen)}`;
      const message =
        p.maxAgeDays > 0
          ? `${what} has been open ${describeAge(f.firstSeen, ctx.now)} (${seen}), longer than ${p.maxAgeDays} days.`
          : `${what} is active: ${seen}.`;
      return { ...fail(message, findingFacts(f, ctx.now)), about: { resource: f.arn, name: `${f.type} on ${f.resource}` } };
    });
  },
});
