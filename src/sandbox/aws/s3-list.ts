/**
 * ListObjectsV2, ListObjects and ListObjectVersions over a bucket's sorted keys: a binary search to the
 * start, then O(1) per item returned (common prefixes are jumped over with another binary search).
 * Pages hold at most 1000 entries, common prefixes counted, as in S3.
 */
import { expireNoncurrent } from './s3-lifecycle.js';
import { canonicalUserId, compareKeys, etagOf, lowerBound, skipPrefix, type Bucket, type ObjectVersion } from './s3-store.js';
import { S3Error } from './s3-xml.js';

const MAX_KEYS = 1000;

type Entry = { kind: 'key'; key: string } | { kind: 'prefix'; prefix: string };

export function maxKeysParam(query: URLSearchParams): number {
  const text = query.get('max-keys');
  if (text === null || text === '') return MAX_KEYS;
  if (!/^\d+$/.test(text) || Number(text) > 2 ** 31 - 1) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400);
  return Math.min(Number(text), MAX_KEYS);
}

/**
 * Keys under `prefix` from index `start` on, rolled up into common prefixes at `delimiter`. `include`
 * hides keys (deleted ones, for object listings); a common prefix shows only if it covers a shown key,
 * and only if it sorts after `after` (the marker, which may itself be a common prefix).
 */
function* walk(bucket: Bucket, prefix: string, delimiter: string | undefined, start: number, after: string | undefined, include: (key: string) => boolean): Generator<Entry> {
  const keys = bucket.keys;
  let i = Math.max(start, lowerBound(keys, prefix));
  while (i < keys.length) {
    const key = keys[i] as string;
    if (!key.startsWith(prefix)) return;
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (at < 0) {
      if (include(key)) yield { kind: 'key', key };
      i++;
      continue;
    }
    const common = key.slice(0, at + (delimiter as string).length);
    const end = skipPrefix(keys, i, common);
    const shown = (after === undefined || compareKeys(common, after) > 0) && anyIncluded(keys, i, end, include);
    if (shown) yield { kind: 'prefix', prefix: common };
    i = end;
  }
}

function anyIncluded(keys: string[], from: number, to: number, include: (key: string) => boolean): boolean {
  for (let i = from; i < to; i++) if (include(keys[i] as string)) return true;
  return false;
}

function encoder(query: URLSearchParams): (text: string) => string {
  if (query.get('encoding-type') !== 'url') return (text) => text;
  return (text) => encodeURIComponent(text).replace(/%2F/g, '/');
}

function listedObject(bucket: Bucket, key: string, version: ObjectVersion, owner: boolean): Record<string, unknown> {
  return {
    Key: key,
    LastModified: version.lastModified,
    ETag: version.content ? etagOf(version.content) : undefined,
    ChecksumAlgorithm: version.checksumAlgorithm,
    ChecksumType: version.checksumAlgorithm ? 'FULL_OBJECT' : undefined,
    Size: version.content?.size ?? 0,
    StorageClass: version.storageClass,
    Owner: owner ? { ID: canonicalUserId(bucket.accountId) } : undefined,
  };
}

function visible(bucket: Bucket): (key: string) => boolean {
  return (key) => bucket.objects.get(key)?.[0]?.deleteMarker === false;
}

interface Page {
  contents: Record<string, unknown>[];
  prefixes: Array<{ Prefix: string }>;
  truncated: boolean;
  last?: string;
}

function currentPage(bucket: Bucket, query: URLSearchParams, after: string | undefined, maxKeys: number, owner: boolean): Page {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') || undefined;
  const encode = encoder(query);
  const start = after === undefined ? 0 : lowerBound(bucket.keys, after, true);
  const entries = walk(bucket, prefix, delimiter, start, after, visible(bucket));
  const page: Page = { contents: [], prefixes: [], truncated: false };
  for (let count = 0; count < maxKeys; count++) {
    const next = entries.next();
    if (next.done) return page;
    const entry = next.value;
    if (entry.kind === 'prefix') {
      page.prefixes.push({ Prefix: encode(entry.prefix) });
      page.last = entry.prefix;
    } else {
      page.contents.push({ ...listedObject(bucket, entry.key, bucket.objects.get(entry.key)?.[0] as ObjectVersion, owner), Key: encode(entry.key) });
      page.last = entry.key;
    }
  }
  // max-keys=0 asks for nothing, and S3 then reports nothing left either.
  page.truncated = maxKeys > 0 && !entries.next().done;
  return page;
}

/** Continuation tokens are opaque to clients; this one carries the last key (or prefix) returned. */
function encodeToken(last: string): string {
  return Buffer.from(JSON.stringify({ a: last })).toString('base64');
}

function decodeToken(token: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { a?: unknown };
    if (typeof decoded.a === 'string') return decoded.a;
  } catch {
    // fall through to the error S3 gives for a token it did not issue
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400);
}

