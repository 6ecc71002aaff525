import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/core/clock.js';
import { ConfigError, type Problem } from '../../src/core/errors.js';
import { PROJECT_ROOT } from '../../src/core/paths.js';
import { checkFiles } from '../../src/checks/definitions.js';
import { loadProjectSchedules, loadSchedules, longestGap, nextRunAfter, scheduleFiles, type ScheduleContext } from '../../src/service/schedules.js';

const NOW = new Date('2026-11-24T12:00:00.000Z');

const context: ScheduleContext = {
  checks: [
    { id: 'iam-root-mfa', enabled: true },
    { id: 'guardduty-enabled', enabled: true },
    { id: 'guardduty-high-findings', enabled: true },
    { id: 'iam-unused-services', enabled: false },
  ],
  drillTargets: new Set(['lms-prod', 'course-content']),
  frameworks: new Set(['iso27001-2022']),
};

function scheduleDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-schedules-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** A valid schedule file with `overrides` replacing whole top-level lines. */
function file(name: string, overrides: Record<string, string> = {}): string {
  const fields: Record<string, string> = {
    name: `name: ${name}`,
    description: 'description: Threat checks every hour',
    cron: 'cron: "10 * * * *"',
    timeZone: 'timeZone: UTC',
    job: 'job:\n  kind: checks\n  checks: [guardduty-*]',
    ...overrides,
  };
  return `${Object.values(fields).filter(Boolean).join('\n')}\n`;
}

function problemsOf(dir: string): Problem[] {
  try {
    loadSchedules(dir, context, { now: NOW });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('the schedules Vigil ships', () => {
  it('load strictly against the real checks, drills and framework, names equal to file names', async () => {
    const schedules = await loadProjectSchedules({ now: NOW });

    expect(schedules.map((s) => s.file)).toEqual(scheduleFiles(join(PROJECT_ROOT, 'schedules')).map((f) => f.slice(PROJECT_ROOT.length)));
    expect(schedules.map((s) => [s.name, s.job.kind, s.cron, s.timeZone, s.ensure?.successWithin])).toEqual([
      ['access-checks-daily', 'checks', '30 5 * * *', 'UTC', undefined],
      ['backup-checks-daily', 'checks', '30 4 * * *', 'UTC', undefined],
      ['evidence-report-monthly', 'report', '0 6 1 * *', 'UTC', '31d'],
      ['incidents-every-minute', 'incidents', '* * * * *', 'UTC', undefined],
      ['probes-every-minute', 'probes', '* * * * *', 'UTC', undefined],
      ['restore-drills-weekly', 'drills', '0 5 * * 0', 'UTC', '7d'],
      ['threat-checks-hourly', 'checks', '10 * * * *', 'UTC', undefined],
    ]);
  });

  it('run every enabled check from some schedule', async () => {
    const schedules = await loadProjectSchedules({ now: NOW });
    const scheduled = new Set(schedules.flatMap((s) => (s.job.kind === 'checks' ? s.job.checkIds : [])));
    const { loadCheckDefinitions } = await import('../../src/checks/definitions.js');
    const { EVALUATORS } = await import('../../src/checks/registry.js');
    const enabled = loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS }).filter((c) => c.enabled);

    expect(enabled.length).toBe(checkFiles(PROJECT_ROOT).length - 1);
    expect(enabled.map((c) => c.id).filter((id) => !scheduled.has(id))).toEqual([]);
  });

  it('put the retention checks after the 03:00 snapshots and the drills on Sunday mornings', async () => {
    const byName = new Map((await loadProjectSchedules({ now: NOW })).map((s) => [s.name, s]));
    const next = (name: string) => nextRunAfter(byName.get(name)!, NOW).toISOString();

    expect([next('backup-checks-daily'), next('threat-checks-hourly'), next('restore-drills-weekly'), next('evidence-report-monthly'), next('incidents-every-minute')]).toEqual([
      '2026-11-25T04:30:00.000Z',
      '2026-11-24T12:10:00.000Z',
      '2026-11-29T05:00:00.000Z',
      '2026-12-01T06:00:00.000Z',
      '2026-11-24T12:01:00.000Z',
    ]);
  });
});

