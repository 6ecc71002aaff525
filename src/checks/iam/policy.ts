/**
 * IAM identity policies, parsed and evaluated for real: Allow and Deny, Action and NotAction,
 * Resource and NotResource, wildcards inside actions (`iam:Create*`), an explicit Deny overriding
 * any Allow, and a permissions boundary capping what the policies grant. Conditions cannot be judged
 * without a request, so a grant that holds only under one is reported as conditional, never counted
 * as unconditional and never dropped. A document IAM would refuse is a typed problem naming the
 * policy, so the identity's result is `error`, not a guess.
 */
import { patternContains, patternsOverlap } from './patterns.js';

/** Where a policy document comes from, for messages and facts. */
export interface PolicySource {
  name: string;
  type: 'managed' | 'inline';
  /** Managed policies only. */
  arn?: string;
  /** The default version evaluated (managed policies only); other versions are not in force. */
  versionId?: string;
  /** The group the identity has the policy through, when it is not attached to the identity itself. */
  group?: string;
}

export interface PatternSet {
  /** NotAction / NotResource: the statement names everything the patterns do not. */
  not: boolean;
  patterns: string[];
}

/** Condition operator -> condition key -> values, all as strings. */
export type Condition = Record<string, Record<string, string[]>>;

export interface Statement {
  /** Position in the document's Statement list, from 0. */
  index: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
  actions: PatternSet;
  resources: PatternSet;
  condition?: Condition;
}

export interface Policy {
  source: PolicySource;
  statements: Statement[];
}

export const POLICY_PROBLEMS = [
  'unreadable',
  'invalid-json',
  'invalid-structure',
  'unsupported-version',
  'missing-effect',
  'invalid-effect',
  'missing-action',
  'invalid-action',
  'missing-resource',
  'conflicting-elements',
  'principal-in-identity-policy',
  'unknown-condition-operator',
  'invalid-condition',
] as const;
export type PolicyProblemKind = (typeof POLICY_PROBLEMS)[number];

/** A document that cannot be evaluated; the identity holding it gets an `error` result. */
export interface PolicyProblem {
  source: PolicySource;
  kind: PolicyProblemKind;
  /** The statement at fault, when one is. */
  statement?: number;
  detail: string;
}

export type ParsedPolicy = { ok: true; policy: Policy } | { ok: false; problem: PolicyProblem };

/** `managed policy ci-deploy-policy`, `inline policy delete-backups of group backup-admins`. */
export function describeSource(source: PolicySource): string {
  const what = `${source.type} policy ${source.name}`;
  if (!source.group) return what;
  return source.type === 'inline' ? `${what} of group ${source.group}` : `${what} through group ${source.group}`;
}

/** `statement DeployCompute` when it has a Sid, else `statement #2` (counting from 1). */
export function statementLabel(statement: { index: number; sid?: string }): string {
  return statement.sid ? `statement ${statement.sid}` : `statement #${statement.index + 1}`;
}

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);

const CONDITION_OPERATORS = new Set(
  [
    'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
    'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
    'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
    'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike',
  ].map((o) => o.toLowerCase()),
);

/** Whether IAM knows the operator: a base operator, optionally with a set prefix and IfExists; `Null` takes neither. */
export function knownConditionOperator(operator: string): boolean {
  if (operator.toLowerCase() === 'null') return true;
  const bare = operator.replace(/^(ForAllValues|ForAnyValue):/i, '').replace(/IfExists$/i, '').toLowerCase();
  return CONDITION_OPERATORS.has(bare);
}

const ACTION = /^(\*|[a-z0-9-]+:[\w*?-]+)$/i;

