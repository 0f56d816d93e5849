import { runStoreConformance } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import type { PostgresStore } from '../src/index.js';
import { createMemoryPGliteStore, createServerStore, destroyStore, truncateAll } from './helpers.js';

// The whole kit (CRUD, expiry, revocation, purge, races, flows) on the PostgreSQL server, in a
// schema of its own that is dropped afterwards, once per client id type: UUID (the default) and
// integer identities (Laravel Passport's default without --uuids).
if (await requireService('postgres')) {
  runStoreConformance<PostgresStore>({
    name: 'postgres (node-postgres, server)',
    createStore: () => createServerStore(),
    reset: truncateAll,
    teardown: destroyStore,
  });
  runStoreConformance<PostgresStore>({
    name: "postgres (node-postgres, server, idType 'bigint')",
    createStore: () => createServerStore({ idType: 'bigint' }),
    reset: truncateAll,
    teardown: destroyStore,
    clientIdType: 'bigint',
  });
}

// The same kit on embedded PGlite (in memory), with UUID and with free-text client ids.
runStoreConformance<PostgresStore>({
  name: 'postgres (PGlite, in memory)',
  createStore: () => createMemoryPGliteStore(),
  reset: truncateAll,
  teardown: destroyStore,
});
runStoreConformance<PostgresStore>({
  name: "postgres (PGlite, in memory, idType 'text')",
  createStore: () => createMemoryPGliteStore({ idType: 'text' }),
  reset: truncateAll,
  teardown: destroyStore,
  clientIdType: 'text',
});
