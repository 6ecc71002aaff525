import { describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS, DAY_MS, ManualClock } from '../../src/core/clock.js';
import { ConfigError } from '../../src/core/errors.js';
import { validateInput } from '../../src/core/input.js';
import {
  DEFAULT_SLA_POLICY,
  addBusinessTime,
  clockEvents,
  deadlines,
  slaPolicySchema,
  type BusinessHours,
  type ClockEvent,
  type SlaPolicy,
} from '../../src/incidents/sla.js';
import type { IncidentSeverity } from '../../src/incidents/types.js';
import { T0, opened, play } from './fixtures.js';

const at = (ms: number): string => new Date(Date.parse(T0) + ms).toISOString();

describe('deadlines', () => {
  it.each<[IncidentSeverity, string | undefined, string | undefined, string | undefined]>([
    ['sev1', '2025-01-06T11:00:00.000Z', '2025-01-06T14:00:00.000Z', '2025-01-06T17:00:00.000Z'],
    ['sev2', '2025-01-06T12:00:00.000Z', '2025-01-08T10:00:00.000Z', '2025-01-20T10:00:00.000Z'],
    ['sev3', '2025-01-09T10:00:00.000Z', '2025-01-13T10:00:00.000Z', '2025-02-05T10:00:00.000Z'],
    ['sev4', undefined, undefined, undefined],
  ])('%s is due at work %s, temporary %s, final %s', (severity, workBegins, temporary, final) => {
    const { incident, clock } = opened(severity);

    const readings = deadlines(incident, DEFAULT_SLA_POLICY, clock);

    expect([readings.workBegins.dueAt, readings.temporary.dueAt, readings.final.dueAt]).toEqual([workBegins, temporary, final]);
    const expected = severity === 'sev4' ? 'not_applicable' : 'running';
    expect([readings.workBegins.status, readings.temporary.status, readings.final.status]).toEqual([expected, expected, expected]);
  });

  it.each([
    { name: 'nothing done, within targets', steps: [], nowMs: 30 * MINUTE_MS, want: ['running', 'running', 'running'] },
    { name: 'nothing done past the first target', steps: [], nowMs: HOUR_MS, want: ['breached', 'running', 'running'] },
    { name: 'acked in time', steps: [[20 * MINUTE_MS, { action: 'ack' }]], nowMs: 2 * HOUR_MS, want: ['met', 'running', 'running'] },
    { name: 'acked late', steps: [[90 * MINUTE_MS, { action: 'ack' }]], nowMs: 2 * HOUR_MS, want: ['breached', 'running', 'running'] },
    {
      name: 'mitigated then resolved in time',
      steps: [[10 * MINUTE_MS, { action: 'ack' }], [3 * HOUR_MS, { action: 'mitigate' }], [6 * HOUR_MS, { action: 'resolve' }]],
      nowMs: 9 * HOUR_MS,
      want: ['met', 'met', 'met'],
    },
    { name: 'resolved straight from triage', steps: [[30 * MINUTE_MS, { action: 'resolve' }]], nowMs: DAY_MS, want: ['met', 'met', 'met'] },
    {
      name: 'reopened after the temporary target passed',
      steps: [[10 * MINUTE_MS, { action: 'ack' }], [2 * HOUR_MS, { action: 'mitigate' }], [5 * HOUR_MS, { action: 'reopen' }]],
      nowMs: 5 * HOUR_MS,
      want: ['met', 'breached', 'running'],
    },
  ] as const)('sev1, $name', ({ steps, nowMs, want }) => {
    const { incident, clock } = opened('sev1');
    const played = play(incident, clock, steps.map(([ms, r]) => [ms, { ...r }]));
    clock.set(at(nowMs));

    const readings = deadlines(played, DEFAULT_SLA_POLICY, clock);

    expect([readings.workBegins.status, readings.temporary.status, readings.final.status]).toEqual(want);
  });

  it('reports when each clock was met', () => {
    const { incident, clock } = opened('sev1');
    const played = play(incident, clock, [[20 * MINUTE_MS, { action: 'ack' }], [2 * HOUR_MS, { action: 'monitor' }]]);

    const readings = deadlines(played, DEFAULT_SLA_POLICY, clock);

    expect(readings.workBegins.metAt).toBe(at(20 * MINUTE_MS));
    expect(readings.temporary.metAt).toBe(at(2 * HOUR_MS));
    expect(readings.final.metAt).toBeUndefined();
  });
});

