/**
 * The evidence ledger: every write path appends its entry with the record, tampering of each kind made
 * with raw SQL on the file is named at the right entry, two processes never fork the chain, and signed
 * checkpoints catch a rewritten chain and forged signatures.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { entryHash } from '../../src/evidence/canonical.js';
import { createCheckpoint, verifyLedger } from '../../src/evidence/ledger.js';
import { checkpointStatement, signerFromPem, signStatement, trustedKeyFromPem, type LedgerSigner } from '../../src/evidence/signing.js';
import { drainOutbox } from '../../src/incidents/dispatcher.js';
import { scheduleMaintenance } from '../../src/incidents/maintenance.js';
import { act, openManually } from '../../src/incidents/service.js';
import { createToken, revokeToken } from '../../src/service/tokens.js';
import type { LedgerEntry, LedgerKind, NewLedgerEntry } from '../../src/store/ledger-types.js';
import { appendInTransaction } from '../../src/store/sqlite-ledger.js';
import { DB_FILE, SqliteStore } from '../../src/store/sqlite.js';
import type { CheckResultRecord, DrillRecord } from '../../src/store/types.js';
import { pipeline } from '../incidents/pipeline-helpers.js';

const open: SqliteStore[] = [];
afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
});

function tempStore(): { dir: string; store: SqliteStore } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ledger-'));
  const store = SqliteStore.open(dir);
  open.push(store);
  return { dir, store };
}

function note(n: number): NewLedgerEntry {
  return { kind: 'job-run', at: new Date(Date.UTC(2026, 10, 24, 3, 0, n)).toISOString(), actor: 'scheduler', subject: `job-${n}`, data: { n, status: 'succeeded' } };
}

/** A store holding `count` entries, appended a few at a time. */
async function seeded(count: number): Promise<{ dir: string; store: SqliteStore }> {
  const made = tempStore();
  for (let n = 1; n <= count; n += 3) await made.store.ledger.append([note(n), note(n + 1), note(n + 2)].filter((e) => (e.data['n'] as number) <= count));
  return made;
}

/** Raw SQL on the store's file from another connection, as someone with file access would. */
function tamper(dir: string, change: (db: Database.Database) => void): void {
  const db = new Database(join(dir, DB_FILE));
  try {
    change(db);
  } finally {
    db.close();
  }
}

interface Row {
  seq: number;
  kind: string;
  at: string;
  actor: string;
  subject: string;
  data: string;
  prev_hash: string;
  hash: string;
}

function swapContents(db: Database.Database, a: number, b: number): void {
  const read = db.prepare('SELECT * FROM ledger WHERE seq = ?');
  const write = db.prepare('UPDATE ledger SET kind = @kind, at = @at, actor = @actor, subject = @subject, data = @data, prev_hash = @prev_hash, hash = @hash WHERE seq = @seq');
  const rowA = read.get(a) as Row;
  const rowB = read.get(b) as Row;
  write.run({ ...rowB, seq: a });
  write.run({ ...rowA, seq: b });
}

/** What an attacker who knows the scheme does: recompute every hash from `fromSeq` on, so the chain holds. */
function rehashFrom(db: Database.Database, fromSeq: number): void {
  const rows = db.prepare('SELECT * FROM ledger WHERE seq >= ? - 1 ORDER BY seq').all(fromSeq) as Row[];
  const update = db.prepare('UPDATE ledger SET prev_hash = ?, hash = ? WHERE seq = ?');
  let prevHash = rows[0]?.seq === fromSeq - 1 ? (rows.shift() as Row).hash : '0'.repeat(64);
  for (const row of rows) {
    const hash = entryHash({ seq: row.seq, kind: row.kind as LedgerKind, at: row.at, actor: row.actor, subject: row.subject, data: JSON.parse(row.data) as Record<string, unknown>, prevHash });
    update.run(prevHash, hash, row.seq);
    prevHash = hash;
  }
}

async function allEntries(store: SqliteStore): Promise<LedgerEntry[]> {
  return store.ledger.entries({});
}

function signer(keyId = 'ledger-2026'): LedgerSigner {
  const { privateKey } = generateKeyPairSync('ed25519');
  return signerFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { file: 'test', path: 'key' }, keyId);
}

