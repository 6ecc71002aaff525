/**
 * The PostgreSQL connection every part of PostgresStore shares: one `pg.Pool`, opened on first use
 * (connect, check the schema version, apply pending migrations under an advisory lock so replicas
 * starting together apply each migration once), and transactions that take named advisory locks where
 * SQLite's single write lock used to serialise writers (the ledger's head, `MAX(seq) + 1` ids).
 *
 * A problem opening the store is the configuration's (`store.postgres.url`): a ConfigError naming the
 * field, exit 2. Losing the server later is an ExternalServiceError (`postgres`, unavailable). The URL's
 * password is registered as a secret and never part of a message: targets are shown as host:port/db.
 */
import pg from 'pg';
import { ConfigError, ExternalServiceError } from '../core/errors.js';
import { redact, registerSecret } from '../core/redact.js';
import { migrationSql, SCHEMA_MIGRATIONS_TABLE, type Migration } from './migrations.js';

/** The config field the URL comes from: every error opening the store names it. */
export const STORE_URL_FIELD = 'store.postgres.url';

/** Where the URL was written, for errors: the config file and line. */
export interface UrlSource {
  file: string;
  line?: number;
}

export interface PgDbOptions {
  url: string;
  source?: UrlSource;
  migrations: readonly Migration[];
  /** Connections in the pool; 10 when absent. */
  poolSize?: number;
  connectTimeoutMs?: number;
}

/** What a statement runs on: the pool (each statement on its own) or a transaction. */
export interface Sql {
  rows<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  one<R>(sql: string, params?: readonly unknown[]): Promise<R | undefined>;
  /** Runs a statement; returns how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface Tx extends Sql {
  /**
   * Waits for a transaction-scoped advisory lock: writers that take the same name run one after the
   * other, as every SQLite writer does. Released at commit or rollback.
   */
  lock(name: LockName): Promise<void>;
}

/** Advisory locks Vigil takes, as (namespace, key) pairs: distinct from any other application's keys. */
const LOCK_NAMESPACE = 0x7669676c; // 'vigl'
export const LOCKS = {
  migrations: 1,
  ledger: 2,
  incidents: 3,
  maintenance: 4,
  attestations: 5,
  waivers: 6,
} as const;
export type LockName = keyof typeof LOCKS;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * BIGINT (every INTEGER column, COUNT, SUM) as a JavaScript number, as better-sqlite3 returns SQLite's
 * integers. Only for this pool: other pg users (drill verification) keep pg's defaults.
 */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (text: string) => Number(text);
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** A transaction lost to a deadlock or a serialisation failure is run again, this many times in all. */
const TRANSACTION_ATTEMPTS = 3;
const RETRYABLE = new Set(['40P01', '40001']);

/** `host:port/database` of a URL: what messages say instead of the URL, which may hold a password. */
export function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(the user\'s database)';
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    return `${host}:${parsed.port || '5432'}/${database}`;
  } catch {
    return 'the configured URL';
  }
}

export class PgDb implements Sql {
  readonly pool: pg.Pool;
  readonly target: string;
  private opening: Promise<void> | undefined;

