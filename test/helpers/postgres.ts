/**
 * A real PostgreSQL server for the tests: no mock of the database (issue #10).
 *
 * One server per test process, started on first use and shared by every suite in it: `initdb` into a temp
 * directory the test owns, `postgres` on a free loopback port with its unix socket in the same directory,
 * durability off (the data dies with the process). Each suite or test takes a fresh database with
 * `newDatabase()` (a `CREATE DATABASE` from template1, a few milliseconds), so tests never see each other's
 * rows. The server stops when the process exits; a small detached watchdog also stops it and removes the
 * directory if the process is killed, so no server outlives a crashed vitest worker.
 *
 * PostgreSQL refuses to run as root: as root the server runs as the `postgres` OS user (Node's spawn sets
 * the uid and gid, as `runuser -u postgres` would); otherwise as the current user.
 *
 * Like the MariaDB tests, tests that need the server skip where PostgreSQL is not installed, except under
 * CI (`CI` set), where .ci/run installs it and a missing server is a failure.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

/** The superuser the test server is created with. */
export const TEST_POSTGRES_USER = 'vigil';

export interface TestPostgres {
  host: string;
  port: number;
  user: string;
  /** The superuser's password: random per server, required over TCP (so a wrong one is refused). */
  password: string;
  /** The superuser's URL of the `postgres` maintenance database: for admin statements, not for a store. */
  url: string;
  /** A new empty database on this server, owned by the superuser; returns its URL. */
  newDatabase(): Promise<string>;
  /** The URL of `database` on this server, optionally with another password (for wrong-password tests). */
  urlOf(database: string, password?: string): string;
  /**
   * Stops an own server (`startTestPostgres({ own: true })`) and waits for it to exit; `start()` brings it
   * back on the same port with the same data, for tests of a database that goes away and returns. On the
   * shared server both do nothing: other suites use it, and it stops when the process exits.
   */
  stop(): Promise<void>;
  start(): Promise<void>;
}

interface Installation {
  binDir: string;
  /** Set when running as root: the OS user the server runs as. */
  runAs?: { uid: number; gid: number };
}

function executableIn(dir: string, name: string): boolean {
  try {
    accessSync(join(dir, name), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Debian keeps the server programs out of PATH, under /usr/lib/postgresql/<major>/bin: the newest wins. */
function candidateBinDirs(): string[] {
  const fromPath = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  let debian: string[] = [];
  try {
    debian = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    // not Debian's layout
  }
  return [...fromPath, ...debian, '/usr/local/pgsql/bin'];
}

function osUserIds(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

let located: { installation?: Installation; problem?: string } | undefined;

function locate(): { installation?: Installation; problem?: string } {
  if (located) return located;
  const binDir = candidateBinDirs().find((d) => executableIn(d, 'initdb') && executableIn(d, 'postgres'));
  if (!binDir) {
    located = { problem: 'PostgreSQL is not installed: no initdb and postgres on the PATH or under /usr/lib/postgresql/*/bin (Debian and Ubuntu: apt-get install postgresql).' };
  } else if (process.getuid?.() === 0) {
    const runAs = osUserIds('postgres');
    located = runAs ? { installation: { binDir, runAs } } : { problem: 'PostgreSQL refuses to run as root and there is no `postgres` OS user to run it as.' };
  } else {
    located = { installation: { binDir } };
  }
  return located;
}

/** Whether this machine can run a test PostgreSQL server. */
export function postgresAvailable(): boolean {
  return locate().installation !== undefined;
}

/** For `describe.skipIf(skipWithoutPostgres)`: under CI a missing server fails the tests instead. */
export const skipWithoutPostgres = !postgresAvailable() && !process.env['CI'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function run(file: string, args: string[], options: { cwd: string; runAs?: { uid: number; gid: number } }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], ...options.runAs, env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited with ${code}: ${output.trim().slice(-2000)}`))));
  });
}

/**
 * Durability off and a small footprint: the data is thrown away with the process, and several test
 * processes may each run a server on the 2-core CI box.
 */
const SERVER_SETTINGS = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  shared_buffers: '16MB',
  max_connections: '200',
  autovacuum: 'off',
  jit: 'off',
  checkpoint_timeout: '1h',
  max_wal_size: '1GB',
  log_min_messages: 'warning',
  log_min_error_statement: 'panic',
} as const;

class Server {
  private child: ChildProcess | undefined;
  private log = '';
  private admin: pg.Pool | undefined;
  private databases = 0;

  constructor(
    private readonly installation: Installation,
    readonly dir: string,
    readonly port: number,
    readonly password: string,
  ) {}

  async start(): Promise<void> {
    if (this.child) return;
    const args = ['-D', join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir, '-h', '127.0.0.1'];
    for (const [name, value] of Object.entries(SERVER_SETTINGS)) args.push('-c', `${name}=${value}`);
    this.log = '';
    const child = spawn(join(this.installation.binDir, 'postgres'), args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'], ...this.installation.runAs });
    this.child = child;
    // The test process exits when its tests are done, not when its server does.
    child.unref();
    (child.stderr as (NodeJS.ReadableStream & { unref?: () => void }) | null)?.unref?.();
    child.stderr?.on('data', (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-4000)));
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    await this.waitUntilReady(child);
  }

  /** Bounded polling of a real server start: connect until it answers, or report why it did not. */
  private async waitUntilReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`PostgreSQL did not start: ${this.log.trim()}`);
      const client = new pg.Client({ connectionString: this.urlOf('postgres'), connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (error) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within 30 s: ${String(error)}; server log: ${this.log.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    await this.admin?.end().catch(() => undefined);
    this.admin = undefined;
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Waiting for the exit must keep this process alive; SIGINT: fast shutdown, sessions are cut off.
    child.ref();
    child.kill('SIGINT');
    await exited;
  }

  /** Ends the server at once from a synchronous exit handler; the watchdog removes the directory. */
  kill(): void {
    this.child?.kill('SIGQUIT');
  }

  urlOf(database: string, password = this.password): string {
    return `postgres://${TEST_POSTGRES_USER}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/${encodeURIComponent(database)}`;
  }

  async newDatabase(): Promise<string> {
    if (!this.admin) {
      this.admin = new pg.Pool({ connectionString: this.urlOf('postgres'), max: 2 });
      // An idle admin connection cut off by a stopping server is no test's failure.
      this.admin.on('error', () => undefined);
    }
    this.databases += 1;
    const name = `vigil_test_${process.pid}_${this.databases}`;
    await this.admin.query(`CREATE DATABASE "${name}"`);
    return this.urlOf(name);
  }
}

/**
 * A detached shell that outlives a killed test process: once the process is gone it stops the server
 * running in `dir` (whatever its pid: an own server may have been restarted; the postmaster writes it
 * on the first line of postmaster.pid) and removes the directory. One per server; a sleeping `sh`.
 */
function watchdog(dir: string): void {
  const quoted = `'${dir.replace(/'/g, `'\\''`)}'`;
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.5; done`,
    `pid=$(head -n 1 ${quoted}/data/postmaster.pid 2>/dev/null)`,
    `if [ -n "$pid" ]; then`,
    `  kill -QUIT "$pid" 2>/dev/null`,
    `  i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done`,
    `  kill -KILL "$pid" 2>/dev/null`,
    `fi`,
    `rm -rf ${quoted}`,
  ].join('\n');
  spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

const servers = new Set<Server>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const server of servers) server.kill();
  });
}

