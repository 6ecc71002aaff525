/**
 * Verifying the evidence ledger, and signed checkpoints. Verification streams the chain in pages
 * (constant memory), recomputes every entry's hash from its stored canonical JSON and its link to the
 * entry before, and stops at the first break, naming the entry: `altered` (its content no longer matches
 * its hash), `removed` (a gap, or a link to an entry no longer in the ledger), `reordered` (a link to an
 * entry that is elsewhere) or `signature` (a checkpoint not signed by a trusted key).
 *
 * The chain alone cannot tell a rewritten ledger (every hash recomputed) from the original, nor see its
 * last entries cut off. Checkpoints can: each signs the head it covers with an Ed25519 key the writer of
 * the ledger need not hold, and a later verify checks the chain still passes through that head.
 */
import { EnvironmentError } from '../core/errors.js';
import type { LedgerBreak, LedgerEntry, LedgerStore, LedgerVerification } from '../store/ledger-types.js';
import { canonicalJson, entryHashOfCanonicalData, GENESIS_HASH } from './canonical.js';
import { checkpointStatement, signStatement, verifyStatement, type LedgerSigner, type TrustedKey } from './signing.js';

/** An entry with `data` as the canonical JSON text its hash covers. */
export interface TextLedgerEntry extends Omit<LedgerEntry, 'data'> {
  data: string;
}

/** A store that can hand out entries as stored (SqliteLedgerStore does), so verify need not re-serialise them. */
interface StoredEntrySource {
  storedEntries(range: { fromSeq?: number; toSeq?: number; limit?: number }): Promise<TextLedgerEntry[]>;
}

export interface VerifyOptions {
  /**
   * Keys whose checkpoint signatures are accepted. Given (even empty), a checkpoint signed by any other
   * key is a break; left out, signatures are not checked (checkpoints' coverage still is).
   */
  publicKeys?: TrustedKey[];
  /** Entries known from elsewhere (a report's manifest records the head it was built from): each must still be there, unchanged. */
  anchors?: Array<{ seq: number; hash: string }>;
  pageSize?: number;
  /** After each page: entries verified so far, and how many the range holds. */
  onProgress?: (verified: number, total: number) => void;
}

/** The data of a `checkpoint` entry. */
export interface CheckpointData {
  /** The entry it covers (the head when it was made). */
  seq: number;
  hash: string;
  keyId: string;
  /** SHA-256 (hex) of the signing key's public half (DER SubjectPublicKeyInfo). */
  fingerprint: string;
  algorithm: 'ed25519';
  /** Base64 Ed25519 signature over canonicalJson({ seq, hash }). */
  signature: string;
  reason: string;
}

const DEFAULT_PAGE = 5000;

type Reader = (fromSeq: number, toSeq: number, limit: number) => Promise<TextLedgerEntry[]>;

/** Verifies entries `fromSeq..toSeq` (default: the whole ledger) and the link into the first of them. */
export async function verifyLedger(ledger: LedgerStore, range: { fromSeq?: number; toSeq?: number } = {}, options: VerifyOptions = {}): Promise<LedgerVerification> {
  const read = readerOf(ledger);
  const pageSize = options.pageSize ?? DEFAULT_PAGE;
  const head = await ledger.head();
  const from = Math.max(1, range.fromSeq ?? 1);
  const to = Math.min(range.toSeq ?? Number.MAX_SAFE_INTEGER, head?.seq ?? 0);
  const result: LedgerVerification = { from, to, entries: 0, ok: true, checkpoints: { checked: 0, signed: 0 } };
  const fail = (found: LedgerBreak): LedgerVerification => ({ ...result, ok: false, break: found });

  const anchors = new Map((options.anchors ?? []).map((a) => [a.seq, a.hash]));
  const outside = await checkAnchorsOutside(read, anchors, from, to, head);
  if (outside) return fail(outside);

  // The link into the range: the entry before it, as stored (verifying the whole ledger checks it too).
  let prev: TextLedgerEntry | undefined = from > 1 ? (await read(from - 1, from - 1, 1))[0] : undefined;
  const total = Math.max(0, to - from + 1);
  let next = from;
  while (next <= to) {
    const page = await read(next, to, pageSize);
    if (page.length === 0) return fail(removed(next, to));
    for (const entry of page) {
      const problem = checkLink(entry, prev, from) ?? checkAnchor(entry, anchors);
      if (problem === 'classify') return fail(await classify(entry, prev, read, pageSize));
      if (problem) return fail(problem);
      if (entry.kind === 'checkpoint') {
        const cp = await checkCheckpoint(entry, prev, read, options.publicKeys);
        if (cp.problem) return fail(cp.problem);
        result.checkpoints.checked += 1;
        if (cp.signed) result.checkpoints.signed += 1;
      }
      prev = entry;
      result.entries += 1;
    }
    next = (page[page.length - 1] as TextLedgerEntry).seq + 1;
    options.onProgress?.(result.entries, total);
  }
  if (prev && result.entries > 0) result.headHash = prev.hash;
  return result;
}

