/** Connecting to a restored MySQL or MariaDB database with `mysql2`, for drill verification. */
import { readFileSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import type { DatabaseConnector, DatabaseSession } from '../drills/ports.js';

export class MysqlConnector implements DatabaseConnector {
  constructor(private readonly options: { connectTimeoutMs?: number; statementTimeoutMs?: number; caFile?: string } = {}) {}

  async connect(o: { host: string; port: number; user: string; password: string; database: string; tls: 'require' | 'disable' }): Promise<DatabaseSession> {
    const connection = await createConnection({
      host: o.host,
      port: o.port,
      user: o.user,
      password: o.password,
      database: o.database,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      // Certificates are verified; for RDS, trust its CA bundle through drills.tlsCaFile. Without `ssl`
      // mysql2 never asks for TLS, which is what `disable` means.
      ssl: o.tls === 'require' ? { rejectUnauthorized: true, ...(this.options.caFile ? { ca: readFileSync(this.options.caFile, 'utf8') } : {}) } : undefined,
      // DATETIME has no zone: read it, and have TIMESTAMP converted, as UTC (RDS's default time zone),
      // so a freshness check compares the same instants whatever this machine's zone is.
      timezone: 'Z',
    });
    connection.on('error', () => undefined);
    const timeout = this.options.statementTimeoutMs ?? 60_000;
    try {
      await connection.query("SET time_zone = '+00:00'");
    } catch (err) {
      await connection.end().catch(() => undefined);
      throw err;
    }
    return {
      query: async (sql) => {
        const [rows] = await connection.query({ sql, timeout });
        // Statements that return no rows answer with a result header, not a list.
        return Array.isArray(rows) ? rows.map((row) => ({ ...(row as Record<string, unknown>) })) : [];
      },
      close: () => connection.end(),
    };
  }
}
