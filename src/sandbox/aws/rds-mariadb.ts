/**
 * Real MariaDB behind the sandbox's mysql and mariadb DB instances: each instance that a client (or
 * Vault) reaches gets its own `mariadbd`, so mysql2 and the mysql CLI talk to it as to RDS.
 *
 * How: the first boot in a world runs `mariadb-install-db` once to build a template data directory
 * (root gets a random password that lives only in this process; no other root account); each server
 * copies it into its own directory and runs as the current user with `--skip-networking`, reached only
 * through its unix socket. Everything lives under one temp directory per world, removed when the world
 * closes. The instance's endpoint is a loopback TCP proxy bound at once, so DescribeDBInstances knows
 * the port before anything boots; clients arrive as `user@localhost`. No TLS: drills against the
 * sandbox use `tls: disable`.
 *
 * Data is a recipe of MySQL text, never a data directory: an image's `load()` is the SQL that rebuilds
 * it on an empty server (the setup and generated rows of a seeded instance, or a `mariadb-dump` plus
 * its users for a server that ran), `asOf` becomes a server-side loop deleting later rows, and `sql`
 * runs last. Snapshots of an instance that never booted cost nothing but a closure; a restore boots
 * one server and feeds it the script.
 *
 * Costs, measured on the 2-core dev box (MariaDB 10.11.19, Debian 12), from connect to first query:
 * the first boot in a world 1.2-1.9 s (the template is ~0.7-1.5 of it; ~3 s with a cold disk cache);
 * later boots 0.23-0.33 s empty, 0.36-0.55 s loading 1,500 learners, 40 courses and 4,500
 * enrollments. Each server holds ~53-56 MB RSS with the settings below (an 8 MB buffer pool, no
 * performance schema, one I/O thread each way). Dumping that data takes ~55 ms (650 KB of SQL, kept
 * gzipped at ~140 KB), and a restore from the dump boots in ~0.3 s.
 *
 * Without MariaDB installed, instances keep their listener but boot nothing: every connection gets a
 * MySQL error packet naming what to install, and Vault's statements fail with the same sentence.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, rmSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { LoopbackEndpoint } from './loopback-endpoint.js';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { World } from '../world.js';
import { lazyImage, type DataImage, type DataSource } from './rds-postgres.js';

/** Engines whose instances a MariaDB server stands in for. */
export const MARIADB_ENGINES: readonly string[] = ['mysql', 'mariadb'];

export function servedByMariaDb(engine: string): boolean {
  return MARIADB_ENGINES.includes(engine);
}

export interface MariaDbTools {
  server: string;
  installDb: string;
  client: string;
  dump: string;
}

const TOOL_NAMES: Record<keyof MariaDbTools, string> = { server: 'mariadbd', installDb: 'mariadb-install-db', client: 'mariadb', dump: 'mariadb-dump' };
/** Debian puts mariadbd in /usr/sbin, which an unprivileged user's PATH often lacks. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];

function findExecutable(name: string, dirs: string[]): string | undefined {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The MariaDB programs the sandbox runs, or the names of those it could not find. */
export function locateMariaDb(path = process.env['PATH'] ?? ''): { tools?: MariaDbTools; missing: string[] } {
  const dirs = [...path.split(delimiter).filter((d) => d !== ''), ...EXTRA_DIRS];
  const found: Partial<MariaDbTools> = {};
  const missing: string[] = [];
  for (const [key, name] of Object.entries(TOOL_NAMES) as Array<[keyof MariaDbTools, string]>) {
    const at = findExecutable(name, dirs);
    if (at) found[key] = at;
    else missing.push(name);
  }
  return missing.length === 0 ? { tools: found as MariaDbTools, missing } : { missing };
}

export function mariaDbInstalled(): boolean {
  return locateMariaDb().tools !== undefined;
}

export function mariaDbMissingMessage(missing: string[]): string {
  return (
    `MariaDB is not installed: the sandbox serves mysql and mariadb DB instances from a real MariaDB server and found no ` +
    `${missing.join(', ')} on the PATH or in /usr/sbin or /usr/local/sbin. Install mariadb-server (Debian and Ubuntu: apt-get install mariadb-server).`
  );
}

// ---- data as MySQL text -----------------------------------------------------------------------------

/** An empty server: no database, no user but root. */
export const MARIADB_EMPTY_IMAGE: DataImage = { load: async () => new Blob([]) };

