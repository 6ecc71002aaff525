import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatInZone } from '../../src/cli/commands/schedule.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/core/clock.js';
import type { ScheduleStatus } from '../../src/service/scheduler.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
let env: NodeJS.ProcessEnv;
let lastRunAt: Date;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-schedule-cli-'));
  writeFileSync(join(dir, 'vigil.config.yaml'), 'version: 1\naccounts:\n  - { id: "222222222222", name: production, regions: [us-east-1] }\n');
  env = { VIGIL_CONFIG: join(dir, 'vigil.config.yaml'), VIGIL_DATA_DIR: dir };
  mkdirSync(join(dir, 'good'));
  writeFileSync(
    join(dir, 'good', 'new-year-drill.yaml'),
    [
      'name: new-year-drill',
      'description: The LMS drill on New Year\'s morning in New York',
      'cron: "0 6 1 1 *"',
      'timeZone: America/New_York',
      'job: { kind: drills, targets: [lms-prod] }',
      'ensure: { successWithin: 366d }',
      '',
    ].join('\n'),
  );
  mkdirSync(join(dir, 'bad'));
  writeFileSync(join(dir, 'bad', 'drills.yaml'), 'name: drills\ndescription: Weekly drills that must succeed daily\ncron: "0 5 * * 0"\ntimeZone: UTC\njob: { kind: drills, due: true }\nensure: { successWithin: 1d }\n');
  writeFileSync(join(dir, 'bad', 'sweep.yaml'), 'name: sweep\ndescription: The SLA sweep, every minute\ncron: "*/0 * * * *"\ntimeZone: UTC\njob: { kind: sla-sweep }\n');
  // The CLI reads the real clock: the last run is a day ago, so its window is not due.
  lastRunAt = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS + 10 * HOUR_MS);
  const store = SqliteStore.open(dir);
  const summary = { schedule: 'new-year-drill', job: 'drills', trigger: 'catch-up', scheduledFor: lastRunAt.toISOString(), owner: '1@elsewhere' };
  await store.startRun({ id: 'job-1', kind: 'job', startedAt: lastRunAt.toISOString(), trigger: 'schedule', actor: 'scheduler', summary });
  await store.finishRun('job-1', 'succeeded', new Date(lastRunAt.getTime() + 40 * MINUTE_MS).toISOString(), { ...summary, result: { drills: ['d-1'] } });
  await store.close();
});

describe('vigil schedule', () => {
  it('validates the schedules Vigil ships', async () => {
    const { code, stdout } = await runCli(['schedule', 'check']);

    expect(code).toBe(0);
    expect(stdout).toContain('7 schedules, no problems');
    expect(stdout).toMatch(/│ restore-drills-weekly\s+│ drills that are due\s+│ 0 5 \* \* 0 UTC\s+│ success within 7d\s+│ schedules\/restore-drills-weekly\.yaml\s+│/);
  });

  it('names every problem in every file with file, line and field, and exits 2', async () => {
    const { code, stderr } = await runCli(['schedule', 'check', '--schedules', join(dir, 'bad')]);

    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([
      'vigil: 3 problems in the input:',
      expect.stringMatching(
        new RegExp(`^  ${join(dir, 'bad', 'drills.yaml')}:6: ensure\\.successWithin: a successful run within 1d cannot be met by cron "0 5 \\* \\* 0" \\(UTC\\), which leaves 7d between the runs of (\\S+T05:00:00\\.000Z) and \\S+T05:00:00\\.000Z; make successWithin at least 7d or run more often$`),
      ),
      `  ${join(dir, 'bad', 'sweep.yaml')}:3: cron: not a valid cron expression: Field (minute) has a step of zero`,
      `  ${join(dir, 'bad', 'sweep.yaml')}:5: job.kind: expected one of: checks, drills, incidents, probes, report`,
    ]);
  });

  it('refuses a directory that does not exist', async () => {
    const { code, stderr } = await runCli(['schedule', 'check', '--schedules', join(dir, 'nowhere')]);

    expect(code).toBe(2);
    expect(stderr.trim()).toBe(`vigil: invalid input:\n  ${join(dir, 'nowhere')}: no such directory of schedule files`);
  });

  it('lists each schedule with its next run, window rule and last run from the store', async () => {
    const { code, stdout } = await runCli(['schedule', 'list', '--schedules', join(dir, 'good'), '--output', 'json'], { env });
    const [status] = JSON.parse(stdout) as ScheduleStatus[];
    const nextYear = new Date().getUTCFullYear() + 1;

    expect(code).toBe(0);
    expect(status).toEqual({
      name: 'new-year-drill',
      description: "The LMS drill on New Year's morning in New York",
      job: { kind: 'drills', targets: ['lms-prod'] },
      jobText: 'drills lms-prod',
      cron: '0 6 1 1 *',
      timeZone: 'America/New_York',
      enabled: true,
      nextRunAt: `${nextYear}-01-01T11:00:00.000Z`,
      window: { successWithin: '366d', lastSuccessAt: lastRunAt.toISOString(), dueAt: new Date(lastRunAt.getTime() + 366 * DAY_MS).toISOString(), dueNow: false },
      lastRun: { id: 'job-1', trigger: 'catch-up', startedAt: lastRunAt.toISOString(), finishedAt: new Date(lastRunAt.getTime() + 40 * MINUTE_MS).toISOString(), status: 'succeeded' },
      file: join(dir, 'good', 'new-year-drill.yaml'),
    });
  });

  it('shows next runs in each schedule\'s own zone in the table', async () => {
    const { code, stdout } = await runCli(['schedule', 'list', '--schedules', join(dir, 'good')], { env });
    const nextYear = new Date().getUTCFullYear() + 1;
    const due = formatInZone(new Date(lastRunAt.getTime() + 366 * DAY_MS).toISOString(), 'America/New_York');
    const last = formatInZone(lastRunAt.toISOString(), 'America/New_York');

    expect(code).toBe(0);
    expect(stdout).toContain(`│ new-year-drill │ drills lms-prod │ 0 6 1 1 * America/New_York │ ${nextYear}-01-01 06:00 EST │ success within 366d: due ${due} │ succeeded ${last} (catch-up) │`);
  });
});

