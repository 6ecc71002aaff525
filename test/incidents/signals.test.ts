import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/core/results.js';
import { signalsFromResults } from '../../src/incidents/signals.js';

function result(checkId: string, name: string, status: CheckResult['status'], extra: Partial<CheckResult> = {}): CheckResult {
  return {
    checkId,
    accountId: '222222222222',
    region: 'us-east-1',
    resource: `arn:aws:s3:::${name}`,
    name,
    severity: 'critical',
    remediation: `runbooks/${checkId}.md`,
    status,
    message: `${name} is ${status}`,
    facts: {},
    params: {},
    evaluatedAt: '2026-11-24T04:30:00.000Z',
    ...extra,
  };
}

describe('signals from check results', () => {
  it('raises one signal per failing check, listing its resources', () => {
    const signals = signalsFromResults([result('s3-public-access-block', 'a', 'fail'), result('s3-public-access-block', 'b', 'fail'), result('s3-public-access-block', 'c', 'pass')], new Set(), 'run-1');

    expect(signals).toEqual([
      {
        id: 'run-1:check:s3-public-access-block',
        kind: 'check-failed',
        key: 'check:s3-public-access-block',
        source: 'check s3-public-access-block (run run-1)',
        raisedAt: '2026-11-24T04:30:00.000Z',
        summary: 'Check s3-public-access-block fails on 2 resources: a is fail (and 1 more)',
        payload: {
          checkId: 's3-public-access-block',
          runbook: 'runbooks/s3-public-access-block.md',
          severity: 'critical',
          count: 2,
          resources: [
            { resource: 'arn:aws:s3:::a', name: 'a', accountId: '222222222222', region: 'us-east-1', message: 'a is fail' },
            { resource: 'arn:aws:s3:::b', name: 'b', accountId: '222222222222', region: 'us-east-1', message: 'b is fail' },
          ],
        },
      },
    ]);
  });

  it('raises nothing for severities below the configured ones, or for a problem an open incident holds', () => {
    expect(signalsFromResults([result('rds-multi-az', 'db', 'fail', { severity: 'high' })], new Set(), 'run-1')).toEqual([]);
    expect(signalsFromResults([result('rds-multi-az', 'db', 'fail', { severity: 'high' })], new Set(), 'run-1', ['critical', 'high'])).toHaveLength(1);
    expect(signalsFromResults([result('s3-public-access-block', 'a', 'fail')], new Set(['check:s3-public-access-block']), 'run-2')).toEqual([]);
  });

  it('clears a held check only when it ran clean everywhere, not when it could not look', () => {
    const held = new Set(['check:s3-public-access-block']);
    const clean = signalsFromResults([result('s3-public-access-block', 'a', 'pass')], held, 'run-3');
    const blind = signalsFromResults([result('s3-public-access-block', 'a', 'pass'), result('s3-public-access-block', 'b', 'error')], held, 'run-3');

    expect(clean.map((s) => [s.key, s.payload['cleared']])).toEqual([['check:s3-public-access-block', true]]);
    expect(blind).toEqual([]);
  });

  it('groups CloudTrail events by account and category and keeps GuardDuty findings apart', () => {
    const trail = (n: number, category: string) => result('cloudtrail-events-of-concern', `e${n}`, 'fail', { severity: 'high', facts: { source: 'cloudtrail', categories: [category] } });
    const finding = (id: string) => result('guardduty-high-findings', id, 'fail', { severity: 'high', facts: { source: 'guardduty', signalKey: `guardduty:222222222222:us-east-1:${id}`, severity: 7.5 } });

    const signals = signalsFromResults([trail(1, 'trail-change'), trail(2, 'trail-change'), trail(3, 'root-activity'), finding('f1'), finding('f2')], new Set(), 'run-4');

    expect(signals.map((s) => [s.kind, s.key, s.payload['count']])).toEqual([
      ['cloudtrail-event', 'cloudtrail:222222222222:trail-change', 2],
      ['cloudtrail-event', 'cloudtrail:222222222222:root-activity', 1],
      ['guardduty-finding', 'guardduty:222222222222:us-east-1:f1', 1],
      ['guardduty-finding', 'guardduty:222222222222:us-east-1:f2', 1],
    ]);
    expect(signals[2]?.payload['severity']).toBe(7.5);
    const medium = result('guardduty-high-findings', 'm1', 'fail', { severity: 'high', facts: { source: 'guardduty', signalKey: 'guardduty:222222222222:us-east-1:m1', severity: 5 } });
    expect(signalsFromResults([medium], new Set(), 'run-5')).toEqual([]);
  });
});