class Malformed extends Error {
  constructor(
    readonly kind: PolicyProblemKind,
    readonly detail: string,
    readonly statement?: number,
  ) {
    super(detail);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses a document as IAM would accept it; `text` undefined means the document could not be read. */
export function parsePolicy(source: PolicySource, text: string | undefined): ParsedPolicy {
  if (text === undefined) return { ok: false, problem: { source, kind: 'unreadable', detail: 'its document could not be read' } };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: { source, kind: 'invalid-json', detail: `it is not valid JSON: ${err instanceof Error ? err.message : String(err)}` } };
  }
  try {
    if (!isObject(doc)) throw new Malformed('invalid-structure', 'the document is not a JSON object');
    if (doc['Version'] !== undefined && !VERSIONS.has(String(doc['Version']))) throw new Malformed('unsupported-version', `Version ${JSON.stringify(doc['Version'])} is not 2012-10-17 or 2008-10-17`);
    const raw = doc['Statement'];
    if (raw === undefined) throw new Malformed('invalid-structure', 'it has no Statement');
    const list = Array.isArray(raw) ? raw : [raw];
    return { ok: true, policy: { source, statements: list.map((s, i) => parseStatement(s, i)) } };
  } catch (err) {
    if (!(err instanceof Malformed)) throw err;
    const where = err.statement === undefined ? '' : `statement #${err.statement + 1} `;
    return { ok: false, problem: { source, kind: err.kind, statement: err.statement, detail: `${where}${err.detail}`.trim() } };
  }
}

function parseStatement(raw: unknown, index: number): Statement {
  const bad = (kind: PolicyProblemKind, detail: string) => new Malformed(kind, detail, index);
  if (!isObject(raw)) throw bad('invalid-structure', 'is not a JSON object');
  const effect = raw['Effect'];
  if (effect === undefined) throw bad('missing-effect', 'has no Effect');
  if (effect !== 'Allow' && effect !== 'Deny') throw bad('invalid-effect', `has Effect ${JSON.stringify(effect)}, not Allow or Deny`);
  if (raw['Principal'] !== undefined || raw['NotPrincipal'] !== undefined) throw bad('principal-in-identity-policy', 'names a Principal, which identity policies cannot');
  const actions = patternSet(raw, 'Action', 'NotAction', bad, 'missing-action');
  for (const action of actions.patterns) {
    if (!ACTION.test(action)) throw bad('invalid-action', `has action ${JSON.stringify(action)}, which is not * or service:action`);
  }
  const resources = patternSet(raw, 'Resource', 'NotResource', bad, 'missing-resource');
  const sid = raw['Sid'];
  return {
    index,
    sid: typeof sid === 'string' && sid !== '' ? sid : undefined,
    effect,
    actions,
    resources,
    condition: raw['Condition'] === undefined ? undefined : parseCondition(raw['Condition'], bad),
  };
}

function patternSet(raw: Record<string, unknown>, plain: string, negated: string, bad: (k: PolicyProblemKind, d: string) => Malformed, missing: PolicyProblemKind): PatternSet {
  const a = raw[plain];
  const b = raw[negated];
  if (a !== undefined && b !== undefined) throw bad('conflicting-elements', `has both ${plain} and ${negated}`);
  if (a === undefined && b === undefined) throw bad(missing, `has neither ${plain} nor ${negated}`);
  const value = a ?? b;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.some((v) => typeof v !== 'string')) throw bad('invalid-structure', `has a ${a !== undefined ? plain : negated} that is not a string or a list of strings`);
  return { not: a === undefined, patterns: list as string[] };
}

function parseCondition(raw: unknown, bad: (k: PolicyProblemKind, d: string) => Malformed): Condition {
  if (!isObject(raw)) throw bad('invalid-condition', 'has a Condition that is not an object');
  const out: Condition = {};
  for (const [operator, clauses] of Object.entries(raw)) {
    if (!knownConditionOperator(operator)) throw bad('unknown-condition-operator', `uses condition operator ${operator}, which IAM does not have`);
    if (!isObject(clauses)) throw bad('invalid-condition', `has condition ${operator} that is not an object of keys and values`);
    out[operator] = {};
    for (const [key, value] of Object.entries(clauses)) {
      const values = Array.isArray(value) ? value : [value];
      if (values.some((v) => !['string', 'boolean', 'number'].includes(typeof v))) throw bad('invalid-condition', `has condition ${operator} ${key} with a value that is not a string, number or boolean`);
      (out[operator] as Record<string, string[]>)[key] = values.map(String);
    }
  }
  return out;
}

