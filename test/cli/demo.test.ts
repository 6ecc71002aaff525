/** The README's main command, end to end: `vigil demo` against the Coursecraft scenario. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import { runCli } from '../helpers/cli.js';
import { skipWithoutMariaDb } from '../helpers/mariadb.js';

async function reopen<T>(dataDir: string, read: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = SqliteStore.open(dataDir);
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

describe('vigil demo', () => {
  it('runs every step against the sandbox, shows planted failures by resource and stores the run', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-demo-'));

    const { code, stdout, stderr } = await runCli(['demo', '--data-dir', dataDir]);
    const output = `${stdout}\n${stderr}`;
    const store = SqliteStore.open(dataDir);
    const [run] = await store.listRuns({ kind: 'check' });
    const results = run ? await store.checkResults(run.id) : [];
    await store.close();
    const messages = results.filter((r) => r.status === 'fail').map((r) => r.message);

    expect(code).toBe(0);
    expect(output).toContain('ok    vigil config check');
    expect(output).toContain('ok    vigil accounts verify');
    expect(output).toContain('exit 1  vigil check run');
    expect(output).toContain('ok    vigil drill due');
    expect(output).toContain('exit 1  vigil drill run --due');
    expect(output).toMatch(/│ FAIL\s+│ rds-backup-retention\s+│ 222222222222\s+│ reporting-prod/);
    expect(output).not.toContain('xoxb-sandbox-demo');
    expect(run).toMatchObject({ status: 'failed', trigger: 'cli', reason: 'vigil demo' });
    expect(messages).toContain('RDS instance reporting-prod keeps automated backups for 7 days, fewer than 30.');
    expect(messages).toContain('S3 bucket coursecraft-uploads-prod has versioning suspended.');
    expect(messages).toContain('RDS instance lms-prod keeps 1 snapshot beyond 37 days: lms-prod-before-v3-migration (120 days).');
    expect(results.find((r) => r.checkId === 'rds-dr-copy' && r.name === 'lms-prod')?.status).toBe('pass');
    const drills = await reopen(dataDir, (s) => s.listDrills());
    expect(Object.fromEntries(drills.map((d) => [d.target, d.status]))).toEqual({ 'lms-prod': 'succeeded', 'reporting-prod': skipWithoutMariaDb ? 'failed' : 'succeeded', 'analytics-prod': 'failed', 'course-content': 'succeeded' });
    expect(drills.find((d) => d.target === 'course-content')?.verification.map((v) => v['passed'])).toEqual([true, true, true, true, true]);
    expect(drills.find((d) => d.target === 'analytics-prod')?.failure).toContain('relation "learners" does not exist');

    // The failed drill became a Sev2, paged, posted to Slack and to the status page.
    expect(output).toContain('ok    vigil incident list');
    const incidents = await reopen(dataDir, (s) => s.incidents.listIncidents());
    const fromDrill = incidents.find((i) => i.incident.signalKeys.includes('drill:analytics-prod'))?.incident;
    expect(fromDrill?.severity).toBe('sev2');
    const deliveries = await reopen(dataDir, (s) => s.incidents.listOutbox({ subjectId: fromDrill?.id }));
    expect(deliveries.map((d) => [d.channel, d.status])).toEqual([
      ['pagerduty', 'delivered'],
      ['slack', 'delivered'],
      ['statuspage', 'delivered'],
    ]);
    expect(incidents.every((i) => i.incident.severity !== 'sev1')).toBe(true);

    // The evidence: the ledger verifies and today's report bundle is written and verified.
    expect(output).toContain('ok    vigil evidence verify');
    expect(output).toMatch(/ok {4}vigil report iso27001 --from \d{4}-\d{2}-\d{2}/);
    expect(output).toMatch(/ok {4}vigil report verify-bundle/);
    expect(output).toMatch(/\d+ effective, \d+ with exceptions, [1-9]\d* not effective/);
  }, 180_000);
});