/**
 * The fast path, run for every entry: the expected seq, the hash of the stored content, the link.
 * Returns `classify` when the entry is out of place and only a look at the rest of the ledger can say how.
 */
function checkLink(entry: TextLedgerEntry, prev: TextLedgerEntry | undefined, from: number): LedgerBreak | 'classify' | undefined {
  const expectedSeq = prev ? prev.seq + 1 : from;
  if (entry.seq !== expectedSeq) return removed(expectedSeq, entry.seq - 1);
  const intact = entryHashOfCanonicalData(entry, entry.data) === entry.hash;
  const expectedPrev = prev ? prev.hash : expectedSeq === 1 ? GENESIS_HASH : undefined;
  const linked = expectedPrev === undefined || entry.prevHash === expectedPrev;
  if (intact && linked) return undefined;
  if (linked) return { seq: entry.seq, kind: 'altered', message: `entry ${describe(entry)} does not match its hash: its content or its hash was changed` };
  return 'classify';
}

/**
 * An entry whose link does not fit: where does the hash it links to live now? Elsewhere in the ledger:
 * entries were moved. Nowhere, and the entry is not intact either: it was renumbered after an entry was
 * removed. Nowhere, and the entry is intact: the entry before it was changed and its hash recomputed.
 */
async function classify(entry: TextLedgerEntry, prev: TextLedgerEntry | undefined, read: Reader, pageSize: number): Promise<LedgerBreak> {
  const intact = entryHashOfCanonicalData(entry, entry.data) === entry.hash;
  const owner = await seqOfHash(entry.prevHash, read, pageSize);
  if (owner !== undefined && owner !== prev?.seq) {
    return { seq: entry.seq, kind: 'reordered', message: `entry ${describe(entry)} was written after entry ${owner}, not after entry ${entry.seq - 1}: entries were reordered` };
  }
  if (!intact) {
    return { seq: entry.seq, kind: 'removed', message: `entry ${describe(entry)} was written after an entry that is no longer in the ledger: an entry was removed and the rest renumbered` };
  }
  // The first entry links to no entry: its own link was changed.
  if (!prev) return { seq: entry.seq, kind: 'altered', message: `entry ${describe(entry)} does not start the chain: its link was changed` };
  return { seq: prev.seq, kind: 'altered', message: `entry ${describe(prev)} was changed and its hash recomputed: entry ${entry.seq} recorded a different hash for it` };
}

function removed(firstMissing: number, lastMissing: number): LedgerBreak {
  const which = firstMissing === lastMissing ? `entry ${firstMissing} is` : `entries ${firstMissing}-${lastMissing} are`;
  return { seq: firstMissing, kind: 'removed', message: `${which} missing from the ledger` };
}

function checkAnchor(entry: TextLedgerEntry, anchors: Map<number, string>): LedgerBreak | undefined {
  const expected = anchors.get(entry.seq);
  if (expected === undefined || expected === entry.hash) return undefined;
  return { seq: entry.seq, kind: 'altered', message: `entry ${describe(entry)} has hash ${entry.hash.slice(0, 12)}…, not the ${expected.slice(0, 12)}… recorded for it` };
}

async function checkAnchorsOutside(read: Reader, anchors: Map<number, string>, from: number, to: number, head: { seq: number } | undefined): Promise<LedgerBreak | undefined> {
  for (const [seq, hash] of [...anchors].sort((a, b) => a[0] - b[0])) {
    if (seq >= from && seq <= to) continue;
    const [entry] = await read(seq, seq, 1);
    if (!entry) return { seq, kind: 'removed', message: `entry ${seq}, recorded with hash ${hash.slice(0, 12)}…, is no longer in the ledger${head ? ` (it ends at ${head.seq})` : ' (it is empty)'}` };
    const problem = checkAnchor(entry, anchors);
    if (problem) return problem;
  }
  return undefined;
}

