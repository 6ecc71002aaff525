/**
 * Real Postgres behind the sandbox's postgres-engine DB instances: PGlite (Postgres compiled to WASM)
 * served over the wire protocol by pglite-socket, so `pg` and psql talk to a restored instance as to RDS.
 *
 * Costs, measured on the 2-core dev box: the first PGlite in a process takes ~3 s (WASM compile plus
 * initdb); later ones start from a cached initdb image in ~0.3-0.5 s and hold ~70 MB each with the small
 * shared_buffers below (~215 MB with Postgres's default 128 MB). A data-directory dump takes ~0.15 s
 * uncompressed (~40 MB) or ~0.5 s gzipped (~4.5 MB). So nothing boots until a client connects or Vault
 * runs SQL, and snapshots describe their data as a recipe (image + "as of" + SQL) that is only turned
 * into a database when someone restores it.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { LoopbackEndpoint } from './loopback-endpoint.js';

/** A Postgres data directory as a tarball, built on first use and then shared. */
export interface DataImage {
  load(): Promise<Blob>;
}

/**
 * What a database holds, as a recipe: start from `image`, drop rows created after `asOf` (every table
 * with a `created_at` column), then run `sql`. Snapshots of one instance share its image, so 30 daily
 * snapshots are one dump, not 30.
 */
export interface DataSource {
  image: DataImage;
  asOf?: Date;
  sql?: () => string;
}

/** Small buffers: sandbox databases hold thousands of rows, and several may run at once. */
const PG_OPTIONS = { postgresqlconf: ['shared_buffers=16MB', 'work_mem=2MB'] };
/** Snapshot images stay in memory for the sandbox's life: compress them (~10x, ~0.4 s more per dump). */
const SNAPSHOT_COMPRESSION = 'gzip' as const;

export function lazyImage(build: () => Promise<Blob>): DataImage {
  let image: Promise<Blob> | undefined;
  return { load: () => (image ??= build()) };
}

/** A freshly initialised, empty cluster. initdb is the slow part of a start, so it runs once per process. */
export const EMPTY_IMAGE: DataImage = lazyImage(async () => {
  const db = await PGlite.create(PG_OPTIONS);
  try {
    return await db.dumpDataDir('none');
  } finally {
    await db.close();
  }
});

export const EMPTY_SOURCE: DataSource = { image: EMPTY_IMAGE };

/** Starts a PGlite holding what `source` describes. The caller closes it. */
export async function openDatabase(source: DataSource): Promise<PGlite> {
  const db = await PGlite.create({ ...PG_OPTIONS, loadDataDir: await source.image.load() });
  try {
    if (source.asOf) await dropRowsCreatedAfter(db, source.asOf);
    if (source.sql) await db.exec(source.sql());
    return db;
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** The image `source` describes, built on first use: the source's own image when there is nothing to apply. */
export function imageOf(source: DataSource): DataImage {
  if (!source.asOf && !source.sql) return source.image;
  return lazyImage(async () => {
    const db = await openDatabase(source);
    try {
      return await db.dumpDataDir(SNAPSHOT_COMPRESSION);
    } finally {
      await db.close();
    }
  });
}

/**
 * Point-in-time by timestamps: rows whose `created_at` is later than `asOf` did not exist yet, and
 * rows changed after `asOf` still look as they did before (their later timestamps are not there yet).
 * Foreign keys are not enforced while deleting (replica role) so the order of tables does not matter.
 */
async function dropRowsCreatedAfter(db: PGlite, asOf: Date): Promise<void> {
  await db.exec(`
    SET session_replication_role = replica;
    DO $$
    DECLARE t record;
    BEGIN
      FOR t IN
        SELECT c.table_schema, c.table_name FROM information_schema.columns c
        JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
        WHERE c.column_name = 'created_at' AND tb.table_type = 'BASE TABLE'
          AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
      LOOP
        EXECUTE format('DELETE FROM %I.%I WHERE created_at > %L', t.table_schema, t.table_name, '${asOf.toISOString()}');
      END LOOP;
      FOR t IN
        SELECT c.table_schema, c.table_name, c.column_name, c.is_nullable FROM information_schema.columns c
        JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
        WHERE c.data_type LIKE 'timestamp%' AND c.column_name <> 'created_at' AND tb.table_type = 'BASE TABLE'
          AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
          AND EXISTS (SELECT 1 FROM information_schema.columns k WHERE k.table_schema = c.table_schema AND k.table_name = c.table_name AND k.column_name = 'created_at')
      LOOP
        IF t.is_nullable = 'YES' THEN
          EXECUTE format('UPDATE %I.%I SET %I = NULL WHERE %I > %L', t.table_schema, t.table_name, t.column_name, t.column_name, '${asOf.toISOString()}');
        ELSE
          EXECUTE format('UPDATE %I.%I SET %I = created_at WHERE %I > %L', t.table_schema, t.table_name, t.column_name, t.column_name, '${asOf.toISOString()}');
        END IF;
      END LOOP;
    END $$;
    RESET session_replication_role;
  `);
}

/**
 * One instance's Postgres endpoint. The loopback port is bound at once (DescribeDBInstances reports it),
 * but PGlite only starts when the first client connects or `database()` is called; connections are
 * piped to a PGLiteSocketServer on an internal port, which multiplexes them onto the one PGlite.
 */
export class PostgresBackend {
  private endpoint!: LoopbackEndpoint;
  private readonly source: DataSource;
  private booting?: Promise<{ db: PGlite; server: PGLiteSocketServer; port: number }>;
  private closed = false;

  private constructor(source: DataSource) {
    this.source = source;
  }

  static async listen(source: DataSource): Promise<PostgresBackend> {
    const backend = new PostgresBackend(source);
    backend.endpoint = await LoopbackEndpoint.listen({
      upstream: async () => ({ port: (await backend.boot()).port, host: '127.0.0.1' }),
      refuse: (socket) => socket.destroy(),
    });
    return backend;
  }

  get port(): number {
    return this.endpoint.port;
  }

  /** Whether PGlite has started: until then the data is exactly `source`. */
  get started(): boolean {
    return this.booting !== undefined;
  }

  async database(): Promise<PGlite> {
    return (await this.boot()).db;
  }

  /**
   * Starts PGlite now, in the background, for an instance being restored: RDS answers connections
   * once it reports the instance available, and a first start (WASM compile, the snapshot's recipe)
   * on a busy machine can take longer than a client's connect timeout. A failure shows at connect.
   */
  warm(): void {
    void this.boot().catch(() => undefined);
  }

  /** The data as it is now: a dump when PGlite has run (clients may have changed it), else the recipe. */
  async capture(): Promise<DataSource> {
    if (!this.booting) return this.source;
    const { db } = await this.boot();
    const image = await db.dumpDataDir(SNAPSHOT_COMPRESSION);
    return { image: { load: async () => image } };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.endpoint.close();
    const running = await this.booting?.catch(() => undefined);
    if (running) {
      await running.server.stop();
      await running.db.close();
    }
  }

  private boot() {
    if (this.closed) return Promise.reject(new Error('the database instance has been shut down'));
    this.booting ??= (async () => {
      const db = await openDatabase(this.source);
      const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 32 });
      await server.start();
      const port = Number(server.getServerConn().split(':').pop());
      if (this.closed) {
        await server.stop();
        await db.close();
        throw new Error('the database instance has been shut down');
      }
      return { db, server, port };
    })();
    return this.booting;
  }
}
