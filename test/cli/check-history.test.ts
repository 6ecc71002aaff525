import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/core/results.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
let env: NodeJS.ProcessEnv;

function result(name: string, status: CheckResult['status']): CheckResult & { runId: string } {
  return {
    runId: 'run-1',
    checkId: 'rds-backup-retention',
    severity: 'high',
    accountId: '222222222222',
    region: 'us-east-1',
    resource: `arn:aws:rds:us-east-1:222222222222:db:${name}`,
    name,
    status,
    message: status === 'fail' ? `RDS instance ${name} keeps automated backups for 7 days, fewer than 30.` : `RDS instance ${name} keeps automated backups for 30 days.`,
    facts: {},
    params: { minDays: 30 },
    remediation: 'runbooks/rds-backup-retention.md',
    evaluatedAt: '2026-11-24T03:00:01.000Z',
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-history-'));
  writeFileSync(join(dir, 'vigil.config.yaml'), 'version: 1\naccounts:\n  - { id: "222222222222", name: production, regions: [us-east-1] }\n');
  env = { VIGIL_CONFIG: join(dir, 'vigil.config.yaml'), VIGIL_DATA_DIR: dir };
  const store = SqliteStore.open(dir);
  await store.startRun({ id: 'run-1', kind: 'check', startedAt: '2026-11-24T03:00:00.000Z', trigger: 'schedule', actor: 'scheduler', reason: 'daily retention checks' });
  await store.appendCheckResults([result('lms-prod', 'pass'), result('reporting-prod', 'fail')]);
  await store.finishRun('run-1', 'failed', '2026-11-24T03:00:05.000Z', { counts: { pass: 1, fail: 1, error: 0, not_applicable: 0 } });
  await store.close();
});

describe('reading stored check runs back', () => {
  it('lists runs with who started them, why, and their counts', async () => {
    const { code, stdout } = await runCli(['check', 'runs'], { env });

    expect(code).toBe(0);
    expect(stdout).toMatch(/│ run-1\s+│ 2026-11-24T03:00:00.000Z │ failed\s+│ scheduler \(schedule\) │ daily retention checks │ 1\s+│ 1\s+│ 0\s+│ 0\s+│/);
  });

  it('shows one run\'s results, filtered by status, as JSON lines', async () => {
    const { code, stdout } = await runCli(['check', 'show', 'run-1', '--status', 'fail', '--output', 'json'], { env });
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as CheckResult);

    expect(code).toBe(0);
    expect(lines.map((r) => [r.name, r.status, r.message])).toEqual([['reporting-prod', 'fail', 'RDS instance reporting-prod keeps automated backups for 7 days, fewer than 30.']]);
  });

  it('names an unknown run with where to look', async () => {
    const { code, stderr } = await runCli(['check', 'show', 'nope'], { env });

    expect(code).toBe(2);
    expect(stderr).toContain('argument RUN: no check run nope; see vigil check runs');
  });
});
