/**
 * The evidence ledger on SQLite. Every sub-store appends its entries with `appendInTransaction` inside
 * the IMMEDIATE transaction that writes the record, so a record and its entry commit together, and the
 * chain head is read under the write lock: two processes on one file serialize and never fork the chain.
 */
import type Database from 'better-sqlite3';
import { chainEntries, toStoredEntry, type StoredLedgerEntry } from './ledger-chain.js';
import type { LedgerEntry, LedgerKind, LedgerStore, NewLedgerEntry } from './ledger-types.js';
import type { LedgerRow } from './rows.js';

export type { StoredLedgerEntry };

interface Statements {
  head: Database.Statement;
  insert: Database.Statement;
}

const prepared = new WeakMap<Database.Database, Statements>();

function statementsOf(db: Database.Database): Statements {
  let s = prepared.get(db);
  if (!s) {
    s = {
      head: db.prepare('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1'),
      insert: db.prepare('INSERT INTO ledger (seq, kind, at, actor, subject, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    };
    prepared.set(db, s);
  }
  return s;
}

/**
 * Appends entries after the current head. Call it inside an IMMEDIATE transaction (`db.transaction(fn)
 * .immediate()`), the one that writes the records the entries describe: a deferred transaction would
 * read the head without the write lock, and a concurrent writer would make this one fail.
 */
export function appendInTransaction(db: Database.Database, entries: readonly NewLedgerEntry[]): LedgerEntry[] {
  if (!db.inTransaction) throw new Error('appendInTransaction: call it inside the transaction that writes the records it describes');
  if (entries.length === 0) return [];
  const s = statementsOf(db);
  const chained = chainEntries(s.head.get() as { seq: number; hash: string } | undefined, entries);
  for (const { row } of chained) s.insert.run(row.seq, row.kind, row.at, row.actor, row.subject, row.data, row.prev_hash, row.hash);
  return chained.map((c) => c.entry);
}

export class SqliteLedgerStore implements LedgerStore {
  private storedPage: Database.Statement | undefined;

  constructor(private readonly db: Database.Database) {}

  async head(): Promise<{ seq: number; hash: string } | undefined> {
    return statementsOf(this.db).head.get() as { seq: number; hash: string } | undefined;
  }

  async entries(range: { fromSeq?: number; toSeq?: number; kinds?: LedgerKind[]; limit?: number }): Promise<LedgerEntry[]> {
    return this.rows(range).map((row) => ({ ...toStoredEntry(row), data: JSON.parse(row.data) as Record<string, unknown> }));
  }

  /**
   * As `entries`, with `data` as the stored text: what the verifier hashes, without parsing it. Rows
   * come as arrays, which better-sqlite3 builds much faster than objects: verify reads every entry.
   */
  async storedEntries(range: { fromSeq?: number; toSeq?: number; limit?: number }): Promise<StoredLedgerEntry[]> {
    this.storedPage ??= this.db.prepare('SELECT seq, kind, at, actor, subject, data, prev_hash, hash FROM ledger WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?').raw(true);
    const rows = this.storedPage.all(range.fromSeq ?? 1, range.toSeq ?? Number.MAX_SAFE_INTEGER, range.limit ?? -1) as Array<[number, LedgerKind, string, string, string, string, string, string]>;
    return rows.map(([seq, kind, at, actor, subject, data, prevHash, hash]) => ({ seq, kind, at, actor, subject, data, prevHash, hash }));
  }

  async rangeOf(period: { from: string; to: string }): Promise<{ fromSeq: number; toSeq: number } | undefined> {
    const row = this.db
      .prepare('SELECT MIN(seq) AS fromSeq, MAX(seq) AS toSeq FROM ledger WHERE at >= ? AND at < ?')
      .get(new Date(period.from).toISOString(), new Date(period.to).toISOString()) as { fromSeq: number | null; toSeq: number | null };
    return row.fromSeq === null || row.toSeq === null ? undefined : { fromSeq: row.fromSeq, toSeq: row.toSeq };
  }

  async append(entries: NewLedgerEntry[]): Promise<LedgerEntry[]> {
    return this.db.transaction(() => appendInTransaction(this.db, entries)).immediate();
  }

  private rows(range: { fromSeq?: number; toSeq?: number; kinds?: LedgerKind[]; limit?: number }): LedgerRow[] {
    const where = ['seq >= ?', 'seq <= ?'];
    const args: unknown[] = [range.fromSeq ?? 1, range.toSeq ?? Number.MAX_SAFE_INTEGER];
    if (range.kinds?.length) {
      where.push(`kind IN (${range.kinds.map(() => '?').join(', ')})`);
      args.push(...range.kinds);
    }
    // No limit means the whole range: callers reading a long ledger page with `limit`.
    const sql = `SELECT * FROM ledger WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`;
    return this.db.prepare(sql).all(...args, range.limit ?? -1) as LedgerRow[];
  }
}
