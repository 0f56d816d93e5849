/**
 * The whole conformance kit on the SQLite store: records, atomic steps, races, purge, ids it
 * cannot hold, and every OAuth flow through core. Twice: on an in-memory database (a fresh one per
 * test), and on a database file in WAL mode (one store for the run, emptied before each test
 * through a second connection, as another process would see the file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStoreConformance } from '@passport/store-testkit';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/index.js';

runStoreConformance<SqliteStore>({
  name: 'sqlite (better-sqlite3, in memory)',
  createStore: () => new SqliteStore(new Database(':memory:')),
});

const dir = mkdtempSync(join(tmpdir(), 'passport-sqlite-'));
const file = join(dir, 'passport.db');
const tables = [
  'clients',
  'access_tokens',
  'refresh_tokens',
  'auth_codes',
  'device_codes',
  'nonces',
  'rate_limits',
];

runStoreConformance<SqliteStore>({
  name: 'sqlite (better-sqlite3, file)',
  createStore: () => new SqliteStore(new Database(file)),
  reset: () => {
    const other = new Database(file);
    try {
      other.exec(tables.map((table) => `DELETE FROM oauth_${table};`).join('\n'));
    } finally {
      other.close();
    }
  },
  teardown: async (store) => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  },
});
