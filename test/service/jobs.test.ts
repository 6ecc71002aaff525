import { describe, expect, it } from 'vitest';
import { jobSignal } from '../../src/service/jobs.js';
import type { Schedule } from '../../src/service/schedules.js';
import type { RunRecord } from '../../src/store/types.js';

const schedule = { name: 'backup-checks-daily', job: { kind: 'checks', checks: [], checkIds: [] } } as unknown as Schedule;
const run = (status: RunRecord['status'], summary: Record<string, unknown>): RunRecord => ({
  id: 'run-1',
  kind: 'job',
  startedAt: '2026-11-24T04:30:00.000Z',
  finishedAt: '2026-11-24T04:31:00.000Z',
  status,
  trigger: 'schedule',
  summary,
});

describe('job signals', () => {
  it('says why a job could not run, from the runner\'s result or the thrown error', () => {
    const blind = jobSignal(run('error', { result: { error: 'every one of 56 evaluations was an error: Vigil could not look' } }), schedule);
    const thrown = jobSignal(run('error', { error: 'the config no longer loads' }), schedule);

    expect(blind).toMatchObject({ kind: 'job-failed', key: 'job:backup-checks-daily', summary: 'Scheduled job backup-checks-daily could not run: every one of 56 evaluations was an error: Vigil could not look' });
    expect(thrown?.summary).toBe('Scheduled job backup-checks-daily could not run: the config no longer loads');
  });

  it('raises nothing for a job that ran and found failures, and clears on success', () => {
    expect(jobSignal(run('failed', { result: {} }), schedule)).toBeUndefined();
    expect(jobSignal(run('succeeded', { result: {} }), schedule)?.payload['cleared']).toBe(true);
  });
});
