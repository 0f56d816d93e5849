import type { PassportStore } from '@passport/core';
import {
  createPGliteStore,
  getMigrationSql,
  migrate,
  nodePostgresDriver,
  PGliteLockedError,
  PostgresStore,
  type SchemaOptions,
  type SqlDriver,
} from '@passport/store-postgres';
import pg from 'pg';
import { type DatabaseSource, isMongoUrl, isPostgresUrl, isRedisUrl, redactUrl } from './config.js';
import { CliError, oneLine } from './errors.js';

/** An open database: the store, how to migrate it, and how to let go of it. */
export interface OpenDatabase {
  /** The store every command works through. */
  store: PassportStore;
  /** Human-readable location (URL with the password masked, or the PGlite directory). */
  label: string;
  /** Applies the missing migrations; returns the versions it applied (empty when up to date). */
  migrate(): Promise<string[]>;
  /**
   * For a store without numbered migrations (MongoDB: its indexes): applies what `migrate` would
   * and returns the line `passport migrate` prints.
   */
  migrateMessage?(): Promise<string>;
  /** Closes connections. */
  close(): Promise<void>;
}

/** The schema SQL `passport migrate --print` shows. */
export function migrationSql(options: SchemaOptions = {}): string {
  try {
    return getMigrationSql(options);
  } catch (error) {
    throw new CliError('ERR_CLI_USAGE', oneLine(error), { cause: error });
  }
}

/** Text of an error from `pg` or PGlite, including the `AggregateError` of a refused connection. */
export function describeDatabaseError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return describeDatabaseError(error.errors[0]);
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' && message !== '' ? oneLine(error) : '';
  if (text !== '') return text;
  return typeof code === 'string' ? code : oneLine(error);
}

/**
 * Opens the database a command works on. A PostgreSQL URL gets a small `pg` pool, checked with one
 * query so a server that is down fails here with one clear line; anything else is a PGlite data
 * directory (created when missing). Throws {@link CliError} `ERR_CLI_DATABASE`.
 */
export async function openDatabase(source: DatabaseSource): Promise<OpenDatabase> {
  if (source.kind === 'store') {
    let store: PassportStore;
    try {
      store = typeof source.store === 'function' ? await source.store() : source.store;
    } catch (error) {
      throw new CliError('ERR_CLI_CONFIG', `the config's store() failed: ${describeDatabaseError(error)}`, {
        cause: error,
      });
    }
    const run = source.migrate;
    return {
      store,
      label: 'the store from the config file',
      migrate: async () => {
        if (!run) {
          throw new CliError(
            'ERR_CLI_CONFIG',
            'the config exports a custom store without migrate(); apply its schema yourself',
          );
        }
        await run();
        return [];
      },
      close: async () => {
        await store.close?.();
      },
    };
  }

  const { target } = source;
  if (isRedisUrl(target)) return openRedis(target);
  if (isMongoUrl(target)) return openMongo(target);
  if (isPostgresUrl(target)) {
    const { connectionString, schema, idType } = splitSchema(target);
    const label = redactUrl(connectionString);
    const pool = new pg.Pool({ connectionString, max: 4, connectionTimeoutMillis: 5_000 });
    // An idle client losing its connection must not crash the process with an unhandled 'error'.
    pool.on('error', () => {});
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      await pool.end().catch(() => {});
      throw new CliError('ERR_CLI_DATABASE', `cannot connect to ${label}: ${describeDatabaseError(error)}`, {
        cause: error,
      });
    }
    return fromDriver(
      nodePostgresDriver(pool),
      { ...(schema === null ? {} : { schema }), ...(idType === null ? {} : { idType }) },
      label,
    );
  }

  const label = target;
  let store: PostgresStore;
  try {
    store = await createPGliteStore({ dataDir: target, migrate: false });
  } catch (error) {
    if (error instanceof PGliteLockedError) throw lockedError(error);
    throw new CliError(
      'ERR_CLI_DATABASE',
      `cannot open the PGlite database in ${label}: ${describeDatabaseError(error)}`,
      { cause: error },
    );
  }
  return {
    store,
    label,
    migrate: () => guard(label, async () => (await store.migrate()).applied.map(formatVersion)),
    close: () => store.close(),
  };
}

/**
 * The one line for a PGlite directory another process holds (a running server, usually): a
 * change made here would never reach that process and would be lost when it writes its copy back.
 */
function lockedError(error: PGliteLockedError): CliError {
  const holder =
    error.pid === null
      ? 'another process'
      : `process ${error.pid}${error.host === null ? '' : ` on ${error.host}`}`;
  return new CliError(
    'ERR_CLI_DATABASE_LOCKED',
    `the PGlite database in ${error.dataDir} is in use by ${holder} (PGlite allows one process per data directory, and a change made from here would be lost): stop that server and run this again, or make the change through the running server (its JSON API, e.g. POST /oauth/clients, or your own code calling passport.clients.create); if no such process runs, delete ${error.lockFile}`,
    { cause: error },
  );
}

