import { describe, expect, it } from 'vitest';
import { ESCALATION_PATHS, escalationPaths } from '../../../src/checks/iam/escalation.js';
import { patternContains, patternsOverlap } from '../../../src/checks/iam/patterns.js';
import {
  broadGrants,
  evaluateAccess,
  parsePolicy,
  type Decision,
  type Policy,
  type PolicyProblemKind,
  type PolicySource,
  type Query,
} from '../../../src/checks/iam/policy.js';

const INLINE: PolicySource = { name: 'p', type: 'inline' };

/** Parses documents as policies named p1, p2, ...; a test fails loudly if one does not parse. */
function policies(...docs: unknown[]): Policy[] {
  return docs.map((doc, i) => {
    const parsed = parsePolicy({ name: `p${i + 1}`, type: 'inline' }, typeof doc === 'string' ? doc : JSON.stringify(doc));
    if (!parsed.ok) throw new Error(`test policy p${i + 1} does not parse: ${parsed.problem.detail}`);
    return parsed.policy;
  });
}

const allow = (Action: unknown, Resource: unknown = '*', extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Action, Resource, ...extra });
const deny = (Action: unknown, Resource: unknown = '*', extra: Record<string, unknown> = {}) => ({ Effect: 'Deny', Action, Resource, ...extra });
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

/** `p1#0` for policy p1, statement index 0. */
const label = (m: { policy: PolicySource; index: number }) => `${m.policy.name}#${m.index}`;