export function listObjectsV2(bucket: Bucket, query: URLSearchParams): Record<string, unknown> {
  const maxKeys = maxKeysParam(query);
  const token = query.get('continuation-token');
  const startAfter = query.get('start-after') ?? undefined;
  const after = token !== null ? decodeToken(token) : startAfter || undefined;
  const page = currentPage(bucket, query, after, maxKeys, query.get('fetch-owner') === 'true');
  const encode = encoder(query);
  return {
    Name: bucket.name,
    Prefix: encode(query.get('prefix') ?? ''),
    ContinuationToken: token ?? undefined,
    StartAfter: startAfter !== undefined ? encode(startAfter) : undefined,
    KeyCount: page.contents.length + page.prefixes.length,
    MaxKeys: maxKeys,
    Delimiter: query.get('delimiter') ? encode(query.get('delimiter') as string) : undefined,
    EncodingType: query.get('encoding-type') ?? undefined,
    IsTruncated: page.truncated,
    Contents: page.contents.length > 0 ? page.contents : undefined,
    CommonPrefixes: page.prefixes.length > 0 ? page.prefixes : undefined,
    NextContinuationToken: page.truncated && page.last !== undefined ? encodeToken(page.last) : undefined,
  };
}

export function listObjectsV1(bucket: Bucket, query: URLSearchParams): Record<string, unknown> {
  const maxKeys = maxKeysParam(query);
  const marker = query.get('marker') ?? '';
  const page = currentPage(bucket, query, marker || undefined, maxKeys, true);
  const encode = encoder(query);
  const delimiter = query.get('delimiter');
  return {
    Name: bucket.name,
    Prefix: encode(query.get('prefix') ?? ''),
    Marker: encode(marker),
    MaxKeys: maxKeys,
    Delimiter: delimiter ? encode(delimiter) : undefined,
    EncodingType: query.get('encoding-type') ?? undefined,
    IsTruncated: page.truncated,
    // S3 sends NextMarker only with a delimiter; without one, clients continue from the last key.
    NextMarker: page.truncated && delimiter && page.last !== undefined ? encode(page.last) : undefined,
    Contents: page.contents.length > 0 ? page.contents : undefined,
    CommonPrefixes: page.prefixes.length > 0 ? page.prefixes : undefined,
  };
}

/**
 * Every version and delete marker, keys in order and each key's versions newest first. A page can end
 * inside a key's history: NextKeyMarker and NextVersionIdMarker say where the next one starts.
 */
export function listObjectVersions(bucket: Bucket, query: URLSearchParams, nowMs: number): Record<string, unknown> {
  const maxKeys = maxKeysParam(query);
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') || undefined;
  const keyMarker = query.get('key-marker') ?? '';
  const versionIdMarker = query.get('version-id-marker') ?? '';
  if (versionIdMarker !== '' && keyMarker === '') throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', 400);
  const encode = encoder(query);
  const owner = { ID: canonicalUserId(bucket.accountId) };

  const versions: Record<string, unknown>[] = [];
  const markers: Record<string, unknown>[] = [];
  const prefixes: Array<{ Prefix: string }> = [];
  let count = 0;
  let next: { key: string; versionId?: string } | undefined;
  let truncated = false;

  // Resuming inside the marker key's history comes first, then the keys after it.
  const pending: Array<{ key: string; from: number }> = [];
  if (versionIdMarker !== '' && keyMarker.startsWith(prefix)) {
    expireNoncurrent(bucket, keyMarker, nowMs);
    const history = bucket.objects.get(keyMarker) ?? [];
    const at = history.findIndex((v) => v.versionId === versionIdMarker);
    if (at >= 0) pending.push({ key: keyMarker, from: at + 1 });
  }
  const start = keyMarker === '' ? 0 : lowerBound(bucket.keys, keyMarker, true);
  const entries = walk(bucket, prefix, delimiter, start, keyMarker || undefined, () => true);

  outer: for (;;) {
    const item = pending.shift() ?? nextKey(entries);
    if (!item) break;
    if ('prefix' in item) {
      if (count === maxKeys) {
        truncated = maxKeys > 0;
        break;
      }
      prefixes.push({ Prefix: encode(item.prefix) });
      next = { key: item.prefix };
      count++;
      continue;
    }
    if (item.from === 0) expireNoncurrent(bucket, item.key, nowMs);
    const history = bucket.objects.get(item.key) ?? [];
    for (let i = item.from; i < history.length; i++) {
      if (count === maxKeys) {
        truncated = maxKeys > 0;
        break outer;
      }
      const version = history[i] as ObjectVersion;
      const common = { Key: encode(item.key), VersionId: version.versionId, IsLatest: i === 0, LastModified: version.lastModified, Owner: owner };
      if (version.deleteMarker) markers.push(common);
      else versions.push({ ...listedObject(bucket, item.key, version, true), ...common });
      next = { key: item.key, versionId: version.versionId };
      count++;
    }
  }

  return {
    Name: bucket.name,
    Prefix: encode(prefix),
    KeyMarker: encode(keyMarker),
    VersionIdMarker: versionIdMarker,
    NextKeyMarker: truncated && next ? encode(next.key) : undefined,
    NextVersionIdMarker: truncated && next?.versionId !== undefined ? next.versionId : undefined,
    MaxKeys: maxKeys,
    Delimiter: delimiter !== undefined ? encode(delimiter) : undefined,
    EncodingType: query.get('encoding-type') ?? undefined,
    IsTruncated: truncated,
    Version: versions.length > 0 ? versions : undefined,
    DeleteMarker: markers.length > 0 ? markers : undefined,
    CommonPrefixes: prefixes.length > 0 ? prefixes : undefined,
  };
}

function nextKey(entries: Generator<Entry>): { key: string; from: number } | { prefix: string } | undefined {
  const next = entries.next();
  if (next.done) return undefined;
  return next.value.kind === 'key' ? { key: next.value.key, from: 0 } : { prefix: next.value.prefix };
}
