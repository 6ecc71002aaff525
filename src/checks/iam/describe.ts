/** How access results name ages, keys, policies and statements, in messages and in facts. */
import { DAY_MS, HOUR_MS } from '../../core/clock.js';
import { describeCondition, describeSource, statementLabel, type Access, type PolicyProblem, type PolicySource, type StatementMatch } from './policy.js';
import type { AccessKeyInfo } from './resources.js';

export function daysSince(date: Date, now: Date): number {
  return Math.floor((now.getTime() - date.getTime()) / DAY_MS);
}

/** `20 hours ago` under two days, `10 days ago` after. */
export function ago(date: Date, now: Date): string {
  const ms = now.getTime() - date.getTime();
  if (ms < 2 * DAY_MS) {
    const hours = Math.max(0, Math.floor(ms / HOUR_MS));
    return hours === 1 ? '1 hour ago' : `${hours} hours ago`;
  }
  const days = Math.floor(ms / DAY_MS);
  return `${days} days ago`;
}

/** The credential report calls them access_key_1 and access_key_2; `aws iam list-access-keys` lists them in that order. */
export function keyLabel(key: AccessKeyInfo): string {
  return `access key ${key.slot}`;
}

export function keyFacts(key: AccessKeyInfo) {
  return {
    slot: key.slot,
    active: key.active,
    rotatedAt: key.rotatedAt?.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString(),
    lastUsedService: key.lastUsedService,
    lastUsedRegion: key.lastUsedRegion,
  };
}

/** `managed policy ci-deploy-policy, statement DeployCompute`, with its condition when it has one. */
export function describeMatch(match: StatementMatch): string {
  const base = `${describeSource(match.policy)}, ${statementLabel(match)}`;
  return match.condition ? `${base}, only if ${describeCondition(match.condition)}` : base;
}

export function matchFacts(match: StatementMatch) {
  return {
    policy: match.policy.name,
    policyType: match.policy.type,
    policyArn: match.policy.arn,
    policyVersion: match.policy.versionId,
    throughGroup: match.policy.group,
    statement: statementLabel(match),
    statementIndex: match.index,
    sid: match.sid,
    effect: match.effect,
    coverage: match.coverage,
    condition: match.condition,
  };
}

export function sourceFacts(source: PolicySource) {
  return { policy: source.name, policyType: source.type, policyArn: source.arn, throughGroup: source.group };
}

export function problemFacts(problem: PolicyProblem) {
  return { ...sourceFacts(problem.source), problem: problem.kind, statementIndex: problem.statement, detail: problem.detail };
}

/** `inline policy legacy-queue (it is not valid JSON ...)`. */
export function describeProblem(problem: PolicyProblem): string {
  return `${describeSource(problem.source)} (${problem.detail})`;
}

/** The statements that grant an access: the ones covering all of it first, Denies that limit it after. */
export function accessFacts(access: Access) {
  return {
    action: access.query.action,
    resource: access.query.resource,
    decision: access.decision,
    allowedBy: access.allows.map(matchFacts),
    deniedBy: access.denies.map(matchFacts),
    cappedByBoundary: access.cappedBy ? access.cappedBy.boundary.name : undefined,
  };
}

/** The Allow statements to name for an access: those covering all of it, else those covering part. */
export function grantingStatements(access: Access): StatementMatch[] {
  const full = access.allows.filter((a) => a.coverage === 'full');
  return full.length > 0 ? full : access.allows;
}