async function checkCheckpoint(
  entry: TextLedgerEntry,
  prev: TextLedgerEntry | undefined,
  read: Reader,
  keys: TrustedKey[] | undefined,
): Promise<{ problem?: LedgerBreak; signed: boolean }> {
  const data = parseCheckpoint(entry.data);
  if (!data || data.seq >= entry.seq) return { problem: { seq: entry.seq, kind: 'signature', message: `checkpoint ${entry.seq} is malformed: it must name an earlier entry, its hash, its key and a signature` }, signed: false };
  let signed = false;
  if (keys) {
    const key = keys.find((k) => k.fingerprint === data.fingerprint);
    if (!key) {
      return {
        problem: { seq: entry.seq, kind: 'signature', message: `checkpoint ${entry.seq} is signed by key ${data.keyId} (fingerprint ${data.fingerprint.slice(0, 16)}…), which is not trusted: add its public key to evidence.trustedKeys` },
        signed,
      };
    }
    if (!verifyStatement(key, checkpointStatement(data), data.signature)) {
      return { problem: { seq: entry.seq, kind: 'signature', message: `checkpoint ${entry.seq}'s signature does not verify with key ${data.keyId}: it was forged or altered` }, signed };
    }
    signed = true;
  }
  // The chain up to here is verified, so the covered entry's stored hash is its true hash.
  const covered = prev && prev.seq === data.seq ? prev : (await read(data.seq, data.seq, 1))[0];
  if (!covered) return { problem: removed(data.seq, data.seq), signed };
  if (covered.hash !== data.hash) {
    return {
      problem: { seq: data.seq, kind: 'altered', message: `checkpoint ${entry.seq} (key ${data.keyId}) signed entry ${data.seq} with hash ${data.hash.slice(0, 12)}…, but the ledger now holds ${covered.hash.slice(0, 12)}…: the ledger up to entry ${data.seq} was rewritten` },
      signed,
    };
  }
  return { signed };
}

function parseCheckpoint(text: string): CheckpointData | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const d = value as Partial<CheckpointData> | null;
  const ok =
    d !== null &&
    typeof d === 'object' &&
    Number.isInteger(d.seq) &&
    typeof d.hash === 'string' &&
    typeof d.keyId === 'string' &&
    typeof d.fingerprint === 'string' &&
    typeof d.signature === 'string';
  return ok ? (d as CheckpointData) : undefined;
}

/** Where a hash lives now; a full scan, made only once a break is found. */
async function seqOfHash(hash: string, read: Reader, pageSize: number): Promise<number | undefined> {
  let next = 1;
  for (;;) {
    const page = await read(next, Number.MAX_SAFE_INTEGER, pageSize);
    if (page.length === 0) return undefined;
    const found = page.find((e) => e.hash === hash);
    if (found) return found.seq;
    next = (page[page.length - 1] as TextLedgerEntry).seq + 1;
  }
}

function describe(entry: TextLedgerEntry): string {
  return `${entry.seq} (${entry.kind} ${entry.subject})`;
}

function readerOf(ledger: LedgerStore): Reader {
  const stored = ledger as Partial<StoredEntrySource> & LedgerStore;
  if (typeof stored.storedEntries === 'function') {
    const source = stored as StoredEntrySource;
    return (fromSeq, toSeq, limit) => source.storedEntries({ fromSeq, toSeq, limit });
  }
  return async (fromSeq, toSeq, limit) => (await ledger.entries({ fromSeq, toSeq, limit })).map((e) => ({ ...e, data: canonicalJson(e.data) }));
}

/**
 * Signs the current head and appends the signature as a `checkpoint` entry. Another writer may append
 * between reading the head and appending: the checkpoint then covers an entry a few before it, which
 * verify handles.
 */
export async function createCheckpoint(ledger: LedgerStore, signer: LedgerSigner, meta: { at: string; actor: string; reason: string }): Promise<LedgerEntry> {
  const head = await ledger.head();
  if (!head) throw new EnvironmentError('the ledger is empty: there is nothing to sign yet');
  const data: CheckpointData = {
    seq: head.seq,
    hash: head.hash,
    keyId: signer.keyId,
    fingerprint: signer.fingerprint,
    algorithm: 'ed25519',
    signature: signStatement(signer, checkpointStatement(head)),
    reason: meta.reason,
  };
  const [entry] = await ledger.append([{ kind: 'checkpoint', at: meta.at, actor: meta.actor, subject: `ledger@${head.seq}`, data: { ...data } }]);
  return entry as LedgerEntry;
}
