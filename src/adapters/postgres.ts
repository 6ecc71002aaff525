/** Connecting to a restored PostgreSQL database with `pg`, for drill verification. */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { DatabaseConnector, DatabaseSession } from '../drills/ports.js';

export class PgConnector implements DatabaseConnector {
  constructor(private readonly options: { connectTimeoutMs?: number; statementTimeoutMs?: number; caFile?: string } = {}) {}

  async connect(o: { host: string; port: number; user: string; password: string; database: string; tls: 'require' | 'disable' }): Promise<DatabaseSession> {
    const client = new pg.Client({
      host: o.host,
      port: o.port,
      user: o.user,
      password: o.password,
      database: o.database,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 10_000,
      statement_timeout: this.options.statementTimeoutMs ?? 60_000,
      // Certificates are verified; for RDS, trust its CA bundle through drills.tlsCaFile.
      ssl: o.tls === 'require' ? { rejectUnauthorized: true, ...(this.options.caFile ? { ca: readFileSync(this.options.caFile, 'utf8') } : {}) } : false,
    });
    client.on('error', () => undefined);
    await client.connect();
    return {
      query: async (sql) => (await client.query(sql)).rows as Array<Record<string, unknown>>,
      close: () => client.end(),
    };
  }
}
