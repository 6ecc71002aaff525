/**
 * Bucket policies as far as the sandbox needs them: validating a PutBucketPolicy, deciding whether a
 * policy is public (GetBucketPolicyStatus, BlockPublicPolicy), and whether it grants or denies a caller
 * an action. Statements with conditions are never treated as grants or denies: the sandbox cannot
 * evaluate most condition keys, and a guessed grant would be worse than a missing one.
 */
import type { SandboxCredential } from '../world.js';
import type { Bucket } from './s3-store.js';
import { S3Error } from './s3-xml.js';

interface Statement {
  Effect?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  Condition?: unknown;
}

/** Condition keys that pin a wildcard principal down to known callers, per S3's definition of "public". */
const RESTRICTING_KEYS = new Set(
  [
    'aws:SourceIp', 'aws:SourceVpc', 'aws:SourceVpce', 'aws:SourceArn', 'aws:SourceAccount', 'aws:SourceOwner', 'aws:SourceOrgID',
    'aws:SourceOrgPaths', 'aws:PrincipalOrgID', 'aws:PrincipalOrgPaths', 'aws:PrincipalAccount', 'aws:PrincipalArn', 'aws:userid',
    's3:DataAccessPointArn', 's3:DataAccessPointAccount',
  ].map((k) => k.toLowerCase()),
);

function malformedPolicy(message: string): S3Error {
  return new S3Error('MalformedPolicy', message, 400);
}

/** Checks a policy document the way PutBucketPolicy does; returns its statements. */
export function policyStatements(text: string, bucketName: string): Statement[] {
  if (!text.trimStart().startsWith('{')) throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  }
  const statements = (document as { Statement?: unknown }).Statement;
  const list = Array.isArray(statements) ? statements : statements && typeof statements === 'object' ? [statements] : [];
  if (list.length === 0) throw malformedPolicy('Missing required field Statement');
  for (const statement of list as Statement[]) {
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') throw malformedPolicy('Invalid effect');
    if (statement.Principal === undefined && statement.NotPrincipal === undefined) throw malformedPolicy('Missing required field Principal');
    if (statement.Action === undefined && statement.NotAction === undefined) throw malformedPolicy('Missing required field Action');
    for (const resource of strings(statement.Resource)) {
      if (resource !== `arn:aws:s3:::${bucketName}` && !resource.startsWith(`arn:aws:s3:::${bucketName}/`)) {
        throw malformedPolicy('Policy has invalid resource');
      }
    }
  }
  return list as Statement[];
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function principals(statement: Statement): string[] {
  const principal = statement.Principal;
  if (principal === '*') return ['*'];
  if (principal && typeof principal === 'object') return strings((principal as { AWS?: unknown }).AWS);
  return [];
}

function restrictsPrincipals(condition: unknown): boolean {
  if (!condition || typeof condition !== 'object') return false;
  return Object.values(condition).some(
    (keys) => keys && typeof keys === 'object' && Object.keys(keys).some((key) => RESTRICTING_KEYS.has(key.toLowerCase())),
  );
}

/** S3's notion of a public policy: an Allow to every principal, not narrowed by a fixed-value condition. */
export function isPublicPolicy(text: string | undefined): boolean {
  if (text === undefined) return false;
  let statements: Statement[];
  try {
    const parsed = JSON.parse(text) as { Statement?: unknown };
    statements = (Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement]) as Statement[];
  } catch {
    return false;
  }
  return statements.some((s) => s && s.Effect === 'Allow' && principals(s).includes('*') && !restrictsPrincipals(s.Condition));
}

/** IAM-style wildcard match (`s3:Get*`, `arn:aws:s3:::bucket/reports/*`), case-insensitive like actions. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = true): boolean {
  const source = pattern.split('*').map((part) => part.split('?').map((p) => p.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('.')).join('.*');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/** Whether the caller's own identity policies (the sandbox's `denyActions`) refuse an action. */
export function identityDenies(credential: SandboxCredential, action: string): boolean {
  return credential.denyActions.some((pattern) => wildcardMatch(pattern, action));
}

export interface Caller {
  accountId: string;
  /** The caller's ARN and, for a role session, the role's own ARN (which policies name). */
  principalArns: string[];
}

/** `arn:aws:sts::1:assumed-role/Name/session` -> `arn:aws:iam::1:role/Name`, as policies name roles. */
export function callerOf(credential: SandboxCredential): Caller {
  const session = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(credential.principalArn);
  const arns = session ? [credential.principalArn, `arn:aws:iam::${session[1]}:role/${session[2]}`] : [credential.principalArn];
  return { accountId: credential.accountId, principalArns: arns };
}

function principalMatches(statement: Statement, caller: Caller): boolean {
  return principals(statement).some(
    (p) => p === '*' || p === caller.accountId || p === `arn:aws:iam::${caller.accountId}:root` || caller.principalArns.some((arn) => wildcardMatch(p, arn, false)),
  );
}

function statementMatches(statement: Statement, caller: Caller, action: string, resource: string): boolean {
  if (statement.Condition !== undefined || statement.NotPrincipal !== undefined || statement.NotAction !== undefined) return false;
  return (
    principalMatches(statement, caller) &&
    strings(statement.Action).some((a) => wildcardMatch(a, action)) &&
    strings(statement.Resource).some((r) => wildcardMatch(r, resource, false))
  );
}

/**
 * What the bucket policy says about a caller doing `action` on `resource`: an explicit deny binds
 * everyone (the owner too); an allow matters for other accounts. RestrictPublicBuckets makes a public
 * policy grant nothing to other accounts.
 */
export function policyDecision(bucket: Bucket, caller: Caller, action: string, resource: string): 'allow' | 'deny' | 'none' {
  if (bucket.policy === undefined) return 'none';
  let statements: Statement[];
  try {
    statements = policyStatements(bucket.policy, bucket.name);
  } catch {
    return 'none';
  }
  const matching = statements.filter((s) => statementMatches(s, caller, action, resource));
  if (matching.some((s) => s.Effect === 'Deny')) return 'deny';
  const restrictPublic = bucket.publicAccessBlock?.RestrictPublicBuckets === true;
  const allows = matching.filter((s) => s.Effect === 'Allow' && !(restrictPublic && principals(s).includes('*')));
  return allows.length > 0 ? 'allow' : 'none';
}
