import { describe, expect, it } from 'vitest';
import { drillDefinitionSchema } from '../../src/drills/definitions.js';
import { dueDrills } from '../../src/drills/due.js';
import { chooseRecoveryPoint, drillInstanceName, restoreRegion, snapshotsOfSource } from '../../src/drills/plan.js';
import { judgeRows } from '../../src/drills/verify.js';
import type { DrillRecord } from '../../src/store/types.js';
import { snapshot } from '../checks/fixtures.js';
import { definition } from './fixtures.js';

const NOW = new Date('2026-11-24T12:00:00.000Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);

const own = [snapshot('rds:lms-prod-1', hoursAgo(8)), snapshot('rds:lms-prod-2', hoursAgo(32)), snapshot('rds:lms-prod-3', hoursAgo(200)), snapshot('rds:lms-prod-0', hoursAgo(1), { status: 'creating' })];
const other = snapshot('reporting-manual', hoursAgo(5), { sourceId: 'reporting-prod' });

describe('choosing the recovery point', () => {
  it.each([
    ['latest', () => 0, 'rds:lms-prod-1'],
    ['random:2d with the first draw', () => 0, 'rds:lms-prod-1'],
    ['random:2d with the last draw', () => 0.99, 'rds:lms-prod-2'],
    ['a named snapshot', () => 0, 'rds:lms-prod-3'],
  ])('%s', (name, random, expected) => {
    const choice = name === 'latest' ? 'latest' : name.startsWith('random') ? 'random:2d' : 'rds:lms-prod-3';
    const def = definition({ restore: { recoveryPoint: choice } });

    const picked = chooseRecoveryPoint(def, own, [...own, other], NOW, random);

    expect(picked).toMatchObject({ ok: true, point: { id: expected } });
  });

  it.each([
    ['reporting-manual', 'snapshot reporting-manual belongs to reporting-prod, not lms-prod'],
    ['rds:lms-prod-0', 'snapshot rds:lms-prod-0 is creating, not available'],
    ['rds:nope', 'no snapshot rds:nope of lms-prod'],
  ])('refuses %s with the reason', (id, reason) => {
    const picked = chooseRecoveryPoint(definition({ restore: { recoveryPoint: id } }), own, [...own, other], NOW, () => 0);

    expect(picked).toEqual({ ok: false, reason });
  });

  it('reports when nothing is recent enough for a random pick', () => {
    const picked = chooseRecoveryPoint(definition({ restore: { recoveryPoint: 'random:2h' } }), own, own, NOW, () => 0);

    expect(picked).toEqual({ ok: false, reason: 'no completed snapshot of lms-prod from the last 2h' });
  });

  it('uses the original snapshot time of a DR copy as the data time', () => {
    const copy = snapshot('lms-prod-copy', hoursAgo(2), { region: 'us-west-2', sourceRegion: 'us-east-1', dataAsOf: hoursAgo(3) });

    const picked = chooseRecoveryPoint(definition(), [copy], [copy], NOW, () => 0);

    expect(picked).toMatchObject({ ok: true, point: { id: 'lms-prod-copy', createdAt: hoursAgo(3), region: 'us-west-2' } });
  });

  it('restores from the DR region by default and refuses when the account has none', () => {
    expect(restoreRegion(definition(), 'us-west-2')).toEqual({ ok: true, region: 'us-west-2' });
    expect(restoreRegion(definition(), undefined)).toEqual({ ok: false, reason: 'restore.from is dr but account 222222222222 has no drRegion configured' });
    expect(restoreRegion(definition({ restore: { from: 'source' } }), 'us-west-2')).toEqual({ ok: true, region: 'us-east-1' });
  });

  it('keeps only the source\'s snapshots and its copies', () => {
    const copy = snapshot('copy', hoursAgo(2), { region: 'us-west-2', sourceRegion: 'us-east-1' });
    const foreign = snapshot('foreign-copy', hoursAgo(2), { region: 'us-west-2', sourceRegion: 'eu-west-1' });

    expect(snapshotsOfSource(definition(), [copy, foreign, other], 'us-west-2').map((s) => s.id)).toEqual(['copy']);
  });

  it('names the throwaway instance within RDS limits', () => {
    const name = drillInstanceName('a-very-long-target-name-that-goes-on-and-on-and-on-for-ever', '63f7be1f-ecc2-4407-92e3-a21e887e9682');

    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^vigil-drill-a-very-long.*-63f7be1f$/);
    expect(name).not.toMatch(/--/);
  });
});

describe('judging verification queries', () => {
  const ctx = { pointCreatedAt: hoursAgo(6), rpoMs: 24 * 3_600_000 };

  it.each([
    ['count at least', [{ n: '1500' }], { valueAtLeast: 1000 }, true, 'learners: held ("1500").'],
    ['count too low', [{ n: '12' }], { valueAtLeast: 1000 }, false, 'learners: returned 12, expected at least 1000.'],
    ['empty result', [], { valueAtLeast: 1 }, false, 'learners: returned undefined, expected a number of at least 1.'],
    ['rows at least', [{ a: 1 }, { a: 2 }], { rowsAtLeast: 3 }, false, 'learners: returned 2 rows, expected at least 3.'],
    ['equals a version', [{ v: '2026_11_01' }], { equals: '2026_11_01' }, true, 'learners: held ("2026_11_01").'],
    ['fresh within the RPO', [{ newest: hoursAgo(8) }], { freshWithinRpo: true }, true, `learners: held ("${hoursAgo(8).toISOString()}").`],
    ['stale beyond the RPO', [{ newest: hoursAgo(60) }], { freshWithinRpo: true }, false, `learners: newest row is from ${hoursAgo(60).toISOString()}, 54 h before the recovery point, beyond the 24 h RPO.`],
  ])('%s', (_name, rows, expect_, passed, message) => {
    const outcome = judgeRows('learners', rows as Array<Record<string, unknown>>, expect_, ctx);

    expect(outcome.passed).toBe(passed);
    expect(outcome.message).toBe(message);
  });

  it('refuses a definition that expects nothing', () => {
    const result = drillDefinitionSchema.safeParse({ ...definition(), verify: [{ name: 'nothing', sql: 'SELECT 1', expect: {} }] });

    expect(result.success).toBe(false);
  });
});

describe('which drills are due', () => {
  const success = (at: string) => ({ id: 'd1', target: 'lms-prod', status: 'succeeded', startedAt: at, finishedAt: at }) as DrillRecord;

  it('is due with no success on record, not due within the window, due again after it', () => {
    const def = definition();

    expect(dueDrills([def], new Map(), NOW)[0]).toMatchObject({ due: true, reason: 'no successful drill on record; the window is 7 days' });
    expect(dueDrills([def], new Map([['lms-prod', success('2026-11-20T00:00:00.000Z')]]), NOW)[0]).toMatchObject({ due: false, reason: 'next due 2026-11-27T00:00:00.000Z' });
    expect(dueDrills([def], new Map([['lms-prod', success('2026-11-10T00:00:00.000Z')]]), NOW)[0]).toMatchObject({ due: true });
  });
});