describe('wildcard patterns', () => {
  it.each([
    // [outer, inner, ignoreCase, contains, overlaps]
    ['*', 'iam:PassRole', true, true, true],
    ['iam:*', 'IAM:passrole', true, true, true],
    ['iam:Create*', 'iam:CreatePolicyVersion', true, true, true],
    ['iam:Create*', 'iam:*', true, false, true],
    ['iam:*', 'iam:Create*', true, true, true],
    ['s3:Get*Object', 's3:GetObject', true, true, true],
    ['s3:Get*Object', 's3:GetBucketObject', true, true, true],
    ['s3:Get*Object', 's3:GetObjectAcl', true, false, false],
    ['s3:Get?bject', 's3:GetObject', true, true, true],
    ['s3:Get?bject', 's3:Get*', true, false, true],
    ['ec2:*', 's3:*', true, false, false],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b/*', false, true, true],
    ['arn:aws:s3:::b/reports/*', 'arn:aws:s3:::b/*', false, false, true],
    ['arn:aws:s3:::B/*', 'arn:aws:s3:::b/*', false, false, false],
    ['arn:aws:s3:::b/home/${aws:username}/*', 'arn:aws:s3:::b/home/bob/x', false, false, true],
  ])('%s against %s (ignore case %s): contains %s, overlaps %s', (outer, inner, ignoreCase, contains, overlaps) => {
    expect([patternContains(outer, inner, ignoreCase), patternsOverlap(outer, inner, ignoreCase)]).toEqual([contains, overlaps]);
  });
});

interface AccessCase {
  name: string;
  docs: unknown[];
  query: Query;
  decision: Decision;
  allows?: string[];
  denies?: string[];
}

const CASES: AccessCase[] = [
  { name: 'exact action on any resource', docs: [doc(allow('s3:GetObject'))], query: { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' }, decision: 'allowed', allows: ['p1#0'] },
  { name: 'action names compare case-insensitively', docs: [doc(allow('S3:getobject'))], query: { action: 's3:GetObject', resource: '*' }, decision: 'allowed', allows: ['p1#0'] },
  { name: 'a single statement, not a list', docs: [{ Version: '2012-10-17', Statement: allow('s3:GetObject') }], query: { action: 's3:GetObject', resource: '*' }, decision: 'allowed', allows: ['p1#0'] },
  { name: 'nothing allows it', docs: [doc(allow('s3:GetObject'))], query: { action: 's3:DeleteObject', resource: '*' }, decision: 'not-allowed' },
  { name: 'wildcard inside the action', docs: [doc(allow('iam:Create*'))], query: { action: 'iam:CreatePolicyVersion', resource: '*' }, decision: 'allowed', allows: ['p1#0'] },
  { name: 'wildcard in the middle of the action', docs: [doc(allow('s3:Get*Object'))], query: { action: 's3:GetObject', resource: '*' }, decision: 'allowed', allows: ['p1#0'] },
  { name: 'a service wildcard asked about a whole service', docs: [doc(allow('iam:Create*'))], query: { action: 'iam:*', resource: '*' }, decision: 'partial', allows: ['p1#0'] },
  { name: 'star allows everything', docs: [doc(allow('*'))], query: { action: 'iam:*', resource: '*' }, decision: 'allowed', allows: ['p1#0'] },
  { name: 'NotAction allows what it does not name', docs: [doc({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' })], query: { action: 'ec2:RunInstances', resource: '*' }, decision: 'allowed', allows: ['p1#0'] },
  { name: 'NotAction does not allow what it names', docs: [doc({ Effect: 'Allow', NotAction: ['iam:*'], Resource: '*' })], query: { action: 'iam:PassRole', resource: '*' }, decision: 'not-allowed' },
  { name: 'NotAction with a wildcard inside', docs: [doc({ Effect: 'Allow', NotAction: 's3:Delete*', Resource: '*' })], query: { action: 's3:DeleteObjectVersion', resource: '*' }, decision: 'not-allowed' },
  { name: 'resource outside the statement', docs: [doc(allow('s3:GetObject', 'arn:aws:s3:::other/*'))], query: { action: 's3:GetObject', resource: 'arn:aws:s3:::backups/*' }, decision: 'not-allowed' },
  { name: 'resource names compare case-sensitively', docs: [doc(allow('s3:GetObject', 'arn:aws:s3:::Backups/*'))], query: { action: 's3:GetObject', resource: 'arn:aws:s3:::backups/*' }, decision: 'not-allowed' },
  { name: 'a grant on part of a bucket', docs: [doc(allow('s3:GetObject', 'arn:aws:s3:::backups/reports/*'))], query: { action: 's3:GetObject', resource: 'arn:aws:s3:::backups/*' }, decision: 'partial', allows: ['p1#0'] },
  { name: 'NotResource allows every other resource', docs: [doc({ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::secret/*' })], query: { action: 's3:GetObject', resource: 'arn:aws:s3:::backups/*' }, decision: 'allowed', allows: ['p1#0'] },
  { name: 'NotResource excludes what it names', docs: [doc({ Effect: 'Allow', Action: 's3:GetObject', NotResource: ['arn:aws:s3:::backups/*'] })], query: { action: 's3:GetObject', resource: 'arn:aws:s3:::backups/*' }, decision: 'not-allowed' },
  { name: 'NotResource asked about every resource', docs: [doc({ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::secret/*' })], query: { action: 's3:GetObject', resource: '*' }, decision: 'partial', allows: ['p1#0'] },
  { name: 'an explicit Deny overrides an Allow', docs: [doc(allow('*')), doc(deny('rds:DeleteDBSnapshot'))], query: { action: 'rds:DeleteDBSnapshot', resource: '*' }, decision: 'denied', allows: ['p1#0'], denies: ['p2#0'] },
  { name: 'a Deny with a wildcard inside', docs: [doc(allow('s3:*'), deny('s3:DeleteObject*'))], query: { action: 's3:DeleteObjectVersion', resource: 'arn:aws:s3:::b/*' }, decision: 'denied', allows: ['p1#0'], denies: ['p1#1'] },
  { name: 'a Deny on part of the resources leaves the rest', docs: [doc(allow('s3:GetObject'), deny('s3:GetObject', 'arn:aws:s3:::b/secret/*'))], query: { action: 's3:GetObject', resource: 'arn:aws:s3:::b/*' }, decision: 'partial', allows: ['p1#0'], denies: ['p1#1'] },
  { name: 'a Deny of other actions does not touch it', docs: [doc(allow('s3:*'), deny('s3:DeleteObject'))], query: { action: 's3:GetObject', resource: '*' }, decision: 'allowed', allows: ['p1#0'] },
  { name: 'a NotAction Deny denies all but what it names', docs: [doc(allow('*'), { Effect: 'Deny', NotAction: 'iam:Get*', Resource: '*' })], query: { action: 'ec2:RunInstances', resource: '*' }, decision: 'denied', allows: ['p1#0'], denies: ['p1#1'] },
  {
    name: 'an Allow under a condition is conditional',
    docs: [doc(allow('s3:GetObject', '*', { Condition: { Bool: { 'aws:MultiFactorAuthPresent': true } } }))],
    query: { action: 's3:GetObject', resource: '*' },
    decision: 'conditional',
    allows: ['p1#0'],
  },
  {
    name: 'a Deny under a condition makes the Allow conditional, not denied',
    docs: [doc(allow('s3:*'), deny('s3:GetObject', '*', { Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }))],
    query: { action: 's3:GetObject', resource: '*' },
    decision: 'conditional',
    allows: ['p1#0'],
    denies: ['p1#1'],
  },
  {
    name: 'an unconditional Allow wins over a conditional one',
    docs: [doc(allow('s3:GetObject', '*', { Condition: { StringEquals: { 'aws:SourceVpc': 'vpc-1' } } }), allow('s3:Get*'))],
    query: { action: 's3:GetObject', resource: '*' },
    decision: 'allowed',
    allows: ['p1#0', 'p1#1'],
  },
  { name: 'statements across several policies', docs: [doc(allow('ec2:RunInstances')), doc(allow('iam:PassRole'))], query: { action: 'iam:PassRole', resource: '*' }, decision: 'allowed', allows: ['p2#0'] },
];

describe('evaluateAccess', () => {
  it.each(CASES)('$name', (c) => {
    const access = evaluateAccess(policies(...c.docs), c.query);

    expect({ decision: access.decision, allows: access.allows.map(label), denies: access.denies.map(label) }).toEqual({ decision: c.decision, allows: c.allows ?? [], denies: c.denies ?? [] });
  });

  it('reports the Sid, the condition and the policy of each matching statement', () => {
    const [policy] = policies(doc(allow('s3:GetObject', '*', { Sid: 'ReadInVpc', Condition: { StringEquals: { 'aws:SourceVpc': ['vpc-1', 'vpc-2'] } } })));

    const access = evaluateAccess([policy as Policy], { action: 's3:GetObject', resource: '*' });

    expect(access.allows).toEqual([
      { policy: { name: 'p1', type: 'inline' }, index: 0, sid: 'ReadInVpc', effect: 'Allow', coverage: 'full', condition: { StringEquals: { 'aws:SourceVpc': ['vpc-1', 'vpc-2'] } } },
    ]);
  });

  it('caps what the policies allow at the permissions boundary', () => {
    const [granted, boundary] = policies(doc(allow('*')), doc(allow(['s3:*', 'ec2:Describe*'])));

    const inside = evaluateAccess([granted as Policy], { action: 's3:GetObject', resource: '*' }, boundary);
    const outside = evaluateAccess([granted as Policy], { action: 'iam:PassRole', resource: '*' }, boundary);

    expect([inside.decision, outside.decision, outside.cappedBy?.decision]).toEqual(['allowed', 'not-allowed', 'not-allowed']);
  });
});

interface ProblemCase {
  name: string;
  text: string | undefined;
  kind: PolicyProblemKind;
  detail: string | RegExp;
}

const PROBLEMS: ProblemCase[] = [
  { name: 'not JSON', text: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",}]', kind: 'invalid-json', detail: /^it is not valid JSON: / },
  { name: 'unreadable', text: undefined, kind: 'unreadable', detail: 'its document could not be read' },
  { name: 'not an object', text: '[1, 2]', kind: 'invalid-structure', detail: 'the document is not a JSON object' },
  { name: 'no Statement', text: '{"Version": "2012-10-17"}', kind: 'invalid-structure', detail: 'it has no Statement' },
  { name: 'an unknown version', text: JSON.stringify({ Version: '2020-01-01', Statement: [] }), kind: 'unsupported-version', detail: 'Version "2020-01-01" is not 2012-10-17 or 2008-10-17' },
  { name: 'missing Effect', text: JSON.stringify(doc({ Action: 's3:*', Resource: '*' })), kind: 'missing-effect', detail: 'statement #1 has no Effect' },
  { name: 'an Effect IAM does not have', text: JSON.stringify(doc(allow('s3:*'), { Effect: 'allow', Action: 's3:*', Resource: '*' })), kind: 'invalid-effect', detail: 'statement #2 has Effect "allow", not Allow or Deny' },
  { name: 'no Action', text: JSON.stringify(doc({ Effect: 'Allow', Resource: '*' })), kind: 'missing-action', detail: 'statement #1 has neither Action nor NotAction' },
  { name: 'Action and NotAction together', text: JSON.stringify(doc({ Effect: 'Allow', Action: 's3:*', NotAction: 'iam:*', Resource: '*' })), kind: 'conflicting-elements', detail: 'statement #1 has both Action and NotAction' },
  { name: 'an action without a service', text: JSON.stringify(doc(allow('GetObject'))), kind: 'invalid-action', detail: 'statement #1 has action "GetObject", which is not * or service:action' },
  { name: 'no Resource', text: JSON.stringify(doc({ Effect: 'Allow', Action: 's3:*' })), kind: 'missing-resource', detail: 'statement #1 has neither Resource nor NotResource' },
  { name: 'a Principal in an identity policy', text: JSON.stringify(doc(allow('s3:*', '*', { Principal: '*' }))), kind: 'principal-in-identity-policy', detail: 'statement #1 names a Principal, which identity policies cannot' },
  {
    name: 'an unknown condition operator',
    text: JSON.stringify(doc(allow('s3:GetObject', '*', { Condition: { StringEqualsAnyCase: { 'aws:SourceVpc': 'vpc-1' } } }))),
    kind: 'unknown-condition-operator',
    detail: 'statement #1 uses condition operator StringEqualsAnyCase, which IAM does not have',
  },
  { name: 'a condition that is not an object', text: JSON.stringify(doc(allow('s3:GetObject', '*', { Condition: 'yes' }))), kind: 'invalid-condition', detail: 'statement #1 has a Condition that is not an object' },
];

describe('parsePolicy', () => {
  it.each(PROBLEMS)('refuses a document with $name', (c) => {
    const parsed = parsePolicy(INLINE, c.text);

    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problem.kind).toBe(c.kind);
    expect(parsed.problem.source).toEqual(INLINE);
    if (typeof c.detail === 'string') expect(parsed.problem.detail).toBe(c.detail);
    else expect(parsed.problem.detail).toMatch(c.detail);
  });

  it.each([
    ['ForAnyValue:StringLike', { 'aws:TagKeys': ['env*'] }],
    ['StringEqualsIfExists', { 'aws:RequestTag/env': 'prod' }],
    ['Null', { 'aws:TokenIssueTime': 'true' }],
    ['ForAllValues:ArnLikeIfExists', { 'aws:SourceArn': 'arn:aws:*' }],
    ['NumericLessThanEquals', { 'aws:MultiFactorAuthAge': 3600 }],
  ])('accepts the condition operator %s', (operator, clause) => {
    expect(parsePolicy(INLINE, JSON.stringify(doc(allow('s3:*', '*', { Condition: { [operator]: clause } })))).ok).toBe(true);
  });
});

describe('broadGrants (administrative power)', () => {
  const powers = (...docs: unknown[]) => broadGrants(policies(...docs)).map((g) => [g.power, label(g.grant), g.limitedBy.map(label)]);

  it.each([
    ['* on *', [doc(allow('*'))], [['*', 'p1#0', []]]],
    ['a service wildcard on *', [doc(allow('s3:*'))], [['s3:*', 'p1#0', []]]],
    ['a service wildcard on every resource of the service', [doc(allow('iam:*', 'arn:aws:iam::*:*'))], [['iam:*', 'p1#0', []]]],
    ['NotAction on *', [doc({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' })], [['* except iam:*, organizations:*', 'p1#0', []]]],
    ['NotResource is every other resource', [doc({ Effect: 'Allow', Action: '*', NotResource: 'arn:aws:s3:::secret/*' })], [['*', 'p1#0', []]]],
    ['a wildcard inside an action is not a whole service', [doc(allow('iam:Create*'))], []],
    ['a whole service on some resources only', [doc(allow('s3:*', 'arn:aws:s3:::b/*'))], []],
    ['a Deny that takes all of it away', [doc(allow('s3:*'), deny('s3:*'))], []],
    ['a Deny that takes part of it away', [doc(allow('s3:*'), deny('s3:DeleteObject*'))], [['s3:*', 'p1#0', ['p1#1']]]],
    ['a Deny of everything only without MFA', [doc(allow('*'), deny('*', '*', { Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } }))], [['*', 'p1#0', ['p1#1']]]],
  ])('%s', (_name, docs, expected) => {
    expect(powers(...docs)).toEqual(expected);
  });

  it('keeps a conditional grant, with its condition', () => {
    const [grant] = broadGrants(policies(doc(allow('*', '*', { Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }))));

    expect(grant?.grant.condition).toEqual({ Bool: { 'aws:MultiFactorAuthPresent': ['true'] } });
  });

  it('drops what the permissions boundary does not allow', () => {
    const [granted, boundary] = policies(doc(allow(['s3:*', 'iam:*'])), doc(allow('s3:*')));

    expect(broadGrants([granted as Policy], boundary).map((g) => g.power)).toEqual(['s3:*']);
  });
});

describe('escalationPaths', () => {
  const paths = (...docs: unknown[]) => escalationPaths(policies(...docs)).map((f) => f.path.id);

  it('finds PassRole with compute only when both actions are allowed', () => {
    expect(paths(doc(allow(['iam:PassRole', 'ec2:RunInstances', 'lambda:CreateFunction'])))).toEqual(['passrole-ec2']);
    expect(paths(doc(allow(['ec2:RunInstances', 'lambda:CreateFunction', 'lambda:InvokeFunction'])))).toEqual([]);
  });

  it('finds IAM writes through a wildcard inside the action', () => {
    expect(paths(doc(allow('iam:Create*')))).toEqual(['create-policy-version', 'create-access-key', 'create-login-profile']);
  });

  it('finds paths through NotAction, and not the ones a Deny takes away', () => {
    const found = paths(doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }, allow('iam:PassRole'), deny('ec2:RunInstances')));

    expect(found).toContain('passrole-lambda-invoke');
    expect(found).not.toContain('passrole-ec2');
    expect(found).not.toContain('create-policy-version');
  });

  it('marks a path whose action is allowed only under a condition', () => {
    const [finding] = escalationPaths(policies(doc(allow('iam:AttachUserPolicy', '*', { Condition: { StringEquals: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/ReadOnlyAccess' } } }))));

    expect([finding?.path.id, finding?.conditional]).toEqual(['attach-user-policy', true]);
  });

  it('gives an administrator every path in the catalogue', () => {
    expect(paths(doc(allow('*')))).toEqual(ESCALATION_PATHS.map((p) => p.id));
  });
});
