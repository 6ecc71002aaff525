import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import {
  DEFAULT_RULES,
  classifyAnswers,
  classifySignal,
  parseRulesFile,
  parseSeverity,
  routeSignal,
  type SeverityAnswers,
} from '../../src/incidents/classify.js';
import type { Incident, IncidentState } from '../../src/incidents/types.js';
import { opened, signal } from './fixtures.js';

function problemsOf(fn: () => unknown): Array<{ path: string; line?: number; message: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => ({ path: p.path, line: p.line, message: p.message }));
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('classifySignal with the default rules', () => {
  it.each([
    { kind: 'drill-failed', payload: { target: 'orders-db' }, severity: 'sev2', ruleId: 'drill-failed' },
    { kind: 'check-failed', payload: { checkId: 'rds-backup-retention', severity: 'critical' }, severity: 'sev3', ruleId: 'check-failed-critical' },
    { kind: 'check-failed', payload: { checkId: 'iam-user-console-mfa', severity: 'high' }, severity: 'sev4', ruleId: 'check-failed-high' },
    { kind: 'check-failed', payload: { checkId: 'ebs-volume-encrypted', severity: 'medium' }, severity: 'sev4', ruleId: 'check-failed' },
    { kind: 'check-failed', payload: {}, severity: 'sev4', ruleId: 'check-failed' },
    { kind: 'guardduty-finding', payload: { severity: 9.2, severityLabel: 'critical' }, severity: 'sev1', ruleId: 'guardduty-critical' },
    { kind: 'guardduty-finding', payload: { severity: 9 }, severity: 'sev1', ruleId: 'guardduty-critical' },
    { kind: 'guardduty-finding', payload: { severity: 7.5 }, severity: 'sev2', ruleId: 'guardduty-high' },
    { kind: 'guardduty-finding', payload: { severity: 5 }, severity: 'sev4', ruleId: null },
    { kind: 'guardduty-finding', payload: { severity: '9.5' }, severity: 'sev4', ruleId: null },
    { kind: 'cloudtrail-event', payload: { categories: ['root-activity'] }, severity: 'sev2', ruleId: 'cloudtrail-root-use' },
    { kind: 'cloudtrail-event', payload: { categories: ['iam-policy-change'] }, severity: 'sev3', ruleId: 'cloudtrail-event-of-concern' },
    { kind: 'probe-failed', payload: { status: 'down', url: 'https://example.com' }, severity: 'sev1', ruleId: 'probe-site-down' },
    { kind: 'probe-failed', payload: { status: 'slow' }, severity: 'sev4', ruleId: null },
    { kind: 'something-new', payload: {}, severity: 'sev4', ruleId: null },
  ])('$kind $payload -> $severity ($ruleId)', ({ kind, payload, severity, ruleId }) => {
    const result = classifySignal(signal(kind, payload), DEFAULT_RULES);

    expect({ severity: result.severity, ruleId: result.ruleId }).toEqual({ severity, ruleId });
    expect(result.explanation).toContain(kind);
  });

  it('explains which facts matched', () => {
    const result = classifySignal(signal('guardduty-finding', { severity: 7.5 }), DEFAULT_RULES);

    expect(result.explanation).toBe('Rule guardduty-high matched guardduty-finding signal (severity = 7.5): GuardDuty reports a high finding (severity 7.0 or more).');
  });
});

describe('a rules file', () => {
  it('matches nested fields, ranges, lists and presence', () => {
    const rules = parseRulesFile(
      [
        'rules:',
        '  - id: mid',
        '    kind: k',
        '    where: [{ field: finding.score, gte: 4, lt: 7 }, { field: region, in: [eu-west-1, us-east-1] }, { field: ticket, exists: false }]',
        '    severity: sev3',
        '    reason: Medium.',
        'fallback: { severity: sev4, reason: Nothing else. }',
      ].join('\n'),
      'rules.yaml',
    );

    expect(classifySignal(signal('k', { finding: { score: 5 }, region: 'us-east-1' }), rules).ruleId).toBe('mid');
    expect(classifySignal(signal('k', { finding: { score: 7 }, region: 'us-east-1' }), rules).ruleId).toBeNull();
    expect(classifySignal(signal('k', { finding: { score: 5 }, region: 'ap-south-1' }), rules).ruleId).toBeNull();
    expect(classifySignal(signal('k', { finding: { score: 5 }, region: 'us-east-1', ticket: 'T-1' }), rules).ruleId).toBeNull();
  });

  it.each([
    {
      name: 'an unknown field, with a suggestion',
      text: 'rules:\n  - id: a\n    kind: k\n    sevrity: sev2\n    reason: r\nfallback: { severity: sev4, reason: r }\n',
      want: [
        // core/input.ts words a missing enum as its choices, which still tells the reader what to write.
        { path: 'rules[0].severity', line: 2, message: expect.stringContaining('"sev1"') },
        { path: 'rules[0].sevrity', line: 4, message: 'unknown field; did you mean "severity"?' },
      ],
    },
    {
      name: 'filter instead of where (Custodian #9153)',
      text: 'rules:\n  - id: a\n    kind: k\n    filter: [{ field: x, equals: 1 }]\n    severity: sev2\n    reason: r\nfallback: { severity: sev4, reason: r }\n',
      want: [{ path: 'rules[0].filter', line: 4, message: expect.stringContaining('unknown field') }],
    },
    {
      name: 'an unknown severity',
      text: 'rules:\n  - id: a\n    kind: k\n    severity: sev5\n    reason: r\nfallback: { severity: sev4, reason: r }\n',
      want: [{ path: 'rules[0].severity', line: 4, message: expect.stringContaining('sev1') }],
    },
    {
      name: 'a condition without an operator',
      text: 'rules:\n  - id: a\n    kind: k\n    where:\n      - field: x\n    severity: sev2\n    reason: r\nfallback: { severity: sev4, reason: r }\n',
      want: [{ path: 'rules[0].where[0]', line: 5, message: expect.stringContaining('at least one of: equals') }],
    },
    {
      name: 'a duplicate rule id',
      text: 'rules:\n  - { id: a, kind: k, severity: sev2, reason: r }\n  - { id: a, kind: j, severity: sev3, reason: r }\nfallback: { severity: sev4, reason: r }\n',
      want: [{ path: 'rules[1].id', line: 3, message: 'duplicate rule id "a"' }],
    },
    {
      name: 'a missing fallback',
      text: 'rules:\n  - { id: a, kind: k, severity: sev2, reason: r }\n',
      want: [{ path: 'fallback', line: 1, message: expect.stringContaining('required field is missing') }],
    },
  ])('reports $name with its field and line', ({ text, want }) => {
    const problems = problemsOf(() => parseRulesFile(text, 'rules.yaml'));

    expect(problems).toEqual(want);
  });
});

