import { PassportOptionsError } from '@passport/core';
import type { Db, MongoClient, MongoClientOptions } from 'mongodb';
import { MongoStore, type MongoStoreOptions } from './store.js';

/**
 * Client options the store uses when it creates the `MongoClient` itself (from `url`): a server
 * that is down or unreachable fails an operation with `StoreUnavailableError` after about
 * `serverSelectionTimeoutMS`, a connection that cannot be opened after `connectTimeoutMS`, a
 * server that stops answering on an open connection after `socketTimeoutMS`; the driver keeps
 * monitoring the server every `heartbeatFrequencyMS` and reconnects by itself when it is back.
 * Pass `clientOptions` to change them, or pass your own client and set them there.
 */
export const DEFAULT_CLIENT_OPTIONS = {
  serverSelectionTimeoutMS: 5000,
  connectTimeoutMS: 5000,
  socketTimeoutMS: 10_000,
  heartbeatFrequencyMS: 2000,
  maxIdleTimeMS: 60_000,
  appName: 'passport',
} as const satisfies MongoClientOptions;

/** Options of {@link createMongoStore}: where the database is, plus {@link MongoStoreOptions}. */
export interface CreateMongoStoreOptions extends Omit<MongoStoreOptions, 'onClose'> {
  /** A database handle (`client.db('passport')`). The store never closes its client. */
  db?: Db;
  /** A connected or unconnected `MongoClient`. The store never closes it. */
  client?: MongoClient;
  /**
   * A connection string (`mongodb://127.0.0.1:27017/passport`). The store creates the client
   * with {@link DEFAULT_CLIENT_OPTIONS} and `clientOptions`, and `store.close()` closes it.
   */
  url?: string;
  /**
   * The database, with `client` or `url`.
   * @default the database named in `url`, else `'passport'`
   */
  dbName?: string;
  /** Options for the client the store creates from `url` (merged over {@link DEFAULT_CLIENT_OPTIONS}). */
  clientOptions?: MongoClientOptions;
  /**
   * Run {@link MongoStore.ensureIndexes} before returning (needs the server to answer).
   * @default false
   */
  ensureIndexes?: boolean;
}

/** The database name in a connection string's path, if any. */
function databaseInUrl(url: string): string | undefined {
  const afterScheme = url.replace(/^mongodb(\+srv)?:\/\//, '');
  const slash = afterScheme.indexOf('/');
  if (slash < 0) return undefined;
  const path = afterScheme.slice(slash + 1).split('?')[0] ?? '';
  return path === '' ? undefined : decodeURIComponent(path);
}

/**
 * A {@link MongoStore} from a `Db`, a `MongoClient` or a connection string. Creating a client
 * does not connect: the first operation does, so an application starts while its database is
 * down (requests answer 503 until it is back).
 *
 * @example
 * ```ts
 * import { createMongoStore } from '@passport/store-mongo';
 *
 * const store = await createMongoStore({ url: 'mongodb://127.0.0.1:27017/passport' });
 * await store.ensureIndexes(); // once, at startup or from a deploy step (passport migrate)
 * ```
 */
export async function createMongoStore(options: CreateMongoStoreOptions): Promise<MongoStore> {
  const { db, client, url, dbName, clientOptions, ensureIndexes, ...storeOptions } = options;
  const given = [db, client, url].filter((value) => value !== undefined).length;
  if (given !== 1) {
    throw new PassportOptionsError(
      'createMongoStore needs exactly one of db, client or url: createMongoStore({ url: "mongodb://127.0.0.1:27017/passport" }).',
    );
  }
  let store: MongoStore;
  if (db !== undefined) {
    store = new MongoStore(db, storeOptions);
  } else if (client !== undefined) {
    if (typeof client.db !== 'function') {
      throw new PassportOptionsError(
        'createMongoStore: client must be a MongoClient from the mongodb package.',
      );
    }
    store = new MongoStore(client.db(dbName ?? 'passport'), storeOptions);
  } else {
    if (typeof url !== 'string' || !/^mongodb(\+srv)?:\/\//.test(url)) {
      throw new PassportOptionsError(
        `createMongoStore: url must be a mongodb:// or mongodb+srv:// connection string, got ${JSON.stringify(url)}.`,
      );
    }
    let driver: typeof import('mongodb');
    try {
      driver = await import('mongodb');
    } catch (error) {
      throw new PassportOptionsError(
        'createMongoStore({ url }) needs the optional peer dependency mongodb: npm install mongodb',
        { cause: error },
      );
    }
    const created = new driver.MongoClient(url, { ...DEFAULT_CLIENT_OPTIONS, ...clientOptions });
    store = new MongoStore(created.db(dbName ?? databaseInUrl(url) ?? 'passport'), {
      ...storeOptions,
      onClose: () => created.close(),
    });
  }
  if (ensureIndexes === true) await store.ensureIndexes();
  return store;
}
