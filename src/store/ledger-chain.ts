/**
 * Linking new entries onto the ledger's head: the same on every store. The store's part is to read the
 * head and insert the rows inside one transaction that no other appender can interleave with (SQLite's
 * write lock, PostgreSQL's advisory lock), so the chain never forks.
 */
import { canonicalJson, entryHashOfCanonicalData, GENESIS_HASH } from '../evidence/canonical.js';
import { LEDGER_KINDS, type LedgerEntry, type NewLedgerEntry } from './ledger-types.js';
import type { LedgerRow } from './rows.js';

const KINDS = new Set<string>(LEDGER_KINDS);

/** An entry to insert: as the caller gets it back, and as the row stores it (`data` as canonical JSON). */
export interface ChainedEntry {
  entry: LedgerEntry;
  row: LedgerRow;
}

/** Numbers and hashes `entries` after `head` (undefined: an empty ledger). Throws on a malformed entry. */
export function chainEntries(head: { seq: number; hash: string } | undefined, entries: readonly NewLedgerEntry[]): ChainedEntry[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  const chained: ChainedEntry[] = [];
  for (const entry of entries) {
    checkEntry(entry);
    seq += 1;
    const at = new Date(entry.at).toISOString();
    const data = canonicalJson(entry.data);
    const hash = entryHashOfCanonicalData({ seq, kind: entry.kind, at, actor: entry.actor, subject: entry.subject, prevHash }, data);
    chained.push({
      entry: { seq, kind: entry.kind, at, actor: entry.actor, subject: entry.subject, data: entry.data, prevHash, hash },
      row: { seq, kind: entry.kind, at, actor: entry.actor, subject: entry.subject, data, prev_hash: prevHash, hash },
    });
    prevHash = hash;
  }
  return chained;
}

/** A malformed entry is a bug in the caller; refusing it keeps the chain free of entries nobody can read. */
function checkEntry(entry: NewLedgerEntry): void {
  if (!KINDS.has(entry.kind)) throw new Error(`ledger: unknown entry kind ${String(entry.kind)}`);
  if (!entry.actor || !entry.subject) throw new Error(`ledger: a ${entry.kind} entry needs an actor and a subject`);
  if (Number.isNaN(Date.parse(entry.at))) throw new Error(`ledger: a ${entry.kind} entry's time "${entry.at}" is not an ISO instant`);
}

/** An entry as stored: `data` is the canonical JSON text its hash was computed over. */
export interface StoredLedgerEntry extends Omit<LedgerEntry, 'data'> {
  data: string;
}

/** A stored row as an entry whose `data` is still the canonical text its hash covers (what verify reads). */
export function toStoredEntry(row: LedgerRow): StoredLedgerEntry {
  return { seq: row.seq, kind: row.kind, at: row.at, actor: row.actor, subject: row.subject, data: row.data, prevHash: row.prev_hash, hash: row.hash };
}
