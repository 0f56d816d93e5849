import pg from 'pg';
import type { SqlDriver } from '../src/driver.js';
import {
  createPGliteStore,
  createPostgresStore,
  type NodePostgresDriverOptions,
  PostgresStore,
  type PostgresStoreOptions,
} from '../src/index.js';

/** The PostgreSQL server the tests use (CI starts it before the tests). */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other run uses, so parallel runs never collide. */
export function randomSchema(label = 'test'): string {
  const suffix = crypto.getRandomValues(new Uint32Array(2)).join('_');
  return `passport_${label}_${suffix}`;
}

/** A pool on the test server. */
export function createPool(config: pg.PoolConfig = {}): pg.Pool {
  return new pg.Pool({ connectionString: DATABASE_URL, max: 10, ...config });
}

/** A migrated store in its own fresh schema on the test server. */
export async function createServerStore(
  options: PostgresStoreOptions & NodePostgresDriverOptions & { pool?: pg.Pool } = {},
): Promise<PostgresStore> {
  const store = createPostgresStore({
    schema: randomSchema(),
    ...options,
    pool: options.pool ?? createPool(),
  });
  await store.migrate();
  return store;
}

/** A migrated store on a fresh in-memory PGlite, in its own schema too. */
export async function createMemoryPGliteStore(options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  return createPGliteStore({ schema: randomSchema(), ...options });
}

/** Empties every table of the store (keeps the schema and its migration record). */
export async function truncateAll(store: PostgresStore): Promise<void> {
  const t = store.schema.tables;
  await store.driver.query(
    `TRUNCATE ${[t.clients, t.accessTokens, t.refreshTokens, t.authCodes, t.deviceCodes, t.nonces, t.rateLimits].join(', ')}`,
  );
}

/** Drops the store's schema (server stores) and closes it. */
export async function destroyStore(store: PostgresStore): Promise<void> {
  try {
    if (store.schema.schema !== 'public') {
      await store.driver.query(`DROP SCHEMA IF EXISTS "${store.schema.schema}" CASCADE`);
    }
  } finally {
    await store.close();
  }
}

/**
 * A second store on `store`'s schema and connections whose driver passes every statement through
 * `query` first (to count or fail it), with its own `options`. Closing it closes nothing of `store`.
 */
export function storeView(
  store: PostgresStore,
  query: SqlDriver['query'],
  options: PostgresStoreOptions = {},
): PostgresStore {
  const driver: SqlDriver = {
    query,
    transaction: (fn) => store.driver.transaction(fn),
    close: async () => undefined,
  };
  return new PostgresStore(driver, { schema: store.schema.schema, idType: store.schema.idType, ...options });
}
