import { PassportOptionsError } from '@passport/core';
import { lockDataDir, PGLITE_LOCK_FILE, type PGliteLockedError } from './data-dir-lock.js';
import {
  type NodePostgresDriverOptions,
  nodePostgresDriver,
  type PgPoolLike,
} from './drivers/node-postgres.js';
import { type PGliteLike, pgliteDriver } from './drivers/pglite.js';
import { PostgresStore, type PostgresStoreOptions } from './store.js';

/** Options of {@link createPostgresStore}. */
export interface CreatePostgresStoreOptions extends PostgresStoreOptions, NodePostgresDriverOptions {
  /** A node-postgres pool (`new pg.Pool({ connectionString })`). `store.close()` ends it. */
  pool: PgPoolLike;
}

/**
 * A {@link PostgresStore} on a PostgreSQL server through node-postgres. Run
 * `await store.migrate()` once (at startup or from a deploy step) to create the tables.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createPostgresStore } from '@passport/store-postgres';
 *
 * const store = createPostgresStore({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) });
 * await store.migrate();
 * ```
 */
export function createPostgresStore(options: CreatePostgresStoreOptions): PostgresStore {
  const pool = (options as Partial<CreatePostgresStoreOptions>).pool;
  if (!pool || typeof pool.connect !== 'function') {
    throw new PassportOptionsError(
      'createPostgresStore needs a node-postgres pool: createPostgresStore({ pool: new pg.Pool({ connectionString }) }).',
    );
  }
  const driverOptions: NodePostgresDriverOptions = {};
  if (options.connectTimeoutMs !== undefined) driverOptions.connectTimeoutMs = options.connectTimeoutMs;
  if (options.queryTimeoutMs !== undefined) driverOptions.queryTimeoutMs = options.queryTimeoutMs;
  if (options.preparedStatements !== undefined) driverOptions.preparedStatements = options.preparedStatements;
  if (options.listenClient !== undefined) driverOptions.listenClient = options.listenClient;
  if (options.listenHeartbeatMs !== undefined) driverOptions.listenHeartbeatMs = options.listenHeartbeatMs;
  return new PostgresStore(nodePostgresDriver(pool, driverOptions), options);
}

/** Options of {@link createPGliteStore}. */
export interface CreatePGliteStoreOptions extends PostgresStoreOptions {
  /** An existing PGlite instance. `store.close()` closes it. */
  db?: PGliteLike;
  /**
   * Where PGlite keeps its files when the store creates the instance (`'./.data/passport'`,
   * `'idb://passport'` in a browser). Omit both `db` and `dataDir` for an in-memory database.
   * A directory on the file system is locked while the store is open (see {@link PGliteLockedError}).
   */
  dataDir?: string;
  /**
   * Apply missing migrations before returning (the embedded database is usually for development,
   * tests and demos, where this is what you want).
   * @default true
   */
  migrate?: boolean;
}

/**
 * A {@link PostgresStore} on PGlite: Postgres compiled to WebAssembly, in-process, no server to
 * install. Creates the PGlite instance when `db` is not given (in memory, or in `dataDir`) and
 * migrates the schema unless `migrate: false`.
 *
 * PGlite allows one process per data directory: it keeps the database in memory and writes it
 * back to the directory, so a second process would neither see the first one's changes nor keep
 * its own. A `dataDir` on the file system is therefore locked (the file
 * {@link PGLITE_LOCK_FILE} in it, holding the process id) until `store.close()` or the process
 * ends; while another live process holds it, this throws {@link PGliteLockedError}
 * (`ERR_STORE_LOCKED`). The lock of a process that is gone (killed, crashed) is taken over.
 *
 * @example
 * ```ts
 * import { createPGliteStore } from '@passport/store-postgres';
 *
 * const store = await createPGliteStore({ dataDir: './.data/passport' });
 * ```
 */
export async function createPGliteStore(options: CreatePGliteStoreOptions = {}): Promise<PostgresStore> {
  if (options.db) return migrated(new PostgresStore(pgliteDriver(options.db), options), options);
  let PGlite: typeof import('@electric-sql/pglite').PGlite;
  try {
    ({ PGlite } = await import('@electric-sql/pglite'));
  } catch (error) {
    throw new PassportOptionsError(
      'createPGliteStore needs the optional peer dependency @electric-sql/pglite: npm install @electric-sql/pglite',
      { cause: error },
    );
  }
  if (options.dataDir === undefined)
    return migrated(new PostgresStore(pgliteDriver(new PGlite()), options), options);

  const lock = await lockDataDir(options.dataDir);
  let db: PGliteLike;
  try {
    db = await PGlite.create(options.dataDir);
  } catch (error) {
    await lock?.release();
    throw error;
  }
  const driver = pgliteDriver(db);
  const close = async () => {
    try {
      await driver.close();
    } finally {
      await lock?.release();
    }
  };
  return migrated(new PostgresStore({ ...driver, close }, options), options);
}

/** Applies the migrations unless `migrate: false`; closes the store when they fail. */
async function migrated(store: PostgresStore, options: CreatePGliteStoreOptions): Promise<PostgresStore> {
  if (options.migrate ?? true) {
    try {
      await store.migrate();
    } catch (error) {
      await store.close().catch(() => {});
      throw error;
    }
  }
  return store;
}
