/**
 * Ed25519 keys for ledger checkpoints (node:crypto). The private key lives in a file or in Vault; the
 * verifier trusts public keys by their fingerprint, the SHA-256 of the key's SubjectPublicKeyInfo, so a
 * checkpoint names its key without carrying anything a forger could substitute.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, type Problem } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { canonicalJson, sha256Hex } from './canonical.js';

export interface LedgerSigner {
  keyId: string;
  fingerprint: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface TrustedKey {
  fingerprint: string;
  publicKey: KeyObject;
}

/** The statement a checkpoint signs: the entry it covers. */
export function checkpointStatement(covered: { seq: number; hash: string }): Buffer {
  return Buffer.from(canonicalJson({ seq: covered.seq, hash: covered.hash }), 'utf8');
}

export function fingerprintOf(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ type: 'spki', format: 'der' }));
}

export function signStatement(signer: LedgerSigner, statement: Buffer): string {
  // Ed25519 hashes internally; node:crypto takes `null` as the digest for it.
  return sign(null, statement, signer.privateKey).toString('base64');
}

export function verifyStatement(key: TrustedKey, statement: Buffer, signature: string): boolean {
  try {
    return verify(null, statement, key.publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** A signer from a PEM private key; `where` names its origin in errors (never the key). */
export function signerFromPem(pem: string, where: { file: string; path: string }, keyId?: string): LedgerSigner {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new ConfigError([{ ...where, message: 'not a PEM private key (`vigil evidence keygen --out DIR` makes one)' }]);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError([{ ...where, message: `expected an Ed25519 key, got ${privateKey.asymmetricKeyType ?? 'a symmetric key'}` }]);
  }
  const publicKey = createPublicKey(privateKey);
  const fingerprint = fingerprintOf(publicKey);
  return { keyId: keyId ?? `ed25519:${fingerprint.slice(0, 16)}`, fingerprint, privateKey, publicKey };
}

export function trustedKeyFromPem(pem: string, where: { file: string; path: string }): TrustedKey {
  let publicKey: KeyObject;
  try {
    // A private key PEM yields its public half, so the signing key file can be trusted as it is.
    publicKey = createPublicKey(pem);
  } catch {
    throw new ConfigError([{ ...where, message: 'not a PEM public key' }]);
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new ConfigError([{ ...where, message: `expected an Ed25519 key, got ${publicKey.asymmetricKeyType ?? 'unknown'}` }]);
  return { fingerprint: fingerprintOf(publicKey), publicKey };
}

export interface EvidenceKeyConfig {
  signingKey?: string;
  keyId?: string;
  trustedKeys: string[];
}

/**
 * The signer configured in `evidence.signingKey`, or undefined. A value holding PEM text came from
 * Vault (the schema refuses PEM written in the config); anything else is a file path relative to the
 * config file.
 */
export function loadSigner(evidence: EvidenceKeyConfig, configFile: string): LedgerSigner | undefined {
  if (!evidence.signingKey) return undefined;
  const where = { file: configFile, path: 'evidence.signingKey' };
  const pem = evidence.signingKey.includes('-----BEGIN') ? evidence.signingKey : readKeyFile(evidence.signingKey, configFile, where);
  registerSecret(pem);
  return signerFromPem(pem, where, evidence.keyId);
}

/**
 * The public keys `verify` trusts: `evidence.trustedKeys`, plus the signing key's own public half. Every
 * unreadable key is reported at once.
 */
export function loadTrustedKeys(evidence: EvidenceKeyConfig, configFile: string): TrustedKey[] {
  const keys: TrustedKey[] = [];
  const problems: Problem[] = [];
  evidence.trustedKeys.forEach((entry, index) => {
    const where = { file: configFile, path: `evidence.trustedKeys[${index}]` };
    try {
      keys.push(trustedKeyFromPem(entry.includes('-----BEGIN') ? entry : readKeyFile(entry, configFile, where), where));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  });
  try {
    const signer = loadSigner(evidence, configFile);
    if (signer) keys.push({ fingerprint: signer.fingerprint, publicKey: signer.publicKey });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return keys;
}

function readKeyFile(path: string, configFile: string, where: { file: string; path: string }): string {
  const file = isAbsolute(path) ? path : resolve(dirname(configFile), path);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ ...where, message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
}

/** A fresh key pair as PEM: PKCS#8 private, SPKI public. */
export function generateSigningKeyPair(): { privatePem: string; publicPem: string; fingerprint: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    fingerprint: fingerprintOf(publicKey),
  };
}
