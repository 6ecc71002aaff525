/**
 * The connector a drill uses for whatever engine it restored: pg for the PostgreSQL family, mysql2 for
 * the MySQL family. RDS's engine names are translated here and nowhere else.
 */
import type { DatabaseConnector, DatabaseSession } from '../drills/ports.js';
import { MysqlConnector } from './mysql.js';
import { PgConnector } from './postgres.js';

export type DatabaseFamily = 'postgres' | 'mysql';

const FAMILIES: Record<string, DatabaseFamily> = {
  postgres: 'postgres',
  'aurora-postgresql': 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  'aurora-mysql': 'mysql',
};

/** The wire protocol an RDS engine speaks; undefined for engines Vigil cannot query (Oracle, SQL Server, Db2). */
export function databaseFamily(engine: string): DatabaseFamily | undefined {
  return FAMILIES[engine.toLowerCase()];
}

type ConnectOptions = Parameters<DatabaseConnector['connect']>[0];

export class EngineConnector implements DatabaseConnector {
  private readonly connectors: Record<DatabaseFamily, DatabaseConnector>;

  constructor(options: { connectTimeoutMs?: number; statementTimeoutMs?: number; caFile?: string } = {}, connectors?: Partial<Record<DatabaseFamily, DatabaseConnector>>) {
    this.connectors = { postgres: connectors?.postgres ?? new PgConnector(options), mysql: connectors?.mysql ?? new MysqlConnector(options) };
  }

  /** Without an engine (a platform that does not say), PostgreSQL, as drills have always assumed. */
  connect(options: ConnectOptions): Promise<DatabaseSession> {
    const family = options.engine === undefined ? 'postgres' : databaseFamily(options.engine);
    if (!family) {
      return Promise.reject(new Error(`Vigil verifies PostgreSQL and MySQL engines (postgres, aurora-postgresql, mysql, mariadb, aurora-mysql), not ${options.engine}`));
    }
    return this.connectors[family].connect(options);
  }
}
