import { runStoreConformance } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import type { RedisStore } from '../src/index.js';
import { deleteStoreKeys } from '../src/testing.js';
import { createClusterStore, createStandaloneStore, destroyStore } from './helpers.js';

// The whole kit (CRUD, expiry, revocation, purge, races, flows) on the standalone server, under a
// prefix of its own whose keys are deleted afterwards.
if (await requireService('redis')) {
  runStoreConformance<RedisStore>({
    name: 'redis (standalone)',
    createStore: () => createStandaloneStore(),
    reset: (store) => deleteStoreKeys(store).then(() => undefined),
    teardown: destroyStore,
  });
}

// The same kit on the 3-master Redis Cluster.
if (await requireService('redis-cluster')) {
  runStoreConformance<RedisStore>({
    name: 'redis (cluster)',
    createStore: () => createClusterStore(),
    reset: (store) => deleteStoreKeys(store).then(() => undefined),
    teardown: destroyStore,
  });
}
