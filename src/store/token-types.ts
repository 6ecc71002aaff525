/** The API-token part of the store. Tokens are kept only as hashes; see src/service/tokens.ts. */
import type { Role } from '../service/roles.js';

export interface ApiToken {
  id: string;
  /** Unique forever: a revoked token keeps its name, so `api:<name>` in a timeline names one token. */
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string;
  /** Why it was created. */
  reason: string;
  revokedAt?: string;
  revokedBy?: string;
  revokeReason?: string;
  lastUsedAt?: string;
}

/** A token as stored: never the token itself, only the hex SHA-256 of it. */
export interface StoredApiToken extends ApiToken {
  hash: string;
}

export interface TokenStore {
  /** Throws ConflictError when the name is taken (by a live or a revoked token). */
  createToken(token: StoredApiToken): Promise<void>;
  /** The token whose hash this is, revoked or not; the caller decides what revocation means. */
  findByHash(hash: string): Promise<StoredApiToken | undefined>;
  getToken(name: string): Promise<ApiToken | undefined>;
  /** Oldest first; hashes left out. */
  listTokens(): Promise<ApiToken[]>;
  /** Revokes a live token; returns undefined when there is no live token of that name. */
  revokeToken(name: string, revocation: { at: string; by: string; reason: string }): Promise<ApiToken | undefined>;
  /** Records a use. */
  touchToken(id: string, at: string): Promise<void>;
}
