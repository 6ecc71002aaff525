/**
 * What only the PostgreSQL store has to prove, against a real server: migrations applied once by
 * replicas opening a fresh database together, byte-order text whatever the database's collation, clear
 * errors for a URL that does not work or a newer schema (never showing the password), a server that
 * goes away and comes back, many pools appending to one ledger, and a streamed read that stops early.
 */
import { createServer, type AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ExternalServiceError } from '../../src/core/errors.js';
import { verifyLedger } from '../../src/evidence/ledger.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/store/migrations.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { skipWithoutPostgres, startTestPostgres, type TestPostgres } from '../helpers/postgres.js';

const opened: PostgresStore[] = [];
afterAll(async () => {
  for (const store of opened.splice(0)) await store.close();
});

async function open(url: string, options: Partial<ConstructorParameters<typeof PostgresStore>[0]> = {}): Promise<PostgresStore> {
  const store = await PostgresStore.open({ url, ...options });
  opened.push(store);
  return store;
}

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A loopback port just released: nothing listens there. */
function portNobodyListensOn(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });
}

function problemsOf(error: unknown): Array<{ path: string; message: string; file: string; line?: number }> {
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems;
}

describe.skipIf(skipWithoutPostgres)('PostgresStore', () => {
  let server: TestPostgres;

  beforeAll(async () => {
    server = await startTestPostgres();
  });

  it('applies every migration once when several replicas open a fresh database at the same moment', async () => {
    const url = await server.newDatabase();

    const stores = await Promise.all([1, 2, 3, 4].map(() => open(url)));
    const applied = await admin(url, async (c) => (await c.query('SELECT version::int AS version, name FROM schema_migrations ORDER BY version')).rows);

    expect(await Promise.all(stores.map((s) => s.schemaVersion()))).toEqual([LATEST_SCHEMA_VERSION, LATEST_SCHEMA_VERSION, LATEST_SCHEMA_VERSION, LATEST_SCHEMA_VERSION]);
    expect(applied).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  it('compares and sorts text byte by byte, as SQLite does, in a database whose collation is en-US', async () => {
    await admin(server.url, (c) => c.query(`CREATE DATABASE vigil_icu TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`));
    const store = await open(server.urlOf('vigil_icu'));
    const token = { role: 'auditor' as const, createdAt: '2026-11-24T03:00:00.000Z', createdBy: 'alice', reason: 'order test' };

    await store.tokens.createToken({ ...token, id: 't-1', name: 'alpha', hash: '1'.repeat(64) });
    await store.tokens.createToken({ ...token, id: 't-2', name: 'Zeta', hash: '2'.repeat(64) });
    const databaseOrder = await admin(server.urlOf('vigil_icu'), async (c) => (await c.query(`SELECT 'Zeta' < 'alpha' AS zeta_first`)).rows[0]);

    expect(databaseOrder).toEqual({ zeta_first: false });
    expect((await store.tokens.listTokens()).map((t) => t.name)).toEqual(['Zeta', 'alpha']);
  });

  it('refuses a database at a newer schema version than it knows, naming store.postgres.url', async () => {
    const url = await server.newDatabase();
    await (await open(url)).close();
    await admin(url, (c) => c.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', '2030-01-01T00:00:00.000Z')"));

    const error = await PostgresStore.open({ url, source: { file: '/etc/vigil/vigil.config.yaml', line: 4 } }).catch((e: unknown) => e);

    expect(problemsOf(error)).toEqual([
      {
        file: '/etc/vigil/vigil.config.yaml',
        line: 4,
        path: 'store.postgres.url',
        message: `the database at 127.0.0.1:${server.port}/${url.split('/').pop()} is at schema version 99, newer than this Vigil knows (${LATEST_SCHEMA_VERSION}); upgrade Vigil or point store.postgres.url at another database`,
      },
    ]);
  });

  it('says why a URL does not work, naming store.postgres.url and never the password', async () => {
    const url = await server.newDatabase();
    const wrongPassword = 'not-the-password-4711';
    const closedPort = await portNobodyListensOn();

    const errors = await Promise.all(
      [server.urlOf(url.split('/').pop() as string, wrongPassword), `postgres://vigil:${wrongPassword}@127.0.0.1:${closedPort}/vigil`, server.urlOf('no_such_database')].map((u) =>
        PostgresStore.open({ url: u, connectTimeoutMs: 2_000 }).catch((e: unknown) => e),
      ),
    );

    const messages = errors.map((e) => problemsOf(e)[0]?.message ?? '');
    expect(errors.map((e) => problemsOf(e)[0]?.path)).toEqual(['store.postgres.url', 'store.postgres.url', 'store.postgres.url']);
    expect(messages[0]).toMatch(/^PostgreSQL at 127\.0\.0\.1:\d+\/vigil_test_\S+ refused the login: password authentication failed for user "vigil"/);
    expect(messages[1]).toBe(`cannot connect to PostgreSQL at 127.0.0.1:${closedPort}/vigil: connection refused (is the server running and listening there?)`);
    expect(messages[2]).toContain('database "no_such_database" does not exist (create it first, or fix the database name in the URL)');
    for (const error of errors) expect(String((error as Error).message)).not.toContain(wrongPassword);
  });

  it('reports a lost server as unavailable, and works again once it is back', async () => {
    const own = await startTestPostgres({ own: true });
    const store = await open(await own.newDatabase(), { connectTimeoutMs: 1_000 });
    await store.tokens.touchToken('t-1', '2026-11-24T03:00:00.000Z');

    await own.stop();
    const lost = await store.listRuns().catch((e: unknown) => e);
    await own.start();
    const back = await store.listRuns();

    expect(lost).toBeInstanceOf(ExternalServiceError);
    expect(lost).toMatchObject({ details: { kind: 'unavailable', service: 'postgres' } });
    expect(String((lost as Error).message)).toContain(`the store's PostgreSQL at 127.0.0.1:${own.port}/`);
    expect(back).toEqual([]);
  });

  it('keeps one valid chain while four pools append at once, each write in its own transaction', async () => {
    const url = await server.newDatabase();
    const stores = await Promise.all([0, 1, 2, 3].map(() => open(url, { poolSize: 3 })));

    await Promise.all(
      stores.flatMap((store, w) =>
        [0, 1, 2].map(async (lane) => {
          for (let n = 0; n < 10; n++) {
            await store.ledger.append([{ kind: 'job-run', at: '2026-11-24T03:00:00.000Z', actor: `writer-${w}`, subject: `job-${w}-${lane}-${n}`, data: { n } }]);
          }
        }),
      ),
    );

    expect(await verifyLedger(stores[0]?.ledger as PostgresStore['ledger'])).toMatchObject({ ok: true, entries: 120 });
  });

  it('gives its connection back when a streamed read stops early', async () => {
    const store = await open(await server.newDatabase(), { poolSize: 1 });
    await store.startRun({ id: 'run-1', kind: 'check', startedAt: '2026-11-01T00:00:00.000Z', trigger: 'cli' });
    await store.appendCheckResults(
      Array.from({ length: 2_500 }, (_, n) => ({
        runId: 'run-1',
        checkId: 'rds-backup-retention',
        accountId: '222222222222',
        region: 'us-east-1',
        resource: `db-${n}`,
        name: `db-${n}`,
        severity: 'high' as const,
        remediation: 'runbooks/rds-backup-retention.md',
        status: 'pass' as const,
        message: `db-${n} keeps backups.`,
        facts: {},
        params: {},
        evaluatedAt: '2026-11-01T00:00:01.000Z',
      })),
    );

    let read = 0;
    for await (const _result of store.evidence.streamCheckResults({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' })) {
      if (++read === 1_500) break;
    }
    const all = await store.checkResults('run-1');

    expect(read).toBe(1_500);
    expect(all.length).toBe(2_500);
    expect(all.at(-1)?.name).toBe('db-2499');
  });
});
