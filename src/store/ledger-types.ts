/**
 * The evidence ledger: an append-only chain in the store. Each entry is canonical JSON of its record
 * and carries the SHA-256 of the entry before it, so altering, removing or reordering any entry breaks
 * the chain at that entry. Entries are appended in the same transaction as the record they describe.
 */

/** What an entry records. */
export const LEDGER_KINDS = [
  'check-result',
  'check-run',
  'drill',
  'incident-change',
  'notification',
  'job-run',
  'token-change',
  'attestation',
  'waiver',
  'maintenance',
  'checkpoint',
] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export interface LedgerEntry {
  /** 1, 2, 3, ... with no gaps. */
  seq: number;
  kind: LedgerKind;
  /** ISO instant the entry was appended. */
  at: string;
  /** Who made the change (`scheduler`, `api:<token>`, a person's handle, `vigil`). */
  actor: string;
  /** The record's own id (a check result's run:seq, an incident id, a drill id, ...). */
  subject: string;
  /** The record as it was written. */
  data: Record<string, unknown>;
  /** SHA-256 (hex) of the previous entry's `hash`; 64 zeros for the first. */
  prevHash: string;
  /** SHA-256 (hex) of canonicalJson({ seq, kind, at, actor, subject, data, prevHash }). */
  hash: string;
}

export type NewLedgerEntry = Pick<LedgerEntry, 'kind' | 'at' | 'actor' | 'subject' | 'data'>;

export interface LedgerBreak {
  seq: number;
  /** `altered` (hash does not match content), `removed` (a gap in seq), `reordered` (prevHash does not match), `signature` (a checkpoint's signature fails). */
  kind: 'altered' | 'removed' | 'reordered' | 'signature';
  message: string;
}

export interface LedgerVerification {
  from: number;
  to: number;
  entries: number;
  headHash?: string;
  ok: boolean;
  /** The first break found, if any. */
  break?: LedgerBreak;
  checkpoints: { checked: number; signed: number };
}

export interface LedgerStore {
  /** The newest entry's seq and hash; undefined when empty. */
  head(): Promise<{ seq: number; hash: string } | undefined>;
  /** Entries in seq order, from..to inclusive (by seq), in pages. */
  entries(range: { fromSeq?: number; toSeq?: number; kinds?: LedgerKind[]; limit?: number }): Promise<LedgerEntry[]>;
  /** The seq range whose `at` falls in [from, to). */
  rangeOf(period: { from: string; to: string }): Promise<{ fromSeq: number; toSeq: number } | undefined>;
  /** Appends outside another write (manual actions, checkpoints); other writes append in their own transaction. */
  append(entries: NewLedgerEntry[]): Promise<LedgerEntry[]>;
}