/** A MySQL string literal; backslashes escape in MySQL's default SQL mode. */
export function sqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export function sqlIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** What RDS grants the master user of a MySQL instance: no SUPER, no FILE. */
const MASTER_PRIVILEGES =
  'SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, ALTER, SHOW DATABASES, CREATE TEMPORARY TABLES, ' +
  'LOCK TABLES, EXECUTE, REPLICATION SLAVE, REPLICATION CLIENT, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER';

/** The master user and the initial database, as RDS creates them; leaves `dbName` selected for what follows. */
export function masterSetupSql(options: { masterUsername: string; masterPassword: string; dbName?: string }): string {
  const user = `${sqlString(options.masterUsername)}@'%'`;
  return [
    `CREATE USER ${user} IDENTIFIED BY ${sqlString(options.masterPassword)};`,
    `GRANT ${MASTER_PRIVILEGES} ON *.* TO ${user} WITH GRANT OPTION;`,
    ...(options.dbName ? [`CREATE DATABASE ${sqlIdentifier(options.dbName)};`, `USE ${sqlIdentifier(options.dbName)};`] : []),
  ].join('\n');
}

/** A password for a master user the scenario gives none: nobody can log in with it. */
export function unknowablePassword(): string {
  return randomBytes(18).toString('base64url');
}

const SYSTEM_SCHEMAS = "('mysql', 'information_schema', 'performance_schema', 'sys')";

/**
 * Point-in-time by timestamps, as the Postgres side does: rows created after `asOf` go, and other
 * date-time columns later than `asOf` are cleared (or set back to `created_at` when NOT NULL). One
 * anonymous block walks information_schema, so it works on any tables, with foreign keys off so order
 * does not matter.
 */
export function dropRowsCreatedAfterSql(asOf: Date): string {
  const iso = asOf.toISOString();
  const literal = sqlString(`${iso.slice(0, 10)} ${iso.slice(11, 23)}`);
  const tables = `information_schema.COLUMNS c JOIN information_schema.TABLES tb ON tb.TABLE_SCHEMA = c.TABLE_SCHEMA AND tb.TABLE_NAME = c.TABLE_NAME
      WHERE tb.TABLE_TYPE = 'BASE TABLE' AND c.TABLE_SCHEMA NOT IN ${SYSTEM_SCHEMAS}`;
  const quoted = (expr: string) => `'\`', REPLACE(${expr}, '\`', '\`\`'), '\`'`;
  return `DELIMITER $$
BEGIN NOT ATOMIC
  DECLARE as_of DATETIME(6) DEFAULT ${literal};
  SET SESSION foreign_key_checks = 0;
  FOR t IN (SELECT c.TABLE_SCHEMA AS s, c.TABLE_NAME AS n FROM ${tables} AND c.COLUMN_NAME = 'created_at') DO
    EXECUTE IMMEDIATE CONCAT('DELETE FROM ', ${quoted('t.s')}, '.', ${quoted('t.n')}, ' WHERE created_at > ?') USING as_of;
  END FOR;
  FOR t IN (
    SELECT c.TABLE_SCHEMA AS s, c.TABLE_NAME AS n, c.COLUMN_NAME AS col, c.IS_NULLABLE AS nullable FROM ${tables}
      AND c.DATA_TYPE IN ('datetime', 'timestamp') AND c.COLUMN_NAME <> 'created_at'
      AND EXISTS (SELECT 1 FROM information_schema.COLUMNS k WHERE k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = 'created_at')
  ) DO
    EXECUTE IMMEDIATE CONCAT('UPDATE ', ${quoted('t.s')}, '.', ${quoted('t.n')}, ' SET ', ${quoted('t.col')}, ' = ',
      IF(t.nullable = 'YES', 'NULL', 'created_at'), ' WHERE ', ${quoted('t.col')}, ' > ?') USING as_of;
  END FOR;
  SET SESSION foreign_key_checks = 1;
END $$
DELIMITER ;`;
}

/**
 * A section ends its last statement, so the next section starts a new one. On a line of its own: the
 * section may end in a `--` comment, and the client skips an empty statement.
 */
function terminated(section: string): string {
  const text = section.trim();
  return text === '' || text.endsWith(';') ? text : `${text}\n;`;
}

/** The whole script that rebuilds `source` on an empty server. */
export async function scriptOf(source: DataSource): Promise<string> {
  const base = await (await source.image.load()).text();
  return [base, source.asOf ? dropRowsCreatedAfterSql(source.asOf) : '', source.sql?.() ?? ''].map(terminated).filter((s) => s !== '').join('\n');
}

