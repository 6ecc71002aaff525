/**
 * Powers that policies grant, judged per user and role with the real policy evaluator: administrative
 * power, privilege-escalation paths, reach into backups, and (deep mode) services granted but unused.
 * Each result names the identity, the policy and the statement that grants the power. An identity
 * whose documents cannot be evaluated gets `error` naming them; an allow-listed one passes.
 */
import { z } from 'zod';
import { errorVerdict, fail, notApplicable, pass, type Verdict } from '../../core/results.js';
import { listSome, plural } from '../evaluators/describe.js';
import { defineEvaluator } from '../evaluator.js';
import { CouldNotLook, type Fetched, type Resource } from '../resources.js';
import { patternContains } from './patterns.js';
import { accessFacts, ago, daysSince, describeMatch, describeProblem, grantingStatements, matchFacts, problemFacts } from './describe.js';
import { ESCALATION_PATHS, escalationPaths } from './escalation.js';
import { broadGrants, evaluateAccess, holds, type Access } from './policy.js';
import { describeIdentity, principalName, type IamPrincipal, type IamRole, type IamUser, type ServiceLastAccessed } from './resources.js';
import { SERVICE_LAST_ACCESSED } from './subjects.js';

function asPrincipal(resource: Resource): IamUser | IamRole {
  if (resource.kind !== 'iam-principal') throw new Error(`an IAM principal evaluator was given ${resource.kind}`);
  return (resource as IamPrincipal).identity;
}

/** `role/BreakGlassAdmin`, `user/alice`, or `group/backup-admins` (its members); `*` and `?` allowed. */
const principalRef = z.string().regex(/^(user|role|group)\/[\w+=,.@*?-]+$/, 'expected user/NAME, role/NAME or group/NAME');
const allowList = z.array(principalRef).default([]);

/** The allow-list entry that covers the identity, if any. IAM names are unique case-insensitively. */
function allowedBy(identity: IamUser | IamRole, allowed: readonly string[]): string | undefined {
  const names = [principalName(identity), ...(identity.kind === 'iam-user' ? identity.groups.map((g) => `group/${g}`) : [])];
  return allowed.find((entry) => names.some((name) => patternContains(entry, name, true)));
}

/** Documents that cannot be evaluated make the identity's result `error`, naming each of them. */
function problemVerdict(identity: IamUser | IamRole): Verdict | undefined {
  if (identity.problems.length === 0) return undefined;
  const list = identity.problems.map(describeProblem);
  return errorVerdict(`${describeIdentity(identity)} has ${plural(list.length, 'policy', 'policies')} Vigil cannot evaluate: ${list.join('; ')}.`, {
    problems: identity.problems.map(problemFacts),
  });
}

/**
 * What was granted, grouped by the statements that grant it, targets with the same actions merged:
 * `s3:GetObject, s3:DeleteObject on a, b (inline policy p, statement #1)`.
 */
function byStatement(items: Array<{ action: string; target: string; access: Access }>): string[] {
  const groups = new Map<string, Map<string, string[]>>();
  for (const { action, target, access } of items) {
    const key = grantingStatements(access).map(describeMatch).join('; ');
    const targets = groups.get(key) ?? new Map<string, string[]>();
    targets.set(target, [...(targets.get(target) ?? []), action]);
    groups.set(key, targets);
  }
  return [...groups].map(([statements, targets]) => {
    const byActions = new Map<string, string[]>();
    for (const [target, actions] of targets) {
      const shown = listSome(actions, 4);
      byActions.set(shown, [...(byActions.get(shown) ?? []), target]);
    }
    const what = [...byActions].map(([actions, on]) => `${actions} on ${on.join(', ')}`).join('; ');
    return `${what} (${statements})`;
  });
}

export const adminPower = defineEvaluator({
  name: 'iam-admin-power',
  summary: 'No identity outside the allow-list holds `*`, a whole service (`s3:*`) or everything-but (NotAction) on every resource.',
  params: z.strictObject({ allowedPrincipals: allowList }),
  subject: () => 'iam-principal',
  needs: () => [],
  evaluate(resource, ctx) {
    const identity = asPrincipal(resource);
    const name = describeIdentity(identity);
    const allowed = allowedBy(identity, ctx.params.allowedPrincipals);
    if (allowed) return pass(`${name} may hold administrative power: it is on the allow-list (${allowed}).`, { allowedBy: allowed });
    const problem = problemVerdict(identity);
    if (problem) return problem;
    const grants = broadGrants(identity.policies, identity.boundary);
    const facts = {
      powers: grants.map((g) => ({ power: g.power, ...matchFacts(g.grant), limitedBy: g.limitedBy.map(matchFacts) })),
      permissionsBoundary: identity.boundary?.source.name,
    };
    if (grants.length === 0) return pass(`${name} holds no administrative power.`, facts);
    const described = grants.map((g) => `${g.power} on every resource (${describeMatch(g.grant)}${g.limitedBy.length ? `; limited by ${g.limitedBy.map(describeMatch).join(', ')}` : ''})`);
    return fail(`${name} holds administrative power outside the allow-list: ${listSome(described, 3)}.`, facts);
  },
});

