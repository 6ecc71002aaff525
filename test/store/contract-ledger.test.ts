/**
 * The evidence ledger's contract on SQLite and PostgreSQL: writes append their entries with the record,
 * verifyLedger passes an untouched chain and names tampering done with raw SQL on the database, and
 * appenders writing at once (two stores on one database: two processes, or two replicas with their own
 * pools) take turns and never fork the chain.
 */
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { verifyLedger } from '../../src/evidence/ledger.js';
import type { NewLedgerEntry } from '../../src/store/ledger-types.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { describeStores } from '../helpers/stores.js';

function note(n: number, actor = 'scheduler'): NewLedgerEntry {
  return { kind: 'job-run', at: new Date(Date.UTC(2026, 10, 24, 3, 0, n)).toISOString(), actor, subject: `job-${n}`, data: { n, status: 'succeeded' } };
}

async function seed(store: Store, count: number): Promise<void> {
  for (let n = 1; n <= count; n += 3) await store.ledger.append([note(n), note(n + 1), note(n + 2)].filter((e) => (e.data['n'] as number) <= count));
}

/** Raw SQL on the database behind the store, as someone with access to it would run it. */
async function tamper(store: Store, sql: string): Promise<void> {
  if (store instanceof SqliteStore) {
    const db = new Database(store.file);
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
    return;
  }
  if (store instanceof PostgresStore) {
    await store.db.run(sql);
    return;
  }
  throw new Error(`cannot tamper with a ${store.kind} store`);
}

describeStores('ledger', ({ open, reopen }) => {
  it('appends an entry with each write, in one chain that verifies', async () => {
    const store = await open();
    await store.startRun({ id: 'run-1', kind: 'check', startedAt: '2026-11-24T03:00:00.000Z', trigger: 'schedule', actor: 'scheduler' });
    await store.appendCheckResults([
      {
        runId: 'run-1',
        checkId: 'rds-backup-retention',
        accountId: '222222222222',
        region: 'us-east-1',
        resource: 'arn:aws:rds:us-east-1:222222222222:db:db-1',
        name: 'db-1',
        severity: 'high',
        remediation: 'runbooks/rds-backup-retention.md',
        status: 'fail',
        message: 'db-1 keeps automated backups for 7 days.',
        facts: { retentionDays: 7 },
        params: { minDays: 30 },
        evaluatedAt: '2026-11-24T03:00:01.000Z',
      },
    ]);
    await store.finishRun('run-1', 'failed', '2026-11-24T03:00:05.000Z', { fail: 1 });
    await store.tokens.createToken({ id: 't-1', name: 'ci', role: 'ops', hash: 'e'.repeat(64), createdAt: '2026-11-24T04:00:00.000Z', createdBy: 'alice', reason: 'deploys' });
    const duplicate = await store.tokens.createToken({ id: 't-2', name: 'ci', role: 'ops', hash: 'f'.repeat(64), createdAt: '2026-11-24T04:00:01.000Z', createdBy: 'alice', reason: 'again' }).catch((e: unknown) => e);

    const entries = await store.ledger.entries({});

    expect(duplicate).toBeInstanceOf(Error);
    expect(entries.map((e) => [e.seq, e.kind, e.subject, e.actor, e.at])).toEqual([
      [1, 'check-result', 'run-1:1', 'scheduler', '2026-11-24T03:00:01.000Z'],
      [2, 'check-run', 'run-1', 'scheduler', '2026-11-24T03:00:05.000Z'],
      [3, 'token-change', 'token:ci', 'alice', '2026-11-24T04:00:00.000Z'],
    ]);
    expect(entries[2]?.data).toEqual({ action: 'created', name: 'ci', role: 'ops', reason: 'deploys' });
    expect((await store.ledger.entries({ kinds: ['check-run', 'token-change'], limit: 1 })).map((e) => e.seq)).toEqual([2]);
    expect(await store.ledger.head()).toEqual({ seq: 3, hash: entries[2]?.hash });
    expect(await verifyLedger(store.ledger)).toMatchObject({ ok: true, entries: 3 });
  });

  it('verifies in pages, finds a period\'s range, and refuses a malformed entry', async () => {
    const store = await open();
    await seed(store, 20);

    const verification = await verifyLedger(store.ledger, {}, { pageSize: 7 });
    const malformed = await store.ledger.append([note(21), { ...note(22), kind: 'made-up' as never }]).catch((e: unknown) => e);

    expect(verification).toEqual({ from: 1, to: 20, entries: 20, ok: true, headHash: (await store.ledger.head())?.hash, checkpoints: { checked: 0, signed: 0 } });
    expect(await store.ledger.rangeOf({ from: '2026-11-24T03:00:05Z', to: '2026-11-24T03:00:10Z' })).toEqual({ fromSeq: 5, toSeq: 9 });
    expect(await store.ledger.rangeOf({ from: '2027-01-01T00:00:00Z', to: '2027-02-01T00:00:00Z' })).toBeUndefined();
    expect(String(malformed)).toContain('unknown entry kind made-up');
    expect((await store.ledger.head())?.seq).toBe(20);
  });

  it.each([
    ['altered data', "UPDATE ledger SET data = replace(data, 'succeeded', 'failed') WHERE seq = 8", { seq: 8, kind: 'altered' }],
    ['a deleted entry', 'DELETE FROM ledger WHERE seq = 8', { seq: 8, kind: 'removed' }],
    ['swapped entries', 'UPDATE ledger SET seq = -5 WHERE seq = 5; UPDATE ledger SET seq = 5 WHERE seq = 6; UPDATE ledger SET seq = 6 WHERE seq = -5', { seq: 5 }],
  ])('names the entry where raw SQL broke the chain: %s', async (_name, sql, found) => {
    const store = await open();
    await seed(store, 12);
    await tamper(store, sql);

    const verification = await verifyLedger(store.ledger, {}, { pageSize: 5 });

    expect(verification).toMatchObject({ ok: false, break: found });
  });

  it('keeps one valid chain while two stores on one database append at once', async () => {
    const store = await open();
    const other = await reopen(store);

    // Each append is its own transaction; the two writers' turns interleave at every await.
    await Promise.all(
      [store, other].map(async (writer, w) => {
        for (let n = 1; n <= 60; n++) await writer.ledger.append([note(n, `writer-${w}`)]);
      }),
    );

    const actors = (await store.ledger.entries({})).map((e) => e.actor);
    const switches = actors.filter((a, i) => i > 0 && a !== actors[i - 1]).length;
    expect(await verifyLedger(other.ledger)).toMatchObject({ ok: true, entries: 120 });
    expect([actors.filter((a) => a === 'writer-0').length, actors.filter((a) => a === 'writer-1').length]).toEqual([60, 60]);
    expect(switches).toBeGreaterThan(1);
  });
});