/** The image `source` describes: its own when there is nothing to apply; otherwise its script, built on first use. */
export function mariaDbImageOf(source: DataSource): DataImage {
  if (!source.asOf && !source.sql) return source.image;
  return lazyImage(async () => new Blob([await scriptOf(source)]));
}

// ---- servers ----------------------------------------------------------------------------------------

/**
 * Small on purpose: sandbox databases hold thousands of rows and several may run at once. The data is
 * thrown away with the server, so durability settings favour speed.
 */
const SERVER_SETTINGS = [
  '--skip-name-resolve',
  '--skip-log-bin',
  '--performance-schema=OFF',
  '--innodb-buffer-pool-size=8M',
  '--innodb-log-file-size=4M',
  '--innodb-log-buffer-size=1M',
  '--innodb-read-io-threads=1',
  '--innodb-write-io-threads=1',
  '--innodb-purge-threads=1',
  '--innodb-adaptive-hash-index=OFF',
  '--innodb-doublewrite=0',
  '--innodb-flush-log-at-trx-commit=0',
  '--innodb-use-native-aio=0',
  '--key-buffer-size=64K',
  '--aria-pagecache-buffer-size=1M',
  '--query-cache-size=0',
  '--query-cache-type=0',
  '--table-open-cache=64',
  '--max-connections=32',
  '--max-allowed-packet=64M',
  '--character-set-server=utf8mb4',
  '--collation-server=utf8mb4_general_ci',
  // RDS runs in UTC unless a parameter group says otherwise.
  '--default-time-zone=+00:00',
  '--event-scheduler=OFF',
];

/** mariadbd refuses to run as root unless told to; as anyone else it runs as the current user anyway. */
function userArgs(): string[] {
  return process.getuid?.() === 0 ? ['--user=root'] : [];
}

interface Template {
  datadir: string;
  rootPassword: string;
}

/** Run synchronously if the process exits with a world still open (a crashed test, an unhandled error). */
const atExit = new Set<() => void>();
let exitHookInstalled = false;

function onProcessExit(cleanup: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const fn of atExit) fn();
    });
  }
  atExit.add(cleanup);
  return () => atExit.delete(cleanup);
}

