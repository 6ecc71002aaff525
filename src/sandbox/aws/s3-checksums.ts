/**
 * S3's object integrity: the MD5 ETag, the flexible checksums (`x-amz-checksum-<algorithm>`, base64 of
 * the big-endian digest) and the `aws-chunked` body the SDK sends when it streams an upload with the
 * checksum in a trailer.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** What S3 computes for an object uploaded without a checksum (since December 2024). */
export const DEFAULT_CHECKSUM_ALGORITHM: ChecksumAlgorithm = 'CRC64NVME';

export function isChecksumAlgorithm(value: string): value is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(value);
}

/** The request/response header that carries an algorithm's checksum. */
export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

export function md5Hex(body: Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

/** A checksum as S3 sends it: base64 of the digest, CRCs as big-endian integers. */
export function computeChecksum(algorithm: ChecksumAlgorithm, body: Buffer): string {
  switch (algorithm) {
    case 'CRC32':
      return uint32Base64(crc32(body));
    case 'CRC32C':
      return uint32Base64(crc32c(body));
    case 'CRC64NVME':
      return crc64nvme(body).toString('base64');
    case 'SHA1':
      return createHash('sha1').update(body).digest('base64');
    case 'SHA256':
      return createHash('sha256').update(body).digest('base64');
  }
}

function uint32Base64(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32c(body: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of body) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5), kept as two 32-bit halves to avoid BigInt per byte.
const CRC64_TABLE = (() => {
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let h = 0;
    let l = n;
    for (let k = 0; k < 8; k++) {
      const carry = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = h >>> 1;
      if (carry) {
        h = (h ^ 0x9a6c9329) >>> 0;
        l = (l ^ 0xac4bc9b5) >>> 0;
      }
    }
    hi[n] = h;
    lo[n] = l;
  }
  return { hi, lo };
})();

function crc64nvme(body: Buffer): Buffer {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  for (const byte of body) {
    const index = (lo ^ byte) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ (CRC64_TABLE.lo[index] as number)) >>> 0;
    hi = ((hi >>> 8) ^ (CRC64_TABLE.hi[index] as number)) >>> 0;
  }
  const out = Buffer.alloc(8);
  out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
  out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
  return out;
}

export interface DecodedBody {
  payload: Buffer;
  /** Trailing headers (lower-cased names), e.g. `x-amz-checksum-crc32`. */
  trailers: Record<string, string>;
}

/**
 * Undoes `aws-chunked` content encoding: `<hex size>[;chunk-signature=..]\r\n<bytes>\r\n` repeated, a
 * zero-size chunk, then trailer lines. Returns undefined when the framing is broken.
 */
export function decodeAwsChunked(body: Buffer): DecodedBody | undefined {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString('latin1').split(';')[0] as string, 16);
    if (!Number.isInteger(size) || size < 0) return undefined;
    offset = lineEnd + 2;
    if (size === 0) break;
    if (offset + size + 2 > body.length) return undefined;
    chunks.push(body.subarray(offset, offset + size));
    offset += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of body.subarray(offset).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { payload: Buffer.concat(chunks), trailers };
}