  constructor(private readonly options: PgDbOptions) {
    this.target = describeTarget(options.url);
    try {
      registerSecret(decodeURIComponent(new URL(options.url).password));
    } catch {
      // not a URL: opening reports it
    }
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      types: TYPES,
    });
    // A pooled connection the server drops while idle must not crash the process; the next query
    // reports the server as unavailable.
    this.pool.on('error', () => undefined);
  }

  /** Opens the store on first call: connects, refuses a newer schema, applies pending migrations. */
  ready(): Promise<void> {
    this.opening ??= this.open();
    return this.opening;
  }

  private async open(): Promise<void> {
    try {
      new URL(this.options.url);
    } catch {
      throw this.configError('not a valid URL; expected postgres://user:password@host:5432/database');
    }
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.configError(connectProblem(err, this.target));
    }
    const held = holdClient(client);
    let failed: unknown;
    try {
      await migrate(client, this.options.migrations, this.target, (message) => this.configError(message));
    } catch (err) {
      failed = err;
      if (err instanceof ConfigError) throw err;
      throw this.configError(`cannot prepare the database at ${this.target}: ${redact(messageOf(err))}`);
    } finally {
      held.release(failed instanceof Error ? failed : undefined);
    }
  }

  private configError(message: string): ConfigError {
    return new ConfigError([{ file: this.options.source?.file ?? 'store', ...(this.options.source?.line !== undefined ? { line: this.options.source.line } : {}), path: STORE_URL_FIELD, message }]);
  }

  async rows<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    await this.ready();
    try {
      return (await this.pool.query(sql, params as unknown[])).rows as R[];
    } catch (err) {
      throw this.runtimeError(err);
    }
  }

  async one<R>(sql: string, params: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.rows<R>(sql, params))[0];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    await this.ready();
    try {
      return (await this.pool.query(sql, params as unknown[])).rowCount ?? 0;
    } catch (err) {
      throw this.runtimeError(err);
    }
  }

  /**
   * Runs `fn` in one READ COMMITTED transaction: all its statements commit or none. Rows a write
   * depends on are locked (`FOR UPDATE`) or the writers serialised with `tx.lock`; a deadlock or
   * serialisation failure runs `fn` again from the start, so `fn` must only touch the database.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    await this.ready();
    for (let attempt = 1; ; attempt += 1) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw this.runtimeError(err);
      }
      const held = holdClient(client);
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(txOf(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        if (attempt < TRANSACTION_ATTEMPTS && RETRYABLE.has(codeOf(err) ?? '')) continue;
        throw this.runtimeError(err);
      } finally {
        held.release(broken);
      }
    }
  }

  /**
   * Rows of a query in batches through a server-side cursor, in one read-only transaction: a year of
   * results never sits in memory, and a consumer that stops early closes the cursor.
   */
  async *cursor<R>(sql: string, params: readonly unknown[] = [], batchSize = 1000): AsyncGenerator<R[]> {
    await this.ready();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.runtimeError(err);
    }
    const held = holdClient(client);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`DECLARE vigil_cursor NO SCROLL CURSOR FOR ${sql}`, params as unknown[]);
      for (;;) {
        const batch = (await client.query(`FETCH ${batchSize} FROM vigil_cursor`)).rows as R[];
        if (batch.length > 0) yield batch;
        if (batch.length < batchSize) break;
      }
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
      throw this.runtimeError(err);
    } finally {
      await client.query('ROLLBACK').catch((err: unknown) => {
        broken ??= err instanceof Error ? err : new Error(String(err));
      });
      held.release(broken);
    }
  }

  /** Connection-level failures become ExternalServiceError; the rest (constraint violations, bugs) pass as they are. */
  private runtimeError(err: unknown): unknown {
    if (!isConnectionError(err)) return err;
    return new ExternalServiceError(`the store's PostgreSQL at ${this.target} is unavailable: ${redact(messageOf(err))}`, { kind: 'unavailable', service: 'postgres', code: codeOf(err) }, { cause: err });
  }

  /** Ends the pool; closing twice is harmless, as it is for SQLite. */
  async close(): Promise<void> {
    if (this.pool.ended || this.pool.ending) return;
    await this.pool.end();
  }
}

function txOf(client: pg.PoolClient): Tx {
  const rows = async <R>(sql: string, params: readonly unknown[] = []): Promise<R[]> => (await client.query(sql, params as unknown[])).rows as R[];
  return {
    rows,
    one: async <R>(sql: string, params: readonly unknown[] = []) => (await rows<R>(sql, params))[0],
    run: async (sql, params = []) => (await client.query(sql, params as unknown[])).rowCount ?? 0,
    lock: async (name) => {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCKS[name]]);
    },
  };
}

/**
 * Applies pending migrations, each in its own transaction with its bookkeeping row, all under a
 * session advisory lock: a second replica starting at the same moment waits, then finds them applied.
 */
