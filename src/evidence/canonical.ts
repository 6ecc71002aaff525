/**
 * Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and the ledger's entry hash. Two parties that
 * hold the same record must produce the same bytes, or a hash proves nothing: keys sorted by UTF-16 code
 * units, no whitespace, numbers as ECMAScript prints them, strings escaped as JSON.stringify does.
 * Pure and allocation-light, because `vigil evidence verify` hashes every entry of the ledger.
 */
import { hash } from 'node:crypto';
import type { LedgerEntry } from '../store/ledger-types.js';

/** The `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * RFC 8785 canonical form of a JSON value. `undefined` members are dropped (as JSON.stringify does) and
 * objects with `toJSON` (a Date) are serialised through it; NaN, Infinity and BigInt have no JSON form
 * and throw rather than silently becoming `null`.
 */
export function canonicalJson(value: unknown): string {
  const out = serialise(value, '');
  if (out === undefined) throw new TypeError('canonicalJson: the value has no JSON form (undefined, a function or a symbol)');
  return out;
}

function serialise(value: unknown, key: string): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${String(value)} at "${key}" has no JSON form`);
      // ECMAScript's Number-to-String is exactly JCS's number serialisation (and prints -0 as 0).
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError(`canonicalJson: BigInt at "${key}" has no JSON form`);
    case 'object':
      return serialiseObject(value as object, key);
    default:
      return undefined;
  }
}

function serialiseObject(value: object, key: string): string | undefined {
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return serialise((value as { toJSON: (k: string) => unknown }).toJSON(key), key);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // As JSON.stringify: an array keeps its length, so a hole or undefined becomes null.
      out += serialise(value[i], String(i)) ?? 'null';
    }
    return `${out}]`;
  }
  // The default sort compares UTF-16 code units, which is what RFC 8785 section 3.2.3 asks for.
  const keys = Object.keys(value).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const member = serialise((value as Record<string, unknown>)[k], k);
    if (member === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${member}`;
    first = false;
  }
  return `${out}}`;
}

/** The fields of an entry that its hash covers: everything but the hash itself. */
export type HashedFields = Pick<LedgerEntry, 'seq' | 'kind' | 'at' | 'actor' | 'subject' | 'prevHash'>;

/**
 * SHA-256 (hex) of canonicalJson({ seq, kind, at, actor, subject, data, prevHash }), given `data` already
 * in canonical form. The verifier hashes the stored text this way without parsing it; the key order is
 * the sorted order of the seven names.
 */
export function entryHashOfCanonicalData(fields: HashedFields, canonicalData: string): string {
  const text =
    `{"actor":${JSON.stringify(fields.actor)},"at":${JSON.stringify(fields.at)},"data":${canonicalData},` +
    `"kind":${JSON.stringify(fields.kind)},"prevHash":${JSON.stringify(fields.prevHash)},"seq":${serialise(fields.seq, 'seq') as string},` +
    `"subject":${JSON.stringify(fields.subject)}}`;
  return sha256Hex(text);
}

/** The hash an entry must carry. */
export function entryHash(entry: Omit<LedgerEntry, 'hash'>): string {
  return entryHashOfCanonicalData(entry, canonicalJson(entry.data));
}

/** One-shot `crypto.hash` is several times faster than createHash for entry-sized inputs. */
export function sha256Hex(text: string | Buffer): string {
  return hash('sha256', text, 'hex');
}
