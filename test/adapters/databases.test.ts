import { describe, expect, it } from 'vitest';
import { databaseFamily, EngineConnector } from '../../src/adapters/databases.js';
import type { DatabaseConnector } from '../../src/drills/ports.js';

/** A connector that answers with its own name, to see which one a drill was routed to. */
function named(name: string): DatabaseConnector {
  return { connect: async () => ({ query: async () => [{ connector: name }], close: async () => undefined }) };
}

const OPTIONS = { host: '127.0.0.1', port: 3306, user: 'reporting', password: 'x', database: 'reporting', tls: 'disable' as const };

describe('choosing the client by RDS engine', () => {
  it.each([
    ['postgres', 'postgres'],
    ['aurora-postgresql', 'postgres'],
    ['mysql', 'mysql'],
    ['mariadb', 'mysql'],
    ['aurora-mysql', 'mysql'],
    ['oracle-ee', undefined],
    ['sqlserver-se', undefined],
  ])('%s speaks %s', (engine, family) => {
    expect(databaseFamily(engine)).toBe(family);
  });

  it('connects with the client of the restored engine, PostgreSQL when the platform did not say', async () => {
    const connector = new EngineConnector({}, { postgres: named('pg'), mysql: named('mysql2') });

    const used = await Promise.all(['mariadb', 'aurora-postgresql', undefined].map(async (engine) => (await connector.connect({ ...OPTIONS, engine })).query('SELECT 1')));

    expect(used).toEqual([[{ connector: 'mysql2' }], [{ connector: 'pg' }], [{ connector: 'pg' }]]);
  });

  it('refuses an engine it cannot query, naming the ones it can', async () => {
    const connector = new EngineConnector({}, { postgres: named('pg'), mysql: named('mysql2') });

    const refused = await connector.connect({ ...OPTIONS, engine: 'oracle-ee' }).catch((e: unknown) => e);

    expect(refused).toMatchObject({ message: 'Vigil verifies PostgreSQL and MySQL engines (postgres, aurora-postgresql, mysql, mariadb, aurora-mysql), not oracle-ee' });
  });
});
