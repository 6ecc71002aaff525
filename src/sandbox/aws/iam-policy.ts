/**
 * Policy documents as IAM keeps them: text (the JSON as submitted, URL-encoded on the wire), checked
 * the way IAM checks a PutUserPolicy or CreatePolicy, and trust policies evaluated for STS AssumeRole.
 */
import type { SandboxCredential } from '../world.js';
import type { PolicyDocumentScenario } from './iam-scenario.js';

/** Objects are stored the way the console saves them (indented); raw scenario text is kept as planted. */
export function documentText(document: PolicyDocumentScenario): string {
  return typeof document === 'string' ? document : JSON.stringify(document, null, 4);
}

/** IAM returns every policy document URL-encoded (RFC 3986), which `decodeURIComponent` undoes. */
export function encodeDocument(text: string): string {
  return encodeURIComponent(text);
}

/** The generated trust policy for a scenario role: its trusted accounts, with an external id condition. */
export function trustPolicyFor(trustedAccounts: string[], externalId: string | undefined): Record<string, unknown> {
  // A role that trusts no account is an EC2 instance role: no sandbox credential can assume it.
  if (trustedAccounts.length === 0) {
    return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  }
  const principals = trustedAccounts.map((a) => (a === '*' ? '*' : `arn:aws:iam::${a}:root`));
  const statement: Record<string, unknown> = {
    Effect: 'Allow',
    Principal: { AWS: principals.length === 1 ? principals[0] : principals },
    Action: 'sts:AssumeRole',
  };
  if (externalId !== undefined) statement['Condition'] = { StringEquals: { 'sts:ExternalId': externalId } };
  return { Version: '2012-10-17', Statement: [statement] };
}

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Condition?: unknown;
}

const CONDITION_OPERATORS = new Set(
  [
    'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
    'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
    'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
    'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike',
  ].map((o) => o.toLowerCase()),
);

/** `ForAnyValue:StringLikeIfExists` -> `stringlike`; `Null` has neither a set prefix nor IfExists. */
function baseOperator(operator: string): string | undefined {
  if (operator === 'Null') return 'null';
  const bare = operator.replace(/^(ForAllValues|ForAnyValue):/, '').replace(/IfExists$/, '').toLowerCase();
  return CONDITION_OPERATORS.has(bare) ? bare : undefined;
}

/** Why IAM would refuse the document with MalformedPolicyDocument, or undefined when it is acceptable. */
export function policyDocumentProblem(text: string, kind: 'identity' | 'trust'): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'Syntax errors in policy.';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'Syntax errors in policy.';
  const { Version, Statement } = doc as { Version?: unknown; Statement?: unknown };
  if (Version !== undefined && Version !== '2012-10-17' && Version !== '2008-10-17') return 'The policy failed legacy parsing';
  if (Statement === undefined) return 'Missing required field Statement';
  const statements = Array.isArray(Statement) ? Statement : [Statement];
  for (const statement of statements as Statement[]) {
    const problem = statementProblem(statement, kind);
    if (problem) return problem;
  }
  return undefined;
}

function statementProblem(statement: Statement, kind: 'identity' | 'trust'): string | undefined {
  if (typeof statement !== 'object' || statement === null) return 'Syntax errors in policy.';
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') return statement.Effect === undefined ? 'Missing required field Effect' : 'Invalid effect: ' + String(statement.Effect);
  const actions = statement.Action ?? statement.NotAction;
  if (actions === undefined) return 'Policy statement must contain actions.';
  for (const action of strings(actions)) {
    if (action !== '*' && !/^[a-z0-9-]+:[\w*?]+$/i.test(action)) return 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.';
  }
  if (kind === 'identity') {
    if (statement.Principal !== undefined || statement.NotPrincipal !== undefined) return 'Policy document should not specify a principal.';
    if (statement.Resource === undefined && statement.NotResource === undefined) return 'Policy statement must contain resources.';
  } else if (statement.Principal === undefined && statement.NotPrincipal === undefined) {
    return 'AssumeRolepolicy contained an invalid principal: Principal is required.';
  }
  if (statement.Condition !== undefined) {
    if (typeof statement.Condition !== 'object' || statement.Condition === null) return 'Syntax errors in policy.';
    for (const operator of Object.keys(statement.Condition)) {
      if (!baseOperator(operator)) return `Invalid Condition type : ${operator}`;
    }
  }
  return undefined;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Service namespaces a document names in Action (`iam:PassRole` -> `iam`); `*` names none. */
export function actionNamespaces(text: string): string[] {
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(text) as { Statement?: unknown };
  } catch {
    return [];
  }
  const statements = Array.isArray(doc?.Statement) ? (doc.Statement as Statement[]) : doc?.Statement ? [doc.Statement as Statement] : [];
  const namespaces = new Set<string>();
  for (const statement of statements) {
    if (statement?.Effect !== 'Allow') continue;
    for (const action of strings(statement.Action)) {
      const prefix = action.split(':')[0] as string;
      if (action.includes(':') && !prefix.includes('*')) namespaces.add(prefix.toLowerCase());
    }
  }
  return [...namespaces];
}

