/** Judging what a verification query returned against what the drill expects. Pure. */
import type { Expectation } from './definitions.js';

export interface StepOutcome {
  name: string;
  kind: 'sql' | 'script';
  passed: boolean;
  /** What came back, short: the first value, a row count, an exit code. */
  observed: unknown;
  expected: Record<string, unknown>;
  /** One sentence naming the step and what held or did not. */
  message: string;
  durationMs: number;
  /** For freshness: the newest row's time. */
  newestAt?: string;
}

function firstValue(rows: Array<Record<string, unknown>>): unknown {
  const row = rows[0];
  return row ? Object.values(row)[0] : undefined;
}

function asDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === 'string' || typeof value === 'number') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

export function judgeRows(name: string, rows: Array<Record<string, unknown>>, expect: Expectation, ctx: { pointCreatedAt: Date; rpoMs: number }): Omit<StepOutcome, 'durationMs' | 'kind'> {
  const problems: string[] = [];
  const value = firstValue(rows);
  let newestAt: string | undefined;
  if (expect.rowsAtLeast !== undefined && rows.length < expect.rowsAtLeast) problems.push(`returned ${rows.length} rows, expected at least ${expect.rowsAtLeast}`);
  if (expect.valueAtLeast !== undefined) {
    const n = Number(value);
    if (value === undefined || value === null || Number.isNaN(n)) problems.push(`returned ${String(value)}, expected a number of at least ${expect.valueAtLeast}`);
    else if (n < expect.valueAtLeast) problems.push(`returned ${n}, expected at least ${expect.valueAtLeast}`);
  }
  if (expect.equals !== undefined && String(value) !== String(expect.equals)) problems.push(`returned ${String(value)}, expected ${String(expect.equals)}`);
  if (expect.freshWithinRpo) {
    const newest = asDate(value);
    if (!newest) problems.push(`returned ${String(value)}, expected the newest row's timestamp`);
    else {
      newestAt = newest.toISOString();
      const lagMs = ctx.pointCreatedAt.getTime() - newest.getTime();
      if (lagMs > ctx.rpoMs) {
        problems.push(`newest row is from ${newestAt}, ${Math.round(lagMs / 3_600_000)} h before the recovery point, beyond the ${Math.round(ctx.rpoMs / 3_600_000)} h RPO`);
      }
    }
  }
  const observed = expect.rowsAtLeast !== undefined && expect.valueAtLeast === undefined && expect.equals === undefined && !expect.freshWithinRpo ? { rows: rows.length } : value instanceof Date ? value.toISOString() : value;
  return {
    name,
    passed: problems.length === 0,
    observed,
    expected: { ...expect },
    message: problems.length === 0 ? `${name}: held (${JSON.stringify(observed)}).` : `${name}: ${problems.join('; ')}.`,
    newestAt,
  };
}