/** `StringEquals aws:SourceVpc=vpc-1; Bool aws:MultiFactorAuthPresent=true`. */
export function describeCondition(condition: Condition): string {
  return Object.entries(condition)
    .flatMap(([operator, clauses]) => Object.entries(clauses).map(([key, values]) => `${operator} ${key}=${values.join('|')}`))
    .join('; ');
}

// ---- evaluation ----

/** What is asked: an action (or action pattern such as `s3:*`) on a resource (or pattern such as `*`). */
export interface Query {
  action: string;
  resource: string;
}

/** A statement that applies to a query. */
export interface StatementMatch {
  policy: PolicySource;
  index: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
  /** `full`: it applies to every action and resource the query names; `partial`: to some of them. */
  coverage: 'full' | 'partial';
  /** Set when the statement applies only under a condition Vigil cannot judge without a request. */
  condition?: Condition;
}

/**
 * `allowed`: an unconditional Allow covers the whole query and no Deny touches it.
 * `conditional`: allowed only if a condition holds (or unless a conditional Deny applies).
 * `partial`: allowed for some of the actions or resources asked about.
 * `denied`: an unconditional Deny covers the whole query. `not-allowed`: nothing allows it (implicit deny).
 */
export type Decision = 'allowed' | 'conditional' | 'partial' | 'denied' | 'not-allowed';

export interface Access {
  query: Query;
  decision: Decision;
  allows: StatementMatch[];
  denies: StatementMatch[];
  /** Set when a permissions boundary capped the decision. */
  cappedBy?: { boundary: PolicySource; decision: Decision };
}

type Coverage = 'full' | 'partial' | 'none';

function setCoverage(set: PatternSet, query: string, ignoreCase: boolean): Coverage {
  const contains = set.patterns.some((p) => patternContains(p, query, ignoreCase));
  const overlaps = contains || set.patterns.some((p) => patternsOverlap(p, query, ignoreCase));
  if (!set.not) return contains ? 'full' : overlaps ? 'partial' : 'none';
  // NotAction/NotResource: everything outside the patterns.
  return contains ? 'none' : overlaps ? 'partial' : 'full';
}

/**
 * Coverage already worked out, per statement and query. A managed policy's statements are parsed once
 * per account and shared by every identity holding it, and every identity is asked the same queries.
 */
const coverages = new WeakMap<Statement, Map<string, Coverage>>();

function statementCoverage(statement: Statement, query: Query): Coverage {
  let known = coverages.get(statement);
  if (!known) {
    known = new Map();
    coverages.set(statement, known);
  }
  const key = `${query.action}\u0000${query.resource}`;
  let coverage = known.get(key);
  if (coverage === undefined) {
    coverage = coverageOf(statement, query);
    known.set(key, coverage);
  }
  return coverage;
}

function coverageOf(statement: Statement, query: Query): Coverage {
  const action = setCoverage(statement.actions, query.action, true);
  if (action === 'none') return 'none';
  const resource = setCoverage(statement.resources, query.resource, false);
  if (resource === 'none') return 'none';
  return action === 'full' && resource === 'full' ? 'full' : 'partial';
}

/** Every statement of the policies that applies to the query, Allows and Denies. */
export function matchingStatements(policies: readonly Policy[], query: Query): StatementMatch[] {
  const out: StatementMatch[] = [];
  for (const policy of policies) {
    for (const statement of policy.statements) {
      const coverage = statementCoverage(statement, query);
      if (coverage === 'none') continue;
      out.push({ policy: policy.source, index: statement.index, sid: statement.sid, effect: statement.effect, coverage, condition: statement.condition });
    }
  }
  return out;
}

