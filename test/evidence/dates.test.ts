/** Report periods from --from/--to: whole UTC days, refused when inverted, empty or in the future. */
import { describe, expect, it } from 'vitest';
import { parseDate, parsePeriod } from '../../src/evidence/dates.js';

const NOW = new Date('2025-06-15T12:00:00.000Z');

describe('parsePeriod', () => {
  it('takes bare dates as whole days, both included', () => {
    expect(parsePeriod('2025-01-01', '2025-03-31', NOW)).toEqual({ period: { from: '2025-01-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' }, problems: [] });
  });

  it('takes instants as given, the end exclusive', () => {
    expect(parsePeriod('2025-01-01T06:00:00+02:00', '2025-01-02T00:00:00Z', NOW).period).toEqual({ from: '2025-01-01T04:00:00.000Z', to: '2025-01-02T00:00:00.000Z' });
  });

  it('ends a period that runs through today at now', () => {
    expect(parsePeriod('2025-06-01', '2025-06-15', NOW).period).toEqual({ from: '2025-06-01T00:00:00.000Z', to: '2025-06-15T12:00:00.000Z' });
  });

  const refusals: Array<[string | undefined, string | undefined, string[]]> = [
    ['2025-03-10', '2025-03-01', ['argument --to: the period is inverted or empty: --to 2025-03-01 is not after --from 2025-03-10']],
    ['2025-03-01T00:00:00Z', '2025-03-01T00:00:00Z', ['argument --to: the period is inverted or empty: --to 2025-03-01T00:00:00Z is not after --from 2025-03-01T00:00:00Z']],
    ['2025-07-01', '2025-07-31', ['argument --from: 2025-07-01 is in the future (now is 2025-06-15T12:00:00.000Z)', 'argument --to: 2025-07-31 is in the future (now is 2025-06-15T12:00:00.000Z); a report covers evidence that exists']],
    ['2025-05-01', '2025-06-16', ['argument --to: 2025-06-16 is in the future (now is 2025-06-15T12:00:00.000Z); a report covers evidence that exists']],
    ['2025-02-30', 'last week', ['argument --from: expected a date (2025-06-30) or an ISO instant with a zone (2025-06-30T12:00:00Z), got "2025-02-30"', 'argument --to: expected a date (2025-06-30) or an ISO instant with a zone (2025-06-30T12:00:00Z), got "last week"']],
    [undefined, undefined, ['argument --from: required; expected a date (2025-06-30) or an ISO instant with a zone (2025-06-30T12:00:00Z)', 'argument --to: required; expected a date (2025-06-30) or an ISO instant with a zone (2025-06-30T12:00:00Z)']],
  ];

  it.each(refusals)('refuses --from %s --to %s', (from, to, messages) => {
    const { period, problems } = parsePeriod(from, to, NOW);

    expect(period).toBeUndefined();
    expect(problems.map((p) => `${p.file}: ${p.message}`)).toEqual(messages);
  });
});

describe('parseDate', () => {
  it('refuses instants without a zone, which would mean different days to different readers', () => {
    expect([parseDate('2025-01-01T00:00:00'), parseDate('2025-1-1')]).toEqual([undefined, undefined]);
  });
});