describe('classifyAnswers', () => {
  const none: SeverityAnswers = { unavailable: false, substantiallyDegraded: false, nonEssentialDegraded: false, cosmetic: false };

  it.each([
    { answers: { ...none, unavailable: true, cosmetic: true }, severity: 'sev1', words: 'Severity 1: the service is not available or is unusable.' },
    { answers: { ...none, substantiallyDegraded: true }, severity: 'sev2', words: 'substantially degraded in a way that prevents normal use' },
    { answers: { ...none, nonEssentialDegraded: true }, severity: 'sev3', words: 'not essential to main functionality' },
    { answers: { ...none, cosmetic: true }, severity: 'sev4', words: 'minor or cosmetic issues, and all feature requests' },
  ])('$severity from $answers', ({ answers, severity, words }) => {
    const result = classifyAnswers(answers);

    expect(result.severity).toBe(severity);
    expect(result.explanation).toContain(words);
  });

  it('refuses all-no answers', () => {
    expect(problemsOf(() => classifyAnswers(none))).toHaveLength(1);
  });
});

describe('parseSeverity', () => {
  it.each([
    ['sev2', 'sev2'],
    ['Sev1', 'sev1'],
    ['3', 'sev3'],
  ])('%s -> %s', (text, want) => {
    expect(parseSeverity(text)).toBe(want);
  });

  it('names the field of an unknown severity', () => {
    expect(problemsOf(() => parseSeverity('critical', 'argument', '--severity'))).toEqual([
      { path: '--severity', line: undefined, message: 'unknown severity "critical"; expected one of: sev1, sev2, sev3, sev4' },
    ]);
  });
});

describe('routeSignal', () => {
  function incident(state: IncidentState, overrides: Partial<Incident> = {}): Incident {
    return { ...opened('sev2').incident, state, signalKeys: ['drill-failed:key'], signalIds: ['sig-old'], ...overrides };
  }
  const fresh = signal('drill-failed');
  const cleared = signal('drill-failed', { cleared: true }, { id: 'sig-clear' });

  it.each([
    { name: 'no incident: open', s: fresh, incidents: [], want: { action: 'open' } },
    { name: 'same key, open: join', s: fresh, incidents: [incident('investigating')], want: { action: 'join', incidentId: 'inc-1' } },
    { name: 'same key, resolved: open a new one', s: fresh, incidents: [incident('resolved')], want: { action: 'open' } },
    { name: 'other key: open', s: signal('drill-failed', {}, { key: 'drill:other' }), incidents: [incident('investigating')], want: { action: 'open' } },
    { name: 'cleared while open: clear', s: cleared, incidents: [incident('mitigated')], want: { action: 'clear', incidentId: 'inc-1' } },
    { name: 'cleared while monitoring: join', s: cleared, incidents: [incident('monitoring')], want: { action: 'join', incidentId: 'inc-1' } },
    { name: 'cleared with nothing open: ignore', s: cleared, incidents: [incident('resolved')], want: { action: 'ignore', reason: 'no open incident has key drill-failed:key to clear' } },
    {
      name: 'redelivered: ignore',
      s: signal('drill-failed', {}, { id: 'sig-old' }),
      incidents: [incident('investigating')],
      want: { action: 'ignore', incidentId: 'inc-1', reason: 'signal sig-old is already recorded on incident inc-1' },
    },
    {
      name: 'two holders: the oldest',
      s: fresh,
      incidents: [incident('triage', { id: 'inc-b', reportedAt: '2025-01-06T11:00:00.000Z' }), incident('triage', { id: 'inc-a' })],
      want: { action: 'join', incidentId: 'inc-a' },
    },
  ])('$name', ({ s, incidents, want }) => {
    expect(routeSignal(s, incidents)).toEqual(want);
  });
});
