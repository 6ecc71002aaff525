import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/store/migrations.js';
import { DB_FILE, SqliteStore } from '../../src/store/sqlite.js';
import type { CheckResultRecord } from '../../src/store/types.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'vigil-store-'));
}

function result(runId: string, n: number, status: CheckResultRecord['status'] = 'pass'): CheckResultRecord {
  return {
    runId,
    checkId: 'rds-backup-retention',
    accountId: '222222222222',
    region: 'us-east-1',
    resource: `arn:aws:rds:us-east-1:222222222222:db:db-${n}`,
    name: `db-${n}`,
    severity: 'high',
    remediation: 'runbooks/rds-backup-retention.md',
    status,
    message: `db-${n} keeps automated backups for 30 days.`,
    facts: { retentionDays: 30 },
    params: { minDays: 30 },
    evaluatedAt: '2026-11-24T03:00:01.000Z',
  };
}

/** Runs the crash child; with haltAt it is SIGKILLed inside its write transaction. */
function runChild(dataDir: string, count: number, haltAt?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', join(import.meta.dirname, 'crash-child.ts'), dataDir, String(count), ...(haltAt === undefined ? [] : [String(haltAt)])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('halted') || seen.includes('committed')) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', () => resolve(seen.trim()));
  });
}

describe('SqliteStore', () => {
  it('applies every migration to an empty directory, in WAL mode', async () => {
    const dir = tempDir();

    const store = SqliteStore.open(dir);
    const version = await store.schemaVersion();
    await store.close();
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    const journal = db.pragma('journal_mode', { simple: true });
    const applied = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    db.close();

    expect(version).toBe(LATEST_SCHEMA_VERSION);
    expect(journal).toBe('wal');
    expect(applied).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  it('reopens an existing store without reapplying migrations, keeping its data', async () => {
    const dir = tempDir();
    const first = SqliteStore.open(dir);
    await first.startRun({ id: 'run-a', kind: 'check', startedAt: '2026-11-24T03:00:00.000Z', trigger: 'cli' });
    await first.close();

    const second = SqliteStore.open(dir);
    const run = await second.getRun('run-a');
    await second.close();

    expect(run).toMatchObject({ id: 'run-a', status: 'running' });
  });

  it('refuses a store at a newer schema version than it knows', async () => {
    const dir = tempDir();
    (await SqliteStore.open(dir).close());

    const error = (() => {
      try {
        SqliteStore.open(dir, MIGRATIONS.slice(0, 0));
      } catch (err) {
        return err;
      }
      return undefined;
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`schema version ${LATEST_SCHEMA_VERSION}, newer than this Vigil knows (0)`);
  });

  it('records a run with its results, keyed by account and region', async () => {
    const store = SqliteStore.open(tempDir());
    await store.startRun({ id: 'run-1', kind: 'check', startedAt: '2026-11-24T03:00:00.000Z', trigger: 'schedule', actor: 'scheduler', reason: 'daily retention checks' });

    await store.appendCheckResults([result('run-1', 1), result('run-1', 2, 'fail')]);
    await store.appendCheckResults([result('run-1', 3, 'error')]);
    const finished = await store.finishRun('run-1', 'failed', '2026-11-24T03:00:05.000Z', { pass: 1, fail: 1, error: 1 });
    const results = await store.checkResults('run-1');
    const listed = await store.listRuns({ kind: 'check' });
    await store.close();

    expect(finished).toMatchObject({ status: 'failed', finishedAt: '2026-11-24T03:00:05.000Z', summary: { pass: 1, fail: 1, error: 1 }, actor: 'scheduler' });
    expect(results.map((r) => [r.resource.split(':').pop(), r.status, r.accountId, r.region])).toEqual([
      ['db-1', 'pass', '222222222222', 'us-east-1'],
      ['db-2', 'fail', '222222222222', 'us-east-1'],
      ['db-3', 'error', '222222222222', 'us-east-1'],
    ]);
    expect(listed.map((r) => r.id)).toEqual(['run-1']);
  });

  it('refuses to finish a run twice', async () => {
    const store = SqliteStore.open(tempDir());
    await store.startRun({ id: 'run-1', kind: 'check', startedAt: '2026-11-24T03:00:00.000Z', trigger: 'cli' });
    await store.finishRun('run-1', 'succeeded', '2026-11-24T03:00:01.000Z', {});

    const error = await store.finishRun('run-1', 'failed', '2026-11-24T03:00:02.000Z', {}).catch((e: unknown) => e);
    await store.close();

    expect(String(error)).toContain('already succeeded');
  });

  it('leaves no half-written results when killed -9 inside a write', async () => {
    const dir = tempDir();

    const said = await runChild(dir, 5_000, 2_500);
    const store = SqliteStore.open(dir);
    const run = await store.getRun('run-1');
    const results = await store.checkResults('run-1');
    await store.close();
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    const integrity = db.pragma('integrity_check', { simple: true });
    db.close();

    expect(said).toBe('halted');
    expect(run).toMatchObject({ id: 'run-1', status: 'running' });
    expect(results).toEqual([]);
    expect(integrity).toBe('ok');
  });

  it('keeps every result of a committed write when killed -9 right after it', async () => {
    const dir = tempDir();

    const said = await runChild(dir, 5_000);
    const store = SqliteStore.open(dir);
    const results = await store.checkResults('run-1');
    await store.close();

    expect(said).toBe('committed');
    expect(results).toHaveLength(5_000);
  });
});