const pathIds = ESCALATION_PATHS.map((p) => p.id) as [string, ...string[]];

export const escalation = defineEvaluator({
  name: 'iam-escalation-paths',
  summary: 'No identity outside the allow-list holds every action of a published privilege-escalation path.',
  params: z.strictObject({
    allowedPrincipals: allowList,
    /** The catalogue's paths to judge; all of them by default. */
    paths: z.array(z.enum(pathIds)).min(1).default([...pathIds]),
  }),
  subject: () => 'iam-principal',
  needs: () => [],
  evaluate(resource, ctx) {
    const identity = asPrincipal(resource);
    const name = describeIdentity(identity);
    const allowed = allowedBy(identity, ctx.params.allowedPrincipals);
    if (allowed) return pass(`${name} may escalate privileges: it is on the allow-list (${allowed}).`, { allowedBy: allowed });
    const problem = problemVerdict(identity);
    if (problem) return problem;
    const catalogue = ESCALATION_PATHS.filter((p) => ctx.params.paths.includes(p.id));
    const found = escalationPaths(identity.policies, identity.boundary, catalogue);
    const facts = {
      paths: found.map((f) => ({ path: f.path.id, how: f.path.how, conditional: f.conditional, actions: f.access.map(accessFacts) })),
      judgedPaths: catalogue.length,
    };
    if (found.length === 0) return pass(`${name} holds no privilege-escalation path (${plural(catalogue.length, 'path')} judged).`, facts);
    const ids = found.map((f) => `${f.path.id}${f.conditional ? ' (conditional)' : ''}`);
    const statements = [...new Set(found.flatMap((f) => f.access.flatMap((a) => grantingStatements(a).map(describeMatch))))];
    return fail(`${name} can escalate its privileges by ${plural(found.length, 'path')} outside the allow-list: ${listSome(ids)}; granted by ${statements.join('; ')}.`, facts);
  },
});

/** S3 actions on the bucket itself rather than its objects. */
const BUCKET_ACTIONS = new Set(['s3:deletebucket', 's3:putlifecycleconfiguration', 's3:putbucketpolicy', 's3:deletebucketpolicy', 's3:putbucketversioning', 's3:listbucket', 's3:listbucketversions']);

/** `coursecraft-content-dr` or an ARN pattern such as `arn:aws:s3:::backups-*`. */
function bucketArn(bucket: string): string {
  return bucket.startsWith('arn:') ? bucket : `arn:aws:s3:::${bucket}`;
}

function bucketTarget(action: string, bucket: string): string {
  return BUCKET_ACTIONS.has(action.toLowerCase()) ? bucketArn(bucket) : `${bucketArn(bucket)}/*`;
}

const action = z.string().regex(/^[a-z0-9-]+:[\w*?]+$/i, 'expected service:Action');