function run(command: string, args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? { PATH: process.env['PATH'] ?? '' } });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => void (err = (err + chunk.toString('utf8')).slice(-4000)));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`${command.split('/').pop() ?? command} ${signal ? `was killed (${signal})` : `exited ${code}`}: ${err.trim().split('\n').slice(-3).join(' ') || 'no output'}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Where one world's MariaDB servers live: a temp directory holding the template and every instance's
 * data directory, removed when the world closes. The template is built on the first boot.
 */
export class MariaDbHome {
  private dir?: Promise<string>;
  private template?: Promise<Template>;
  private forgetDir?: () => void;

  /** `locate` finds the MariaDB programs when a server first boots (tests pass one that finds none). */
  constructor(readonly locate: () => { tools?: MariaDbTools; missing: string[] } = () => locateMariaDb()) {}

  /** A new, empty directory for one server (or the template). */
  async instanceDir(prefix = 'db-'): Promise<string> {
    this.dir ??= mkdtemp(join(tmpdir(), 'vigil-mariadb-')).then((dir) => {
      this.forgetDir = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    });
    return mkdtemp(join(await this.dir, prefix));
  }

  /** An initialised data directory with root@localhost on a random password and no other root account. */
  baseTemplate(tools: MariaDbTools): Promise<Template> {
    this.template ??= this.buildTemplate(tools);
    this.template.catch(() => (this.template = undefined));
    return this.template;
  }

  async close(): Promise<void> {
    const dir = await this.dir?.catch(() => undefined);
    if (!dir) return;
    await rm(dir, { recursive: true, force: true });
    this.forgetDir?.();
  }

  private async buildTemplate(tools: MariaDbTools): Promise<Template> {
    const dir = await this.instanceDir('template-');
    const rootPassword = randomBytes(24).toString('base64url');
    const init = join(dir, 'init.sql');
    // Grant tables are not loaded during bootstrap, so the accounts are edited as rows.
    await writeFile(
      init,
      [
        "DELETE FROM mysql.global_priv WHERE User <> 'mariadb.sys' AND NOT (User = 'root' AND Host = 'localhost');",
        "DELETE FROM mysql.proxies_priv WHERE NOT (User = 'root' AND Host = 'localhost');",
        `UPDATE mysql.global_priv SET Priv = JSON_SET(Priv, '$.plugin', 'mysql_native_password', '$.authentication_string', PASSWORD(${sqlString(rootPassword)})) WHERE User = 'root' AND Host = 'localhost';`,
      ].join('\n'),
      { mode: 0o600 },
    );
    const datadir = join(dir, 'data');
    await run(
      tools.installDb,
      [
        '--no-defaults',
        `--datadir=${datadir}`,
        ...userArgs(),
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        `--extra-file=${init}`,
        ...SERVER_SETTINGS.filter((s) => s.startsWith('--innodb-') || s.startsWith('--skip-name') || s.startsWith('--performance')),
      ],
      { env: { PATH: [process.env['PATH'] ?? '', ...EXTRA_DIRS].join(delimiter) } },
    );
    await rm(init);
    return { datadir, rootPassword };
  }
}

/** The world's MariaDB home, created on first use and removed when the world closes. */
export function mariaDbHomeOf(world: World): MariaDbHome {
  return world.slice('rds:mariadb-home', () => {
    const home = new MariaDbHome();
    world.onClose(() => home.close());
    return home;
  });
}

/** One running mariadbd with its own data directory. */
class MariaDbServer {
  private constructor(
    readonly dir: string,
    readonly socketPath: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
    private readonly admin: Connection,
    private readonly tools: MariaDbTools,
    private readonly rootPassword: string,
    private readonly forget: () => void,
  ) {}

  static async start(tools: MariaDbTools, base: Template, dir: string): Promise<MariaDbServer> {
    const datadir = join(dir, 'data');
    const socketPath = join(dir, 'mysqld.sock');
    let child: ChildProcess | undefined;
    let forgetChild = () => {};
    try {
      await cp(base.datadir, datadir, { recursive: true });
      await mkdir(join(dir, 'files'));
      const args = [
        '--no-defaults',
        ...userArgs(),
        `--datadir=${datadir}`,
        `--socket=${socketPath}`,
        '--skip-networking',
        `--pid-file=${join(dir, 'mariadbd.pid')}`,
        // LOAD DATA and SELECT ... INTO OUTFILE stay inside the instance's own directory.
        `--secure-file-priv=${join(dir, 'files')}`,
        ...SERVER_SETTINGS,
      ];
      // If this process dies without closing the world, the kernel kills the server with it.
      const setpriv = findExecutable('setpriv', ['/usr/bin', '/bin']);
      const started = setpriv ? spawn(setpriv, ['--pdeathsig', 'KILL', '--', tools.server, ...args], { stdio: ['ignore', 'ignore', 'pipe'] }) : spawn(tools.server, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      child = started;
      forgetChild = onProcessExit(() => started.kill('SIGKILL'));
      const exited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
      await waitUntilReady(started);
      const admin = await createConnection({ socketPath, user: 'root', password: base.rootPassword });
      admin.on('error', () => undefined);
      return new MariaDbServer(dir, socketPath, started, exited, admin, tools, base.rootPassword, forgetChild);
    } catch (err) {
      child?.kill('SIGKILL');
      forgetChild();
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Runs a script through the mariadb client, which understands DELIMITER, as dumps and stored programs need. */
  async runScript(script: string): Promise<void> {
    await run(this.tools.client, ['--no-defaults', `--socket=${this.socketPath}`, '--user=root', '--batch', '--default-character-set=utf8mb4'], {
      input: script,
      env: { PATH: process.env['PATH'] ?? '', MYSQL_PWD: this.rootPassword },
    });
  }

  async execute(sql: string): Promise<void> {
    await this.admin.query(sql);
  }

  /** The application databases and their users, as a script that rebuilds them on an empty server. */
  async dump(): Promise<string> {
    const [schemas] = await this.admin.query<RowDataPacket[]>(`SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ${SYSTEM_SCHEMAS} ORDER BY SCHEMA_NAME`);
    const [users] = await this.admin.query<RowDataPacket[]>("SELECT User AS user, Host AS host FROM mysql.user WHERE User NOT IN ('root', 'mariadb.sys', '') AND is_role = 'N' ORDER BY User, Host");
    const accounts: string[] = [];
    for (const { user, host } of users as Array<{ user: string; host: string }>) {
      const [create] = await this.admin.query<RowDataPacket[]>('SHOW CREATE USER ?@?', [user, host]);
      const [grants] = await this.admin.query<RowDataPacket[]>('SHOW GRANTS FOR ?@?', [user, host]);
      for (const row of [...create, ...grants]) accounts.push(`${String(Object.values(row)[0])};`);
    }
    const names = (schemas as Array<{ name: string }>).map((s) => s.name);
    const data = names.length === 0
      ? ''
      : (
          await run(this.tools.dump, [
            '--no-defaults',
            `--socket=${this.socketPath}`,
            '--user=root',
            '--single-transaction',
            '--skip-dump-date',
            '--routines',
            '--events',
            '--triggers',
            '--hex-blob',
            '--default-character-set=utf8mb4',
            '--databases',
            ...names,
          ], { env: { PATH: process.env['PATH'] ?? '', MYSQL_PWD: this.rootPassword } })
        ).toString('utf8');
    return [...accounts, data].join('\n');
  }

  /** The data is thrown away, so there is nothing to flush: kill, then remove the directory. */
  async stop(): Promise<void> {
    await this.admin.end().catch(() => undefined);
    this.child.kill('SIGKILL');
    await this.exited;
    this.forget();
    await rm(this.dir, { recursive: true, force: true });
  }
}

function waitUntilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mariadbd did not become ready within 60 s: ${lastLines(log)}`));
    }, 60_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-8000);
      if (log.includes('ready for connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`mariadbd stopped while starting (${signal ?? `exit ${code}`}): ${lastLines(log)}`));
    });
  });
}

