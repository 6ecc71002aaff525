/**
 * API tokens: `vgl_` and 43 base62 characters (32 random bytes), shown once when created and stored only
 * as a SHA-256 hash. A token is 256 bits of randomness, not a password a person chose, so nothing can be
 * guessed from its hash and a slow hash (bcrypt, scrypt) would only slow every request down: the slow
 * hashes exist to protect low-entropy secrets, which these are not.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { ConfigError, ConflictError, type Problem } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import type { ApiToken, TokenStore } from '../store/token-types.js';
import { ROLES, isRole, type Role } from './roles.js';

export const TOKEN_PREFIX = 'vgl_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** ceil(256 / log2(62)): every 32-byte value fits, so all tokens have the same length. */
const TOKEN_DIGITS = 43;
const TOKEN_SHAPE = new RegExp(`^${TOKEN_PREFIX}[0-9A-Za-z]{${TOKEN_DIGITS}}$`);
const NAME_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function generateToken(): string {
  let n = BigInt(`0x${randomBytes(32).toString('hex')}`);
  let digits = '';
  while (n > 0n) {
    digits = BASE62[Number(n % 62n)] + digits;
    n /= 62n;
  }
  return TOKEN_PREFIX + digits.padStart(TOKEN_DIGITS, '0');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether text has the shape of a token; anything else is refused before the store is asked. */
export function looksLikeToken(text: string): boolean {
  return TOKEN_SHAPE.test(text);
}

export interface TokenChange {
  actor: string;
  reason: string;
  clock: Clock;
}

export interface CreatedToken {
  record: ApiToken;
  /**
   * The token itself: show it once, then `registerSecret` it so nothing written afterwards carries it. It
   * is not registered here because the CLI prints through the redactor and would print `****`.
   */
  token: string;
}

export async function createToken(store: TokenStore, request: { name: string; role: string }, change: TokenChange): Promise<CreatedToken> {
  const problems = [...nameProblems(request.name), ...changeProblems(change)];
  if (!isRole(request.role)) problems.push({ file: 'token', path: 'role', message: `unknown role "${request.role}"; expected one of: ${ROLES.join(', ')}` });
  if (problems.length > 0) throw new ConfigError(problems);
  const token = generateToken();
  const record: ApiToken = {
    id: randomUUID(),
    name: request.name,
    role: request.role as Role,
    createdAt: change.clock.now().toISOString(),
    createdBy: change.actor,
    reason: change.reason.trim(),
  };
  try {
    await store.createToken({ ...record, hash: hashToken(token) });
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    throw new ConfigError([{ file: 'token', path: 'name', message: `a token named ${request.name} already exists (names are never reused, even after revocation)` }]);
  }
  return { record, token };
}

export async function revokeToken(store: TokenStore, name: string, change: TokenChange): Promise<ApiToken> {
  const problems = changeProblems(change);
  if (problems.length > 0) throw new ConfigError(problems);
  const revoked = await store.revokeToken(name, { at: change.clock.now().toISOString(), by: change.actor, reason: change.reason.trim() });
  if (revoked) return revoked;
  const existing = await store.getToken(name);
  const message = existing
    ? `token ${name} was already revoked at ${existing.revokedAt} by ${existing.revokedBy}`
    : `no token named ${name}; \`vigil token list\` shows them`;
  throw new ConfigError([{ file: 'token', path: 'name', message }]);
}

/** How often a token's last use is written: a scrape every 15 s need not write the store every 15 s. */
const TOUCH_EVERY_MS = 60_000;

/**
 * The live token this is, read from the store every time (no cache: a revocation holds from the next
 * request on). The lookup is by hash, so timing can tell an attacker at most something about a hash of
 * their guess, never about a stored token; the final comparison is constant-time all the same.
 */
export async function verifyToken(store: TokenStore, presented: string, clock: Clock): Promise<ApiToken | undefined> {
  if (!looksLikeToken(presented)) return undefined;
  const hash = hashToken(presented);
  const found = await store.findByHash(hash);
  if (!found || !timingSafeEqual(Buffer.from(found.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
  if (found.revokedAt !== undefined) return undefined;
  registerSecret(presented);
  const now = clock.now();
  if (!found.lastUsedAt || now.getTime() - Date.parse(found.lastUsedAt) >= TOUCH_EVERY_MS) await store.touchToken(found.id, now.toISOString());
  const { hash: _hash, ...token } = found;
  return token;
}

function nameProblems(name: string): Problem[] {
  return NAME_SHAPE.test(name)
    ? []
    : [{ file: 'token', path: 'name', message: `"${name}" is not a token name: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit` }];
}

function changeProblems(change: TokenChange): Problem[] {
  const problems: Problem[] = [];
  if (!change.actor.trim()) problems.push({ file: 'token', path: 'actor', message: 'an actor is required' });
  if (!change.reason.trim()) problems.push({ file: 'token', path: 'reason', message: 'say why; it is recorded with the token' });
  return problems;
}
