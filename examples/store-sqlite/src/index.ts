/**
 * A Passport store on SQLite through better-sqlite3: the worked example of
 * `docs/writing-a-store.md`.
 *
 * @packageDocumentation
 */
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