describe('business hours', () => {
  const newYork: BusinessHours = { timeZone: 'America/New_York', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' };
  const kolkata: BusinessHours = { ...newYork, timeZone: 'Asia/Kolkata' };
  const berlin: BusinessHours = { ...newYork, timeZone: 'Europe/Berlin' };

  it.each([
    { name: 'inside one working day', hours: newYork, start: '2025-01-08T15:00:00Z', add: 3 * HOUR_MS, want: '2025-01-08T18:00:00.000Z' },
    { name: 'before opening', hours: newYork, start: '2025-01-06T12:00:00Z', add: HOUR_MS, want: '2025-01-06T15:00:00.000Z' },
    { name: 'ending exactly at closing', hours: newYork, start: '2025-01-06T14:00:00Z', add: 8 * HOUR_MS, want: '2025-01-06T22:00:00.000Z' },
    { name: 'Friday afternoon over the weekend', hours: newYork, start: '2025-01-10T21:00:00Z', add: 2 * HOUR_MS, want: '2025-01-13T15:00:00.000Z' },
    { name: 'reported on a Saturday', hours: newYork, start: '2025-01-11T15:00:00Z', add: HOUR_MS, want: '2025-01-13T15:00:00.000Z' },
    { name: 'over the March DST change (EST to EDT)', hours: newYork, start: '2025-03-07T21:00:00Z', add: 2 * HOUR_MS, want: '2025-03-10T14:00:00.000Z' },
    { name: 'over the November DST change (EDT to EST)', hours: newYork, start: '2025-10-31T20:00:00Z', add: 2 * HOUR_MS, want: '2025-11-03T15:00:00.000Z' },
    { name: 'a half-hour zone (Kolkata)', hours: kolkata, start: '2025-01-06T08:00:00Z', add: 4 * HOUR_MS, want: '2025-01-07T04:00:00.000Z' },
    { name: 'Berlin across its March DST change', hours: berlin, start: '2025-03-28T15:00:00Z', add: 2 * HOUR_MS, want: '2025-03-31T08:00:00.000Z' },
  ])('$name', ({ hours, start, add, want }) => {
    const due = addBusinessTime(Date.parse(start), add, hours);

    expect(new Date(due).toISOString()).toBe(want);
  });

  it('counts Sev3 in business hours when the policy says so', () => {
    const policy: SlaPolicy = {
      ...DEFAULT_SLA_POLICY,
      severities: { ...DEFAULT_SLA_POLICY.severities, sev3: { ...DEFAULT_SLA_POLICY.severities.sev3, businessHours: newYork } },
    };
    // Monday 09:00 EST; 72 working hours of 8 a day end on the ninth working day at 17:00.
    const { incident, clock } = opened('sev3', '2025-01-06T14:00:00.000Z', policy);

    const readings = deadlines(incident, policy, clock);

    expect(readings.workBegins.dueAt).toBe('2025-01-16T22:00:00.000Z');
    expect(readings.workBegins.businessHours).toBe(true);
    expect(deadlines(incident, DEFAULT_SLA_POLICY, clock).workBegins.dueAt).toBe('2025-01-09T14:00:00.000Z');
  });
});

describe('clockEvents', () => {
  const sev1Events: Array<[string, string]> = [
    ['inc-1:workBegins:sev1:50%', at(30 * MINUTE_MS)],
    ['inc-1:workBegins:sev1:80%', at(48 * MINUTE_MS)],
    ['inc-1:workBegins:sev1:100%', at(60 * MINUTE_MS)],
    ['inc-1:temporary:sev1:50%', at(2 * HOUR_MS)],
    ['inc-1:temporary:sev1:80%', at(192 * MINUTE_MS)],
    ['inc-1:final:sev1:50%', at(210 * MINUTE_MS)],
    ['inc-1:temporary:sev1:100%', at(4 * HOUR_MS)],
    ['inc-1:final:sev1:80%', at(336 * MINUTE_MS)],
    ['inc-1:final:sev1:100%', at(7 * HOUR_MS)],
  ];
  const brief = (events: ClockEvent[]): Array<[string, string]> => events.map((e) => [e.id, e.at]);

  it('emits warnings at 50 % and 80 % and a breach at 100 % of each clock', () => {
    const { incident } = opened('sev1');

    const events = clockEvents(incident, DEFAULT_SLA_POLICY, T0, at(8 * HOUR_MS));

    expect(brief(events)).toEqual(sev1Events);
    expect(events.filter((e) => e.kind === 'breach').map((e) => e.threshold)).toEqual([1, 1, 1]);
  });

  it('includes the end of the window and excludes its start', () => {
    const { incident } = opened('sev1');

    expect(brief(clockEvents(incident, DEFAULT_SLA_POLICY, T0, at(30 * MINUTE_MS)))).toEqual([sev1Events[0]]);
    expect(brief(clockEvents(incident, DEFAULT_SLA_POLICY, at(30 * MINUTE_MS), at(47 * MINUTE_MS)))).toEqual([]);
  });

  it('catches up exactly once across sweeps with gaps and a restart', () => {
    const { incident } = opened('sev1');
    const clock = new ManualClock(T0);
    let lastSweep = clock.now();
    const seen: ClockEvent[] = [];
    // Sweeps every 10 minutes, then the process is down for 3 hours, then resumes hourly.
    const advances = [10, 10, 10, 180, 60, 60, 60, 60, 60].map((m) => m * MINUTE_MS);

    for (const ms of advances) {
      clock.advance(ms);
      seen.push(...clockEvents(incident, DEFAULT_SLA_POLICY, lastSweep, clock.now()));
      lastSweep = clock.now();
    }

    expect(brief(seen)).toEqual(sev1Events);
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
  });

  it('stops a clock once it is met', () => {
    const { incident, clock } = opened('sev1');
    const acked = play(incident, clock, [[40 * MINUTE_MS, { action: 'ack' }]]);

    const events = clockEvents(acked, DEFAULT_SLA_POLICY, T0, at(2 * HOUR_MS));

    expect(events.map((e) => e.id)).toEqual(['inc-1:workBegins:sev1:50%', 'inc-1:temporary:sev1:50%']);
  });

  it('fires thresholds that a reclassification put in the past at the reclassification', () => {
    const { incident, clock } = opened('sev3');
    const upgraded = play(incident, clock, [[2 * HOUR_MS, { action: 'reclassify', severity: 'sev1' }]]);

    const events = clockEvents(upgraded, DEFAULT_SLA_POLICY, T0, at(4 * HOUR_MS));

    expect(brief(events)).toEqual([
      ['inc-1:temporary:sev1:50%', at(2 * HOUR_MS)],
      ['inc-1:workBegins:sev1:100%', at(2 * HOUR_MS)],
      ['inc-1:workBegins:sev1:50%', at(2 * HOUR_MS)],
      ['inc-1:workBegins:sev1:80%', at(2 * HOUR_MS)],
      ['inc-1:temporary:sev1:80%', at(192 * MINUTE_MS)],
      ['inc-1:final:sev1:50%', at(210 * MINUTE_MS)],
      ['inc-1:temporary:sev1:100%', at(4 * HOUR_MS)],
    ]);
  });

  it('keeps events of the earlier severity that fired before a downgrade', () => {
    const { incident, clock } = opened('sev1');
    const downgraded = play(incident, clock, [[50 * MINUTE_MS, { action: 'reclassify', severity: 'sev2' }]]);

    const events = clockEvents(downgraded, DEFAULT_SLA_POLICY, T0, at(2 * HOUR_MS));

    expect(brief(events)).toEqual([
      ['inc-1:workBegins:sev1:50%', at(30 * MINUTE_MS)],
      ['inc-1:workBegins:sev1:80%', at(48 * MINUTE_MS)],
      ['inc-1:workBegins:sev2:50%', at(60 * MINUTE_MS)],
      ['inc-1:workBegins:sev2:80%', at(96 * MINUTE_MS)],
      ['inc-1:workBegins:sev2:100%', at(2 * HOUR_MS)],
    ]);
  });

  it('restarts clocks a reopen made liable again', () => {
    const { incident, clock } = opened('sev1');
    const reopened = play(incident, clock, [[10 * MINUTE_MS, { action: 'ack' }], [2 * HOUR_MS, { action: 'resolve' }], [5 * HOUR_MS, { action: 'reopen' }]]);

    const events = clockEvents(reopened, DEFAULT_SLA_POLICY, at(2 * HOUR_MS), at(8 * HOUR_MS));

    expect(brief(events)).toEqual([
      ['inc-1:final:sev1:50%', at(5 * HOUR_MS)],
      ['inc-1:temporary:sev1:100%', at(5 * HOUR_MS)],
      // Resolved right at the 50 % mark, so that warning never fired before the reopen.
      ['inc-1:temporary:sev1:50%', at(5 * HOUR_MS)],
      ['inc-1:temporary:sev1:80%', at(5 * HOUR_MS)],
      ['inc-1:final:sev1:80%', at(336 * MINUTE_MS)],
      ['inc-1:final:sev1:100%', at(7 * HOUR_MS)],
    ]);
  });

  it('uses configured warning fractions and emits nothing for Sev4', () => {
    const policy: SlaPolicy = { ...DEFAULT_SLA_POLICY, warnAt: [0.25] };

    const sev1 = clockEvents(opened('sev1').incident, policy, T0, at(HOUR_MS));
    const sev4 = clockEvents(opened('sev4').incident, policy, T0, at(400 * DAY_MS));

    expect(brief(sev1)).toEqual([
      ['inc-1:workBegins:sev1:25%', at(15 * MINUTE_MS)],
      ['inc-1:temporary:sev1:25%', at(HOUR_MS)],
      ['inc-1:workBegins:sev1:100%', at(HOUR_MS)],
    ]);
    expect(sev4).toEqual([]);
  });
});

describe('reclassification re-bases the clocks', () => {
  it('keeps counting from the report with the new targets and records why', () => {
    const { incident, clock } = opened('sev2');

    const upgraded = play(incident, clock, [[30 * MINUTE_MS, { action: 'reclassify', severity: 'sev1' }]]);

    const readings = deadlines(upgraded, DEFAULT_SLA_POLICY, clock);
    expect([readings.workBegins.dueAt, readings.temporary.dueAt, readings.final.dueAt]).toEqual([at(HOUR_MS), at(4 * HOUR_MS), at(7 * HOUR_MS)]);
    expect(upgraded.severity).toBe('sev1');
    expect(upgraded.timeline.at(-1)).toEqual({
      at: at(30 * MINUTE_MS),
      actor: 'bob',
      reason: 'reclassify for the test',
      change: { kind: 'severity', from: 'sev2', to: 'sev1', due: { workBegins: at(HOUR_MS), temporary: at(4 * HOUR_MS), final: at(7 * HOUR_MS) } },
    });
  });
});

describe('slaPolicySchema', () => {
  const valid = {
    warnAt: [0.8, 0.5],
    severities: {
      sev1: { workBegins: '1h', temporary: '4h', final: '7h' },
      sev2: { workBegins: '2h', temporary: '48h', final: '14d' },
      sev3: {
        workBegins: '72h',
        temporary: '7d',
        final: '30d',
        businessHours: { timeZone: 'America/New_York', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
      },
      sev4: {},
    },
  };

  it('reads the seed table with Sev3 in business hours', () => {
    const policy = validateInput(valid, slaPolicySchema, 'vigil.yaml');

    expect(policy.warnAt).toEqual([0.5, 0.8]);
    expect(policy.severities.sev1).toEqual(DEFAULT_SLA_POLICY.severities.sev1);
    expect(policy.severities.sev2).toEqual(DEFAULT_SLA_POLICY.severities.sev2);
    expect(policy.severities.sev3.businessHours?.timeZone).toBe('America/New_York');
    expect(policy.severities.sev4).toEqual({ withinMs: {} });
  });

  it('names every bad field', () => {
    const bad = {
      warnAt: [1.5],
      severities: {
        ...valid.severities,
        sev1: { workBegin: '1h', temporary: 'soon', final: '7h' },
        sev3: { ...valid.severities.sev3, businessHours: { timeZone: 'Mars/Olympus', days: ['mon'], start: '17:00', end: '09:00' } },
      },
    };

    let problems: string[] = [];
    try {
      validateInput(bad, slaPolicySchema, 'vigil.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      problems = (err as ConfigError).problems.map((p) => p.path).sort();
    }

    expect(problems).toEqual([
      'severities.sev1.temporary',
      'severities.sev1.workBegin',
      'severities.sev3.businessHours.end',
      'severities.sev3.businessHours.timeZone',
      'warnAt[0]',
    ]);
  });
});