export function wildcardMatches(pattern: string, value: string, ignoreCase = true): boolean {
  const source = pattern.split('*').map((part) => part.split('?').map(escapeRegExp).join('.')).join('.*');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/**
 * Why the trust policy refuses this caller for sts:AssumeRole, or undefined when a statement allows it
 * and none denies it. Conditions the sandbox cannot evaluate make their statement not apply.
 */
export function trustPolicyDenial(text: string, caller: SandboxCredential, externalId: string | undefined): string | undefined {
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(text) as { Statement?: unknown };
  } catch {
    return 'the trust policy is not valid JSON';
  }
  const statements = (Array.isArray(doc?.Statement) ? doc.Statement : [doc?.Statement]) as Statement[];
  const context: Record<string, string | undefined> = {
    'sts:externalid': externalId,
    'aws:principalaccount': caller.accountId,
    'aws:principalarn': principalArnFor(caller),
    'aws:principaltype': caller.principalType === 'assumed-role' ? 'AssumedRole' : caller.principalType === 'root' ? 'Account' : 'User',
  };
  const applies = (s: Statement) =>
    typeof s === 'object' && s !== null &&
    strings(s.Action).some((a) => wildcardMatches(a, 'sts:AssumeRole')) &&
    principalMatches(s.Principal, caller) &&
    conditionsHold(s.Condition, context);
  if (statements.some((s) => s?.Effect === 'Deny' && applies(s))) return 'an explicit deny in the trust policy';
  if (statements.some((s) => s?.Effect === 'Allow' && applies(s))) return undefined;
  return externalId === undefined && text.includes('sts:ExternalId') ? 'external id does not match' : 'the trust policy does not allow the caller';
}

/** The identity ARN a trust policy names: a session's role, not the session. */
function principalArnFor(caller: SandboxCredential): string {
  if (caller.principalType !== 'assumed-role') return caller.principalArn;
  const roleName = caller.principalName.split('/')[0] as string;
  return `arn:aws:iam::${caller.accountId}:role/${roleName}`;
}

function principalMatches(principal: unknown, caller: SandboxCredential): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const callerArn = principalArnFor(caller);
  return strings((principal as { AWS?: unknown }).AWS).some((entry) => {
    if (entry === '*' || entry === caller.accountId || entry === `arn:aws:iam::${caller.accountId}:root`) return true;
    if (entry === callerArn) return true;
    // A role ARN in a trust policy may carry a path the session ARN does not show.
    const role = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(entry);
    return role !== null && caller.principalType === 'assumed-role' && callerArn === `arn:aws:iam::${role[1]}:role/${role[2]}`;
  });
}

function conditionsHold(condition: unknown, context: Record<string, string | undefined>): boolean {
  if (condition === undefined) return true;
  if (typeof condition !== 'object' || condition === null) return false;
  return Object.entries(condition as Record<string, unknown>).every(([operator, clauses]) => {
    if (typeof clauses !== 'object' || clauses === null) return false;
    return Object.entries(clauses as Record<string, unknown>).every(([key, expected]) =>
      conditionHolds(operator, context[key.toLowerCase()], strings(expected)),
    );
  });
}

function conditionHolds(operator: string, actual: string | undefined, expected: string[]): boolean {
  const base = baseOperator(operator);
  if (base === 'null') return (actual === undefined) === (expected[0] === 'true');
  if (actual === undefined) return operator.endsWith('IfExists');
  switch (base) {
    case 'stringequals':
    case 'arnequals':
      return expected.includes(actual);
    case 'stringnotequals':
    case 'arnnotequals':
      return !expected.includes(actual);
    case 'stringequalsignorecase':
      return expected.some((e) => e.toLowerCase() === actual.toLowerCase());
    case 'stringlike':
    case 'arnlike':
      return expected.some((e) => wildcardMatches(e, actual, false));
    case 'stringnotlike':
    case 'arnnotlike':
      return !expected.some((e) => wildcardMatches(e, actual, false));
    case 'bool':
      return expected.includes(actual);
    default:
      return false;
  }
}