async function createServerOnce(installation: Installation): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-'));
  try {
    if (installation.runAs) chownSync(dir, installation.runAs.uid, installation.runAs.gid);
    const password = randomBytes(18).toString('base64url');
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    if (installation.runAs) chownSync(passwordFile, installation.runAs.uid, installation.runAs.gid);
    // Trust over the socket (only this directory's owner reaches it), a password over TCP like a real deployment.
    await run(
      join(installation.binDir, 'initdb'),
      ['-D', join(dir, 'data'), '-U', TEST_POSTGRES_USER, `--pwfile=${passwordFile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      { cwd: dir, runAs: installation.runAs },
    );
    rmSync(passwordFile);
    watchdog(dir);
    // A port found free can be taken before the server binds it: try a few.
    for (let attempt = 1; ; attempt += 1) {
      const server = new Server(installation, dir, await freePort(), password);
      try {
        await server.start();
        return server;
      } catch (error) {
        if (attempt >= 3 || !/could not bind|Address already in use/i.test(String(error))) throw error;
      }
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function handleOf(server: Server, own: boolean): TestPostgres {
  return {
    host: '127.0.0.1',
    port: server.port,
    user: TEST_POSTGRES_USER,
    password: server.password,
    url: server.urlOf('postgres'),
    newDatabase: () => server.newDatabase(),
    urlOf: (database, password) => server.urlOf(database, password),
    stop: async () => {
      if (own) await server.stop();
    },
    start: async () => {
      if (own) await server.start();
    },
  };
}

/** Shared through globalThis: vitest may load this module afresh for each test file in one process. */
const SHARED = Symbol.for('vigil.test.postgres.shared');
type Shared = { [SHARED]?: Promise<Server> };

/**
 * The test process's PostgreSQL server, started on first use; `{ own: true }` starts a separate one whose
 * `stop()` and `start()` the test controls. Throws, naming what to install, where PostgreSQL is missing.
 */
export async function startTestPostgres(options: { own?: boolean } = {}): Promise<TestPostgres> {
  const { installation, problem } = locate();
  if (!installation) throw new Error(problem);
  installExitHook();
  if (options.own) {
    const server = await createServerOnce(installation);
    servers.add(server);
    return handleOf(server, true);
  }
  const shared = globalThis as Shared;
  shared[SHARED] ??= createServerOnce(installation).then((server) => {
    servers.add(server);
    return server;
  });
  try {
    return handleOf(await shared[SHARED], false);
  } catch (error) {
    delete shared[SHARED];
    throw error;
  }
}
