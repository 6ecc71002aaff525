/**
 * The checksums S3 records for an object, recomputed over the bytes a drill read back: base64 of the
 * digest as S3 shows it (CRCs as big-endian integers), or the quoted MD5 hex of a single-part ETag.
 *
 * Written here rather than imported: the AWS SDK's own implementations live in @aws-sdk/checksums,
 * an internal package that Vigil only gets transitively, and the sandbox's cannot be used outside it.
 * A verifier that shared code with the emulator it is tested against could share its bugs, too; the
 * tests pin every algorithm to its published check value instead.
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** In the order a drill prefers them when an object carries more than one. */
export const CHECKSUM_ALGORITHMS = ['CRC64NVME', 'CRC32C', 'CRC32', 'SHA256', 'SHA1', 'SHA512', 'MD5'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];
/** The ETag of an object uploaded in one part without SSE-KMS or SSE-C: the MD5 of its bytes. */
export type RecordedAlgorithm = ChecksumAlgorithm | 'ETAG-MD5';

export interface Hasher {
  update(chunk: Uint8Array): void;
  /** The value in the form S3 reports it. */
  digest(): string;
}

export function checksumHasher(algorithm: RecordedAlgorithm): Hasher {
  switch (algorithm) {
    case 'CRC32': {
      let value = 0;
      return { update: (chunk) => void (value = crc32(chunk, value)), digest: () => uint32Base64(value) };
    }
    case 'CRC32C':
      return crc32cHasher();
    case 'CRC64NVME':
      return crc64nvmeHasher();
    case 'SHA1':
    case 'SHA256':
    case 'SHA512':
    case 'MD5':
      return cryptoHasher(createHash(algorithm.toLowerCase()), (h) => h.digest('base64'));
    case 'ETAG-MD5':
      return cryptoHasher(createHash('md5'), (h) => `"${h.digest('hex')}"`);
  }
}

/** Reads a body to the end through a hasher; returns the digest and how many bytes there were. */
export async function checksumOfStream(algorithm: RecordedAlgorithm, body: AsyncIterable<Uint8Array>): Promise<{ checksum: string; size: number }> {
  const hasher = checksumHasher(algorithm);
  let size = 0;
  for await (const chunk of body) {
    hasher.update(chunk);
    size += chunk.byteLength;
  }
  return { checksum: hasher.digest(), size };
}

function cryptoHasher(hash: Hash, digest: (h: Hash) => string): Hasher {
  let value: string | undefined;
  // node:crypto allows one digest per hash; the CRCs allow many, so this does too.
  return { update: (chunk) => void hash.update(chunk), digest: () => (value ??= digest(hash)) };
}

function uint32Base64(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

/** Table for a reflected CRC-32 polynomial. */
function crc32Table(polynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (polynomial ^ (c >>> 1)) >>> 0 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const CRC32C_TABLE = crc32Table(0x82f63b78);

function crc32cHasher(): Hasher {
  let crc = 0xffffffff;
  return {
    update(chunk) {
      for (const byte of chunk) crc = ((CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8)) >>> 0;
    },
    digest: () => uint32Base64((crc ^ 0xffffffff) >>> 0),
  };
}

/**
 * CRC-64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, initial value and final xor all ones. The
 * 64-bit register is kept as two 32-bit halves: a BigInt per byte would make large objects crawl.
 */
const CRC64_TABLE = (() => {
  const high = new Uint32Array(256);
  const low = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let h = 0;
    let l = n;
    for (let k = 0; k < 8; k++) {
      const lsb = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h >>>= 1;
      if (lsb) {
        h = (h ^ 0x9a6c9329) >>> 0;
        l = (l ^ 0xac4bc9b5) >>> 0;
      }
    }
    high[n] = h;
    low[n] = l;
  }
  return { high, low };
})();

function crc64nvmeHasher(): Hasher {
  let h = 0xffffffff;
  let l = 0xffffffff;
  return {
    update(chunk) {
      for (const byte of chunk) {
        const i = (l ^ byte) & 0xff;
        l = (((l >>> 8) | (h << 24)) ^ (CRC64_TABLE.low[i] as number)) >>> 0;
        h = ((h >>> 8) ^ (CRC64_TABLE.high[i] as number)) >>> 0;
      }
    },
    digest() {
      const out = Buffer.alloc(8);
      out.writeUInt32BE((h ^ 0xffffffff) >>> 0, 0);
      out.writeUInt32BE((l ^ 0xffffffff) >>> 0, 4);
      return out.toString('base64');
    },
  };
}
