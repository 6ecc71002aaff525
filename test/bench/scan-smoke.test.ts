/**
 * CI's smoke run of the scan benchmark: profile S once, end to end through the same code as
 * `npm run bench -- scan` (the estate sandbox here, Vigil's standard scan in a child process). It
 * asserts correctness only, never times: this machine's speed is the benchmark's business.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanFigures, TIME_COMPRESSION } from '../../bench/scan.bench.js';
import { scanEstate, type ScanFigures } from '../../bench/scan-run.js';
import { callsByOperation, startEstateSandbox, type EstateSandbox } from '../../src/sandbox/estates/index.js';

describe('the scan benchmark on profile S', () => {
  let estate: EstateSandbox;
  let figures: ScanFigures;

  beforeAll(async () => {
    estate = await startEstateSandbox({ profile: 'S', timeCompression: TIME_COMPRESSION });
    figures = await scanEstate(estate, { timeoutMs: 120_000 });
  }, 120_000);

  afterAll(async () => {
    await estate?.stop();
  });

  it('scans every account the organization lists, with no check in error', () => {
    expect(figures.accounts).toBe(5);
    expect(figures.results).toBeGreaterThan(0);
    expect(figures.errors).toBe(0);
    expect(figures.errorSamples).toEqual([]);
  });

  it("makes only calls the estate's declared model has", () => {
    const modelled = [...callsByOperation(estate.model).keys()];

    expect(figures.unmodelled).toEqual([]);
    expect(modelled).toEqual(expect.arrayContaining(['cloudtrail:LookupEvents', 'rds:DescribeDBSnapshotAttributes', 'ec2:DescribeSnapshots', 'sts:AssumeRole']));
  });

  it('makes at least the minimum of calls on every scope the model declares, and throttles on none but LookupEvents', () => {
    const short = estate.report().scopes.filter((s) => s.served < s.minimum);
    const throttledLimits = Object.keys(figures.throttledByLimit).filter((limit) => limit !== 'cloudtrail:LookupEvents');

    expect(short).toEqual([]);
    expect(throttledLimits).toEqual([]);
  });

  it('reports every figure of the benchmark, each a number', () => {
    const printed = scanFigures('S', figures, true);

    expect(printed.map((f) => f.label.split(' (')[0])).toEqual([
      'S T',
      'S T_LB',
      'S T / T_LB',
      'S AWS calls',
      'S calls / minimum',
      'S throttled on the binding scope',
      'S throttled calls, every scope',
      'S checks in error',
      'S checks in error from throttling',
      'S peak RSS of Vigil',
      'S heap Vigil held',
    ]);
    expect(printed.every((f) => Number.isFinite(f.value))).toBe(true);
    expect(figures.lowerBound.binding.name).not.toBe('');
    expect(figures.binding.scope).toBe(figures.lowerBound.binding.term === 'scope' ? figures.lowerBound.binding.name : figures.lowerBound.scopes[0]?.scope);
    expect(figures.minimumCalls).toBe(estate.model.totalCalls);
  });
});