function lastLines(log: string): string {
  return log.trim().split('\n').slice(-3).join(' ') || 'no output';
}

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * A MySQL error packet (ER_UNKNOWN_ERROR) sent instead of the server greeting, as a server that
 * refuses a connection does: clients show the message as the reason they could not connect.
 */
export function errorPacket(message: string, code = 1105): Buffer {
  const payload = Buffer.concat([Buffer.from([0xff, code & 0xff, (code >> 8) & 0xff]), Buffer.from(message.slice(0, 2000), 'utf8')]);
  return Buffer.concat([Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, (payload.length >> 16) & 0xff, 0]), payload]);
}

/**
 * One instance's MySQL endpoint. The loopback port is bound at once; mariadbd starts when the first
 * client connects or Vault runs SQL, and connections are piped to its unix socket.
 */
export class MariaDbBackend {
  private endpoint!: LoopbackEndpoint;
  private readonly source: DataSource;
  private readonly home: MariaDbHome;
  private booting?: Promise<MariaDbServer>;
  private closed = false;

  private constructor(source: DataSource, home: MariaDbHome) {
    this.source = source;
    this.home = home;
  }

  static async listen(source: DataSource, home: MariaDbHome): Promise<MariaDbBackend> {
    const backend = new MariaDbBackend(source, home);
    backend.endpoint = await LoopbackEndpoint.listen({
      upstream: async () => ({ path: (await backend.boot()).socketPath }),
      refuse: (socket, err) => socket.end(errorPacket(`The sandbox could not start this DB instance's database: ${err instanceof Error ? err.message : String(err)}`)),
    });
    return backend;
  }

  get port(): number {
    return this.endpoint.port;
  }

  /** Whether a server has been asked for: until then the data is exactly `source`. */
  get started(): boolean {
    return this.booting !== undefined;
  }

  /** Runs SQL as root (Vault's database engine creating and dropping users). */
  async execute(sql: string): Promise<void> {
    await (await this.boot()).execute(sql);
  }

  /** The data as it is now: a dump when the server ran (clients may have changed it), else the recipe. */
  async capture(): Promise<DataSource> {
    const server = await this.booting?.catch(() => undefined);
    if (!server) return { image: mariaDbImageOf(this.source) };
    const dump = await gzipAsync(Buffer.from(await server.dump(), 'utf8'));
    return { image: { load: async () => new Blob([await gunzipAsync(dump)]) } };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.endpoint.close();
    const server = await this.booting?.catch(() => undefined);
    await server?.stop();
  }

  private boot(): Promise<MariaDbServer> {
    if (this.closed) return Promise.reject(new Error('the database instance has been shut down'));
    this.booting ??= (async () => {
      const { tools, missing } = this.home.locate();
      if (!tools) throw new Error(mariaDbMissingMessage(missing));
      const server = await MariaDbServer.start(tools, await this.home.baseTemplate(tools), await this.home.instanceDir());
      try {
        const script = await scriptOf(this.source);
        if (script !== '') await server.runScript(script);
        if (this.closed) throw new Error('the database instance has been shut down');
        return server;
      } catch (err) {
        await server.stop();
        throw err;
      }
    })();
    return this.booting;
  }
}