export const backupAccess = defineEvaluator({
  name: 'iam-backup-access',
  summary: 'Only the core group can delete or share snapshots and read or delete the backup buckets.',
  params: z.strictObject({
    /** Who may do all of it: the core group. */
    allowedPrincipals: allowList,
    /** Who may read the backup buckets but not delete or share anything (an audit role, say). */
    readers: allowList,
    snapshotActions: z
      .array(action)
      .min(1)
      .default(['rds:DeleteDBSnapshot', 'rds:DeleteDBClusterSnapshot', 'rds:ModifyDBSnapshotAttribute', 'rds:ModifyDBClusterSnapshotAttribute', 'ec2:DeleteSnapshot', 'ec2:ModifySnapshotAttribute']),
    /** Bucket names or ARN patterns. */
    backupBuckets: z.array(z.string().regex(/^(arn:aws[\w-]*:s3:::[\w.*?-]+|[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/, 'expected a bucket name or an S3 bucket ARN pattern')).default([]),
    bucketReadActions: z.array(action).default(['s3:GetObject', 's3:GetObjectVersion']),
    bucketDeleteActions: z.array(action).default(['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:DeleteBucket', 's3:PutLifecycleConfiguration']),
  }),
  subject: () => 'iam-principal',
  needs: () => [],
  evaluate(resource, ctx) {
    const identity = asPrincipal(resource);
    const name = describeIdentity(identity);
    const { params } = ctx;
    const allowed = allowedBy(identity, params.allowedPrincipals);
    if (allowed) return pass(`${name} may delete, share and read backups: it is in the core group (${allowed}).`, { allowedBy: allowed });
    const problem = problemVerdict(identity);
    if (problem) return problem;
    const check = (act: string, resourcePattern: string, target: string, kind: 'destroy' | 'read') => {
      const access = evaluateAccess(identity.policies, { action: act, resource: resourcePattern }, identity.boundary);
      return { action: act, target, access, kind };
    };
    const judged = [
      ...params.snapshotActions.map((a) => check(a, '*', 'snapshots', 'destroy')),
      ...params.backupBuckets.flatMap((bucket) => [
        ...params.bucketDeleteActions.map((a) => check(a, bucketTarget(a, bucket), bucket, 'destroy')),
        ...params.bucketReadActions.map((a) => check(a, bucketTarget(a, bucket), bucket, 'read')),
      ]),
    ];
    const held = judged.filter((j) => holds(j.access));
    const reader = allowedBy(identity, params.readers);
    const violations = held.filter((j) => j.kind === 'destroy' || !reader);
    const facts = {
      powers: held.map((j) => ({ kind: j.kind, ...accessFacts(j.access) })),
      deniedExplicitly: judged.filter((j) => j.access.decision === 'denied').map((j) => `${j.action} on ${j.target}`),
      reader,
    };
    if (violations.length === 0) {
      if (held.length > 0) return pass(`${name} may read backups (${reader}) and cannot delete or share them.`, facts);
      return pass(`${name} cannot delete, share or read backups.`, facts);
    }
    const groups = byStatement(violations);
    const shown = groups.length > 3 ? [...groups.slice(0, 3), `${groups.length - 3} more`] : groups;
    return fail(`${name} can reach backups outside the core group: ${shown.join('; ')}.`, facts);
  },
});

export const unusedServices = defineEvaluator({
  name: 'iam-unused-services',
  summary: 'Every service an identity is granted was used within the last maxUnusedDays days (service last accessed data).',
  params: z.strictObject({ maxUnusedDays: z.number().int().min(1).max(400).default(90) }),
  subject: () => 'iam-principal',
  needs: () => [SERVICE_LAST_ACCESSED],
  evaluate(resource, ctx) {
    const identity = asPrincipal(resource);
    const name = describeIdentity(identity);
    const all = ctx.data[SERVICE_LAST_ACCESSED] as Record<string, Fetched<ServiceLastAccessed[]>> | undefined;
    const entry = all?.[identity.arn];
    if (!entry) throw new CouldNotLook('no service last accessed data was read for it');
    if (!entry.ok) throw new CouldNotLook(`could not read its service last accessed data: ${entry.reason}`);
    const limit = ctx.params.maxUnusedDays;
    const services = entry.value;
    // An identity younger than the window has not had the chance to use what it was given.
    const young = daysSince(identity.createdAt, ctx.now) <= limit;
    const unused = services.filter((s) => (s.lastAuthenticatedAt ? daysSince(s.lastAuthenticatedAt, ctx.now) > limit : !young));
    const facts = {
      maxUnusedDays: limit,
      services: services.map((s) => ({ service: s.namespace, lastAuthenticatedAt: s.lastAuthenticatedAt?.toISOString(), region: s.lastAuthenticatedRegion })),
      unused: unused.map((s) => s.namespace),
    };
    if (services.length === 0) return notApplicable(`${name} is granted no services.`, facts);
    if (unused.length === 0) return pass(`${name} used every service it is granted within the last ${limit} days: ${listSome(services.map((s) => s.namespace))}.`, facts);
    const described = unused.map((s) => `${s.namespace} (${s.lastAuthenticatedAt ? `last used ${ago(s.lastAuthenticatedAt, ctx.now)}` : 'never used'})`);
    return fail(`${name} is granted ${plural(unused.length, 'service')} it has not used in ${limit} days: ${listSome(described)}.`, facts);
  },
});

export const PRIVILEGE_EVALUATORS = [adminPower, escalation, backupAccess, unusedServices];
