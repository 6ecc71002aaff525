/**
 * The evidence ledger on PostgreSQL. Every write appends its entries with `appendLedger` inside the
 * transaction that writes the record, so a record and its entry commit together. The head is read under
 * a transaction-scoped advisory lock that every appender takes: appenders in any number of processes
 * and replicas queue on it, each reads the head its predecessor committed, and the chain never forks.
 */
import { chainEntries, toStoredEntry, type StoredLedgerEntry } from './ledger-chain.js';
import type { LedgerEntry, LedgerKind, LedgerStore, NewLedgerEntry } from './ledger-types.js';
import { insertRows, type PgDb, type Tx } from './postgres-db.js';
import type { LedgerRow } from './rows.js';

const LEDGER_COLUMNS = ['seq', 'kind', 'at', 'actor', 'subject', 'data', 'prev_hash', 'hash'] as const;

/**
 * Appends entries after the current head, inside `tx`. Call it last in the transaction: the ledger lock
 * is held from here to the commit, and a writer holding it must not wait for anything else.
 */
export async function appendLedger(tx: Tx, entries: readonly NewLedgerEntry[]): Promise<LedgerEntry[]> {
  if (entries.length === 0) return [];
  await tx.lock('ledger');
  const head = await tx.one<{ seq: number; hash: string }>('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1');
  const chained = chainEntries(head, entries);
  await insertRows(
    tx,
    'ledger',
    LEDGER_COLUMNS,
    chained.map(({ row }) => [row.seq, row.kind, row.at, row.actor, row.subject, row.data, row.prev_hash, row.hash]),
  );
  return chained.map((c) => c.entry);
}

export class PostgresLedgerStore implements LedgerStore {
  constructor(private readonly db: PgDb) {}

  async head(): Promise<{ seq: number; hash: string } | undefined> {
    return this.db.one<{ seq: number; hash: string }>('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1');
  }

  async entries(range: { fromSeq?: number; toSeq?: number; kinds?: LedgerKind[]; limit?: number }): Promise<LedgerEntry[]> {
    const rows = await this.db.rows<LedgerRow>(
      `SELECT * FROM ledger WHERE seq >= $1 AND seq <= $2 AND ($3::text[] IS NULL OR kind = ANY($3)) ORDER BY seq LIMIT $4`,
      [range.fromSeq ?? 1, range.toSeq ?? Number.MAX_SAFE_INTEGER, range.kinds?.length ? range.kinds : null, range.limit ?? null],
    );
    return rows.map((row) => ({ ...toStoredEntry(row), data: JSON.parse(row.data) as Record<string, unknown> }));
  }

  /** As `entries`, with `data` as the stored text: what the verifier hashes, without parsing it. */
  async storedEntries(range: { fromSeq?: number; toSeq?: number; limit?: number }): Promise<StoredLedgerEntry[]> {
    const rows = await this.db.rows<LedgerRow>('SELECT * FROM ledger WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3', [
      range.fromSeq ?? 1,
      range.toSeq ?? Number.MAX_SAFE_INTEGER,
      range.limit ?? null,
    ]);
    return rows.map(toStoredEntry);
  }

  async rangeOf(period: { from: string; to: string }): Promise<{ fromSeq: number; toSeq: number } | undefined> {
    const row = await this.db.one<{ from_seq: number | null; to_seq: number | null }>('SELECT MIN(seq) AS from_seq, MAX(seq) AS to_seq FROM ledger WHERE at >= $1 AND at < $2', [
      new Date(period.from).toISOString(),
      new Date(period.to).toISOString(),
    ]);
    return row?.from_seq == null || row.to_seq == null ? undefined : { fromSeq: row.from_seq, toSeq: row.to_seq };
  }

  async append(entries: NewLedgerEntry[]): Promise<LedgerEntry[]> {
    return this.db.transaction((tx) => appendLedger(tx, entries));
  }
}
