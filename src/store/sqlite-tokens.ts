/**
 * TokenStore on SQLite. A creation or revocation and its ledger entry (name, role, who, why; never the
 * token or its hash) commit together; reads and `touchToken` are single statements.
 */
import type Database from 'better-sqlite3';
import { ConflictError } from '../core/errors.js';
import { tokenEntry } from './ledger-entries.js';
import { appendInTransaction } from './sqlite-ledger.js';
import { toToken, type TokenRow } from './rows.js';
import type { ApiToken, StoredApiToken, TokenStore } from './token-types.js';

export class SqliteTokenStore implements TokenStore {
  constructor(private readonly db: Database.Database) {}

  async createToken(token: StoredApiToken): Promise<void> {
    // The unique index decides, so two processes creating the same name cannot both succeed.
    this.db
      .transaction(() => {
        const inserted = this.db
          .prepare(
            `INSERT INTO api_tokens (id, name, role, hash, created_at, created_by, reason) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (name) DO NOTHING`,
          )
          .run(token.id, token.name, token.role, token.hash, token.createdAt, token.createdBy, token.reason).changes;
        if (inserted === 0) throw new ConflictError(`a token named ${token.name} already exists`);
        appendInTransaction(this.db, [tokenEntry(token, { action: 'created', at: token.createdAt, actor: token.createdBy, reason: token.reason })]);
      })
      .immediate();
  }

  async findByHash(hash: string): Promise<StoredApiToken | undefined> {
    const row = this.db.prepare('SELECT * FROM api_tokens WHERE hash = ?').get(hash) as TokenRow | undefined;
    return row ? { ...toToken(row), hash: row.hash } : undefined;
  }

  async getToken(name: string): Promise<ApiToken | undefined> {
    const row = this.db.prepare('SELECT * FROM api_tokens WHERE name = ?').get(name) as TokenRow | undefined;
    return row ? toToken(row) : undefined;
  }

  async listTokens(): Promise<ApiToken[]> {
    return (this.db.prepare('SELECT * FROM api_tokens ORDER BY created_at, name').all() as TokenRow[]).map(toToken);
  }

  async revokeToken(name: string, revocation: { at: string; by: string; reason: string }): Promise<ApiToken | undefined> {
    return this.db
      .transaction(() => {
        const changed = this.db
          .prepare('UPDATE api_tokens SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE name = ? AND revoked_at IS NULL')
          .run(revocation.at, revocation.by, revocation.reason, name).changes;
        if (changed === 0) return undefined;
        const token = toToken(this.db.prepare('SELECT * FROM api_tokens WHERE name = ?').get(name) as TokenRow);
        appendInTransaction(this.db, [tokenEntry(token, { action: 'revoked', at: revocation.at, actor: revocation.by, reason: revocation.reason })]);
        return token;
      })
      .immediate();
  }

  async touchToken(id: string, at: string): Promise<void> {
    this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(at, id);
  }
}
