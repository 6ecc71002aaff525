/**
 * TokenStore on PostgreSQL. A creation or revocation and its ledger entry (name, role, who, why; never
 * the token or its hash) commit together; reads and `touchToken` are single statements.
 */
import { ConflictError } from '../core/errors.js';
import { tokenEntry } from './ledger-entries.js';
import type { PgDb } from './postgres-db.js';
import { appendLedger } from './postgres-ledger.js';
import { toToken, type TokenRow } from './rows.js';
import type { ApiToken, StoredApiToken, TokenStore } from './token-types.js';

export class PostgresTokenStore implements TokenStore {
  constructor(private readonly db: PgDb) {}

  async createToken(token: StoredApiToken): Promise<void> {
    // The unique index decides, so two replicas creating the same name cannot both succeed.
    await this.db.transaction(async (tx) => {
      const inserted = await tx.run(
        `INSERT INTO api_tokens (id, name, role, hash, created_at, created_by, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (name) DO NOTHING`,
        [token.id, token.name, token.role, token.hash, token.createdAt, token.createdBy, token.reason],
      );
      if (inserted === 0) throw new ConflictError(`a token named ${token.name} already exists`);
      await appendLedger(tx, [tokenEntry(token, { action: 'created', at: token.createdAt, actor: token.createdBy, reason: token.reason })]);
    });
  }

  async findByHash(hash: string): Promise<StoredApiToken | undefined> {
    const row = await this.db.one<TokenRow>('SELECT * FROM api_tokens WHERE hash = $1', [hash]);
    return row ? { ...toToken(row), hash: row.hash } : undefined;
  }

  async getToken(name: string): Promise<ApiToken | undefined> {
    const row = await this.db.one<TokenRow>('SELECT * FROM api_tokens WHERE name = $1', [name]);
    return row ? toToken(row) : undefined;
  }

  async listTokens(): Promise<ApiToken[]> {
    return (await this.db.rows<TokenRow>('SELECT * FROM api_tokens ORDER BY created_at, name')).map(toToken);
  }

  async revokeToken(name: string, revocation: { at: string; by: string; reason: string }): Promise<ApiToken | undefined> {
    return this.db.transaction(async (tx) => {
      const row = await tx.one<TokenRow>('UPDATE api_tokens SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 WHERE name = $4 AND revoked_at IS NULL RETURNING *', [
        revocation.at,
        revocation.by,
        revocation.reason,
        name,
      ]);
      if (!row) return undefined;
      const token = toToken(row);
      await appendLedger(tx, [tokenEntry(token, { action: 'revoked', at: revocation.at, actor: revocation.by, reason: revocation.reason })]);
      return token;
    });
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.db.run('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [at, id]);
  }
}