describe('next runs', () => {
  const cases: Array<{ what: string; cron: string; timeZone: string; from: string; expected: string[] }> = [
    { what: 'a daily UTC job', cron: '30 4 * * *', timeZone: 'UTC', from: '2026-11-24T04:30:00.000Z', expected: ['2026-11-25T04:30:00.000Z', '2026-11-26T04:30:00.000Z'] },
    { what: 'weekdays at 09:00 in Tokyo', cron: '0 9 * * 1-5', timeZone: 'Asia/Tokyo', from: '2026-11-27T12:00:00.000Z', expected: ['2026-11-30T00:00:00.000Z', '2026-12-01T00:00:00.000Z'] },
    { what: 'weekdays at 09:00 in Los Angeles', cron: '0 9 * * 1-5', timeZone: 'America/Los_Angeles', from: '2026-11-27T12:00:00.000Z', expected: ['2026-11-27T17:00:00.000Z', '2026-11-30T17:00:00.000Z'] },
    // 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 does not exist, so it runs at the first minute after the gap.
    { what: 'New York spring forward, daily at 02:30', cron: '30 2 * * *', timeZone: 'America/New_York', from: '2026-03-07T12:00:00.000Z', expected: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'] },
    // 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice, the job runs once.
    { what: 'New York fall back, daily at 01:30', cron: '30 1 * * *', timeZone: 'America/New_York', from: '2026-10-31T12:00:00.000Z', expected: ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'] },
    { what: 'New York fall back, hourly: every real hour once', cron: '0 * * * *', timeZone: 'America/New_York', from: '2026-11-01T04:30:00.000Z', expected: ['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T07:00:00.000Z'] },
    { what: 'New York spring forward, hourly: the missing hour is not invented', cron: '0 * * * *', timeZone: 'America/New_York', from: '2026-03-08T05:30:00.000Z', expected: ['2026-03-08T06:00:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T08:00:00.000Z'] },
    // 2026-03-29 01:00 GMT -> 02:00 BST.
    { what: 'London spring forward, daily at 01:30', cron: '30 1 * * *', timeZone: 'Europe/London', from: '2026-03-28T12:00:00.000Z', expected: ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'] },
    // 2026-10-25 02:00 BST -> 01:00 GMT.
    { what: 'London fall back, daily at 01:30', cron: '30 1 * * *', timeZone: 'Europe/London', from: '2026-10-24T12:00:00.000Z', expected: ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'] },
    { what: 'London summer time, daily at 04:30', cron: '30 4 * * *', timeZone: 'Europe/London', from: '2026-07-01T00:00:00.000Z', expected: ['2026-07-01T03:30:00.000Z', '2026-07-02T03:30:00.000Z'] },
    { what: 'monthly on the 1st, a preset', cron: '@monthly', timeZone: 'UTC', from: '2026-11-24T12:00:00.000Z', expected: ['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'] },
  ];

  it.each(cases)('$what', ({ cron, timeZone, from, expected }) => {
    const runs: string[] = [];
    let after = new Date(from);

    for (let i = 0; i < expected.length; i++) {
      after = nextRunAfter({ cron, timeZone }, after);
      runs.push(after.toISOString());
    }

    expect(runs).toEqual(expected);
  });

  it('finds the longest gap between runs across a DST change', () => {
    const gap = longestGap({ cron: '30 4 * * *', timeZone: 'Europe/London' }, NOW);

    expect(gap && [gap.gapMs / HOUR_MS, gap.from.toISOString(), gap.to.toISOString()]).toEqual([25, '2027-10-30T03:30:00.000Z', '2027-10-31T04:30:00.000Z']);
  });
});

describe('schedule files', () => {
  it('resolves check patterns to enabled checks, and named checks even when disabled', () => {
    const dir = scheduleDir({ 'a.yaml': file('a', { job: 'job:\n  kind: checks\n  checks: [guardduty-*, iam-unused-services]' }) });

    const [schedule] = loadSchedules(dir, context, { now: NOW });

    expect(schedule?.job).toEqual({ kind: 'checks', checks: ['guardduty-*', 'iam-unused-services'], checkIds: ['guardduty-enabled', 'guardduty-high-findings', 'iam-unused-services'] });
  });

  it('reads every job kind, the window rule, the timeout and enabled', () => {
    const dir = scheduleDir({
      'drills.yaml': file('drills', { job: 'job:\n  kind: drills\n  targets: [lms-prod]', cron: 'cron: "0 5 * * 0"', ensure: 'ensure:\n  successWithin: 7d', timeout: 'timeout: 4h' }),
      'due.yaml': file('due', { job: 'job:\n  kind: drills\n  due: true' }),
      'incidents.yaml': file('incidents', { job: 'job:\n  kind: incidents', enabled: 'enabled: false' }),
      'probes.yaml': file('probes', { job: 'job:\n  kind: probes' }),
      'report.yaml': file('report', { job: 'job:\n  kind: report\n  framework: iso27001-2022\n  period: previous-quarter' }),
    });

    const schedules = loadSchedules(dir, context, { now: NOW });

    expect(schedules.map((s) => [s.name, s.job, s.ensure, s.timeoutMs, s.enabled])).toEqual([
      ['drills', { kind: 'drills', targets: ['lms-prod'] }, { successWithin: '7d', successWithinMs: 7 * 24 * HOUR_MS }, 4 * HOUR_MS, true],
      ['due', { kind: 'drills', due: true }, undefined, undefined, true],
      ['incidents', { kind: 'incidents' }, undefined, undefined, false],
      ['probes', { kind: 'probes' }, undefined, undefined, true],
      ['report', { kind: 'report', framework: 'iso27001-2022', period: 'previous-quarter' }, undefined, undefined, true],
    ]);
  });
});

describe('bad schedule files', () => {
  const cases: Array<{ what: string; overrides: Record<string, string>; expected: Array<Pick<Problem, 'line' | 'path'> & { message: string | RegExp }> }> = [
    { what: 'a seconds field', overrides: { cron: 'cron: "0 30 4 * * *"' }, expected: [{ line: 3, path: 'cron', message: 'expected five fields (minute hour day-of-month month day-of-week), got 6; Vigil schedules to the minute, so there is no seconds field' }] },
    { what: 'a value out of range', overrides: { cron: 'cron: "61 * * * *"' }, expected: [{ line: 3, path: 'cron', message: 'not a valid cron expression: Field value (61) is out of range' }] },
    { what: 'an unknown preset', overrides: { cron: 'cron: "@fortnightly"' }, expected: [{ line: 3, path: 'cron', message: /^unknown preset "@fortnightly"; expected five fields/ }] },
    { what: 'a cron that never fires', overrides: { cron: 'cron: "0 0 31 2 *"' }, expected: [{ line: 3, path: 'cron', message: '"0 0 31 2 *" never fires (no time in the next 8 years matches it)' }] },
    { what: 'an unknown time zone', overrides: { timeZone: 'timeZone: Europe/Lndon' }, expected: [{ line: 4, path: 'timeZone', message: 'expected an IANA time zone such as UTC, Europe/London or America/New_York' }] },
    { what: "the host's own zone", overrides: { timeZone: 'timeZone: system' }, expected: [{ line: 4, path: 'timeZone', message: 'expected an IANA time zone such as UTC, Europe/London or America/New_York' }] },
    { what: 'an unknown job kind', overrides: { job: 'job:\n  kind: backups' }, expected: [{ line: 6, path: 'job.kind', message: 'expected one of: checks, drills, incidents, probes, report' }] },
    { what: 'a missing job kind', overrides: { job: 'job:\n  checks: [iam-root-mfa]' }, expected: [{ line: 5, path: 'job.kind', message: 'required field is missing: expected one of: checks, drills, incidents, probes, report' }] },
    { what: 'an unknown check', overrides: { job: 'job:\n  kind: checks\n  checks: [iam-root-mfa, iam-rot-mfa]' }, expected: [{ line: 7, path: 'job.checks[1]', message: 'no check "iam-rot-mfa" in checks/; `vigil check list` shows them' }] },
    { what: 'a pattern that matches nothing enabled', overrides: { job: 'job:\n  kind: checks\n  checks: [iam-unused-*]' }, expected: [{ line: 7, path: 'job.checks[0]', message: 'the pattern "iam-unused-*" matches no enabled check in checks/' }] },
    { what: 'an unknown drill target', overrides: { job: 'job:\n  kind: drills\n  targets: [lms-prod, billing-prod]' }, expected: [{ line: 7, path: 'job.targets[1]', message: 'no drill "billing-prod" in runbooks/drills/ (known: course-content, lms-prod)' }] },
    { what: 'drills without due or targets', overrides: { job: 'job:\n  kind: drills' }, expected: [{ line: 5, path: 'job', message: 'state which drills: due: true, or targets: [...]' }] },
    { what: 'drills with both due and targets', overrides: { job: 'job:\n  kind: drills\n  due: true\n  targets: [lms-prod]' }, expected: [{ line: 8, path: 'job.targets', message: 'either due: true or targets, not both' }] },
    { what: 'an unknown framework', overrides: { job: 'job:\n  kind: report\n  framework: soc2\n  period: previous-month' }, expected: [{ line: 7, path: 'job.framework', message: 'no framework "soc2" in checks/frameworks/ (known: iso27001-2022)' }] },
    { what: 'an unknown period', overrides: { job: 'job:\n  kind: report\n  framework: iso27001-2022\n  period: last-month' }, expected: [{ line: 8, path: 'job.period', message: 'expected one of "previous-month"|"previous-quarter"|"previous-year"' }] },
    { what: 'a field of another job kind', overrides: { job: 'job:\n  kind: incidents\n  targets: [lms-prod]' }, expected: [{ line: 7, path: 'job.targets', message: 'unknown field; expected one of: kind' }] },
    { what: 'a misspelt field', overrides: { ensure: 'ensure:\n  sucessWithin: 7d' }, expected: [
        { line: 8, path: 'ensure.successWithin', message: 'required field is missing (expected string)' },
        { line: 9, path: 'ensure.sucessWithin', message: 'unknown field; did you mean "successWithin"?' },
      ],
     },
    { what: 'a window that is not a duration', overrides: { ensure: 'ensure:\n  successWithin: a week' }, expected: [{ line: 9, path: 'ensure.successWithin', message: 'expected a duration such as 7d' }] },
    {
      what: 'a window shorter than the cron period',
      overrides: { cron: 'cron: "0 5 * * 0"', ensure: 'ensure:\n  successWithin: 1d' },
      expected: [{ line: 9, path: 'ensure.successWithin', message: 'a successful run within 1d cannot be met by cron "0 5 * * 0" (UTC), which leaves 7d between the runs of 2026-11-29T05:00:00.000Z and 2026-12-06T05:00:00.000Z; make successWithin at least 7d or run more often' }],
    },
    {
      what: 'a window a DST change makes unmeetable',
      overrides: { cron: 'cron: "30 4 * * *"', timeZone: 'timeZone: Europe/London', ensure: 'ensure:\n  successWithin: 24h' },
      expected: [{ line: 9, path: 'ensure.successWithin', message: /^a successful run within 24h cannot be met by cron "30 4 \* \* \*" \(Europe\/London\), which leaves 25h between the runs of 2027-10-30T03:30:00.000Z and 2027-10-31T04:30:00.000Z/ }],
    },
    { what: 'a missing description', overrides: { description: '' }, expected: [{ line: 1, path: 'description', message: 'required field is missing (expected string)' }] },
    { what: 'a name other than the file name', overrides: { name: 'name: threat-hourly' }, expected: [{ line: 1, path: 'name', message: 'must equal the file name "a"' }] },
    { what: 'YAML that does not parse', overrides: { job: 'job: [unclosed' }, expected: [{ line: 6, path: '', message: /^not valid YAML/ }] },
  ];

  it.each(cases)('$what: names the file, line and field', ({ overrides, expected }) => {
    const dir = scheduleDir({ 'a.yaml': file('a', overrides) });

    const problems = problemsOf(dir);

    expect(problems).toEqual(expected.map((e) => ({ file: join(dir, 'a.yaml'), line: e.line, path: e.path, message: typeof e.message === 'string' ? e.message : expect.stringMatching(e.message) })));
  });

  it('reports a duplicate schedule name across files', () => {
    const dir = scheduleDir({ 'threat.yaml': file('threat'), 'threat.yml': file('threat') });

    const problems = problemsOf(dir);

    expect(problems).toEqual([{ file: join(dir, 'threat.yml'), line: 1, path: 'name', message: `duplicate schedule name "threat" (also in ${join(dir, 'threat.yaml')})` }]);
  });

  it('reports every problem in every file at once', () => {
    const dir = scheduleDir({
      'a.yaml': file('a', { cron: 'cron: "0 25 * * *"', timeZone: 'timeZone: Mars/Olympus', job: 'job:\n  kind: checks\n  checks: [nope]' }),
      'b.yaml': file('b', { job: 'job:\n  kind: drills\n  targets: [nope]' }),
    });

    const problems = problemsOf(dir);

    expect(problems.map((p) => [p.file.slice(dir.length + 1), p.path])).toEqual([
      ['a.yaml', 'cron'],
      ['a.yaml', 'timeZone'],
      ['a.yaml', 'job.checks[0]'],
      ['b.yaml', 'job.targets[0]'],
    ]);
  });
});

describe('report periods', () => {
  it('takes the calendar month, quarter and year just ended, in UTC', async () => {
    const { previousPeriod } = await import('../../src/evidence/wiring.js');
    const now = new Date('2026-01-01T06:00:00Z');
    expect(previousPeriod('previous-month', now)).toEqual({ from: '2025-12-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' });
    expect(previousPeriod('previous-quarter', new Date('2026-05-10T00:00:00Z'))).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' });
    expect(previousPeriod('previous-year', now)).toEqual({ from: '2025-01-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' });
  });
});