const RANK: Record<Decision, number> = { allowed: 3, conditional: 2, partial: 1, denied: 0, 'not-allowed': 0 };

function decide(allows: StatementMatch[], denies: StatementMatch[]): Decision {
  if (denies.some((d) => d.coverage === 'full' && !d.condition)) return 'denied';
  const full = allows.filter((a) => a.coverage === 'full');
  if (full.some((a) => !a.condition)) {
    if (denies.length === 0) return 'allowed';
    return denies.some((d) => d.coverage === 'full') ? 'conditional' : 'partial';
  }
  if (full.length > 0) return 'conditional';
  return allows.length > 0 ? 'partial' : 'not-allowed';
}

/**
 * Which statements allow and deny the query, and the decision. With a permissions boundary, the
 * identity gets at most what the boundary allows.
 */
export function evaluateAccess(policies: readonly Policy[], query: Query, boundary?: Policy): Access {
  const matches = matchingStatements(policies, query);
  const allows = matches.filter((m) => m.effect === 'Allow');
  const denies = matches.filter((m) => m.effect === 'Deny');
  const decision = decide(allows, denies);
  if (!boundary || RANK[decision] === 0) return { query, decision, allows, denies };
  const limit = matchingStatements([boundary], query);
  const capped = decide(limit.filter((m) => m.effect === 'Allow'), limit.filter((m) => m.effect === 'Deny'));
  if (RANK[capped] >= RANK[decision]) return { query, decision, allows, denies };
  return { query, decision: RANK[capped] === 0 ? 'not-allowed' : capped, allows, denies, cappedBy: { boundary: boundary.source, decision: capped } };
}

/** Whether the identity can do at least some of what the query names, possibly under a condition. */
export function holds(access: Access): boolean {
  return RANK[access.decision] > 0;
}

// ---- administrative power ----

/** A resource pattern that names every resource: `*`, or every resource of a service (`arn:aws:s3:::*`). */
export function isEveryResource(pattern: string): boolean {
  return pattern === '*' || /^arn:[^:]+:[^:]+:[^:]*:[^:]*:\*$/.test(pattern);
}

/** An Allow statement granting `*`, a whole service (`s3:*`) or everything but some actions (NotAction), on every resource. */
export interface BroadGrant {
  /** `*`, `s3:*`, or `* except iam:*, organizations:*`. */
  power: string;
  grant: StatementMatch;
  /** Denies that take part of the power away (a Deny that takes all of it removes the grant). */
  limitedBy: StatementMatch[];
}

function broadPowers(statement: Statement): Array<{ power: string; action: string }> {
  const everyResource = statement.resources.not || statement.resources.patterns.some(isEveryResource);
  if (statement.effect !== 'Allow' || !everyResource) return [];
  if (statement.actions.not) return [{ power: `* except ${statement.actions.patterns.join(', ')}`, action: '*' }];
  return statement.actions.patterns.filter((p) => p === '*' || /^[a-z0-9-]+:\*$/i.test(p)).map((p) => ({ power: p.toLowerCase(), action: p.toLowerCase() }));
}

/** Administrative power the policies grant and no Deny (or permissions boundary) wholly takes away. */
export function broadGrants(policies: readonly Policy[], boundary?: Policy): BroadGrant[] {
  const out: BroadGrant[] = [];
  for (const policy of policies) {
    for (const statement of policy.statements) {
      for (const { power, action } of broadPowers(statement)) {
        const query = { action, resource: '*' };
        const denies = matchingStatements(policies, query).filter((m) => m.effect === 'Deny');
        if (denies.some((d) => d.coverage === 'full' && !d.condition)) continue;
        if (boundary && !holds(evaluateAccess([boundary], query))) continue;
        const grant: StatementMatch = { policy: policy.source, index: statement.index, sid: statement.sid, effect: 'Allow', coverage: 'full', condition: statement.condition };
        out.push({ power, grant, limitedBy: denies });
      }
    }
  }
  return out;
}