/**
 * The Redis store at `target` (`?prefix=` sets the key prefix), checked with one command so a
 * server that is down fails here with one clear line. Redis has no schema: `migrate` applies
 * nothing.
 */
async function openRedis(target: string): Promise<OpenDatabase> {
  const url = new URL(target);
  const prefix = url.searchParams.get('prefix');
  url.searchParams.delete('prefix');
  const label = redactUrl(url.toString());
  const { createRedisStore } = await import('@passport/store-redis');
  let store: Awaited<ReturnType<typeof createRedisStore>>;
  try {
    store = await createRedisStore({
      url: url.toString(),
      ...(prefix === null || prefix === '' ? {} : { prefix }),
    });
  } catch (error) {
    throw new CliError('ERR_CLI_DATABASE', `${label}: ${oneLine(error)}`, { cause: error });
  }
  // createRedisStore waits for the first connection (2 s at most); not ready by then: down.
  if (store.client.status !== 'ready') {
    await store.close();
    throw new CliError('ERR_CLI_DATABASE', `cannot connect to ${label}: no answer within 2 s`);
  }
  return {
    store,
    label: `${label} (keys under ${store.prefix})`,
    migrate: async () => [],
    close: () => store.close(),
  };
}

/**
 * The `@passport/store-mongo` store on a `mongodb://` URL (the database named in its path, else
 * `passport`), checked with one `ping` so a server that is down fails here with one clear line.
 */
async function openMongo(target: string): Promise<OpenDatabase> {
  const label = redactUrl(target);
  const { createMongoStore } = await import('@passport/store-mongo');
  let opened: Awaited<ReturnType<typeof createMongoStore>> | undefined;
  try {
    opened = await createMongoStore({ url: target, clientOptions: { serverSelectionTimeoutMS: 5_000 } });
    await opened.db.command({ ping: 1 });
  } catch (error) {
    await opened?.close().catch(() => {});
    throw new CliError('ERR_CLI_DATABASE', `cannot connect to ${label}: ${describeDatabaseError(error)}`, {
      cause: error,
    });
  }
  const store = opened;
  const ensure = () => guard(label, () => store.ensureIndexes());
  return {
    store,
    label,
    migrate: async () => {
      await ensure();
      return [];
    },
    migrateMessage: async () => {
      const { indexes, ttl } = await ensure();
      const expiry = ttl
        ? 'nonces and rate-limit windows expire by TTL'
        : 'this server has no TTL indexes: passport purge removes expired nonces and rate-limit windows';
      return `Ensured ${indexes.length} indexes in ${label} (${expiry}).\n`;
    },
    close: () => store.close(),
  };
}

/**
 * Takes Passport's query parameters off a PostgreSQL URL, which node-postgres must not see:
 * `schema` (the schema holding the tables, `postgres://host/db?schema=auth`) and `id_type` (the
 * store's client id type: `uuid`, the default, `bigint` for integer ids as Laravel Passport has
 * them without `--uuids`, or `text`). The store validates the id type.
 */
export function splitSchema(target: string): {
  connectionString: string;
  schema: string | null;
  idType: NonNullable<SchemaOptions['idType']> | null;
} {
  const url = new URL(target);
  const schema = url.searchParams.get('schema');
  const idType = url.searchParams.get('id_type');
  url.searchParams.delete('schema');
  url.searchParams.delete('id_type');
  return {
    connectionString: url.toString(),
    schema: schema === '' ? null : schema,
    idType: idType === null || idType === '' ? null : (idType as NonNullable<SchemaOptions['idType']>),
  };
}

async function fromDriver(driver: SqlDriver, schema: SchemaOptions, label: string): Promise<OpenDatabase> {
  let store: PostgresStore;
  try {
    store = new PostgresStore(driver, schema);
  } catch (error) {
    await driver.close().catch(() => {});
    throw new CliError('ERR_CLI_DATABASE', `${label}: ${oneLine(error)}`, { cause: error });
  }
  return {
    store,
    label,
    migrate: () => guard(label, async () => (await migrate(driver, schema)).applied.map(formatVersion)),
    close: () => driver.close(),
  };
}

/** `1` as `0001`, the migration file's number. */
function formatVersion(version: number): string {
  return String(version).padStart(4, '0');
}

async function guard<T>(label: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('ERR_CLI_DATABASE', `migration failed on ${label}: ${describeDatabaseError(error)}`, {
      cause: error,
    });
  }
}
