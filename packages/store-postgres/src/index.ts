/**
 * @passport/store-postgres: the PostgreSQL store for Passport, on a server through node-postgres
 * or embedded through PGlite. One SQL implementation ({@link PostgresStore}) over a tiny driver
 * interface ({@link SqlDriver}); the schema ships as numbered SQL migrations.
 * @packageDocumentation
 */

export { PGLITE_LOCK_FILE, PGliteLockedError } from './data-dir-lock.js';
export type { NotificationHandlers, QueryResult, SqlDriver, SqlExecutor } from './driver.js';
export {
  type NodePostgresDriverOptions,
  nodePostgresDriver,
  type PgPoolClientLike,
  type PgPoolLike,
} from './drivers/node-postgres.js';
export type { PgListenClientLike, PgNotificationLike } from './drivers/node-postgres-listener.js';
export {
  type PGliteLike,
  type PGliteResultsLike,
  type PGliteTransactionLike,
  pgliteDriver,
} from './drivers/pglite.js';
export {
  type CreatePGliteStoreOptions,
  type CreatePostgresStoreOptions,
  createPGliteStore,
  createPostgresStore,
} from './factories.js';
export {
  getMigrationSql,
  type MigrateResult,
  type MigrationSource,
  type MigrationSqlOptions,
  migrate,
  migrations,
} from './migrate.js';
export type { ClientIdType, ResolvedSchema, SchemaOptions } from './schema.js';
export { MAX_READ_BATCH, MAX_WRITE_BATCH, PostgresStore, type PostgresStoreOptions } from './store.js';
