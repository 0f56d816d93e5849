import { services } from '@passport/test-bed';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { createMongoStore, type MongoStore, type MongoStoreOptions } from '../src/index.js';

/** The MongoDB wire-protocol server of the test bed (`MONGODB_URL` points elsewhere, e.g. a real MongoDB). */
export const MONGODB_URL = services.mongo.url;

/** A database name no other run uses. */
export function randomDatabase(label = 'test'): string {
  return `passport_${label}_${crypto.getRandomValues(new Uint32Array(2)).join('_')}`;
}

/** Client options for tests: fail fast when the server is gone. */
export const TEST_CLIENT_OPTIONS: MongoClientOptions = {
  serverSelectionTimeoutMS: 3000,
  connectTimeoutMS: 3000,
  socketTimeoutMS: 5000,
  heartbeatFrequencyMS: 500,
};

/** A store with its indexes in a fresh database of its own (dropped by {@link destroyStore}). */
export async function createTestStore(
  options: MongoStoreOptions & { dbName?: string; url?: string; clientOptions?: MongoClientOptions } = {},
): Promise<MongoStore> {
  const { dbName, url, clientOptions, ...storeOptions } = options;
  return createMongoStore({
    url: url ?? MONGODB_URL,
    dbName: dbName ?? randomDatabase(),
    clientOptions: { ...TEST_CLIENT_OPTIONS, ...clientOptions },
    ensureIndexes: true,
    ...storeOptions,
  });
}

/** Empties every collection of the store (keeps the indexes). */
export async function resetStore(store: MongoStore): Promise<void> {
  await Promise.all(
    Object.values(store.collectionNames).map((name) => store.db.collection(name).deleteMany({})),
  );
}

/** Drops the store's database and closes its client. */
export async function destroyStore(store: MongoStore): Promise<void> {
  try {
    await store.db.dropDatabase();
  } finally {
    await store.close();
  }
}

/** A plain client on the test server, for looking at documents directly. */
export function rawClient(url = MONGODB_URL): MongoClient {
  return new MongoClient(url, TEST_CLIENT_OPTIONS);
}
