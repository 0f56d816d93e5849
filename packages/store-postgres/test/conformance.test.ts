import { runStoreConformance } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import type { PostgresStore } from '../src/index.js';
import { createMemoryPGliteStore, createServerStore, destroyStore, truncateAll } from './helpers.js';

// The whole kit (CRUD, expiry, revocation, purge, races, flows) on the PostgreSQL server, in a
// schema of its own that is dropped afterwards.
if (await requireService('postgres')) {
  runStoreConformance<PostgresStore>({
    name: 'postgres (node-postgres, server)',
    createStore: () => createServerStore(),
    reset: truncateAll,
    teardown: destroyStore,
  });
}

// The same kit on embedded PGlite (in memory).
runStoreConformance<PostgresStore>({
  name: 'postgres (PGlite, in memory)',
  createStore: () => createMemoryPGliteStore(),
  reset: truncateAll,
  teardown: destroyStore,
});
