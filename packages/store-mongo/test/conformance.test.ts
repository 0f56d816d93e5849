import { runStoreConformance } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import type { MongoStore } from '../src/index.js';
import { createTestStore, destroyStore, resetStore } from './helpers.js';

// The whole kit (CRUD, expiry, revocation, purge, races, flows) on the test bed's MongoDB
// wire-protocol server (FerretDB; MONGODB_URL points it at a real MongoDB), in a database of its
// own that is dropped afterwards.
if (await requireService('ferretdb')) {
  runStoreConformance<MongoStore>({
    name: 'mongo',
    createStore: () => createTestStore(),
    reset: resetStore,
    teardown: destroyStore,
  });
}