function result(runId: string, n: number, status: CheckResultRecord['status']): CheckResultRecord {
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
    message: `db-${n} keeps automated backups for ${status === 'pass' ? 30 : 7} days.`,
    facts: { retentionDays: status === 'pass' ? 30 : 7, policy: { long: 'x'.repeat(2000) } },
    params: { minDays: 30 },
    evaluatedAt: '2026-11-24T03:00:01.000Z',
  };
}

function drill(): DrillRecord {
  return {
    id: 'drill-1',
    target: 'lms-prod',
    accountId: '222222222222',
    region: 'us-west-2',
    status: 'running',
    trigger: 'schedule',
    actor: 'scheduler',
    reason: 'weekly drill',
    owner: '4242@host',
    startedAt: '2026-11-24T04:00:00.000Z',
    heartbeatAt: '2026-11-24T04:00:00.000Z',
    phases: [{ name: 'planned', at: '2026-11-24T04:00:00.000Z' }],
    verification: [],
    measures: { rtoTargetSeconds: 14400, rpoTargetSeconds: 86400 },
  };
}

describe('ledger entries from every write path', () => {
  it('records each check result and the finished run, with the run\'s actor, keeping facts as a hash', async () => {
    const { store } = tempStore();
    await store.startRun({ id: 'run-1', kind: 'check', startedAt: '2026-11-24T03:00:00.000Z', trigger: 'schedule', actor: 'scheduler', reason: 'hourly checks' });

    await store.appendCheckResults([result('run-1', 1, 'pass'), result('run-1', 2, 'fail')]);
    await store.finishRun('run-1', 'failed', '2026-11-24T03:00:05.000Z', { counts: { pass: 1, fail: 1 } });

    const entries = await allEntries(store);
    expect(entries.map((e) => [e.seq, e.kind, e.subject, e.actor, e.at])).toEqual([
      [1, 'check-result', 'run-1:1', 'scheduler', '2026-11-24T03:00:01.000Z'],
      [2, 'check-result', 'run-1:2', 'scheduler', '2026-11-24T03:00:01.000Z'],
      [3, 'check-run', 'run-1', 'scheduler', '2026-11-24T03:00:05.000Z'],
    ]);
    expect(entries[1]?.data).toEqual({
      runId: 'run-1',
      seq: 2,
      checkId: 'rds-backup-retention',
      accountId: '222222222222',
      region: 'us-east-1',
      resource: 'arn:aws:rds:us-east-1:222222222222:db:db-2',
      name: 'db-2',
      severity: 'high',
      status: 'fail',
      message: 'db-2 keeps automated backups for 7 days.',
      evaluatedAt: '2026-11-24T03:00:01.000Z',
      params: { minDays: 30 },
      factsSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(entries[2]?.data).toMatchObject({ status: 'failed', trigger: 'schedule', reason: 'hourly checks', summary: { counts: { pass: 1, fail: 1 } } });
    expect(await verifyLedger(store.ledger)).toMatchObject({ ok: true, entries: 3 });
  });

  it('records a scheduled job\'s run as job-run', async () => {
    const { store } = tempStore();
    await store.startRun({ id: 'job-1', kind: 'job', startedAt: '2026-11-24T03:00:00.000Z', trigger: 'schedule', actor: 'scheduler', reason: 'schedule incidents', summary: { schedule: 'incidents' } });

    await store.finishRun('job-1', 'succeeded', '2026-11-24T03:00:02.000Z', { schedule: 'incidents', durationMs: 2000 });

    expect((await allEntries(store)).map((e) => [e.kind, e.subject, e.actor])).toEqual([['job-run', 'job-1', 'scheduler']]);
  });

  it('records a drill once, when it finishes, with its measures; not its phases or heartbeats while running', async () => {
    const { store } = tempStore();
    await store.createDrill(drill());
    await store.updateDrill('drill-1', { heartbeatAt: '2026-11-24T04:05:00.000Z', phases: [...drill().phases, { name: 'restore-requested', at: '2026-11-24T04:05:00.000Z' }] });

    await store.finishDrillWithSignal('drill-1', {
      status: 'succeeded',
      finishedAt: '2026-11-24T04:40:00.000Z',
      heartbeatAt: '2026-11-24T04:40:00.000Z',
      measures: { rtoSeconds: 2400, rpoSeconds: 3600, rtoTargetSeconds: 14400, rpoTargetSeconds: 86400 },
    });
    await store.updateDrill('drill-1', { heartbeatAt: '2026-11-24T04:41:00.000Z' });

    const entries = await allEntries(store);
    expect(entries.map((e) => [e.kind, e.subject, e.actor, e.at])).toEqual([['drill', 'drill-1', 'scheduler', '2026-11-24T04:40:00.000Z']]);
    expect(entries[0]?.data).toMatchObject({ status: 'succeeded', target: 'lms-prod', measures: { rtoSeconds: 2400, rpoSeconds: 3600 }, reason: 'weekly drill' });
    expect(entries[0]?.data).not.toHaveProperty('heartbeatAt');
  });

  it('records an incident opened, acknowledged and resolved, and each notification as it is delivered', async () => {
    const p = pipeline();
    open.push(p.store);
    await openManually(p.deps, { title: 'API errors', components: ['SCORM Cloud API'], severity: 'sev2', actor: 'alice', reason: '5% of calls fail' });
    p.clock.advance(10 * 60_000);
    await act(p.deps, 'INC-1', { action: 'ack' }, { actor: 'bob', reason: 'on it' });
    p.clock.advance(30 * 60_000);
    await act(p.deps, 'INC-1', { action: 'resolve' }, { actor: 'bob', reason: 'rolled back' });

    const outcome = await drainOutbox({ store: p.deps.store, clock: p.clock, channels: p.deps.channels });

    const entries = await allEntries(p.store);
    const incident = entries.filter((e) => e.kind === 'incident-change');
    expect(incident.map((e) => [e.subject, e.actor, e.data['state'], e.data['severity']])).toEqual([
      ['INC-1', 'alice', 'triage', 'sev2'],
      ['INC-1', 'bob', 'investigating', 'sev2'],
      ['INC-1', 'bob', 'resolved', 'sev2'],
    ]);
    expect((incident[2]?.data['timeline'] as Array<{ reason: string }>).map((t) => t.reason)).toEqual(['rolled back']);
    const notifications = entries.filter((e) => e.kind === 'notification');
    expect(notifications.map((e) => e.subject).sort()).toEqual(outcome.delivered.map((d) => d.id).sort());
    expect(notifications[0]?.data).toMatchObject({ status: 'delivered', subjectId: 'INC-1', event: 'opened', severity: 'sev2', changeActor: 'alice', attempts: 1 });
    expect(await verifyLedger(p.store.ledger)).toMatchObject({ ok: true, entries: entries.length });
  });

  it('records maintenance scheduled by a person', async () => {
    const p = pipeline();
    open.push(p.store);

    await scheduleMaintenance(
      { store: p.deps.store, clock: p.clock, channels: p.deps.channels },
      { start: '2026-11-26T02:00Z', end: '2026-11-26T04:00Z', components: ['SCORM Cloud API'], reason: 'PostgreSQL 16 upgrade', emergency: false, actor: 'alice' },
    );

    const [entry] = (await allEntries(p.store)).filter((e) => e.kind === 'maintenance');
    expect(entry).toMatchObject({ subject: 'MNT-1', actor: 'alice', data: { status: 'scheduled', reason: 'PostgreSQL 16 upgrade', event: 'maintenance-scheduled' } });
  });

  it('records token changes by name, role, who and why, never the token or its hash', async () => {
    const { dir, store } = tempStore();
    const clock = new ManualClock('2026-11-24T09:00:00.000Z');
    const created = await createToken(store.tokens, { name: 'prometheus', role: 'auditor' }, { actor: 'alice', reason: 'metrics scraping', clock });

    await revokeToken(store.tokens, 'prometheus', { actor: 'bob', reason: 'moved to a new scraper', clock });

    const entries = await allEntries(store);
    expect(entries.map((e) => ({ kind: e.kind, subject: e.subject, actor: e.actor, data: e.data }))).toEqual([
      { kind: 'token-change', subject: 'token:prometheus', actor: 'alice', data: { action: 'created', name: 'prometheus', role: 'auditor', reason: 'metrics scraping' } },
      { kind: 'token-change', subject: 'token:prometheus', actor: 'bob', data: { action: 'revoked', name: 'prometheus', role: 'auditor', reason: 'moved to a new scraper' } },
    ]);
    const stored = new Database(join(dir, DB_FILE), { readonly: true });
    const hash = (stored.prepare('SELECT hash FROM api_tokens').get() as { hash: string }).hash;
    const leaks = stored.prepare('SELECT COUNT(*) AS n FROM ledger WHERE data LIKE ? OR data LIKE ?').get(`%${created.token.slice(4)}%`, `%${hash}%`) as { n: number };
    stored.close();
    expect(leaks.n).toBe(0);
  });

  it('appends nothing when the write fails, and refuses to append outside a transaction', async () => {
    const { dir, store } = tempStore();
    const clock = new ManualClock('2026-11-24T09:00:00.000Z');
    await createToken(store.tokens, { name: 'ci', role: 'ops' }, { actor: 'alice', reason: 'deploys', clock });

    const duplicate = await createToken(store.tokens, { name: 'ci', role: 'ops' }, { actor: 'alice', reason: 'again', clock }).catch((e: unknown) => e);
    const raw = new Database(join(dir, DB_FILE));
    const outside = () => appendInTransaction(raw, [note(1)]);

    expect(duplicate).toBeInstanceOf(Error);
    expect(outside).toThrow(/inside the transaction/);
    raw.close();
    expect((await allEntries(store)).map((e) => e.data['reason'])).toEqual(['deploys']);
  });
});

describe('verifyLedger on a tampered ledger', () => {
  it('passes an untouched ledger, reading it in pages, and reports its head', async () => {
    const { store } = await seeded(20);

    const verification = await verifyLedger(store.ledger, {}, { pageSize: 7 });

    expect(verification).toEqual({ from: 1, to: 20, entries: 20, ok: true, headHash: (await store.ledger.head())?.hash, checkpoints: { checked: 0, signed: 0 } });
  });

  it('names an entry whose data was changed: altered', async () => {
    const { dir, store } = await seeded(20);
    tamper(dir, (db) => db.prepare("UPDATE ledger SET data = replace(data, 'succeeded', 'failed') WHERE seq = 8").run());

    const verification = await verifyLedger(store.ledger, {}, { pageSize: 7 });

    expect(verification).toMatchObject({ ok: false, entries: 7, break: { seq: 8, kind: 'altered', message: expect.stringContaining('entry 8 (job-run job-8) does not match its hash') } });
  });

  it('names an entry whose hash was changed: altered', async () => {
    const { dir, store } = await seeded(20);
    tamper(dir, (db) => db.prepare("UPDATE ledger SET hash = 'ff' || substr(hash, 3) WHERE seq = 13").run());

    const verification = await verifyLedger(store.ledger, {}, { pageSize: 7 });

    expect(verification.break).toMatchObject({ seq: 13, kind: 'altered' });
  });

  it('names an entry that was changed and rehashed in place, from the next entry\'s link: altered', async () => {
    const { dir, store } = await seeded(20);
    tamper(dir, (db) => {
      const row = db.prepare('SELECT * FROM ledger WHERE seq = 8').get() as Row;
      const data = JSON.stringify({ n: 8, status: 'failed' });
      db.prepare('UPDATE ledger SET data = ?, hash = ? WHERE seq = 8').run(data, entryHash({ seq: 8, kind: 'job-run', at: row.at, actor: row.actor, subject: row.subject, data: JSON.parse(data) as Record<string, unknown>, prevHash: row.prev_hash }));
    });

    const verification = await verifyLedger(store.ledger, {}, { pageSize: 7 });

    expect(verification.break).toMatchObject({ seq: 8, kind: 'altered', message: expect.stringContaining('changed and its hash recomputed') });
  });

  it.each([
    [8, 'entry 8 is missing'],
    [1, 'entry 1 is missing'],
  ])('names a deleted entry %i: removed', async (seq, message) => {
    const { dir, store } = await seeded(20);
    tamper(dir, (db) => db.prepare('DELETE FROM ledger WHERE seq = ?').run(seq));

    const verification = await verifyLedger(store.ledger, {}, { pageSize: 7 });

    expect(verification.break).toEqual({ seq, kind: 'removed', message: `${message} from the ledger` });
  });

  it('names a removal hidden by renumbering the entries after it: removed', async () => {
    const { dir, store } = await seeded(20);
    tamper(dir, (db) => {
      db.prepare('DELETE FROM ledger WHERE seq = 8').run();
      for (let seq = 9; seq <= 20; seq++) db.prepare('UPDATE ledger SET seq = ? WHERE seq = ?').run(seq - 1, seq);
    });

    const verification = await verifyLedger(store.ledger, {}, { pageSize: 7 });

    expect(verification.break).toMatchObject({ seq: 8, kind: 'removed' });
  });

  it.each([
    [5, 6],
    [5, 12],
  ])('names the first of two entries whose contents were swapped (%i and %i): reordered', async (a, b) => {
    const { dir, store } = await seeded(20);
    tamper(dir, (db) => swapContents(db, a, b));

    const verification = await verifyLedger(store.ledger, {}, { pageSize: 7 });

    expect(verification.break).toMatchObject({ seq: a, kind: 'reordered', message: expect.stringContaining('entries were reordered') });
  });

  it('names a cut-off tail only against a head recorded elsewhere (an anchor)', async () => {
    const { dir, store } = await seeded(20);
    const head = (await store.ledger.head()) as { seq: number; hash: string };
    tamper(dir, (db) => db.prepare('DELETE FROM ledger WHERE seq > 17').run());

    const bare = await verifyLedger(store.ledger);
    const anchored = await verifyLedger(store.ledger, {}, { anchors: [head] });

    expect(bare.ok).toBe(true);
    expect(anchored.break).toMatchObject({ seq: 20, kind: 'removed', message: expect.stringContaining('it ends at 17') });
  });

  it('verifies a seq range and its link into the entry before it', async () => {
    const { dir, store } = await seeded(20);
    tamper(dir, (db) => db.prepare("UPDATE ledger SET data = replace(data, 'succeeded', 'failed') WHERE seq = 15").run());

    const early = await verifyLedger(store.ledger, { fromSeq: 1, toSeq: 10 });
    const late = await verifyLedger(store.ledger, { fromSeq: 11, toSeq: 20 });

    expect(early).toMatchObject({ ok: true, from: 1, to: 10, entries: 10 });
    expect(late).toMatchObject({ ok: false, from: 11, to: 20, entries: 4, break: { seq: 15, kind: 'altered' } });
  });

  it('finds the seq range of a period by entry time', async () => {
    const { store } = await seeded(20);

    const range = await store.ledger.rangeOf({ from: '2026-11-24T03:00:05Z', to: '2026-11-24T03:00:10Z' });
    const none = await store.ledger.rangeOf({ from: '2027-01-01T00:00:00Z', to: '2027-02-01T00:00:00Z' });

    expect(range).toEqual({ fromSeq: 5, toSeq: 9 });
    expect(none).toBeUndefined();
  });
});

describe('concurrent appenders', () => {
  it('two processes appending to one file at once never fork the chain', async () => {
    const { dir, store } = tempStore();
    const children = ['a', 'b'].map((name) => spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'ledger-child.ts'), dir, name, '150'], { stdio: ['pipe', 'pipe', 'inherit'] }));
    // Both open the store first, then start appending together.
    let ready = 0;
    const outputs = children.map(
      (child) =>
        new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (c: Buffer) => {
            const first = !out.includes('ready');
            out += c.toString();
            if (first && out.includes('ready') && ++ready === children.length) for (const each of children) each.stdin.write('go\n');
          });
          child.on('error', reject);
          child.on('exit', () => resolve(out.trim()));
        }),
    );

    const done = await Promise.all(outputs);

    const verification = await verifyLedger(store.ledger);
    const actors = (await allEntries(store)).map((e) => e.actor);
    const switches = actors.filter((a, i) => i > 0 && a !== actors[i - 1]).length;
    expect(done).toEqual(['ready\ndone', 'ready\ndone']);
    expect(verification).toMatchObject({ ok: true, entries: 300 });
    expect([actors.filter((a) => a === 'a').length, actors.filter((a) => a === 'b').length]).toEqual([150, 150]);
    // They really did take turns on the write lock, not one after the other.
    expect(switches).toBeGreaterThan(1);
  });

  it('two store instances in one process interleave on one chain', async () => {
    const { dir, store } = tempStore();
    const other = SqliteStore.open(dir);
    open.push(other);

    for (let n = 1; n <= 10; n++) await (n % 2 ? store : other).ledger.append([note(n)]);

    expect(await verifyLedger(other.ledger)).toMatchObject({ ok: true, entries: 10 });
    expect((await allEntries(store)).map((e) => e.data['n'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('signed checkpoints', () => {
  const meta = { at: '2026-11-24T05:00:00.000Z', actor: 'alice', reason: 'monthly seal' };

  it('signs the head; verify checks the signature against the trusted keys', async () => {
    const { store } = await seeded(10);
    const key = signer();

    const checkpoint = await createCheckpoint(store.ledger, key, meta);
    await store.ledger.append([note(11)]);
    const verification = await verifyLedger(store.ledger, {}, { publicKeys: [{ fingerprint: key.fingerprint, publicKey: key.publicKey }] });

    expect(checkpoint).toMatchObject({ seq: 11, kind: 'checkpoint', actor: 'alice', subject: 'ledger@10', data: { seq: 10, keyId: 'ledger-2026', fingerprint: key.fingerprint, algorithm: 'ed25519', reason: 'monthly seal' } });
    expect(verification).toMatchObject({ ok: true, entries: 12, checkpoints: { checked: 1, signed: 1 } });
  });

  it('refuses a checkpoint signed by a key it does not trust', async () => {
    const { store } = await seeded(10);
    const trusted = signer('ours');
    await createCheckpoint(store.ledger, signer('theirs'), meta);

    const verification = await verifyLedger(store.ledger, {}, { publicKeys: [{ fingerprint: trusted.fingerprint, publicKey: trusted.publicKey }] });

    expect(verification.break).toMatchObject({ seq: 11, kind: 'signature', message: expect.stringContaining('signed by key theirs') });
  });

  it('refuses a forged checkpoint: a trusted key\'s fingerprint on a signature it did not make', async () => {
    const { store } = await seeded(10);
    const key = signer();
    const trusted = trustedKeyFromPem(key.publicKey.export({ type: 'spki', format: 'pem' }) as string, { file: 'test', path: 'key' });
    const head = (await store.ledger.head()) as { seq: number; hash: string };
    const forged = { seq: head.seq, hash: head.hash, keyId: 'ledger-2026', fingerprint: key.fingerprint, algorithm: 'ed25519', signature: signStatement(signer(), checkpointStatement(head)), reason: 'forged' };
    await store.ledger.append([{ kind: 'checkpoint', at: meta.at, actor: 'mallory', subject: `ledger@${head.seq}`, data: forged }]);

    const verification = await verifyLedger(store.ledger, {}, { publicKeys: [trusted] });

    expect(verification.break).toMatchObject({ seq: 11, kind: 'signature', message: expect.stringContaining('does not verify') });
  });

  it('catches a chain rewritten with every hash recomputed, which the chain alone cannot', async () => {
    const { dir, store } = await seeded(10);
    const key = signer();
    await createCheckpoint(store.ledger, key, meta);
    await store.ledger.append([note(12)]);
    tamper(dir, (db) => {
      db.prepare("UPDATE ledger SET data = replace(data, 'succeeded', 'failed') WHERE seq = 4").run();
      rehashFrom(db, 4);
    });

    const chainOnly = await verifyLedger(store.ledger, { toSeq: 10 });
    const withCheckpoint = await verifyLedger(store.ledger, {}, { publicKeys: [{ fingerprint: key.fingerprint, publicKey: key.publicKey }] });

    expect(chainOnly.ok).toBe(true);
    expect(withCheckpoint).toMatchObject({ ok: false, checkpoints: { checked: 0, signed: 0 }, break: { seq: 10, kind: 'altered', message: expect.stringContaining('the ledger up to entry 10 was rewritten') } });
  });
});