async function migrate(client: pg.PoolClient, migrations: readonly Migration[], target: string, fail: (message: string) => Error): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, LOCKS.migrations]);
  try {
    await client.query(SCHEMA_MIGRATIONS_TABLE.postgres);
    const current = Number((await client.query<{ v: string | null }>('SELECT MAX(version) AS v FROM schema_migrations')).rows[0]?.v ?? 0);
    const known = migrations[migrations.length - 1]?.version ?? 0;
    if (current > known) {
      throw fail(`the database at ${target} is at schema version ${current}, newer than this Vigil knows (${known}); upgrade Vigil or point ${STORE_URL_FIELD} at another database`);
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await client.query('BEGIN');
      try {
        await client.query(migrationSql(migration, 'postgres'));
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, new Date().toISOString()]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw fail(`migration ${migration.version} (${migration.name}) failed: ${redact(messageOf(err))}`);
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, LOCKS.migrations]).catch(() => undefined);
  }
}

/** Why a connection could not be made, in words that say what to check. */
export function connectProblem(err: unknown, target: string): string {
  const code = codeOf(err);
  const message = redact(messageOf(err));
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot connect to PostgreSQL at ${target}: connection refused (is the server running and listening there?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot connect to PostgreSQL at ${target}: the host name does not resolve`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `cannot connect to PostgreSQL at ${target}: the host does not answer (${code})`;
    case '28P01':
      return `PostgreSQL at ${target} refused the login: ${message} (check the user and password in the URL)`;
    case '28000':
      return `PostgreSQL at ${target} refused the login: ${message} (the server's pg_hba.conf has no entry that lets this user in from here)`;
    case '3D000':
      return `PostgreSQL at ${target}: ${message} (create it first, or fix the database name in the URL)`;
    default:
      if (/timeout/i.test(message)) return `cannot connect to PostgreSQL at ${target}: no answer before the connection timeout`;
      return `cannot connect to PostgreSQL at ${target}: ${message}`;
  }
}

/** Errors that mean the server is gone or unreachable, not that the statement was wrong. */
function isConnectionError(err: unknown): boolean {
  const code = codeOf(err) ?? '';
  if (/^(08|57P0)/.test(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(messageOf(err));
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return messageOf(err.errors[0]);
  return err instanceof Error ? err.message : String(err);
}

/** `($1, $2), ($3, $4), ...`: a multi-row VALUES list for `rowCount` rows of `columnCount` values. */
export function valuesList(rowCount: number, columnCount: number): string {
  const rows: string[] = [];
  for (let r = 0; r < rowCount; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= columnCount; c++) cells.push(`$${r * columnCount + c}`);
    rows.push(`(${cells.join(', ')})`);
  }
  return rows.join(', ');
}

/** PostgreSQL takes at most 65,535 parameters a statement; batches stay well under it. */
const MAX_PARAMS = 30_000;

/** Inserts rows in as few statements as the parameter limit allows; `suffix` follows each VALUES list. */
export async function insertRows(sql: Sql, table: string, columns: readonly string[], rows: readonly unknown[][], suffix = ''): Promise<number> {
  const perBatch = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  let changed = 0;
  for (let i = 0; i < rows.length; i += perBatch) {
    const batch = rows.slice(i, i + perBatch);
    changed += await sql.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${valuesList(batch.length, columns.length)} ${suffix}`, batch.flat());
  }
  return changed;
}

/**
 * A checked-out client, heard while it is out. pg emits 'error' on a checked-out client whose server
 * goes away, and the pool listens only while the client is idle: unheard, the event ends the process.
 * The statement in flight fails as well, and that is what the caller sees; a client that failed so is
 * destroyed rather than given back to the pool.
 */
export function holdClient(client: pg.PoolClient): { lost: () => Error | undefined; release: (err?: Error) => void } {
  let lost: Error | undefined;
  const onError = (err: Error) => (lost ??= err);
  client.on('error', onError);
  return {
    lost: () => lost,
    release: (err) => {
      client.removeListener('error', onError);
      client.release(err ?? lost);
    },
  };
}
